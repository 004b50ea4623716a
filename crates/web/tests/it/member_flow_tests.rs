//! The member register's procedures through the pages: a transfer (letter, in transit with the
//! sender, received by the other town), the formation warnings, and a recruitment file whose steps
//! go in order with their periods.

use crate::fixture::{World, user};
use crate::harness::App;
use crate::session::login;
use jiceng_store::Store;

async fn transfer(store: Store) {
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
    let sender = login(&app, "village_committee").await;
    let page = format!("/members/{}", w.member);
    app.send(sender.get(&page))
        .await
        .expect_page(200, &["转出组织关系", "开具介绍信"]);
    let to = w.other_member_org.to_string();
    let form = [
        ("to_org_id", to.as_str()),
        ("letter_no", "斗组转〔2026〕1号"),
        ("sent_on", "2025-11-20"),
    ];
    app.send(sender.post(format!("{page}/transfer"), &form))
        .await
        .expect_redirect(&page);
    let r = app.send(sender.get(&page)).await;
    r.expect_page(200, &["转接中", "斗组转〔2026〕1号", "撤回转出"]);
    assert!(
        !r.text().contains("开具介绍信"),
        "no second letter while one is in transit"
    );

    // The receiving town sees it and confirms; then the member is theirs, not the sender's.
    let receiver = login(&app, "baijiao_town").await;
    let list = app.send(receiver.get("/transfers")).await;
    list.expect_page(200, &["待接收", "斗组转〔2026〕1号", "确认接收"]);
    let sent = app.send(sender.get("/transfers")).await;
    sent.expect_page(200, &["转出与转入记录", "斗组转〔2026〕1号"]);
    let id: i64 = app
        .store
        .member_transfers(&jiceng_store::Scope::All, w.member)
        .await
        .unwrap()[0]
        .id;
    // The sender cannot receive its own letter.
    app.send(sender.post(format!("/transfers/{id}/receive"), &[]))
        .await
        .expect(404);
    app.send(receiver.post(format!("/transfers/{id}/receive"), &[]))
        .await
        .expect_redirect("/transfers");
    app.send(receiver.get(&page))
        .await
        .expect_page(200, &["已接收"]);
    app.send(sender.get(&page)).await.expect(404);
    // A bad organisation number is refused next to its field.
    let back = [
        ("to_org_id", "abc"),
        ("letter_no", "x"),
        ("sent_on", "2025-11-20"),
    ];
    app.send(receiver.post(format!("{page}/transfer"), &back))
        .await
        .expect_page(422, &["id=\"transfer-send-to_org_id-error\""]);
}
jiceng_store::both_backends!(transfers_through_the_pages, transfer);

async fn formation(store: Store) {
    let app = App::new(store);
    let w = World::small(&app).await;
    let s = login(&app, "town_committee").await;
    let orgs = app.send(s.get("/orgs")).await;
    orgs.expect_page(200, &["/orgs/formation"]);
    let page = app.send(s.get("/orgs/formation")).await;
    // The fixture's branches have one member each: fewer than three full members.
    page.expect_page(
        200,
        &[
            "党组织设置提醒",
            "不足3人",
            &format!("/orgs/{}", w.member_org),
        ],
    );
    assert!(
        !page
            .text()
            .contains(&format!("/orgs/{}\"", w.other_member_org)),
        "another town's branch is listed"
    );
    let member = login(&app, "grid_worker").await;
    let r = app.send(member.get("/orgs/formation")).await;
    r.expect(200);
    assert!(
        !r.text()
            .contains(&format!("/orgs/{}\"", w.other_member_org))
    );
}
jiceng_store::both_backends!(formation_warnings_in_scope, formation);

fn input_template(org_id: i64) -> jiceng_store::members::MemberInput {
    jiceng_store::members::MemberInput {
        org_id,
        education: "college".into(),
        occupation: "worker".into(),
        status: "applicant".into(),
        ..Default::default()
    }
}

async fn recruitment(store: Store) {
    use jiceng_store::members::MemberInput;
    let app = App::new(store);
    let w = World::small(&app).await;
    let input = MemberInput {
        org_id: w.member_org,
        name: "入党申请人".into(),
        id_number: crate::fixture::citizen_id("44040319900101061"),
        education: "college".into(),
        occupation: "worker".into(),
        status: "applicant".into(),
        ..Default::default()
    };
    let m = app
        .store
        .create_member(
            &jiceng_store::Actor::cli("test"),
            &jiceng_store::Scope::All,
            input,
            crate::T0,
        )
        .await
        .unwrap();
    let s = login(&app, "village_committee").await;
    let page = format!("/members/{}", m.id);
    app.send(s.get(&page))
        .await
        .expect_page(200, &["下一步：1. 递交入党申请书", "尚未登记发展程序"]);
    let post = format!("{page}/recruitment");
    app.send(s.post(
        &post,
        &[("step", "1"), ("date", "2025-01-10"), ("note", "")],
    ))
    .await
    .expect_redirect(&page);
    app.send(s.get(&page)).await.expect_page(
        200,
        &[
            "1. 递交入党申请书",
            "2025-01-10",
            "下一步：2. 党组织派人谈话",
        ],
    );
    // Too late for the talk: refused next to the date, naming the rule and the deadline.
    let late = app
        .send(s.post(
            &post,
            &[("step", "2"), ("date", "2025-03-01"), ("note", "")],
        ))
        .await;
    late.expect_page(
        422,
        &["id=\"recruitment-date-error\"", "一个月内", "2025-02-10"],
    );
    // Out of order: refused.
    let skip = app
        .send(s.post(
            &post,
            &[("step", "5"), ("date", "2025-02-01"), ("note", "")],
        ))
        .await;
    skip.expect_page(422, &["依次进行"]);
    app.send(s.post(
        &post,
        &[
            ("step", "2"),
            ("date", "2025-02-10"),
            ("note", "谈话人：张书记"),
        ],
    ))
    .await
    .expect_redirect(&page);
    let (file, _) = app
        .store
        .recruitment_file(&jiceng_store::Scope::All, m.id)
        .await
        .unwrap();
    assert_eq!(file.next_step(), Some(3));
    // A new applicant's talk is due within a month: on the due list as a deadline.
    let p2 = MemberInput {
        name: "新申请人".into(),
        id_number: crate::fixture::citizen_id("44040319920101062"),
        ..input_template(w.member_org)
    };
    let m2 = app
        .store
        .create_member(
            &jiceng_store::Actor::cli("test"),
            &jiceng_store::Scope::All,
            p2,
            crate::T0,
        )
        .await
        .unwrap();
    let post2 = format!("/members/{}/recruitment", m2.id);
    app.send(s.post(
        &post2,
        &[("step", "1"), ("date", "2025-11-20"), ("note", "")],
    ))
    .await
    .expect_redirect("/members/");
    app.send(s.get("/members/due")).await.expect_page(
        200,
        &["新申请人", "2. 党组织派人谈话", "2025-12-20", "截止日期"],
    );
    // Another town's committee: 404, nothing recorded.
    user(
        &app.store,
        "baijiao_town",
        "白蕉镇党委",
        "town_committee",
        w.other_town,
    )
    .await;
    let other = login(&app, "baijiao_town").await;
    app.send(other.post(
        &post,
        &[("step", "3"), ("date", "2025-03-01"), ("note", "")],
    ))
    .await
    .expect(404);
    let (file, _) = app
        .store
        .recruitment_file(&jiceng_store::Scope::All, m.id)
        .await
        .unwrap();
    assert_eq!(file.next_step(), Some(3));
}
jiceng_store::both_backends!(recruitment_on_the_member_page, recruitment);
