//! A resident reports a problem from a phone: Debian's headless Chromium at 360 px with
//! JavaScript switched off, no account. Choose the town and the village, fill the one form
//! (category, words, place, phone, a photo), read the tracking code; the village's staff sign in
//! in the same browser (still without JavaScript) and analyse, assign and resolve it with a photo
//! through their forms, then sign out; the resident looks the code up, confirms it is solved and
//! rates it. Screenshots of each screen are kept in `artifacts/`.

use crate::kit::{browser, chromedriver_or_skip, click, fill, link, serve, shot, wait_text};
use fantoccini::{Client, Locator};
use jiceng_store::places::NewPlace;
use jiceng_store::{Actor, Scope, Sealer, Store, StoreOptions};
use std::path::PathBuf;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0";

/// Nothing wider than the phone, when the driver can still measure it (scripts are off for the
/// page; chromedriver's own may or may not run).
async fn fits(c: &Client) {
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
    let Some(driver_bin) = chromedriver_or_skip("the resident browser test") else {
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

    let base = serve(&store).await;
    // JavaScript off, as on the cheapest phone.
    let browser = browser(driver_bin, 360, 1400, false).await;
    let c = &browser.client;

    // Screen 1: the town, then the village.
    c.goto(&format!("{base}/voice")).await.unwrap();
    wait_text(c, "斗门区").await;
    link(c, "斗门区").await;
    wait_text(c, "乾务镇").await;
    link(c, "乾务镇").await;
    wait_text(c, "乾西村").await;
    link(c, "乾西村").await;
    // Screen 2: the one form.
    let form = wait_text(c, "问题类别").await;
    assert!(!form.contains("<script"), "no script on the form");
    fits(c).await;
    click(c, "#report input[name=category][value='sanitation']").await;
    fill(c, "#body", "垃圾桶满了三天没人清运").await;
    fill(c, "#location", "乾西村市场东门").await;
    fill(c, "#contact", "13800138000").await;
    fill(c, "#photo", &photo.display().to_string()).await;
    shot(c, "browser-voice-form-360.png").await;
    click(c, "#report button[type=submit]").await;
    // Screen 3: the tracking code, once.
    wait_text(c, "查询码只显示这一次").await;
    fits(c).await;
    let code = c
        .find(Locator::Id("tracking-code"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(code.trim().len(), 10, "{code:?}");
    shot(c, "browser-voice-code-360.png").await;

    // The village's clerk, in the same browser: the list, the problem, a form per step.
    let p = store.problem_by_code(&code).await.unwrap();
    assert_eq!(
        store.problem_files(&s, p.id).await.unwrap().len(),
        1,
        "the photo was kept"
    );
    c.set_window_size(1200, 1600).await.unwrap();
    c.goto(&format!("{base}/login")).await.unwrap();
    fill(c, "input[name=username]", "qianxi_clerk").await;
    fill(c, "input[name=password]", "Clerk#2026voice").await;
    click(c, "#login button[type=submit]").await;
    wait_text(c, "退出").await;
    c.goto(&format!("{base}/problems")).await.unwrap();
    wait_text(c, "垃圾桶满了三天没人清运").await;
    c.goto(&format!("{base}/problems/{}", p.id)).await.unwrap();
    wait_text(c, "研判分类").await;
    click(c, "#analyse button[type=submit]").await;
    wait_text(c, "责任人或责任单位").await;
    fill(c, "#assign input[name=owner]", "村保洁队").await;
    click(c, "#assign button[type=submit]").await;
    wait_text(c, "办理结果").await;
    fill(
        c,
        "#resolve textarea[name=what]",
        "已清运并增加每日清运一次",
    )
    .await;
    fill(
        c,
        "#resolve input[name=photo]",
        &photo.display().to_string(),
    )
    .await;
    click(c, "#resolve button[type=submit]").await;
    wait_text(c, "异议期").await;
    shot(c, "browser-voice-staff.png").await;
    assert_eq!(
        store.problem_files(&s, p.id).await.unwrap().len(),
        2,
        "the evidence was kept"
    );
    click(c, "form[action='/logout'] button").await;
    wait_text(c, "name=\"password\"").await;
    c.set_window_size(360, 1400).await.unwrap();

    // Track: the code, the status and history, confirm, rate.
    c.goto(&format!("{base}/voice/track")).await.unwrap();
    wait_text(c, "查询码").await;
    fill(c, "#code", &code.to_lowercase()).await;
    click(c, "#track button[type=submit]").await;
    let status = wait_text(c, "已办结：已清运").await;
    assert!(!status.contains("13800138000"), "never the phone");
    fits(c).await;
    shot(c, "browser-voice-track-360.png").await;
    click(c, "#confirm button[type=submit]").await;
    wait_text(c, "已确认解决").await;
    click(c, "#rate input[name=score][value='5']").await;
    click(c, "#rate button[type=submit]").await;
    wait_text(c, "感谢您的评价").await;
    fits(c).await;
    shot(c, "browser-voice-closed-360.png").await;
    c.clone().close().await.unwrap();

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
