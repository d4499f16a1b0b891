//! serve, panel invite, panel sign-out

use super::Ctx;
use crate::actions::{identity, panel as act};
use crate::cli::{Format, ServeArgs};
use crate::output::emit;
use crate::record::fact::InvitePurpose;
use anyhow::{anyhow, Result};
use serde::Serialize;
use std::io::Write;

pub fn serve(ctx: &mut Ctx, a: ServeArgs) -> Result<()> {
    let mut store = ctx.store()?;
    ctx.authenticate(&mut store, None)?;
    // The person who started the server, proved by their passphrase, gets their own link.
    let me = store.actor().authenticated_person();
    let opts = crate::serve::Options {
        addr: a.addr,
        lan: a.lan,
        tls: a.tls,
        cert: a.cert,
        key: a.key,
        public_url: a.public_url,
    };
    crate::serve::run(store, opts, &mut ctx.out, move |store, base| {
        let Some(id) = me else { return Ok(None) };
        let (token, expires) = store.write(|tx| identity::invite(tx, id, InvitePurpose::Web))?;
        let url = crate::serve::join_url(base, &token);
        Ok(Some((
            format!("{url}\n{}", crate::serve::qr(&url)),
            expires,
        )))
    })
}

#[derive(Serialize)]
struct Invited {
    panellist: String,
    url: String,
    expires_at: String,
}

pub fn invite(
    ctx: &mut Ctx,
    vacancy: &str,
    panellist: &str,
    url: Option<String>,
    format: Format,
) -> Result<()> {
    let mut store = ctx.store()?;
    let base = match url {
        Some(u) => u,
        None => crate::serve::running_url(store.path()).ok_or_else(|| {
            anyhow!(
                "no server is running on this database: start one with `fairpanel serve` (or give its \
                 address with --url)"
            )
        })?,
    };
    if !(base.starts_with("http://") || base.starts_with("https://")) {
        return Err(crate::Usage(format!(
            "--url {base:?} needs to start with http:// or https://"
        ))
        .into());
    }
    ctx.authenticate(&mut store, None)?;
    let (token, expires_at) = store.write(|tx| act::web_invite(tx, vacancy, panellist))?;
    let v = Invited {
        panellist: panellist.to_string(),
        url: crate::serve::join_url(&base, &token),
        expires_at,
    };
    emit(&mut ctx.out, format, &v, |v| {
        format!(
            "{}'s personal link for {vacancy} (give it to them privately: it works once, on the device that \
             opens it first; it expires {}):\n  {}\n{}",
            crate::model::display_safe(&v.panellist),
            v.expires_at,
            v.url,
            crate::serve::qr(&v.url)
        )
    })
}

pub fn sign_out(ctx: &mut Ctx, vacancy: &str, name: &str, reason: &str) -> Result<()> {
    let mut store = ctx.store()?;
    ctx.authenticate(&mut store, None)?;
    let n = store.write(|tx| act::sign_out(tx, vacancy, name, reason))?;
    writeln!(
        ctx.out,
        "Ended {n} browser session(s) of {}.",
        crate::model::display_safe(name)
    )?;
    Ok(())
}
