//! Roll-ups kept incrementally equal a rebuild from the records, after any sequence of changes.
use crate::{T0, actor, tree};
use jiceng_store::orgs::NewOrg;
use jiceng_store::places::{NewPlace, PlaceFilter};
use jiceng_store::rollups;
use jiceng_store::sql::Page;
use jiceng_store::units::UnitInput;
use jiceng_store::users::NewUser;
use jiceng_store::{Scope, Store, both_backends};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Village { town: usize, n: u32 },
    Grid { village: usize },
    Org { place: usize },
    Unit { place: usize },
    Account { village: usize },
    MoveVillage { village: usize, town: usize },
    Close { place: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0usize..3, 200u32..240).prop_map(|(town, n)| Op::Village { town, n }),
        (0usize..20).prop_map(|village| Op::Grid { village }),
        (0usize..40).prop_map(|place| Op::Org { place }),
        (0usize..40).prop_map(|place| Op::Unit { place }),
        (0usize..20).prop_map(|village| Op::Account { village }),
        (0usize..20, 0usize..3).prop_map(|(village, town)| Op::MoveVillage { village, town }),
        (0usize..40).prop_map(|place| Op::Close { place }),
    ]
}

async fn list(store: &Store, kind: &str) -> Vec<jiceng_store::places::Place> {
    let f = PlaceFilter {
        kind: Some(kind.into()),
        ..Default::default()
    };
    store
        .places(&Scope::All, &f, Page::new(None, Some(500)))
        .await
        .unwrap()
        .0
}

/// Applies the operations (refusals are part of the game: they must change nothing).
async fn run(store: &Store, ops: &[Op]) {
    let t = tree(store).await;
    let towns = [t.qianwu, t.baijiao, {
        let county = t.county;
        store
            .create_place(
                &actor(),
                &Scope::All,
                NewPlace {
                    parent_id: Some(county),
                    code: "440403001000".into(),
                    name: "白藤街道".into(),
                },
                T0,
            )
            .await
            .unwrap()
            .id
    }];
    let a = actor();
    for (i, op) in ops.iter().enumerate() {
        let villages = list(store, "village_level").await;
        let all: Vec<_> = store
            .places(
                &Scope::All,
                &PlaceFilter::default(),
                Page::new(None, Some(500)),
            )
            .await
            .unwrap()
            .0;
        let pick = |v: &[jiceng_store::places::Place], i: usize| v.get(i % v.len().max(1)).cloned();
        match op {
            Op::Village { town, n } => {
                let town = store.place(&Scope::All, towns[*town]).await.unwrap();
                let code = format!("{}{n:03}", &town.code[..9]);
                let _ = store
                    .create_place(
                        &a,
                        &Scope::All,
                        NewPlace {
                            parent_id: Some(town.id),
                            code,
                            name: format!("村{i}"),
                        },
                        T0,
                    )
                    .await;
            }
            Op::Grid { village } => {
                if let Some(v) = pick(&villages, *village) {
                    let code = store.next_grid_code(&v).await.unwrap();
                    let _ = store
                        .create_place(
                            &a,
                            &Scope::All,
                            NewPlace {
                                parent_id: Some(v.id),
                                code,
                                name: format!("网格{i}"),
                            },
                            T0,
                        )
                        .await;
                }
            }
            Op::Org { place } => {
                if let Some(p) = pick(&all, *place) {
                    let new = NewOrg {
                        parent_id: None,
                        place_id: p.id,
                        name: format!("支部{i}"),
                        kind: "branch".into(),
                        unit_ids: vec![],
                        founded_on: None,
                    };
                    let _ = store.create_org(&a, &Scope::All, new, T0).await;
                }
            }
            Op::Unit { place } => {
                if let Some(p) = pick(&all, *place) {
                    let u = UnitInput {
                        place_id: p.id,
                        name: format!("单位{i}"),
                        kind: "enterprise".into(),
                        credit_code: None,
                        above_size: false,
                        staff: 3,
                        founded_on: None,
                    };
                    let _ = store.create_unit(&a, &Scope::All, u, T0).await;
                }
            }
            Op::Account { village } => {
                if let Some(v) = pick(&villages, *village) {
                    let u = NewUser {
                        username: format!("user{i}"),
                        display_name: "x".into(),
                        password: "Abcdef1!".into(),
                        role: "village_committee".into(),
                        place_id: v.id,
                    };
                    let _ = store.create_user(&a, &Scope::All, u, T0).await;
                }
            }
            Op::MoveVillage { village, town } => {
                if let Some(v) = pick(&villages, *village) {
                    let _ = store
                        .move_place(&a, &Scope::All, v.id, towns[*town], None, T0)
                        .await;
                }
            }
            Op::Close { place } => {
                if let Some(p) = pick(&all, *place) {
                    let _ = store.close_place(&a, &Scope::All, p.id, T0).await;
                }
            }
        }
    }
}

async fn check(store: &Store, ops: &[Op]) {
    run(store, ops).await;
    let incremental = store.rollup_snapshot().await.unwrap();
    store.rollup_rebuild().await.unwrap();
    let rebuilt = store.rollup_snapshot().await.unwrap();
    assert_eq!(incremental, rebuilt, "after {ops:?}");
}

#[test]
fn rebuild_equals_incremental_sqlite() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let cfg = ProptestConfig {
        cases: 24,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(cfg, |(ops in proptest::collection::vec(op(), 1..40))| {
        rt.block_on(async {
            let (store, guard) = jiceng_store::testing::sqlite().await;
            check(&store, &ops).await;
            store.close().await;
            drop(guard);
        });
    });
}

async fn fixed_story(store: Store) {
    // The same property on both backends, on one long fixed sequence.
    let ops: Vec<Op> = (0..60u32)
        .map(|i| match i % 7 {
            0 => Op::Village {
                town: (i % 3) as usize,
                n: 200 + i,
            },
            1 => Op::Grid {
                village: i as usize,
            },
            2 => Op::Org { place: i as usize },
            3 => Op::Unit {
                place: (i * 3) as usize,
            },
            4 => Op::Account {
                village: i as usize,
            },
            5 => Op::MoveVillage {
                village: i as usize,
                town: (i % 3) as usize,
            },
            _ => Op::Close {
                place: (i * 5) as usize,
            },
        })
        .collect();
    check(&store, &ops).await;
    // And the figures are the ones a reader expects: the county counts every open village.
    let county = store
        .place_by_code(&Scope::All, "440403000000")
        .await
        .unwrap();
    let villages = list(&store, "village_level").await.len() as i64;
    assert_eq!(
        store
            .rollup_values(county.id)
            .await
            .unwrap()
            .get("places.village")
            .copied()
            .unwrap_or(0),
        villages
    );
    let _ = rollups::CURRENT;
}
both_backends!(rollups_rebuild_equals_incremental, fixed_story);
