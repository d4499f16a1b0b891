#![allow(dead_code)]
//! The real `fairpanel serve` on a free loopback port, and a small blocking HTTP client for it.

use super::common::Env;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

pub struct Server {
    child: Child,
    pub base: String,
    /// The personal link printed for the person who started it.
    pub link: Option<String>,
    log: std::path::PathBuf,
}

impl Server {
    /// `fairpanel serve` on `e`'s database, started by `chair` (proved by their passphrase).
    pub fn start(e: &Env, chair: &str) -> Server {
        Server::start_with(e, chair, &[])
    }

    /// As [`Server::start`], with more arguments for `serve`.
    pub fn start_with(e: &Env, chair: &str, more: &[&str]) -> Server {
        let log = e.path(&format!(
            "serve-{}.log",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("fairpanel"))
            .env_remove("FAIRPANEL_DB")
            .env_remove("FAIRPANEL_AS")
            .env_remove("FAIRPANEL_CREDENTIAL")
            .env_remove("FAIRPANEL_CREDENTIAL_FILE")
            .env("FAIRPANEL_NOW", "2026-11-26T10:00:00Z")
            .arg("--db")
            .arg(&e.db)
            .arg("--no-input")
            .arg("--as")
            .arg(chair)
            .arg("--credential-file")
            .arg(e.cred(chair))
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(more)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let (mut base, mut link) = (None, None);
        let mut line = String::new();
        while out.read_line(&mut line).unwrap() > 0 {
            if let Some(at) = line.trim().rsplit_once(" at ") {
                if line.starts_with("fairpanel is serving") {
                    base = Some(at.1.to_string());
                }
            }
            if line.trim_start().starts_with("http") && line.contains("/join/") {
                link = Some(line.trim().to_string());
            }
            if line.starts_with("Press Ctrl+C") {
                break;
            }
            line.clear();
        }
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = String::new();
            while out.read_line(&mut sink).unwrap_or(0) > 0 {
                sink.clear();
            }
        });
        Server {
            child,
            base: base.unwrap_or_else(|| {
                panic!(
                    "the server did not start: {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                )
            }),
            link,
            log,
        }
    }

    /// What the server logged (its refusals).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A personal link for `panellist`, issued by `by` through the command line.
    pub fn invite(&self, e: &Env, by: &str, vacancy: &str, panellist: &str) -> String {
        let j = e.as_json(by, &["panel", "invite", vacancy, "--panellist", panellist]);
        assert_eq!(j["panellist"], panellist);
        assert!(j["expires_at"].is_string());
        j["url"].as_str().unwrap().to_string()
    }

    /// Open a personal link as a browser would: the page, then its Continue button.
    pub fn join(&self, link: &str) -> (u16, Option<Client>) {
        let mut c = Client::new(&self.base);
        let (status, page) = c.get_abs(link);
        assert_eq!(status, 200, "{page}");
        let token = field(&page, "token");
        let check = field(&page, "check");
        let (status, _) = c.form("/join", &[("token", &token), ("check", &check)]);
        if status == 303 && c.session.is_some() {
            (status, Some(c))
        } else {
            (status, None)
        }
    }

    /// A session for `panellist`, through their link.
    pub fn session(&self, e: &Env, by: &str, vacancy: &str, panellist: &str) -> Client {
        let link = self.invite(e, by, vacancy, panellist);
        let (status, c) = self.join(&link);
        assert_eq!(status, 303);
        let mut c = c.unwrap();
        c.load_csrf();
        c
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of a hidden form field in a page.
pub fn field(page: &str, name: &str) -> String {
    let pat = format!("name=\"{name}\" value=\"");
    let i = page
        .find(&pat)
        .unwrap_or_else(|| panic!("no field {name} in {page}"))
        + pat.len();
    page[i..].split('"').next().unwrap().to_string()
}

/// One browser's worth of state: its cookies and CSRF token.
pub struct Client {
    agent: ureq::Agent,
    base: String,
    pub session: Option<String>,
    join_check: Option<String>,
    pub csrf: String,
    pub origin: Option<String>,
}

pub type Reply = (u16, String);

impl Client {
    pub fn new(base: &str) -> Client {
        Client {
            agent: ureq::AgentBuilder::new().redirects(0).build(),
            base: base.to_string(),
            session: None,
            join_check: None,
            csrf: String::new(),
            origin: Some(base.to_string()),
        }
    }

    fn cookies(&self) -> String {
        let mut c = vec![];
        if let Some(s) = &self.session {
            c.push(format!("fp_session={s}"));
        }
        if let Some(j) = &self.join_check {
            c.push(format!("fp_join={j}"));
        }
        c.join("; ")
    }

    fn take(&mut self, r: Result<ureq::Response, ureq::Error>) -> Reply {
        let resp = match r {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("request failed: {e}"),
        };
        for v in resp.all("set-cookie") {
            let (kv, _) = v.split_once(';').unwrap_or((v, ""));
            if let Some((k, val)) = kv.split_once('=') {
                let val = (!val.is_empty()).then(|| val.to_string());
                match k {
                    "fp_session" => self.session = val,
                    "fp_join" => self.join_check = val,
                    _ => {}
                }
            }
        }
        let status = resp.status();
        (status, resp.into_string().unwrap_or_default())
    }

    fn req(&self, method: &str, path: &str) -> ureq::Request {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        };
        let mut r = self.agent.request(method, &url);
        let cookies = self.cookies();
        if !cookies.is_empty() {
            r = r.set("Cookie", &cookies);
        }
        r
    }

    fn change(&self, method: &str, path: &str) -> ureq::Request {
        let mut r = self.req(method, path);
        if let Some(o) = &self.origin {
            r = r.set("Origin", o);
        }
        r
    }

    pub fn get_abs(&mut self, url: &str) -> Reply {
        let r = self.req("GET", url).call();
        self.take(r)
    }

    pub fn get(&mut self, path: &str) -> Reply {
        let r = self.req("GET", path).call();
        self.take(r)
    }

    pub fn get_with(
        &mut self,
        path: &str,
        headers: &[(&str, &str)],
    ) -> (u16, Vec<(String, String)>, String) {
        let mut r = self.req("GET", path);
        for (k, v) in headers {
            r = r.set(k, v);
        }
        let resp = match r.call() {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{e}"),
        };
        let hs = resp
            .headers_names()
            .into_iter()
            .map(|h| (h.clone(), resp.header(&h).unwrap_or("").to_string()))
            .collect();
        (resp.status(), hs, resp.into_string().unwrap_or_default())
    }

    pub fn json(&mut self, path: &str) -> (u16, serde_json::Value) {
        let (s, b) = self.get(path);
        (
            s,
            serde_json::from_str(&b).unwrap_or_else(|_| panic!("not JSON: {b}")),
        )
    }

    /// Fetch the session's CSRF token from `GET /api/v1/me`.
    pub fn load_csrf(&mut self) {
        let (s, me) = self.json("/api/v1/me");
        assert_eq!(s, 200, "{me}");
        self.csrf = me["csrf"].as_str().unwrap().to_string();
    }

    /// A JSON change with the CSRF token (and this site's Origin).
    pub fn send(
        &mut self,
        method: &str,
        path: &str,
        body: &serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let r = self
            .change(method, path)
            .set("X-CSRF-Token", &self.csrf.clone())
            .send_json(body.clone());
        let (s, b) = self.take(r);
        (
            s,
            serde_json::from_str(&b).unwrap_or_else(|_| panic!("not JSON ({s}): {b}")),
        )
    }

    /// A JSON change with exactly these headers (for the refusals).
    pub fn send_raw(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Reply {
        self.try_send_raw(method, path, headers, body)
            .unwrap_or_else(|e| panic!("request failed: {e}"))
    }

    /// As [`Client::send_raw`]; a connection the server closed (while the body was still being sent,
    /// say) is an error rather than a panic.
    pub fn try_send_raw(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Result<Reply, String> {
        let mut r = self
            .req(method, path)
            .set("Content-Type", "application/json");
        for (k, v) in headers {
            r = r.set(k, v);
        }
        match r.send_string(body) {
            Err(ureq::Error::Transport(t)) => Err(t.to_string()),
            other => Ok(self.take(other)),
        }
    }

    pub fn answer(
        &mut self,
        vacancy: &str,
        candidate: &str,
        q: &str,
        score: i64,
        evidence: &str,
    ) -> (u16, serde_json::Value) {
        self.send(
            "PUT",
            &format!("/api/v1/sheets/{vacancy}/{candidate}/answers/{q}"),
            &serde_json::json!({ "score": score, "evidence": evidence }),
        )
    }

    pub fn submit(&mut self, vacancy: &str, candidate: &str) -> (u16, serde_json::Value) {
        self.send(
            "POST",
            &format!("/api/v1/sheets/{vacancy}/{candidate}/submit"),
            &serde_json::json!({}),
        )
    }

    /// A plain HTML form post, as a browser without JavaScript sends it.
    pub fn form(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let r = self.change("POST", path).send_form(fields);
        self.take(r)
    }
}
