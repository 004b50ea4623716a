//! Through the pages: a transfer out of the system (letter, receipt, the record kept read-only), an
//! arrival from outside, dues collected for a whole branch with its receipts exported, and the
//! audit entry that a refused attempt leaves.

use crate::fixture::{World, citizen_id, user};
use crate::harness::{App, xlsx_cells};
use crate::member_tests::{form, pairs};
use crate::scope::{Payload, assert_scoped_with, audit_count};
use crate::session::{caller, login};
use jiceng_store::members::MemberInput;
use jiceng_store::{Actor, Scope, Store};

async fn outside(store: Store) {
    let app = App::new(store);
    let w = World::small(&app).await;
    let s = login(&app, "village_committee").await;
    let page = format!("/members/{}", w.member);
    app.send(s.get(&page))
        .await
        .expect_page(200, &["转往系统外", "接收党组织（全称）"]);
    // The organisation outside must be named; the refusal sits next to its field.
    let blank = [
        ("counterpart", ""),
        ("letter_no", "斗组外〔2026〕1号"),
        ("sent_on", "2025-11-20"),
    ];
    app.send(s.post(format!("{page}/transfer-out"), &blank))
        .await
        .expect_page(422, &["id=\"transfer-out-counterpart-error\""]);
    let letter = [
        ("counterpart", "湖南省长沙市某社区党委"),
        ("letter_no", "斗组外〔2026〕1号"),
        ("sent_on", "2025-11-20"),
    ];
    app.send(s.post(format!("{page}/transfer-out"), &letter))
        .await
        .expect_redirect(&page);
    let r = app.send(s.get(&page)).await;
    r.expect_page(
        200,
        &["转接中", "湖南省长沙市某社区党委（系统外）", "登记回执"],
    );
    let id = app
        .store
        .member_transfers(&Scope::All, w.member)
        .await
        .unwrap()[0]
        .id;
    // The receipt comes back; the member page is where it is recorded, and where it returns.
    let receipt = [("on", "2025-12-01"), ("back", page.as_str())];
    app.send(s.post(format!("/transfers/{id}/receive"), &receipt))
        .await
        .expect_redirect(&page);
    let r = app.send(s.get(&page)).await;
    r.expect_page(200, &["已转出（系统外）", "已转出（回执已收）"]);
    assert!(
        !r.text().contains("id=\"edit\""),
        "a member transferred out is read-only"
    );

    // The same person arrives later in 白蕉镇 with a letter from outside: their record returns.
    user(
        &app.store,
        "baijiao_town",
        "白蕉镇党委",
        "town_committee",
        w.other_town,
    )
    .await;
    let other = login(&app, "baijiao_town").await;
    let id_number = crate::fixture::ZHANG_SAN.id_number();
    let mut fields = form(w.other_member_org, "张三", &id_number, "", "");
    let arrival = [
        ("counterpart", "湖南省长沙市某社区党委"),
        ("letter_no", ""),
        ("received_on", "2025-12-10"),
    ];
    fields.extend(arrival.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let r = app
        .send(other.post("/transfers/arrive", &pairs(&fields)))
        .await;
    r.expect_page(422, &["id=\"arrive-letter_no-error\""]);
    for (k, v) in fields.iter_mut() {
        if k == "letter_no" {
            *v = "湘组转〔2025〕7号".into();
        }
    }
    app.send(other.post("/transfers/arrive", &pairs(&fields)))
        .await
        .expect_redirect(&page);
    app.send(other.get(&page))
        .await
        .expect_page(200, &["白蕉名册测试支部", "湘组转〔2025〕7号"]);
    app.send(other.get("/transfers"))
        .await
        .expect_page(200, &["系统外转入登记", "湘组转〔2025〕7号"]);
    // The transfers page exports what it lists.
    let x = app.send(other.get("/transfers/export.xlsx")).await;
    x.expect(200);
    assert!(
        xlsx_cells(&x.body)
            .iter()
            .any(|r| r.iter().any(|c| c == "湘组转〔2025〕7号")),
        "the arrival is in the export"
    );
    // The sending village no longer sees the member, who now belongs to another town.
    app.send(s.get(&page)).await.expect(404);

    // Another town's member cannot be sent outside from here.
    let who = caller(&app, "town_committee").await;
    let letter: &[(&str, &str)] = &letter;
    assert_scoped_with(
        &app,
        &who,
        "POST",
        "/members/{id}/transfer-out",
        w.sibling_member,
        w.other_member,
        Payload::Form(letter),
    )
    .await;
}
jiceng_store::both_backends!(
    transfers_out_of_and_into_the_system_through_the_pages,
    outside
);

async fn branch_dues(store: Store) {
    let app = App::new(store);
    let w = World::small(&app).await;
    let (a, s) = (Actor::cli("test"), Scope::All);
    let add = |name: &str, id17: &str| MemberInput {
        org_id: w.member_org,
        name: name.into(),
        id_number: citizen_id(id17),
        education: "college".into(),
        occupation: "employee".into(),
        status: "full".into(),
        ..Default::default()
    };
    let payer = app
        .store
        .create_member(&a, &s, add("按月交纳", "44040319850301011"), crate::T0)
        .await
        .unwrap();
    let nobase = app
        .store
        .create_member(&a, &s, add("未定基数", "44040319850301021"), crate::T0)
        .await
        .unwrap();
    // 6000 yuan → 1.5% = 90.00.
    app.store
        .set_dues_base(&a, &s, payer.id, "2025-01", 600_000, crate::T0)
        .await
        .unwrap();
    let v = login(&app, "village_committee").await;
    let org_page = format!("/orgs/{}", w.member_org);
    app.send(v.get(&org_page))
        .await
        .expect_page(200, &["党费收缴"]);
    let dues = format!("{org_page}/dues");
    let r = app.send(v.get(format!("{dues}?month=2025-10"))).await;
    r.expect_page(
        200,
        &["按月交纳", "90.00", "未登记交纳基数", "登记所选党员已交"],
    );
    // One without a base in the batch: nothing recorded, the refusal names them.
    let p = payer.id.to_string();
    let n = nobase.id.to_string();
    let both = [
        ("month", "2025-10"),
        ("member_id", p.as_str()),
        ("member_id", n.as_str()),
        ("paid_on", "2025-10-15"),
    ];
    let tried = audit_count(&app.store, Some("refused")).await;
    app.send(v.post(&dues, &both))
        .await
        .expect_page(422, &["未定基数", "尚未登记月收入"]);
    assert_eq!(
        audit_count(&app.store, Some("refused")).await,
        tried + 1,
        "the refused attempt is on file"
    );
    let status = app
        .store
        .dues_status(&s, payer.id, "2025-10")
        .await
        .unwrap();
    assert!(status.payments.is_empty(), "all or nothing");
    // Ten months behind: on the arrears page and its export, by member and by organisation.
    app.send(v.get("/members/lapse"))
        .await
        .expect_page(200, &["按月交纳", "按党组织", "乾西村名册测试支部"]);
    let x = app.send(v.get("/members/lapse/export.xlsx")).await;
    x.expect(200);
    let cells = xlsx_cells(&x.body);
    assert!(
        cells.iter().any(|r| r[0] == "按月交纳" && r[3] == "10"),
        "{cells:?}"
    );
    assert!(
        cells
            .iter()
            .any(|r| r[0] == "乾西村名册测试支部" && r[1] == "1" && r[2] == "1"),
        "{cells:?}"
    );
    let one = [
        ("month", "2025-10"),
        ("member_id", p.as_str()),
        ("paid_on", "2025-10-15"),
    ];
    app.send(v.post(&dues, &one))
        .await
        .expect_redirect(&format!("{dues}?month=2025-10"));
    let r = app.send(v.get(format!("{dues}?month=2025-10"))).await;
    r.expect_page(200, &["已交", "2025-10-15", "DF202510"]);
    // The receipts as .xlsx: the same rows, the receipt number on the paid one.
    let x = app
        .send(v.get(format!("{dues}/export.xlsx?month=2025-10")))
        .await;
    x.expect(200);
    let cells = xlsx_cells(&x.body);
    let row = cells.iter().find(|r| r[0] == "按月交纳").unwrap();
    assert_eq!(row[2], "90.00");
    assert!(row[5].starts_with("DF202510"), "{row:?}");
    let unpaid = cells.iter().find(|r| r[0] == "未定基数").unwrap();
    assert_eq!(unpaid[5], "");
    // Another town's organisation: 404 for the sheet, the export and the payment.
    let who = caller(&app, "town_committee").await;
    for path in [
        "/orgs/{id}/dues?month=2025-10",
        "/orgs/{id}/dues/export.xlsx?month=2025-10",
    ] {
        assert_scoped_with(
            &app,
            &who,
            "GET",
            path,
            w.member_org,
            w.other_member_org,
            Payload::None,
        )
        .await;
    }
    assert_scoped_with(
        &app,
        &who,
        "GET",
        "/members/lapse/export.xlsx?under={id}",
        w.town,
        w.other_town,
        Payload::None,
    )
    .await;
    // The other lists of the register export too, with the page's columns.
    for (path, header) in [
        ("/members/due/export.xlsx", "下一步"),
        ("/orgs/formation/export.xlsx", "提示"),
    ] {
        let x = app.send(who.session.get(path)).await;
        x.expect(200);
        assert!(xlsx_cells(&x.body)[0].iter().any(|h| h == header), "{path}");
    }
    let none: &[(&str, &str)] = &[("month", "2025-09"), ("paid_on", "2025-10-15")];
    crate::scope::assert_refused(
        &app,
        &who,
        "POST",
        &format!("/orgs/{}/dues", w.other_member_org),
        Payload::Form(none),
        404,
    )
    .await;
}
jiceng_store::both_backends!(dues_collected_for_a_branch_through_the_pages, branch_dues);

async fn over_the_api(store: Store) {
    let app = App::new(store);
    let w = World::small(&app).await;
    let who = caller(&app, "town_committee").await;
    let api =
        |method: &str, path: String| crate::harness::Call::new(method, path).bearer(&who.token);
    // Either an organisation in the system or one outside it, not both.
    let both = serde_json::json!({"to_org_id": w.other_member_org, "counterpart": "外省某支部",
        "letter_no": "斗组外〔2026〕2号", "sent_on": "2025-11-20"});
    app.send(api("POST", format!("/api/v1/members/{}/transfers", w.member)).json(&both))
        .await
        .expect_api_error(422, "transfer.destination");
    let out = serde_json::json!({"counterpart": "外省某支部", "letter_no": "斗组外〔2026〕2号",
        "sent_on": "2025-11-20"});
    assert_scoped_with(
        &app,
        &who,
        "POST",
        "/api/v1/members/{id}/transfers",
        w.member,
        w.other_member,
        Payload::Json(out),
    )
    .await;
    let list = app
        .send(api(
            "GET",
            "/api/v1/transfers?side=outgoing&open=true".into(),
        ))
        .await;
    let t = &list.expect(200).json()[0];
    assert_eq!(
        (t["direction"].as_str(), t["to_org_id"].is_null()),
        (Some("out"), true)
    );
    let id = t["id"].as_i64().unwrap();
    let r = app
        .send(
            api("POST", format!("/api/v1/transfers/{id}/receive"))
                .json(&serde_json::json!({"on": "2025-12-01"})),
        )
        .await;
    assert_eq!(r.expect(200).json()["status"], "confirmed");
    let m = app
        .send(api("GET", format!("/api/v1/members/{}", w.member)))
        .await;
    assert_eq!(m.expect(200).json()["status"], "transferred_out");
    // Dues: a base, then the organisation's month shows the amount the rules give (李四 farms:
    // the farmers' fixed amount, whatever the income).
    let farmer = jiceng_domain::dues::DuesRule::cpc_2008().farmer;
    let base = serde_json::json!({"from_month": "2025-01", "income_fen": 600_000});
    let v = app
        .send(
            api(
                "POST",
                format!("/api/v1/members/{}/dues/bases", w.sibling_member),
            )
            .json(&base),
        )
        .await;
    assert_eq!(v.expect(200).json()["monthly_fen"], farmer);
    let sheet = app
        .send(api(
            "GET",
            format!("/api/v1/orgs/{}/dues?month=2025-10", w.sibling_member_org),
        ))
        .await;
    let sheet = sheet.expect(200).json();
    assert_eq!(
        (sheet["due_count"].as_i64(), sheet["due_fen"].as_i64()),
        (Some(1), Some(farmer))
    );
    let pay = serde_json::json!({"month": "2025-10", "paid_on": "2025-10-15",
        "member_ids": [w.sibling_member]});
    let r = app
        .send(
            api(
                "POST",
                format!("/api/v1/orgs/{}/dues", w.sibling_member_org),
            )
            .json(&pay),
        )
        .await;
    assert_eq!(r.expect(200).json()["total_fen"], farmer);
    app.send(
        api(
            "POST",
            format!("/api/v1/orgs/{}/dues", w.sibling_member_org),
        )
        .json(&pay),
    )
    .await
    .expect_api_error(422, "dues.month_paid");
}
jiceng_store::both_backends!(procedures_over_the_api, over_the_api);

/// A roster upload or accept runs under its own time limit, not the ordinary request's: with the
/// import's limit at zero the upload is answered 408 and nothing is kept, while other requests
/// (the login, a page) go through under the ordinary limit.
async fn import_time_limit(store: Store) {
    let config = jiceng_web::WebConfig {
        import_timeout_secs: 0,
        ..Default::default()
    };
    let app = App::with_config(store, config);
    World::small(&app).await;
    let s = login(&app, "village_committee").await;
    app.send(s.get("/members/import")).await.expect(200);
    let template = app.send(s.get("/members/import/template.xlsx")).await;
    let r = crate::import_tests::upload(&app, &s, template.body.clone(), Some(&s.csrf)).await;
    r.expect_page(408, &["request.timeout"]);
    // Nothing was kept for a preview: the first upload's page does not exist.
    app.send(s.get("/members/import/1/problems.xlsx"))
        .await
        .expect(404);
}
jiceng_store::both_backends!(roster_import_has_its_own_time_limit, import_time_limit);
