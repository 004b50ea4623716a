//! Sealed personal data (ID number, phone, address): masked on every page, in every JSON answer
//! and every export; the clear value comes only in the answer to a reveal, and the audit entry
//! each reveal writes names who, which member and which field, never the value.

use crate::fixture::{LI_SI, Person, WANG_WU, World, ZHANG_SAN};
use crate::harness::{App, Call, xlsx_cells};
use crate::member_tests::{body, form, pairs};
use crate::session::{caller, login, token, user_id};
use jiceng_store::Store;
use serde_json::{Value, json};

const ZHAO_LIU: Person = Person {
    name: "赵六",
    id17: "44040319881010007",
    phone: "13522223333",
    address: "广东省珠海市斗门区乾务镇乾西村振兴路5号",
};
const SUN_QI: Person = Person {
    name: "孙七",
    id17: "44040319700707008",
    phone: "13644445555",
    address: "广东省珠海市斗门区乾务镇乾东村月明巷9号",
};
/// What the edits below change to: sealed as well.
const NEW_PHONE: &str = "13566667777";
const NEW_ADDRESS: &str = "广东省珠海市斗门区乾务镇乾西村新河路88号";

/// Every clear value the test knows, with its owner.
fn secrets() -> Vec<(String, &'static str)> {
    let mut out: Vec<(String, &str)> = [ZHANG_SAN, LI_SI, WANG_WU, ZHAO_LIU, SUN_QI]
        .iter()
        .flat_map(|p| p.secrets().into_iter().map(|s| (s, p.name)))
        .collect();
    out.push((NEW_PHONE.into(), SUN_QI.name));
    out.push((NEW_ADDRESS.chars().skip(6).collect(), ZHAO_LIU.name));
    out
}

/// `text` shows no clear value, except (part of) `revealed`.
fn assert_sealed(what: &str, text: &str, revealed: Option<&str>) {
    for (s, owner) in secrets() {
        if revealed.is_some_and(|r| r.contains(&s)) {
            continue;
        }
        assert!(
            !text.contains(&s),
            "{what}: shows {s:?}, sealed data of {owner}"
        );
    }
}

fn id_from(location: &str) -> i64 {
    let rest = location.trim_start_matches("/members/");
    rest.split('?').next().unwrap().parse().unwrap()
}

async fn masking(store: Store) {
    let app = App::new(store);
    let w = World::small(&app).await;
    let town = caller(&app, "town_committee").await;
    let s = &town.session;
    let api = |method: &str, path: String| Call::new(method, path).bearer(&town.token);

    // Registered through the form and through the API.
    let p = ZHAO_LIU;
    let f = form(w.member_org, p.name, &p.id_number(), p.phone, p.address);
    let r = app.send(s.post("/members", &pairs(&f))).await;
    r.expect_redirect("/members/");
    assert_sealed("the redirect after registering", r.location(), None);
    let zhao = id_from(r.location());
    let p = SUN_QI;
    let b = body(
        w.sibling_member_org,
        p.name,
        &p.id_number(),
        p.phone,
        p.address,
    );
    let r = app
        .send(api("POST", "/api/v1/members".into()).json(&b))
        .await;
    assert_sealed("POST /api/v1/members", &r.expect(200).text(), None);
    let v = r.json();
    assert_eq!(v["id_masked"], p.id_masked(), "{v}");
    assert_eq!(v["phone_masked"], p.phone_masked(), "{v}");
    assert_eq!(v["address_masked"], p.address_masked(), "{v}");
    let sun = v["id"].as_i64().unwrap();
    // Edited through the API (a new phone) and the form (a new address).
    let b = body(w.sibling_member_org, p.name, "", NEW_PHONE, "");
    let r = app
        .send(api("PUT", format!("/api/v1/members/{sun}")).json(&b))
        .await;
    assert_sealed("PUT /api/v1/members", &r.expect(200).text(), None);
    assert_eq!(r.json()["phone_masked"], "135****7777");
    let f = form(w.member_org, ZHAO_LIU.name, "", "", NEW_ADDRESS);
    let r = app
        .send(s.post(format!("/members/{zhao}/edit"), &pairs(&f)))
        .await;
    r.expect_redirect(&format!("/members/{zhao}"));

    // Pages: lists, details with their edit forms, and the pages that link to them.
    for path in [
        "/members".to_string(),
        "/members?closed=on".into(),
        "/members?q=zs".into(),
        format!("/members?under={}", w.town),
        format!("/members?org={}", w.member_org),
        format!("/members/{}", w.member),
        format!("/members/{}", w.sibling_member),
        format!("/members/{zhao}?notice=saved"),
        format!("/members/{sun}"),
        format!("/places/{}", w.village),
        format!("/orgs/{}", w.member_org),
    ] {
        let r = app.send(s.get(&path)).await;
        r.expect_page(200, &[]);
        assert_sealed(&format!("GET {path}"), &r.text(), None);
    }
    let list = app.send(s.get("/members")).await.text();
    for mask in [
        ZHANG_SAN.id_masked(),
        ZHANG_SAN.phone_masked(),
        SUN_QI.id_masked(),
    ] {
        assert!(list.contains(&mask), "the list lacks {mask}");
    }
    let detail = app.send(s.get(format!("/members/{}", w.member))).await;
    let masks = [
        ZHANG_SAN.id_masked(),
        ZHANG_SAN.phone_masked(),
        ZHANG_SAN.address_masked(),
    ];
    detail.expect_page(200, &masks.iter().map(String::as_str).collect::<Vec<_>>());
    let html = detail.text();
    for field in ["id_number", "phone", "address"] {
        let input = html.split(&format!("id=\"edit-{field}\"")).nth(1).unwrap();
        let input = input.split('>').next().unwrap();
        assert!(
            input.contains("value=\"\""),
            "the edit form fills {field}: {input}"
        );
    }
    // JSON.
    for path in [
        "/api/v1/members".to_string(),
        "/api/v1/members?include_former=true&per_page=500".into(),
        format!("/api/v1/members?q={}", ZHANG_SAN.id_number()),
        format!("/api/v1/members/{}", w.member),
        format!("/api/v1/members/{zhao}"),
        format!("/api/v1/members/{sun}"),
    ] {
        let r = app.send(api("GET", path.clone())).await;
        assert_sealed(&format!("GET {path}"), &r.expect(200).text(), None);
    }
    let v = app
        .send(api("GET", format!("/api/v1/members/{zhao}")))
        .await
        .json();
    assert_eq!(v["id_masked"], ZHAO_LIU.id_masked());
    assert_eq!(v["address_masked"], "广东省珠海市****");
    // Exports, the district's included (王五 too).
    let district = login(&app, "district_org").await;
    for (who, path) in [
        (s, "/members/export.xlsx"),
        (s, "/members/export.xlsx?closed=on"),
        (&district, "/members/export.xlsx"),
    ] {
        let r = app.send(who.get(path)).await;
        let cells = xlsx_cells(&r.expect(200).body);
        assert!(cells[0].iter().any(|c| c == "身份证号"), "{:?}", cells[0]);
        assert!(cells.iter().flatten().any(|c| *c == ZHANG_SAN.id_masked()));
        let all: Vec<String> = cells.into_iter().flatten().collect();
        assert_sealed(&format!("GET {path}"), &all.join("\n"), None);
    }

    // Reveals: the clear value of the one field asked for, in that answer only.
    let mut made: Vec<(&str, i64, &str)> = vec![];
    for (field, clear) in [
        ("id_number", ZHANG_SAN.id_number()),
        ("phone", ZHANG_SAN.phone.into()),
        ("address", ZHANG_SAN.address.into()),
    ] {
        let path = format!("/members/{}/reveal", w.member);
        let r = app.send(s.post(&path, &[("field", field)])).await;
        r.expect_page(200, &[&clear]);
        assert_eq!(r.header("cache-control"), Some("no-store"));
        assert_sealed(&format!("POST {path} {field}"), &r.text(), Some(&clear));
        assert_eq!(
            r.text().matches(&clear).count(),
            1,
            "{path} {field}: shown twice"
        );
        made.push(("town_committee", w.member, field));
    }
    for (field, clear) in [
        ("id_number", Some(SUN_QI.id_number())),
        ("phone", Some(NEW_PHONE.to_string())),
        ("address", Some(SUN_QI.address.to_string())),
    ] {
        let r = app
            .send(
                api("POST", format!("/api/v1/members/{sun}/reveal")).json(&json!({"field": field})),
            )
            .await;
        assert_eq!(
            r.expect(200).json(),
            json!({"field": field, "value": clear})
        );
        made.push(("town_committee", sun, field));
    }
    // A member without a phone: nothing to show, the look is still recorded.
    let b = body(
        w.member_org,
        "周八",
        &crate::fixture::citizen_id("44040320000101009"),
        "",
        "",
    );
    let zhou = app
        .send(api("POST", "/api/v1/members".into()).json(&b))
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let r = app
        .send(
            api("POST", format!("/api/v1/members/{zhou}/reveal")).json(&json!({"field": "phone"})),
        )
        .await;
    assert_eq!(r.expect(200).json()["value"], Value::Null);
    made.push(("town_committee", zhou, "phone"));
    let village = login(&app, "village_committee").await;
    let path = format!("/members/{zhao}/reveal");
    let r = app.send(village.post(&path, &[("field", "address")])).await;
    r.expect_page(200, &[NEW_ADDRESS]);
    made.push(("village_committee", zhao, "address"));
    // Unknown fields are refused and leave no trace.
    let before = app.audit_len().await;
    for field in ["birth_date", "", "id_sealed"] {
        let path = format!("/members/{}/reveal", w.member);
        let r = app.send(s.post(&path, &[("field", field)])).await;
        r.expect(400);
        assert_sealed(&format!("POST {path} {field:?}"), &r.text(), None);
        let r = app
            .send(
                api("POST", format!("/api/v1/members/{sun}/reveal")).json(&json!({"field": field})),
            )
            .await;
        r.expect_api_error(400, "member.field_invalid");
    }
    assert_eq!(
        app.audit_len().await,
        before,
        "a refused reveal was recorded"
    );

    // The audit administrator sees one entry per reveal: who, which member, which field.
    let tok = token(&app, "audit_admin").await;
    let read = |q: String| Call::get(format!("/api/v1/audit?{q}")).bearer(&tok);
    let r = app
        .send(read("action=reveal&entity=member&per_page=100".into()))
        .await;
    let v = r.expect(200).json();
    assert_eq!(v["total"], made.len() as i64, "{v}");
    let mut seen = vec![];
    for e in v["items"].as_array().unwrap() {
        let actor = e["actor"].as_str().unwrap().to_string();
        assert_eq!(e["actor_id"], user_id(&app, &actor).await, "{e}");
        assert_eq!(
            (e["action"].as_str(), e["entity"].as_str()),
            (Some("reveal"), Some("member"))
        );
        for side in ["before_json", "after_json"] {
            assert_sealed(
                &format!("audit #{} {side}", e["seq"]),
                e[side].as_str().unwrap_or(""),
                None,
            );
        }
        let after: Value = serde_json::from_str(e["after_json"].as_str().unwrap()).unwrap();
        let id: i64 = e["entity_id"].as_str().unwrap().parse().unwrap();
        seen.push((actor, id, after["field"].as_str().unwrap().to_string()));
    }
    let mut want: Vec<_> = made
        .iter()
        .map(|(a, i, f)| (a.to_string(), *i, f.to_string()))
        .collect();
    want.sort();
    seen.sort();
    assert_eq!(seen, want);
    // Nothing in the whole log (registers and edits included), in pages or exports, is clear.
    for n in 1.. {
        let v = app
            .send(read(format!("per_page=100&page={n}")))
            .await
            .json();
        assert_sealed("GET /api/v1/audit", &v.to_string(), None);
        if v["items"].as_array().unwrap().len() < 100 {
            break;
        }
    }
    let admin = login(&app, "audit_admin").await;
    let r = app.send(admin.get("/audit?entity=member")).await;
    assert_sealed("GET /audit", &r.expect(200).text(), None);
    let r = app.send(admin.get("/audit/export.xlsx")).await;
    let all: Vec<String> = xlsx_cells(&r.expect(200).body)
        .into_iter()
        .flatten()
        .collect();
    assert_sealed("GET /audit/export.xlsx", &all.join("\n"), None);
}
jiceng_store::both_backends!(sealed_data_is_masked_everywhere_but_a_reveal, masking);
