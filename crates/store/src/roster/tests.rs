//! The import against the member form, and in several batches.
use super::rows::check_member;
use super::*;
use crate::bulk::{BulkOrg, BulkPlace, OrgParent};
use crate::testing;
use jiceng_domain::OrgKind;
use sqlx::{AssertSqlSafe, Row};

const NOW: i64 = 1_790_000_000_000;

fn valid(id_number: &str) -> MemberInput {
    MemberInput {
        org_id: 1,
        name: " 欧阳 明 ".into(),
        id_number: id_number.into(),
        ethnicity: "壮族".into(),
        education: "college".into(),
        occupation: "farmer".into(),
        status: "full".into(),
        join_date: Some("1990-7-1".into()),
        full_date: Some(" 1991-07-01 ".into()),
        workplace: Some(" 乾西村 ".into()),
        phone: Some("138 0013 5678".into()),
        address: Some("广东省珠海市斗门区乾务镇乾西村12号".into()),
    }
}

/// Every rule of the form broken once, plus the blanks that are allowed.
fn variants() -> Vec<MemberInput> {
    let v = || valid("11010519491231002X");
    let mut out = vec![v()];
    let mut with = |f: &dyn Fn(&mut MemberInput)| {
        let mut i = v();
        f(&mut i);
        out.push(i);
    };
    with(&|i| i.name = "  ".into());
    with(&|i| i.name = "名".repeat(61));
    with(&|i| i.id_number = String::new());
    with(&|i| i.id_number = "110105194912310021".into());
    with(&|i| i.id_number = "11010519491231002x".into());
    with(&|i| i.id_number = "110105194902300027".into());
    with(&|i| i.status = "member".into());
    with(&|i| i.occupation = String::new());
    with(&|i| i.education = "博士后".into());
    with(&|i| i.join_date = Some("2021-02-30".into()));
    with(&|i| i.full_date = Some("1989-01-01".into()));
    with(&|i| i.full_date = Some("   ".into()));
    with(&|i| i.phone = Some("12345".into()));
    with(&|i| i.phone = Some("0756-1234567".into()));
    with(&|i| i.phone = Some(" ".into()));
    with(&|i| i.address = Some("址".repeat(201)));
    with(&|i| i.address = Some("址".repeat(200)));
    with(&|i| i.address = None);
    with(&|i| i.ethnicity = " ".into());
    with(&|i| i.workplace = Some("  ".into()));
    with(&|i| {
        i.name = String::new();
        i.status = String::new();
    });
    out
}

fn outcome<T>(r: StoreResult<T>) -> Result<(), (&'static str, Option<&'static str>)> {
    match r {
        Ok(_) => Ok(()),
        Err(StoreError::Rule(e)) => Err((e.code, e.field)),
        Err(other) => panic!("{other}"),
    }
}

async fn one_org(store: &Store) {
    let mut b = store.bulk().await.unwrap();
    let place = |code: &str, name: &str| BulkPlace {
        code: code.into(),
        name: name.into(),
    };
    b.places(
        &[
            place("440403000000", "斗门区"),
            place("440403105000", "乾务镇"),
            place("440403105201", "乾西村"),
        ],
        NOW,
    )
    .await
    .unwrap();
    let org = BulkOrg {
        parent: OrgParent::Root,
        place_code: "440403105201".into(),
        name: "乾西村党支部".into(),
        kind: OrgKind::Branch,
        unit_ids: vec![],
    };
    assert_eq!(b.orgs(&[org], NOW).await.unwrap(), [1]);
    b.finish(&Actor::cli("test"), "440403", NOW).await.unwrap();
    store.rollup_rebuild().await.unwrap();
}

/// Each stored column as text (sealed ones opened), so two rows can be compared whole.
async fn stored(store: &Store, id: i64) -> Vec<Option<String>> {
    let row = sqlx::query(
        "SELECT org_id, name, name_initials, gender, birth_date, ethnicity, education, occupation, status, \
         join_date, full_date, workplace, id_index, id_masked, phone_index, phone_masked, address_masked, \
         created_at, updated_at, id_sealed, phone_sealed, address_sealed FROM members WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&store.reader)
    .await
    .unwrap();
    let mut out: Vec<Option<String>> = vec![Some(row.get::<i64, _>(0).to_string())];
    for k in 1..12 {
        out.push(row.get(k));
    }
    out.extend((12..17).map(|k| row.get::<Option<String>, _>(k)));
    out.extend((17..19).map(|k| Some(row.get::<i64, _>(k).to_string())));
    for k in 19..22 {
        let sealed: Option<Vec<u8>> = row.get(k);
        out.push(sealed.map(|s| String::from_utf8(store.sealer.open(&s).unwrap()).unwrap()));
    }
    out
}

#[tokio::test]
async fn import_checks_and_stores_like_the_form() {
    let (form, _a) = testing::sqlite().await;
    let (import, _b) = testing::sqlite().await;
    one_org(&form).await;
    one_org(&import).await;
    let actor = Actor::cli("test");
    let opts = ImportOptions {
        label: "test",
        row_base: 0,
        preview: false,
    };
    let mut compared = 0;
    for (n, v) in variants().into_iter().enumerate() {
        let by_form = outcome(form.prepare(&v, true));
        assert_eq!(by_form, outcome(check_member(&form.sealer, &v)), "{n}");
        if by_form.is_err() {
            continue;
        }
        // A fresh ID number for each stored row: the register takes each one once.
        let v = MemberInput {
            id_number: with_check(&format!("44040319800101{n:03}")),
            ..v
        };
        let created = form
            .create_member(&actor, &Scope::All, v.clone(), NOW)
            .await
            .unwrap();
        let done = import
            .import_members(&actor, &Scope::All, &[v], &opts, NOW)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            stored(&form, created.id).await,
            stored(&import, done.inserted[0]).await,
            "{n}"
        );
        compared += 1;
    }
    assert!(compared >= 8, "{compared}");
    // The writer's settings are back as they were (see IMPORT_PRAGMAS): the import's connection
    // was closed, the pool opened a fresh one.
    for (pragma, default) in [
        ("cache_size", -2000),
        ("foreign_keys", 1),
        (
            "wal_autocheckpoint",
            i64::from(crate::checkpoint::BACKSTOP_PAGES),
        ),
    ] {
        let v: i64 = sqlx::query_scalar(AssertSqlSafe(format!("PRAGMA {pragma}")))
            .fetch_one(&import.writer)
            .await
            .unwrap();
        assert_eq!(v, default, "{pragma}");
    }
}

async fn members(store: &Store) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM members")
        .fetch_one(&store.reader)
        .await
        .unwrap()
}

/// Several batches: a late bad row leaves nothing behind; ids come back in row order; a file
/// with known and new rows writes only the new ones; the roll-ups follow.
#[tokio::test]
async fn batches_are_one_transaction() {
    let (store, _g) = testing::sqlite().await;
    one_org(&store).await;
    let actor = Actor::cli("test");
    let opts = |preview| ImportOptions {
        label: "big.xlsx",
        row_base: 2,
        preview,
    };
    let row = |n: usize| MemberInput {
        id_number: with_check(&format!("4404031980{:07}", 1_010_000 + n)),
        ..valid("")
    };
    let mut rows: Vec<MemberInput> = (0..1_200).map(row).collect();
    rows[1_100].status = "member".into();
    let refused = store
        .import_members(&actor, &Scope::All, &rows, &opts(false), NOW)
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(refused.len(), 1);
    assert_eq!(
        (refused[0].row, refused[0].error.code),
        (1_100, "member.choice_invalid")
    );
    assert_eq!(
        members(&store).await,
        0,
        "batches before the bad one are rolled back"
    );

    rows[1_100].status = "full".into();
    let done = store
        .import_members(&actor, &Scope::All, &rows, &opts(false), NOW)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done.inserted.len(), 1_200);
    assert!(
        done.inserted.windows(2).all(|w| w[0] < w[1]),
        "ids in row order"
    );
    let more: Vec<MemberInput> = (0..1_300).map(row).collect();
    let seen = store
        .import_members(&actor, &Scope::All, &more, &opts(true), NOW)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((seen.new_rows, seen.existing.len()), (100, 1_200));
    let again = store
        .import_members(&actor, &Scope::All, &more, &opts(false), NOW)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((again.inserted.len(), again.existing.len()), (100, 1_200));
    assert_eq!(again.existing[..3], [0, 1, 2]);
    assert_eq!(members(&store).await, 1_300);

    // A search counts its matches up to SEARCH_COUNT_CAP (every row has the same name and
    // phone), from the region's rows and from the indexes alike, and pages them in order.
    for above in [i64::MAX, 0] {
        let mut s = store.clone();
        s.search_index_first_above = above;
        for q in ["欧阳", "oy", "13800135678"] {
            let f = crate::members::MemberFilter {
                q: Some(q.into()),
                ..Default::default()
            };
            let (page, total) = s
                .members(&Scope::All, &f, crate::sql::Page::new(Some(2), Some(50)))
                .await
                .unwrap();
            assert_eq!(total, Store::SEARCH_COUNT_CAP + 1, "{q}");
            assert_eq!(page.len(), 50, "{q}");
            assert!(page.windows(2).all(|w| w[0].id < w[1].id), "{q}");
        }
    }
    let incremental = store.rollup_snapshot().await.unwrap();
    store.rollup_rebuild().await.unwrap();
    assert_eq!(incremental, store.rollup_snapshot().await.unwrap());
}

/// An import given up halfway (its page closed mid-file) leaves nothing written, and the writer
/// the next write gets enforces foreign keys again: the import's connection was closed.
#[tokio::test]
async fn an_abandoned_import_leaves_the_writer_as_it_was() {
    let (store, _g) = testing::sqlite().await;
    one_org(&store).await;
    let actor = Actor::cli("test");
    let opts = ImportOptions {
        label: "gone.xlsx",
        row_base: 2,
        preview: false,
    };
    let rows: Vec<RosterRow> = (0..BATCH_ROWS * 2)
        .map(|n| RosterRow {
            row: n,
            input: MemberInput {
                id_number: with_check(&format!("4404031980{:07}", 1_020_000 + n)),
                ..valid("")
            },
        })
        .collect();
    let mut import = store.begin_import(&actor, &Scope::All, &opts, NOW);
    for batch in rows.chunks(BATCH_ROWS) {
        assert!(import.add(batch).await.unwrap().problems.is_empty());
    }
    drop(import);
    assert_eq!(members(&store).await, 0);
    let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(&store.writer)
        .await
        .unwrap();
    assert_eq!(fk, 1);
    let orphan = sqlx::query("INSERT INTO org_units (org_id, unit_id) VALUES (999999, 999999)")
        .execute(&store.writer)
        .await;
    assert!(orphan.is_err(), "a foreign key is enforced");
}

fn with_check(first17: &str) -> String {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = first17
        .bytes()
        .zip(W)
        .map(|(c, w)| u32::from(c - b'0') * w)
        .sum();
    format!(
        "{first17}{}",
        char::from(b"10X98765432"[(sum % 11) as usize])
    )
}
