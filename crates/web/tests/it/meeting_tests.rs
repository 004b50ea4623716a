//! A branch's meetings through the pages: attendance ticked from the register, the quorum and
//! each vote's outcome computed (and said why when short), minutes frozen once approved, scope.

use crate::fixture::{World, citizen_id};
use crate::harness::App;
use crate::session::login;
use jiceng_store::members::MemberInput;
use jiceng_store::{Actor, Scope, Store};

async fn meetings(store: Store) {
    let app = App::new(store);
    let w = World::small(&app).await;
    // 张三 and three more full members: four with a vote, so three present is a quorum.
    let mut full = vec![w.member];
    for i in 0..3 {
        let input = MemberInput {
            org_id: w.member_org,
            name: format!("支部党员{i}"),
            id_number: citizen_id(&format!("4404031986030100{i}")),
            education: "college".into(),
            occupation: "farmer".into(),
            status: "full".into(),
            ..Default::default()
        };
        let m = app
            .store
            .create_member(&Actor::cli("test"), &Scope::All, input, crate::T0)
            .await
            .unwrap();
        full.push(m.id);
    }
    let s = login(&app, "village_committee").await;
    let list = format!("/orgs/{}/meetings", w.member_org);
    app.send(s.get(&list))
        .await
        .expect_page(200, &["登记会议", "尚无会议记录", "支部党员0"]);

    let ids: Vec<String> = full.iter().map(i64::to_string).collect();
    let record = |present: &[String]| {
        let mut form: Vec<(&str, &str)> = vec![
            ("kind", "branch_assembly"),
            ("title", "第一季度支部党员大会"),
            ("held_on", "2025-11-20"),
        ];
        form.extend(present.iter().map(|id| ("present", id.as_str())));
        s.post(&list, &form)
    };
    let r = app.send(record(&ids[..3])).await;
    let page = r.location().to_string();
    assert!(page.starts_with("/meetings/"), "{page}");
    app.send(s.get(&page))
        .await
        .expect_page(200, &["第一季度支部党员大会", "登记表决", "出席", "缺席"]);

    // Ayes of those who should attend: 3 of 4 pass, 2 do not; more votes than present are refused.
    let votes = format!("{page}/resolutions");
    app.send(s.post(&votes, &[("title", "议题一"), ("ayes", "3")]))
        .await
        .expect_redirect(&page);
    app.send(s.post(&votes, &[("title", "议题二"), ("ayes", "2"), ("nays", "1")]))
        .await
        .expect_redirect(&page);
    let r = app.send(s.get(&page)).await;
    r.expect_page(200, &["议题一", "通过", "议题二", "未通过"]);
    app.send(s.post(&votes, &[("title", "议题三"), ("ayes", "3"), ("nays", "1")]))
        .await
        .expect_page(422, &["多于实到会"]);
    app.send(s.post(&votes, &[("title", "议题四"), ("ayes", "三")]))
        .await
        .expect_page(422, &["票数须为整数"]);

    // Minutes: approved, then frozen.
    let minutes = format!("{page}/minutes");
    app.send(s.post(
        &minutes,
        &[("minutes", "审议了两项议题。"), ("approve", "on")],
    ))
    .await
    .expect_redirect(&page);
    let r = app.send(s.get(&page)).await;
    r.expect_page(200, &["审议了两项议题。"]);
    assert!(
        !r.text().contains("id=\"minutes\""),
        "no minutes form once approved"
    );
    app.send(s.post(&minutes, &[("minutes", "改写")]))
        .await
        .expect_page(422, &["已审定"]);

    // Two of four: recorded without quorum, the page says why, and offers no vote.
    let r = app.send(record(&ids[..2])).await;
    let thin = r.location().to_string();
    let r = app.send(s.get(&thin)).await;
    r.expect_page(200, &["未达到法定人数", "4人中至少3人"]);
    assert!(!r.text().contains("登记表决"));
    app.send(s.post(
        format!("{thin}/resolutions"),
        &[("title", "议题"), ("ayes", "2")],
    ))
    .await
    .expect_page(422, &["未达到法定人数"]);
    // Someone of another branch cannot be ticked present.
    let other = w.other_member.to_string();
    app.send(record(&[ids[0].clone(), other]))
        .await
        .expect_page(422, &["应到名单"]);
    app.send(s.get(&list))
        .await
        .expect_page(200, &["第一季度支部党员大会"]);
    assert_eq!(
        app.store
            .meetings(&Scope::All, w.member_org)
            .await
            .unwrap()
            .len(),
        2
    );

    // Another town's committee sees neither the list nor the meeting.
    crate::fixture::user(
        &app.store,
        "baijiao_town",
        "白蕉镇党委",
        "town_committee",
        w.other_town,
    )
    .await;
    let theirs = login(&app, "baijiao_town").await;
    app.send(theirs.get(&page)).await.expect(404);
    app.send(theirs.get(&list)).await.expect(404);
    app.send(theirs.post(&votes, &[("title", "越权"), ("ayes", "3")]))
        .await
        .expect(404);
}
jiceng_store::both_backends!(branch_meetings_through_the_pages, meetings);
