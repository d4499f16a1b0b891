//! Routes, handlers and the guards every request passes: host check, security headers, limits,
//! CSRF, sessions and refusal logging.

use super::limit::Limiter;
use super::{views, Db};
use crate::actions::{decision as decide_act, identity, panel as panel_act, scoring};
use crate::record::chain::{Actor, Auth};
use crate::record::people::Person;
use crate::store::{Loaded, Store};
use axum::body::Body;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post, put};
use axum::{Form, Json, Router};
use handlebars::Handlebars;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use subtle::ConstantTimeEq;

/// Largest request body accepted: an evidence note at its longest, with room to spare.
pub const MAX_BODY: usize = 64 * 1024;
/// A request that takes longer than this is cut off.
pub const REQUEST_TIME: Duration = Duration::from_secs(15);

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
    connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
/// The decision report is a self-contained document with its own inline styles and no script.
const REPORT_CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const APP_JS: &str = include_str!("static/app.js");
const STYLE_CSS: &str = include_str!("static/style.css");

pub struct App {
    db: Db,
    hbs: Handlebars<'static>,
    secure: bool,
    origin: String,
    hosts: Vec<String>,
    /// Refused token exchanges, per address.
    join_refused: Limiter,
    /// All token exchanges, across addresses.
    join_all: Limiter,
    /// Changes, per session.
    writes: Limiter,
    /// Autosaves waiting to be recorded together (see [`App::save_batched`]).
    saves: Arc<std::sync::Mutex<Vec<SaveJob>>>,
}

/// One autosave waiting for the next batch.
struct SaveJob {
    session_sha256: String,
    vacancy: String,
    candidate: String,
    question: String,
    score: i64,
    evidence: String,
    reply: tokio::sync::oneshot::Sender<Result<(scoring::Saved, bool), Fail>>,
}

type Shared = Arc<App>;

/// Why a request was refused, for the log line the guard writes.
#[derive(Clone)]
struct Refusal(String);

/// A refusal or failure: its status and a message for people.
pub struct Fail {
    status: StatusCode,
    message: String,
}

impl Fail {
    fn new(status: StatusCode, message: impl Into<String>) -> Fail {
        Fail {
            status,
            message: message.into(),
        }
    }
    fn forbidden(m: impl Into<String>) -> Fail {
        Fail::new(StatusCode::FORBIDDEN, m)
    }
    /// An action's refusal (a rule), or a damaged record.
    fn of(e: anyhow::Error) -> Fail {
        if e.downcast_ref::<crate::store::Altered>().is_some()
            || e.downcast_ref::<crate::record::Altered>().is_some()
        {
            return Fail::new(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}"));
        }
        Fail::new(StatusCode::UNPROCESSABLE_ENTITY, format!("{e:#}"))
    }
    fn not_found(e: anyhow::Error) -> Fail {
        match Fail::of(e) {
            f if f.status == StatusCode::INTERNAL_SERVER_ERROR => f,
            f => Fail::new(StatusCode::NOT_FOUND, f.message),
        }
    }
    fn api(self) -> Response {
        let mut r = (self.status, Json(json!({ "error": self.message }))).into_response();
        r.extensions_mut().insert(Refusal(self.message));
        r
    }
}

impl App {
    pub fn new(
        store: Store,
        secure: bool,
        origin: &str,
        hosts: Vec<String>,
    ) -> anyhow::Result<App> {
        let mut hbs = Handlebars::new();
        // Optional fields (an error, a probe list) are simply absent: not strict.
        hbs.set_strict_mode(false);
        hbs.register_escape_fn(|s| handlebars::html_escape(&crate::model::display_safe(s)));
        for (name, text) in [
            ("head", include_str!("templates/head.hbs")),
            ("foot", include_str!("templates/foot.hbs")),
            ("home", include_str!("templates/home.hbs")),
            ("message", include_str!("templates/message.hbs")),
            ("join", include_str!("templates/join.hbs")),
            ("candidates", include_str!("templates/candidates.hbs")),
            ("question", include_str!("templates/question.hbs")),
            ("review", include_str!("templates/review.hbs")),
            ("board", include_str!("templates/board.hbs")),
            ("reveal", include_str!("templates/reveal.hbs")),
        ] {
            hbs.register_template_string(name, text)?;
        }
        handlebars::handlebars_helper!(eq: |a: Json, b: Json| a == b);
        hbs.register_helper("eq", Box::new(eq));
        Ok(App {
            db: Db::new(store),
            hbs,
            secure,
            origin: origin.trim_end_matches('/').to_string(),
            hosts,
            join_refused: Limiter::new(0.1, 10.0),
            join_all: Limiter::new(20.0, 300.0),
            writes: Limiter::new(5.0, 60.0),
            saves: Arc::new(std::sync::Mutex::new(Vec::new())),
        })
    }

    pub fn router(self) -> Router {
        let app: Shared = Arc::new(self);
        let headers = [
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::X_FRAME_OPTIONS, "DENY"),
            (header::CACHE_CONTROL, "no-store"),
        ];
        let mut r = Router::new()
            .route("/", get(home))
            .route("/join/{token}", get(join_page))
            .route("/join", post(join))
            .route("/signout", post(sign_out_self))
            .route("/score/{vacancy}", get(candidates_page))
            .route(
                "/score/{vacancy}/{candidate}",
                get(question_page).post(answer_form),
            )
            .route("/score/{vacancy}/{candidate}/review", get(review_page))
            .route("/score/{vacancy}/{candidate}/submit", post(submit_form))
            .route("/reveal/{vacancy}/{candidate}", get(reveal_page))
            .route(
                "/reveal/{vacancy}/{candidate}/moderate",
                post(moderate_form),
            )
            .route("/chair/{vacancy}", get(board_page))
            .route("/chair/{vacancy}/decide", post(decide_form))
            .route("/chair/{vacancy}/stand-down", post(stand_down_form))
            .route("/chair/{vacancy}/sign-out", post(sign_out_form))
            .route("/chair/{vacancy}/report", get(report_view))
            .route("/chair/{vacancy}/report/download", get(report_download))
            .route("/static/app.js", get(app_js))
            .route("/static/style.css", get(style_css))
            .route("/api/v1/me", get(api_me))
            .route("/api/v1/sheets/{vacancy}/{candidate}", get(api_sheet))
            .route(
                "/api/v1/sheets/{vacancy}/{candidate}/answers/{question}",
                put(api_answer),
            )
            .route(
                "/api/v1/sheets/{vacancy}/{candidate}/submit",
                post(api_submit),
            )
            .route("/api/v1/reveal/{vacancy}/{candidate}", get(api_reveal))
            .route("/api/v1/board/{vacancy}", get(api_board))
            .fallback(not_found)
            .layer(DefaultBodyLimit::max(MAX_BODY))
            .layer(tower_http::limit::RequestBodyLimitLayer::new(MAX_BODY))
            .layer(tower_http::timeout::TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                REQUEST_TIME,
            ))
            .layer(axum::middleware::from_fn_with_state(app.clone(), guard))
            .layer(
                tower_http::set_header::SetResponseHeaderLayer::if_not_present(
                    header::CONTENT_SECURITY_POLICY,
                    HeaderValue::from_static(CSP),
                ),
            );
        for (name, value) in headers {
            r = r.layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
                name,
                HeaderValue::from_static(value),
            ));
        }
        r.layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
            header::HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ))
        .with_state(app)
    }

    fn cookie_name(&self) -> &'static str {
        if self.secure {
            "__Host-fp_session"
        } else {
            "fp_session"
        }
    }

    fn render(&self, status: StatusCode, template: &str, data: &serde_json::Value) -> Response {
        match self.hbs.render(template, data) {
            Ok(html) => (
                status,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                html,
            )
                .into_response(),
            Err(e) => {
                eprintln!("{} error rendering {template}: {e}", crate::model::now());
                (StatusCode::INTERNAL_SERVER_ERROR, "page could not be shown").into_response()
            }
        }
    }

    /// A page saying why something was refused.
    fn page_fail(&self, f: Fail, me: Option<&str>) -> Response {
        let title = match f.status {
            StatusCode::FORBIDDEN if f.message.contains("sealed until") => "Scores still sealed",
            StatusCode::UNAUTHORIZED => "Open your personal link",
            StatusCode::FORBIDDEN => "Not available to you",
            StatusCode::NOT_FOUND => "Page not found",
            StatusCode::TOO_MANY_REQUESTS => "Too many attempts",
            s if s.is_server_error() => "Something went wrong",
            _ => "That could not be saved",
        };
        let mut r = self.render(
            f.status,
            "message",
            &json!({ "title": title, "message": sentence(&f.message), "me": me }),
        );
        r.extensions_mut().insert(Refusal(f.message));
        r
    }

    /// Run `f` as the person whose live session this is, with them as the actor of anything it
    /// records.
    async fn as_person<T: Send + 'static>(
        &self,
        s: &Sess,
        f: impl FnOnce(&mut Store, &Person) -> Result<T, Fail> + Send + 'static,
    ) -> Result<T, Fail> {
        let hash = s.hash.clone();
        self.db
            .run(move |store| {
                let me = store.session(&hash).map_err(Fail::of)?.ok_or_else(|| {
                    Fail::new(
                        StatusCode::UNAUTHORIZED,
                        "you are not signed in, or your session has ended or expired: open your personal \
                         link again, or ask the chair for a new one",
                    )
                })?;
                store.set_actor(Actor::person(me.id, Auth::Session));
                f(store, &me)
            })
            .await
    }

    /// Record an autosave. Autosaves that arrive while the database is busy are recorded together in
    /// one transaction, each as its own panellist's act through the same action as `fairpanel score`:
    /// one flush to disk for the batch instead of one for each (an acknowledged answer is on disk).
    async fn save_batched(
        &self,
        session_sha256: String,
        vacancy: String,
        candidate: String,
        question: String,
        score: i64,
        evidence: String,
    ) -> Result<(scoring::Saved, bool), Fail> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.saves
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(SaveJob {
                session_sha256,
                vacancy,
                candidate,
                question,
                score,
                evidence,
                reply: tx,
            });
        let queue = self.saves.clone();
        self.db
            .run(move |store| {
                let jobs = std::mem::take(&mut *queue.lock().unwrap_or_else(|e| e.into_inner()));
                if !jobs.is_empty() {
                    save_batch(store, jobs);
                }
            })
            .await;
        rx.await.unwrap_or_else(|_| {
            Err(Fail::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the answer could not be saved: try again",
            ))
        })
    }

    /// A change is allowed: it comes from this site (Sec-Fetch-Site, else Origin when a browser sent
    /// one), carries the session's CSRF token, and the session is within its write limit.
    fn check_change(&self, s: &Sess, headers: &HeaderMap, token: Option<&str>) -> Result<(), Fail> {
        self.check_site(headers)?;
        let expected = csrf_token(&s.token);
        let given = token.unwrap_or("");
        if !bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
            return Err(Fail::forbidden(
                "the form's security token is missing or wrong: reload the page and try again",
            ));
        }
        if !self.writes.take(&s.hash) {
            return Err(Fail::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too many changes at once: wait a few seconds and try again",
            ));
        }
        Ok(())
    }

    fn check_site(&self, headers: &HeaderMap) -> Result<(), Fail> {
        let cross = || Fail::forbidden("refused: the request came from another site");
        if let Some(site) = headers.get("sec-fetch-site") {
            if site.as_bytes() != b"same-origin" {
                return Err(cross());
            }
        }
        if let Some(origin) = headers.get(header::ORIGIN) {
            // Browsers send "null" under Referrer-Policy: no-referrer; Sec-Fetch-Site decided above.
            if origin.as_bytes() != b"null" && origin.as_bytes() != self.origin.as_bytes() {
                return Err(cross());
            }
        }
        Ok(())
    }
}

/// A message as a sentence: the actions' refusals start in lower case, to follow "error: ".
fn sentence(m: &str) -> String {
    let mut c = m.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A session as presented: the cookie's token and its hash.
struct Sess {
    token: String,
    hash: String,
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn session(app: &App, headers: &HeaderMap) -> Option<Sess> {
    let token = cookie(headers, app.cookie_name()).filter(|t| !t.is_empty() && t.len() < 100)?;
    Some(Sess {
        hash: identity::token_sha256(&token),
        token,
    })
}

fn need_session(app: &App, headers: &HeaderMap) -> Result<Sess, Fail> {
    session(app, headers).ok_or_else(|| {
        Fail::new(
            StatusCode::UNAUTHORIZED,
            "you are not signed in: open the personal link the chair gave you",
        )
    })
}

/// The CSRF token of a session: derived from the session token, so only its holder can know it.
fn csrf_token(session: &str) -> String {
    let mut m = Hmac::<Sha256>::new_from_slice(session.as_bytes()).expect("any key length");
    m.update(b"fairpanel csrf v1");
    hex::encode(m.finalize().into_bytes())
}

fn load(store: &Store, vacancy: &str) -> Result<Loaded, Fail> {
    store.vacancy(vacancy).map_err(Fail::not_found)
}

/// The person sits on this vacancy's panel (and has not stood down).
fn on_panel(l: &Loaded, me: &Person) -> Result<(), Fail> {
    match l.state.member(me.id) {
        Some(m) if m.active() => Ok(()),
        Some(_) => Err(Fail::forbidden(format!(
            "you have stood down from the panel for {}",
            l.state.id
        ))),
        None => Err(Fail::forbidden(format!(
            "you are not on the panel for {}",
            l.state.id
        ))),
    }
}

/// As [`on_panel`], from the panel table alone: for writes, whose action checks membership again
/// against the verified record, so the record is not read twice.
fn on_panel_quick(store: &Store, me: &Person, vacancy: &str) -> Result<(), Fail> {
    if store
        .panels_of(me.id)
        .map_err(Fail::of)?
        .iter()
        .any(|(v, _)| v == vacancy)
    {
        Ok(())
    } else {
        Err(Fail::forbidden(format!(
            "you are not on the panel for {vacancy}"
        )))
    }
}

fn is_chair(l: &Loaded, me: &Person) -> bool {
    l.state.chair().is_some_and(|c| c.person == me.id)
}

fn chair_only(l: &Loaded, me: &Person) -> Result<(), Fail> {
    if is_chair(l, me) {
        Ok(())
    } else {
        Err(Fail::forbidden(format!(
            "this is for the chair of {} only",
            l.state.id
        )))
    }
}

fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

fn path_part(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

// ---------- the guard ----------

/// Every request: the Host must be this server's (a page on another site cannot reach it through
/// DNS rebinding), API errors are JSON, and every refusal is logged (one line on standard error,
/// never with a token in it).
async fn guard(
    State(app): State<Shared>,
    ConnectInfo(super::Peer(peer)): ConnectInfo<super::Peer>,
    req: Request,
    next: Next,
) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let shown_path = if path.starts_with("/join/") {
        "/join/…".to_string()
    } else {
        path.clone()
    };
    let host_ok = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|h| app.hosts.iter().any(|a| a.eq_ignore_ascii_case(h)));
    let api = path.starts_with("/api/");
    let mut resp = if host_ok {
        next.run(req).await
    } else {
        Fail::new(StatusCode::MISDIRECTED_REQUEST, "unknown host name").api()
    };
    let status = resp.status();
    if status.is_client_error() || status.is_server_error() {
        let reason = match resp.extensions().get::<Refusal>() {
            Some(r) => r.0.clone(),
            None => status
                .canonical_reason()
                .unwrap_or("refused")
                .to_lowercase(),
        };
        if status != StatusCode::NOT_FOUND || api {
            eprintln!(
                "{} refused {method} {shown_path} from {}: {} {}",
                crate::model::now(),
                peer.ip(),
                status.as_u16(),
                crate::model::display_safe(&reason).replace('\n', " ")
            );
        }
        let is_json = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|c| c.as_bytes().starts_with(b"application/json"));
        if api && !is_json {
            let keep: Vec<_> = resp
                .headers()
                .iter()
                .filter(|(k, _)| *k != header::CONTENT_TYPE && *k != header::CONTENT_LENGTH)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            resp = (status, Json(json!({ "error": reason }))).into_response();
            for (k, v) in keep {
                resp.headers_mut().insert(k, v);
            }
        }
    }
    resp
}

async fn not_found(State(app): State<Shared>, method: Method, uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        return Fail::new(
            StatusCode::NOT_FOUND,
            format!("no such API call: {method} {}", uri.path()),
        )
        .api();
    }
    app.page_fail(
        Fail::new(StatusCode::NOT_FOUND, "There is no page at this address."),
        None,
    )
}

async fn app_js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        APP_JS,
    )
        .into_response()
}

async fn style_css() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        STYLE_CSS,
    )
        .into_response()
}

// ---------- signing in ----------

const JOIN_COOKIE: &str = "fp_join";

async fn join_page(State(app): State<Shared>, Path(token): Path<String>) -> Response {
    // The link is only looked at here; exchanging it takes the button below, so a link preview or
    // a scanner fetching the address does not use it up.
    let check = identity::new_token();
    let mut r = app.render(
        StatusCode::OK,
        "join",
        &json!({ "title": "Start scoring", "token": token, "check": check, "me": null }),
    );
    let secure = if app.secure { "; Secure" } else { "" };
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{JOIN_COOKIE}={check}; Path=/join; HttpOnly; SameSite=Strict; Max-Age=3600{secure}"
    )) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

async fn join(
    State(app): State<Shared>,
    ConnectInfo(super::Peer(peer)): ConnectInfo<super::Peer>,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let ip = peer.ip().to_string();
    if let Err(e) = app.check_site(&headers) {
        return app.page_fail(e, None);
    }
    let check = f.get("check").map(String::as_str).unwrap_or("");
    let cookie_check = cookie(&headers, JOIN_COOKIE).unwrap_or_default();
    if check.is_empty() || !bool::from(check.as_bytes().ct_eq(cookie_check.as_bytes())) {
        return app.page_fail(
            Fail::forbidden("this sign-in form has expired: open your personal link again"),
            None,
        );
    }
    if !app.join_refused.has(&ip) || !app.join_all.take("all") {
        return app.page_fail(
            Fail::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too many links that did not work were tried from this device: wait a few minutes",
            ),
            None,
        );
    }
    let token = f.get("token").cloned().unwrap_or_default();
    let out = app
        .db
        .run(move |store| {
            if token.len() > 100 {
                anyhow::bail!("that invitation is not valid");
            }
            store.write(|tx| identity::redeem_web(tx, &token))
        })
        .await;
    match out {
        Ok((_, session, _)) => {
            let secure = if app.secure { "; Secure" } else { "" };
            let mut r = see_other("/");
            let cookies = [
                format!(
                    "{}={session}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
                    app.cookie_name(),
                    identity::SESSION_HOURS * 3600
                ),
                format!("{JOIN_COOKIE}=; Path=/join; HttpOnly; SameSite=Strict; Max-Age=0{secure}"),
            ];
            for c in cookies {
                if let Ok(v) = HeaderValue::from_str(&c) {
                    r.headers_mut().append(header::SET_COOKIE, v);
                }
            }
            r
        }
        Err(e) => {
            app.join_refused.spend(&ip);
            app.page_fail(Fail::forbidden(format!("{e:#}")), None)
        }
    }
}

async fn sign_out_self(
    State(app): State<Shared>,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let s = match need_session(&app, &headers) {
        Ok(s) => s,
        Err(e) => return app.page_fail(e, None),
    };
    if let Err(e) = app.check_change(&s, &headers, f.get("csrf").map(String::as_str)) {
        return app.page_fail(e, None);
    }
    let hash = s.hash.clone();
    let out = app
        .as_person(&s, move |store, me| {
            let id = me.id;
            store
                .write(|tx| identity::end_session(tx, id, &hash, "signed out"))
                .map_err(Fail::of)
        })
        .await;
    if let Err(e) = out {
        return app.page_fail(e, None);
    }
    let secure = if app.secure { "; Secure" } else { "" };
    let mut r = app.render(
        StatusCode::OK,
        "message",
        &json!({ "title": "Signed out", "message": "You are signed out on this device. To score again, ask the chair for a new personal link.", "me": null }),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}",
        app.cookie_name()
    )) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

// ---------- JSON API ----------

fn me_view(store: &Store, me: &Person, s_token: &str, s_hash: &str) -> Result<views::Me, Fail> {
    let panels = store
        .panels_of(me.id)
        .map_err(Fail::of)?
        .into_iter()
        .map(|(vacancy, chair)| {
            let title = store
                .vacancy(&vacancy)
                .map(|l| l.state.title.clone())
                .unwrap_or_default();
            views::PanelRef {
                vacancy,
                title,
                chair,
            }
        })
        .collect();
    Ok(views::Me {
        id: me.id,
        name: me.name.clone(),
        panels,
        session_expires: me
            .live_session(s_hash, &crate::model::now())
            .map(|s| s.expires_at.clone())
            .unwrap_or_default(),
        csrf: csrf_token(s_token),
    })
}

async fn api_me(State(app): State<Shared>, headers: HeaderMap) -> Response {
    let s = match need_session(&app, &headers) {
        Ok(s) => s,
        Err(e) => return e.api(),
    };
    let (t, h) = (s.token.clone(), s.hash.clone());
    match app
        .as_person(&s, move |store, me| me_view(store, me, &t, &h))
        .await
    {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.api(),
    }
}

async fn api_sheet(
    State(app): State<Shared>,
    headers: HeaderMap,
    Path((vacancy, candidate)): Path<(String, String)>,
) -> Response {
    let s = match need_session(&app, &headers) {
        Ok(s) => s,
        Err(e) => return e.api(),
    };
    match app
        .as_person(&s, move |store, me| {
            let l = load(store, &vacancy)?;
            on_panel(&l, me)?;
            views::sheet(&l, me, &candidate).map_err(Fail::not_found)
        })
        .await
    {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.api(),
    }
}

#[derive(Deserialize)]
struct AnswerBody {
    score: i64,
    evidence: String,
}

#[derive(Serialize)]
struct AnswerOut {
    #[serde(flatten)]
    saved: scoring::Saved,
    /// The same answer was already saved: nothing new was recorded.
    unchanged: bool,
}

/// Save one answer on the session's own sheet (through the same action as `fairpanel score`).
fn save_answer(
    store: &mut Store,
    me: &Person,
    vacancy: &str,
    candidate: &str,
    question: &str,
    score: i64,
    evidence: &str,
) -> Result<(scoring::Saved, bool), Fail> {
    on_panel_quick(store, me, vacancy)?;
    let name = me.name.clone();
    store
        .write(|tx| {
            scoring::answer_if_changed(
                tx,
                scoring::Given {
                    vacancy,
                    reference: candidate,
                    panellist: &name,
                    question,
                    score,
                    evidence,
                    correction: None,
                    transcribed: None,
                },
            )
        })
        .map_err(Fail::of)
}

async fn api_answer(
    State(app): State<Shared>,
    headers: HeaderMap,
    Path((vacancy, candidate, question)): Path<(String, String, String)>,
    body: Result<Json<AnswerBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let s = match need_session(&app, &headers) {
        Ok(s) => s,
        Err(e) => return e.api(),
    };
    if let Err(e) = app.check_change(&s, &headers, csrf_header(&headers)) {
        return e.api();
    }
    let Json(b) = match body {
        Ok(b) => b,
        Err(e) => return Fail::new(e.status(), e.body_text()).api(),
    };
    match app
        .save_batched(
            s.hash.clone(),
            vacancy,
            candidate,
            question,
            b.score,
            b.evidence,
        )
        .await
    {
        Ok((saved, recorded)) => Json(AnswerOut {
            saved,
            unchanged: !recorded,
        })
        .into_response(),
        Err(e) => e.api(),
    }
}

/// Record a batch of autosaves in one write. Each is checked on its own (a live session, a member
/// of the panel, the action's rules) and refused on its own; the answer action checks everything
/// before it appends, so a refused one leaves nothing behind for the others.
fn save_batch(store: &mut Store, jobs: Vec<SaveJob>) {
    let now = crate::model::now();
    let mut results: Vec<Result<(scoring::Saved, bool), Fail>> = Vec::with_capacity(jobs.len());
    let written = store.write(|tx| {
        for j in &jobs {
            let r = (|| {
                let expired = || {
                    Fail::new(
                        StatusCode::UNAUTHORIZED,
                        "you are not signed in, or your session has ended or expired: open your personal \
                         link again, or ask the chair for a new one",
                    )
                };
                let id = tx
                    .session_person(&j.session_sha256)
                    .map_err(Fail::of)?
                    .ok_or_else(expired)?;
                let me = tx.person(id).map_err(Fail::of)?;
                if me.live_session(&j.session_sha256, &now).is_none() {
                    return Err(expired());
                }
                let name = me.name.clone();
                let v = tx.vacancy(&j.vacancy).map_err(Fail::not_found)?;
                if !v.member(id).is_some_and(|m| m.active()) {
                    return Err(Fail::forbidden(format!(
                        "you are not on the panel for {}",
                        j.vacancy
                    )));
                }
                tx.set_actor(Actor::person(id, Auth::Session));
                scoring::answer_if_changed(
                    tx,
                    scoring::Given {
                        vacancy: &j.vacancy,
                        reference: &j.candidate,
                        panellist: &name,
                        question: &j.question,
                        score: j.score,
                        evidence: &j.evidence,
                        correction: None,
                        transcribed: None,
                    },
                )
                .map_err(Fail::of)
            })();
            results.push(r);
        }
        Ok(())
    });
    match written {
        Ok(()) => {
            for (j, r) in jobs.into_iter().zip(results) {
                let _ = j.reply.send(r);
            }
        }
        Err(e) => {
            let msg = format!("the answer could not be saved: {e:#}");
            for j in jobs {
                let _ = j
                    .reply
                    .send(Err(Fail::new(StatusCode::SERVICE_UNAVAILABLE, msg.clone())));
            }
        }
    }
}

fn csrf_header(h: &HeaderMap) -> Option<&str> {
    h.get("x-csrf-token").and_then(|v| v.to_str().ok())
}

fn submit_sheet(
    store: &mut Store,
    me: &Person,
    vacancy: &str,
    candidate: &str,
) -> Result<scoring::Submitted, Fail> {
    on_panel_quick(store, me, vacancy)?;
    let name = me.name.clone();
    store
        .write(|tx| scoring::submit(tx, vacancy, candidate, &name, None))
        .map_err(Fail::of)
}

async fn api_submit(
    State(app): State<Shared>,
    headers: HeaderMap,
    Path((vacancy, candidate)): Path<(String, String)>,
) -> Response {
    let s = match need_session(&app, &headers) {
        Ok(s) => s,
        Err(e) => return e.api(),
    };
    if let Err(e) = app.check_change(&s, &headers, csrf_header(&headers)) {
        return e.api();
    }
    match app
        .as_person(&s, move |store, me| {
            submit_sheet(store, me, &vacancy, &candidate)
        })
        .await
    {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.api(),
    }
}

/// The reveal, for anyone on the panel: refused, with the reason, until every sheet is in.
fn reveal_view(
    store: &Store,
    me: &Person,
    vacancy: &str,
    candidate: &str,
) -> Result<(Loaded, crate::report::text::RevealView), Fail> {
    let l = load(store, vacancy)?;
    if l.state.member(me.id).is_none() {
        return Err(Fail::forbidden(format!(
            "you are not on the panel for {vacancy}"
        )));
    }
    if l.state.candidate(candidate).is_none_or(|c| !c.interview) {
        return Err(Fail::new(
            StatusCode::NOT_FOUND,
            format!("vacancy {vacancy} has no candidate {candidate:?}"),
        ));
    }
    if !l.state.is_revealed(candidate) {
        // Who is still out, and nothing more (not how far anyone has got).
        let waiting: Vec<String> = l
            .state
            .active_panel()
            .filter(|m| {
                !l.state
                    .sheet(candidate, m.person)
                    .is_some_and(|s| s.submitted.is_some() && s.is_live())
            })
            .map(|m| {
                l.people
                    .get(m.person)
                    .map_or_else(|| format!("person {}", m.person), |p| p.name.clone())
            })
            .collect();
        return Err(Fail::forbidden(format!(
            "the scores for {candidate} are sealed until every panellist has submitted: not yet submitted: {}",
            waiting.join(", ")
        )));
    }
    let v =
        crate::report::text::RevealView::build(&l, candidate).map_err(|e| match Fail::of(e) {
            f if f.status.is_server_error() => f,
            f => Fail::forbidden(f.message),
        })?;
    Ok((l, v))
}

async fn api_reveal(
    State(app): State<Shared>,
    headers: HeaderMap,
    Path((vacancy, candidate)): Path<(String, String)>,
) -> Response {
    let s = match need_session(&app, &headers) {
        Ok(s) => s,
        Err(e) => return e.api(),
    };
    match app
        .as_person(&s, move |store, me| {
            reveal_view(store, me, &vacancy, &candidate).map(|(_, v)| v)
        })
        .await
    {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.api(),
    }
}

async fn api_board(
    State(app): State<Shared>,
    headers: HeaderMap,
    Path(vacancy): Path<String>,
) -> Response {
    let s = match need_session(&app, &headers) {
        Ok(s) => s,
        Err(e) => return e.api(),
    };
    match app
        .as_person(&s, move |store, me| {
            let l = load(store, &vacancy)?;
            if l.state.member(me.id).is_none() {
                return Err(Fail::forbidden(format!(
                    "you are not on the panel for {vacancy}"
                )));
            }
            Ok(views::board(&l))
        })
        .await
    {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.api(),
    }
}

// ---------- pages ----------

/// Run a page's work as the session's person; a refusal becomes a page saying why.
async fn page<F>(app: &Shared, headers: &HeaderMap, f: F) -> Response
where
    F: FnOnce(
            &mut Store,
            &Person,
            &str,
        ) -> Result<(StatusCode, &'static str, serde_json::Value), Fail>
        + Send
        + 'static,
{
    let s = match need_session(app, headers) {
        Ok(s) => s,
        Err(e) => return app.page_fail(e, None),
    };
    let csrf = csrf_token(&s.token);
    let out = app
        .as_person(&s, move |store, me| {
            f(store, me, &csrf).map(|(st, t, mut data)| {
                data["me"] = json!(me.name);
                data["csrf"] = json!(csrf);
                (st, t, data)
            })
        })
        .await;
    match out {
        Ok((StatusCode::SEE_OTHER, _, data)) => see_other(data["redirect"].as_str().unwrap_or("/")),
        Ok((status, template, data)) => app.render(status, template, &data),
        Err(e) => app.page_fail(e, None),
    }
}

async fn home(State(app): State<Shared>, headers: HeaderMap) -> Response {
    if session(&app, &headers).is_none() {
        return app.render(
            StatusCode::OK,
            "message",
            &json!({
                "title": "Score an interview",
                "message": "To score, open the personal link the panel chair gave you (or scan its QR code). Each link works once, on one device.",
                "me": null
            }),
        );
    }
    let s = session(&app, &headers).expect("checked");
    let (t, h) = (s.token.clone(), s.hash.clone());
    page(&app, &headers, move |store, me, _| {
        let v = me_view(store, me, &t, &h)?;
        Ok((
            StatusCode::OK,
            "home",
            json!({ "title": "Your panels", "panels": v.panels, "expires": v.session_expires }),
        ))
    })
    .await
}

async fn candidates_page(
    State(app): State<Shared>,
    headers: HeaderMap,
    Path(vacancy): Path<String>,
) -> Response {
    page(&app, &headers, move |store, me, _| {
        let l = load(store, &vacancy)?;
        on_panel(&l, me)?;
        let rows = views::candidates(&l, me);
        Ok((
            StatusCode::OK,
            "candidates",
            json!({
                "title": format!("Candidates to score · {}", l.state.title),
                "vacancy": l.state.id,
                "vacancy_title": l.state.title,
                "chair": is_chair(&l, me),
                "candidates": rows,
            }),
        ))
    })
    .await
}

#[derive(Deserialize)]
struct QuestionQuery {
    q: Option<usize>,
}

fn question_data(
    sheet: &views::SheetView,
    n: usize,
    error: Option<&str>,
    typed: Option<(Option<i64>, &str)>,
) -> serde_json::Value {
    let total = sheet.questions.len();
    let n = n.clamp(1, total.max(1));
    let mut q = serde_json::to_value(&sheet.questions[n - 1]).unwrap_or_default();
    if let Some((score, evidence)) = typed {
        q["evidence"] = json!(evidence);
        if let Some(a) = q["anchors"].as_array_mut() {
            for a in a {
                a["checked"] = json!(score.is_some() && a["score"].as_i64() == score);
            }
        }
    }
    json!({
        "title": format!("Question {n} of {total} · {}", sheet.candidate),
        "sheet": sheet,
        "q": q,
        "n": n,
        "total": total,
        "prev": if n > 1 { Some(n - 1) } else { None },
        "last": n == total,
        "error": error.map(sentence),
        "vacancy_path": path_part(&sheet.vacancy),
        "candidate_path": path_part(&sheet.candidate),
    })
}

async fn question_page(
    State(app): State<Shared>,
    headers: HeaderMap,
    Path((vacancy, candidate)): Path<(String, String)>,
    Query(qq): Query<QuestionQuery>,
) -> Response {
    page(&app, &headers, move |store, me, _| {
        let l = load(store, &vacancy)?;
        on_panel(&l, me)?;
        let sheet = views::sheet(&l, me, &candidate).map_err(Fail::not_found)?;
        if !matches!(sheet.status, "open" | "not started") || sheet.questions.is_empty() {
            return Ok((StatusCode::OK, "review", review_data(&sheet)));
        }
        let first_open = sheet
            .questions
            .iter()
            .position(|q| !q.answered)
            .map_or(1, |i| i + 1);
        let n = qq.q.unwrap_or(first_open);
        Ok((
            StatusCode::OK,
            "question",
            question_data(&sheet, n, None, None),
        ))
    })
    .await
}

async fn answer_form(
    State(app): State<Shared>,
    headers: HeaderMap,
    Path((vacancy, candidate)): Path<(String, String)>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let s = match need_session(&app, &headers) {
        Ok(s) => s,
        Err(e) => return app.page_fail(e, None),
    };
    if let Err(e) = app.check_change(&s, &headers, f.get("csrf").map(String::as_str)) {
        return app.page_fail(e, None);
    }
    let question = f.get("question").cloned().unwrap_or_default();
    let n: usize = f.get("n").and_then(|n| n.parse().ok()).unwrap_or(1);
    let go = f.get("go").cloned().unwrap_or_else(|| "next".into());
    let score: Option<i64> = f.get("score").and_then(|s| s.trim().parse().ok());
    let evidence = f.get("evidence").cloned().unwrap_or_default();
    let (v2, c2) = (vacancy.clone(), candidate.clone());
    page(&app, &headers, move |store, me, _| {
        let blank = crate::model::is_blank(&evidence);
        // Going back with nothing given saves nothing.
        let result = match (score, go.as_str()) {
            (None, "prev") if blank => Ok(None),
            (None, _) => Err("choose a score for this question".to_string()),
            (Some(sc), _) => save_answer(store, me, &v2, &c2, &question, sc, &evidence)
                .map(Some)
                .map_err(|e| e.message),
        };
        let l = load(store, &v2)?;
        let sheet = views::sheet(&l, me, &c2).map_err(Fail::not_found)?;
        match result {
            Err(msg) => Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                "question",
                question_data(&sheet, n, Some(&msg), Some((score, &evidence))),
            )),
            Ok(_) => {
                let to = match go.as_str() {
                    "prev" => n.saturating_sub(1).max(1),
                    "review" => 0,
                    _ if n >= sheet.total => 0,
                    _ => n + 1,
                };
                let mut data = json!({});
                data["redirect"] = json!(if to == 0 {
                    format!("/score/{}/{}/review", path_part(&v2), path_part(&c2))
                } else {
                    format!("/score/{}/{}?q={to}", path_part(&v2), path_part(&c2))
                });
                Ok((StatusCode::SEE_OTHER, "", data))
            }
        }
    })
    .await
}

fn review_data(sheet: &views::SheetView) -> serde_json::Value {
    json!({
        "title": format!("Check your scores · {}", sheet.candidate),
        "sheet": sheet,
        "vacancy_path": path_part(&sheet.vacancy),
        "candidate_path": path_part(&sheet.candidate),
    })
}

async fn review_page(
    State(app): State<Shared>,
    headers: HeaderMap,
    Path((vacancy, candidate)): Path<(String, String)>,
) -> Response {
    page(&app, &headers, move |store, me, _| {
        let l = load(store, &vacancy)?;
        on_panel(&l, me)?;
        let sheet = views::sheet(&l, me, &candidate).map_err(Fail::not_found)?;
        Ok((StatusCode::OK, "review", review_data(&sheet)))
    })
    .await
}

async fn submit_form(
    State(app): State<Shared>,
    headers: HeaderMap,
    Path((vacancy, candidate)): Path<(String, String)>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let s = match need_session(&app, &headers) {
        Ok(s) => s,
        Err(e) => return app.page_fail(e, None),
    };
    if let Err(e) = app.check_change(&s, &headers, f.get("csrf").map(String::as_str)) {
        return app.page_fail(e, None);
    }
    if f.get("confirm").map(String::as_str) != Some("yes") {
        return app.page_fail(
            Fail::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "tick the box to confirm you want to submit and seal this sheet",
            ),
            None,
        );
    }
    let back = format!("/score/{}", path_part(&vacancy));
    let out = app
        .as_person(&s, move |store, me| {
            submit_sheet(store, me, &vacancy, &candidate)
        })
        .await;
    match out {
        Ok(_) => see_other(&back),
        Err(e) => app.page_fail(e, None),
    }
}

async fn reveal_page(
    State(app): State<Shared>,
    headers: HeaderMap,
    Path((vacancy, candidate)): Path<(String, String)>,
) -> Response {
    page(&app, &headers, move |store, me, _| {
        let (l, v) = reveal_view(store, me, &vacancy, &candidate)?;
        Ok((StatusCode::OK, "reveal", reveal_data(&l, me, &v, None)))
    })
    .await
}

fn reveal_data(
    l: &Loaded,
    me: &Person,
    v: &crate::report::text::RevealView,
    error: Option<&str>,
) -> serde_json::Value {
    let scale: Vec<i64> = (v.scale[0]..=v.scale[1]).collect();
    let rows: Vec<serde_json::Value> = v
        .questions
        .iter()
        .map(|r| {
            let cells: Vec<serde_json::Value> = v
                .panellists
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    json!({ "panellist": p, "score": r.scores.get(i), "evidence": r.evidence.get(i) })
                })
                .collect();
            let text = l
                .state
                .bank
                .question(&r.question)
                .map(|q| q.text.clone())
                .unwrap_or_default();
            // The form starts at the agreed score, else the independent median: the chair moves it
            // only with a reason.
            let start = r.agreed.unwrap_or(r.median.round() as i64);
            let options: Vec<serde_json::Value> = scale
                .iter()
                .map(|&s| json!({ "value": s, "selected": s == start }))
                .collect();
            json!({ "row": r, "text": text, "cells": cells, "revising": r.agreed.is_some(), "options": options })
        })
        .collect();
    json!({
        "title": format!("Scores side by side · {}", v.candidate),
        "view": v,
        "rows": rows,
        "scale": scale,
        "chair": is_chair(l, me),
        "error": error.map(sentence),
        "vacancy_path": path_part(&v.vacancy),
        "candidate_path": path_part(&v.candidate),
    })
}

async fn moderate_form(
    State(app): State<Shared>,
    headers: HeaderMap,
    Path((vacancy, candidate)): Path<(String, String)>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let s = match need_session(&app, &headers) {
        Ok(s) => s,
        Err(e) => return app.page_fail(e, None),
    };
    if let Err(e) = app.check_change(&s, &headers, f.get("csrf").map(String::as_str)) {
        return app.page_fail(e, None);
    }
    let back = format!("/reveal/{}/{}", path_part(&vacancy), path_part(&candidate));
    page(&app, &headers, move |store, me, _| {
        let l = load(store, &vacancy)?;
        chair_only(&l, me)?;
        let question = f.get("question").cloned().unwrap_or_default();
        let score = f.get("score").and_then(|s| s.trim().parse::<i64>().ok());
        let result = match score {
            None => Err("choose the agreed score".to_string()),
            Some(score) => store
                .write(|tx| {
                    decide_act::moderate(
                        tx,
                        &vacancy,
                        &candidate,
                        &question,
                        score,
                        f.get("reason").map(String::as_str),
                        f.get("revision_reason").map(String::as_str),
                    )
                })
                .map_err(|e| format!("{e:#}")),
        };
        match result {
            Ok(()) => Ok((StatusCode::SEE_OTHER, "", json!({ "redirect": back }))),
            Err(msg) => {
                let (l, v) = reveal_view(store, me, &vacancy, &candidate)?;
                Ok((
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "reveal",
                    reveal_data(&l, me, &v, Some(&msg)),
                ))
            }
        }
    })
    .await
}

fn board_data(
    l: &Loaded,
    error: Option<&str>,
    form: &HashMap<String, String>,
) -> serde_json::Value {
    let board = views::board(l);
    let report = crate::report::decision::from_loaded(l).ok();
    let gaps: Vec<serde_json::Value> = report
        .as_ref()
        .map(|r| {
            r.gaps()
                .iter()
                .map(|g| json!({ "check": g.check, "message": g.message }))
                .collect()
        })
        .unwrap_or_default();
    let unresolved: Vec<String> = report
        .as_ref()
        .map(|r| {
            r.divergence
                .iter()
                .filter(|f| f.data["resolved"] == false)
                .map(|f| {
                    format!(
                        "{} · {}",
                        f.data["candidate"].as_str().unwrap_or(""),
                        f.data["question"].as_str().unwrap_or("")
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let candidates: Vec<serde_json::Value> = board
        .candidates
        .iter()
        .map(|c| json!({ "c": c, "path": path_part(&c.reference) }))
        .collect();
    json!({
        "title": format!("Chair · {}", l.state.title),
        "board": board,
        "candidates": candidates,
        "gaps": gaps,
        "unresolved": unresolved,
        "error": error.map(sentence),
        "form": form,
        "vacancy_path": path_part(&l.state.id),
        "ranking": report.as_ref().map(|r| serde_json::to_value(&r.ranking).unwrap_or_default()),
    })
}

async fn board_page(
    State(app): State<Shared>,
    headers: HeaderMap,
    Path(vacancy): Path<String>,
) -> Response {
    page(&app, &headers, move |store, me, _| {
        let l = load(store, &vacancy)?;
        chair_only(&l, me)?;
        Ok((
            StatusCode::OK,
            "board",
            board_data(&l, None, &HashMap::new()),
        ))
    })
    .await
}

/// A chair's form: checked, then `act` runs in a write as the chair; a refusal shows the board again
/// with the reason and what was typed.
async fn chair_form(
    app: Shared,
    headers: HeaderMap,
    vacancy: String,
    f: HashMap<String, String>,
    act: impl FnOnce(&mut crate::store::Tx<'_>, &str, &HashMap<String, String>) -> anyhow::Result<()>
        + Send
        + 'static,
) -> Response {
    let s = match need_session(&app, &headers) {
        Ok(s) => s,
        Err(e) => return app.page_fail(e, None),
    };
    if let Err(e) = app.check_change(&s, &headers, f.get("csrf").map(String::as_str)) {
        return app.page_fail(e, None);
    }
    let back = format!("/chair/{}", path_part(&vacancy));
    page(&app, &headers, move |store, me, _| {
        let l = load(store, &vacancy)?;
        chair_only(&l, me)?;
        match store.write(|tx| act(tx, &vacancy, &f)) {
            Ok(()) => Ok((StatusCode::SEE_OTHER, "", json!({ "redirect": back }))),
            Err(e) => {
                let l = load(store, &vacancy)?;
                let msg = format!("{e:#}");
                Ok((
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "board",
                    board_data(&l, Some(&msg), &f),
                ))
            }
        }
    })
    .await
}

fn field<'a>(f: &'a HashMap<String, String>, k: &str) -> Option<&'a str> {
    f.get(k)
        .map(String::as_str)
        .filter(|s| !s.trim().is_empty())
}

async fn decide_form(
    State(app): State<Shared>,
    headers: HeaderMap,
    Path(vacancy): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    chair_form(app, headers, vacancy, f, |tx, vacancy, f| {
        let reserves: Vec<String> = f
            .get("reserves")
            .map(|r| {
                r.split([',', ' '])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        decide_act::decide(
            tx,
            vacancy,
            &decide_act::Decision {
                appoint: field(f, "appoint").unwrap_or(""),
                reserves: &reserves,
                rationale: f.get("rationale").map(String::as_str).unwrap_or(""),
                unresolved_reason: field(f, "unresolved_reason"),
                override_gaps: field(f, "override_gaps"),
                revision_reason: field(f, "revision_reason"),
            },
        )
        .map(|_| ())
    })
    .await
}

async fn stand_down_form(
    State(app): State<Shared>,
    headers: HeaderMap,
    Path(vacancy): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    chair_form(app, headers, vacancy, f, |tx, vacancy, f| {
        panel_act::stand_down(
            tx,
            vacancy,
            f.get("name").map(String::as_str).unwrap_or(""),
            f.get("reason").map(String::as_str).unwrap_or(""),
        )
        .map(|_| ())
    })
    .await
}

async fn sign_out_form(
    State(app): State<Shared>,
    headers: HeaderMap,
    Path(vacancy): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    chair_form(app, headers, vacancy, f, |tx, vacancy, f| {
        panel_act::sign_out(
            tx,
            vacancy,
            f.get("name").map(String::as_str).unwrap_or(""),
            f.get("reason").map(String::as_str).unwrap_or(""),
        )
        .map(|_| ())
    })
    .await
}

async fn report_html(
    app: &Shared,
    headers: &HeaderMap,
    vacancy: String,
) -> Result<String, Response> {
    let s = need_session(app, headers).map_err(|e| app.page_fail(e, None))?;
    app.as_person(&s, move |store, me| {
        let l = load(store, &vacancy)?;
        chair_only(&l, me)?;
        let view = crate::report::decision::from_loaded(&l).map_err(Fail::of)?;
        crate::report::render("decision.html", crate::report::Kind::Html, &view).map_err(Fail::of)
    })
    .await
    .map_err(|e| app.page_fail(e, None))
}

async fn report_view(
    State(app): State<Shared>,
    headers: HeaderMap,
    Path(vacancy): Path<String>,
) -> Response {
    match report_html(&app, &headers, vacancy).await {
        Ok(html) => (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CONTENT_SECURITY_POLICY, REPORT_CSP),
            ],
            html,
        )
            .into_response(),
        Err(r) => r,
    }
}

async fn report_download(
    State(app): State<Shared>,
    headers: HeaderMap,
    Path(vacancy): Path<String>,
) -> Response {
    let file: String = vacancy
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    match report_html(&app, &headers, vacancy).await {
        Ok(html) => (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8".to_string()),
                (header::CONTENT_SECURITY_POLICY, REPORT_CSP.to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"decision-{file}.html\""),
                ),
            ],
            Body::from(html),
        )
            .into_response(),
        Err(r) => r,
    }
}
