//! 党员联系户 through the pages: a household registered in a grid (masked, revealed with an
//! audit entry), a member assigned, the phone-sized visit form with its refusals in zh-CN, a raised
//! matter put on the problem list, the figures with drill-down and the exports, scope across towns.

use crate::fixture::World;
use crate::harness::{App, XLSX, xlsx_cells};
use crate::scope::{Payload, assert_scoped, assert_scoped_with};
use crate::session::{caller, login};
use jiceng_store::households::{HouseholdFilter, NewHousehold};
use jiceng_store::sql::Page;
use jiceng_store::{Actor, Scope, Store};

async fn households(store: Store) {
    let app = App::new(store);
    let w = World::small(&app).await;
    let s = login(&app, "village_committee").await;
    let grid = app
        .store
        .place_by_code(&Scope::All, crate::fixture::GRID)
        .await
        .unwrap()
        .id;
    let list = format!("/places/{grid}/households");
    app.send(s.get(&list))
        .await
        .expect_page(200, &["尚无住户", "登记住户"]);
    // The village has grids: a household goes in one.
    app.send(s.post(
        format!("/places/{}/households", w.village),
        &[
            ("head_name", "梁明"),
            ("people", "4"),
            ("since_on", "2020-01-01"),
        ],
    ))
    .await
    .expect_page(422, &["已划分网格"]);
    let r = app
        .send(s.post(
            &list,
            &[
                ("head_name", "梁明"),
                ("people", "4"),
                ("phone", "13800138000"),
                ("address", "广东省珠海市斗门区乾务镇乾西村东街8号"),
                ("since_on", "2020-01-01"),
            ],
        ))
        .await;
    r.expect(303);
    let page = r.location().to_string();
    let id: i64 = page.trim_start_matches("/households/").parse().unwrap();
    let html = app.send(s.get(&page)).await;
    html.expect_page(
        200,
        &["梁明", "138****8000", "尚未安排联系党员", "登记走访"],
    );
    assert!(!html.text().contains("13800138000"));
    // The audited reveal.
    let before = app.audit_len().await;
    app.send(s.post(format!("/households/{id}/reveal"), &[("field", "phone")]))
        .await
        .expect_page(200, &["13800138000", "审计"]);
    assert_eq!(app.audit_len().await, before + 1);

    // Assign 张三; a second member for the same time is refused.
    let member = w.member.to_string();
    app.send(s.post(
        format!("/households/{id}/assign"),
        &[("member_id", &member), ("from_on", "2025-01-01")],
    ))
    .await
    .expect_redirect(&page);
    app.send(s.post(
        format!("/households/{id}/assign"),
        &[("member_id", &member), ("from_on", "2025-03-01")],
    ))
    .await
    .expect_page(422, &["已有联系党员"]);

    // The visit form: small, no script, the assigned member chosen already.
    let form = app.send(s.get(format!("/households/{id}/visit"))).await;
    form.expect_page(200, &["走访党员", "入户", "电话", "线上", "转入问题清单"]);
    // A plain POST form: it works with scripts off.
    assert!(
        form.text().contains(&format!(
            "method=\"post\" action=\"/households/{id}/visits\""
        )),
        "works without JavaScript"
    );
    assert!(form.body.len() < 50_000, "small enough for a phone");
    let visit = |on: &str, mode: &str| {
        vec![
            ("member_id", member.clone()),
            ("visited_on", on.to_string()),
            ("mode", mode.to_string()),
        ]
    };
    let post = |fields: Vec<(&'static str, String)>| {
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        s.post(format!("/households/{id}/visits"), &pairs)
    };
    app.send(post(visit("2025-12-01", "home")))
        .await
        .expect_page(422, &["不能晚于今天"]);
    app.send(post(visit("2019-05-01", "home")))
        .await
        .expect_page(422, &["不能早于该户登记日期"]);
    app.send(post(visit("2025-11-01", "fax")))
        .await
        .expect_page(422, &["请选择走访方式"]);
    let mut other = visit("2025-11-01", "home");
    other[0].1 = w.other_member.to_string();
    app.send(post(other))
        .await
        .expect_page(422, &["找不到该党员"]);
    app.send(post(visit("2025-11-01", "home")))
        .await
        .expect_redirect(&page);
    let mut raised = visit("2025-11-20", "phone");
    raised.push(("raised", "巷口排水沟堵塞，雨天积水".into()));
    raised.push(("problem", "on".into()));
    app.send(post(raised)).await.expect_redirect(&page);
    app.send(s.get(&page))
        .await
        .expect_page(200, &["2025-11-20", "电话", "巷口排水沟堵塞", "#"]);
    let (problems, _) = app
        .store
        .problems(&Scope::All, None, None, Page::new(None, None))
        .await
        .unwrap();
    assert!(problems.iter().any(|p| p.source == "visit"));

    // Figures: the town's row leads to the village, the village's to its households.
    let town = login(&app, "town_committee").await;
    let figures = format!("/household-figures?under={}&period=2025", w.town);
    app.send(town.get(&figures))
        .await
        .expect_page(200, &["入户率", "乾西村", "200%"]);
    app.send(town.get(format!(
        "/household-figures?under={}&period=2025-Q4",
        w.village
    )))
    .await
    .expect_page(200, &[&format!("/places/{grid}/households"), "200%"]);
    app.send(town.get("/household-figures?period=2025-13"))
        .await
        .expect(400);
    let x = app
        .send(town.get(format!(
            "/household-figures/export.xlsx?under={}&period=2025",
            w.town
        )))
        .await;
    assert_eq!(x.content_type(), XLSX);
    let cells = xlsx_cells(&x.body);
    assert!(
        cells
            .iter()
            .any(|r| r.first().is_some_and(|c| c == "乾西村"))
    );
    let x = app
        .send(town.get(format!("/places/{}/households/export.xlsx", w.town)))
        .await;
    assert_eq!(x.content_type(), XLSX);
    let flat: String = xlsx_cells(&x.body).concat().join("|");
    assert!(flat.contains("梁明") && flat.contains("138****8000"));
    assert!(!flat.contains("13800138000"), "the export is masked");

    // Closing: no more visits.
    app.send(s.post(
        format!("/households/{id}/close"),
        &[("closed_on", "2025-11-22"), ("reason", "迁出本村")],
    ))
    .await
    .expect_redirect(&page);
    app.send(post(visit("2025-11-23", "home")))
        .await
        .expect_page(422, &["已注销"]);

    // Scope: 白蕉's village committee gets 404 on every household endpoint, and its lists and
    // figures hold nothing of 乾务.
    let theirs = app
        .store
        .create_household(
            &Actor::cli("test"),
            &Scope::All,
            &NewHousehold {
                place_id: w.other_village,
                head_name: "白某".into(),
                people: 2,
                address: None,
                phone: None,
                since_on: "2020-01-01".into(),
            },
            "2025-11-24",
            app.now(),
        )
        .await;
    assert!(theirs.is_err(), "白蕉某村 has a grid");
    let other_grid = app
        .store
        .place_by_code(&Scope::All, "440403106201001")
        .await
        .unwrap()
        .id;
    let theirs = app
        .store
        .create_household(
            &Actor::cli("test"),
            &Scope::All,
            &NewHousehold {
                place_id: other_grid,
                head_name: "白某".into(),
                people: 2,
                address: None,
                phone: None,
                since_on: "2020-01-01".into(),
            },
            "2025-11-24",
            app.now(),
        )
        .await
        .unwrap();
    let bj = caller(&app, "baijiao_vc").await;
    let me = caller(&app, "village_committee").await;
    let mine = app
        .store
        .create_household(
            &Actor::cli("test"),
            &Scope::All,
            &NewHousehold {
                place_id: grid,
                head_name: "麦华".into(),
                people: 3,
                address: None,
                phone: None,
                since_on: "2020-01-01".into(),
            },
            "2025-11-24",
            app.now(),
        )
        .await
        .unwrap();
    for path in ["/households/{id}", "/households/{id}/visit"] {
        assert_scoped(&app, &bj, "GET", path, theirs.id, mine.id).await;
        assert_scoped(&app, &me, "GET", path, mine.id, theirs.id).await;
    }
    for path in [
        "/places/{id}/households",
        "/places/{id}/households/export.xlsx",
    ] {
        assert_scoped(&app, &bj, "GET", path, other_grid, grid).await;
    }
    assert_scoped(
        &app,
        &bj,
        "GET",
        "/household-figures?under={id}",
        w.other_village,
        w.village,
    )
    .await;
    let bj_member = w.other_member.to_string();
    assert_scoped_with(
        &app,
        &bj,
        "POST",
        "/households/{id}/visits",
        theirs.id,
        mine.id,
        Payload::Form(&[
            ("member_id", &bj_member),
            ("visited_on", "2025-11-02"),
            ("mode", "home"),
        ]),
    )
    .await;
    for (path, fields) in [
        (
            "/households/{id}/assign",
            vec![("member_id", bj_member.as_str()), ("from_on", "2025-01-01")],
        ),
        (
            "/households/{id}/close",
            vec![("closed_on", "2025-11-01"), ("reason", "迁出")],
        ),
        ("/households/{id}/reveal", vec![("field", "phone")]),
    ] {
        assert_scoped_with(
            &app,
            &bj,
            "POST",
            path,
            theirs.id,
            mine.id,
            Payload::Form(&fields),
        )
        .await;
    }
    let r = app
        .send(
            bj.session
                .get(format!("/places/{other_grid}/households?closed=on")),
        )
        .await;
    r.expect_page(200, &["白某"]);
    assert!(!r.text().contains("梁明") && !r.text().contains("麦华"));
    let (seen, _) = app
        .store
        .households(
            &app.store
                .place(&Scope::All, w.other_town)
                .await
                .unwrap()
                .scope(),
            &HouseholdFilter::default(),
            Page::new(None, None),
        )
        .await
        .unwrap();
    assert!(seen.iter().all(|h| h.place_code.starts_with("440403106")));
}
jiceng_store::both_backends!(households_visits_and_figures_through_the_pages, households);
