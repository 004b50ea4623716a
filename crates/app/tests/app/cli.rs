//! The command line as an operator uses it: a settings file, migrate, accounts, backup/restore,
//! audit verification (which finds tampering), and a clear error for an unknown setting.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_jiceng");

fn jiceng(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir)
        .args(args)
        .env("JICENG_CONFIG", dir.join("jiceng.toml"))
        .env_remove("JICENG_DATABASE_URL");
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    if let Some(s) = stdin {
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn help_is_everywhere() {
    for args in [
        vec!["--help"],
        vec!["user", "--help"],
        vec!["user", "add", "--help"],
        vec!["demo", "--help"],
        vec!["audit", "verify", "--help"],
        vec!["backup", "--help"],
        vec!["open311", "key", "--help"],
    ] {
        let o = Command::new(BIN).args(&args).output().unwrap();
        assert!(o.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&o.stdout).contains("Usage"),
            "{args:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_story_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("jiceng.key"), jiceng_store::users::random_token()).unwrap();
    std::fs::write(
        d.join("jiceng.toml"),
        "database_url = \"sqlite://j.db\"\nkey_file = \"jiceng.key\"\n",
    )
    .unwrap();

    let o = jiceng(d, &["migrate"], None);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("0001_foundation"));

    // A place to bind accounts to, through the store (the CLI has no place commands yet).
    let key = std::fs::read_to_string(d.join("jiceng.key")).unwrap();
    let url = format!("sqlite://{}", d.join("j.db").display());
    let store = jiceng_store::Store::connect(
        &jiceng_store::StoreOptions::new(&url),
        jiceng_store::Sealer::from_hex(&key).unwrap(),
    )
    .await
    .unwrap();
    let actor = jiceng_store::Actor::cli("test");
    let new = jiceng_store::places::NewPlace {
        parent_id: None,
        code: "440403000000".into(),
        name: "斗门区".into(),
    };
    store
        .create_place(&actor, &jiceng_store::Scope::All, new, 1)
        .await
        .unwrap();
    store.close().await;

    let o = jiceng(
        d,
        &[
            "user",
            "add",
            "--username",
            "admin1",
            "--name",
            "管理员",
            "--role",
            "sys_admin",
            "--place",
            "440403000000",
            "--password-stdin",
        ],
        Some("Admin#2026x\n"),
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = jiceng(
        d,
        &[
            "user",
            "add",
            "--username",
            "weak",
            "--name",
            "x",
            "--role",
            "sys_admin",
            "--place",
            "440403000000",
            "--password-stdin",
        ],
        Some("weak\n"),
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("密码"), "{}", text(&o));

    // An Open311 partner's key: printed once, listed without it, revoked once.
    let o = jiceng(
        d,
        &[
            "open311",
            "key",
            "--partner",
            "随手拍",
            "--place",
            "440403000000",
        ],
        None,
    );
    assert!(o.status.success(), "{}", text(&o));
    let secret = text(&o)
        .split_whitespace()
        .find(|w| w.starts_with("o311_"))
        .map(str::to_string)
        .unwrap();
    assert_eq!(secret.len(), 5 + 64);
    let o = jiceng(d, &["open311", "keys"], None);
    assert!(
        o.status.success() && text(&o).contains("随手拍"),
        "{}",
        text(&o)
    );
    assert!(!text(&o).contains(&secret));
    assert!(
        !jiceng(
            d,
            &["open311", "key", "--partner", "x", "--place", "9"],
            None
        )
        .status
        .success()
    );
    assert!(
        jiceng(d, &["open311", "revoke", "1"], None)
            .status
            .success()
    );
    assert!(
        !jiceng(d, &["open311", "revoke", "1"], None)
            .status
            .success()
    );
    let o = jiceng(d, &["user", "passwd", "admin1"], None);
    assert!(
        o.status.success() && text(&o).contains("shown once"),
        "{}",
        text(&o)
    );
    assert!(
        jiceng(d, &["user", "lock", "admin1"], None)
            .status
            .success()
    );
    assert!(
        jiceng(d, &["user", "unlock", "admin1"], None)
            .status
            .success()
    );
    assert!(
        !jiceng(d, &["user", "lock", "nobody"], None)
            .status
            .success()
    );

    let o = jiceng(d, &["audit", "verify"], None);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("intact"));

    let o = jiceng(d, &["backup", "b.db"], None);
    assert!(o.status.success(), "{}", text(&o));
    assert!(d.join("b.db").exists());
    assert!(
        !jiceng(d, &["backup", "b.db"], None).status.success(),
        "never overwrites"
    );

    // Tamper with the live database; verify names the entry and exits non-zero.
    let store = jiceng_store::Store::connect(
        &jiceng_store::StoreOptions::new(&url),
        jiceng_store::Sealer::from_hex(&key).unwrap(),
    )
    .await
    .unwrap();
    sqlx::raw_sql(
        "DROP TRIGGER audit_no_update; UPDATE audit_log SET actor = 'mallory' WHERE seq = 2",
    )
    .execute(&store.writer)
    .await
    .unwrap();
    store.close().await;
    let o = jiceng(d, &["audit", "verify"], None);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("entry 2"), "{}", text(&o));

    // Restore the backup over it, then the chain is whole again.
    assert!(
        !jiceng(d, &["restore", "b.db"], None).status.success(),
        "refuses without --force"
    );
    let o = jiceng(d, &["restore", "b.db", "--force"], None);
    assert!(o.status.success(), "{}", text(&o));
    assert!(jiceng(d, &["audit", "verify"], None).status.success());

    let o = jiceng(d, &["insight", "rebuild"], None);
    assert!(o.status.success(), "{}", text(&o));
    // The residents' voice sweep, once: nothing to do in this database.
    let o = jiceng(d, &["voice", "sweep"], None);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("closed: 0"), "{}", text(&o));
    // A local objection window from a day on; a bad one is refused with the reason.
    let o = jiceng(
        d,
        &[
            "voice",
            "window",
            "--days",
            "10",
            "--from",
            "2027-01-01",
            "--basis",
            "某镇规定",
        ],
        None,
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("2027-01-01 起 10 天"), "{}", text(&o));
    let o = jiceng(d, &["voice", "window", "--days", "0", "--basis", "x"], None);
    assert!(!o.status.success());
    assert!(text(&o).contains("异议期须为1至60天"), "{}", text(&o));
}

#[test]
fn unknown_settings_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("jiceng.toml"),
        "database_url = \"sqlite://j.db\"\nkey = \"00\"\nlisten_adress = \"x\"\n",
    )
    .unwrap();
    let o = jiceng(dir.path(), &["migrate"], None);
    assert!(!o.status.success());
    assert!(text(&o).contains("listen_adress"), "{}", text(&o));
    let mut cmd = Command::new(BIN);
    let o = cmd
        .args(["migrate"])
        .env("JICENG_DATABSE_URL", "sqlite://x.db")
        .current_dir(dir.path())
        .env_remove("JICENG_CONFIG")
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(
        text(&o).to_lowercase().contains("databse_url"),
        "{}",
        text(&o)
    );
}

#[test]
fn demo_creates_its_database_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(BIN)
        .args(["demo", "--no-serve", "--db", "d.db"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert!(dir.path().join("d.db").exists() && dir.path().join("d.key").exists());
    assert!(text(&o).contains("129 villages"), "{}", text(&o));
    // 党员联系户: the town that plays Xiqiao reaches 入户率 ≈ 345% over the year.
    let line = text(&o)
        .lines()
        .find(|l| l.contains("入户率"))
        .map(str::to_string)
        .unwrap_or_default();
    let rate: i64 = line
        .rsplit(' ')
        .next()
        .and_then(|r| r.trim_end_matches('%').parse().ok())
        .unwrap_or(0);
    assert!((320..=370).contains(&rate), "{line}");
    // …with 4000+ members, as the seed says.
    let members: i64 = line
        .split(['(', ' '])
        .skip_while(|w| !w.ends_with('镇'))
        .find_map(|w| w.parse().ok())
        .unwrap_or(0);
    assert!(members > 4000, "{line}");
    // The problem-list campaign, read back from the roll-ups: Doumen's 6606 / 6252 = 94.64%.
    let voice = text(&o)
        .lines()
        .find(|l| l.contains("residents' voice"))
        .map(str::to_string)
        .unwrap_or_default();
    assert!(
        voice.contains("收集 6606, 解决 6252, 解决率 94.64%"),
        "{voice}"
    );
    // A second run reuses it without generating again.
    let o = Command::new(BIN)
        .args(["demo", "--no-serve", "--db", "d.db"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        o.status.success() && !text(&o).contains("129 villages"),
        "{}",
        text(&o)
    );
}
