//! 三员分立 (the system, security and audit administrators each do one job) and the audit log
//! that records every change.

use crate::fixture::{SIBLING, World};
use crate::harness::{App, CLIENT_IP, Call, Jar};
use crate::session::{PASSWORD, login, submit_login, token, user_id};
use jiceng_domain::Role;
use jiceng_store::Store;
use jiceng_store::audit::{AuditFilter, Verdict};
use jiceng_store::sql::Page;
use serde_json::json;

async fn separation(store: Store) {
    let app = App::new(store);
    World::small(&app).await;

    // Only the audit administrator reads the audit log, in pages, exports and the API.
    let audit = login(&app, "audit_admin").await;
    app.send(audit.get("/audit"))
        .await
        .expect_page(200, &["审计日志", "login"]);
    app.send(audit.get("/audit/export.xlsx")).await.expect(200);
    let tok = token(&app, "audit_admin").await;
    let r = app.send(Call::get("/api/v1/audit").bearer(&tok)).await;
    r.expect(200);
    assert!(r.json()["total"].as_i64().unwrap() > 0);
    for role in Role::ALL.into_iter().filter(|r| *r != Role::AuditAdmin) {
        let name = role.as_str();
        let s = login(&app, name).await;
        for path in ["/audit", "/audit/export.xlsx"] {
            let r = app.send(s.get(path)).await;
            assert_eq!(r.status.as_u16(), 403, "{name} GET {path}: {}", r.snippet());
            r.expect_page(403, &["您的角色无权进行此操作"]);
        }
        let tok = token(&app, name).await;
        let r = app.send(Call::get("/api/v1/audit").bearer(&tok)).await;
        r.expect_api_error(403, "forbidden");
    }

    // The system administrator creates accounts through the form…
    let sys = login(&app, "sys_admin").await;
    let form = [
        ("username", "new_clerk"),
        ("display_name", "新来的文书"),
        ("role", "village_committee"),
        ("place_code", SIBLING),
        ("password", "Clerk#2026x"),
    ];
    let r = app.send(sys.post("/users", &form)).await;
    r.expect_redirect("/users/");
    let page = app.send(sys.get(r.location())).await;
    page.expect_page(200, &["new_clerk", "新来的文书", "440403105202"]);
    crate::session::login_with(&app, "new_clerk", "Clerk#2026x").await;
    // …but not administrators: those are made on the command line (三员分立).
    let mut admin_form = form;
    admin_form[0] = ("username", "second_auditor");
    admin_form[2] = ("role", "audit_admin");
    let sys_tok = token(&app, "sys_admin").await;
    let before = app.audit_len().await;
    app.send(sys.post("/users", &admin_form))
        .await
        .expect_page(422, &["只能用命令行"]);
    let body = json!({"username": "second_auditor", "display_name": "x", "password": "Clerk#2026x",
        "role": "audit_admin", "place_id": 1});
    app.send(Call::post("/api/v1/users").bearer(&sys_tok).json(&body))
        .await
        .expect_api_error(422, "account.admin_via_cli");
    assert!(
        app.store
            .user_by_name("second_auditor")
            .await
            .unwrap()
            .is_none()
    );
    // Nothing was created; the two attempts (page and API) are on file with the rule's name.
    assert_eq!(
        app.audit_len().await,
        before + 2,
        "the attempts are on file"
    );
    let (tried, _) = app
        .store
        .audit_list(
            &jiceng_store::audit::AuditFilter {
                action: Some("refused".into()),
                ..Default::default()
            },
            jiceng_store::sql::Page::new(Some(1), Some(10)),
        )
        .await
        .unwrap();
    assert!(tried.iter().take(2).all(|e| {
        e.actor == "sys_admin"
            && e.after_json
                .as_deref()
                .is_some_and(|j| j.contains("account.admin_via_cli"))
    }));
    // …and may not lock accounts.
    let clerk = user_id(&app, "new_clerk").await;
    let before = app.audit_len().await;
    app.send(sys.post(format!("/users/{clerk}/lock"), &[]))
        .await
        .expect(403);
    assert_eq!(app.audit_len().await, before);

    // The security administrator locks and unlocks, but does not create.
    let sec = login(&app, "sec_admin").await;
    let sec_tok = token(&app, "sec_admin").await;
    let mut form2 = form;
    form2[0] = ("username", "sneaky_clerk");
    let before = app.audit_len().await;
    app.send(sec.post("/users", &form2))
        .await
        .expect_page(403, &["您的角色无权进行此操作"]);
    let body = json!({"username": "sneaky_clerk", "display_name": "x", "password": "Clerk#2026x",
        "role": "village_committee", "place_id": clerk});
    app.send(Call::post("/api/v1/users").bearer(&sec_tok).json(&body))
        .await
        .expect_api_error(403, "forbidden");
    assert!(
        app.store
            .user_by_name("sneaky_clerk")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(app.audit_len().await, before);
    // Lock: the clerk's sessions end and the login page says why.
    let clerk_session = login(&app, "village_committee").await;
    let clerk_token = token(&app, "village_committee").await;
    let vc = user_id(&app, "village_committee").await;
    app.send(sec.post(format!("/users/{vc}/lock"), &[]))
        .await
        .expect_redirect(&format!("/users/{vc}"));
    app.send(clerk_session.get("/account"))
        .await
        .expect_redirect("/login");
    app.send(Call::get("/api/v1/me").bearer(&clerk_token))
        .await
        .expect_api_error(401, "unauthorized");
    let mut jar = Jar::default();
    submit_login(&app, &mut jar, "village_committee", PASSWORD)
        .await
        .expect_page(401, &["账号已停用"]);
    let r = app
        .send(Call::post(format!("/api/v1/users/{vc}/unlock")).bearer(&sec_tok))
        .await;
    r.expect(200);
    assert_eq!(r.json()["disabled"], 0);
    login(&app, "village_committee").await;

    // Nobody changes the audit log: there is no route that writes it.
    let admin_tok = token(&app, "audit_admin").await;
    let sys_tok = token(&app, "sys_admin").await;
    let audit_page = login(&app, "audit_admin").await;
    let before = app.audit_len().await;
    let last = entry_hash(&app, before).await;
    for tok in [&admin_tok, &sys_tok] {
        for method in ["POST", "PUT", "PATCH", "DELETE"] {
            let r = app
                .send(
                    Call::new(method, "/api/v1/audit")
                        .bearer(tok)
                        .json(&json!({"seq": 1})),
                )
                .await;
            r.expect(405);
            assert!(
                r.json()["code"].is_string(),
                "{method} /api/v1/audit: {}",
                r.snippet()
            );
            for path in ["/api/v1/audit/1", "/api/v1/audit/verify"] {
                let r = app
                    .send(Call::new(method, path).bearer(tok).json(&json!({})))
                    .await;
                r.expect_api_error(404, "not_found");
            }
        }
    }
    for method in ["POST", "DELETE"] {
        for path in ["/audit", "/audit/1"] {
            let call = Call::new(method, path)
                .cookies(&audit_page.jar)
                .form(&[("_csrf", audit_page.csrf.as_str())]);
            let r = app.send(call).await;
            assert!(
                matches!(r.status.as_u16(), 404 | 405),
                "{method} {path}: {}",
                r.status
            );
        }
    }
    assert_eq!(app.audit_len().await, before, "the audit log grew");
    assert_eq!(entry_hash(&app, before).await, last);
    let verdict = app.store.audit_verify().await.unwrap();
    assert!(matches!(verdict, Verdict::Intact { .. }), "{verdict:?}");
}
jiceng_store::both_backends!(three_administrators_are_separated, separation);

/// The hash of entry number `seq`.
async fn entry_hash(app: &App, seq: i64) -> String {
    let (newest, _) = app
        .store
        .audit_list(&AuditFilter::default(), Page::new(Some(1), Some(1)))
        .await
        .unwrap();
    assert_eq!(newest[0].seq, seq);
    newest[0].hash.clone()
}

async fn audit_entry(store: Store) {
    let app = App::new(store);
    let w = World::small(&app).await;
    let s = login(&app, "town_committee").await;
    let r = app
        .send(s.post(
            format!("/places/{}/rename", w.sibling),
            &[("name", "乾东社区新名")],
        ))
        .await;
    r.expect_redirect(&format!("/places/{}", w.sibling));
    let rid = r.header("x-request-id").expect("x-request-id").to_string();
    assert!(!rid.is_empty());
    let f = AuditFilter {
        action: Some("rename".into()),
        entity: Some("place".into()),
        ..Default::default()
    };
    let (entries, n) = app
        .store
        .audit_list(&f, Page::new(Some(1), Some(10)))
        .await
        .unwrap();
    assert_eq!(n, 1, "{entries:?}");
    let e = &entries[0];
    assert_eq!((e.action.as_str(), e.entity.as_str()), ("rename", "place"));
    assert_eq!(e.actor, "town_committee");
    assert_eq!(e.actor_id, Some(user_id(&app, "town_committee").await));
    assert_eq!(e.entity_id, w.sibling.to_string());
    assert_eq!(e.at, app.now());
    let before: serde_json::Value =
        serde_json::from_str(e.before_json.as_deref().unwrap()).unwrap();
    let after: serde_json::Value = serde_json::from_str(e.after_json.as_deref().unwrap()).unwrap();
    assert_eq!(before["name"], "乾东村");
    assert_eq!(after["name"], "乾东社区新名");
    assert_eq!(e.ip, CLIENT_IP);
    assert_eq!(
        e.request_id, rid,
        "the entry names the request that made it"
    );

    // The audit administrator finds it, by page and by API, with the same request id.
    let page = login(&app, "audit_admin").await;
    app.send(page.get("/audit?action=rename"))
        .await
        .expect_page(200, &[&rid, "town_committee", CLIENT_IP]);
    let tok = token(&app, "audit_admin").await;
    let v = app
        .send(Call::get("/api/v1/audit?action=rename&entity=place").bearer(&tok))
        .await
        .json();
    assert_eq!(v["total"], 1);
    assert_eq!(v["items"][0]["request_id"], rid.as_str());
    assert_eq!(v["items"][0]["seq"], e.seq);
}
jiceng_store::both_backends!(changes_are_audited_with_request_id, audit_entry);
