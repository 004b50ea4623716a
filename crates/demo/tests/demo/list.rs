//! The member list on the demo register, as a town or village account pages through it: the
//! total it shows (the members roll-up for the plain list) equals the rows it pages through and
//! the sum over each status; searches find what they promise.

use jiceng_store::members::{MemberFilter, initials};
use jiceng_store::sql::Page;
use jiceng_store::{Scope, Store};
use std::collections::BTreeSet;

const CURRENT: [&str; 5] = ["applicant", "activist", "prospect", "probationary", "full"];

async fn total(store: &Store, scope: &Scope, f: &MemberFilter) -> i64 {
    store
        .members(scope, f, Page::new(Some(1), Some(1)))
        .await
        .unwrap()
        .1
}

pub async fn check(store: &Store) {
    let town = Scope::prefix("440403105");
    let cases: [(Scope, Option<&str>); 6] = [
        (Scope::All, None),
        (Scope::All, Some("440403105")),
        (town.clone(), None),
        (town.clone(), Some("440403105201")),
        (town.clone(), Some("440403106")),
        (Scope::prefix("440403105201"), None),
    ];
    for (scope, under) in cases {
        let plain = MemberFilter {
            under_prefix: under.map(str::to_string),
            ..Default::default()
        };
        let shown = total(store, &scope, &plain).await;
        let mut by_status = 0;
        for s in CURRENT {
            let f = MemberFilter {
                status: Some(s.into()),
                ..plain.clone()
            };
            by_status += total(store, &scope, &f).await;
        }
        assert_eq!(shown, by_status, "{scope:?} under {under:?}");
    }
    // 乾西村 page by page: every member once, as many as the total says.
    let village = Scope::prefix("440403105201");
    let f = MemberFilter::default();
    let mut seen = BTreeSet::new();
    let mut n = 1;
    let all = loop {
        let (rows, all) = store
            .members(&village, &f, Page::new(Some(n), Some(50)))
            .await
            .unwrap();
        seen.extend(rows.iter().map(|m| m.id));
        if rows.len() < 50 {
            break all;
        }
        n += 1;
    };
    assert!(all > 50, "{all}");
    assert_eq!(seen.len() as i64, all);
    // A name by one of its characters, and by its initials.
    let (rows, _) = store
        .members(&village, &f, Page::new(Some(1), Some(1)))
        .await
        .unwrap();
    let someone = &rows[0];
    let last: String = someone.name.chars().last().into_iter().collect();
    for q in [last.clone(), initials(&someone.name)] {
        let f = MemberFilter {
            q: Some(q.clone()),
            ..Default::default()
        };
        let (found, n) = store
            .members(&village, &f, Page::new(Some(1), Some(500)))
            .await
            .unwrap();
        assert_eq!(found.len() as i64, n);
        assert!(found.iter().any(|m| m.id == someone.id), "{q}");
        assert!(
            found
                .iter()
                .all(|m| m.name.contains(&q) || initials(&m.name).starts_with(&q)),
            "{q}"
        );
    }
}
