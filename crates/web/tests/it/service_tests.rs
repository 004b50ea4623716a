//! The service centre through the pages (issue 5 item 4): the district and a village set up the
//! catalogue; a resident reads the village centre's items (small, no script) and applies online
//! in three screens, gets a tracking code and checks it (a wrong code says nothing); staff accept,
//! ask for materials and finish, take a request at the desk; the overdue list on a moved clock;
//! masking in pages and .xlsx, the audited reveal; CSRF; scope; the flood guard.

use crate::fixture::{OTHER_VILLAGE, VILLAGE, World};
use crate::harness::{App, Call, table_rows, xlsx_cells};
use crate::session::login;
use crate::voice_tests::Resident;
use jiceng_store::services::RequestFilter;
use jiceng_store::sql::Page;
use jiceng_store::{Scope, Store};
use jiceng_web::WebConfig;

const DAY: i64 = 86_400_000;
const APP_CSS: &str = include_str!("../../assets/app.css");
const PHONE: &str = "13912345678";

fn tracking_code(page: &str) -> String {
    page.split("id=\"tracking-code\">")
        .nth(1)
        .and_then(|t| t.split('<').next())
        .expect("the page shows the tracking code")
        .to_string()
}

async fn requests(app: &App) -> Vec<jiceng_store::services::RequestRow> {
    app.store
        .service_requests(
            &Scope::All,
            &RequestFilter::default(),
            Page::new(None, None),
        )
        .await
        .unwrap()
        .0
}

/// The district's item (online, 3 working days) and the village's own (desk only); their ids.
async fn catalogue(app: &App, w: &World) -> (i64, i64) {
    let district = login(app, "district_org").await;
    app.send(district.post(
        format!("/services?under={}", w.county),
        &[
            ("code", "JZZM"),
            ("name", "居住证明"),
            ("group", "gov"),
            ("materials", "身份证\n户口簿"),
            ("limit_days", "3"),
            ("online", "on"),
        ],
    ))
    .await
    .expect(303);
    let vc = login(app, "village_committee").await;
    app.send(vc.post(
        "/services",
        &[
            ("code", "QX-ZJD"),
            ("name", "宅基地申请"),
            ("group", "village"),
            ("materials", "申请书"),
            ("limit_days", "61"),
        ],
    ))
    .await
    .expect_page(422, &["办理时限须为0至60个工作日"]);
    app.send(vc.post(
        "/services",
        &[
            ("code", "QX-ZJD"),
            ("name", "宅基地申请"),
            ("group", "village"),
            ("materials", "申请书"),
            ("limit_days", "20"),
        ],
    ))
    .await
    .expect(303);
    let items = app.store.service_items_at(VILLAGE, false).await.unwrap();
    let id = |n: &str| items.iter().find(|i| i.name == n).unwrap().id;
    (id("居住证明"), id("宅基地申请"))
}

async fn centre(store: Store) {
    let app = App::new(store);
    let w = World::small(&app).await;
    let (proof, homestead) = catalogue(&app, &w).await;

    // The resident's screen 1: the village centre's catalogue, from the top down.
    app.send(Call::get("/service?at=440403105000"))
        .await
        .expect_page(200, &["乾西村", &format!("/service/{VILLAGE}")]);
    let (r, page) = Resident::open(&app, &format!("/service/{VILLAGE}")).await;
    page.expect_page(
        200,
        &[
            "居住证明",
            "宅基地申请",
            "户口簿",
            "3个工作日",
            "lang=\"zh-CN\"",
            "村务",
        ],
    );
    let html = page.text();
    assert!(!html.contains("<script"), "no JavaScript");
    assert!(
        html.len() + APP_CSS.len() < 50 * 1024,
        "small enough for a phone"
    );
    assert!(html.contains(&format!("/service/{VILLAGE}/apply/{proof}")));
    assert!(
        !html.contains(&format!("/apply/{homestead}")),
        "desk-only items have no form"
    );
    // The other town's village offers the district's item, not 乾西村's own.
    let other = app
        .send(Call::get(format!("/service/{OTHER_VILLAGE}")))
        .await;
    other.expect_page(200, &["居住证明"]);
    assert!(!other.text().contains("宅基地申请"));
    app.send(Call::get(format!("/service/{VILLAGE}/apply/{homestead}")))
        .await
        .expect(404);
    app.send(Call::get("/service/440403105000"))
        .await
        .expect(404);

    // Screen 2, then 3: refusals beside the field, nothing written; without CSRF, 403.
    let apply = format!("/service/{VILLAGE}/apply/{proof}");
    app.send(Call::get(&apply))
        .await
        .expect_page(200, &["网上申请", "居住证明", "身份证"]);
    let fields = |phone: &'static str| {
        vec![
            ("name", "李秀英"),
            ("phone", phone),
            ("summary", "办理居住证明，用于孩子入学"),
        ]
    };
    app.send(Call::post(&apply).cookies(&r.jar).form(&fields(PHONE)))
        .await
        .expect(403);
    app.send(r.post(&apply, &fields("12345")))
        .await
        .expect_page(422, &["电话须为11位手机号", "李秀英"]);
    assert!(requests(&app).await.is_empty());
    let filed = app.send(r.post(&apply, &fields(PHONE))).await;
    filed.expect_page(200, &["已收到您的申请", "tracking-code"]);
    let code = tracking_code(&filed.text());

    // Tracking: a wrong code says nothing; the right one shows 待受理.
    app.send(r.post("/service/track", &[("code", "ABCDEFGHJK")]))
        .await
        .expect_page(404, &["查询码不正确"]);
    app.send(r.post("/service/track", &[("code", &code.to_lowercase())]))
        .await
        .expect_page(200, &["居住证明", "待受理", "收到网上申请"]);
    // One box for every code: the problem reports' look-up finds the application too.
    app.send(r.post("/voice/track", &[("code", &code)]))
        .await
        .expect_page(200, &["办件进度", "居住证明", "待受理"]);

    // Staff: the front desk sees the request masked, accepts it, asks for materials.
    let staff = login(&app, "service_staff").await;
    let list = app.send(staff.get("/service-requests")).await;
    list.expect_page(200, &["居住证明", "李**", "139****5678", "网上申请"]);
    assert!(!list.text().contains(PHONE) && !list.text().contains("李秀英"));
    let id = requests(&app).await[0].id;
    let page = format!("/service-requests/{id}");
    app.send(staff.get(&page))
        .await
        .expect_page(200, &["待受理", "受理", "不予受理"]);
    app.send(staff.post(format!("{page}/move"), &[("move", "reject"), ("note", " ")]))
        .await
        .expect_page(422, &["不予受理须写明理由"]);
    app.send(staff.post(format!("{page}/move"), &[("move", "accept")]))
        .await
        .expect(303);
    // Accepted Tuesday 2025-11-25 with 3 working days: due Friday 11-28.
    app.send(staff.get(&page))
        .await
        .expect_page(200, &["已受理", "2025-11-28"]);
    // The desk takes one more; its code is shown once on the request's page.
    let desk = app
        .send(staff.post(
            "/service-requests",
            &[
                ("item_id", &homestead.to_string()),
                ("name", "王建国"),
                ("phone", "13800001111"),
                ("summary", "申请建房用地"),
            ],
        ))
        .await;
    desk.expect_page(200, &["已受理", "查询码", "宅基地申请"]);
    assert!(!desk.text().contains("13800001111"));

    // On 12-05 the first is overdue: the overdue list and its export, masked.
    app.clock.advance(10 * DAY);
    // Sessions end after 30 idle minutes: sign in again on the later day.
    let staff = login(&app, "service_staff").await;
    let overdue = app.send(staff.get("/service-requests?overdue=on")).await;
    overdue.expect_page(200, &["逾期办件", "居住证明", "已逾期"]);
    assert_eq!(table_rows(&overdue.text()), 1, "宅基地申请 is not yet due");
    let x = app
        .send(staff.get("/service-requests/export.xlsx?overdue=on"))
        .await;
    x.expect(200);
    let cells: Vec<String> = xlsx_cells(&x.body).into_iter().flatten().collect();
    assert!(cells.iter().any(|c| c == "139****5678"));
    assert!(
        !cells
            .iter()
            .any(|c| c.contains(PHONE) || c.contains("李秀英"))
    );
    assert!(!cells.iter().any(|c| c == "宅基地申请"));
    // The server's sweep marks it (an entry in its history), then it is finished late.
    assert_eq!(
        app.store
            .service_sweep("2025-12-05", app.now())
            .await
            .unwrap(),
        1
    );
    app.send(staff.post(
        format!("{page}/move"),
        &[("move", "complete"), ("note", "已出具证明")],
    ))
    .await
    .expect(303);
    app.send(r.post("/service/track", &[("code", &code)]))
        .await
        .expect_page(200, &["办结", "已办结：已出具证明", "已超过办结时限"]);

    // Figures at the town, from the roll-ups: 2 requests, 1 completed, 0 on time, 1 overdue.
    let town = login(&app, "town_committee").await;
    let f = app
        .send(town.get(format!("/service-requests/figures?under={}", w.town)))
        .await;
    f.expect_page(200, &["乾务镇", "乾西村", "按时办结率"]);
    let x = app
        .send(town.get(format!(
            "/service-requests/figures/export.xlsx?under={}",
            w.town
        )))
        .await;
    let rows = xlsx_cells(&x.body);
    let town_row = rows
        .iter()
        .find(|r| r.first().is_some_and(|c| c == "乾务镇"))
        .unwrap();
    assert_eq!(&town_row[1..7], ["2", "1", "0", "0.0%", "0", "1"]);

    // The reveal: the 两委 only, audited; the front desk sees masks.
    app.send(staff.post(format!("{page}/reveal"), &[]))
        .await
        .expect(403);
    let vc = login(&app, "village_committee").await;
    let before = app.audit_len().await;
    app.send(vc.post(format!("{page}/reveal"), &[]))
        .await
        .expect_page(200, &[PHONE, "李秀英"]);
    assert_eq!(app.audit_len().await, before + 1);

    // Scope: another village's committee and another town see nothing of it.
    let theirs = login(&app, "baijiao_vc").await;
    let sibling = login(&app, "sibling_vc").await;
    for s in [&theirs, &sibling] {
        app.send(s.get(&page)).await.expect(404);
        app.send(s.post(format!("{page}/move"), &[("move", "start")]))
            .await
            .expect(404);
        app.send(s.post(format!("{page}/reveal"), &[]))
            .await
            .expect(404);
        let list = app.send(s.get("/service-requests")).await;
        assert!(!list.text().contains("李**") && !list.text().contains("宅基地申请"));
        let x = app.send(s.get("/service-requests/export.xlsx")).await;
        assert!(
            !xlsx_cells(&x.body)
                .iter()
                .flatten()
                .any(|c| c == "居住证明")
        );
        app.send(s.get(format!("/service-requests?under={}", w.village)))
            .await
            .expect(404);
        app.send(s.get(format!("/services/{homestead}")))
            .await
            .expect(404);
    }
    // Without the session's CSRF token a staff form is refused, nothing written.
    let before = app.audit_len().await;
    app.send(
        Call::post(format!("{page}/move"))
            .cookies(&vc.jar)
            .form(&[("move", "start")]),
    )
    .await
    .expect(403);
    assert_eq!(app.audit_len().await, before);
    // The village edits its own item (a new limit for new requests; old ones keep theirs).
    app.send(vc.post(
        format!("/services/{homestead}/edit"),
        &[
            ("name", "宅基地建房申请"),
            ("group", "village"),
            ("materials", "申请书\n户口簿"),
            ("limit_days", "25"),
        ],
    ))
    .await
    .expect(303);
    app.send(vc.get(format!("/services/{homestead}")))
        .await
        .expect_page(200, &["宅基地建房申请", "25个工作日"]);
    let kept = requests(&app).await;
    assert!(
        kept.iter()
            .any(|r| r.item_id == homestead && r.limit_days == 20)
    );
    // The village cannot change the district's item; the district can withdraw it.
    app.send(vc.get(format!("/services/{proof}")))
        .await
        .expect(404);
    let district = login(&app, "district_org").await;
    app.send(district.post(format!("/services/{proof}/active"), &[("active", "")]))
        .await
        .expect(303);
    let page = app.send(Call::get(format!("/service/{VILLAGE}"))).await;
    assert!(!page.text().contains("居住证明"));
    app.send(Call::get(&apply)).await.expect(404);
    // Residents and members have no staff pages.
    let member = login(&app, "member").await;
    app.send(member.get("/service-requests")).await.expect(403);
}
jiceng_store::both_backends!(
    service_centre_catalogue_apply_track_desk_overdue_scope,
    centre
);

/// The flood guard: an address may file so many applications an hour, then gets a clear 429.
async fn flood(store: Store) {
    let config = WebConfig {
        voice_reports_per_hour: 2,
        ..Default::default()
    };
    let app = App::with_config(store, config);
    let w = World::small(&app).await;
    let (proof, _) = catalogue(&app, &w).await;
    let apply = format!("/service/{VILLAGE}/apply/{proof}");
    let (r, _) = Resident::open(&app, &apply).await;
    let fields = [
        ("name", "李秀英"),
        ("phone", PHONE),
        ("summary", "居住证明"),
    ];
    for _ in 0..2 {
        app.send(r.post(&apply, &fields))
            .await
            .expect_page(200, &["tracking-code"]);
    }
    app.send(r.post(&apply, &fields))
        .await
        .expect_page(429, &["过于频繁"]);
    assert_eq!(requests(&app).await.len(), 2);
    app.clock.advance(61 * 60_000);
    app.send(r.post(&apply, &fields))
        .await
        .expect_page(200, &["tracking-code"]);
}
jiceng_store::both_backends!(online_applications_are_rate_limited, flood);

/// The district's calendar of holidays: the district sets a day through its form (a refusal
/// beside the field), others only read it; a desk request's due date skips it.
async fn calendar(store: Store) {
    let app = App::new(store);
    let w = World::small(&app).await;
    let (_, homestead) = catalogue(&app, &w).await;
    let district = login(&app, "district_org").await;
    app.send(district.post(
        "/services/calendar",
        &[("day", "2025-11-29"), ("working", "off"), ("note", "周六")],
    ))
    .await
    .expect_page(422, &["本是周末"]);
    // Now is Tuesday 2025-11-25; Wednesday 11-26 … Friday 11-28 off (an example).
    for day in ["2025-11-26", "2025-11-27", "2025-11-28"] {
        app.send(district.post(
            "/services/calendar",
            &[("day", day), ("working", "off"), ("note", "示例假日")],
        ))
        .await
        .expect(303);
    }
    let vc = login(&app, "village_committee").await;
    app.send(vc.post(
        "/services/calendar",
        &[("day", "2025-12-01"), ("working", "off"), ("note", "x")],
    ))
    .await
    .expect(403);
    let staff = login(&app, "service_staff").await;
    let page = app.send(staff.get("/services/calendar")).await;
    page.expect_page(200, &["2025-11-27", "示例假日"]);
    assert!(!page.text().contains("登记节假日"), "no form for the desk");
    app.send(staff.post(
        "/service-requests",
        &[
            ("item_id", &homestead.to_string()),
            ("name", "王建国"),
            ("phone", "13800001111"),
            ("summary", "申请建房用地"),
        ],
    ))
    .await
    .expect(200);
    // 20 working days from 11-25 with three off: 12-26, not 12-23.
    let r = &requests(&app).await[0];
    assert_eq!(r.due_on.as_deref(), Some("2025-12-26"));
}
jiceng_store::both_backends!(service_calendar_holidays, calendar);
