//! The service centre in the store: a catalogue offered down the tree (the district's items at
//! every village, a village's own only there), requests at the desk (accepted, due in working
//! days) and online (only items open online; accepted later), moves by the rules with the clock
//! paused for materials, the history, the tracking code, sealed applicant data, filters (overdue,
//! search by name and phone), the sweep, figures equal to a rebuild, scope.
use crate::transfers::code;
use crate::{T0, actor, place, tree};
use jiceng_domain::service::Move;
use jiceng_store::services::{ItemInput, NewRequest, RequestFilter};
use jiceng_store::sql::Page;
use jiceng_store::{Scope, Store, StoreError, both_backends};

fn item(place_id: i64, code: &str, name: &str, limit: i64, online: bool) -> ItemInput {
    ItemInput {
        place_id,
        code: code.into(),
        name: name.into(),
        group: "gov".into(),
        materials: "身份证\n\n户口簿\n".into(),
        limit_days: limit,
        online,
        sort: 1,
    }
}

fn ask(item_id: i64, place_id: i64, desk: bool) -> NewRequest {
    NewRequest {
        item_id,
        place_id,
        desk,
        name: "欧阳春花".into(),
        phone: "138 0013 8000".into(),
        summary: "为孩子入学开具居住证明".into(),
    }
}

async fn services(store: Store) {
    let t = tree(&store).await;
    let sibling = place(&store, Some(t.qianwu), "440403105202", "乾东村").await;
    let (a, s) = (actor(), Scope::All);
    // The catalogue: refusals write nothing.
    for (bad, why) in [
        (
            item(t.county, "a b", "居住证明", 3, true),
            "service.code_invalid",
        ),
        (item(t.county, "JZ01", " ", 3, true), "service.name_invalid"),
        (
            item(t.county, "JZ01", "居住证明", 61, true),
            "service.limit_invalid",
        ),
        (
            ItemInput {
                group: "other".into(),
                ..item(t.county, "JZ01", "居住证明", 3, true)
            },
            "service.group_invalid",
        ),
    ] {
        let e = store
            .create_service_item(&a, &s, &bad, T0)
            .await
            .unwrap_err();
        assert_eq!(code(e), why);
    }
    let proof = store
        .create_service_item(&a, &s, &item(t.county, "jz01", "居住证明", 3, true), T0)
        .await
        .unwrap();
    assert_eq!(proof.code, "JZ01");
    assert_eq!(proof.materials_list(), ["身份证", "户口簿"]);
    let e = store
        .create_service_item(&a, &s, &item(t.qianxi, "JZ01", "别的", 1, false), T0)
        .await
        .unwrap_err();
    assert_eq!(code(e), "service.code_taken");
    let homestead = store
        .create_service_item(&a, &s, &item(t.qianxi, "ZJD", "宅基地申请", 10, false), T0)
        .await
        .unwrap();
    let at = |c: &'static str| store.service_items_at(c, false);
    let names =
        |v: Vec<jiceng_store::services::Item>| v.into_iter().map(|i| i.name).collect::<Vec<_>>();
    assert_eq!(
        names(at("440403105201").await.unwrap()),
        ["居住证明", "宅基地申请"]
    );
    assert_eq!(names(at("440403105202").await.unwrap()), ["居住证明"]);
    // A village edits its own items, not the district's.
    let village = Scope::prefix("440403105201");
    let e = store
        .update_service_item(&a, &village, proof.id, &item(0, "", "改名", 3, true), T0)
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::NotFound));
    let edited = store
        .update_service_item(
            &a,
            &village,
            homestead.id,
            &item(0, "", "宅基地建房申请", 15, false),
            T0,
        )
        .await
        .unwrap();
    assert_eq!((edited.code.as_str(), edited.limit_days), ("ZJD", 15));

    // At the desk on Friday 2026-01-02: accepted at once, due three working days on.
    let (desk, tracking) = store
        .file_service_request(
            &a,
            &village,
            &ask(proof.id, t.qianxi, true),
            "2026-01-02",
            T0,
        )
        .await
        .unwrap();
    assert_eq!(desk.status, "accepted");
    assert_eq!(desk.due_on.as_deref(), Some("2026-01-07"));
    assert_eq!(
        (desk.name_masked.as_str(), desk.phone_masked.as_str()),
        ("欧***", "138****8000")
    );
    assert_eq!(tracking.len(), 10);
    assert_eq!(
        store
            .service_request_by_code(&tracking.to_lowercase())
            .await
            .unwrap()
            .id,
        desk.id
    );
    assert!(matches!(
        store.service_request_by_code("ABCDEFGHJK").await,
        Err(StoreError::NotFound)
    ));
    // The applicant's name and phone are sealed: not in the row's text.
    let raw: (Vec<u8>, Vec<u8>) =
        sqlx::query_as("SELECT name_sealed, phone_sealed FROM service_requests WHERE id = $1")
            .bind(desk.id)
            .fetch_one(&store.reader)
            .await
            .unwrap();
    assert!(!String::from_utf8_lossy(&raw.1).contains("13800138000"));
    assert_eq!(
        store
            .reveal_service_applicant(&a, &village, desk.id, T0)
            .await
            .unwrap(),
        ("欧阳春花".to_string(), "13800138000".to_string())
    );
    // Online: only an item open online, and at a village that offers it.
    let e = store
        .file_service_request(
            &a,
            &s,
            &ask(homestead.id, t.qianxi, false),
            "2026-01-02",
            T0,
        )
        .await
        .unwrap_err();
    assert_eq!(code(e), "service.not_online");
    let e = store
        .file_service_request(&a, &s, &ask(homestead.id, sibling, true), "2026-01-02", T0)
        .await
        .unwrap_err();
    assert_eq!(code(e), "service.item_unknown");
    for (bad, why) in [
        (
            NewRequest {
                name: " ".into(),
                ..ask(proof.id, t.qianxi, false)
            },
            "service.applicant_invalid",
        ),
        (
            NewRequest {
                phone: "12345".into(),
                ..ask(proof.id, t.qianxi, false)
            },
            "member.phone_invalid",
        ),
        (
            NewRequest {
                summary: "".into(),
                ..ask(proof.id, t.qianxi, false)
            },
            "service.summary_invalid",
        ),
    ] {
        let e = store
            .file_service_request(&a, &s, &bad, "2026-01-02", T0)
            .await
            .unwrap_err();
        assert_eq!(code(e), why);
    }
    let (online, _) = store
        .file_service_request(&a, &s, &ask(proof.id, sibling, false), "2026-01-02", T0)
        .await
        .unwrap();
    assert_eq!(
        (online.status.as_str(), online.due_on.as_deref()),
        ("submitted", None)
    );
    // Another village's desk cannot file at this one.
    let e = store
        .file_service_request(
            &a,
            &village,
            &ask(proof.id, sibling, true),
            "2026-01-02",
            T0,
        )
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::NotFound));

    // Moves: materials pause the clock (asked Tuesday 01-06, in Friday 01-09: 3 days on).
    let (st, ar, sr) = (&store, &a, &s);
    let mv = |id, m: Move, day: &'static str| async move {
        st.service_request_move(ar, sr, id, &m, day, T0).await
    };
    let e = mv(desk.id, Move::Reject { reason: " ".into() }, "2026-01-05")
        .await
        .unwrap_err();
    assert_eq!(code(e), "service.note_required");
    mv(
        desk.id,
        Move::AskMaterials {
            what: "户口簿原件".into(),
        },
        "2026-01-06",
    )
    .await
    .unwrap();
    let r = mv(desk.id, Move::MaterialsIn, "2026-01-09").await.unwrap();
    assert_eq!(
        (r.status.as_str(), r.due_on.as_deref()),
        ("processing", Some("2026-01-12"))
    );
    let r = mv(online.id, Move::Accept, "2026-01-05").await.unwrap();
    assert_eq!(r.due_on.as_deref(), Some("2026-01-08"));
    // On 01-13 the desk request is overdue (due 01-12), the online one since 01-09.
    let overdue = RequestFilter {
        overdue_on: Some("2026-01-13".into()),
        ..Default::default()
    };
    let (rows, n) = store
        .service_requests(&s, &overdue, Page::new(None, None))
        .await
        .unwrap();
    assert_eq!((n, rows[0].id), (2, online.id), "the longest overdue first");
    assert_eq!(store.service_sweep("2026-01-13", T0).await.unwrap(), 2);
    assert_eq!(
        store.service_sweep("2026-01-14", T0).await.unwrap(),
        0,
        "marked once"
    );
    let done = mv(
        desk.id,
        Move::Complete {
            result: "已出具居住证明".into(),
        },
        "2026-01-14",
    )
    .await
    .unwrap();
    assert_eq!((done.status.as_str(), done.overdue), ("completed", 1));
    let e = mv(desk.id, Move::Start, "2026-01-15").await.unwrap_err();
    assert_eq!(code(e), "service.request_final");
    let events = store.service_request_events(&s, desk.id).await.unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "file",
            "ask_materials",
            "materials_in",
            "overdue",
            "complete"
        ]
    );
    assert_eq!(events[1].note.as_deref(), Some("户口簿原件"));
    // One more, done on time, at the desk.
    let (quick, _) = store
        .file_service_request(&a, &s, &ask(proof.id, t.qianxi, true), "2026-01-20", T0)
        .await
        .unwrap();
    mv(
        quick.id,
        Move::Complete {
            result: "当场办结".into(),
        },
        "2026-01-20",
    )
    .await
    .unwrap();

    // Search: the applicant's full name or phone (blind indexes), a number, words.
    let find = |q: &str| {
        let f = RequestFilter {
            q: Some(q.into()),
            ..Default::default()
        };
        async move {
            st.service_requests(sr, &f, Page::new(None, None))
                .await
                .unwrap()
                .1
        }
    };
    assert_eq!(find("欧阳春花").await, 3);
    assert_eq!(find("13800138000").await, 3);
    assert_eq!(find("欧阳").await, 0, "a name matches only in full");
    assert_eq!(find(&format!("#{}", quick.id)).await, 1);
    assert_eq!(find("入学").await, 3);
    assert_eq!(find("100%").await, 0);

    // Figures by month of filing, from the roll-ups, equal to a rebuild.
    let figs = store
        .service_figures(&s, t.qianwu, &["2026-01".to_string()])
        .await
        .unwrap();
    let town = &figs[0];
    assert_eq!(
        (town.requests, town.completed, town.on_time, town.overdue),
        (3, 2, 1, 2)
    );
    let qx = figs.iter().find(|f| f.place_id == t.qianxi).unwrap();
    assert_eq!((qx.requests, qx.completed), (2, 2));
    let before = store.service_snapshot().await.unwrap();
    store.rollup_rebuild().await.unwrap();
    assert_eq!(store.service_snapshot().await.unwrap(), before);

    // Scope: the village sees its own requests only; another town nothing.
    let (mine, n) = store
        .service_requests(&village, &RequestFilter::default(), Page::new(None, None))
        .await
        .unwrap();
    assert_eq!(n, 2);
    assert!(mine.iter().all(|r| r.place_id == t.qianxi));
    let other = Scope::prefix("440403106");
    assert!(matches!(
        store.service_request(&other, online.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .reveal_service_applicant(&a, &other, desk.id, T0)
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .service_request_move(&a, &other, online.id, &Move::Start, "2026-01-15", T0)
            .await,
        Err(StoreError::NotFound)
    ));
    // Deactivated: no longer offered nor filed, still in the full catalogue.
    store
        .set_service_item_active(&a, &s, proof.id, false, T0)
        .await
        .unwrap();
    assert_eq!(
        names(at("440403105202").await.unwrap()),
        Vec::<String>::new()
    );
    assert_eq!(
        store
            .service_items_at("440403105202", true)
            .await
            .unwrap()
            .len(),
        1
    );
    let e = store
        .file_service_request(&a, &s, &ask(proof.id, sibling, false), "2026-01-21", T0)
        .await
        .unwrap_err();
    assert_eq!(code(e), "service.item_unknown");

    // The district's calendar: a holiday on Monday 02-02 moves a due date on; a Saturday worked
    // counts; a pointless day is refused; removed, the week rules again.
    let e = store
        .set_service_day(&a, "2026-02-07", false, "周六", T0)
        .await
        .unwrap_err();
    assert_eq!(code(e), "service.calendar_pointless");
    let e = store
        .set_service_day(&a, "2026-02-02", false, " ", T0)
        .await
        .unwrap_err();
    assert_eq!(code(e), "service.calendar_note");
    store
        .set_service_day(&a, "2026-02-02", false, "示例假日", T0)
        .await
        .unwrap();
    store
        .set_service_day(&a, "2026-02-07", true, "示例调休", T0)
        .await
        .unwrap();
    assert_eq!(store.service_calendar("2026-01-01").await.unwrap().len(), 2);
    let three = store
        .create_service_item(&a, &s, &item(t.county, "CAL3", "三日件", 3, false), T0)
        .await
        .unwrap();
    let due = |day: &'static str| {
        let n = ask(three.id, t.qianxi, true);
        async move {
            st.file_service_request(ar, sr, &n, day, T0)
                .await
                .unwrap()
                .0
                .due_on
                .unwrap()
        }
    };
    assert_eq!(
        due("2026-01-30").await,
        "2026-02-05",
        "02-03, 02-04, 02-05: 02-02 off"
    );
    assert_eq!(
        due("2026-02-05").await,
        "2026-02-09",
        "02-06, Saturday 02-07 worked, 02-09"
    );
    store
        .remove_service_day(&a, "2026-02-02", T0)
        .await
        .unwrap();
    assert_eq!(
        due("2026-01-30").await,
        "2026-02-04",
        "the week alone again"
    );
}
both_backends!(service_centre_catalogue_requests_figures_scope, services);
