use super::*;

fn seat(person: i64, body: Body) -> Seat {
    Seat { person, body }
}

fn name(id: i64) -> String {
    format!("人员{id}")
}

fn check(candidate: i64, seats: &[Seat], kin: &[(i64, i64, Kinship)]) -> Result<(), String> {
    check_supervisor(candidate, &name(candidate), seats, &name, kin).map_err(|e| e.code.to_string())
}

#[test]
fn supervisor_eligibility_follows_each_bar() {
    // 1 sits on the villagers' committee, 2 is the accountant, 3 the cashier, 4 and 5 are free.
    let seats = [
        seat(1, Body::VillagersCommittee),
        seat(1, Body::PartyCommittee),
        seat(2, Body::Accountant),
        seat(3, Body::Cashier),
        seat(4, Body::Representatives),
        seat(6, Body::PartyCommittee),
    ];
    assert_eq!(
        check(1, &seats, &[]),
        Err("supervision.committee_member".into())
    );
    assert_eq!(
        check(2, &seats, &[]),
        Err("supervision.finance_staff".into())
    );
    assert_eq!(
        check(3, &seats, &[]),
        Err("supervision.finance_staff".into())
    );
    assert_eq!(check(4, &seats, &[]), Ok(()));
    // A party committee member who is not on the villagers' committee may supervise.
    assert_eq!(check(6, &seats, &[]), Ok(()));
    assert_eq!(check(5, &seats, &[]), Ok(()));
}

#[test]
fn near_relatives_of_the_committee_are_barred_whichever_way_recorded() {
    let seats = [
        seat(1, Body::VillagersCommittee),
        seat(9, Body::PartyCommittee),
    ];
    for k in Kinship::ALL {
        // Recorded as (committee member, candidate) or (candidate, committee member).
        assert_eq!(
            check(5, &seats, &[(1, 5, k)]),
            Err("supervision.near_relative".into()),
            "{k:?}"
        );
        assert_eq!(
            check(5, &seats, &[(5, 1, k)]),
            Err("supervision.near_relative".into()),
            "{k:?}"
        );
    }
    // A relative of someone not on the villagers' committee is no bar.
    assert_eq!(check(5, &seats, &[(9, 5, Kinship::Spouse)]), Ok(()));
    // Nor a relation between two other people.
    assert_eq!(check(5, &seats, &[(1, 7, Kinship::Spouse)]), Ok(()));
}

#[test]
fn the_refusal_names_the_relative_and_the_law() {
    let seats = [seat(1, Body::VillagersCommittee)];
    let e = check_supervisor(5, "王五", &seats, &name, &[(1, 5, Kinship::Spouse)]).unwrap_err();
    assert!(
        e.zh.contains("王五") && e.zh.contains("人员1") && e.zh.contains("配偶"),
        "{}",
        e.zh
    );
    assert!(e.zh.contains("民法典"), "{}", e.zh);
}

#[test]
fn bodies_and_kinships_round_trip() {
    for b in Body::ALL {
        assert_eq!(Body::parse(b.as_str()), Some(b));
    }
    for k in Kinship::ALL {
        assert_eq!(Kinship::parse(k.as_str()), Some(k));
    }
    assert_eq!(Body::parse("x"), None);
    assert_eq!(
        Body::attending(MeetingKind::JointCommittees),
        &[Body::PartyCommittee, Body::VillagersCommittee]
    );
    assert!(Body::attending(MeetingKind::VillagersAssembly).is_empty());
    // 《组织法》第二十五条: the 村民代表会议 is the villagers' committee and the representatives.
    assert_eq!(
        Body::attending(MeetingKind::RepresentativesAssembly),
        &[Body::VillagersCommittee, Body::Representatives]
    );
}

#[test]
fn the_law_list_has_its_nine_matters_for_the_villagers_assembly() {
    let list = PowerItem::law_list();
    assert_eq!(list.len(), 9);
    assert!(
        list.iter()
            .all(|i| i.decided_by == MeetingKind::VillagersAssembly)
    );
    assert!(list.iter().any(|i| i.name == "宅基地的使用方案"));
    let mut codes: Vec<&str> = list.iter().map(|i| i.code.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), 9);
}

#[test]
fn the_publication_rule_in_force_is_the_latest_begun() {
    let law = PublicationRule::defaults();
    let local = PublicationRule {
        effective_from: "2027-01-01".into(),
        finance_every_days: 20,
        ..PublicationRule::defaults()
    };
    let rules = [local.clone(), law.clone()];
    assert_eq!(PublicationRule::in_force(&rules, "2026-12-31"), Some(&law));
    assert_eq!(
        PublicationRule::in_force(&rules, "2027-01-01"),
        Some(&local)
    );
    assert_eq!(PublicationRule::in_force(&rules, "2018-01-01"), None);
}
