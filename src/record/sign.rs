//! Ed25519 signatures over points of the chain, made with a key kept away from the database (HR's),
//! so that someone who can write the file but does not hold the key cannot rewrite the record without
//! it showing: their rewrite would lack, or break, the signatures.

use anyhow::{anyhow, Result};
use ed25519_dalek::{Signer, SigningKey, Verifier, VerifyingKey};

/// The bytes signed for a chain point.
pub fn message(through: i64, head: &str) -> Vec<u8> {
    format!("fairpanel/signature/v1\n{through}\n{head}\n").into_bytes()
}

/// A new key pair, hex-encoded (secret, public).
pub fn generate() -> (String, String) {
    let k = SigningKey::generate(&mut rand::rngs::OsRng);
    (
        hex::encode(k.to_bytes()),
        hex::encode(k.verifying_key().to_bytes()),
    )
}

pub fn public_key(hex_key: &str) -> Result<VerifyingKey> {
    let b: [u8; 32] = hex::decode(hex_key.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| anyhow!("not an Ed25519 public key (64 hex digits)"))?;
    VerifyingKey::from_bytes(&b).map_err(|_| anyhow!("not a valid Ed25519 public key"))
}

/// Sign a chain point; returns (public key hex, signature hex).
pub fn sign(secret_hex: &str, through: i64, head: &str) -> Result<(String, String)> {
    let b: [u8; 32] = hex::decode(secret_hex.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| anyhow!("not an Ed25519 private key (64 hex digits)"))?;
    let k = SigningKey::from_bytes(&b);
    let sig = k.sign(&message(through, head));
    Ok((
        hex::encode(k.verifying_key().to_bytes()),
        hex::encode(sig.to_bytes()),
    ))
}

/// Whether a signature fact checks.
pub fn check(s: &super::fact::Signature) -> bool {
    let Ok(pk) = public_key(&s.public_key) else {
        return false;
    };
    let Some(sig) = hex::decode(&s.signature)
        .ok()
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
    else {
        return false;
    };
    pk.verify(
        &message(s.through, &s.head),
        &ed25519_dalek::Signature::from_bytes(&sig),
    )
    .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_checks_only_for_its_point() {
        let (secret, public) = generate();
        let (pk, sig) = sign(&secret, 42, "ab").unwrap();
        assert_eq!(pk, public);
        let mut s = super::super::fact::Signature {
            through: 42,
            head: "ab".into(),
            public_key: pk,
            signature: sig,
        };
        assert!(check(&s));
        s.head = "ac".into();
        assert!(!check(&s));
    }
}
