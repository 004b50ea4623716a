//! The app's import path, two ways. `Direct`: the functions the upload and accept pages call
//! (`AppState::check_roster`, every row checked, nothing written; `AppState::import_roster`, checked
//! again, sealed and written in one transaction), given the file from disk. `Browser`: the real
//! router in-process (no socket), a signed-in town committee account, the file posted as multipart
//! to `/members/import`, then `POST /members/import/{id}/accept`, every middleware and handler on the
//! way; the page takes files up to `MAX_BYTES` only.

use crate::generate::Orgs;
use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use jiceng_domain::OrgKind;
use jiceng_store::bulk::{BulkOrg, BulkPlace, OrgParent};
use jiceng_store::members::MemberFilter;
use jiceng_store::sql::Page;
use jiceng_store::users::{NewUser, User};
use jiceng_store::{Actor, Scope, Sealer, Store, StoreOptions};
use jiceng_web::clock::Clock;
use jiceng_web::{AppState, WebConfig};
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};
use tower::ServiceExt;

const USERNAME: &str = "bench_town";
const PASSWORD: &str = "Bench#2026import";
const HOST: &str = "jiceng.bench";
/// Villages (one branch each) the generated members are spread over.
const VILLAGES: u32 = 10;

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

async fn open(db: &Path) -> Result<Store, String> {
    let url = format!("sqlite://{}", db.display());
    Store::connect(&StoreOptions::new(url), Sealer::new(&[0x5a; 32]))
        .await
        .map_err(err)
}

/// A migrated database with a county, a town, its villages with a branch each, and the account
/// that imports. Returns the organisations the generated files use.
pub async fn template(db: &Path, now: i64) -> Result<Orgs, String> {
    let store = open(db).await?;
    store.migrate().await.map_err(err)?;
    let a = Actor::cli("bench");
    let place = |code: String, name: String| BulkPlace { code, name };
    let mut places = vec![
        place("440403000000".into(), "斗门区".into()),
        place("440403105000".into(), "乾务镇".into()),
    ];
    let mut orgs = Vec::new();
    let mut names = Vec::new();
    for v in 1..=VILLAGES {
        let code = format!("440403105{:03}", 200 + v);
        let name = format!("第{v}村");
        places.push(place(code.clone(), name.clone()));
        orgs.push(BulkOrg {
            parent: OrgParent::Root,
            place_code: code,
            name: format!("{name}党支部"),
            kind: OrgKind::Branch,
            unit_ids: vec![],
        });
        names.push(name);
    }
    let mut bulk = store.bulk().await.map_err(err)?;
    let ids = bulk.places(&places, now).await.map_err(err)?;
    let org_ids = bulk.orgs(&orgs, now).await.map_err(err)?;
    bulk.finish(&a, "440403", now).await.map_err(err)?;
    store.rollup_rebuild().await.map_err(err)?;
    let user = NewUser {
        username: USERNAME.into(),
        display_name: "乾务镇党委".into(),
        password: PASSWORD.into(),
        role: "town_committee".into(),
        place_id: ids[1],
    };
    store
        .create_user(&a, &Scope::All, user, now)
        .await
        .map_err(err)?;
    // Closing the last connection checkpoints the WAL, so the file alone is the whole database.
    store.close().await;
    Ok(Orgs(org_ids.into_iter().zip(names).collect()))
}

async fn members(store: &Store) -> Result<i64, String> {
    let all = MemberFilter {
        include_former: true,
        ..Default::default()
    };
    let (_, n) = store
        .members(&Scope::All, &all, Page::new(Some(1), Some(1)))
        .await
        .map_err(err)?;
    Ok(n)
}

async fn account(store: &Store) -> Result<User, String> {
    Ok(store
        .user_by_name(USERNAME)
        .await
        .map_err(err)?
        .ok_or("no bench account")?)
}

/// The functions the pages call, with the account's actor and scope.
pub struct Direct {
    state: AppState,
    actor: Actor,
    scope: Scope,
}

impl Direct {
    pub async fn open(db: &Path) -> Result<Self, String> {
        let store = open(db).await?;
        let user = account(&store).await?;
        Ok(Self {
            actor: Actor {
                user_id: Some(user.id),
                username: user.username.clone(),
                ip: "127.0.0.1".into(),
                request_id: "bench".into(),
            },
            scope: user.scope(),
            state: AppState::new(store, WebConfig::default(), Clock::System),
        })
    }

    /// The preview: every row checked, nothing written. Returns (data rows, new rows).
    pub async fn check(&self, file: &Path) -> Result<(usize, usize), String> {
        let f = std::io::BufReader::new(std::fs::File::open(file).map_err(err)?);
        let c = self
            .state
            .check_roster(&self.actor, &self.scope, f, "roster.xlsx")
            .await
            .map_err(|e| format!("check: {}", e.messages().1))?;
        match c.problems.first() {
            Some(p) => Err(format!("{} problems, the first: {p:?}", c.problems.len())),
            None => Ok((c.rows, c.new_rows)),
        }
    }

    /// Accepting: checked again, sealed, written in one transaction. Returns the members written.
    pub async fn import(&self, file: &Path) -> Result<usize, String> {
        let f = std::io::BufReader::new(std::fs::File::open(file).map_err(err)?);
        let c = self
            .state
            .import_roster(&self.actor, &self.scope, f, "roster.xlsx")
            .await
            .map_err(|e| format!("import: {}", e.messages().1))?;
        match c.problems.first() {
            Some(p) => Err(format!("{} problems, the first: {p:?}", c.problems.len())),
            None => Ok(c.inserted),
        }
    }

    pub async fn members(&self) -> Result<i64, String> {
        members(&self.state.store).await
    }
}

/// What one import took.
#[derive(Debug, Clone, Copy)]
pub struct Timings {
    pub upload: Duration,
    pub accept: Duration,
    pub members: i64,
}

pub struct Browser {
    router: Router,
    store: Store,
    cookie: String,
    csrf: String,
}

impl Browser {
    /// Opens the database and signs the importing account in (a session, as /login makes one).
    pub async fn sign_in(db: &Path) -> Result<Self, String> {
        let store = open(db).await?;
        let clock = Clock::System;
        let user = account(&store).await?;
        let (token, csrf) = store
            .create_session(user.id, true, "127.0.0.1", clock.now_ms())
            .await
            .map_err(err)?;
        let state = AppState::new(store.clone(), WebConfig::default(), clock);
        Ok(Self {
            router: jiceng_web::router(state),
            store,
            cookie: format!("{}={token}", jiceng_web::auth::SESSION_COOKIE),
            csrf,
        })
    }

    async fn send(
        &self,
        uri: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Result<(StatusCode, String, String), String> {
        let mut req = Request::post(uri)
            .header(header::HOST, HOST)
            .header(header::COOKIE, &self.cookie)
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .map_err(err)?;
        let addr: SocketAddr = ([127, 0, 0, 1], 50_000).into();
        req.extensions_mut().insert(ConnectInfo(addr));
        let res = self.router.clone().oneshot(req).await.map_err(err)?;
        let status = res.status();
        let location = res
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let bytes = res.into_body().collect().await.map_err(err)?.to_bytes();
        Ok((
            status,
            location,
            String::from_utf8_lossy(&bytes).into_owned(),
        ))
    }

    /// Uploads the file as a browser does; returns the accept link of its preview.
    pub async fn upload(&self, file: &Path) -> Result<String, Refused> {
        let boundary = "jicengbench0b7d";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"roster.xlsx\"\r\n\
             Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n"
        )
        .into_bytes();
        body.extend(std::fs::read(file).map_err(|e| Refused::Other(err(e)))?);
        body.extend(format!("\r\n--{boundary}--\r\n").into_bytes());
        let uri = format!("/members/import?_csrf={}", self.csrf);
        let ct = format!("multipart/form-data; boundary={boundary}");
        let (status, _, html) = self.send(&uri, &ct, body).await.map_err(Refused::Other)?;
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            return Err(Refused::TooLarge);
        }
        let text: String = html.chars().take(800).collect();
        if status != StatusCode::OK {
            return Err(Refused::Other(format!("upload answered {status}: {text}")));
        }
        html.find("/members/import/")
            .map(|start| {
                html[start..]
                    .chars()
                    .take_while(|c| *c != '"')
                    .collect::<String>()
            })
            .filter(|l| l.ends_with("/accept"))
            .ok_or_else(|| Refused::Other(format!("no accept form in the preview: {text}")))
    }

    pub async fn accept(&self, link: &str) -> Result<(), String> {
        let body = format!("_csrf={}", self.csrf).into_bytes();
        let (status, location, html) = self
            .send(link, "application/x-www-form-urlencoded", body)
            .await?;
        if status != StatusCode::SEE_OTHER || !location.starts_with("/members?notice=imported") {
            let text: String = html.chars().take(800).collect();
            return Err(format!("accept answered {status} {location}: {text}"));
        }
        Ok(())
    }

    pub async fn members(&self) -> Result<i64, String> {
        members(&self.store).await
    }
}

/// Why the browser's way did not get through.
#[derive(Debug)]
pub enum Refused {
    /// 413: the file is over the upload limit.
    TooLarge,
    Other(String),
}

/// Upload then accept, each timed; `between` runs after the upload (the caller resets its peak).
pub async fn import(b: &Browser, file: &Path, between: impl FnOnce()) -> Result<Timings, Refused> {
    let t = Instant::now();
    let link = b.upload(file).await?;
    let upload = t.elapsed();
    between();
    let t = Instant::now();
    b.accept(&link).await.map_err(Refused::Other)?;
    let accept = t.elapsed();
    Ok(Timings {
        upload,
        accept,
        members: b.members().await.map_err(Refused::Other)?,
    })
}
