//! Signing in: passwords, the lockout after five failures, idle sessions, the administrators'
//! second factor, and CSRF on every state-changing request.

use crate::fixture::World;
use crate::harness::{App, Call, Jar, MINUTE, csrf_field};
use crate::session::{PASSWORD, login, submit_login, submit_totp, token, totp, user_id};
use jiceng_store::{Scope, Store};
use serde_json::json;

const BAD: &str = "用户名或密码不正确";
const LOCKED: &str = "已锁定";

async fn login_and_lockout(store: Store) {
    let app = App::new(store);
    let w = World::small(&app).await;

    // The right password: a session, and home is the account's own place.
    let s = login(&app, "village_committee").await;
    let home = app.send(s.get("/")).await;
    home.expect_redirect(&format!("/places/{}", w.village));
    let page = app.send(s.get(home.location())).await;
    page.expect_page(200, &["乾西村", "村（社区）两委（演示）"]);

    // Unknown account and wrong password look the same.
    let mut jar = Jar::default();
    let r = submit_login(&app, &mut jar, "nobody_here", PASSWORD).await;
    r.expect_page(401, &[BAD]);
    assert!(jar.get("jiceng_session").is_none());

    // Four failures: the same message; the fifth locks.
    for _ in 0..4 {
        let r = submit_login(&app, &mut jar, "town_committee", "Wrong#2026").await;
        r.expect_page(401, &[BAD, "value=\"town_committee\""]);
    }
    let r = submit_login(&app, &mut jar, "town_committee", "Wrong#2026").await;
    r.expect_page(401, &[LOCKED, "15"]);
    // Locked: even the right password is refused, for 15 minutes.
    let r = submit_login(&app, &mut jar, "town_committee", PASSWORD).await;
    r.expect_page(401, &[LOCKED]);
    assert!(
        jar.get("jiceng_session").is_none(),
        "a locked account got a session"
    );
    app.clock.advance(14 * MINUTE);
    submit_login(&app, &mut jar, "town_committee", PASSWORD)
        .await
        .expect_page(401, &[LOCKED]);
    app.clock.advance(MINUTE);
    let s = login(&app, "town_committee").await;
    app.send(s.get(format!("/places/{}", w.town)))
        .await
        .expect_page(200, &["乾务镇"]);
    // Another account was never affected.
    login(&app, "district_org").await;

    // Logging out ends the session.
    app.send(s.get("/logout")).await.expect(405);
    let r = app
        .send(
            Call::post("/logout")
                .cookies(&s.jar)
                .form(&[("_csrf", &s.csrf)]),
        )
        .await;
    r.expect_redirect("/login");
    app.send(s.get("/account")).await.expect_redirect("/login");
}
jiceng_store::both_backends!(login_and_lockout_work, login_and_lockout);

async fn idle_timeout(store: Store) {
    let app = App::new(store);
    let w = World::small(&app).await;
    let s = login(&app, "town_committee").await;
    let place = format!("/places/{}", w.town);
    // Activity keeps the session alive well past 30 minutes in all.
    for _ in 0..3 {
        app.clock.advance(25 * MINUTE);
        app.send(s.get(&place)).await.expect_page(200, &["乾务镇"]);
    }
    // 31 minutes without a request: gone, back to the login page (and the API says 401).
    app.clock.advance(31 * MINUTE);
    let r = app.send(s.get(&place)).await;
    r.expect_redirect("/login?");
    assert!(
        r.location().contains("next=%2Fplaces%2F"),
        "{}",
        r.location()
    );
    // The login page says why.
    let login = app.send(Call::get(r.location()).cookies(&s.jar)).await;
    login.expect_page(200, &["会话已过期"]);
    let api = app.send(Call::get("/api/v1/me").cookies(&s.jar)).await;
    api.expect_api_error(401, "unauthorized");
    // Gone for good, not just for one request.
    app.send(s.get(&place)).await.expect_redirect("/login");
}
jiceng_store::both_backends!(idle_sessions_end, idle_timeout);

async fn second_factor(store: Store) {
    let app = App::new(store);
    World::small(&app).await;
    let mut jar = Jar::default();
    let r = submit_login(&app, &mut jar, "sys_admin", PASSWORD).await;
    r.expect_redirect("/login/totp");
    // The password alone opens nothing.
    app.send(Call::get("/users").cookies(&jar))
        .await
        .expect_redirect("/login/totp");
    app.send(Call::get("/api/v1/me").cookies(&jar))
        .await
        .expect_api_error(401, "unauthorized");
    // First time: the page shows the key to enrol; the code a phone computes from it works.
    let page = app.send(Call::get("/login/totp").cookies(&jar)).await;
    page.expect_page(200, &["name=\"code\"", "otpauth://totp/"]);
    let html = page.text();
    let key = html
        .split("<code class=\"secret\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap();
    let secret = totp_rs::Secret::Encoded(key.to_string())
        .to_bytes()
        .unwrap();
    assert_eq!(
        secret,
        app.store
            .totp_secret(user_id(&app, "sys_admin").await)
            .await
            .unwrap()
    );
    let tp = totp(secret, "sys_admin");
    let now = (app.now() / 1000) as u64;
    let good = tp.generate(now);
    let mut wrong = (good.parse::<u32>().unwrap() + 1) % 1_000_000;
    while tp.check(&format!("{wrong:06}"), now) {
        wrong = (wrong + 1) % 1_000_000;
    }
    let r = submit_totp(&app, &mut jar, &format!("{wrong:06}")).await;
    r.expect_page(401, &["动态口令不正确或已过期"]);
    app.send(Call::get("/users").cookies(&jar))
        .await
        .expect_redirect("/login/totp");
    submit_totp(&app, &mut jar, &good)
        .await
        .expect_redirect("/");
    let users = app.send(Call::get("/users").cookies(&jar)).await;
    users.expect_page(200, &["sys_admin", "新增账号"]);
    // Enrolled: the next login asks for a code but no longer shows the key.
    let mut jar2 = Jar::default();
    submit_login(&app, &mut jar2, "sys_admin", PASSWORD)
        .await
        .expect_redirect("/login/totp");
    let page = app.send(Call::get("/login/totp").cookies(&jar2)).await;
    page.expect_page(200, &["name=\"code\""]);
    assert!(
        !page.text().contains("class=\"secret\""),
        "the key is shown again"
    );
    // A code works once: replaying the one just used is refused.
    submit_totp(&app, &mut jar2, &good)
        .await
        .expect_page(401, &["动态口令不正确或已过期"]);
    // Wrong codes count like wrong passwords: the fifth failure in a row locks the account.
    for _ in 0..3 {
        submit_totp(&app, &mut jar2, &format!("{wrong:06}"))
            .await
            .expect(401);
    }
    submit_totp(&app, &mut jar2, &format!("{wrong:06}"))
        .await
        .expect_page(401, &["已锁定"]);
    submit_login(&app, &mut Jar::default(), "sys_admin", PASSWORD)
        .await
        .expect_page(401, &["已锁定"]);
}
jiceng_store::both_backends!(administrators_need_a_second_factor, second_factor);

async fn csrf(store: Store) {
    let app = App::new(store);
    let w = World::small(&app).await;
    let s = login(&app, "town_committee").await;
    let path = format!("/places/{}/rename", w.village);
    let before = app.audit_len().await;
    let form = |token: Option<&str>| {
        let mut f = vec![("name", "被伪造的名字")];
        if let Some(t) = token {
            f.push(("_csrf", t));
        }
        Call::post(&path).cookies(&s.jar).form(&f)
    };
    let refused = [
        ("no token", form(None)),
        ("wrong token", form(Some(&"0".repeat(64)))),
        (
            "pre-login token",
            form(Some(s.jar.get("jiceng_csrf").unwrap_or("x"))),
        ),
        (
            "cross-site",
            form(Some(&s.csrf)).header("sec-fetch-site", "cross-site"),
        ),
        (
            "foreign origin",
            form(Some(&s.csrf)).header("origin", "https://evil.example"),
        ),
        ("null origin", form(Some(&s.csrf)).header("origin", "null")),
    ];
    for (what, call) in refused {
        let r = app.send(call).await;
        assert_eq!(r.status.as_u16(), 403, "{what}: {}", r.snippet());
        r.expect_page(403, &["页面已过期或来源不明"]);
    }
    assert_eq!(name_of(&app, w.village).await, "乾西村");
    assert_eq!(
        app.audit_len().await,
        before,
        "a refused request wrote to the audit log"
    );
    // The same form from our own origin passes.
    let r = app
        .send(form(Some(&s.csrf)).header("origin", format!("http://{}", crate::harness::HOST)))
        .await;
    r.expect_redirect(&format!("/places/{}", w.village));
    assert_eq!(name_of(&app, w.village).await, "被伪造的名字");

    // The login form itself needs the pre-login token.
    let r = app
        .send(Call::post("/login").form(&[("username", "town_committee"), ("password", PASSWORD)]))
        .await;
    r.expect(403);

    // API: a bearer token carries no ambient credential and needs no CSRF token…
    let api = format!("/api/v1/places/{}", w.village);
    let tok = token(&app, "town_committee").await;
    let r = app
        .send(
            Call::new("PATCH", &api)
                .bearer(&tok)
                .json(&json!({"name": "令牌改名"})),
        )
        .await;
    r.expect(200);
    assert_eq!(r.json()["name"], "令牌改名");
    // …but the session cookie does: X-CSRF-Token.
    let patch = |name: &str| {
        Call::new("PATCH", &api)
            .cookies(&s.jar)
            .json(&json!({"name": name}))
    };
    app.send(patch("会话改名"))
        .await
        .expect_api_error(403, "csrf.invalid");
    app.send(patch("会话改名").header("x-csrf-token", "f".repeat(64)))
        .await
        .expect_api_error(403, "csrf.invalid");
    app.send(
        patch("会话改名")
            .header("x-csrf-token", &s.csrf)
            .header("sec-fetch-site", "cross-site"),
    )
    .await
    .expect_api_error(403, "csrf.invalid");
    assert_eq!(name_of(&app, w.village).await, "令牌改名");
    let r = app
        .send(patch("会话改名").header("x-csrf-token", &s.csrf))
        .await;
    r.expect(200);
    assert_eq!(name_of(&app, w.village).await, "会话改名");
    // A bogus bearer header next to the session cookie buys nothing: no CSRF exemption for the
    // cookie, which is then not used at all.
    let junk = "jct_0000";
    app.send(form(None).bearer(junk))
        .await
        .expect_redirect("/login");
    app.send(patch("伪令牌改名").bearer(junk))
        .await
        .expect_api_error(401, "unauthorized");
    assert_eq!(name_of(&app, w.village).await, "会话改名");
    // The token a page shows is the one the session expects.
    let page = app.send(s.get(format!("/places/{}", w.village))).await;
    assert_eq!(csrf_field(&page.text()).as_deref(), Some(s.csrf.as_str()));
}
jiceng_store::both_backends!(csrf_is_enforced, csrf);

async fn name_of(app: &App, place: i64) -> String {
    app.store.place(&Scope::All, place).await.unwrap().name
}

/// A redirect target a visitor can influence stays a path on this site: no `//host`, no `/\host`
/// (browsers read `\` as `/`), no control characters (a tab is dropped, a newline splits headers).
fn is_local(location: &str) -> bool {
    location.starts_with('/')
        && !location.starts_with("//")
        && !location.starts_with("/\\")
        && !location.chars().any(|c| c.is_control())
        && !location.replace(['\t', '\n', '\r'], "").starts_with("//")
}

const SNEAKY: [&str; 5] = [
    "//evil.example/",
    "/%5Cevil.example/",
    "/%5C%5Cevil.example/",
    "/%09/evil.example/",
    "/%0D%0ASet-Cookie:%20jiceng_session=x",
];

async fn redirects(store: Store) {
    let app = App::new(store);
    World::small(&app).await;
    let mut problems = Vec::new();
    // The language switch.
    for back in SNEAKY {
        let r = app
            .send_raw(Call::get(format!("/lang/en?back={back}")))
            .await;
        let loc = r.header("location").unwrap_or("(none)");
        if !r.status.is_redirection() || !is_local(loc) {
            problems.push(format!("/lang/en?back={back} → {} {loc:?}", r.status));
        }
    }
    // The page after login.
    for next in SNEAKY {
        let mut jar = Jar::default();
        let csrf = crate::session::open_login(&app, &mut jar).await;
        let form = format!(
            "_csrf={csrf}&username=town_committee&password={}&next={next}",
            PASSWORD.replace('#', "%23")
        );
        let call = Call::post("/login")
            .cookies(&jar)
            .raw("application/x-www-form-urlencoded", form.into_bytes());
        let r = app.send_raw(call).await;
        let loc = r.header("location").unwrap_or("(none)");
        if !r.status.is_redirection() || !is_local(loc) {
            problems.push(format!("login with next={next} → {} {loc:?}", r.status));
        }
    }
    assert!(
        problems.is_empty(),
        "redirects leave the site:\n{}",
        problems.join("\n")
    );
}
jiceng_store::both_backends!(redirects_stay_on_the_site, redirects);
