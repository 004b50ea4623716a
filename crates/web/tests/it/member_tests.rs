//! The member register: data scope on every member endpoint, the roles that may use it, the
//! register and edit forms, and search. Masking and the audited reveal are in member_privacy_tests.rs.

use crate::fixture::{LI_SI, WANG_WU, World, ZHANG_SAN, citizen_id, wrong_check};
use crate::harness::{App, Call, pager_total, xlsx_cells};
use crate::scope::{
    Foreign, Payload, assert_list_confined, assert_list_excludes, assert_refused, assert_scoped,
    assert_scoped_with, fingerprint,
};
use crate::session::{caller, login};
use jiceng_domain::Role;
use jiceng_store::Store;
use serde_json::{Value, json};

/// The register form's fields; sealed ones as given (an empty one keeps its value on an edit).
pub fn form(org: i64, name: &str, id: &str, phone: &str, address: &str) -> Vec<(String, String)> {
    let org = org.to_string();
    [
        ("org_id", org.as_str()),
        ("name", name),
        ("id_number", id),
        ("ethnicity", "汉族"),
        ("education", "secondary"),
        ("occupation", "farmer"),
        ("status", "full"),
        ("join_date", "2015-07-01"),
        ("full_date", "2016-07-01"),
        ("workplace", ""),
        ("phone", phone),
        ("address", address),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

pub fn pairs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// The API body of the same.
pub fn body(org: i64, name: &str, id: &str, phone: &str, address: &str) -> Value {
    json!({"org_id": org, "name": name, "id_number": id, "education": "secondary",
        "occupation": "farmer", "status": "full", "join_date": "2015-07-01",
        "full_date": "2016-07-01", "phone": phone, "address": address})
}

#[test]
fn check_digits_follow_gb_11643() {
    assert_eq!(citizen_id("11010519491231002"), "11010519491231002X");
    assert_ne!(wrong_check("11010519491231002"), "11010519491231002X");
    for p in [ZHANG_SAN, LI_SI, WANG_WU] {
        assert_eq!(p.id_number().len(), 18);
        assert!(jiceng_domain::idcard::CitizenId::parse(&p.id_number()).is_ok());
        assert!(jiceng_domain::idcard::CitizenId::parse(&wrong_check(p.id17)).is_err());
    }
}

async fn scope(store: Store) {
    let app = App::new(store);
    let w = World::small(&app).await;
    let town = caller(&app, "town_committee").await;
    for (template, own, other) in [
        ("/members/{id}", w.member, w.other_member),
        ("/members?under={id}", w.village, w.other_village),
        ("/members?under={id}", w.town, w.other_town),
        (
            "/members/export.xlsx?under={id}",
            w.village,
            w.other_village,
        ),
        ("/members/export.xlsx?under={id}", w.town, w.other_town),
        ("/api/v1/members/{id}", w.member, w.other_member),
        ("/api/v1/members?under={id}", w.village, w.other_village),
        ("/api/v1/members?under={id}", w.town, w.other_town),
    ] {
        assert_scoped(&app, &town, "GET", template, own, other).await;
    }
    let outside = Foreign::outside(&app.store, w.town).await;
    for v in [WANG_WU.name.to_string(), WANG_WU.id_masked()] {
        assert!(outside.values.contains(&v), "{v} is not checked");
    }
    for path in [
        "/members",
        "/members?closed=on",
        "/members?q=zs",
        "/members/export.xlsx",
        "/members/export.xlsx?closed=on",
        "/api/v1/members",
        "/api/v1/members?include_former=true",
        "/api/v1/members?q=ls",
    ] {
        assert_list_confined(&app, &town, path, &outside).await;
    }
    // Looking for the other town's member by name, initials, ID number, phone or organisation.
    let (id, phone) = (WANG_WU.id_number(), WANG_WU.phone);
    let org = w.other_member_org;
    for path in [
        format!("/members?q={}", "%E7%8E%8B%E4%BA%94"), // 王五
        "/members?q=ww".to_string(),
        format!("/members?q={id}"),
        format!("/members?q={phone}&closed=on"),
        format!("/members?org={org}"),
        format!("/members/export.xlsx?q={id}"),
        format!("/api/v1/members?q={id}"),
        format!("/api/v1/members?q={phone}"),
        "/api/v1/members?q=ww".to_string(),
        format!("/api/v1/members?org_id={org}&include_former=true"),
    ] {
        let seen = assert_list_excludes(&app, &town, &path, &outside).await;
        assert_eq!(seen, 0, "{path}");
    }

    // Writes on another town's member: 404, nothing changed, no audit entry (a reveal included).
    let edit = form(w.member_org, "张三", "", "", "");
    assert_scoped_with(
        &app,
        &town,
        "POST",
        "/members/{id}/edit",
        w.member,
        w.other_member,
        Payload::Form(&pairs(&edit)),
    )
    .await;
    for field in ["id_number", "phone", "address"] {
        assert_scoped_with(
            &app,
            &town,
            "POST",
            "/members/{id}/reveal",
            w.member,
            w.other_member,
            Payload::Form(&[("field", field)]),
        )
        .await;
        assert_scoped_with(
            &app,
            &town,
            "POST",
            "/api/v1/members/{id}/reveal",
            w.member,
            w.other_member,
            Payload::Json(json!({"field": field})),
        )
        .await;
    }
    assert_scoped_with(
        &app,
        &town,
        "PUT",
        "/api/v1/members/{id}",
        w.member,
        w.other_member,
        Payload::Json(body(w.member_org, "张三", "", "", "")),
    )
    .await;
    // Registering with, or moving one's own member to, another town's organisation.
    let gone = "不在管辖范围内";
    let new = form(org, "越界党员", &citizen_id("44040319920202001"), "", "");
    assert_refused(
        &app,
        &town,
        "POST",
        "/members",
        Payload::Form(&pairs(&new)),
        422,
    )
    .await
    .expect_page(422, &["id=\"create-org_id-error\"", gone]);
    let path = format!("/members/{}/edit", w.member);
    let away = form(org, "张三", "", "", "");
    assert_refused(
        &app,
        &town,
        "POST",
        &path,
        Payload::Form(&pairs(&away)),
        422,
    )
    .await
    .expect_page(422, &["id=\"edit-org_id-error\"", gone]);
    let api = [
        (
            "POST",
            "/api/v1/members".to_string(),
            body(org, "越界党员", &citizen_id("44040319920202001"), "", ""),
        ),
        (
            "PUT",
            format!("/api/v1/members/{}", w.member),
            body(org, "张三", "", "", ""),
        ),
    ];
    for (method, path, b) in api {
        assert_refused(&app, &town, method, &path, Payload::Json(b), 422)
            .await
            .expect_api_error(422, "member.org_unknown");
    }

    // The village account: its neighbour village in the same town is out of reach too.
    let village = caller(&app, "village_committee").await;
    let (mine, theirs) = (w.member, w.sibling_member);
    assert_scoped(&app, &village, "GET", "/members/{id}", mine, theirs).await;
    assert_scoped(&app, &village, "GET", "/api/v1/members/{id}", mine, theirs).await;
    let under = "/members?under={id}";
    assert_scoped(&app, &village, "GET", under, w.village, w.sibling).await;
    assert_scoped(&app, &village, "GET", under, w.village, w.town).await;
    let reveal = Payload::Form(&[("field", "address")]);
    assert_scoped_with(
        &app,
        &village,
        "POST",
        "/members/{id}/reveal",
        mine,
        theirs,
        reveal,
    )
    .await;
    let reveal = Payload::Json(json!({"field": "phone"}));
    let path = "/api/v1/members/{id}/reveal";
    assert_scoped_with(&app, &village, "POST", path, mine, theirs, reveal).await;
    let edit = pairs(&edit);
    let edit = Payload::Form(&edit);
    assert_scoped_with(
        &app,
        &village,
        "POST",
        "/members/{id}/edit",
        mine,
        theirs,
        edit,
    )
    .await;
    let outside = Foreign::outside(&app.store, w.village).await;
    assert!(outside.values.contains(LI_SI.name));
    for path in ["/members", "/members/export.xlsx", "/api/v1/members"] {
        assert_list_confined(&app, &village, path, &outside).await;
    }
    let path = format!("/api/v1/members?q={}", LI_SI.id_number());
    assert_eq!(
        assert_list_excludes(&app, &village, &path, &outside).await,
        0
    );

    // The district sees all three.
    let district = caller(&app, "district_org").await;
    let r = app
        .send(Call::get("/api/v1/members").bearer(&district.token))
        .await;
    assert_eq!(r.json()["total"], 3, "{}", r.snippet());
}
jiceng_store::both_backends!(member_endpoints_are_scoped, scope);

async fn roles(store: Store) {
    let app = App::new(store);
    let w = World::small(&app).await;
    let m = w.member;
    let edit = form(w.member_org, "张三", "", "", "");
    let edit = pairs(&edit);
    let new = form(
        w.member_org,
        "新党员",
        &citizen_id("44040319920202001"),
        "",
        "",
    );
    let new = pairs(&new);
    let new_json = body(
        w.member_org,
        "新党员",
        &citizen_id("44040319920202001"),
        "",
        "",
    );
    for role in Role::ALL {
        let who = caller(&app, role.as_str()).await;
        let name = role.as_str();
        let page = app.send(who.session.get("/members")).await;
        let api = app
            .send(Call::get("/api/v1/members").bearer(&who.token))
            .await;
        if role.manages_members() {
            page.expect_page(200, &[ZHANG_SAN.name]);
            assert!(api.expect(200).json()["total"].as_i64().unwrap() >= 1);
            continue;
        }
        page.expect_page(403, &["您的角色无权进行此操作"]);
        api.expect_api_error(403, "forbidden");
        for path in [
            format!("/members/{m}"),
            "/members/export.xlsx".to_string(),
            format!("/members?under={}", w.village),
        ] {
            let r = app.send(who.session.get(&path)).await;
            assert_eq!(r.status.as_u16(), 403, "{name} GET {path}");
        }
        let r = app
            .send(Call::get(format!("/api/v1/members/{m}")).bearer(&who.token))
            .await;
        r.expect_api_error(403, "forbidden");
        let writes = [
            (
                "POST",
                format!("/members/{m}/reveal"),
                Payload::Form(&[("field", "id_number")]),
            ),
            ("POST", format!("/members/{m}/edit"), Payload::Form(&edit)),
            ("POST", "/members".to_string(), Payload::Form(&new)),
            (
                "POST",
                format!("/api/v1/members/{m}/reveal"),
                Payload::Json(json!({"field": "phone"})),
            ),
            (
                "PUT",
                format!("/api/v1/members/{m}"),
                Payload::Json(body(w.member_org, "张三", "", "", "")),
            ),
            (
                "POST",
                "/api/v1/members".to_string(),
                Payload::Json(new_json.clone()),
            ),
        ];
        for (method, path, payload) in writes {
            assert_refused(&app, &who, method, &path, payload, 403).await;
        }
    }
}
jiceng_store::both_backends!(only_committees_use_the_register, roles);

async fn forms(store: Store) {
    let app = App::new(store);
    let w = World::small(&app).await;
    let s = login(&app, "town_committee").await;
    let tok = crate::session::token(&app, "town_committee").await;
    let before = fingerprint(&app.store).await;
    let id17 = "44040319950720006";
    let mut typed = form(
        w.member_org,
        "王小明",
        &wrong_check(id17),
        "13711112222",
        "",
    );
    typed[9].1 = "乾务镇农技站".into();
    let r = app.send(s.post("/members", &pairs(&typed))).await;
    r.expect_page(
        422,
        &[
            "id=\"create-id_number-error\"",
            "aria-describedby=\"create-id_number-error\"",
            "校验位",
            "value=\"王小明\"",
            "value=\"乾务镇农技站\"",
            "value=\"2015-07-01\"",
        ],
    );
    // The message sits inside the ID number field's block.
    let html = r.text();
    let field = html.split("id=\"create-id_number\"").nth(1).unwrap();
    let field = field.split("</div>").next().unwrap();
    assert!(
        field.contains("校验位"),
        "message not next to the field: {field}"
    );
    // A number already registered (张三's, in this town).
    typed[2].1 = ZHANG_SAN.id_number();
    let r = app.send(s.post("/members", &pairs(&typed))).await;
    r.expect_page(
        422,
        &[
            "id=\"create-id_number-error\"",
            "已在党员名册中",
            "value=\"王小明\"",
        ],
    );
    let field = r.text();
    let field = field.split("id=\"create-id_number\"").nth(1).unwrap();
    assert!(
        field
            .split("</div>")
            .next()
            .unwrap()
            .contains("已在党员名册中")
    );
    // …even when the other holder is outside the caller's scope (王五, 白蕉镇).
    typed[2].1 = WANG_WU.id_number();
    let r = app.send(s.post("/members", &pairs(&typed))).await;
    r.expect_page(422, &["id=\"create-id_number-error\""]);
    // The API says the same with codes.
    for (id, code) in [
        (wrong_check(id17), "idcard.invalid"),
        ("4404031995".to_string(), "idcard.invalid"),
        (ZHANG_SAN.id_number(), "member.id_number_taken"),
    ] {
        let b = body(w.member_org, "王小明", &id, "", "");
        let r = app
            .send(Call::post("/api/v1/members").bearer(&tok).json(&b))
            .await;
        let v = r.expect_api_error(422, code);
        assert!(!v.to_string().contains(&ZHANG_SAN.id_number()), "{v}");
    }
    assert!(
        before == fingerprint(&app.store).await,
        "a refused register changed something"
    );

    // An edit leaving the sealed fields blank keeps them (and what the ID number gives).
    let keep = form(w.member_org, "张三", "", "", "");
    let path = format!("/members/{}", w.member);
    let r = app
        .send(s.post(format!("{path}/edit"), &pairs(&keep)))
        .await;
    r.expect_redirect(&path);
    let page = app.send(s.get(&path)).await;
    let masks = [
        ZHANG_SAN.id_masked(),
        ZHANG_SAN.phone_masked(),
        ZHANG_SAN.address_masked(),
    ];
    let mut needles: Vec<&str> = masks.iter().map(String::as_str).collect();
    needles.extend(["1990-01", "男"]);
    page.expect_page(200, &needles);
    // 出生年月 only: the day with the masked number and the county would give the number back.
    assert!(
        !page.text().contains("1990-01-15"),
        "the full birth date is shown"
    );
    let reveal = |field: &str| {
        Call::post(format!("/api/v1/members/{}/reveal", w.member))
            .bearer(&tok)
            .json(&json!({ "field": field }))
    };
    let clear = app.send(reveal("id_number")).await.json();
    assert_eq!(clear["value"], ZHANG_SAN.id_number());
    assert_eq!(
        app.send(reveal("phone")).await.json()["value"],
        ZHANG_SAN.phone
    );
    // The API too: an absent or empty id_number keeps it.
    let mut b = body(w.member_org, "张三", "", "", "");
    b.as_object_mut().unwrap().remove("id_number");
    let url = format!("/api/v1/members/{}", w.member);
    let v = app
        .send(Call::new("PUT", &url).bearer(&tok).json(&b))
        .await
        .json();
    assert_eq!(v["id_masked"], ZHANG_SAN.id_masked(), "{v}");
    assert_eq!(v["phone_masked"], ZHANG_SAN.phone_masked(), "{v}");
    assert_eq!(v["birth_month"], "1990-01");
    // A wrong check digit on an edit is refused next to the field.
    let mut bad = keep.clone();
    bad[2].1 = wrong_check(ZHANG_SAN.id17);
    let before = fingerprint(&app.store).await;
    let r = app.send(s.post(format!("{path}/edit"), &pairs(&bad))).await;
    r.expect_page(422, &["id=\"edit-id_number-error\"", "校验位"]);
    assert!(before == fingerprint(&app.store).await);
    // So is another member's number, with the typed name kept.
    bad[1].1 = "张三改".into();
    bad[2].1 = LI_SI.id_number();
    let r = app.send(s.post(format!("{path}/edit"), &pairs(&bad))).await;
    r.expect_page(
        422,
        &[
            "id=\"edit-id_number-error\"",
            "已在党员名册中",
            "value=\"张三改\"",
        ],
    );
    assert!(before == fingerprint(&app.store).await);
    // A new number replaces the old one, in the mask and in search.
    let new_id = citizen_id("44040319900115013");
    let mut renumber = keep;
    renumber[2].1 = new_id.clone();
    let r = app
        .send(s.post(format!("{path}/edit"), &pairs(&renumber)))
        .await;
    r.expect_redirect(&path);
    let v = app.send(Call::get(&url).bearer(&tok)).await.json();
    assert_eq!(v["id_masked"], format!("4404**********{}", &new_id[14..]));
    for (q, n) in [(new_id, 1), (ZHANG_SAN.id_number(), 0)] {
        let v = app
            .send(Call::get(format!("/api/v1/members?q={q}")).bearer(&tok))
            .await
            .json();
        assert_eq!(v["total"], n, "q={q}");
    }
}
jiceng_store::both_backends!(member_forms_explain_refusals_and_keep_sealed_values, forms);

async fn search(store: Store) {
    let app = App::new(store);
    let w = World::small(&app).await;
    let town = caller(&app, "town_committee").await;
    // 11010519491231002X: a number ending in X, found with a lower-case x too.
    let x_id = citizen_id("11010519491231002");
    let b = body(w.member_org, "赵六", &x_id, "0756-5512345", "");
    let r = app
        .send(Call::post("/api/v1/members").bearer(&town.token).json(&b))
        .await;
    let zhao = r.expect(200).json()["id"].as_i64().unwrap();
    let id = ZHANG_SAN.id_number();
    let cases: [(String, Option<i64>); 12] = [
        ("zs".into(), Some(w.member)),
        ("ZS".into(), Some(w.member)),
        ("%E5%BC%A0".into(), Some(w.member)), // 张
        (id.clone(), Some(w.member)),
        (ZHANG_SAN.phone.into(), Some(w.member)),
        ("138%200013%205678".into(), Some(w.member)),
        (x_id.to_lowercase(), Some(zhao)),
        ("07565512345".into(), Some(zhao)),
        (id[..14].to_string(), None),
        (id[..17].to_string(), None),
        (id[4..].to_string(), None),
        (ZHANG_SAN.phone[..8].to_string(), None),
    ];
    for (q, expect) in cases {
        let want = i64::from(expect.is_some());
        let page = app.send(town.session.get(format!("/members?q={q}"))).await;
        page.expect_page(200, &[]);
        assert_eq!(pager_total(&page.text()), want, "page q={q}");
        let v = app
            .send(Call::get(format!("/api/v1/members?q={q}")).bearer(&town.token))
            .await
            .json();
        assert_eq!(v["total"], want, "api q={q}: {v}");
        if let Some(m) = expect {
            assert_eq!(v["items"][0]["id"], m, "api q={q}");
            assert!(
                page.text().contains(&format!("href=\"/members/{m}\"")),
                "page q={q}"
            );
        }
    }
    // The export follows the search.
    let r = app
        .send(town.session.get("/members/export.xlsx?q=zs"))
        .await;
    let cells = xlsx_cells(&r.body);
    assert_eq!(cells.len(), 2, "{cells:?}");
    assert!(cells[1].contains(&ZHANG_SAN.name.to_string()), "{cells:?}");
}
jiceng_store::both_backends!(member_search_by_initials_id_and_phone, search);

async fn wildcards(store: Store) {
    let app = App::new(store);
    World::small(&app).await;
    let town = caller(&app, "town_committee").await;
    // `%` and `_` are characters to look for, not patterns: no name holds them.
    for q in ["%25", "_", "z_", "%25s"] {
        let page = app.send(town.session.get(format!("/members?q={q}"))).await;
        assert_eq!(pager_total(&page.text()), 0, "page q={q}");
        let v = app
            .send(Call::get(format!("/api/v1/members?q={q}")).bearer(&town.token))
            .await
            .json();
        assert_eq!(v["total"], 0, "api q={q}: {v}");
    }
}
jiceng_store::both_backends!(member_search_treats_wildcards_literally, wildcards);
