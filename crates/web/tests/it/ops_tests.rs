//! Health, metrics, the figures on a place's home page, and the Excel exports.

use crate::fixture::{World, citizen_id};
use crate::harness::{App, Call, XLSX, pager_total, stats, xlsx_cells};
use crate::session::{login, token};
use jiceng_store::Store;
use serde_json::json;

async fn health_and_metrics(store: Store) {
    let app = App::new(store);
    let r = app.send(Call::get("/healthz")).await;
    r.expect(200);
    assert_eq!(r.json(), serde_json::json!({"status": "ok"}));
    // Security headers and a request id on every answer.
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.header("x-frame-options"), Some("DENY"));
    assert!(r.header("content-security-policy").is_some());
    assert!(r.header("x-request-id").is_some_and(|v| !v.is_empty()));
    // A request id sent by a proxy is kept.
    let r = app
        .send(Call::get("/healthz").header("x-request-id", "proxy-42"))
        .await;
    assert_eq!(r.header("x-request-id"), Some("proxy-42"));
    let r = app.send(Call::get("/metrics")).await;
    r.expect(200);
    assert!(r.content_type().starts_with("text/plain"));
    let text = r.text();
    assert!(text.contains("http_requests_total"), "{text}");
    assert!(text.contains("path=\"/healthz\""), "{text}");
    assert!(text.contains("http_request_duration_seconds"), "{text}");
}
jiceng_store::both_backends!(health_and_metrics_answer, health_and_metrics);

/// Each figure on a place's home page links to the list behind it, and the list holds as many
/// rows as the figure says; the API's `counts` agree. Returns (label, value) pairs.
async fn check_figures(app: &App, who: &str, place: i64) -> Vec<(String, i64)> {
    let s = login(app, who).await;
    let page = app.send(s.get(format!("/places/{place}"))).await;
    page.expect_page(200, &["<h2 id=\"stats-h\">统计</h2>"]);
    let figures = stats(&page.text());
    assert!(figures.len() >= 4, "{who}: {figures:?}");
    // 「党员」 only for the roles that may open the register it links to.
    let manages = jiceng_domain::Role::parse(who).unwrap().manages_members();
    assert_eq!(
        figures.iter().any(|f| f.2 == "党员"),
        manages,
        "{who}: {figures:?}"
    );
    for (href, value, label) in &figures {
        assert!(
            href.contains(&format!("under={place}")),
            "{who}: {label} links to {href}"
        );
        let list = app.send(s.get(href.as_str())).await;
        list.expect_page(200, &[]);
        assert_eq!(
            pager_total(&list.text()),
            *value,
            "{who}: 「{label}」 on /places/{place} shows {value} but {href} lists another number"
        );
    }
    let tok = token(app, who).await;
    let v = app
        .send(Call::get(format!("/api/v1/places/{place}")).bearer(&tok))
        .await
        .json();
    for (metric, label) in [("orgs", "党组织"), ("units", "单位"), ("accounts", "账号")] {
        let shown = figures.iter().find(|f| f.2 == label).map(|f| f.1);
        assert_eq!(
            v["counts"][metric].as_i64().or(Some(0)),
            shown,
            "{who}: {metric}"
        );
    }
    figures.into_iter().map(|(_, v, l)| (l, v)).collect()
}

fn figure(f: &[(String, i64)], label: &str) -> i64 {
    f.iter()
        .find(|(l, _)| l == label)
        .map(|f| f.1)
        .unwrap_or_else(|| panic!("no 「{label}」 in {f:?}"))
}

fn villages(f: &[(String, i64)]) -> i64 {
    figure(f, "村（社区）")
}

/// The 「党员」 figures of the county, the town, the village and the other town.
async fn members(app: &App, w: &World) -> [i64; 4] {
    [
        figure(&check_figures(app, "district_org", w.county).await, "党员"),
        figure(&check_figures(app, "town_committee", w.town).await, "党员"),
        figure(
            &check_figures(app, "village_committee", w.village).await,
            "党员",
        ),
        figure(
            &check_figures(app, "district_org", w.other_town).await,
            "党员",
        ),
    ]
}

/// Roles that do not manage members see no 「党员」 figure on their home page.
async fn no_member_figure(app: &App, who: &str) {
    let s = login(app, who).await;
    let home = app.send(s.get("/")).await;
    let page = app.send(s.get(home.location())).await;
    page.expect_page(200, &[]);
    let figures = stats(&page.text());
    assert!(!figures.is_empty(), "{who}: no figures");
    assert!(figures.iter().all(|f| f.2 != "党员"), "{who}: {figures:?}");
}

async fn figures(store: Store) {
    let app = App::new(store);
    let w = World::demo(&app).await;
    assert_eq!(
        villages(&check_figures(&app, "district_org", w.county).await),
        129
    );
    assert_eq!(
        villages(&check_figures(&app, "town_committee", w.town).await),
        17
    );
    check_figures(&app, "village_committee", w.village).await;
    // 张三 in 乾西村, 李四 in 乾东村, 王五 in 白蕉镇.
    assert_eq!(members(&app, &w).await, [3, 2, 1, 1]);
    for who in ["grid_worker", "member", "service_staff"] {
        no_member_figure(&app, who).await;
    }
    // 乾务镇 in the API: the village count equals the length of the village list.
    let tok = token(&app, "district_org").await;
    let url = format!("/api/v1/places?under={}&kind=village_level", w.town);
    assert_eq!(
        app.send(Call::get(&url).bearer(&tok)).await.json()["total"],
        17
    );

    // After closing, moving and adding things the figures still match their lists.
    let api = |m: &str, p: String, b: serde_json::Value| Call::new(m, p).bearer(&tok).json(&b);
    let grid = app
        .store
        .place_by_code(&jiceng_store::Scope::All, "440403105202001")
        .await
        .unwrap()
        .id;
    for (m, p, b) in [
        ("POST", format!("/api/v1/places/{grid}/close"), json!({})),
        ("POST", format!("/api/v1/units/{}/close", w.unit), json!({})),
        ("POST", format!("/api/v1/orgs/{}/close", w.org), json!({})),
        (
            "PUT",
            format!("/api/v1/units/{}", w.sibling_unit),
            json!({"place_id": w.other_village, "name": "迁走的厂", "kind": "enterprise"}),
        ),
        (
            "POST",
            format!("/api/v1/orgs/{}/move", w.sibling_org),
            json!({"parent_id": null, "place_id": w.other_village}),
        ),
        (
            "POST",
            format!("/api/v1/places/{}/move", w.sibling),
            json!({"parent_id": w.other_town, "code": "440403106299"}),
        ),
        (
            "POST",
            "/api/v1/places".to_string(),
            json!({"parent_id": w.village, "name": "新增网格"}),
        ),
        // Members: a new one in 乾西村, 王五 leaves the Party, 张三 transfers to 白蕉镇.
        (
            "POST",
            "/api/v1/members".to_string(),
            crate::member_tests::body(
                w.member_org,
                "周八",
                &citizen_id("44040320000101009"),
                "",
                "",
            ),
        ),
        ("PUT", format!("/api/v1/members/{}", w.other_member), {
            let mut b = crate::member_tests::body(w.other_member_org, "王五", "", "", "");
            b["status"] = json!("left");
            b
        }),
        (
            "PUT",
            format!("/api/v1/members/{}", w.member),
            crate::member_tests::body(w.other_member_org, "张三", "", "", ""),
        ),
    ] {
        app.send(api(m, p, b)).await.expect(200);
    }
    let sys = crate::session::login(&app, "sys_admin").await;
    let form = [
        ("username", "late_comer"),
        ("display_name", "新党员"),
        ("role", "member"),
        ("place_code", "440403105201"),
        ("password", "Late#2026x"),
    ];
    app.send(sys.post("/users", &form))
        .await
        .expect_redirect("/users/");
    assert_eq!(
        villages(&check_figures(&app, "district_org", w.county).await),
        129
    );
    assert_eq!(
        villages(&check_figures(&app, "town_committee", w.town).await),
        16
    );
    check_figures(&app, "village_committee", w.village).await;
    // 白蕉镇 gained the village: 29 + 1.
    assert_eq!(
        villages(&check_figures(&app, "district_org", w.other_town).await),
        30
    );
    // 李四 moved with 乾东村, 张三 transferred, 周八 joined, 王五 left (no longer counted).
    assert_eq!(members(&app, &w).await, [3, 1, 1, 2]);
}
jiceng_store::both_backends!(figures_match_the_lists_behind_them, figures);

async fn exports(store: Store) {
    let app = App::new(store);
    let w = World::small(&app).await;
    let town = login(&app, "town_committee").await;
    for (path, header, expected) in [
        ("/places/export.xlsx", "代码", "乾西村"),
        ("/orgs/export.xlsx", "名称", "乾西村测试党支部"),
        ("/units/export.xlsx", "名称", "乾西测试五金厂"),
        ("/users/export.xlsx", "用户名", "village_committee"),
    ] {
        let r = app.send(town.get(path)).await;
        r.expect(200);
        assert_eq!(r.content_type(), XLSX, "{path}");
        assert!(
            r.header("content-disposition")
                .is_some_and(|d| d.starts_with("attachment") && d.contains(".xlsx"))
        );
        let cells = xlsx_cells(&r.body);
        assert!(
            cells[0].iter().any(|c| c == header),
            "{path}: header row {:?}",
            cells[0]
        );
        assert!(
            cells.iter().flatten().any(|c| c == expected),
            "{path}: {expected} missing"
        );
        assert!(
            !cells.iter().flatten().any(|c| c.contains("白蕉")),
            "{path}: another town exported"
        );
    }
    // The export follows the list's filters.
    let r = app
        .send(town.get(format!("/places/export.xlsx?under={}&kind=grid", w.village)))
        .await;
    let cells = xlsx_cells(&r.body);
    assert_eq!(cells.len(), 2, "{cells:?}");
    assert_eq!(cells[1][0], "440403105201001");
    let audit = login(&app, "audit_admin").await;
    let r = app.send(audit.get("/audit/export.xlsx")).await;
    r.expect(200);
    assert_eq!(r.content_type(), XLSX);
    assert!(xlsx_cells(&r.body).len() > 1);
}
jiceng_store::both_backends!(exports_are_spreadsheets, exports);
