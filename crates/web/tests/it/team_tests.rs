//! Stationed teams on the web: a team created with a register member and a name, a village
//! assigned, items added and moved (done needs evidence, refusals beside the field with nothing
//! written), progress on the page, the checklist export with the page's filters, scope.
use crate::fixture::{World, user};
use crate::harness::{App, XLSX, xlsx_cells};
use crate::session::login;
use jiceng_store::Scope;
use jiceng_store::sql::Page;
use jiceng_store::teams::ItemFilter;

const DAY: i64 = 86_400_000;

async fn teams(store: jiceng_store::Store) {
    let app = App::new(store);
    let w = World::small(&app).await;
    // Now is 2026-02-13 (Beijing).
    app.clock.advance(80 * DAY);
    let s = login(&app, "town_committee").await;
    user(
        &app.store,
        "baijiao_town",
        "白蕉镇党委",
        "town_committee",
        w.other_town,
    )
    .await;
    let theirs = login(&app, "baijiao_town").await;
    app.send(s.get("/teams"))
        .await
        .expect_page(200, &["新建驻点工作队"]);
    // The leader by name: found once in the town's register, so taken as that member; the
    // others are not in the register and are kept by name.
    let r = app
        .send(s.post(
            "/teams",
            &[
                ("name", "乾务镇驻乾西村工作队"),
                ("leader", "张三"),
                ("members", "刘干部，周干部"),
            ],
        ))
        .await;
    r.expect(303);
    let page = r.location().to_string();
    let id: i64 = page.trim_start_matches("/teams/").parse().unwrap();
    app.send(s.get(&page))
        .await
        .expect_page(200, &["张三", "刘干部", "周干部"]);
    let people = app.store.team_people(&Scope::All, id).await.unwrap();
    assert_eq!(
        people,
        [
            (Some(w.member), "张三".to_string(), true),
            (None, "刘干部".to_string(), false),
            (None, "周干部".to_string(), false)
        ],
        "张三 is the register's; the others are kept by name"
    );
    // Two members of the register share a name: refused beside the field, with their numbers.
    let namesake = crate::fixture::Person {
        id17: "44040319920304006",
        phone: "13800139999",
        ..crate::fixture::ZHANG_SAN
    };
    crate::fixture::member(&app.store, namesake, w.sibling_member_org).await;
    app.send(s.post("/teams", &[("name", "第二工作队"), ("leader", "张三")]))
        .await
        .expect_page(422, &["有2名党员同名", "请填写党员编号"]);
    let village = w.village.to_string();
    // The village is picked from the team's area by name, not typed as a number.
    let offered = format!("<option value=\"{village}\">");
    app.send(s.get(&page))
        .await
        .expect_page(200, &[offered.as_str()]);
    app.send(s.post(
        format!("{page}/villages"),
        &[("place_id", &village), ("from_on", "2026-01-01")],
    ))
    .await
    .expect(303);
    for (due, title) in [
        ("2026-01-31", "走访困难户"),
        ("2026-02-05", "整治村道"),
        ("2026-03-31", "宣讲政策"),
    ] {
        app.send(s.post(
            format!("{page}/items"),
            &[("place_id", &village), ("title", title), ("due_on", due)],
        ))
        .await
        .expect(303);
    }
    let items = || async {
        app.store
            .team_items(&Scope::All, &ItemFilter::default(), Page::new(None, None))
            .await
            .unwrap()
            .0
    };
    let first = items().await[0].id.to_string();
    let offered = format!("<option value=\"{first}\">");
    app.send(s.get(&page))
        .await
        .expect_page(200, &[offered.as_str()]);
    let status = format!("{page}/items/status");
    app.send(s.post(
        &status,
        &[
            ("item_id", &first),
            ("status", "done"),
            ("evidence", " "),
            ("on_date", "2026-01-30"),
        ],
    ))
    .await
    .expect_page(422, &["标记为已完成须填写完成佐证"]);
    app.send(s.post(
        &status,
        &[
            ("item_id", &first),
            ("status", "done"),
            ("evidence", "照片3张"),
            ("on_date", "2026-03-01"),
        ],
    ))
    .await
    .expect_page(422, &["不能晚于今天"]);
    assert!(items().await.iter().all(|i| i.status == "todo"));
    app.send(s.post(
        &status,
        &[
            ("item_id", &first),
            ("status", "done"),
            ("evidence", "走访记录12份"),
            ("on_date", "2026-01-30"),
        ],
    ))
    .await
    .expect(303);
    app.send(s.get(&page))
        .await
        .expect_page(200, &["1/3（33%）", "走访记录12份", "整治村道", "（逾期）"]);
    app.send(s.get("/teams"))
        .await
        .expect_page(200, &["乾务镇驻乾西村工作队", "33%"]);
    // The checklist export with the page's filters: overdue only.
    let r = app
        .send(s.get(format!("/teams/items.xlsx?team={id}&overdue=on")))
        .await;
    r.expect(200);
    assert_eq!(r.content_type(), XLSX);
    let cells = xlsx_cells(&r.body);
    assert!(cells.iter().flatten().any(|c| c == "整治村道"));
    assert!(
        !cells
            .iter()
            .flatten()
            .any(|c| c == "走访困难户" || c == "宣讲政策")
    );
    let r = app
        .send(s.get(format!("/teams/export.xlsx?under={}", w.town)))
        .await;
    assert!(
        xlsx_cells(&r.body)
            .iter()
            .flatten()
            .any(|c| c == "乾务镇驻乾西村工作队")
    );
    // Another town: nothing reachable, nothing listed.
    for path in [page.clone(), format!("/teams/items.xlsx?team={id}")] {
        app.send(theirs.get(&path)).await.expect(404);
    }
    app.send(theirs.post(
        &status,
        &[
            ("item_id", &first),
            ("status", "doing"),
            ("on_date", "2026-02-01"),
        ],
    ))
    .await
    .expect(404);
    let r = app.send(theirs.get("/teams")).await;
    assert!(!r.text().contains("乾务镇驻乾西村工作队"));
    let r = app.send(theirs.get("/teams/items.xlsx")).await;
    assert!(
        !xlsx_cells(&r.body)
            .iter()
            .flatten()
            .any(|c| c == "整治村道")
    );
}
jiceng_store::both_backends!(team_pages, teams);
