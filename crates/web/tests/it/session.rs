//! Signing in the way a browser does (GET /login, POST the form with its cookie, the TOTP step for
//! administrators), and personal API tokens for the JSON API.

use crate::harness::{App, Call, Jar, Resp, csrf_field};
use jiceng_store::Actor;
use totp_rs::{Algorithm, TOTP};

pub const PASSWORD: &str = jiceng_demo::DEMO_PASSWORD;

/// A browser signed in: its cookies and the session's CSRF token.
#[derive(Debug, Clone)]
pub struct Session {
    pub jar: Jar,
    pub csrf: String,
}

impl Session {
    pub fn get(&self, uri: impl Into<String>) -> Call {
        Call::get(uri).cookies(&self.jar)
    }
    /// A form POST carrying the session's `_csrf` field.
    pub fn post(&self, uri: impl Into<String>, fields: &[(&str, &str)]) -> Call {
        let mut all = vec![("_csrf", self.csrf.as_str())];
        all.extend_from_slice(fields);
        Call::post(uri).cookies(&self.jar).form(&all)
    }
}

/// GET /login: sets the pre-login CSRF cookie in `jar` and returns the form's `_csrf`.
pub async fn open_login(app: &App, jar: &mut Jar) -> String {
    let r = app.send(Call::get("/login").cookies(jar)).await;
    r.expect_page(200, &["name=\"username\"", "name=\"password\""]);
    jar.absorb(&r);
    let field = csrf_field(&r.text()).expect("login form has _csrf");
    assert_eq!(
        jar.get("jiceng_csrf"),
        Some(field.as_str()),
        "pre-login cookie and field"
    );
    field
}

/// POSTs the login form (after GET /login) and keeps whatever cookies come back.
pub async fn submit_login(app: &App, jar: &mut Jar, username: &str, password: &str) -> Resp {
    let csrf = open_login(app, jar).await;
    let r = app
        .send(Call::post("/login").cookies(jar).form(&[
            ("_csrf", &csrf),
            ("next", "/"),
            ("username", username),
            ("password", password),
        ]))
        .await;
    jar.absorb(&r);
    r
}

pub async fn user_id(app: &App, username: &str) -> i64 {
    app.store
        .user_by_name(username)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no account {username}"))
        .id
}

/// The TOTP a phone would show now, computed as crates/store/src/totp.rs checks it.
pub async fn totp_now(app: &App, username: &str) -> String {
    let secret = app
        .store
        .totp_secret(user_id(app, username).await)
        .await
        .unwrap();
    totp(secret, username).generate((app.now() / 1000) as u64)
}

pub fn totp(secret: Vec<u8>, username: &str) -> TOTP {
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        30,
        secret,
        Some("jiceng".into()),
        username.into(),
    )
    .unwrap()
}

/// Posts a code on /login/totp.
pub async fn submit_totp(app: &App, jar: &mut Jar, code: &str) -> Resp {
    let page = app.send(Call::get("/login/totp").cookies(jar)).await;
    page.expect_page(200, &["name=\"code\""]);
    let csrf = csrf_field(&page.text()).expect("totp form has _csrf");
    let r = app
        .send(
            Call::post("/login/totp")
                .cookies(jar)
                .form(&[("_csrf", &csrf), ("code", code)]),
        )
        .await;
    jar.absorb(&r);
    r
}

/// Signs in with the demo password, passing the second factor for administrators.
pub async fn login(app: &App, username: &str) -> Session {
    login_with(app, username, PASSWORD).await
}

pub async fn login_with(app: &App, username: &str, password: &str) -> Session {
    let mut jar = Jar::default();
    let r = submit_login(app, &mut jar, username, password).await;
    r.expect(303);
    assert!(
        jar.get("jiceng_session").is_some(),
        "{username}: no session cookie"
    );
    if r.location().starts_with("/login/totp") {
        // Each code is accepted once: a second login needs the next 30-second step, as on a phone.
        app.clock.advance(30_000);
        let code = totp_now(app, username).await;
        submit_totp(app, &mut jar, &code).await.expect_redirect("/");
    }
    let page = app.send(Call::get("/account").cookies(&jar)).await;
    page.expect_page(200, &[username]);
    let csrf = csrf_field(&page.text()).expect("pages carry the session's _csrf");
    Session { jar, csrf }
}

/// A personal API token for the account, as /account/tokens would make it.
pub async fn token(app: &App, username: &str) -> String {
    let id = user_id(app, username).await;
    app.store
        .create_token(&Actor::cli("test"), id, "tests", app.now())
        .await
        .unwrap()
}

/// One person with both a browser session and an API token.
#[derive(Debug, Clone)]
pub struct Caller {
    pub username: String,
    pub session: Session,
    pub token: String,
}

pub async fn caller(app: &App, username: &str) -> Caller {
    Caller {
        username: username.into(),
        session: login(app, username).await,
        token: token(app, username).await,
    }
}
