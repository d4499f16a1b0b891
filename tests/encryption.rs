//! Encryption at rest (SQLCipher, `--features encryption`). Without the feature, a key is refused
//! with a clear message rather than silently ignored.

mod common;
use common::Env;

#[cfg(not(feature = "encryption"))]
#[test]
fn a_key_without_the_encryption_feature_is_refused() {
    let e = Env::empty();
    let err = e
        .cmd()
        .env("FAIRPANEL_KEY", "correct horse")
        .arg("init")
        .output()
        .unwrap();
    assert_eq!(err.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&err.stderr).contains("built without encryption"));
    assert!(!e.db.exists(), "nothing written");
}

#[cfg(feature = "encryption")]
#[test]
fn an_encrypted_database_needs_the_right_key() {
    let e = Env::empty();
    let key = e.write("key.txt", "correct horse battery staple\n");
    let with_key = |args: &[&str]| {
        let mut c = e.cmd();
        c.arg("--key-file").arg(&key).args(args);
        c.output().unwrap()
    };
    assert!(with_key(&["init"]).status.success());
    assert!(with_key(&[
        "vacancy",
        "create",
        "--id",
        "V1",
        "--title",
        "T",
        "--bank",
        "nhs-talking-therapies",
        "--questions",
        "caseload-prioritisation,diversity-discomfort"
    ])
    .status
    .success());
    let bytes = std::fs::read(&e.db).unwrap();
    assert!(
        !bytes.starts_with(b"SQLite format 3"),
        "the file is not plain SQLite"
    );
    let out = with_key(&["vacancy", "list", "--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"V1\""));
    // The audit reads on a second connection, which needs the key as well.
    let out = with_key(&["audit", "--format", "json"]);
    // (An audit of a vacancy with no pipeline and no scores has little to say, but must run.)
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let before = std::fs::read(&e.db).unwrap();
    for wrong in [Some("wrong key"), None] {
        let mut c = e.cmd();
        if let Some(k) = wrong {
            c.env("FAIRPANEL_KEY", k);
        }
        let out = c.args(["vacancy", "list"]).output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("key is wrong or missing"), "{err}");
    }
    assert_eq!(
        std::fs::read(&e.db).unwrap(),
        before,
        "a wrong key changes nothing"
    );

    // Backups stay encrypted with the same key.
    let copy = e.path("copy.db");
    assert!(with_key(&["backup", copy.to_str().unwrap()])
        .status
        .success());
    let mut c = common::command_on(&copy);
    let out = c
        .arg("--key-file")
        .arg(&key)
        .args(["verify"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!std::fs::read(&copy)
        .unwrap()
        .starts_with(b"SQLite format 3"));
}
