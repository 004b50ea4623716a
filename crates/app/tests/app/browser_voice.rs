//! A resident reports a problem from a phone: Debian's headless Chromium at 360 px with
//! JavaScript switched off, no account. Choose the town and the village, fill the one form
//! (category, words, place, phone, a photo), read the tracking code; the village's staff sign in
//! in the same browser (still without JavaScript) and analyse, assign and resolve it with a photo
//! through their forms, then sign out; the resident looks the code up, confirms it is solved and
//! rates it. Screenshots of each screen are kept in `artifacts/`.

use crate::browser::{Driver, chromedriver, free_port, wait_text};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use jiceng_store::places::NewPlace;
use jiceng_store::{Actor, Scope, Sealer, Store, StoreOptions};
use jiceng_web::clock::Clock;
use jiceng_web::{AppState, WebConfig};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0";

pub async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap();
}

pub async fn fill(c: &Client, css: &str, text: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .send_keys(text)
        .await
        .unwrap();
}

pub async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    let artifacts = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    std::fs::write(artifacts.join(name), png).unwrap();
}

/// Nothing wider than the phone, when the driver can still measure it (scripts are off for the
/// page; chromedriver's own may or may not run).
pub async fn fits(c: &Client) {
    if let Ok(v) = c
        .execute("return document.documentElement.scrollWidth", vec![])
        .await
        && let Some(w) = v.as_i64()
    {
        assert!(w <= 360, "the page is {w} px wide at 360 px");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resident_reports_tracks_and_confirms_without_javascript() {
    let Some(driver_bin) = chromedriver() else {
        if jiceng_store::testing::in_ci() {
            panic!("CI=true and chromedriver is missing");
        }
        eprintln!("\n!!! chromedriver not found: SKIPPING the resident browser test !!!\n");
        return;
    };
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser-voice");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let key = jiceng_store::users::random_token();
    let store = Store::connect(
        &StoreOptions::new(format!("sqlite://{}", dir.join("voice.db").display())),
        Sealer::from_hex(&key).unwrap(),
    )
    .await
    .unwrap();
    store.migrate().await.unwrap();
    let (a, s) = (Actor::cli("browser-fixture"), Scope::All);
    let mut parent = None;
    let mut village = 0;
    for (code, name) in [
        ("440403000000", "斗门区"),
        ("440403105000", "乾务镇"),
        ("440403105201", "乾西村"),
    ] {
        let p = NewPlace {
            parent_id: parent,
            code: code.into(),
            name: name.into(),
        };
        village = store.create_place(&a, &s, p, 0).await.unwrap().id;
        parent = Some(village);
    }
    let clerk = jiceng_store::users::NewUser {
        username: "qianxi_clerk".into(),
        display_name: "乾西村文书".into(),
        password: "Clerk#2026voice".into(),
        role: "village_committee".into(),
        place_id: village,
    };
    store.create_user(&a, &s, clerk, 0).await.unwrap();
    let photo = dir.join("photo.png");
    std::fs::write(&photo, PNG).unwrap();

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
                     "--disable-component-update", "--disable-sync", "--disable-quic", "--window-size=360,1400",
                     format!("--user-data-dir={}", profile.path().display())],
            // JavaScript off, as on the cheapest phone.
            "prefs": {"profile.managed_default_content_settings.javascript": 2}
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
    c.set_window_size(360, 1400).await.unwrap();

    // Screen 1: the town, then the village.
    c.goto(&format!("{base}/voice")).await.unwrap();
    wait_text(&c, "斗门区").await;
    c.find(Locator::LinkText("斗门区"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&c, "乾务镇").await;
    c.find(Locator::LinkText("乾务镇"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&c, "乾西村").await;
    c.find(Locator::LinkText("乾西村"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // Screen 2: the one form.
    let form = wait_text(&c, "问题类别").await;
    assert!(!form.contains("<script"), "no script on the form");
    fits(&c).await;
    click(&c, "#report input[name=category][value='sanitation']").await;
    fill(&c, "#body", "垃圾桶满了三天没人清运").await;
    fill(&c, "#location", "乾西村市场东门").await;
    fill(&c, "#contact", "13800138000").await;
    fill(&c, "#photo", &photo.display().to_string()).await;
    shot(&c, "browser-voice-form-360.png").await;
    click(&c, "#report button[type=submit]").await;
    // Screen 3: the tracking code, once.
    wait_text(&c, "查询码只显示这一次").await;
    fits(&c).await;
    let code = c
        .find(Locator::Id("tracking-code"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(code.trim().len(), 10, "{code:?}");
    shot(&c, "browser-voice-code-360.png").await;

    // The village's clerk, in the same browser: the list, the problem, a form per step.
    let p = store.problem_by_code(&code).await.unwrap();
    assert_eq!(
        store.problem_files(&s, p.id).await.unwrap().len(),
        1,
        "the photo was kept"
    );
    c.set_window_size(1200, 1600).await.unwrap();
    c.goto(&format!("{base}/login")).await.unwrap();
    fill(&c, "input[name=username]", "qianxi_clerk").await;
    fill(&c, "input[name=password]", "Clerk#2026voice").await;
    click(&c, "#login button[type=submit]").await;
    wait_text(&c, "退出").await;
    c.goto(&format!("{base}/problems")).await.unwrap();
    wait_text(&c, "垃圾桶满了三天没人清运").await;
    c.goto(&format!("{base}/problems/{}", p.id)).await.unwrap();
    wait_text(&c, "研判分类").await;
    click(&c, "#analyse button[type=submit]").await;
    wait_text(&c, "责任人或责任单位").await;
    fill(&c, "#assign input[name=owner]", "村保洁队").await;
    click(&c, "#assign button[type=submit]").await;
    wait_text(&c, "办理结果").await;
    fill(
        &c,
        "#resolve textarea[name=what]",
        "已清运并增加每日清运一次",
    )
    .await;
    fill(
        &c,
        "#resolve input[name=photo]",
        &photo.display().to_string(),
    )
    .await;
    click(&c, "#resolve button[type=submit]").await;
    wait_text(&c, "异议期").await;
    shot(&c, "browser-voice-staff.png").await;
    assert_eq!(
        store.problem_files(&s, p.id).await.unwrap().len(),
        2,
        "the evidence was kept"
    );
    click(&c, "form[action='/logout'] button").await;
    wait_text(&c, "name=\"password\"").await;
    c.set_window_size(360, 1400).await.unwrap();

    // Track: the code, the status and history, confirm, rate.
    c.goto(&format!("{base}/voice/track")).await.unwrap();
    wait_text(&c, "查询码").await;
    fill(&c, "#code", &code.to_lowercase()).await;
    click(&c, "#track button[type=submit]").await;
    let status = wait_text(&c, "已办结：已清运").await;
    assert!(!status.contains("13800138000"), "never the phone");
    fits(&c).await;
    shot(&c, "browser-voice-track-360.png").await;
    click(&c, "#confirm button[type=submit]").await;
    wait_text(&c, "已确认解决").await;
    click(&c, "#rate input[name=score][value='5']").await;
    click(&c, "#rate button[type=submit]").await;
    wait_text(&c, "感谢您的评价").await;
    fits(&c).await;
    shot(&c, "browser-voice-closed-360.png").await;
    c.close().await.unwrap();

    let done = store.problem(&s, p.id).await.unwrap();
    assert_eq!((done.status.as_str(), done.score), ("closed", Some(5)));
    let history: Vec<String> = store
        .problem_events(&s, p.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .collect();
    assert_eq!(
        history,
        [
            "collected",
            "analysed",
            "assigned",
            "resolved",
            "confirmed",
            "rated"
        ]
    );
    store.close().await;
}
