//! Flowing members and two-new coverage through the pages: a flow recorded from the member page
//! (refused before six months, naming the date), seen by the register side and the host, never by
//! another village; the coverage chart, its units and exports, within scope.

use crate::fixture::{World, user};
use crate::harness::{App, xlsx_cells};
use crate::session::login;
use jiceng_store::Store;

async fn flows(store: Store) {
    let app = App::new(store);
    let w = World::small(&app).await;
    user(
        &app.store,
        "baijiao_town",
        "白蕉镇党委",
        "town_committee",
        w.other_town,
    )
    .await;
    let village = login(&app, "village_committee").await;
    let page = format!("/members/{}", w.member);
    app.send(village.get(&page))
        .await
        .expect_page(200, &["登记为流动党员", "外出连续满6个月方可登记"]);
    let host = w.other_member_org.to_string();
    // T0 is 2025-11-24: away since 2025-06-01 is not six months yet.
    let early = [
        ("destination", "白蕉镇轻纺市场"),
        ("away_since", "2025-06-01"),
        ("host_org_id", host.as_str()),
        ("certificate_no", "粤流001"),
        ("registered_on", "2025-11-24"),
    ];
    app.send(village.post(format!("{page}/flow"), &early))
        .await
        .expect_page(
            422,
            &["id=\"flow-start-away_since-error\"", "2025-12-01 起可登记"],
        );
    assert!(
        app.store
            .member_flows(&jiceng_store::Scope::All, w.member)
            .await
            .unwrap()
            .is_empty(),
        "nothing written"
    );
    let ok = [
        ("destination", "白蕉镇轻纺市场"),
        ("away_since", "2025-05-01"),
        ("host_org_id", host.as_str()),
        ("certificate_no", "粤流001"),
        ("registered_on", "2025-11-24"),
    ];
    app.send(village.post(format!("{page}/flow"), &ok))
        .await
        .expect_redirect(&format!("{page}?notice=saved"));
    app.send(village.get(&page))
        .await
        .expect_page(200, &["白蕉镇轻纺市场", "外出自", "结束流动党员登记"]);

    // The register side lists the member as away; the host's town as hosted; others see nothing.
    app.send(village.get("/members/flowing"))
        .await
        .expect_page(200, &["张三", "白蕉镇轻纺市场", "粤流001"]);
    let receiver = login(&app, "baijiao_town").await;
    app.send(receiver.get("/members/flowing?kind=in"))
        .await
        .expect_page(200, &["张三", "白蕉名册测试支部"]);
    let r = app.send(receiver.get("/members/flowing")).await;
    r.expect(200);
    assert!(!r.text().contains("张三"), "not registered with 白蕉镇");
    app.send(receiver.get(format!("/orgs/{}", w.other_member_org)))
        .await
        .expect_page(200, &["流入流动党员", "流入流动党员名单"]);
    let sibling = login(&app, "sibling_vc").await;
    let r = app.send(sibling.get("/members/flowing")).await;
    r.expect(200);
    assert!(!r.text().contains("张三"), "another village sees nothing");
    // The export has the same rows as the page.
    let x = app.send(village.get("/members/flowing/export.xlsx")).await;
    x.expect(200);
    let cells = xlsx_cells(&x.body);
    assert_eq!(cells.len(), 2, "{cells:?}");
    assert_eq!(cells[1][0], "张三");

    // Ending it: not before the member left, then once.
    let id = app
        .store
        .member_flows(&jiceng_store::Scope::All, w.member)
        .await
        .unwrap()[0]
        .id;
    app.send(village.post(format!("/flows/{id}/end"), &[("ended_on", "2025-04-30")]))
        .await
        .expect_page(422, &["结束日期不能早于外出日期"]);
    app.send(sibling.post(format!("/flows/{id}/end"), &[("ended_on", "2025-11-24")]))
        .await
        .expect(404);
    app.send(village.post(format!("/flows/{id}/end"), &[("ended_on", "2025-11-24")]))
        .await
        .expect_redirect(&format!("{page}?notice=saved"));
    app.send(village.get(&page))
        .await
        .expect_page(200, &["登记为流动党员"]);
}
jiceng_store::both_backends!(flowing_members_through_the_pages, flows);

async fn coverage(store: Store) {
    let app = App::new(store);
    let w = World::small(&app).await;
    let town = login(&app, "town_committee").await;
    // The fixture's units employ 12: 两新 organisations, none covered.
    let r = app.send(town.get("/coverage?kind=two_new")).await;
    r.expect_page(200, &["<svg", "两新组织党组织覆盖率", "0.0%", "乾西村"]);
    assert!(!r.text().contains("白蕉"), "another town's places stay out");
    let units = app
        .send(town.get(format!(
            "/coverage/units?under={}&kind=two_new&status=uncovered",
            w.town
        )))
        .await;
    units.expect_page(200, &["乾西测试五金厂", "邻村测试制衣厂", "未建"]);
    assert!(!units.text().contains("白蕉测试电子厂"));
    // A branch for the hardware factory: one of two covered, and it drills down to it.
    let own = app
        .store
        .create_org(
            &jiceng_store::Actor::cli("test"),
            &jiceng_store::Scope::All,
            jiceng_store::orgs::NewOrg {
                parent_id: None,
                place_id: w.village,
                name: "五金厂联合党支部".into(),
                kind: "joint_branch".into(),
                unit_ids: vec![w.unit, w.sibling_unit],
                founded_on: Some("2020-01-01".into()),
            },
            crate::T0,
        )
        .await
        .unwrap();
    app.send(town.get("/coverage?kind=two_new"))
        .await
        .expect_page(200, &["100.0%"]);
    app.send(town.get(format!(
        "/coverage/units?under={}&kind=two_new&status=covered",
        w.town
    )))
    .await
    .expect_page(
        200,
        &[
            "乾西测试五金厂",
            "五金厂联合党支部",
            &format!("/orgs/{}", own.id),
        ],
    );
    let x = app
        .send(town.get(format!(
            "/coverage/units/export.xlsx?under={}&kind=two_new",
            w.town
        )))
        .await;
    x.expect(200);
    assert_eq!(xlsx_cells(&x.body).len(), 3, "header and two units");
    app.send(town.get("/coverage/export.xlsx?kind=two_new"))
        .await
        .expect(200);
    // Another town's place, a bad month: 404 and a clear refusal.
    app.send(town.get(format!("/coverage?under={}", w.other_town)))
        .await
        .expect(404);
    app.send(town.get("/coverage/units?kind=two_new&period=2024-13"))
        .await
        .expect_page(400, &["月份格式应为"]);
}
jiceng_store::both_backends!(coverage_chart_units_and_exports_in_scope, coverage);
