//! Every read and write endpoint that exists, checked for data scope with the helpers of scope.rs
//! (the member register's writes and searches are in member_tests.rs).

use crate::fixture::{self, OTHER_VILLAGE, SIBLING, TOWN, VILLAGE, World};
use crate::harness::App;
use crate::scope::{
    Foreign, Payload, assert_list_confined, assert_list_excludes, assert_refused, assert_scoped,
    assert_scoped_with,
};
use crate::session::{Caller, caller};
use jiceng_store::{Scope, Store};
use serde_json::json;

/// One record of each kind.
#[derive(Debug, Clone, Copy)]
struct Ids {
    place: i64,
    org: i64,
    unit: i64,
    user: i64,
    member: i64,
}

/// Every read endpoint: own records answer, the other ones are 404 (pages and API).
async fn reads_by_id(app: &App, who: &Caller, own: Ids, other: Ids) {
    type Pick = fn(Ids) -> i64;
    let table: [(&str, Pick); 30] = [
        ("/places/{id}", |i| i.place),
        ("/places?under={id}", |i| i.place),
        ("/places/export.xlsx?under={id}", |i| i.place),
        ("/orgs/{id}", |i| i.org),
        ("/orgs?under={id}", |i| i.place),
        ("/orgs/export.xlsx?under={id}", |i| i.place),
        ("/units/{id}", |i| i.unit),
        ("/units?under={id}", |i| i.place),
        ("/units/export.xlsx?under={id}", |i| i.place),
        ("/users/{id}", |i| i.user),
        ("/users?under={id}", |i| i.place),
        ("/users/export.xlsx?under={id}", |i| i.place),
        ("/members/{id}", |i| i.member),
        ("/members?under={id}", |i| i.place),
        ("/members/export.xlsx?under={id}", |i| i.place),
        ("/orgs/{id}/life", |i| i.org),
        ("/orgs/{id}/meetings.ics", |i| i.org),
        ("/life?under={id}", |i| i.place),
        ("/life/branches.xlsx?under={id}", |i| i.place),
        ("/members/{id}/meetings.ics", |i| i.member),
        ("/api/v1/places/{id}", |i| i.place),
        ("/api/v1/places?under={id}", |i| i.place),
        ("/api/v1/orgs/{id}", |i| i.org),
        ("/api/v1/orgs?under={id}", |i| i.place),
        ("/api/v1/units/{id}", |i| i.unit),
        ("/api/v1/units?under={id}", |i| i.place),
        ("/api/v1/users/{id}", |i| i.user),
        ("/api/v1/users?under={id}", |i| i.place),
        ("/api/v1/members/{id}", |i| i.member),
        ("/api/v1/members?under={id}", |i| i.place),
    ];
    for (template, pick) in table {
        assert_scoped(app, who, "GET", template, pick(own), pick(other)).await;
    }
}

/// Every list, export and API list shows rows, none of them from outside the caller's subtree.
async fn lists(app: &App, who: &Caller, outside: &Foreign) {
    for path in [
        "/places",
        "/places?kind=village_level",
        "/places?kind=grid",
        "/places?q=%E6%9D%91", // 村
        "/places?closed=on",
        "/orgs",
        "/orgs?closed=on",
        "/units",
        "/units?closed=on",
        "/users",
        "/places/export.xlsx",
        "/orgs/export.xlsx",
        "/units/export.xlsx",
        "/users/export.xlsx",
        "/members",
        "/members?closed=on",
        "/members/export.xlsx",
        "/api/v1/places",
        "/api/v1/places?include_closed=true",
        "/api/v1/places?kind=grid",
        "/api/v1/orgs",
        "/api/v1/orgs?include_closed=true",
        "/api/v1/units",
        "/api/v1/users",
        "/api/v1/members",
        "/api/v1/members?include_former=true",
    ] {
        assert_list_confined(app, who, path, outside).await;
    }
    // Searching for another town by name or code finds nothing.
    for path in [
        "/places?q=%E7%99%BD%E8%95%89", // 白蕉
        "/api/v1/places?q=440403106",
        "/orgs?q=%E7%99%BD%E8%95%89",
        "/api/v1/units?q=%E7%99%BD%E8%95%89",
        "/api/v1/users?q=baijiao",
        "/members?q=%E7%8E%8B%E4%BA%94", // 王五
        "/api/v1/members?q=ww",
    ] {
        assert_eq!(
            assert_list_excludes(app, who, path, outside).await,
            0,
            "{path}"
        );
    }
}

async fn reads(store: Store) {
    let app = App::new(store);
    let w = World::demo(&app).await;
    // Closed records stay out of reach too (lists below include closed ones).
    let cli = jiceng_store::Actor::cli("test");
    app.store
        .close_unit(&cli, &Scope::All, w.other_unit, crate::T0)
        .await
        .unwrap();
    app.store
        .close_org(&cli, &Scope::All, w.other_org, crate::T0)
        .await
        .unwrap();
    let town = caller(&app, "town_committee").await;
    let mine = Ids {
        place: w.village,
        org: w.org,
        unit: w.unit,
        user: w.user,
        member: w.member,
    };
    let theirs = Ids {
        place: w.other_village,
        org: w.other_org,
        unit: w.other_unit,
        user: w.other_user,
        member: w.other_member,
    };
    reads_by_id(&app, &town, mine, theirs).await;
    let town_only = Ids {
        place: w.other_town,
        ..theirs
    };
    reads_by_id(
        &app,
        &town,
        Ids {
            place: w.town,
            ..mine
        },
        town_only,
    )
    .await;
    lists(&app, &town, &Foreign::outside(&app.store, w.town).await).await;

    // The village account: its neighbours in the same town are out of reach too.
    let village = caller(&app, "village_committee").await;
    let grid_worker = crate::session::user_id(&app, "grid_worker").await;
    let mine = Ids {
        place: w.grid,
        org: w.org,
        unit: w.unit,
        user: grid_worker,
        member: w.member,
    };
    let sibling = Ids {
        place: w.sibling,
        org: w.sibling_org,
        unit: w.sibling_unit,
        user: w.sibling_user,
        member: w.sibling_member,
    };
    reads_by_id(&app, &village, mine, sibling).await;
    reads_by_id(
        &app,
        &village,
        Ids {
            place: w.village,
            ..mine
        },
        Ids {
            place: w.town,
            ..sibling
        },
    )
    .await;
    lists(
        &app,
        &village,
        &Foreign::outside(&app.store, w.village).await,
    )
    .await;
}
jiceng_store::both_backends!(reads_are_scoped, reads);

async fn writes(store: Store) {
    let app = App::new(store);
    let w = World::small(&app).await;
    let s = &app.store;
    let town = caller(&app, "town_committee").await;
    let other_grid = s
        .place_by_code(&Scope::All, "440403106201001")
        .await
        .unwrap()
        .id;
    let spare_grid = fixture::place(s, Some(w.village), "440403105201002", "临时网格甲").await;
    let spare_grid2 = fixture::place(s, Some(w.village), "440403105201003", "临时网格乙").await;
    let spare_grid3 = fixture::place(s, Some(w.village), "440403105201004", "临时网格丙").await;
    let spare_org = fixture::org(s, None, w.village, "临时党支部", "branch").await;
    let spare_unit = fixture::unit(s, w.village, "临时测试厂").await;

    // Pages.
    let rename: &[(&str, &str)] = &[("name", "改过的名字")];
    assert_scoped_with(
        &app,
        &town,
        "POST",
        "/places/{id}/rename",
        w.sibling,
        w.other_village,
        Payload::Form(rename),
    )
    .await;
    let mv: &[(&str, &str)] = &[("parent_code", SIBLING), ("code", "440403105202009")];
    assert_scoped_with(
        &app,
        &town,
        "POST",
        "/places/{id}/move",
        spare_grid,
        other_grid,
        Payload::Form(mv),
    )
    .await;
    assert_scoped(
        &app,
        &town,
        "POST",
        "/places/{id}/close",
        spare_grid2,
        other_grid,
    )
    .await;
    assert_scoped_with(
        &app,
        &town,
        "POST",
        "/orgs/{id}/rename",
        w.org,
        w.other_org,
        Payload::Form(rename),
    )
    .await;
    let org_mv: &[(&str, &str)] = &[("parent_id", ""), ("place_code", VILLAGE)];
    assert_scoped_with(
        &app,
        &town,
        "POST",
        "/orgs/{id}/move",
        w.org,
        w.other_org,
        Payload::Form(org_mv),
    )
    .await;
    assert_scoped(
        &app,
        &town,
        "POST",
        "/orgs/{id}/close",
        w.sibling_org,
        w.other_org,
    )
    .await;
    let edit: &[(&str, &str)] = &[
        ("place_code", VILLAGE),
        ("name", "改过的厂"),
        ("kind", "enterprise"),
        ("staff", "5"),
    ];
    assert_scoped_with(
        &app,
        &town,
        "POST",
        "/units/{id}/edit",
        w.unit,
        w.other_unit,
        Payload::Form(edit),
    )
    .await;
    assert_scoped(
        &app,
        &town,
        "POST",
        "/units/{id}/close",
        w.sibling_unit,
        w.other_unit,
    )
    .await;
    // Creating under, or moving into, another town.
    let new_place: &[(&str, &str)] = &[
        ("parent_id", &w.other_town.to_string()),
        ("name", "越界村"),
        ("code", "440403106209"),
    ];
    assert_refused(
        &app,
        &town,
        "POST",
        "/places",
        Payload::Form(new_place),
        404,
    )
    .await;
    let outside = "不在您的管辖范围内";
    let new_org: &[(&str, &str)] = &[
        ("place_code", OTHER_VILLAGE),
        ("name", "越界支部"),
        ("kind", "branch"),
    ];
    assert_refused(&app, &town, "POST", "/orgs", Payload::Form(new_org), 422)
        .await
        .expect_page(422, &[outside]);
    let new_unit: &[(&str, &str)] = &[
        ("place_code", OTHER_VILLAGE),
        ("name", "越界厂"),
        ("kind", "enterprise"),
    ];
    assert_refused(&app, &town, "POST", "/units", Payload::Form(new_unit), 422)
        .await
        .expect_page(422, &[outside]);
    let into: &[(&str, &str)] = &[("parent_code", OTHER_VILLAGE)];
    let path = format!("/places/{spare_grid3}/move");
    assert_refused(&app, &town, "POST", &path, Payload::Form(into), 422)
        .await
        .expect_page(422, &[outside]);

    // API.
    let name = json!({"name": "接口改名"});
    assert_scoped_with(
        &app,
        &town,
        "PATCH",
        "/api/v1/places/{id}",
        w.sibling,
        w.other_village,
        Payload::Json(name.clone()),
    )
    .await;
    let mv = json!({"parent_id": w.sibling, "code": "440403105202008"});
    assert_scoped_with(
        &app,
        &town,
        "POST",
        "/api/v1/places/{id}/move",
        spare_grid3,
        other_grid,
        Payload::Json(mv),
    )
    .await;
    assert_scoped(
        &app,
        &town,
        "POST",
        "/api/v1/places/{id}/close",
        spare_grid3,
        other_grid,
    )
    .await;
    assert_scoped_with(
        &app,
        &town,
        "PATCH",
        "/api/v1/orgs/{id}",
        w.org,
        w.other_org,
        Payload::Json(name.clone()),
    )
    .await;
    let org_mv = json!({"parent_id": null, "place_id": w.village});
    assert_scoped_with(
        &app,
        &town,
        "POST",
        "/api/v1/orgs/{id}/move",
        w.org,
        w.other_org,
        Payload::Json(org_mv),
    )
    .await;
    assert_scoped(
        &app,
        &town,
        "POST",
        "/api/v1/orgs/{id}/close",
        spare_org,
        w.other_org,
    )
    .await;
    let unit = json!({"place_id": w.village, "name": "接口改厂", "kind": "enterprise"});
    assert_scoped_with(
        &app,
        &town,
        "PUT",
        "/api/v1/units/{id}",
        w.unit,
        w.other_unit,
        Payload::Json(unit),
    )
    .await;
    assert_scoped(
        &app,
        &town,
        "POST",
        "/api/v1/units/{id}/close",
        spare_unit,
        w.other_unit,
    )
    .await;
    let theirs = w.other_village;
    for (method, path, body) in [
        (
            "POST",
            "/api/v1/places".to_string(),
            json!({"parent_id": theirs, "name": "越界网格"}),
        ),
        (
            "POST",
            "/api/v1/orgs".to_string(),
            json!({"place_id": theirs, "name": "越界支部", "kind": "branch"}),
        ),
        (
            "POST",
            "/api/v1/units".to_string(),
            json!({"place_id": theirs, "name": "越界厂", "kind": "enterprise"}),
        ),
        (
            "PUT",
            format!("/api/v1/units/{}", w.unit),
            json!({"place_id": theirs, "name": "越界厂", "kind": "enterprise"}),
        ),
        (
            "POST",
            format!("/api/v1/orgs/{}/move", w.org),
            json!({"parent_id": null, "place_id": theirs}),
        ),
        (
            "POST",
            format!("/api/v1/orgs/{}/move", w.org),
            json!({"parent_id": w.other_org}),
        ),
        (
            "POST",
            format!("/api/v1/places/{}/move", w.grid),
            json!({"parent_id": theirs}),
        ),
    ] {
        assert_refused(&app, &town, method, &path, Payload::Json(body), 404).await;
    }

    // The village account cannot touch its neighbour village in the same town.
    let village = caller(&app, "village_committee").await;
    assert_scoped_with(
        &app,
        &village,
        "POST",
        "/places/{id}/rename",
        w.grid,
        w.sibling,
        Payload::Form(rename),
    )
    .await;
    assert_scoped_with(
        &app,
        &village,
        "PATCH",
        "/api/v1/places/{id}",
        w.grid,
        w.sibling,
        Payload::Json(name),
    )
    .await;
    let town_id = s.place_by_code(&Scope::All, TOWN).await.unwrap().id;
    assert_refused(
        &app,
        &village,
        "POST",
        &format!("/places/{town_id}/close"),
        Payload::None,
        404,
    )
    .await;
}
jiceng_store::both_backends!(writes_are_scoped, writes);
