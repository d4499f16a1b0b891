//! `fairpanel serve`: the panel scores in their own browsers while the database stays on this
//! machine. A second thin edge beside `commands/`: handlers parse a request, call the same actions
//! and store code as the command line, and render a template or JSON. No rule lives here.
//!
//! Identity: a panellist's personal link carries a one-time web invitation (256 random bits, stored
//! only as its SHA-256). Opening it and confirming exchanges it for a browser session, recorded as
//! the person's own act; every later action is recorded with that person as the actor, proved by
//! the session. Sealed sheets are never served: a panellist sees their own open sheet, and anyone on
//! the panel sees scores only once every sheet for that candidate is in.
//!
//! What the server guards against: other people on the network reading or changing scores (with
//! `--tls`), forged requests from other sites (SameSite=Strict cookies, an Origin / Sec-Fetch-Site
//! check and a per-session token on every change), guessing links (256-bit tokens, refusals rate
//! limited per address), a panellist reading another's sheet (every sheet is the session's own),
//! oversized or slow requests. What it does not: someone who holds this machine or the database
//! file, or a panellist's unlocked device.

mod app;
mod limit;
pub mod tls;
mod views;

use crate::record::chain::Actor;
use crate::store::Store;
use anyhow::{anyhow, bail, Context, Result};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub use app::App;

/// Port used when none is given.
pub const DEFAULT_PORT: u16 = 8470;

/// How `serve` was asked to run.
pub struct Options {
    pub addr: Option<String>,
    pub lan: bool,
    pub tls: bool,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub public_url: Option<String>,
}

/// The file beside the database where a running server records its address, so `panel invite` can
/// print links to it.
pub fn url_file(db: &Path) -> PathBuf {
    let db = &crate::store::local_stand_in(db);
    let name = db
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "fairpanel.db".into());
    db.parent()
        .unwrap_or(Path::new("."))
        .join(format!("{name}.serve-url"))
}

/// The address of the server running on this database, if one recorded it.
pub fn running_url(db: &Path) -> Option<String> {
    let text = crate::fsutil::read_small_text(&url_file(db), "the server address file ").ok()?;
    let url = text.lines().next()?.trim().to_string();
    (url.starts_with("http://") || url.starts_with("https://")).then_some(url)
}

/// This machine's address on the local network: the one it would use to reach a public address (no
/// packet is sent).
fn lan_ip() -> Result<IpAddr> {
    let s = std::net::UdpSocket::bind("0.0.0.0:0")?;
    s.connect("192.0.2.1:9")?;
    let ip = s.local_addr()?.ip();
    if ip.is_unspecified() || ip.is_loopback() {
        bail!("this machine seems to have no local network address; give one with --addr");
    }
    Ok(ip)
}

fn listen_addr(o: &Options) -> Result<SocketAddr> {
    match &o.addr {
        Some(a) => {
            if let Ok(sa) = a.parse::<SocketAddr>() {
                return Ok(sa);
            }
            if let Ok(ip) = a.parse::<IpAddr>() {
                return Ok(SocketAddr::new(ip, DEFAULT_PORT));
            }
            if let Some(port) = a.strip_prefix(':').and_then(|p| p.parse().ok()) {
                let ip = if o.lan {
                    lan_ip()?
                } else {
                    IpAddr::from([127, 0, 0, 1])
                };
                return Ok(SocketAddr::new(ip, port));
            }
            Err(crate::Usage(format!(
                "--addr {a:?} is not an address: give IP:PORT (e.g. 127.0.0.1:8470) or :PORT"
            ))
            .into())
        }
        None if o.lan => Ok(SocketAddr::new(lan_ip()?, DEFAULT_PORT)),
        None => Ok(SocketAddr::from(([127, 0, 0, 1], DEFAULT_PORT))),
    }
}

fn host_of(addr: &SocketAddr) -> String {
    match addr.ip() {
        IpAddr::V6(ip) => format!("[{ip}]:{}", addr.port()),
        IpAddr::V4(ip) => format!("{ip}:{}", addr.port()),
    }
}

/// A personal link to show: the URL and a QR code of it for a terminal.
pub fn qr(url: &str) -> String {
    match qrcode::QrCode::new(url.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::unicode::Dense1x2>()
            .dark_color(qrcode::render::unicode::Dense1x2::Light)
            .light_color(qrcode::render::unicode::Dense1x2::Dark)
            .quiet_zone(true)
            .build(),
        Err(_) => String::new(),
    }
}

/// The link that opens a web invitation.
pub fn join_url(base: &str, token: &str) -> String {
    format!("{}/join/{token}", base.trim_end_matches('/'))
}

/// Run the server until interrupted. `chair_link` is the invitation for the person who started it,
/// already issued, if they proved who they are.
pub fn run(
    store: Store,
    o: Options,
    out: &mut dyn std::io::Write,
    personal: impl FnOnce(&mut Store, &str) -> Result<Option<(String, String)>>,
) -> Result<()> {
    let mut store = store;
    if store.is_read_only() {
        bail!(
            "{} is read-only here: the server records every score, so it needs to write",
            store.path().display()
        );
    }
    let db_path = store.path().to_path_buf();
    let addr = listen_addr(&o)?;
    let tls = o.tls || o.cert.is_some();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(8)
        .enable_all()
        .build()?;
    // Bound, and the store's first work done, before the runtime starts: the PostgreSQL client blocks
    // on its own runtime, which may not happen on one of the server's.
    let std_tcp =
        std::net::TcpListener::bind(addr).with_context(|| format!("cannot listen on {addr}"))?;
    std_tcp.set_nonblocking(true)?;
    let local = std_tcp.local_addr()?;
    let scheme = if tls { "https" } else { "http" };
    let mut hosts = vec![host_of(&local)];
    if local.ip().is_loopback() {
        hosts.push(format!("localhost:{}", local.port()));
    }
    let base = match &o.public_url {
        Some(u) => {
            let u = u.trim_end_matches('/').to_string();
            let host = u
                .split_once("://")
                .map(|(_, h)| h.split('/').next().unwrap_or(h).to_string())
                .ok_or_else(|| {
                    anyhow!("--public-url {u:?} needs to start with http:// or https://")
                })?;
            hosts.push(host);
            u
        }
        None => format!("{scheme}://{}", host_of(&local)),
    };
    let link = personal(&mut store, &base)?;
    let app = App::new(store, tls, &base, hosts)?;
    rt.block_on(async move {
        let tcp = tokio::net::TcpListener::from_std(std_tcp)?;
        crate::fsutil::write_private(&url_file(&db_path), format!("{base}\n").as_bytes())?;
        let _cleanup = RemoveOnDrop(url_file(&db_path));

        writeln!(out, "fairpanel is serving {} at {base}", db_path.display())?;
        if o.lan && !tls {
            writeln!(
                out,
                "WARNING: this is plain HTTP on the local network: anyone on it can read scores and \
                 evidence notes in transit and take over a session. Use --tls unless the network is \
                 private to the panel."
            )?;
        }
        let router = app.router();
        if tls {
            let names: Vec<String> = {
                let mut n = vec!["localhost".to_string(), "127.0.0.1".to_string()];
                n.push(local.ip().to_string());
                n
            };
            let given = o.cert.as_deref().zip(o.key.as_deref());
            let (cfg, fingerprint, made) = tls::config(given, &db_path, &names)?;
            if let Some(c) = made {
                writeln!(
                    out,
                    "Self-signed certificate {} (SHA-256 {fingerprint}). Browsers warn about it the \
                     first time: check the fingerprint matches before going on.",
                    c.display()
                )?;
            }
            say_links(out, link)?;
            out.flush()?;
            let listener = tls::TlsListener::new(tcp, cfg)?;
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<Peer>(),
            )
            .with_graceful_shutdown(shutdown())
            .await?;
        } else {
            say_links(out, link)?;
            out.flush()?;
            axum::serve(
                tcp,
                router.into_make_service_with_connect_info::<Peer>(),
            )
            .with_graceful_shutdown(shutdown())
            .await?;
        }
        Ok::<(), anyhow::Error>(())
    })
}

fn say_links(out: &mut dyn std::io::Write, link: Option<(String, String)>) -> Result<()> {
    match link {
        Some((url, expires)) => {
            writeln!(
                out,
                "Your personal link (one-time; it becomes a session in the browser that opens it; \
                 expires {expires}):\n  {url}"
            )?;
        }
        None => writeln!(
            out,
            "Run with --as YOUR-NAME to be given your own link. Panellists' links: \
             `fairpanel --as YOUR-NAME panel invite VACANCY --panellist NAME`."
        )?,
    }
    writeln!(out, "Press Ctrl+C to stop.")?;
    Ok(())
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// The address a request came from, over plain TCP or TLS.
#[derive(Clone, Copy, Debug)]
pub struct Peer(pub SocketAddr);

impl
    axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, tokio::net::TcpListener>>
    for Peer
{
    fn connect_info(s: axum::serve::IncomingStream<'_, tokio::net::TcpListener>) -> Peer {
        Peer(*s.remote_addr())
    }
}

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, tls::TlsListener>>
    for Peer
{
    fn connect_info(s: axum::serve::IncomingStream<'_, tls::TlsListener>) -> Peer {
        Peer(*s.remote_addr())
    }
}

struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The database behind a mutex, used from blocking threads: one connection, one writer at a time
/// (SQLite allows no more), and each request's actor set for its own write only.
#[derive(Clone)]
pub struct Db(Arc<Mutex<Store>>);

impl Db {
    pub fn new(store: Store) -> Db {
        Db(Arc::new(Mutex::new(store)))
    }

    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> T + Send + 'static,
    ) -> T {
        let db = self.0.clone();
        tokio::task::spawn_blocking(move || {
            let mut s = db.lock().unwrap_or_else(|e| e.into_inner());
            s.set_actor(Actor::system());
            let out = f(&mut s);
            s.set_actor(Actor::system());
            out
        })
        .await
        .expect("a database task panicked")
    }
}
