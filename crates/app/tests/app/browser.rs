//! One browser session in Debian's headless Chromium through chromedriver: a town user logs in,
//! opens a village, adds a grid, sees it in the list, imports a roster, reveals one ID number, runs
//! a matter through 四议两公开 to the public board (`browser_matter`), logs out. A screenshot is kept in
//! `artifacts/`, and the database stays in `target/tmp/browser/` for `jiceng audit verify` in CI.

use fantoccini::{ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use jiceng_store::{Scope, Sealer, Store, StoreOptions};
use jiceng_web::clock::Clock;
use jiceng_web::{AppState, WebConfig};
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Driver(pub Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A one-row roster in the template's columns.
fn write_roster(path: &std::path::Path, org: i64) {
    let headers = [
        "党组织编号",
        "姓名",
        "身份证号",
        "民族",
        "学历",
        "职业类别",
        "党员状态",
        "入党日期",
        "转正日期",
        "工作单位",
        "联系电话",
        "家庭住址",
    ];
    let row = [
        org.to_string(),
        "浏览器导入甲".into(),
        "11010519491231002X".into(),
        "汉族".into(),
        "大专".into(),
        "农民".into(),
        "正式党员".into(),
        "1975-07-01".into(),
        "1976-07-01".into(),
        "乾西村".into(),
        "13800135678".into(),
        "广东省珠海市斗门区乾务镇乾西村8号".into(),
    ];
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (i, h) in headers.iter().enumerate() {
        ws.write_string(0, i as u16, *h).unwrap();
        ws.write_string(1, i as u16, &row[i]).unwrap();
    }
    wb.save(path).unwrap();
}

/// Waits (up to 10 s) until the browser is at `path` (ignoring the query).
pub async fn wait_path(c: &fantoccini::Client, path: &str) {
    let mut at = String::new();
    for _ in 0..100 {
        at = c
            .current_url()
            .await
            .map(|u| u.path().to_string())
            .unwrap_or_default();
        if at == path {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the browser stayed at {at}, expected {path}");
}

/// Waits (up to 10 s) until the page shows `needle`; returns the page.
pub async fn wait_text(c: &fantoccini::Client, needle: &str) -> String {
    let mut page = String::new();
    for _ in 0..100 {
        page = c.source().await.unwrap_or_default();
        if page.contains(needle) {
            return page;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "the page never showed {needle:?}: {}",
        page.chars().take(3000).collect::<String>()
    );
}

pub fn chromedriver() -> Option<&'static str> {
    ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn town_user_adds_a_grid_in_the_browser() {
    let Some(driver_bin) = chromedriver() else {
        if jiceng_store::testing::in_ci() {
            panic!(
                "CI=true and chromedriver is missing: .ci/run installs chromium and chromium-driver"
            );
        }
        eprintln!(
            "\n!!! chromedriver not found: SKIPPING the browser test (apt-get install -y chromium chromium-driver) !!!\n"
        );
        return;
    };

    // The database lives where CI can verify its audit chain afterwards.
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("jiceng-browser.db");
    let key = jiceng_store::users::random_token();
    std::fs::write(dir.join("jiceng-browser.key"), &key).unwrap();
    let store = Store::connect(
        &StoreOptions::new(format!("sqlite://{}", db.display())),
        Sealer::from_hex(&key).unwrap(),
    )
    .await
    .unwrap();
    store.migrate().await.unwrap();
    jiceng_demo::generate_district(&store, Clock::System.now_ms(), &mut |_| {})
        .await
        .unwrap();

    let app = jiceng_web::router(AppState::new(
        store.clone(),
        WebConfig::default(),
        Clock::System,
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });

    let port = free_port();
    let _driver = Driver(
        Command::new(driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let profile = tempfile::tempdir().unwrap();
    let caps = serde_json::json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--disable-quic", "--window-size=1200,1600",
                     format!("--user-data-dir={}", profile.path().display())]
        }
    });
    let mut builder = ClientBuilder::new(HttpConnector::new());
    builder.capabilities(caps.as_object().unwrap().clone());
    let mut client = None;
    for _ in 0..50 {
        match builder.connect(&format!("http://127.0.0.1:{port}")).await {
            Ok(c) => {
                client = Some(c);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    let c = client.expect("chromedriver did not start");

    c.goto(&format!("{base}/")).await.unwrap();
    assert!(c.current_url().await.unwrap().path().starts_with("/login"));
    c.find(Locator::Css("input[name=username]"))
        .await
        .unwrap()
        .send_keys("town_committee")
        .await
        .unwrap();
    c.find(Locator::Css("input[name=password]"))
        .await
        .unwrap()
        .send_keys(jiceng_demo::DEMO_PASSWORD)
        .await
        .unwrap();
    c.find(Locator::Css("#login button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let town = store
        .place_by_code(&Scope::All, "440403105000")
        .await
        .unwrap();
    wait_path(&c, &format!("/places/{}", town.id)).await;
    wait_text(&c, "乾务镇").await;

    c.find(Locator::LinkText("乾西村"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let village = store
        .place_by_code(&Scope::All, "440403105201")
        .await
        .unwrap();
    wait_path(&c, &format!("/places/{}", village.id)).await;
    c.find(Locator::Css("#create input[name=name]"))
        .await
        .unwrap()
        .send_keys("浏览器测试网格")
        .await
        .unwrap();
    c.find(Locator::Css("#create button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // A click that submits a form returns before the next page is in: wait for what it shows.
    wait_text(&c, "浏览器测试网格").await;

    // Import a roster: upload, preview, accept; then reveal one member's ID number.
    let org: i64 = sqlx::query_scalar("SELECT o.id FROM orgs o JOIN places p ON p.id = o.place_id WHERE p.code = '440403105201' ORDER BY o.id LIMIT 1")
        .fetch_one(&store.reader)
        .await
        .unwrap();
    let roster = dir.join("roster.xlsx");
    write_roster(&roster, org);
    // The register is one click away in the navigation; the import one more.
    c.find(Locator::LinkText("党员"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_path(&c, "/members").await;
    c.find(Locator::LinkText("导入名册"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_path(&c, "/members/import").await;
    c.find(Locator::Css("#upload input[type=file]"))
        .await
        .unwrap()
        .send_keys(&roster.display().to_string())
        .await
        .unwrap();
    c.find(Locator::Css("#upload button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let preview = wait_text(&c, "确认导入").await;
    assert!(preview.contains("导入 1"), "one new member in the preview");
    c.find(Locator::Css("#accept button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_path(&c, "/members").await;
    c.goto(&format!(
        "{base}/members?q=%E6%B5%8F%E8%A7%88%E5%99%A8%E5%AF%BC%E5%85%A5%E7%94%B2"
    ))
    .await
    .unwrap();
    c.find(Locator::LinkText("浏览器导入甲"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let masked = wait_text(&c, "1101**********002X").await;
    assert!(masked.contains("1101**********002X") && !masked.contains("11010519491231002X"));
    c.find(Locator::Css("#reveal-id_number button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&c, "11010519491231002X").await;

    let shot = c.screenshot().await.unwrap();
    let artifacts = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    std::fs::write(artifacts.join("browser-grid.png"), shot).unwrap();

    crate::browser_matter::six_steps(&c, &base, &store, village.id).await;

    c.find(Locator::Css("form[action='/logout'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_path(&c, "/login").await;
    c.goto(&format!("{base}/places/{}", village.id))
        .await
        .unwrap();
    assert!(
        c.current_url().await.unwrap().path().starts_with("/login"),
        "logged out for real"
    );
    c.close().await.unwrap();

    // What the browser did is in the audit log, and the chain holds.
    let (entries, _) = store
        .audit_list(
            &jiceng_store::audit::AuditFilter {
                action: Some("create".into()),
                entity: Some("place".into()),
                q: Some("浏览器测试网格".into()),
                ..Default::default()
            },
            jiceng_store::sql::Page::new(None, None),
        )
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].actor, "town_committee");
    assert!(matches!(
        store.audit_verify().await.unwrap(),
        jiceng_store::audit::Verdict::Intact { .. }
    ));
    store.close().await;
}
