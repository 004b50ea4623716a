//! A resident applies for a service from a phone: headless Chromium at 360 px with JavaScript off,
//! no account. Town, village, the centre's catalogue (materials and time limits), the one form,
//! the tracking code; then the code shows the request's status. Nothing wider than the phone on
//! any screen; screenshots kept in `artifacts/`.

use crate::kit::{browser, chromedriver_or_skip, click, fill, link, serve, shot, wait_text};
use fantoccini::{Client, Locator};
use jiceng_store::places::NewPlace;
use jiceng_store::services::ItemInput;
use jiceng_store::{Actor, Scope, Sealer, Store, StoreOptions};
use std::path::PathBuf;

/// Nothing wider than the phone, when the driver can still measure it.
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
async fn resident_applies_online_and_tracks_without_javascript() {
    let Some(driver_bin) = chromedriver_or_skip("the service browser test") else {
        return;
    };
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser-service");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let key = jiceng_store::users::random_token();
    let store = Store::connect(
        &StoreOptions::new(format!("sqlite://{}", dir.join("service.db").display())),
        Sealer::from_hex(&key).unwrap(),
    )
    .await
    .unwrap();
    store.migrate().await.unwrap();
    let (a, s) = (Actor::cli("browser-fixture"), Scope::All);
    let mut parent = None;
    let mut ids = Vec::new();
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
        let id = store.create_place(&a, &s, p, 0).await.unwrap().id;
        ids.push(id);
        parent = Some(id);
    }
    // The demo's catalogue, at the district: every group, long material lists included.
    for (k, (code, group, name, materials, limit, online)) in
        jiceng_demo::CATALOGUE.iter().enumerate()
    {
        let n = ItemInput {
            place_id: ids[0],
            code: (*code).into(),
            name: (*name).into(),
            group: (*group).into(),
            materials: (*materials).into(),
            limit_days: *limit,
            online: *online,
            sort: k as i64,
        };
        store.create_service_item(&a, &s, &n, 0).await.unwrap();
    }
    let base = serve(&store).await;
    // JavaScript off, as on the cheapest phone.
    let browser = browser(driver_bin, 360, 1400, false).await;
    let c = &browser.client;

    c.goto(&format!("{base}/service")).await.unwrap();
    for place in ["斗门区", "乾务镇", "乾西村"] {
        wait_text(c, place).await;
        link(c, place).await;
    }
    // Screen 1: the centre's catalogue.
    let page = wait_text(c, "最低生活保障申请").await;
    assert!(!page.contains("<script"));
    // All 20 items with their materials, and the stylesheet, within 50 KB.
    let css = include_str!("../../../web/assets/app.css");
    assert!(page.len() + css.len() < 50 * 1024, "{} bytes", page.len());
    fits(c).await;
    shot(c, "browser-service-catalogue-360.png").await;
    link(c, "可网上申请：申请居住证明").await;
    // Screen 2: the one form.
    wait_text(c, "提交申请").await;
    fits(c).await;
    fill(c, "#name", "李秀英").await;
    fill(c, "#phone", "13912345678").await;
    fill(c, "#summary", "孩子入学需要居住证明").await;
    shot(c, "browser-service-form-360.png").await;
    click(c, "#apply button[type=submit]").await;
    // Screen 3: the tracking code.
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
    c.goto(&format!("{base}/service/track")).await.unwrap();
    wait_text(c, "查询码").await;
    fill(c, "#code", &code).await;
    click(c, "#track button[type=submit]").await;
    let status = wait_text(c, "待受理").await;
    assert!(!status.contains("13912345678"), "never the phone");
    fits(c).await;
    shot(c, "browser-service-track-360.png").await;
    let r = store.service_request_by_code(&code).await.unwrap();
    assert_eq!(
        (r.channel.as_str(), r.item_name.as_str()),
        ("online", "居住证明")
    );
    c.clone().close().await.unwrap();
    store.close().await;
}
