use crate::{T0, actor, place, tree};
use jiceng_store::orgs::{NewOrg, OrgFilter};
use jiceng_store::places::{NewPlace, PlaceFilter};
use jiceng_store::sql::Page;
use jiceng_store::units::{UnitFilter, UnitInput};
use jiceng_store::{Scope, Store, StoreError, both_backends};

fn rule(e: StoreError) -> &'static str {
    match e {
        StoreError::Rule(d) => d.code,
        other => panic!("expected a rule error, got {other:?}"),
    }
}

async fn create_rename_move_close(store: Store) {
    let t = tree(&store).await;
    // Kind is derived from the code; a grid code is the village code plus three digits.
    let v = store.place(&Scope::All, t.qianxi).await.unwrap();
    assert_eq!(v.kind, "village");
    let grid_code = store.next_grid_code(&v).await.unwrap();
    assert_eq!(grid_code, "440403105201001");
    let grid = place(&store, Some(t.qianxi), &grid_code, "第一网格").await;

    // Wrong parent, bad code, duplicate code: refused with the rule's code, nothing written.
    let bad = NewPlace {
        parent_id: Some(t.baijiao),
        code: "440403105202".into(),
        name: "错村".into(),
    };
    assert_eq!(
        rule(
            store
                .create_place(&actor(), &Scope::All, bad, T0)
                .await
                .unwrap_err()
        ),
        "place.parent_mismatch"
    );
    let bad = NewPlace {
        parent_id: Some(t.qianwu),
        code: "44040310520X".into(),
        name: "错村".into(),
    };
    assert_eq!(
        rule(
            store
                .create_place(&actor(), &Scope::All, bad, T0)
                .await
                .unwrap_err()
        ),
        "place.code_invalid"
    );
    let dup = NewPlace {
        parent_id: Some(t.qianwu),
        code: "440403105201".into(),
        name: "重复".into(),
    };
    assert_eq!(
        rule(
            store
                .create_place(&actor(), &Scope::All, dup, T0)
                .await
                .unwrap_err()
        ),
        "place.code_taken"
    );
    let (all, total) = store
        .places(&Scope::All, &PlaceFilter::default(), Page::new(None, None))
        .await
        .unwrap();
    assert_eq!((all.len(), total), (6, 6));

    let renamed = store
        .rename_place(&actor(), &Scope::All, t.qianxi, "乾西村（新）", T0 + 1)
        .await
        .unwrap();
    assert_eq!(renamed.name, "乾西村（新）");

    // Move the village (with its grid) to 白蕉镇: every code below follows the new parent.
    let moved = store
        .move_place(
            &actor(),
            &Scope::All,
            t.qianxi,
            t.baijiao,
            Some("440403106205"),
            T0 + 2,
        )
        .await
        .unwrap();
    assert_eq!(moved.code, "440403106205");
    assert_eq!(moved.parent_id, Some(t.baijiao));
    assert_eq!(
        store.place(&Scope::All, grid).await.unwrap().code,
        "440403106205001"
    );
    // The default code keeps the village's own digits; 201 is taken in 白蕉镇, so it is refused.
    let e = store
        .move_place(&actor(), &Scope::All, t.qianxi, t.qianwu, None, T0)
        .await;
    assert!(e.is_ok(), "back to 乾务镇 with its old number");
    let e = store
        .move_place(
            &actor(),
            &Scope::All,
            t.qianxi,
            t.baijiao,
            Some("440403106201"),
            T0,
        )
        .await
        .unwrap_err();
    assert_eq!(rule(e), "place.code_taken");
    // A move under its own subtree is a cycle; a village cannot become a town.
    let e = store
        .move_place(&actor(), &Scope::All, t.qianwu, t.qianxi, None, T0)
        .await
        .unwrap_err();
    assert!(matches!(rule(e), "place.move_cycle"));
    let e = store
        .move_place(
            &actor(),
            &Scope::All,
            t.qianxi,
            t.baijiao,
            Some("440403107000"),
            T0,
        )
        .await
        .unwrap_err();
    assert_eq!(rule(e), "place.move_level");

    // Close: refused while the grid is open, then allowed; closed places leave default lists.
    let e = store
        .close_place(&actor(), &Scope::All, t.qianxi, T0)
        .await
        .unwrap_err();
    assert_eq!(rule(e), "place.has_open_children");
    store
        .close_place(&actor(), &Scope::All, grid, T0 + 3)
        .await
        .unwrap();
    store
        .close_place(&actor(), &Scope::All, t.qianxi, T0 + 3)
        .await
        .unwrap();
    let f = PlaceFilter {
        parent_id: Some(t.qianwu),
        ..Default::default()
    };
    let (open, _) = store
        .places(&Scope::All, &f, Page::new(None, None))
        .await
        .unwrap();
    assert!(open.is_empty());
    let f = PlaceFilter {
        parent_id: Some(t.qianwu),
        include_closed: true,
        ..Default::default()
    };
    assert_eq!(
        store
            .places(&Scope::All, &f, Page::new(None, None))
            .await
            .unwrap()
            .1,
        1
    );
    // Nothing can be added under a closed place.
    let g = NewPlace {
        parent_id: Some(t.qianxi),
        code: "440403105201002".into(),
        name: "x".into(),
    };
    assert_eq!(
        rule(
            store
                .create_place(&actor(), &Scope::All, g, T0)
                .await
                .unwrap_err()
        ),
        "place.parent_closed"
    );
}
both_backends!(places_create_rename_move_close, create_rename_move_close);

async fn scope_is_a_predicate(store: Store) {
    let t = tree(&store).await;
    let town = store.place(&Scope::All, t.qianwu).await.unwrap().scope();
    // Another town's village: not found, exactly as a missing one.
    assert!(matches!(
        store.place(&town, t.other_village).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.place(&town, 999_999).await,
        Err(StoreError::NotFound)
    ));
    assert!(store.place(&town, t.qianxi).await.is_ok());
    let (rows, total) = store
        .places(&town, &PlaceFilter::default(), Page::new(None, None))
        .await
        .unwrap();
    assert_eq!(total, 2);
    assert!(rows.iter().all(|p| p.code.starts_with("440403105")));
    // Writes take the same scope: a town cannot add under, rename, move or close outside it.
    let g = NewPlace {
        parent_id: Some(t.other_village),
        code: "440403106201001".into(),
        name: "x".into(),
    };
    assert!(matches!(
        store.create_place(&actor(), &town, g, T0).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .rename_place(&actor(), &town, t.other_village, "x", T0)
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .move_place(&actor(), &town, t.qianxi, t.baijiao, None, T0)
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .close_place(&actor(), &town, t.other_village, T0)
            .await,
        Err(StoreError::NotFound)
    ));
    // A root can only be created with the whole installation in scope.
    let root = NewPlace {
        parent_id: None,
        code: "440404000000".into(),
        name: "金湾区".into(),
    };
    assert!(matches!(
        store.create_place(&actor(), &town, root, T0).await,
        Err(StoreError::Forbidden)
    ));
    // Search by name and by code prefix stays inside the scope.
    let f = PlaceFilter {
        q: Some("村".into()),
        ..Default::default()
    };
    assert_eq!(
        store
            .places(&town, &f, Page::new(None, None))
            .await
            .unwrap()
            .1,
        1
    );
    let f = PlaceFilter {
        q: Some("440403106".into()),
        ..Default::default()
    };
    assert_eq!(
        store
            .places(&town, &f, Page::new(None, None))
            .await
            .unwrap()
            .1,
        0
    );
}
both_backends!(scope_filters_every_read_and_write, scope_is_a_predicate);

async fn orgs_and_units(store: Store) {
    let t = tree(&store).await;
    let a = actor();
    let s = Scope::All;
    let mk =
        |parent: Option<i64>, place_id: i64, name: &str, kind: &str, unit_ids: Vec<i64>| NewOrg {
            parent_id: parent,
            place_id,
            name: name.into(),
            kind: kind.into(),
            unit_ids,
            founded_on: None,
        };
    let town_committee = store
        .create_org(
            &a,
            &s,
            mk(None, t.qianwu, "中共乾务镇委员会", "committee", vec![]),
            T0,
        )
        .await
        .unwrap();
    let branch = store
        .create_org(
            &a,
            &s,
            mk(
                Some(town_committee.id),
                t.qianxi,
                "乾西村党支部",
                "branch",
                vec![],
            ),
            T0,
        )
        .await
        .unwrap();
    assert_eq!(
        branch.path,
        format!("/{}/{}/", town_committee.id, branch.id)
    );
    let group = store
        .create_org(
            &a,
            &s,
            mk(Some(branch.id), t.qianxi, "第一党小组", "group", vec![]),
            T0,
        )
        .await
        .unwrap();
    // Kinds must fit: a group under a committee is refused.
    let e = store
        .create_org(
            &a,
            &s,
            mk(Some(town_committee.id), t.qianxi, "x", "group", vec![]),
            T0,
        )
        .await
        .unwrap_err();
    assert_eq!(rule(e), "org.parent_kind");

    // Units; a joint branch covers at most five.
    let mut units = Vec::new();
    for i in 0..6 {
        let u = UnitInput {
            place_id: t.qianxi,
            name: format!("企业{i}"),
            kind: "enterprise".into(),
            credit_code: None,
            above_size: i % 2 == 0,
            staff: 10,
            founded_on: None,
        };
        units.push(store.create_unit(&a, &s, u, T0).await.unwrap().id);
    }
    let e = store
        .create_org(
            &a,
            &s,
            mk(
                Some(town_committee.id),
                t.qianxi,
                "联合",
                "joint_branch",
                units.clone(),
            ),
            T0,
        )
        .await
        .unwrap_err();
    assert_eq!(rule(e), "org.joint_too_many_units");
    let joint = store
        .create_org(
            &a,
            &s,
            mk(
                Some(town_committee.id),
                t.qianxi,
                "联合党支部",
                "joint_branch",
                units[..5].to_vec(),
            ),
            T0,
        )
        .await
        .unwrap();
    assert_eq!(
        store.org_unit_ids(joint.id).await.unwrap(),
        units[..5].to_vec()
    );
    let bad_credit = UnitInput {
        place_id: t.qianxi,
        name: "x".into(),
        kind: "enterprise".into(),
        credit_code: Some("123".into()),
        above_size: false,
        staff: 1,
        founded_on: None,
    };
    assert_eq!(
        rule(store.create_unit(&a, &s, bad_credit, T0).await.unwrap_err()),
        "unit.credit_code_invalid"
    );

    // Move: the subtree's paths follow; a cycle is refused.
    let other_committee = store
        .create_org(
            &a,
            &s,
            mk(None, t.baijiao, "中共白蕉镇委员会", "committee", vec![]),
            T0,
        )
        .await
        .unwrap();
    let e = store
        .move_org(&a, &s, town_committee.id, Some(branch.id), None, T0)
        .await
        .unwrap_err();
    assert!(matches!(rule(e), "org.move_cycle" | "org.parent_kind"));
    let moved = store
        .move_org(&a, &s, branch.id, Some(other_committee.id), None, T0)
        .await
        .unwrap();
    assert_eq!(
        moved.path,
        format!("/{}/{}/", other_committee.id, branch.id)
    );
    assert_eq!(
        store.org(&s, group.id).await.unwrap().path,
        format!("/{}/{}/{}/", other_committee.id, branch.id, group.id)
    );

    // Scope: 白蕉镇 sees only organisations at its own places.
    let baijiao = store.place(&s, t.baijiao).await.unwrap().scope();
    let (rows, _) = store
        .orgs(&baijiao, &OrgFilter::default(), Page::new(None, None))
        .await
        .unwrap();
    assert_eq!(
        rows.iter().map(|o| o.id).collect::<Vec<_>>(),
        vec![other_committee.id]
    );
    assert!(matches!(
        store.org(&baijiao, branch.id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store
            .units(&baijiao, &UnitFilter::default(), Page::new(None, None))
            .await
            .unwrap()
            .1,
        0
    );

    // Close: refused with open children; the place cannot close while organisations sit there.
    assert_eq!(
        rule(store.close_org(&a, &s, branch.id, T0).await.unwrap_err()),
        "org.has_open_children"
    );
    store.close_org(&a, &s, group.id, T0).await.unwrap();
    store.close_org(&a, &s, branch.id, T0).await.unwrap();
    assert_eq!(
        rule(store.close_place(&a, &s, t.qianxi, T0).await.unwrap_err()),
        "place.has_open_children"
    );
}
both_backends!(orgs_and_units_follow_the_tree, orgs_and_units);

async fn concurrent_grids(store: Store) {
    let t = tree(&store).await;
    // Eight clients add a grid to the same village at once, leaving the number to the store.
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let new = NewPlace {
                    parent_id: Some(t.qianxi),
                    code: String::new(),
                    name: format!("并发网格{i}"),
                };
                store.create_place(&actor(), &Scope::All, new, T0).await
            })
        })
        .collect();
    let mut codes = Vec::new();
    for task in tasks {
        codes.push(task.await.unwrap().unwrap().code);
    }
    codes.sort();
    let want: Vec<String> = (1..=8).map(|n| format!("440403105201{n:03}")).collect();
    assert_eq!(codes, want, "every grid numbered once, none lost");
    // Under a town an empty code is not a grid: it is refused as a malformed code.
    let e = store
        .create_place(
            &actor(),
            &Scope::All,
            NewPlace {
                parent_id: Some(t.qianwu),
                code: String::new(),
                name: "x".into(),
            },
            T0,
        )
        .await
        .unwrap_err();
    assert_eq!(rule(e), "place.code_invalid");
}
both_backends!(grids_are_numbered_once_under_concurrency, concurrent_grids);
