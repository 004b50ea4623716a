use crate::{T0, actor, tree};
use jiceng_store::audit::{AuditFilter, Verdict};
use jiceng_store::sql::Page;
use jiceng_store::{Backend, Scope, Store, both_backends};

async fn chain(store: Store) {
    let t = tree(&store).await;
    store
        .rename_place(&actor(), &Scope::All, t.qianxi, "乾西", T0 + 5)
        .await
        .unwrap();
    let (entries, total) = store
        .audit_list(&AuditFilter::default(), Page::new(None, None))
        .await
        .unwrap();
    assert_eq!(total, 6, "five creates and one rename");
    let rename = &entries[0];
    assert_eq!(
        (rename.action.as_str(), rename.entity.as_str()),
        ("rename", "place")
    );
    assert_eq!(
        (
            rename.ip.as_str(),
            rename.request_id.as_str(),
            rename.actor.as_str()
        ),
        ("127.0.0.1", "req-1", "tester")
    );
    assert!(rename.before_json.as_deref().unwrap().contains("乾西村"));
    assert!(rename.after_json.as_deref().unwrap().contains("\"乾西\""));
    assert_eq!(rename.prev_hash, entries[1].hash);
    assert_eq!(
        store.audit_verify().await.unwrap(),
        Verdict::Intact { entries: 6 }
    );

    // Filters.
    let f = AuditFilter {
        action: Some("rename".into()),
        ..Default::default()
    };
    assert_eq!(
        store.audit_list(&f, Page::new(None, None)).await.unwrap().1,
        1
    );
    let f = AuditFilter {
        from: Some(T0 + 1),
        ..Default::default()
    };
    assert_eq!(
        store.audit_list(&f, Page::new(None, None)).await.unwrap().1,
        1
    );

    // The database refuses edits and deletes of the log.
    assert!(
        sqlx::query("UPDATE audit_log SET actor = 'x' WHERE seq = 3")
            .execute(&store.writer)
            .await
            .is_err()
    );
    assert!(
        sqlx::query("DELETE FROM audit_log WHERE seq = 6")
            .execute(&store.writer)
            .await
            .is_err()
    );

    // Someone with the database file bypasses the trigger: verify names the first broken entry.
    match store.backend {
        Backend::Sqlite => {
            sqlx::raw_sql("DROP TRIGGER audit_no_update; UPDATE audit_log SET after_json = '{}' WHERE seq = 3")
                .execute(&store.writer)
                .await
                .unwrap();
        }
        Backend::Postgres => {
            sqlx::raw_sql("DROP TRIGGER audit_no_change ON audit_log; UPDATE audit_log SET after_json = '{}' WHERE seq = 3")
                .execute(&store.writer)
                .await
                .unwrap();
        }
    }
    match store.audit_verify().await.unwrap() {
        Verdict::Broken { seq, .. } => assert_eq!(seq, 3),
        v => panic!("tampering not found: {v:?}"),
    }
}
both_backends!(audit_chain_detects_tampering, chain);

async fn failed_change_leaves_no_entry(store: Store) {
    let t = tree(&store).await;
    let before = store
        .audit_list(&AuditFilter::default(), Page::new(None, None))
        .await
        .unwrap()
        .1;
    assert!(
        store
            .rename_place(&actor(), &Scope::All, t.qianxi, "", T0)
            .await
            .is_err()
    );
    assert!(
        store
            .close_place(&actor(), &Scope::All, t.qianwu, T0)
            .await
            .is_err()
    );
    assert_eq!(
        store
            .audit_list(&AuditFilter::default(), Page::new(None, None))
            .await
            .unwrap()
            .1,
        before
    );
    assert_eq!(
        store.audit_verify().await.unwrap(),
        Verdict::Intact { entries: before }
    );
}
both_backends!(
    audit_only_records_what_happened,
    failed_change_leaves_no_entry
);
