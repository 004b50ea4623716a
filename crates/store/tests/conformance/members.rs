use crate::{T0, actor, branch, tree};
use jiceng_store::audit::AuditFilter;
use jiceng_store::members::{MemberFilter, MemberInput, Sealed};
use jiceng_store::orgs::NewOrg;
use jiceng_store::roster::{ImportOptions, RosterRow};
use jiceng_store::sql::Page;
use jiceng_store::{Backend, Scope, Store, StoreError, both_backends};

pub fn input(org_id: i64, name: &str, id_number: &str) -> MemberInput {
    MemberInput {
        org_id,
        name: name.into(),
        id_number: id_number.into(),
        ethnicity: "汉族".into(),
        education: "college".into(),
        occupation: "farmer".into(),
        status: "full".into(),
        join_date: Some("1975-07-01".into()),
        full_date: Some("1976-07-01".into()),
        workplace: None,
        phone: Some("138 0013 5678".into()),
        address: Some("广东省珠海市斗门区乾务镇乾西村12号".into()),
    }
}

fn code(e: StoreError) -> &'static str {
    match e {
        StoreError::Rule(d) => d.code,
        other => panic!("expected a rule error, got {other:?}"),
    }
}

async fn register(store: Store) {
    let t = tree(&store).await;
    let a = actor();
    let s = Scope::All;
    let org = |place_id, name: &str| NewOrg {
        parent_id: None,
        place_id,
        name: name.into(),
        kind: "branch".into(),
        unit_ids: vec![],
        founded_on: None,
    };
    let qianxi = store
        .create_org(&a, &s, org(t.qianxi, "乾西村党支部"), T0)
        .await
        .unwrap();
    let other = store
        .create_org(&a, &s, org(t.other_village, "白蕉某村党支部"), T0)
        .await
        .unwrap();

    // GB 11643 example: birth date and gender come from the number; personal data is masked.
    let m = store
        .create_member(&a, &s, input(qianxi.id, "张三", "11010519491231002x"), T0)
        .await
        .unwrap();
    assert_eq!(
        (m.birth_month.as_str(), m.gender.as_str()),
        ("1949-12", "female")
    );
    assert_eq!(m.id_masked, "1101**********002X");
    assert_eq!(m.phone_masked.as_deref(), Some("138****5678"));
    assert_eq!(m.address_masked.as_deref(), Some("广东省珠海市****"));
    // At rest: no clear value anywhere in the row.
    let row: (Vec<u8>, String) =
        sqlx::query_as("SELECT id_sealed, id_index FROM members WHERE id = $1")
            .bind(m.id)
            .fetch_one(&store.reader)
            .await
            .unwrap();
    assert!(!String::from_utf8_lossy(&row.0).contains("19491231"));
    assert!(!row.1.contains("19491231"));

    // Bad input: a wrong check digit, an impossible date, a duplicate; nothing is written.
    let e = store
        .create_member(&a, &s, input(qianxi.id, "李四", "110105194912310021"), T0)
        .await
        .unwrap_err();
    assert_eq!(code(e), "idcard.invalid");
    let mut bad = input(qianxi.id, "李四", "11010519491231002X");
    bad.join_date = Some("2021-02-30".into());
    assert_eq!(
        code(store.create_member(&a, &s, bad, T0).await.unwrap_err()),
        "member.date_invalid"
    );
    let e = store
        .create_member(&a, &s, input(other.id, "王五", "11010519491231002X"), T0)
        .await
        .unwrap_err();
    assert_eq!(code(e), "member.id_number_taken");
    let mut phone = input(qianxi.id, "李四", "440403198001010016");
    phone.phone = Some("12345".into());
    assert_eq!(
        code(store.create_member(&a, &s, phone, T0).await.unwrap_err()),
        "member.phone_invalid"
    );
    let li = store
        .create_member(&a, &s, input(other.id, "李四", "440403198001010016"), T0)
        .await
        .unwrap();

    // Search: name, pinyin initials, exact ID number, exact phone; always inside the scope.
    // Every search runs twice: from the region's rows, and from the indexes as in a region of
    // more than 20,000 members; both give the same page and count.
    let find = |q: &str, scope: Scope| {
        let store = store.clone();
        let q = q.to_string();
        async move {
            let f = MemberFilter {
                q: Some(q.clone()),
                ..Default::default()
            };
            let mut pages = Vec::new();
            for above in [i64::MAX, 0] {
                let mut s = store.clone();
                s.search_index_first_above = above;
                let (rows, total) = s.members(&scope, &f, Page::new(None, None)).await.unwrap();
                assert_eq!(total, rows.len() as i64, "{q}");
                pages.push(rows.into_iter().map(|m| m.name).collect::<Vec<_>>());
            }
            assert_eq!(pages[0], pages[1], "{q}: both ways");
            pages.remove(0)
        }
    };
    assert_eq!(find("张", Scope::All).await, ["张三"]);
    assert_eq!(find("zs", Scope::All).await, ["张三"]);
    assert_eq!(find("11010519491231002X", Scope::All).await, ["张三"]);
    // Sorted by the name's pinyin initials: 李四 (ls) before 张三 (zs).
    assert_eq!(find("13800135678", Scope::All).await, ["李四", "张三"]);
    assert!(
        find("1101", Scope::All).await.is_empty(),
        "no partial matches on sealed data"
    );
    let qianwu = store.place(&s, t.qianwu).await.unwrap().scope();
    assert_eq!(find("13800135678", qianwu.clone()).await, ["张三"]);
    assert!(matches!(
        store.member(&qianwu, li.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.reveal(&a, &qianwu, li.id, Sealed::IdNumber, T0).await,
        Err(StoreError::NotFound)
    ));

    // Reveal: the clear value, and an audit entry that says who saw what, without the value.
    let clear = store
        .reveal(&a, &qianwu, m.id, Sealed::IdNumber, T0 + 1)
        .await
        .unwrap();
    assert_eq!(clear.as_deref(), Some("11010519491231002X"));
    assert_eq!(
        store
            .reveal(&a, &qianwu, m.id, Sealed::Phone, T0 + 1)
            .await
            .unwrap()
            .as_deref(),
        Some("13800135678")
    );
    let (entries, _) = store
        .audit_list(
            &AuditFilter {
                action: Some("reveal".into()),
                ..Default::default()
            },
            Page::new(None, None),
        )
        .await
        .unwrap();
    assert_eq!(entries.len(), 2);
    for e in &entries {
        assert!(
            !e.after_json.as_deref().unwrap_or("").contains("19491231")
                && !e
                    .after_json
                    .as_deref()
                    .unwrap_or("")
                    .contains("13800135678")
        );
    }

    // Figures: current members per place; leaving the Party takes a member out of them.
    let count = |id| {
        let store = store.clone();
        async move {
            store
                .rollup_values(id)
                .await
                .unwrap()
                .get("members")
                .copied()
                .unwrap_or(0)
        }
    };
    assert_eq!(
        (
            count(t.county).await,
            count(t.qianwu).await,
            count(t.qianxi).await
        ),
        (2, 1, 1)
    );
    let mut left = input(qianxi.id, "张三", "11010519491231002X");
    left.status = "left".into();
    store
        .update_member(&a, &s, m.id, left, T0 + 2)
        .await
        .unwrap();
    assert_eq!((count(t.county).await, count(t.qianxi).await), (1, 0));
    // An organisation with members cannot close; moving it carries its members' count.
    assert_eq!(
        code(store.close_org(&a, &s, other.id, T0).await.unwrap_err()),
        "org.has_members"
    );
    store
        .move_org(&a, &s, other.id, None, Some(t.qianxi), T0)
        .await
        .unwrap();
    assert_eq!((count(t.qianxi).await, count(t.baijiao).await), (1, 0));
    // A search of its new town finds 李四 (on PostgreSQL the member rows' place code followed the
    // organisation); 张三 has left, so is not listed.
    assert_eq!(find("13800135678", qianwu.clone()).await, ["李四"]);
    // A name is found by any part of it: its start, its middle, one character.
    store
        .create_member(
            &a,
            &s,
            input(other.id, "王小明", &id_number("19800202", 57)),
            T0,
        )
        .await
        .unwrap();
    for q in ["王小", "小明", "明", "小", "王小明"] {
        assert_eq!(find(q, Scope::All).await, ["王小明"], "{q}");
    }
    let incremental = store.rollup_snapshot().await.unwrap();
    store.rollup_rebuild().await.unwrap();
    assert_eq!(incremental, store.rollup_snapshot().await.unwrap());
}
both_backends!(member_register_seals_masks_and_counts, register);

/// Valid ID numbers for tests: region 440403, the given birth date, sequence `seq`.
pub fn id_number(birth: &str, seq: u32) -> String {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let body = format!("440403{birth}{seq:03}");
    let sum: u32 = body
        .bytes()
        .zip(W)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    format!("{body}{}", b"10X98765432"[(sum % 11) as usize] as char)
}

pub fn opts() -> ImportOptions<'static> {
    ImportOptions {
        label: "roster.xlsx",
        row_base: 2,
        preview: false,
    }
}

async fn roster(store: Store) {
    let t = tree(&store).await;
    let a = actor();
    let s = Scope::All;
    let org = store
        .create_org(&a, &s, branch(t.qianxi, "乾西村党支部"), T0)
        .await
        .unwrap();
    let rows: Vec<MemberInput> = (0..50)
        .map(|i| input(org.id, &format!("党员{i}"), &id_number("19700101", i)))
        .collect();
    let audit_before = store
        .audit_list(&AuditFilter::default(), Page::new(None, None))
        .await
        .unwrap()
        .1;

    // One bad row (and one repeated ID number): nothing is written, every problem is reported.
    let mut bad = rows.clone();
    bad[7].id_number = "440403197001010071".into();
    bad[9].id_number = bad[3].id_number.clone();
    let errors = store
        .import_members(&a, &s, &bad, &opts(), T0)
        .await
        .unwrap()
        .unwrap_err();
    let reported: Vec<(usize, &str)> = errors.iter().map(|e| (e.row, e.error.code)).collect();
    assert_eq!(
        reported,
        [(7, "idcard.invalid"), (9, "member.id_number_repeated")]
    );
    assert_eq!(
        store
            .members(&s, &MemberFilter::default(), Page::new(None, None))
            .await
            .unwrap()
            .1,
        0
    );

    // A preview checks everything and writes nothing.
    let preview = ImportOptions {
        preview: true,
        ..opts()
    };
    let seen = store
        .import_members(&a, &s, &rows, &preview, T0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (seen.new_rows, seen.existing.len(), seen.inserted.len()),
        (50, 0, 0)
    );
    assert_eq!(
        store
            .members(&s, &MemberFilter::default(), Page::new(None, None))
            .await
            .unwrap()
            .1,
        0
    );
    // The good file: all rows in, one audit entry, figures up to date.
    let done = store
        .import_members(&a, &s, &rows, &opts(), T0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((done.inserted.len(), done.existing.len()), (50, 0));
    // Each id is its own row's member (SQLite gives the ids out itself, PostgreSQL returns them).
    for (k, id) in done.inserted.iter().enumerate() {
        assert_eq!(store.member(&s, *id).await.unwrap().name, rows[k].name);
    }
    // The organisation's count of full members follows, as a recount finds it.
    let full = |store: Store| async move {
        sqlx::query_scalar::<_, i64>("SELECT full_members FROM orgs WHERE id = $1")
            .bind(org.id)
            .fetch_one(&store.reader)
            .await
            .unwrap()
    };
    assert_eq!(full(store.clone()).await, 50);
    assert_eq!(
        store
            .rollup_values(t.county)
            .await
            .unwrap()
            .get("members")
            .copied(),
        Some(50)
    );
    assert_eq!(
        store
            .audit_list(&AuditFilter::default(), Page::new(None, None))
            .await
            .unwrap()
            .1,
        audit_before + 1
    );
    // The same file again changes nothing: every row is reported as already registered.
    let again = store
        .import_members(&a, &s, &rows, &opts(), T0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((again.inserted.len(), again.existing.len()), (0, 50));
    assert_eq!(
        store
            .audit_list(&AuditFilter::default(), Page::new(None, None))
            .await
            .unwrap()
            .1,
        audit_before + 1
    );
    // Known and new rows in one batch: the known are skipped, the new get their own ids.
    let mut more = rows.clone();
    more.extend((50..60).map(|i| input(org.id, &format!("党员{i}"), &id_number("19700101", i))));
    let mixed = store
        .import_members(&a, &s, &more, &opts(), T0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(mixed.existing, (0..50).collect::<Vec<_>>());
    assert_eq!(mixed.inserted.len(), 10);
    for (k, id) in mixed.inserted.iter().enumerate() {
        assert_eq!(store.member(&s, *id).await.unwrap().name, more[50 + k].name);
    }
    assert_eq!(full(store.clone()).await, 60);
    // Outside the importer's scope: refused, nothing written.
    let baijiao = store.place(&s, t.baijiao).await.unwrap().scope();
    let one = vec![input(org.id, "外镇", &id_number("19800101", 1))];
    let e = store
        .import_members(&a, &baijiao, &one, &opts(), T0)
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(e[0].error.code, "member.org_unknown");
    let incremental = store.rollup_snapshot().await.unwrap();
    store.rollup_rebuild().await.unwrap();
    assert_eq!(incremental, store.rollup_snapshot().await.unwrap());
    assert_eq!(full(store.clone()).await, 60);
}
both_backends!(roster_import_is_all_or_nothing_and_idempotent, roster);

/// An organisation closed while its rows are being imported: never a member in a closed
/// organisation. PostgreSQL lets the close through (the import's rows are not committed yet), so
/// the import, which checks every organisation again inside its transaction, is refused and
/// writes nothing. SQLite's close waits for the import's write lock and then finds members.
async fn roster_org_closed_meanwhile(store: Store) {
    let t = tree(&store).await;
    let (a, s) = (actor(), Scope::All);
    let org = store
        .create_org(&a, &s, branch(t.qianxi, "乾西村党支部"), T0)
        .await
        .unwrap();
    let rows: Vec<RosterRow> = (0..30u32)
        .map(|i| RosterRow {
            row: i as usize,
            input: input(org.id, &format!("党员{i}"), &id_number("19700101", i)),
        })
        .collect();
    let mut import = store.begin_import(&a, &s, &opts(), T0);
    assert!(import.add(&rows).await.unwrap().problems.is_empty());
    let closing = {
        let (store, a) = (store.clone(), a.clone());
        tokio::spawn(async move { store.close_org(&a, &Scope::All, org.id, T0 + 1).await })
    };
    let members = |store: Store| async move {
        store
            .members(&Scope::All, &MemberFilter::default(), Page::new(None, None))
            .await
            .unwrap()
            .1
    };
    if store.backend == Backend::Postgres {
        let closed = closing.await.unwrap().unwrap();
        assert!(closed.closed_at.is_some());
        let refused = import.finish().await.unwrap_err();
        assert_eq!(code(refused), "member.import_org_changed");
        assert_eq!(members(store.clone()).await, 0);
    } else {
        assert_eq!(import.finish().await.unwrap().unwrap().inserted, 30);
        assert_eq!(code(closing.await.unwrap().unwrap_err()), "org.has_members");
        assert_eq!(members(store.clone()).await, 30);
    }
}
both_backends!(
    roster_import_refused_when_its_org_closes,
    roster_org_closed_meanwhile
);
