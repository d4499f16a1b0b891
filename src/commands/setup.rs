//! init, verify, log, backup, ethnicity, key, sign.

use super::Ctx;
use crate::cli::{Format, KeyCmd, VerifyArgs};
use crate::output::{emit, table};
use crate::record::chain::Receipt;
use crate::record::fact::Fact;
use crate::store::{Create, Store};
use anyhow::{anyhow, bail, Result};
use serde::Serialize;
use std::io::Write;
use std::path::Path;

pub fn init(ctx: &mut Ctx, format: Format) -> Result<()> {
    let store = ctx.store_or_create()?;
    #[derive(Serialize)]
    struct View {
        database: String,
        schema_version: i64,
    }
    let v = View {
        database: store.path().display().to_string(),
        schema_version: crate::store::SCHEMA_VERSION,
    };
    emit(&mut ctx.out, format, &v, |v| {
        format!(
            "Database ready: {} (schema {})",
            v.database, v.schema_version
        )
    })
}

#[derive(Serialize)]
struct VerifyView {
    #[serde(flatten)]
    report: crate::store::VerifyReport,
    receipt_checked: Option<ReceiptCheck>,
    signatures: Option<SignatureCheck>,
}

#[derive(Serialize)]
struct ReceiptCheck {
    receipt: String,
    holds: bool,
    detail: String,
}

#[derive(Serialize)]
struct SignatureCheck {
    public_key: String,
    signatures: usize,
    latest_signed: Option<i64>,
    holds: bool,
    detail: String,
}

/// The receipt given: `N:HASH` itself, or a file holding one (a report, an audit, a receipt file).
pub(crate) fn read_receipt(given: &str) -> Result<Receipt> {
    if let Some(r) = Receipt::find(given) {
        return Ok(r);
    }
    // A receipt file may be a whole report or audit: read up to the size of the largest CSV.
    let bytes = crate::fsutil::read_limited(Path::new(given), crate::csvio::MAX_CSV_BYTES)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::InvalidData => anyhow!("{given} is {e}"),
            _ => anyhow!("{given:?} is neither a receipt (N:HASH) nor a readable file ({e})"),
        })?;
    let text = String::from_utf8_lossy(&bytes);
    Receipt::find(&text).ok_or_else(|| anyhow!("{given} holds no receipt (N:HASH)"))
}

pub fn verify(ctx: &mut Ctx, a: VerifyArgs) -> Result<()> {
    let mut store = ctx.store()?;
    let receipt = a.receipt.as_deref().map(read_receipt).transpose()?;
    let public = a
        .public_key
        .as_deref()
        .map(|p| {
            let t = crate::fsutil::read_small_text(p, "the public key ")?;
            let hex = t.split_whitespace().next().unwrap_or_default().to_string();
            crate::record::sign::public_key(&hex).map(|_| hex)
        })
        .transpose()?;
    let report = store.verify_and_mark()?;
    let receipt_checked = match &receipt {
        Some(r) => {
            let at = store.event_hash(r.events)?;
            let holds = report.ok && at.as_deref() == Some(r.head.as_str());
            Some(ReceiptCheck {
                receipt: r.to_string(),
                holds,
                detail: match at {
                    _ if !report.ok => "the record does not verify, so no receipt can be trusted".into(),
                    Some(h) if h == r.head => format!(
                        "the record still holds event {} exactly as it was when the receipt was made",
                        r.events
                    ),
                    Some(_) => format!(
                        "event {} is not the one the receipt names: the record was rewritten after the receipt was made",
                        r.events
                    ),
                    None => format!(
                        "the record has only {} events, fewer than the receipt's {}: it was cut back",
                        report.events, r.events
                    ),
                },
            })
        }
        None => None,
    };
    let signatures = match &public {
        Some(pk) => {
            let sigs = store.signatures()?;
            let mine: Vec<_> = sigs.iter().filter(|s| &s.public_key == pk).collect();
            let latest = mine.iter().map(|s| s.through).max();
            let holds = report.ok && !mine.is_empty();
            Some(SignatureCheck {
                public_key: pk.clone(),
                signatures: mine.len(),
                latest_signed: latest,
                holds,
                detail: match latest {
                    Some(l) if report.ok => format!(
                        "{} signature(s) by this key check; the record up to event {l} is as it was signed. \
                         Compare with the signing log you keep: a missing later signature means the record was \
                         rewritten after it",
                        mine.len()
                    ),
                    Some(_) => "the record does not verify, so its signatures prove nothing".into(),
                    None => "no signature by this key is in the record: it was never signed, or the signed \
                             record was replaced"
                        .into(),
                },
            })
        }
        None => None,
    };
    let view = VerifyView {
        report,
        receipt_checked,
        signatures,
    };
    emit(&mut ctx.out, a.format.format, &view, |v| {
        let r = &v.report;
        let mut s = match &r.problem {
            None => format!(
                "Record verified: {} events replayed from the start in an unbroken chain; {} {} and {} {} \
                 rebuilt; {} stored rows and {} keys match the record exactly.\nReceipt: {}",
                r.events,
                r.vacancies,
                if r.vacancies == 1 { "vacancy" } else { "vacancies" },
                r.people,
                if r.people == 1 { "person" } else { "people" },
                r.rows_checked,
                r.keys_checked,
                r.receipt
            ),
            Some(p) => format!("Verification FAILED — {}, {}: {}", p.table, p.row, p.reason),
        };
        if let Some(c) = &v.receipt_checked {
            s.push_str(&format!(
                "\nReceipt {}: {} — {}",
                c.receipt,
                if c.holds { "holds" } else { "FAILS" },
                c.detail
            ));
        }
        if let Some(c) = &v.signatures {
            s.push_str(&format!(
                "\nSignatures by {}…: {} — {}",
                &c.public_key[..16],
                if c.holds { "hold" } else { "FAIL" },
                c.detail
            ));
        }
        s
    })?;
    if let Some(p) = &view.report.problem {
        bail!("verification failed: {}, {}", p.table, p.row);
    }
    if view.receipt_checked.as_ref().is_some_and(|c| !c.holds) {
        bail!("the receipt does not hold");
    }
    if view.signatures.as_ref().is_some_and(|c| !c.holds) {
        bail!("the signatures do not hold");
    }
    Ok(())
}

#[derive(Serialize)]
struct LogRow {
    seq: i64,
    at: String,
    actor: String,
    /// How the actor proved who they are.
    auth: String,
    action: String,
    scope: String,
    /// The event's content; sealed scores and personal data are never shown here.
    payload: serde_json::Value,
}

/// Replace sealed personal data (ciphertext) with a marker, everywhere in a payload.
fn hide_sealed(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            if m.len() == 2 && m.contains_key("k") && m.contains_key("c") {
                *v = serde_json::json!("(sealed personal data)");
                return;
            }
            for (k, x) in m.iter_mut() {
                if k == "credential" || k == "token_sha256" || k == "kcv" {
                    *x = serde_json::json!("(secret)");
                } else {
                    hide_sealed(x);
                }
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(hide_sealed),
        _ => {}
    }
}

pub fn log(ctx: &mut Ctx, limit: Option<usize>, format: Format) -> Result<()> {
    let store = ctx.store()?;
    let (events, revealed) = store.events(limit)?;
    let people = store.people()?;
    let rows: Vec<LogRow> = events
        .into_iter()
        .map(|e| {
            let mut payload: serde_json::Value =
                serde_json::from_str(&e.payload).unwrap_or(serde_json::Value::Null);
            if Fact::carries_scores(&e.action) {
                let v = e
                    .scope
                    .strip_prefix("vacancy:")
                    .unwrap_or_default()
                    .to_string();
                let r = payload["ref"].as_str().unwrap_or_default().to_string();
                if !revealed.contains(&(v, r.clone())) {
                    payload = serde_json::json!({
                        "ref": r,
                        "sealed": "scores stay sealed until every panellist has submitted"
                    });
                }
            }
            if e.action == "bank.store" {
                payload["yaml"] = serde_json::json!("(the bank's YAML)");
            }
            if e.action == "vacancy.create" {
                payload["policy_yaml"] = serde_json::json!("(the policy's YAML)");
            }
            hide_sealed(&mut payload);
            LogRow {
                seq: e.seq,
                at: e.at,
                actor: people.actor_name(&e.actor),
                auth: e.auth,
                action: e.action,
                scope: e.scope,
                payload,
            }
        })
        .collect();
    emit(&mut ctx.out, format, &rows, |ev| {
        let rows: Vec<Vec<String>> = ev
            .iter()
            .map(|e| {
                vec![
                    e.seq.to_string(),
                    e.at.clone(),
                    crate::model::display_safe(&e.actor).into_owned(),
                    e.auth.clone(),
                    e.action.clone(),
                    crate::model::display_safe(&e.scope).into_owned(),
                ]
            })
            .collect();
        table(&["seq", "at", "who", "proof", "action", "what"], &rows)
    })
}

pub fn backup(ctx: &mut Ctx, file: &Path) -> Result<()> {
    ctx.not_the_database(file)?;
    let store = ctx.store()?;
    let receipt = store.backup(file)?;
    writeln!(
        ctx.out,
        "Backed up {} to {}: the copy holds the record up to receipt {receipt}.\n\
         Check a copy is this one with `fairpanel --db {} verify --receipt {receipt}` \
         (an empty or cut-short file fails).",
        store.path().display(),
        file.display(),
        file.display()
    )?;
    Ok(())
}

/// Copy the record into a new database on either backend and show that both verify to one head.
pub fn migrate(ctx: &mut Ctx, to: &Path, format: Format) -> Result<()> {
    let from = ctx.store()?;
    if crate::store::is_server(to) {
        // A server database must exist (created by its administrator) and hold nothing yet.
    } else {
        ctx.not_the_database(to)?;
        if to.exists() || to.is_symlink() {
            anyhow::bail!("{} exists; copy only into a new file", to.display());
        }
    }
    let mut dest = Store::open(to, from.actor().clone(), None, Create::Yes)?;
    let (a, b) = from.copy_into(&mut dest)?;
    #[derive(Serialize)]
    struct Out {
        from: String,
        to: String,
        events: i64,
        head: String,
        from_verified: bool,
        to_verified: bool,
    }
    let out = Out {
        from: from.path().display().to_string(),
        to: dest.path().display().to_string(),
        events: b.receipt.events,
        head: b.receipt.head.clone(),
        from_verified: a.ok,
        to_verified: b.ok,
    };
    let same = a.ok && b.ok && a.receipt == b.receipt;
    match format {
        Format::Json => writeln!(ctx.out, "{}", serde_json::to_string_pretty(&out)?)?,
        _ => writeln!(
            ctx.out,
            "Copied {} events from {} to {}.\nBoth verify: {}\nHead hash (both): {}\nReceipt: {}",
            out.events,
            out.from,
            out.to,
            if same { "yes" } else { "NO" },
            out.head,
            b.receipt
        )?,
    }
    if !same {
        anyhow::bail!("the copy does not match its source; nothing else was changed, and the new database should be discarded");
    }
    Ok(())
}

pub fn ethnicity(ctx: &mut Ctx, format: Format) -> Result<()> {
    #[derive(Serialize)]
    struct Row<'a> {
        standard: &'a str,
        input: &'a str,
        nhs_code: &'a str,
        category: &'a str,
        group: &'a str,
        note: Option<&'a str>,
    }
    let rows: Vec<Row<'_>> = crate::ethnicity::table()
        .map(|(standard, input, c)| Row {
            standard,
            input,
            nhs_code: &c.nhs_code,
            category: &c.category,
            group: c.group.key(),
            note: c.note.as_deref(),
        })
        .collect();
    emit(&mut ctx.out, format, &rows, |rows| {
        let t: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                vec![
                    r.standard.to_uppercase(),
                    r.input.to_string(),
                    r.nhs_code.to_string(),
                    r.group.to_string(),
                    r.note.unwrap_or("").to_string(),
                ]
            })
            .collect();
        format!(
            "{}\nSources: ONS Census 2021 (England and Wales) ethnic group classification; NHS Data Dictionary, ETHNIC CATEGORY.\n",
            table(&["standard", "input", "NHS code", "group", "note"], &t)
        )
    })
}

pub fn key(ctx: &mut Ctx, cmd: KeyCmd) -> Result<()> {
    match cmd {
        KeyCmd::Generate { out } => {
            let (secret, public) = crate::record::sign::generate();
            let pub_path = out.with_extension(match out.extension() {
                Some(e) => format!("{}.pub", e.to_string_lossy()),
                None => "pub".into(),
            });
            if out.exists() || pub_path.exists() {
                bail!(
                    "{} or {} exists; choose a new name",
                    out.display(),
                    pub_path.display()
                );
            }
            ctx.write_private(&out, format!("{secret}\n").as_bytes())?;
            ctx.write_private(&pub_path, format!("{public}\n").as_bytes())?;
            writeln!(
                ctx.out,
                "Wrote the private key to {} (keep it away from the database: whoever holds it can sign) and the \
                 public key to {}.\nSign the record with `fairpanel sign --key {}`; check it with \
                 `fairpanel verify --public-key {}`.",
                out.display(),
                pub_path.display(),
                out.display(),
                pub_path.display()
            )?;
            Ok(())
        }
    }
}

pub fn sign(ctx: &mut Ctx, key: &Path, format: Format) -> Result<()> {
    let text = crate::fsutil::read_small_text(key, "the private key ")?;
    let mut store = ctx.store()?;
    ctx.authenticate(&mut store, None)?;
    let signed = store.sign(text.trim())?;
    emit(&mut ctx.out, format, &signed, |s| {
        format!(
            "Signed the record up to event {} (head {}). Keep this line with your records: \
             `fairpanel verify --public-key` checks it.",
            s.through, s.head
        )
    })
}
