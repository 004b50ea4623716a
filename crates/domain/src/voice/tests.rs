use super::*;
use proptest::prelude::*;

fn rule() -> VoiceRule {
    VoiceRule::defaults()
}

fn assigned(today: &str) -> Problem {
    let mut p = Problem::new(None);
    p.apply(
        &Event::Analysed {
            category: "道路".into(),
        },
        today,
        &rule(),
    )
    .unwrap();
    p.apply(
        &Event::Assigned {
            owner: "村委会".into(),
            deadline: "2026-03-10".into(),
        },
        today,
        &rule(),
    )
    .unwrap();
    p
}

fn resolved_on(day: &str) -> Problem {
    let mut p = assigned("2026-03-01");
    p.apply(
        &Event::Resolved {
            what: "已修复路灯".into(),
        },
        day,
        &rule(),
    )
    .unwrap();
    p
}

fn code(r: Rule<()>) -> &'static str {
    r.map(|_| "ok").unwrap_or_else(|e| e.code)
}

#[test]
fn the_lifecycle_in_order() {
    let mut p = resolved_on("2026-03-05");
    assert_eq!(p.status, Status::Resolved);
    assert_eq!(p.window_ends(&rule()).as_deref(), Some("2026-03-12"));
    p.apply(&Event::Confirmed, "2026-03-06", &rule()).unwrap();
    assert_eq!(p.status, Status::Closed);
    p.apply(&Event::Rated { score: 5 }, "2026-03-06", &rule())
        .unwrap();
    assert_eq!(p.score, Some(5));
    assert_eq!(
        code(
            p.clone()
                .apply(&Event::Rated { score: 4 }, "2026-03-07", &rule())
        ),
        "problem.already_rated"
    );
    // A confirmation after 销号 is refused.
    assert_eq!(
        code(p.apply(&Event::Confirmed, "2026-03-07", &rule())),
        "problem.already_closed"
    );
}

#[test]
fn closing_needs_the_resident_or_the_whole_window() {
    // Resolved on 03-05 with a 7-day window: objections until 03-12 inclusive.
    let p = resolved_on("2026-03-05");
    assert_eq!(
        code(p.clone().apply(&Event::WindowPassed, "2026-03-12", &rule())),
        "problem.window_open"
    );
    let mut closed = p.clone();
    closed
        .apply(&Event::WindowPassed, "2026-03-13", &rule())
        .unwrap();
    assert_eq!(closed.status, Status::Closed);
    let mut reopened = p.clone();
    reopened
        .apply(
            &Event::Objected {
                reason: "路灯又坏了".into(),
            },
            "2026-03-12",
            &rule(),
        )
        .unwrap();
    assert_eq!(
        (reopened.status, reopened.resolved_on.clone()),
        (Status::Assigned, None)
    );
    assert_eq!(
        code(p.clone().apply(
            &Event::Objected { reason: "x".into() },
            "2026-03-13",
            &rule()
        )),
        "problem.window_passed"
    );
    assert_eq!(
        code(p.clone().apply(
            &Event::Objected { reason: " ".into() },
            "2026-03-06",
            &rule()
        )),
        "problem.reason_required"
    );
    // The window is data: a 3-day rule closes on the 4th day.
    let short = VoiceRule {
        objection_days: 3,
        ..rule()
    };
    let mut q = p.clone();
    assert_eq!(
        code(q.clone().apply(&Event::WindowPassed, "2026-03-08", &short)),
        "problem.window_open"
    );
    q.apply(&Event::WindowPassed, "2026-03-09", &short).unwrap();
}

#[test]
fn escalation_once_per_assignment_after_the_deadline() {
    let p = assigned("2026-03-01");
    assert!(
        !p.overdue("2026-03-10"),
        "the deadline day itself is still in time"
    );
    assert!(p.overdue("2026-03-11"));
    assert_eq!(
        code(p.clone().apply(&Event::Escalated, "2026-03-10", &rule())),
        "problem.not_overdue"
    );
    let mut e = p.clone();
    e.apply(&Event::Escalated, "2026-03-11", &rule()).unwrap();
    assert!(e.escalated);
    assert_eq!(
        code(e.clone().apply(&Event::Escalated, "2026-03-12", &rule())),
        "problem.already_escalated"
    );
    // Reassigned with a new deadline: escalation starts over.
    e.apply(
        &Event::Assigned {
            owner: "镇城建办".into(),
            deadline: "2026-03-20".into(),
        },
        "2026-03-12",
        &rule(),
    )
    .unwrap();
    assert!(!e.escalated && !e.overdue("2026-03-20"));
}

#[test]
fn refusals_name_the_rule() {
    let mut p = Problem::new(None);
    assert_eq!(
        code(
            p.clone()
                .apply(&Event::Resolved { what: "x".into() }, "2026-03-01", &rule())
        ),
        "problem.wrong_state"
    );
    assert_eq!(
        code(p.clone().apply(
            &Event::Analysed {
                category: " ".into()
            },
            "2026-03-01",
            &rule()
        )),
        "problem.category_required"
    );
    p.apply(
        &Event::Analysed {
            category: "环境".into(),
        },
        "2026-03-01",
        &rule(),
    )
    .unwrap();
    assert_eq!(
        code(p.clone().apply(
            &Event::Assigned {
                owner: "村委".into(),
                deadline: "2026-02-28".into()
            },
            "2026-03-01",
            &rule()
        )),
        "problem.deadline_past"
    );
    assert_eq!(
        code(p.clone().apply(
            &Event::Assigned {
                owner: "".into(),
                deadline: "2026-03-02".into()
            },
            "2026-03-01",
            &rule()
        )),
        "problem.owner_required"
    );
    assert_eq!(
        code(
            p.clone()
                .apply(&Event::Rated { score: 3 }, "2026-03-01", &rule())
        ),
        "problem.wrong_state"
    );
    let mut m = p.clone();
    m.apply(&Event::Merged { into: 9 }, "2026-03-01", &rule())
        .unwrap();
    assert_eq!(
        (m.status, m.merged_into, m.status.is_open()),
        (Status::Merged, Some(9), false)
    );
    let mut closed = resolved_on("2026-03-05");
    closed
        .apply(&Event::Confirmed, "2026-03-05", &rule())
        .unwrap();
    assert_eq!(
        code(
            closed
                .clone()
                .apply(&Event::Rated { score: 0 }, "2026-03-05", &rule())
        ),
        "problem.score_invalid"
    );
    assert_eq!(
        code(
            closed
                .clone()
                .apply(&Event::Rated { score: 6 }, "2026-03-05", &rule())
        ),
        "problem.score_invalid"
    );
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        Just(Event::Analysed {
            category: "道路".into()
        }),
        Just(Event::Merged { into: 1 }),
        Just(Event::Assigned {
            owner: "村委会".into(),
            deadline: "2026-12-31".into()
        }),
        Just(Event::Resolved {
            what: "已办".into()
        }),
        Just(Event::Confirmed),
        Just(Event::Objected {
            reason: "未解决".into()
        }),
        Just(Event::WindowPassed),
        Just(Event::Escalated),
        (1u8..=5).prop_map(|score| Event::Rated { score }),
    ]
}

proptest! {
    /// Whatever residents and staff do, and on whichever days, a problem reaches 销号 only by a
    /// confirmation or by a window passed that began with a resolution at least the window ago.
    #[test]
    fn no_close_without_confirmation_or_the_window(steps in proptest::collection::vec((event(), 0i64..40), 0..25)) {
        let r = rule();
        let mut p = Problem::new(None);
        let mut day = "2026-01-01".to_string();
        for (e, gap) in steps {
            day = add_days(&day, gap).unwrap();
            let before = p.clone();
            if p.apply(&e, &day, &r).is_ok() && p.status == Status::Closed && before.status != Status::Closed {
                match e {
                    Event::Confirmed => prop_assert_eq!(before.status, Status::Resolved),
                    Event::WindowPassed => {
                        let from = before.resolved_on.clone().unwrap();
                        prop_assert!(day_number(&day).unwrap() - day_number(&from).unwrap() > r.objection_days);
                    }
                    other => prop_assert!(false, "closed by {:?}", other),
                }
            }
        }
    }
}
