//! Party-representative studios on the web: the list and a studio's page (duty rule, next duty
//! days), refusals beside their fields with nothing written, a reception whose matter goes to the
//! problem list, the iCalendar feeds parsed back (RRULE, TZID, VTIMEZONE), exports, CSRF, scope.
use crate::fixture::{World, user};
use crate::harness::{App, Call, XLSX, xlsx_cells};
use crate::session::login;
use jiceng_domain::studio::Duty;
use jiceng_store::Scope;
use jiceng_store::sql::Page;

const DAY: i64 = 86_400_000;

/// Content lines of an iCalendar text, unfolded (RFC 5545 3.1), CRLF-terminated and ≤ 75 octets.
fn unfolded(ics: &str) -> Vec<String> {
    assert!(ics.ends_with("\r\n"));
    let mut out: Vec<String> = Vec::new();
    for line in ics.split("\r\n").filter(|l| !l.is_empty()) {
        assert!(line.len() <= 75 && !line.contains('\n'), "{line:?}");
        match line.strip_prefix(' ') {
            Some(rest) => out.last_mut().unwrap().push_str(rest),
            None => out.push(line.to_string()),
        }
    }
    out
}

async fn studios(store: jiceng_store::Store) {
    let app = App::new(store);
    let w = World::small(&app).await;
    // Now is 2026-02-13 (Beijing).
    app.clock.advance(80 * DAY);
    let s = login(&app, "town_committee").await;
    user(
        &app.store,
        "baijiao_town",
        "白蕉镇党委",
        "town_committee",
        w.other_town,
    )
    .await;
    let theirs = login(&app, "baijiao_town").await;
    app.send(s.get("/studios")).await.expect_page(
        200,
        &["新建党代表工作室", "FREQ=MONTHLY;BYDAY=2TU", "接待情况"],
    );
    let town = w.town.to_string();
    let form = |rule: &'static str| {
        vec![
            ("place_id", town.clone()),
            ("name", "乾务镇党代表工作室".to_string()),
            ("address", "乾务镇政府一楼".to_string()),
            ("rule", rule.to_string()),
            ("since", "2025-12-01".to_string()),
            ("starts", "09:00".to_string()),
            ("ends", "11:30".to_string()),
        ]
    };
    let pairs = |v: &[(&'static str, String)]| -> Vec<(&'static str, String)> { v.to_vec() };
    let send = |v: Vec<(&'static str, String)>| {
        let f: Vec<(&str, &str)> = v.iter().map(|(k, v)| (*k, v.as_str())).collect();
        s.post("/studios", &f)
    };
    app.send(send(pairs(&form("FREQ=DAILY"))))
        .await
        .expect_page(422, &["接待日规则无效", "FREQ=DAILY"]);
    let count = || async {
        app.store
            .studios(&Scope::All, None, Page::new(None, None))
            .await
            .unwrap()
            .1
    };
    assert_eq!(count().await, 0);
    // No CSRF token: refused before anything happens.
    app.send(
        Call::post("/studios")
            .cookies(&s.jar)
            .form(&[("name", "x")]),
    )
    .await
    .expect(403);
    let r = app.send(send(form("FREQ=MONTHLY;BYDAY=2TU"))).await;
    r.expect(303);
    let page = r.location().to_string();
    let id: i64 = page.trim_start_matches("/studios/").parse().unwrap();
    app.send(s.get(&page)).await.expect_page(
        200,
        &[
            "乾务镇党代表工作室",
            "09:00–11:30",
            "2026-03-10",
            "2026-04-14",
        ],
    );
    // A representative from the register, then receptions.
    let member = w.member.to_string();
    let r = app
        .send(s.post(
            format!("{page}/reps"),
            &[("member_id", &member), ("from_on", "2025-12-01")],
        ))
        .await;
    r.expect(303);
    app.send(s.post(
        format!("{page}/reps"),
        &[("member_id", &member), ("from_on", "2025-12-01")],
    ))
    .await
    .expect_page(422, &["已在乾务镇党代表工作室进站"]);
    // The member can be named instead of numbered: the same 张三 is found in the town's register.
    app.send(s.post(
        format!("{page}/reps"),
        &[("member_id", "张三"), ("from_on", "2025-12-01")],
    ))
    .await
    .expect_page(422, &["已在乾务镇党代表工作室进站"]);
    app.send(s.post(
        format!("{page}/reps"),
        &[("member_id", "查无此人"), ("from_on", "2025-12-01")],
    ))
    .await
    .expect_page(422, &["党员名册中没有名为“查无此人”的党员"]);
    let village = w.village.to_string();
    let receive = |day: &'static str, n: &'static str| {
        vec![
            ("member_id", member.as_str()),
            ("held_on", day),
            ("residents", n),
            ("raised", "村道路灯损坏"),
            ("to_problem", "on"),
            ("problem_place_id", village.as_str()),
        ]
    };
    let rec = format!("{page}/receptions");
    for (day, n, needle) in [
        ("2026-02-11", "4", "不是乾务镇党代表工作室的接待日"),
        ("2026-03-10", "4", "不能晚于今天"),
        ("2026-02-10", "0", "接待群众人数须为1至500人"),
        ("2026-02-10", "四", "须为整数"),
    ] {
        app.send(s.post(&rec, &receive(day, n)))
            .await
            .expect_page(422, &[needle]);
    }
    let (_, before) = app
        .store
        .receptions(&Scope::All, None, None, Page::new(None, None))
        .await
        .unwrap();
    assert_eq!(before, 0);
    app.send(s.post(&rec, &receive("2026-02-10", "4")))
        .await
        .expect(303);
    let (recs, _) = app
        .store
        .receptions(&Scope::All, Some(id), None, Page::new(None, None))
        .await
        .unwrap();
    let problem = app
        .store
        .problem(&Scope::All, recs[0].problem_id.unwrap())
        .await
        .unwrap();
    assert_eq!(
        (problem.source.as_str(), problem.place_id),
        ("studio", w.village)
    );
    app.send(s.get(&page))
        .await
        .expect_page(200, &["2026-02-10", "村道路灯损坏", "张三"]);

    // The studio's calendar: one VEVENT, its RRULE and Beijing times with the zone described.
    let r = app.send(s.get(format!("{page}/duty.ics"))).await;
    r.expect(200);
    assert!(r.content_type().starts_with("text/calendar"));
    let lines = unfolded(&r.text());
    for needed in [
        "BEGIN:VTIMEZONE",
        "TZID:Asia/Shanghai",
        "TZOFFSETTO:+0800",
        "DTSTART;TZID=Asia/Shanghai:20251209T090000",
        "DTEND;TZID=Asia/Shanghai:20251209T113000",
        "RRULE:FREQ=MONTHLY;BYDAY=2TU",
    ] {
        assert!(lines.iter().any(|l| l == needed), "{needed} in {lines:?}");
    }
    assert_eq!(lines.iter().filter(|l| *l == "BEGIN:VEVENT").count(), 1);
    let rule = lines.iter().find_map(|l| l.strip_prefix("RRULE:")).unwrap();
    let back = Duty::parse(rule, "2025-12-09", "09:00", "11:30").unwrap();
    assert_eq!(
        back.next_days("2025-12-31", 2).unwrap(),
        ["2026-01-13", "2026-02-10"]
    );
    // The representative's calendar: the studio they sit in.
    let r = app.send(s.get(format!("/members/{member}/duty.ics"))).await;
    r.expect(200);
    let lines = unfolded(&r.text());
    assert!(lines.iter().any(|l| l == "RRULE:FREQ=MONTHLY;BYDAY=2TU"));
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("SUMMARY:乾务镇党代表工作室接待日"))
    );

    // Exports with the page's filters.
    let r = app
        .send(s.get(format!("/studios/export.xlsx?under={town}")))
        .await;
    r.expect(200);
    assert_eq!(r.content_type(), XLSX);
    assert!(
        xlsx_cells(&r.body)
            .iter()
            .flatten()
            .any(|c| c == "乾务镇党代表工作室")
    );
    let r = app
        .send(s.get(format!("/studios/receptions.xlsx?studio={id}")))
        .await;
    r.expect(200);
    let cells = xlsx_cells(&r.body);
    assert!(cells.iter().flatten().any(|c| c == "2026-02-10"));
    assert!(cells.iter().flatten().any(|c| c == "村道路灯损坏"));

    // The schedule moves to the third Tuesday from March; a wrong rule changes nothing.
    let edit = format!("{page}/edit");
    let changed = |rule: &'static str| {
        vec![
            ("name", "乾务镇党代表工作室"),
            ("address", "乾务镇党群服务中心二楼"),
            ("rule", rule),
            ("since", "2026-03-01"),
            ("starts", "14:30"),
            ("ends", "17:00"),
        ]
    };
    app.send(s.post(&edit, &changed("FREQ=WEEKLY;BYDAY=XX")))
        .await
        .expect_page(422, &["接待日规则无效"]);
    let kept = app.store.studio(&Scope::All, id).await.unwrap();
    assert_eq!(
        (kept.rrule.as_str(), kept.address.as_deref()),
        ("FREQ=MONTHLY;BYDAY=2TU", Some("乾务镇政府一楼"))
    );
    app.send(s.post(&edit, &changed("FREQ=MONTHLY;BYDAY=3TU")))
        .await
        .expect(303);
    app.send(s.get(&page)).await.expect_page(
        200,
        &[
            "FREQ=MONTHLY;BYDAY=3TU",
            "14:30–17:00",
            "乾务镇党群服务中心二楼",
            "2026-03-17",
            "2026-04-21",
        ],
    );
    let lines = unfolded(&app.send(s.get(format!("{page}/duty.ics"))).await.text());
    assert!(lines.iter().any(|l| l == "RRULE:FREQ=MONTHLY;BYDAY=3TU"));
    assert!(
        lines
            .iter()
            .any(|l| l == "DTSTART;TZID=Asia/Shanghai:20260317T143000")
    );
    // The reception recorded under the old rule stays.
    app.send(s.get(&page))
        .await
        .expect_page(200, &["2026-02-10", "村道路灯损坏"]);
    let (entries, _) = app
        .store
        .audit_list(
            &jiceng_store::audit::AuditFilter {
                action: Some("update".into()),
                entity: Some("studio".into()),
                ..Default::default()
            },
            Page::new(None, None),
        )
        .await
        .unwrap();
    assert_eq!(entries.len(), 1, "one audited change");
    app.send(theirs.post(&edit, &changed("FREQ=MONTHLY;BYDAY=1MO")))
        .await
        .expect(404);

    // Another town: nothing reachable, nothing listed.
    for path in [
        page.clone(),
        format!("{page}/duty.ics"),
        format!("/members/{member}/duty.ics"),
        format!("/studios/receptions.xlsx?studio={id}"),
        format!("/studios?under={town}"),
    ] {
        app.send(theirs.get(&path)).await.expect(404);
    }
    app.send(theirs.post(&rec, &receive("2026-02-10", "1")))
        .await
        .expect(404);
    app.send(theirs.post(
        format!("{page}/reps"),
        &[("member_id", &member), ("from_on", "2025-12-01")],
    ))
    .await
    .expect(404);
    let r = app.send(theirs.get("/studios")).await;
    r.expect(200);
    assert!(!r.text().contains("乾务镇党代表工作室"));
    let r = app.send(theirs.get("/studios/receptions.xlsx")).await;
    assert!(
        !xlsx_cells(&r.body)
            .iter()
            .flatten()
            .any(|c| c == "村道路灯损坏")
    );
}
jiceng_store::both_backends!(studio_pages, studios);
