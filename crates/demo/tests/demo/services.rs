//! The demo's service centre: the district's catalogue in its four groups, three months of
//! requests at every village's centre (a few refused, a few late, a few still overdue today),
//! figures from the roll-ups equal to a rebuild and to the requests; and what it costs.

use jiceng_demo::{CATALOGUE, generate_district, generate_services};
use jiceng_store::services::RequestFilter;
use jiceng_store::sql::Page;
use jiceng_store::{Scope, Store};
use std::collections::BTreeSet;

async fn services(store: Store) {
    let now = super::NOW;
    let sum = generate_district(&store, now, &mut |_| {}).await.unwrap();
    let started = std::time::Instant::now();
    let sv = generate_services(&store, now).await.unwrap();
    eprintln!("demo services: {sv:?} in {:?}", started.elapsed());
    assert_eq!(sv.items, CATALOGUE.len() as u64);
    let items = store.service_items_at("440403105201", false).await.unwrap();
    let groups: BTreeSet<&str> = items.iter().map(|i| i.grp.as_str()).collect();
    assert_eq!(groups.len(), 4, "党务、政务、村务、公共服务");
    assert!(
        items
            .iter()
            .any(|i| i.name == "低保申请" || i.name.contains("低保"))
    );
    assert_eq!(sv.requests, sum.villages * 8);
    assert!(sv.completed * 10 > sv.requests * 7, "{sv:?}");
    assert!(sv.rejected > 0 && sv.overdue > 0, "{sv:?}");
    let today = jiceng_store::coverage::day_of(now);
    let overdue = RequestFilter {
        overdue_on: Some(today),
        ..Default::default()
    };
    let (_, n) = store
        .service_requests(&Scope::All, &overdue, Page::new(None, Some(1)))
        .await
        .unwrap();
    assert_eq!(n as u64, sv.overdue);
    // The district's figures over the months of history add up to every request.
    let county: i64 = sqlx::query_scalar("SELECT id FROM places WHERE code = '440403000000'")
        .fetch_one(&store.reader)
        .await
        .unwrap();
    let months: Vec<String> = ["2025-09", "2025-10", "2025-11", "2025-12", "2026-01"]
        .map(String::from)
        .to_vec();
    let figs = store
        .service_figures(&Scope::All, county, &months)
        .await
        .unwrap();
    assert_eq!(figs[0].requests as u64, sv.requests);
    assert_eq!(figs[0].completed as u64, sv.completed);
    assert!(figs[0].on_time < figs[0].completed && figs[0].overdue > 0);
    let before = store.service_snapshot().await.unwrap();
    store.rollup_rebuild().await.unwrap();
    assert_eq!(store.service_snapshot().await.unwrap(), before);
}
jiceng_store::both_backends!(demo_service_centre, services);
