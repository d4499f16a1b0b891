//! Sealed personal data: values the log carries encrypted (XChaCha20-Poly1305) under a random key
//! kept outside the log, in the `keys` table. Erasing a person's data destroys the key: the log keeps
//! its ciphertext, so the hash chain still verifies, but nobody can read it any more.
//!
//! A key is introduced by the fact that first uses it, with a *key check value* (the first 8 bytes of
//! HMAC-SHA-256 of a fixed label under the key), so `verify` can tell a swapped or altered key from
//! the one the record was written with without decrypting anything. The ciphertext's associated data
//! names its purpose, so a sealed value cannot be moved into a field of another kind.

use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::collections::HashMap;

pub type Key = [u8; 32];

/// A key's first appearance in the record: its id in the `keys` table and its check value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyIntro {
    pub id: i64,
    pub kcv: String,
}

/// An encrypted value: key id and base64 of nonce ‖ ciphertext ‖ tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sealed {
    pub k: i64,
    pub c: String,
}

/// What a sealed value is; bound into its ciphertext.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    CandidateName,
    Evidence,
    Monitoring,
    PanellistEthnicity,
}

impl Purpose {
    fn aad(self) -> &'static [u8] {
        match self {
            Purpose::CandidateName => b"fairpanel/sealed/v1/candidate-name",
            Purpose::Evidence => b"fairpanel/sealed/v1/evidence",
            Purpose::Monitoring => b"fairpanel/sealed/v1/monitoring",
            Purpose::PanellistEthnicity => b"fairpanel/sealed/v1/panellist-ethnicity",
        }
    }
}

/// A fresh random key.
pub fn new_key() -> Key {
    let mut k = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut k);
    k
}

/// The key check value recorded when a key is introduced.
pub fn kcv(key: &Key) -> String {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(b"fairpanel/key-check/v1");
    hex::encode(&m.finalize().into_bytes()[..8])
}

pub fn intro(id: i64, key: &Key) -> KeyIntro {
    KeyIntro { id, kcv: kcv(key) }
}

/// Encrypt `plain` under key `id`.
pub fn seal(id: i64, key: &Key, purpose: Purpose, plain: &str) -> Sealed {
    let mut nonce = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut nonce);
    let cipher = XChaCha20Poly1305::new(key.into());
    let ct = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plain.as_bytes(),
                aad: purpose.aad(),
            },
        )
        .expect("encryption of a bounded value cannot fail");
    let mut buf = Vec::with_capacity(24 + ct.len());
    buf.extend_from_slice(&nonce);
    buf.extend_from_slice(&ct);
    Sealed {
        k: id,
        c: base64::engine::general_purpose::STANDARD_NO_PAD.encode(buf),
    }
}

/// Why a sealed value cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unsealed {
    /// The key was destroyed by a recorded erasure.
    Erased,
    /// The key is missing without an erasure, or does not open the value: the file was altered.
    Broken(String),
}

pub fn open(key: &Key, purpose: Purpose, s: &Sealed) -> Result<String, Unsealed> {
    let raw = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(&s.c)
        .map_err(|_| Unsealed::Broken(format!("sealed value under key {} is not base64", s.k)))?;
    if raw.len() < 24 + 16 {
        return Err(Unsealed::Broken(format!(
            "sealed value under key {} is too short",
            s.k
        )));
    }
    let cipher = XChaCha20Poly1305::new(key.into());
    let plain = cipher
        .decrypt(
            XNonce::from_slice(&raw[..24]),
            Payload {
                msg: &raw[24..],
                aad: purpose.aad(),
            },
        )
        .map_err(|_| {
            Unsealed::Broken(format!(
                "key {} does not open a value sealed under it: the key or the value was altered",
                s.k
            ))
        })?;
    String::from_utf8(plain)
        .map_err(|_| Unsealed::Broken(format!("sealed value under key {} is not text", s.k)))
}

/// The keys a reader holds: present ones by id, and the ids the record says were erased.
#[derive(Debug, Default, Clone)]
pub struct Keyring {
    keys: HashMap<i64, Key>,
    erased: std::collections::HashSet<i64>,
}

impl Keyring {
    pub fn insert(&mut self, id: i64, key: Key) {
        self.keys.insert(id, key);
    }
    pub fn mark_erased(&mut self, id: i64) {
        self.erased.insert(id);
    }
    pub fn get(&self, id: i64) -> Option<&Key> {
        self.keys.get(&id)
    }

    pub fn open(&self, purpose: Purpose, s: &Sealed) -> Result<String, Unsealed> {
        match self.keys.get(&s.k) {
            Some(k) => open(k, purpose, s),
            None if self.erased.contains(&s.k) => Err(Unsealed::Erased),
            None => Err(Unsealed::Broken(format!(
                "key {} is missing although no erasure removed it",
                s.k
            ))),
        }
    }

    /// The value, `None` when erased; an error when the file was altered.
    pub fn read(&self, purpose: Purpose, s: &Sealed) -> anyhow::Result<Option<String>> {
        match self.open(purpose, s) {
            Ok(v) => Ok(Some(v)),
            Err(Unsealed::Erased) => Ok(None),
            Err(Unsealed::Broken(why)) => Err(super::Altered(why).into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_opens_only_with_its_key_and_purpose() {
        let k = new_key();
        let s = seal(7, &k, Purpose::Evidence, "booked an interpreter");
        assert_eq!(
            open(&k, Purpose::Evidence, &s).unwrap(),
            "booked an interpreter"
        );
        assert!(
            open(&k, Purpose::Monitoring, &s).is_err(),
            "purpose is bound"
        );
        assert!(open(&new_key(), Purpose::Evidence, &s).is_err());
        let mut tampered = s.clone();
        tampered
            .c
            .replace_range(40..41, if &s.c[40..41] == "A" { "B" } else { "A" });
        assert!(open(&k, Purpose::Evidence, &tampered).is_err());
        assert_ne!(
            seal(7, &k, Purpose::Evidence, "x").c,
            seal(7, &k, Purpose::Evidence, "x").c,
            "fresh nonce each time"
        );
    }

    #[test]
    fn keyring_tells_erased_from_missing() {
        let mut ring = Keyring::default();
        let k = new_key();
        let s = seal(3, &k, Purpose::CandidateName, "Ada");
        assert!(matches!(
            ring.open(Purpose::CandidateName, &s),
            Err(Unsealed::Broken(_))
        ));
        ring.mark_erased(3);
        assert_eq!(ring.read(Purpose::CandidateName, &s).unwrap(), None);
        ring.insert(3, k);
        assert_eq!(
            ring.read(Purpose::CandidateName, &s).unwrap().as_deref(),
            Some("Ada")
        );
        assert_eq!(kcv(&k).len(), 16);
        assert_ne!(kcv(&k), kcv(&new_key()));
    }
}
