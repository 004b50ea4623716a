//! The province's problems, households and visits at a small size, on both backends (`COPY` on
//! PostgreSQL, INSERTs on SQLite): what it says it wrote is in the tables, its roll-ups are what a
//! rebuild makes of the records, one audit entry per town, a mix of open and closed problems, and
//! a second run is refused.
use jiceng_demo::{ProvinceSize, VoiceSize, generate_province_sized, generate_province_voice};
use jiceng_store::{Backend, Store, StoreError};

const NOW: i64 = super::NOW;

async fn count(store: &Store, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(&store.reader)
        .await
        .unwrap()
}

async fn voice(store: Store) {
    let slice = ProvinceSize {
        cities: 1,
        members_per_village: 3,
    };
    generate_province_sized(&store, NOW, slice, &mut |_| {})
        .await
        .unwrap();
    // The test's PostgreSQL store lives in a schema of its own: the COPY connection goes there.
    let url = match store.backend {
        Backend::Postgres => {
            let schema: String = sqlx::query_scalar("SELECT CAST(current_schema() AS TEXT)")
                .fetch_one(&store.reader)
                .await
                .unwrap();
            let base = std::env::var("JICENG_TEST_PG")
                .unwrap_or_else(|_| jiceng_store::testing::DEFAULT_PG.to_string());
            let sep = if base.contains('?') { '&' } else { '?' };
            Some(format!("{base}{sep}options=-c%20search_path%3D{schema}"))
        }
        Backend::Sqlite => None,
    };
    let size = VoiceSize::percent(2);
    let v = generate_province_voice(&store, url.as_deref(), NOW, size, &mut |_| {})
        .await
        .unwrap();
    assert!(v.problems > 2000, "{v:?}");
    for (table, n) in [
        ("problems", v.problems),
        ("problem_events", v.events),
        ("households", v.households),
        ("household_assignments", v.assignments),
        ("household_visits", v.visits),
    ] {
        assert_eq!(
            count(&store, &format!("SELECT COUNT(*) FROM {table}")).await as u64,
            n,
            "{table}"
        );
    }
    // Every problem starts with its collection; closed ones have their day; both kinds exist.
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM problem_events WHERE seq = 1 AND event = 'collected'"
        )
        .await as u64,
        v.problems
    );
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM problems WHERE status = 'closed' AND closed_on IS NULL"
        )
        .await,
        0
    );
    assert!(
        count(
            &store,
            "SELECT COUNT(*) FROM problems WHERE status = 'closed'"
        )
        .await
            > 0
    );
    assert!(
        count(
            &store,
            "SELECT COUNT(*) FROM problems WHERE status NOT IN ('closed', 'merged')"
        )
        .await
            > 0
    );
    // The roll-ups written are the ones a rebuild makes of the records.
    let (voice_rows, household_rows) = (
        store.voice_snapshot().await.unwrap(),
        store.households_snapshot().await.unwrap(),
    );
    assert!(!voice_rows.is_empty() && !household_rows.is_empty());
    store.rollup_rebuild().await.unwrap();
    assert!(
        store.voice_snapshot().await.unwrap() == voice_rows,
        "voice roll-ups"
    );
    assert!(
        store.households_snapshot().await.unwrap() == household_rows,
        "household roll-ups"
    );
    let towns = count(
        &store,
        "SELECT COUNT(*) FROM places WHERE kind IN ('town', 'subdistrict', 'township')",
    )
    .await;
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'demo_voice'"
        )
        .await,
        towns + 1,
        "one entry per town and one for the roll-ups above them"
    );
    let again = generate_province_voice(&store, url.as_deref(), NOW, size, &mut |_| {}).await;
    assert!(
        matches!(again, Err(StoreError::Rule(ref e)) if e.code == "demo.voice_not_empty"),
        "{again:?}"
    );
}
jiceng_store::both_backends!(province_voice_is_consistent, voice);
