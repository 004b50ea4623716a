//! One conformance suite, run unchanged against SQLite and PostgreSQL (each test its own database).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod accounts;
mod audit;
mod checkpoint;
mod coverage;
mod dues;
mod flows;
mod group_commit;
mod households;
mod life;
mod life_import;
mod meeting_rules;
mod meetings;
mod members;
mod outside;
mod rollups;
mod services;
mod structure;
mod studios;
mod teams;
mod transfers;
mod village;
mod village_board;
mod village_figures;
mod village_mandates;
mod voice;
mod voice_lists;
mod voice_pages;
mod voice_search;

use jiceng_store::places::NewPlace;
use jiceng_store::{Actor, Scope, Store};

pub const T0: i64 = 1_764_000_000_000;
/// 2027-03-01: a clock after every meeting the tests record (a meeting is recorded once held).
pub const LATER: i64 = 1_803_859_200_000;

/// A branch (党支部) at a place, with no parent and no units.
pub fn branch(place_id: i64, name: &str) -> jiceng_store::orgs::NewOrg {
    jiceng_store::orgs::NewOrg {
        parent_id: None,
        place_id,
        name: name.into(),
        kind: "branch".into(),
        unit_ids: vec![],
        founded_on: None,
    }
}

pub fn actor() -> Actor {
    Actor {
        user_id: None,
        username: "tester".into(),
        ip: "127.0.0.1".into(),
        request_id: "req-1".into(),
    }
}

/// District 斗门区 with two towns (乾务镇, 白蕉镇) and a village in each; returns their ids.
pub struct Tree {
    pub county: i64,
    pub qianwu: i64,
    pub baijiao: i64,
    pub qianxi: i64,
    pub other_village: i64,
}

pub async fn place(store: &Store, parent: Option<i64>, code: &str, name: &str) -> i64 {
    store
        .create_place(
            &actor(),
            &Scope::All,
            NewPlace {
                parent_id: parent,
                code: code.into(),
                name: name.into(),
            },
            T0,
        )
        .await
        .unwrap()
        .id
}

pub async fn tree(store: &Store) -> Tree {
    let county = place(store, None, "440403000000", "斗门区").await;
    let qianwu = place(store, Some(county), "440403105000", "乾务镇").await;
    let baijiao = place(store, Some(county), "440403106000", "白蕉镇").await;
    let qianxi = place(store, Some(qianwu), "440403105201", "乾西村").await;
    let other_village = place(store, Some(baijiao), "440403106201", "白蕉某村").await;
    Tree {
        county,
        qianwu,
        baijiao,
        qianxi,
        other_village,
    }
}

pub use jiceng_store::testing::{allow_inserts, fail_inserts};
