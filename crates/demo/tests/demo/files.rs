//! The demo's recruitment files and transfers, as the town and village accounts see them: every
//! stage of 《发展细则》 on file, real cases on the due list for next month, letters in transit
//! that the receiving town sees and no other town does.

use crate::count;
use jiceng_demo::{generate_recruitment, generate_transfers};
use jiceng_domain::recruitment::add_months;
use jiceng_store::coverage::day_of;
use jiceng_store::transfers::Side;
use jiceng_store::{Scope, Store};
use std::collections::BTreeSet;

/// 乾务镇 and 乾西村, where the demo's town and village accounts are bound.
const TOWN: &str = "440403105";
const VILLAGE: &str = "440403105201";

/// The last day of next month, as the due page computes it ("YYYY-MM-31" bounds every date).
fn end_of_next_month(now: i64) -> String {
    let next = add_months(&format!("{}-01", &day_of(now)[..7]), 1);
    format!("{}-31", &next[..7])
}

/// The furthest step on each file in scope.
async fn stages(store: &Store, prefix: &str) -> BTreeSet<i64> {
    let mut sql = jiceng_store::sql::Sql::new(
        "SELECT MAX(r.step) FROM recruitment_steps r JOIN members m ON m.id = r.member_id \
         JOIN orgs o ON o.id = m.org_id JOIN places p ON p.id = o.place_id WHERE ",
    );
    Scope::prefix(prefix).predicate(&mut sql, "p.code");
    sql.push(" GROUP BY r.member_id");
    let v: Vec<i64> = sql.scalar().fetch_all(&store.reader).await.unwrap();
    v.into_iter().collect()
}

pub async fn check(store: &Store, now: i64) {
    let before = count(store, "SELECT COUNT(*) FROM members").await;
    let files = generate_recruitment(store, now).await.unwrap();
    assert_eq!(
        count(store, "SELECT COUNT(*) FROM members").await - before,
        files as i64,
        "one new person per file"
    );
    // Every stage: applied (1), talked (2), activist (5, 6), candidate (11, 14), probation
    // (20, 22) and complete (25), in the district and in 乾西村 alone.
    let want = BTreeSet::from([1, 2, 5, 6, 11, 14, 20, 22, 25]);
    assert_eq!(stages(store, "440403").await, want);
    assert_eq!(stages(store, VILLAGE).await, want);
    // Each step set the status: every status from applicant to full is held by someone on file.
    let statuses: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT m.status FROM members m WHERE EXISTS \
         (SELECT 1 FROM recruitment_steps r WHERE r.member_id = m.id) ORDER BY m.status",
    )
    .fetch_all(&store.reader)
    .await
    .unwrap();
    assert_eq!(
        statuses,
        ["activist", "applicant", "full", "probationary", "prospect"]
    );
    assert_eq!(
        count(
            store,
            "SELECT COUNT(*) FROM recruitment_steps WHERE step = 0"
        )
        .await,
        1,
        "one extended probation"
    );

    // The due list for next month, as the village and the town see it: talks, candidates and
    // full membership; the overdue talk dated before today.
    let until = end_of_next_month(now);
    let today = day_of(now);
    for prefix in [VILLAGE, TOWN] {
        let due = store
            .recruitment_due(&Scope::prefix(prefix), &until)
            .await
            .unwrap();
        let steps: BTreeSet<u8> = due.iter().map(|d| d.step).collect();
        assert_eq!(steps, BTreeSet::from([2, 7, 23]), "{prefix}: {due:?}");
        assert!(
            due.iter()
                .any(|d| d.step == 2 && d.deadline && d.date < today),
            "{prefix}: no overdue talk"
        );
        assert!(due.iter().all(|d| d.date.as_str() <= until.as_str()));
    }
    // The extended probation falls due with the others, eighteen months after admission.
    let extended: (i64, String) = sqlx::query_as(
        "SELECT r.member_id, a.date FROM recruitment_steps r JOIN recruitment_steps a \
         ON a.member_id = r.member_id AND a.step = 15 WHERE r.step = 0",
    )
    .fetch_one(&store.reader)
    .await
    .unwrap();
    let due = store.recruitment_due(&Scope::All, &until).await.unwrap();
    let row = due.iter().find(|d| d.member_id == extended.0).unwrap();
    assert_eq!(
        (row.step, row.date.clone()),
        (23, add_months(&extended.1, 18))
    );

    transfers(store, now).await;
}

async fn transfers(store: &Store, now: i64) {
    let sent = generate_transfers(store, now).await.unwrap();
    assert!(sent >= 10, "{sent} transfers");
    let all = store
        .transfers(&Scope::All, Side::Outgoing, false)
        .await
        .unwrap();
    assert_eq!(all.len() as u64, sent);
    let by_status = |s: &str| all.iter().filter(|t| t.status == s).count();
    assert!(by_status("in_transit") >= 3, "{all:?}");
    assert!(by_status("confirmed") >= 3, "{all:?}");
    assert_eq!(by_status("withdrawn"), 1);

    // 乾务镇 sees letters to receive from other towns, and its own in transit to others.
    let town = Scope::prefix(TOWN);
    let incoming = store.transfers(&town, Side::Incoming, true).await.unwrap();
    assert!(incoming.len() >= 2, "{incoming:?}");
    let outgoing = store.transfers(&town, Side::Outgoing, true).await.unwrap();
    assert!(!outgoing.is_empty());
    let place_of = |org: Option<i64>| async move {
        let code: String = sqlx::query_scalar(
            "SELECT p.code FROM orgs o JOIN places p ON p.id = o.place_id WHERE o.id = $1",
        )
        .bind(org.unwrap())
        .fetch_one(&store.reader)
        .await
        .unwrap();
        code
    };
    for t in &incoming {
        assert_eq!(t.status, "in_transit");
        assert!(place_of(t.to_org_id).await.starts_with(TOWN));
        assert!(!place_of(t.from_org_id).await.starts_with(TOWN));
        // Until received, the member stays with the sender, never in two places.
        let m = store.member(&Scope::All, t.member_id).await.unwrap();
        assert_eq!(Some(m.org_id), t.from_org_id);
    }
    // Another town sees none of 乾务镇's incoming letters.
    let other = Scope::prefix("440403103");
    let theirs = store.transfers(&other, Side::Incoming, true).await.unwrap();
    assert!(
        theirs
            .iter()
            .all(|t| !incoming.iter().any(|i| i.id == t.id))
    );
    // Received: the member moved; withdrawn: the member stayed.
    for t in &all {
        let m = store.member(&Scope::All, t.member_id).await.unwrap();
        match t.status.as_str() {
            "confirmed" => {
                assert_eq!(Some(m.org_id), t.to_org_id);
                assert!(t.closed_on.as_deref() >= Some(t.sent_on.as_str()));
            }
            _ => assert_eq!(Some(m.org_id), t.from_org_id),
        }
    }
}
