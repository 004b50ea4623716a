//! 三会一课 through the pages: a branch's page and a node's figures with drill-down and export,
//! reminders on the organisation page, red observers on the meeting page (CSRF, refusals,
//! scope), the printable notice, the iCalendar feeds, and months without organisational life on
//! the lapse watch.

use crate::fixture::{World, citizen_id, user};
use crate::harness::{App, Call, XLSX, xlsx_cells};
use crate::session::{Session, login};
use jiceng_store::members::MemberInput;
use jiceng_store::{Actor, Scope};

const DAY: i64 = 86_400_000;

/// Records a meeting through the form; returns its page's path.
async fn record(
    app: &App,
    s: &Session,
    org: i64,
    kind: &str,
    on: &str,
    agenda: &str,
    present: &[i64],
) -> String {
    let ids: Vec<String> = present.iter().map(i64::to_string).collect();
    let title = format!("{kind}（{on}）");
    let mut form: Vec<(&str, &str)> = vec![
        ("kind", kind),
        ("title", &title),
        ("held_on", on),
        ("agenda", agenda),
    ];
    form.extend(ids.iter().map(|id| ("present", id.as_str())));
    let r = app
        .send(s.post(format!("/orgs/{org}/meetings"), &form))
        .await;
    r.expect(303);
    r.location().to_string()
}

/// The lines of a calendar unfolded (RFC 5545 3.1), after checking each is at most 75 octets
/// and ends with CRLF.
fn unfolded(ics: &str) -> Vec<String> {
    assert!(ics.ends_with("\r\n"), "the last line ends with CRLF");
    let mut out: Vec<String> = Vec::new();
    for line in ics.split("\r\n").filter(|l| !l.is_empty()) {
        assert!(!line.contains('\n'), "a bare LF in {line:?}");
        assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
        match line.strip_prefix(' ') {
            Some(rest) => out.last_mut().unwrap().push_str(rest),
            None => out.push(line.to_string()),
        }
    }
    out
}

async fn life(store: jiceng_store::Store) {
    let app = App::new(store);
    let w = World::small(&app).await;
    // 张三 and two more full members of 乾西村名册测试支部.
    // Seven full members: a branch with a committee, which owes the monthly 支委会.
    let mut full = vec![w.member];
    for i in 0..6 {
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
    // The branches were entered on 25 November (T0, Beijing time): they owe from December on.
    // Now is 10 February 2026 (sessions time out: each step in time signs in again).
    app.clock.advance(77 * DAY);
    let s = login(&app, "village_committee").await;
    let org = w.member_org;
    let long = "学习贯彻全会精神，讨论发展对象; 审议党费收缴情况，研究下一步工作安排：一、二、三。"
        .repeat(3);
    let theme = record(&app, &s, org, "theme_day", "2025-12-05", &long, &[w.member]).await;
    record(&app, &s, org, "group_meeting", "2025-12-10", "", &[]).await;
    record(&app, &s, org, "theme_day", "2026-01-08", "", &[]).await;
    record(&app, &s, org, "branch_assembly", "2026-01-20", "", &full).await;

    // A branch's month: December's committee meeting was missed, the other two met.
    let page = format!("/orgs/{org}/life?period=2025-12");
    let r = app.send(s.get(&page)).await;
    r.expect_page(
        200,
        &[
            "三会一课",
            "2025年12月",
            "66.6%",
            "未达标项",
            "支部委员会会议",
            "theme_day（2025-12-05）",
        ],
    );
    assert!(
        !r.text().contains("进行中（"),
        "December has ended: nothing running"
    );
    // The current quarter: January judged, February running; the quarter's assembly is met.
    app.send(s.get(format!("/orgs/{org}/life")))
        .await
        .expect_page(200, &["2026年第1季度", "进行中（已达标）", "2026年1月"]);
    app.send(s.get(format!("/orgs/{org}/life?period=2025-13")))
        .await
        .expect_page(400, &["统计期格式"]);

    // The district's December: the seven-member branch owed three requirements, the five small
    // branches two each (no 支委会 without a committee): 13 owed, two met.
    let county = format!("/life?under={}&period=2025-12", w.county);
    let r = app.send(s.get(&county)).await;
    // The village account's scope is its village: the district is out of it.
    r.expect(404);
    let district = login(&app, "district_org").await;
    let r = app.send(district.get(&county)).await;
    r.expect_page(
        200,
        &[
            "斗门区 · 三会一课",
            "15.3%",
            "支部委员会会议（每月至少1次；正式党员7人以上的支部）",
            "乾务镇",
            "白蕉镇",
            "未达标的党支部",
        ],
    );
    let text = r.text();
    assert!(text.contains(&format!("/life?under={}&#38;period=2025-12", w.town)));
    assert!(text.contains(&format!("/orgs/{org}/life?period=2025-12")));
    // Drill down: the town, then the village, whose branches link to their own pages.
    app.send(district.get(format!("/life?under={}&period=2025-12", w.town)))
        .await
        .expect_page(200, &["乾西村", "乾东村", "22.2%"]);
    let r = app
        .send(district.get(format!("/life?under={}&period=2025-12", w.village)))
        .await;
    r.expect_page(
        200,
        &[
            "乾西村名册测试支部",
            "乾西村测试党支部",
            "（本级）",
            "全部党支部",
        ],
    );
    // The list as .xlsx: the six branches that missed something.
    let r = app
        .send(district.get(format!(
            "/life/branches.xlsx?under={}&period=2025-12",
            w.county
        )))
        .await;
    r.expect(200);
    assert_eq!(r.content_type(), XLSX);
    let cells = xlsx_cells(&r.body);
    assert_eq!(cells.len(), 1 + 6);
    assert!(
        cells
            .iter()
            .any(|row| row[0] == "乾西村名册测试支部" && row[4] == "66.6%")
    );
    // Another town's committee sees neither the village's figures nor the branch's page.
    user(
        &app.store,
        "baijiao_town",
        "白蕉镇党委",
        "town_committee",
        w.other_town,
    )
    .await;
    let theirs = login(&app, "baijiao_town").await;
    app.send(theirs.get(format!("/life?under={}", w.town)))
        .await
        .expect(404);
    app.send(theirs.get(format!("/orgs/{org}/life")))
        .await
        .expect(404);
    app.send(theirs.get(format!("/life/branches.xlsx?under={}", w.town)))
        .await
        .expect(404);

    // Reminders: on 10 February nothing is due within a week; on 25 February, February's three.
    let r = app.send(s.get(format!("/orgs/{org}"))).await;
    r.expect_page(200, &["三会一课落实情况"]);
    assert!(!r.text().contains("工作提醒"));
    app.clock.advance(15 * DAY);
    let s = login(&app, "village_committee").await;
    let district = login(&app, "district_org").await;
    let theirs = login(&app, "baijiao_town").await;
    let r = app.send(s.get(format!("/orgs/{org}"))).await;
    r.expect_page(
        200,
        &[
            "工作提醒",
            "支部委员会会议",
            "党小组会",
            "主题党日",
            "2026-02-28",
            "0/1",
        ],
    );
    assert!(
        r.text()
            .contains(&format!("/orgs/{org}/meetings#meeting-new"))
    );

    // Red observers on the meeting page: the form, CSRF, refusals, the record, scope.
    app.send(s.get(&theme))
        .await
        .expect_page(200, &["登记观察记录", "尚无观察记录", "打印会议通知"]);
    let observe = format!("{theme}/observations");
    app.send(
        Call::post(&observe)
            .cookies(&s.jar)
            .form(&[("observer", "self"), ("findings", "无令牌")]),
    )
    .await
    .expect(403);
    app.send(s.post(&observe, &[("observer", "self"), ("findings", " ")]))
        .await
        .expect_page(422, &["请填写观察发现"]);
    app.send(s.post(&observe, &[("observer", "named"), ("findings", "有发现")]))
        .await
        .expect_page(422, &["请填写观察员姓名"]);
    app.send(theirs.post(&observe, &[("observer", "self"), ("findings", "越权")]))
        .await
        .expect(404);
    let observed = || async {
        let (entries, _) = app
            .store
            .audit_list(
                &jiceng_store::audit::AuditFilter::default(),
                jiceng_store::sql::Page::new(None, Some(500)),
            )
            .await
            .unwrap();
        entries.iter().filter(|e| e.entity == "observation").count()
    };
    assert_eq!(observed().await, 0, "refusals record nothing");
    app.send(s.post(
        &observe,
        &[
            ("observer", "self"),
            ("findings", "会议按时召开，发言踊跃。"),
            ("suggestions", "提前公布议题"),
        ],
    ))
    .await
    .expect_redirect(&theme);
    app.send(s.post(
        &observe,
        &[
            ("observer", "named"),
            ("observer_name", "陈观察"),
            ("findings", "学习记录完整。"),
        ],
    ))
    .await
    .expect_redirect(&theme);
    app.send(s.get(&theme)).await.expect_page(
        200,
        &[
            "会议按时召开，发言踊跃。",
            "提前公布议题",
            "村（社区）两委（演示）",
            "陈观察",
        ],
    );
    app.send(s.post(
        &observe,
        &[
            ("observer", "named"),
            ("observer_name", "陈观察"),
            ("findings", "再记"),
        ],
    ))
    .await
    .expect_page(422, &["已登记过"]);
    assert_eq!(observed().await, 2, "an audit entry for each record");
    app.send(district.get(&county))
        .await
        .expect_page(200, &["红色观察员观察（次）"]);
    let f = app
        .store
        .life_figures(
            &Scope::All,
            w.county,
            &jiceng_domain::life::Period::parse("2025-12").unwrap(),
            "2026-02-25",
        )
        .await
        .unwrap();
    assert_eq!(f.total.observed, 2);

    // The printable notice: no navigation, the organisation, kind, date, agenda, who attends.
    let r = app.send(s.get(format!("{theme}/notice"))).await;
    r.expect_page(
        200,
        &[
            "lang=\"zh-CN\"",
            "关于召开主题党日的通知",
            "乾西村名册测试支部",
            "2025年12月5日",
            "张三",
            "支部党员0",
            "应到人员（7人）",
            "通知日期",
        ],
    );
    assert!(!r.text().contains("class=\"nav\""));
    app.send(theirs.get(format!("{theme}/notice")))
        .await
        .expect(404);

    // The calendar of the organisation: CRLF, folded at 75 octets, escaped, all-day, UID, DTSTAMP.
    let r = app.send(s.get(format!("/orgs/{org}/meetings.ics"))).await;
    r.expect(200);
    assert!(r.content_type().starts_with("text/calendar"));
    let lines = unfolded(&r.text());
    let id = theme.trim_start_matches("/meetings/");
    assert_eq!(lines.first().map(String::as_str), Some("BEGIN:VCALENDAR"));
    for needed in [
        "VERSION:2.0".to_string(),
        format!("UID:meeting-{id}@jiceng"),
        "DTSTART;VALUE=DATE:20251205".into(),
        "DTEND;VALUE=DATE:20251206".into(),
        "SUMMARY:主题党日：theme_day（2025-12-05）".into(),
    ] {
        assert!(lines.contains(&needed), "{needed} in {lines:?}");
    }
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.starts_with("BEGIN:VEVENT"))
            .count(),
        4
    );
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("DTSTAMP:")).count(),
        4
    );
    let description = lines
        .iter()
        .find(|l| l.starts_with("DESCRIPTION:") && l.contains("学习贯彻"))
        .unwrap();
    // The agenda's comma-free Chinese text survives unfolding whole; ASCII ';' is escaped.
    assert!(
        description.contains("讨论发展对象\\; 审议党费收缴情况"),
        "{description}"
    );
    assert!(
        description.contains("乾西村名册测试支部\\n"),
        "{description}"
    );
    // A member's calendar: the meetings whose roll lists them; another town's member is out.
    let r = app
        .send(s.get(format!("/members/{}/meetings.ics", w.member)))
        .await;
    r.expect(200);
    assert_eq!(
        unfolded(&r.text())
            .iter()
            .filter(|l| *l == "BEGIN:VEVENT")
            .count(),
        4
    );
    app.send(s.get(format!("/members/{}/meetings.ics", w.other_member)))
        .await
        .expect(404);
    app.send(theirs.get(format!("/orgs/{org}/meetings.ics")))
        .await
        .expect(404);

    // Months without organisational life: on 10 July 2026 the three were last present on
    // 20 January (February–June: 5, warned); on 10 August, six: flagged for the branch.
    app.clock.advance(135 * DAY);
    let s = login(&app, "village_committee").await;
    let section = |html: String| {
        html.split("未参加组织生活的党员")
            .nth(1)
            .unwrap_or_default()
            .to_string()
    };
    let r = app.send(s.get("/members/lapse")).await;
    r.expect_page(200, &["未参加组织生活的党员"]);
    let part = section(r.text());
    for needed in ["张三", "2026-01-20", "<td>5</td>", "提醒"] {
        assert!(part.contains(needed), "{needed} in {part}");
    }
    assert!(!part.contains("自行脱党候选"));
    app.clock.advance(31 * DAY);
    let s = login(&app, "village_committee").await;
    let district = login(&app, "district_org").await;
    let part = section(app.send(s.get("/members/lapse")).await.text());
    assert!(
        part.contains("<td>6</td>") && part.contains("自行脱党候选"),
        "{part}"
    );
    // Another village's members never recorded a meeting: nobody there is counted.
    let r = app.send(district.get("/members/lapse")).await;
    assert!(!r.text().contains("李四") && !r.text().contains("王五"));
}
jiceng_store::both_backends!(life_pages, life);
