//! One browser session in Debian's headless Chromium through chromedriver: a town user logs in,
//! opens a village, adds a grid, sees it in the list, imports a roster, reveals one ID number, runs
//! a matter through 四议两公开 to the public board (`browser_matter`), logs out. A screenshot is kept in
//! `artifacts/`, and the database stays in `target/tmp/browser/` for `jiceng audit verify` in CI.

use crate::kit::{
    browser, chromedriver_or_skip, click, fill, link, serve, shot, wait_path, wait_text,
};
use jiceng_store::{Scope, Sealer, Store, StoreOptions};
use jiceng_web::clock::Clock;
use std::path::PathBuf;

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn town_user_adds_a_grid_in_the_browser() {
    let Some(driver_bin) = chromedriver_or_skip("the browser test") else {
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

    let base = serve(&store).await;
    let browser = browser(driver_bin, 1200, 1600, true).await;
    let c = &browser.client;

    c.goto(&format!("{base}/")).await.unwrap();
    assert!(c.current_url().await.unwrap().path().starts_with("/login"));
    fill(c, "input[name=username]", "town_committee").await;
    fill(c, "input[name=password]", jiceng_demo::DEMO_PASSWORD).await;
    click(c, "#login button[type=submit]").await;
    let town = store
        .place_by_code(&Scope::All, "440403105000")
        .await
        .unwrap();
    wait_path(c, &format!("/places/{}", town.id)).await;
    wait_text(c, "乾务镇").await;

    link(c, "乾西村").await;
    let village = store
        .place_by_code(&Scope::All, "440403105201")
        .await
        .unwrap();
    wait_path(c, &format!("/places/{}", village.id)).await;
    fill(c, "#create input[name=name]", "浏览器测试网格").await;
    click(c, "#create button[type=submit]").await;
    // A click that submits a form returns before the next page is in: wait for what it shows.
    wait_text(c, "浏览器测试网格").await;

    // Import a roster: upload, preview, accept; then reveal one member's ID number.
    let org: i64 = sqlx::query_scalar("SELECT o.id FROM orgs o JOIN places p ON p.id = o.place_id WHERE p.code = '440403105201' ORDER BY o.id LIMIT 1")
        .fetch_one(&store.reader)
        .await
        .unwrap();
    let roster = dir.join("roster.xlsx");
    write_roster(&roster, org);
    // The register is one click away in the navigation; the import one more.
    link(c, "党员").await;
    wait_path(c, "/members").await;
    link(c, "导入名册").await;
    wait_path(c, "/members/import").await;
    fill(c, "#upload input[type=file]", &roster.display().to_string()).await;
    click(c, "#upload button[type=submit]").await;
    let preview = wait_text(c, "确认导入").await;
    assert!(preview.contains("导入 1"), "one new member in the preview");
    shot(c, "browser-import-preview.png").await;
    click(c, "#accept button[type=submit]").await;
    wait_path(c, "/members").await;
    c.goto(&format!(
        "{base}/members?q=%E6%B5%8F%E8%A7%88%E5%99%A8%E5%AF%BC%E5%85%A5%E7%94%B2"
    ))
    .await
    .unwrap();
    link(c, "浏览器导入甲").await;
    let masked = wait_text(c, "1101**********002X").await;
    assert!(masked.contains("1101**********002X") && !masked.contains("11010519491231002X"));
    click(c, "#reveal-id_number button[type=submit]").await;
    wait_text(c, "11010519491231002X").await;

    shot(c, "browser-grid.png").await;

    crate::browser_matter::six_steps(c, &base, &store, village.id).await;

    click(c, "form[action='/logout'] button").await;
    wait_path(c, "/login").await;
    c.goto(&format!("{base}/places/{}", village.id))
        .await
        .unwrap();
    assert!(
        c.current_url().await.unwrap().path().starts_with("/login"),
        "logged out for real"
    );
    c.clone().close().await.unwrap();

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
