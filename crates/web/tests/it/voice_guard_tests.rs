//! The resident's pages against misuse and change: the flood guard on anonymous reports, and
//! a village renamed or closed while residents have its form open.

use crate::fixture::{VILLAGE, World};
use crate::harness::{App, Call};
use crate::voice_tests::{Resident, count, multipart};
use jiceng_store::{Scope, Store};
use jiceng_web::WebConfig;

/// The flood guard: an address may file so many reports an hour, then gets a clear 429.
async fn flood(store: Store) {
    let config = WebConfig {
        voice_reports_per_hour: 2,
        ..Default::default()
    };
    let app = App::with_config(store, config);
    World::small(&app).await;
    let (r, _) = Resident::open(&app, &format!("/voice/{VILLAGE}")).await;
    for _ in 0..2 {
        app.send(r.report(&[("category", "other"), ("body", "噪音扰民")], None))
            .await
            .expect_page(200, &["tracking-code"]);
    }
    app.send(r.report(&[("category", "other"), ("body", "噪音扰民")], None))
        .await
        .expect_page(429, &["过于频繁"]);
    assert_eq!(count(&app).await, 2);
    app.clock.advance(61 * 60_000);
    app.send(r.report(&[("category", "other"), ("body", "噪音扰民")], None))
        .await
        .expect_page(200, &["tracking-code"]);
}
jiceng_store::both_backends!(anonymous_reports_are_rate_limited, flood);

/// The resident's pages keep a village they have read for a while (`VILLAGES_FOR`); a rename or
/// a closing made here shows at once: the new name, then 404 and no report filed.
async fn village_changes(store: Store) {
    let app = App::new(store);
    let w = World::small(&app).await;
    let actor = jiceng_store::Actor::cli("test");
    let new = jiceng_store::places::NewPlace {
        parent_id: Some(w.town),
        code: "440403105209".into(),
        name: "乾北村".into(),
    };
    let v = app
        .store
        .create_place(&actor, &Scope::All, new, crate::T0)
        .await
        .unwrap();
    let (r, form) = Resident::open(&app, "/voice/440403105209").await;
    form.expect_page(200, &["乾北村"]);
    app.store
        .rename_place(&actor, &Scope::All, v.id, "乾北社区", crate::T0)
        .await
        .unwrap();
    app.send(Call::get("/voice/440403105209"))
        .await
        .expect_page(200, &["乾北社区"]);
    app.store
        .close_place(&actor, &Scope::All, v.id, crate::T0)
        .await
        .unwrap();
    app.send(Call::get("/voice/440403105209")).await.expect(404);
    let before = count(&app).await;
    let (ct, body) = multipart(&[("body", "路灯不亮")], None);
    let call = Call::post(format!("/voice/440403105209?_csrf={}", r.csrf))
        .cookies(&r.jar)
        .raw(&ct, body);
    app.send(call).await.expect(404);
    assert_eq!(
        count(&app).await,
        before,
        "nothing filed at a closed village"
    );
}
jiceng_store::both_backends!(a_village_renamed_or_closed_shows_at_once, village_changes);
