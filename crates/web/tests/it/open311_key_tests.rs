//! Open311 POST refused (each of the spec's errors, in both formats, nothing filed), partners'
//! keys: scope, hourly limit, revocation; the body limit and the CSRF exemption.

use crate::fixture::{OTHER_VILLAGE, TOWN, VILLAGE, World};
use crate::harness::{App, Call};
use crate::open311_tests::{expect_error, key, post};
use jiceng_store::sql::Page;
use jiceng_store::{Actor, Scope, Store};

async fn refusals(store: Store) {
    let app = App::new(store);
    World::small(&app).await;
    let k = key(&app, TOWN, 3).await;
    let good = format!(
        "api_key={k}&jurisdiction_id={VILLAGE}&service_code=water&address_string=%E6%9D%91%E5%8F%A3"
    );
    let problems = || async {
        app.store
            .problems(&Scope::All, None, None, Page::new(Some(1), Some(1)))
            .await
            .unwrap()
            .1
    };
    let base = format!("jurisdiction_id={VILLAGE}&service_code=water&address_string=x");
    for (body, status, says) in [
        (base.clone(), 403, "api_key"),
        (format!("api_key=&{base}"), 403, "api_key"),
        (
            format!("api_key=o311_{}&{base}", "0".repeat(64)),
            403,
            "api_key",
        ),
        (
            good.replace(&format!("&jurisdiction_id={VILLAGE}"), ""),
            400,
            "jurisdiction_id",
        ),
        (
            good.replace(VILLAGE, "440403105299"),
            404,
            "jurisdiction_id 440403105299",
        ),
        (good.replace(VILLAGE, TOWN), 400, "村（社区）"),
        (good.replace(VILLAGE, OTHER_VILLAGE), 403, "白蕉某村"),
        (good.replace("&service_code=water", ""), 400, "service_code"),
        (
            good.replace("service_code=water", "service_code=001"),
            404,
            "service_code 001",
        ),
        (
            good.replace("&address_string=%E6%9D%91%E5%8F%A3", ""),
            400,
            "缺少位置",
        ),
        (
            good.replace("&address_string=%E6%9D%91%E5%8F%A3", "&lat=22.2"),
            400,
            "lat 和 long",
        ),
        (
            good.replace("&address_string=%E6%9D%91%E5%8F%A3", "&lat=122.2&long=113"),
            400,
            "lat/long",
        ),
        (
            format!("{good}&description={}", "a".repeat(2001)),
            400,
            "description",
        ),
        (format!("{good}&phone=12345"), 400, "phone"),
        (
            format!("{good}&media_url=javascript:alert(1)"),
            400,
            "media_url",
        ),
    ] {
        for fmt in ["json", "xml"] {
            let r = app
                .send(post(&format!("/open311/v2/requests.{fmt}"), &body))
                .await;
            expect_error(&r, status, says);
        }
    }
    assert_eq!(problems().await, 0);
    // Not a form, or too large: refused in the spec's shape.
    let r = app
        .send(Call::post("/open311/v2/requests.json").raw("application/json", b"{}".to_vec()))
        .await;
    expect_error(&r, 400, "x-www-form-urlencoded");
    let huge = format!("{good}&description={}", "a".repeat(70_000));
    expect_error(
        &app.send(post("/open311/v2/requests.json", &huge)).await,
        413,
        "过大",
    );
    expect_error(
        &app.send(post("/open311/v2/services.json", &good)).await,
        404,
        "not found",
    );
    // A cookie does not make it a CSRF case: the key is the credential.
    let r = app
        .send(post("/open311/v2/requests.json", &good).header("cookie", "jiceng_session=nothing"))
        .await;
    r.expect(200);
    // address_id alone is a location; two more fill the hour; the next waits.
    let by_id = good.replace("address_string=%E6%9D%91%E5%8F%A3", "address_id=A-17");
    app.send(post("/open311/v2/requests.json", &by_id))
        .await
        .expect(200);
    app.send(post("/open311/v2/requests.xml", &good))
        .await
        .expect(200);
    let r = app.send(post("/open311/v2/requests.json", &good)).await;
    expect_error(&r, 429, "每小时最多提交3件");
    assert_eq!(r.header("retry-after"), Some("3600"));
    assert_eq!(problems().await, 3);
    app.clock.advance(3_600_001);
    app.send(post("/open311/v2/requests.json", &good))
        .await
        .expect(200);
    // A revoked key stops at once.
    let keys = app.store.open311_keys().await.unwrap();
    app.store
        .open311_revoke_key(&Actor::cli("test"), keys[0].id, app.now())
        .await
        .unwrap();
    expect_error(
        &app.send(post("/open311/v2/requests.xml", &good)).await,
        403,
        "api_key",
    );
    assert!(
        app.store
            .open311_revoke_key(&Actor::cli("test"), keys[0].id, app.now())
            .await
            .is_err()
    );
    assert_eq!(problems().await, 4);
    // A village-scoped key files only there; a county-scoped one anywhere below.
    let village_key = key(&app, VILLAGE, 10).await;
    let county_key = key(&app, "440403000000", 10).await;
    let other = good.replace(VILLAGE, OTHER_VILLAGE);
    expect_error(
        &app.send(post(
            "/open311/v2/requests.json",
            &other.replace(&k, &village_key),
        ))
        .await,
        403,
        "乾西村",
    );
    app.send(post(
        "/open311/v2/requests.json",
        &other.replace(&k, &county_key),
    ))
    .await
    .expect(200);
    app.send(post(
        "/open311/v2/requests.json",
        &good.replace(&k, &village_key),
    ))
    .await
    .expect(200);
    // The keys themselves are nowhere in the database; the audit chain holds.
    let listed = app.store.open311_keys().await.unwrap();
    assert_eq!(listed.len(), 3);
    assert!(listed.iter().all(|l| l.partner == "随手拍"));
    assert!(
        app.store
            .open311_key_by_secret(&village_key)
            .await
            .unwrap()
            .is_some()
    );
    assert!(matches!(
        app.store.audit_verify().await.unwrap(),
        jiceng_store::audit::Verdict::Intact { .. }
    ));
}
jiceng_store::both_backends!(open311_refusals_keys_scope_and_rate, refusals);
