//! Stationed teams in the store: a team with a register member as leader and a plain name,
//! assigned to villages, a checklist whose items move by the rules (done needs evidence and is
//! final; every move in the history), refusals that write nothing, filters (overdue), figures
//! from roll-ups equal to a rebuild, scope.
use crate::members::{id_number, input};
use crate::transfers::code;
use crate::{T0, actor, branch, tree};
use jiceng_domain::team::ItemStatus;
use jiceng_store::sql::Page;
use jiceng_store::teams::{ItemFilter, NewTeam, Person};
use jiceng_store::{Scope, Store, StoreError, both_backends};

async fn teams(store: Store) {
    let t = tree(&store).await;
    let (a, s) = (actor(), Scope::All);
    let org = store
        .create_org(&a, &s, branch(t.qianxi, "乾西村党支部"), T0)
        .await
        .unwrap();
    let lead = store
        .create_member(
            &a,
            &s,
            input(org.id, "陈队长", &id_number("19700101", 1)),
            T0,
        )
        .await
        .unwrap();
    let new = |leader| NewTeam {
        place_id: t.qianwu,
        name: "乾务镇驻乾西村工作队".into(),
        leader,
        members: vec![Person::Name("刘干部".into())],
    };
    let e = store
        .create_team(&a, &s, &new(Person::Member(999_999)), T0)
        .await
        .unwrap_err();
    assert_eq!(code(e), "team.member_unknown");
    let team = store
        .create_team(&a, &s, &new(Person::Member(lead.id)), T0)
        .await
        .unwrap();
    assert_eq!(team.leader.as_deref(), Some("陈队长"));
    assert_eq!(store.team_people(&s, team.id).await.unwrap().len(), 2);
    // An item needs the village assigned first.
    let e = store
        .add_team_item(&a, &s, team.id, t.qianxi, "走访困难户", "2026-01-31", T0)
        .await
        .unwrap_err();
    assert_eq!(code(e), "team.village_not_assigned");
    store
        .assign_team(&a, &s, team.id, t.qianxi, "2026-01-01", None, T0)
        .await
        .unwrap();
    let e = store
        .assign_team(&a, &s, team.id, t.qianxi, "2026-01-01", None, T0)
        .await
        .unwrap_err();
    assert_eq!(code(e), "team.village_assigned");
    let i1 = store
        .add_team_item(&a, &s, team.id, t.qianxi, "走访困难户", "2026-01-31", T0)
        .await
        .unwrap();
    let i2 = store
        .add_team_item(&a, &s, team.id, t.qianxi, "整治村道", "2026-02-28", T0)
        .await
        .unwrap();
    let today = "2026-02-10";
    for (to, ev, day, why) in [
        (ItemStatus::Done, "", "2026-01-20", "team.evidence_required"),
        (ItemStatus::Doing, "", "2026-03-01", "team.date_future"),
        (ItemStatus::Todo, "", "2026-01-20", "team.status_invalid"),
    ] {
        let e = store
            .set_item_status(&a, &s, i1.id, to, ev, day, today, T0)
            .await
            .unwrap_err();
        assert_eq!(code(e), why);
    }
    assert!(store.team_item_events(&s, i1.id).await.unwrap().is_empty());
    store
        .set_item_status(
            &a,
            &s,
            i1.id,
            ItemStatus::Doing,
            "",
            "2026-01-10",
            today,
            T0,
        )
        .await
        .unwrap();
    let done = store
        .set_item_status(
            &a,
            &s,
            i1.id,
            ItemStatus::Done,
            "走访记录12份",
            "2026-01-20",
            today,
            T0,
        )
        .await
        .unwrap();
    assert_eq!(
        (done.status.as_str(), done.done_on.as_deref()),
        ("done", Some("2026-01-20"))
    );
    let e = store
        .set_item_status(
            &a,
            &s,
            i1.id,
            ItemStatus::Doing,
            "",
            "2026-01-21",
            today,
            T0,
        )
        .await
        .unwrap_err();
    assert_eq!(code(e), "team.item_done");
    let events = store.team_item_events(&s, i1.id).await.unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[1].1, "done");
    // Progress and filters.
    let t1 = store.team(&s, team.id).await.unwrap();
    assert_eq!((t1.items, t1.done), (2, 1));
    let overdue = ItemFilter {
        overdue_on: Some("2026-03-05".into()),
        ..Default::default()
    };
    let (rows, n) = store
        .team_items(&s, &overdue, Page::new(None, None))
        .await
        .unwrap();
    assert_eq!((n, rows[0].id), (1, i2.id));
    // Figures from the roll-ups, equal to a rebuild.
    let months = ["2026-01".to_string(), "2026-02".into()];
    let figs = store.team_figures(&s, t.county, &months).await.unwrap();
    assert_eq!(figs[0], (t.county, "斗门区".into(), 2, 1));
    assert!(figs.contains(&(t.baijiao, "白蕉镇".into(), 0, 0)));
    let before = store.teams_snapshot().await.unwrap();
    store.rollup_rebuild().await.unwrap();
    assert_eq!(store.teams_snapshot().await.unwrap(), before);
    // Scope: the village sees its team and items; another town nothing.
    let village = Scope::prefix("440403105201");
    assert_eq!(store.team(&village, team.id).await.unwrap().id, team.id);
    assert_eq!(
        store
            .team_items(&village, &ItemFilter::default(), Page::new(None, None))
            .await
            .unwrap()
            .1,
        2
    );
    let other = Scope::prefix("440403106");
    assert!(matches!(
        store.team(&other, team.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.team_item(&other, i2.id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store
            .teams(&other, None, Page::new(None, None))
            .await
            .unwrap()
            .1,
        0
    );
    assert_eq!(
        store
            .team_items(&other, &ItemFilter::default(), Page::new(None, None))
            .await
            .unwrap()
            .1,
        0
    );
    let e = store
        .set_item_status(
            &a,
            &other,
            i2.id,
            ItemStatus::Doing,
            "",
            "2026-02-01",
            today,
            T0,
        )
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::NotFound));
    let e = store
        .assign_team(&a, &s, team.id, t.qianwu, "2026-01-01", None, T0)
        .await
        .unwrap_err();
    assert_eq!(code(e), "village.not_a_village");
}
both_backends!(teams_checklists_rules_figures_scope, teams);
