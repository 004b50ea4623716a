//! The 村民会议's authorisation of the 村民代表会议 (《村民委员会组织法》第二十四条), on the village
//! test's second matter: without one in force that day and covering the matter, the
//! representatives' vote carries no 决议 and is not offered.
use crate::transfers::code;
use crate::{LATER, Tree, actor};
use jiceng_domain::decision::Step;
use jiceng_domain::meeting::Votes;
use jiceng_store::mandates::NewMandate;
use jiceng_store::matters::StepInput;
use jiceng_store::meetings::NewResolution;
use jiceng_store::{Scope, Store};

/// `vm`: a quorate 村民会议 of 乾西村; `decided`: a passed vote of its 村民代表会议; `local`: a
/// local list item; `m2`: a matter (of another item) whose next step is the 决议.
pub(crate) async fn representatives_need_authority(
    store: &Store,
    t: &Tree,
    (vm, decided): (i64, i64),
    (local, m2): (i64, i64),
) {
    let (a, s) = (actor(), Scope::All);
    // The representatives decide a matter of the list only under the 村民会议's authorisation
    // (《组织法》第二十四条); their vote is not even offered until then.
    let unauthorised = || async {
        let input = StepInput::Resolution(decided);
        let e = store
            .record_matter_step(&a, &s, m2, Step::Resolution, &input, LATER)
            .await;
        code(e.unwrap_err())
    };
    assert_eq!(unauthorised().await, "decision.not_authorised");
    let offered = || async {
        store
            .step_choices(&s, m2, Step::Resolution)
            .await
            .unwrap()
            .iter()
            .any(|(id, _)| *id == decided)
    };
    assert!(!offered().await);
    let grant = |resolution_id: i64, item_id: Option<i64>, from_on: &str| NewMandate {
        place_id: t.qianxi,
        resolution_id,
        item_id,
        from_on: from_on.into(),
        until_on: None,
    };
    let refused = |n: NewMandate| {
        let store = store.clone();
        let a = a.clone();
        async move {
            code(
                store
                    .grant_mandate(&a, &Scope::All, &n, LATER)
                    .await
                    .unwrap_err(),
            )
        }
    };
    // Only a passed vote of a quorate 村民会议 authorises — not the representatives themselves.
    assert_eq!(
        refused(grant(decided, None, "2026-08-01")).await,
        "mandate.not_villagers_assembly"
    );
    let vote = NewResolution {
        meeting_id: vm,
        title: "授权村民代表会议决定清单事项",
        votes: Votes {
            ayes: 200,
            nays: 0,
            abstentions: 0,
        },
        election: false,
    };
    let authority = store.record_resolution(&a, &s, &vote, LATER).await.unwrap();
    assert_eq!(authority.passed, 1, "200 of the 300 present");
    assert_eq!(
        refused(grant(authority.id, None, "2026-07-19")).await,
        "mandate.before_assembly"
    );
    assert_eq!(
        refused(NewMandate {
            until_on: Some("2026-07-01".into()),
            ..grant(authority.id, None, "2026-07-20")
        })
        .await,
        "mandate.until_before_from"
    );
    // Another village's vote, or an item of another village's list, authorises nothing here.
    assert_eq!(
        refused(NewMandate {
            place_id: t.other_village,
            ..grant(authority.id, None, "2026-07-20")
        })
        .await,
        "mandate.resolution_invalid"
    );
    // Authorised for another item only, or for a time that ended the day before: still refused.
    store
        .grant_mandate(
            &a,
            &s,
            &grant(authority.id, Some(local), "2026-07-20"),
            LATER,
        )
        .await
        .unwrap();
    let ended = NewMandate {
        until_on: Some("2026-08-19".into()),
        ..grant(authority.id, None, "2026-07-20")
    };
    store.grant_mandate(&a, &s, &ended, LATER).await.unwrap();
    assert_eq!(unauthorised().await, "decision.not_authorised");
    assert!(!offered().await);
    // Every item of the list from the assembly on: now the representatives' vote carries.
    let all = store
        .grant_mandate(&a, &s, &grant(authority.id, None, "2026-07-20"), LATER)
        .await
        .unwrap();
    assert_eq!((all.item_id, all.until_on.as_deref()), (None, None));
    assert_eq!(store.mandates(&s, t.qianxi).await.unwrap().len(), 3);
    assert!(offered().await);
}
