//! Two years of 三会一课 on the demo register, read back through the store's figures: what the
//! generator promises (most branches compliant, some gaps, a weak village or two, a few meetings
//! without quorum, the observed town's 110+ observations in a year, a few members lapsing), and
//! roll-ups that a rebuild leaves as they are.

use jiceng_demo::{LifeSummary, OBSERVED_TOWN};
use jiceng_domain::life::Period;
use jiceng_domain::meeting::MeetingKind;
use jiceng_store::{Scope, Store};

async fn place_id(store: &Store, code: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM places WHERE code = $1")
        .bind(code)
        .fetch_one(&store.reader)
        .await
        .unwrap()
}

/// `now` is 2026-01-01: the history runs from January 2024 to December 2025.
pub async fn check(store: &Store, sum: &LifeSummary, now: i64) {
    let s = Scope::All;
    let today = jiceng_store::coverage::day_of(now);
    assert_eq!(today, "2026-01-01");
    let branches: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM orgs WHERE kind IN ('branch', 'joint_branch') AND closed_at IS NULL",
    )
    .fetch_one(&store.reader)
    .await
    .unwrap();
    assert_eq!(sum.branches as i64, branches);
    // About 30 meetings a branch a year, more where there is a committee.
    assert!(
        sum.meetings > 60 * sum.branches / 2 && sum.meetings < 48 * 2 * sum.branches,
        "{sum:?}"
    );
    assert!(
        sum.without_quorum > 0 && sum.without_quorum * 50 < sum.meetings,
        "{sum:?}"
    );

    let county = place_id(store, "440403000000").await;
    let year = Period::parse("2025").unwrap();
    let f = store.life_figures(&s, county, &year, &today).await.unwrap();
    // Most of what was owed was met, not all.
    let rate = f.total.rate().unwrap();
    assert!((850..=985).contains(&rate), "compliance {rate}‰");
    let (owed, met) = f
        .total
        .by_kind
        .iter()
        .find(|(k, _, _)| *k == MeetingKind::BranchCommittee)
        .map(|(_, o, m)| (*o, *m))
        .unwrap();
    assert!(owed > 0 && met * 10 > owed * 8, "支委会 {met}/{owed}");
    // The branches behind the figure: some missed something, most did not; a weak one missed
    // more than a third of what it owed.
    let list = store
        .life_branches(&s, "440403", &year, &today, false, 1000)
        .await
        .unwrap()
        .unwrap();
    let missed = list.iter().filter(|b| !b.missed().is_empty()).count();
    assert!(
        missed * 10 >= list.len() && missed * 2 <= list.len(),
        "{missed} of {} missed something",
        list.len()
    );
    assert!(
        list.iter().any(|b| b.rate().is_some_and(|r| r < 650)),
        "no weak branch"
    );
    // 2024 too: the history reaches back two years.
    let before = Period::parse("2024").unwrap();
    let f24 = store
        .life_figures(&s, county, &before, &today)
        .await
        .unwrap();
    assert!(f24.total.rate().is_some_and(|r| r > 800), "{:?}", f24.total);

    // The observed town: an observer in each village, 110+ observations in the last 12 months.
    let town = place_id(store, &format!("{OBSERVED_TOWN}000")).await;
    let t = store.life_figures(&s, town, &year, &today).await.unwrap();
    assert!(t.total.observed >= 110, "{} observations", t.total.observed);
    let villages: Vec<&jiceng_store::life::LifeRow> =
        t.children.iter().filter(|c| c.observed > 0).collect();
    assert!(villages.len() >= 10, "{} villages observed", villages.len());
    assert!(villages.iter().all(|v| v.observed >= 8), "about monthly");
    assert_eq!(f.total.observed, t.total.observed, "only that town");

    // A few members away for good: the lapse watch flags them, not many more.
    let lapse = store.life_lapse(&s, None, &today).await.unwrap();
    let flagged = lapse.iter().filter(|l| l.flagged()).count();
    let members: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM members WHERE status IN ('probationary', 'full')")
            .fetch_one(&store.reader)
            .await
            .unwrap();
    assert!(
        flagged > 0 && (flagged as i64) * 50 < members,
        "{flagged} flagged of {members}"
    );

    eprintln!(
        "life: {sum:?}; 2025: {rate}‰, 支委会 {met}/{owed}, {missed} of {} branches missed something; \
         {} observations in {OBSERVED_TOWN}; {flagged} of {members} members flagged",
        list.len(),
        t.total.observed
    );
    // The batches moved the roll-ups as a rebuild computes them.
    let snapshot = store.life_snapshot().await.unwrap();
    store.rollup_rebuild().await.unwrap();
    assert_eq!(snapshot, store.life_snapshot().await.unwrap());
}
