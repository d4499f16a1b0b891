//! HTTPS: a certificate the trust provides, or a self-signed one made on first start and kept
//! (private) beside the database, so devices that accepted it once keep recognising it. rustls with
//! the ring provider: no C crypto library to build.

use anyhow::{anyhow, Context, Result};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// A TLS handshake that takes longer than this is dropped.
const HANDSHAKE: Duration = Duration::from_secs(10);

/// Where the self-signed certificate and its key are kept for the database at `db`.
pub fn self_signed_paths(db: &Path) -> (PathBuf, PathBuf) {
    let db = &crate::store::local_stand_in(db);
    let name = db
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "fairpanel.db".into());
    let dir = db.parent().unwrap_or(Path::new("."));
    (
        dir.join(format!("{name}.tls-cert.pem")),
        dir.join(format!("{name}.tls-key.pem")),
    )
}

/// The certificate and key to serve: the given files, or the self-signed pair beside the database,
/// made now when missing. Returns the config and the certificate's SHA-256 fingerprint (to compare
/// with what a device's browser shows).
pub fn config(
    given: Option<(&Path, &Path)>,
    db: &Path,
    names: &[String],
) -> Result<(Arc<rustls::ServerConfig>, String, Option<PathBuf>)> {
    let (cert, key, made) = match given {
        Some((c, k)) => (c.to_path_buf(), k.to_path_buf(), None),
        None => {
            let (c, k) = self_signed_paths(db);
            if !c.exists() || !k.exists() {
                let ck = rcgen::generate_simple_self_signed(names.to_vec())
                    .map_err(|e| anyhow!("cannot make a certificate: {e}"))?;
                crate::fsutil::write_private(&k, ck.key_pair.serialize_pem().as_bytes())?;
                crate::fsutil::write_private(&c, ck.cert.pem().as_bytes())?;
            }
            (c.clone(), k, Some(c))
        }
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&cert)
        .with_context(|| format!("reading the certificate {}", cert.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("reading the certificate {}", cert.display()))?;
    let first = certs
        .first()
        .ok_or_else(|| anyhow!("{} holds no certificate", cert.display()))?;
    let fingerprint = hex::encode(Sha256::digest(first.as_ref()));
    let key = PrivateKeyDer::from_pem_file(&key)
        .with_context(|| format!("reading the private key {}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .context("the certificate and key do not go together")?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok((Arc::new(cfg), fingerprint, made))
}

/// A listener whose connections are TLS streams. Handshakes run concurrently (a slow or silent
/// client never holds up the others) and are dropped after [`HANDSHAKE`].
pub struct TlsListener {
    rx: mpsc::Receiver<(TlsStream<tokio::net::TcpStream>, SocketAddr)>,
    local: SocketAddr,
}

impl TlsListener {
    pub fn new(tcp: TcpListener, cfg: Arc<rustls::ServerConfig>) -> Result<TlsListener> {
        let local = tcp.local_addr()?;
        let acceptor = TlsAcceptor::from(cfg);
        let (tx, rx) = mpsc::channel(64);
        tokio::spawn(async move {
            loop {
                let (stream, addr) = match tcp.accept().await {
                    Ok(c) => c,
                    Err(_) => {
                        // Out of file descriptors and the like: wait rather than spin.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let (acceptor, tx) = (acceptor.clone(), tx.clone());
                tokio::spawn(async move {
                    if let Ok(Ok(s)) =
                        tokio::time::timeout(HANDSHAKE, acceptor.accept(stream)).await
                    {
                        let _ = tx.send((s, addr)).await;
                    }
                });
            }
        });
        Ok(TlsListener { rx, local })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<tokio::net::TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.rx.recv().await {
            Some(c) => c,
            // The accepting task only ends with the runtime.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}
