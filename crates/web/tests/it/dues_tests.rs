//! Dues on the member's page: the amount from the 2008 brackets, one payment per month with the
//! refusal next to its field, and data scope on both forms.

use crate::fixture::{World, citizen_id};
use crate::harness::App;
use crate::scope::{Payload, assert_scoped_with};
use crate::session::{caller, login};
use jiceng_store::members::MemberInput;
use jiceng_store::{Actor, Scope, Store};

async fn dues(store: Store) {
    let app = App::new(store);
    let w = World::small(&app).await;
    // An employee on 3,000.01 yuan pays 1% (30.00); on 3,000.00, 0.5% (15.00).
    let input = MemberInput {
        org_id: w.member_org,
        name: "在职党员".into(),
        id_number: citizen_id("44040319850301001"),
        education: "college".into(),
        occupation: "employee".into(),
        status: "full".into(),
        ..Default::default()
    };
    let m = app
        .store
        .create_member(&Actor::cli("test"), &Scope::All, input, crate::T0)
        .await
        .unwrap();
    let s = login(&app, "village_committee").await;
    let page = format!("/members/{}", m.id);
    app.send(s.get(&page))
        .await
        .expect_page(200, &["本月应交党费", "未登记", "登记交纳党费"]);

    let base = format!("{page}/dues/base");
    app.send(s.post(&base, &[("income", "3000.01"), ("from_month", "2025-10")]))
        .await
        .expect_redirect(&page);
    app.send(s.get(&page)).await.expect_page(200, &["30.00"]);
    app.send(s.post(&base, &[("income", "3,000"), ("from_month", "2025-11")]))
        .await
        .expect_redirect(&page);
    let r = app.send(s.get(&page)).await;
    r.expect_page(200, &["15.00"]);
    // October and November are unpaid; the payment form offers the oldest.
    assert!(
        r.text().contains("value=\"2025-10\""),
        "the oldest unpaid month is proposed"
    );

    let pay = format!("{page}/dues/pay");
    app.send(s.post(&pay, &[("month", "2025-10"), ("paid_on", "2025-11-20")]))
        .await
        .expect_redirect(&page);
    let r = app.send(s.get(&page)).await;
    r.expect_page(200, &["2025-10", "30.00", "2025-11-20"]);
    // The same month again: refused next to the month field, nothing added.
    let again = app
        .send(s.post(&pay, &[("month", "2025-10"), ("paid_on", "2025-11-21")]))
        .await;
    again.expect_page(422, &["id=\"dues-pay-month-error\"", "已交"]);
    let future = app
        .send(s.post(&pay, &[("month", "2026-01"), ("paid_on", "2025-11-21")]))
        .await;
    future.expect_page(422, &["不能登记"]);
    let bad = app
        .send(s.post(&base, &[("income", "三千"), ("from_month", "2025-11")]))
        .await;
    bad.expect_page(422, &["id=\"dues-base-income-error\"", "金额须为"]);
    let status = app
        .store
        .dues_status(&Scope::All, m.id, "2025-11")
        .await
        .unwrap();
    assert_eq!(status.payments.len(), 1);
    assert_eq!(status.unpaid, ["2025-11"]);

    // Four months later, November to February are unpaid: a warning, not yet a 自行脱党 candidate.
    app.clock.advance(100 * 86_400_000);
    let s = login(&app, "village_committee").await;
    let watch = app.send(s.get("/members/lapse")).await;
    watch.expect_page(200, &["在职党员", "2025-11", "提醒", "《党章》第九条"]);
    assert!(!watch.text().contains("<td>自行脱党候选</td>"));
    // Seven months on it is one; another town's committee does not see it.
    app.clock.advance(92 * 86_400_000);
    let s = login(&app, "village_committee").await;
    app.send(s.get("/members/lapse"))
        .await
        .expect_page(200, &["在职党员", "自行脱党候选"]);
    crate::fixture::user(
        &app.store,
        "baijiao_town",
        "白蕉镇党委",
        "town_committee",
        w.other_town,
    )
    .await;
    let other = login(&app, "baijiao_town").await;
    let theirs = app.send(other.get("/members/lapse")).await;
    assert!(!theirs.text().contains("在职党员"));

    // Another town's member: both forms are 404 and change nothing.
    let who = caller(&app, "town_committee").await;
    // The base first: a payment needs one.
    let form: &[(&str, &str)] = &[("income", "1000"), ("from_month", "2025-11")];
    assert_scoped_with(
        &app,
        &who,
        "POST",
        "/members/{id}/dues/base",
        w.member,
        w.other_member,
        Payload::Form(form),
    )
    .await;
    let form: &[(&str, &str)] = &[("month", "2025-11"), ("paid_on", "2025-11-21")];
    assert_scoped_with(
        &app,
        &who,
        "POST",
        "/members/{id}/dues/pay",
        w.member,
        w.other_member,
        Payload::Form(form),
    )
    .await;
}
jiceng_store::both_backends!(dues_on_the_member_page, dues);
