//! The OpenAPI document lists every API route, and every documented operation is really routed.

use crate::fixture::{self, World};
use crate::harness::{App, Call};
use crate::session::token;
use jiceng_store::Store;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// The operations the API must offer; the document may grow, never shrink.
const EXPECTED: [(&str, &str); 41] = [
    ("get", "/api/v1/me"),
    ("get", "/api/v1/places"),
    ("post", "/api/v1/places"),
    ("get", "/api/v1/places/{id}"),
    ("patch", "/api/v1/places/{id}"),
    ("post", "/api/v1/places/{id}/move"),
    ("post", "/api/v1/places/{id}/close"),
    ("get", "/api/v1/orgs"),
    ("post", "/api/v1/orgs"),
    ("get", "/api/v1/orgs/{id}"),
    ("patch", "/api/v1/orgs/{id}"),
    ("post", "/api/v1/orgs/{id}/move"),
    ("post", "/api/v1/orgs/{id}/close"),
    ("get", "/api/v1/units"),
    ("post", "/api/v1/units"),
    ("get", "/api/v1/units/{id}"),
    ("put", "/api/v1/units/{id}"),
    ("post", "/api/v1/units/{id}/close"),
    ("get", "/api/v1/users"),
    ("post", "/api/v1/users"),
    ("get", "/api/v1/users/{id}"),
    ("post", "/api/v1/users/{id}/lock"),
    ("post", "/api/v1/users/{id}/unlock"),
    ("get", "/api/v1/members"),
    ("post", "/api/v1/members"),
    ("get", "/api/v1/members/{id}"),
    ("put", "/api/v1/members/{id}"),
    ("post", "/api/v1/members/{id}/reveal"),
    ("get", "/api/v1/audit"),
    ("get", "/api/v1/transfers"),
    ("post", "/api/v1/members/{id}/transfers"),
    ("post", "/api/v1/transfers/{id}/receive"),
    ("post", "/api/v1/transfers/{id}/withdraw"),
    ("post", "/api/v1/transfers/arrivals"),
    ("get", "/api/v1/members/{id}/dues"),
    ("post", "/api/v1/members/{id}/dues/payments"),
    ("post", "/api/v1/members/{id}/dues/bases"),
    ("get", "/api/v1/orgs/{id}/dues"),
    ("post", "/api/v1/orgs/{id}/dues"),
    ("get", "/api/v1/members/{id}/recruitment"),
    ("post", "/api/v1/members/{id}/recruitment"),
];

async fn openapi(store: Store) {
    let app = App::new(store);
    let w = World::small(&app).await;
    let s = &app.store;
    let grid = fixture::place(s, Some(w.village), "440403105201009", "文档测试网格").await;
    let org = fixture::org(s, None, w.village, "文档测试支部", "branch").await;
    let unit = fixture::unit(s, w.village, "文档测试厂").await;
    let tok = token(&app, "district_org").await;
    let letter = jiceng_store::transfers::Letter {
        to_org_id: w.member_org,
        letter_no: "文档转〔2026〕1号",
        sent_on: "2025-11-20",
    };
    let transfer = s
        .send_transfer(
            &jiceng_store::Actor::cli("test"),
            &jiceng_store::Scope::All,
            w.sibling_member,
            &letter,
            crate::T0,
        )
        .await
        .unwrap()
        .id;

    let r = app.send(Call::get("/api/openapi.json")).await;
    r.expect(200);
    let doc = r.json();
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with('3')));
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                ops.insert((method.to_string(), path.clone()));
            }
        }
    }
    for (m, p) in EXPECTED {
        assert!(
            ops.contains(&(m.to_string(), p.to_string())),
            "{m} {p} is not documented"
        );
    }
    assert!(
        ops.iter().all(|(_, p)| p.starts_with("/api/v1/")),
        "{ops:?}"
    );

    // Call every documented operation; closing comes last so the others find their record open.
    let mut ordered: Vec<_> = ops.into_iter().collect();
    ordered.sort_by_key(|(m, p)| (p.ends_with("/close"), m != "get", p.clone()));
    for (method, template) in ordered {
        let id = if template.starts_with("/api/v1/places/") {
            grid
        } else if template.starts_with("/api/v1/orgs/") {
            org
        } else if template.starts_with("/api/v1/units/") {
            unit
        } else if template.starts_with("/api/v1/transfers/") {
            transfer
        } else if template.starts_with("/api/v1/members/") {
            w.member
        } else {
            w.user
        };
        let path = template.replace("{id}", &id.to_string());
        let (body, expect) = minimal(&method, &template, &w);
        let mut call = Call::new(&method.to_uppercase(), &path).bearer(&tok);
        if method != "get" {
            call = call.json(&body);
        }
        let r = app.send(call).await;
        let got = r.status.as_u16();
        assert!(
            got != 404 && got != 405,
            "{method} {path}: {got} {}",
            r.snippet()
        );
        if let Some(expect) = expect {
            assert_eq!(got, expect, "{method} {path}: {}", r.snippet());
        }
        if got >= 400 {
            r.expect_api_error(got, r.json()["code"].as_str().unwrap_or("?"));
        }
    }
}
jiceng_store::both_backends!(openapi_lists_every_route, openapi);

/// A small valid body for the operations we know, and the status a district_org token gets;
/// `{}` (and any status but 404/405) for operations added later.
fn minimal(method: &str, template: &str, w: &World) -> (Value, Option<u16>) {
    let v = w.village;
    match (method, template) {
        ("get", p) if p.starts_with("/api/v1/audit") => (json!({}), Some(403)),
        ("get", _) => (json!({}), Some(200)),
        ("post", "/api/v1/places") => (json!({"parent_id": v, "name": "文档新网格"}), Some(200)),
        ("patch", "/api/v1/places/{id}") => (json!({"name": "文档改名网格"}), Some(200)),
        ("post", "/api/v1/places/{id}/move") => (json!({"parent_id": w.sibling}), Some(200)),
        ("post", "/api/v1/orgs") => (
            json!({"place_id": v, "name": "文档新支部", "kind": "branch"}),
            Some(200),
        ),
        ("patch", "/api/v1/orgs/{id}") => (json!({"name": "文档改名支部"}), Some(200)),
        ("post", "/api/v1/orgs/{id}/move") => {
            (json!({"parent_id": null, "place_id": w.sibling}), Some(200))
        }
        ("post", "/api/v1/units") => (
            json!({"place_id": v, "name": "文档新厂", "kind": "other"}),
            Some(200),
        ),
        ("put", "/api/v1/units/{id}") => (
            json!({"place_id": v, "name": "文档改厂", "kind": "enterprise", "staff": 3}),
            Some(200),
        ),
        ("post", "/api/v1/members") => {
            let id = crate::fixture::citizen_id("44040319900101001");
            (
                crate::member_tests::body(w.member_org, "文档党员", &id, "", ""),
                Some(200),
            )
        }
        ("put", "/api/v1/members/{id}") => (
            crate::member_tests::body(w.member_org, "张三", "", "13800000000", ""),
            Some(200),
        ),
        ("post", "/api/v1/members/{id}/reveal") => (json!({"field": "id_number"}), Some(200)),
        ("post", p) if p.ends_with("/close") => (json!({}), Some(200)),
        // Accounts are the administrators' business (三员分立).
        ("post", p) if p.starts_with("/api/v1/users") => (
            json!({"username": "doc_user", "display_name": "x", "password": "Doc#2026x", "role": "member", "place_id": v}),
            Some(403),
        ),
        _ => (json!({}), None),
    }
}
