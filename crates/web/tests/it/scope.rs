//! Data scope, the rule every endpoint must keep: a caller sees and changes only its own subtree.
//!
//! The two helpers below are meant to be used for every new endpoint, one line each:
//!
//! ```ignore
//! assert_scoped(&app, &town, "GET", "/places/{id}", w.village, w.other_village).await;
//! assert_scoped_with(&app, &town, "POST", "/api/v1/units/{id}/close", mine, theirs, Payload::None).await;
//! assert_list_confined(&app, &town, "/api/v1/units", &outside).await;
//! ```
//!
//! Paths under /api are called with the caller's bearer token and must answer JSON
//! `{"code":"not_found",…}`; other paths with its browser session (and `_csrf` on writes) and must
//! answer the 404 page. A refused write must leave every record and the audit log as they were.

use crate::harness::{App, Call, Resp, XLSX, next_link, table_rows, unescape, xlsx_cells};
use crate::session::Caller;
use jiceng_store::members::{Member, MemberFilter};
use jiceng_store::orgs::{Org, OrgFilter};
use jiceng_store::places::{Place, PlaceFilter};
use jiceng_store::sql::Page;
use jiceng_store::units::{Unit, UnitFilter};
use jiceng_store::users::{User, UserFilter};
use jiceng_store::{Scope, Store};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// What a write sends: a form (pages; `_csrf` is added), JSON (API), or nothing.
#[derive(Debug, Clone)]
pub enum Payload<'a> {
    None,
    Form(&'a [(&'a str, &'a str)]),
    Json(Value),
}

fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

/// The request `who` would make: bearer token for the API, session cookie (+ `_csrf`) for pages.
pub fn call_as(who: &Caller, method: &str, path: &str, payload: &Payload) -> Call {
    let call = if is_api(path) {
        Call::new(method, path).bearer(&who.token)
    } else {
        Call::new(method, path).cookies(&who.session.jar)
    };
    match payload {
        Payload::Json(v) => call.json(v),
        Payload::Form(fields) => {
            let mut all = vec![("_csrf", who.session.csrf.as_str())];
            all.extend_from_slice(fields);
            call.form(&all)
        }
        Payload::None if method != "GET" && !is_api(path) => {
            call.form(&[("_csrf", who.session.csrf.as_str())])
        }
        Payload::None => call,
    }
}

/// The "not yours" answer: JSON 404 `not_found` for the API, the 404 page otherwise.
pub fn expect_not_found(r: &Resp, path: &str) {
    if is_api(path) {
        r.expect_api_error(404, "not_found");
    } else {
        r.expect_page(404, &["找不到该记录，或您无权查看"]);
    }
}

/// GET (or a body-less write) of `template` with `{id}` = `own` answers, with `other` is 404.
pub async fn assert_scoped(
    app: &App,
    who: &Caller,
    method: &str,
    template: &str,
    own: i64,
    other: i64,
) {
    assert_scoped_with(app, who, method, template, own, other, Payload::None).await;
}

/// As `assert_scoped`, with a body. Writes: `other` first (404, nothing changed), then `own`
/// (must succeed: 2xx, or the 303 after a form).
pub async fn assert_scoped_with(
    app: &App,
    who: &Caller,
    method: &str,
    template: &str,
    own: i64,
    other: i64,
    payload: Payload<'_>,
) {
    let path = |id: i64| template.replace("{id}", &id.to_string());
    let theirs = path(other);
    if method == "GET" {
        let r = app.send(call_as(who, method, &theirs, &payload)).await;
        expect_not_found(&r, &theirs);
    } else {
        assert_refused(app, who, method, &theirs, payload.clone(), 404).await;
    }
    let mine = path(own);
    let r = app.send(call_as(who, method, &mine, &payload)).await;
    assert!(
        r.status.is_success() || (r.status.is_redirection() && method != "GET"),
        "{} {mine} as {}: own record should answer, got {}: {}",
        method,
        who.username,
        r.status,
        r.snippet()
    );
    if is_api(&mine) && method == "GET" && !template.contains('?') {
        assert_eq!(r.json()["id"], own, "{mine}: another record came back");
    }
}

/// A write that must be refused with `status` and leave everything as it was.
pub async fn assert_refused(
    app: &App,
    who: &Caller,
    method: &str,
    path: &str,
    payload: Payload<'_>,
    status: u16,
) -> Resp {
    let before = fingerprint(&app.store).await;
    let tried = audit_count(&app.store, Some("refused")).await;
    let r = app.send(call_as(who, method, path, &payload)).await;
    if status == 404 {
        expect_not_found(&r, path);
    } else {
        r.expect(status);
    }
    assert!(
        before == fingerprint(&app.store).await,
        "{method} {path} as {}: refused with {status} but something changed",
        who.username
    );
    // A rule's refusal is on file as an attempt; a 404 or 403 reveals and records nothing.
    let on_file = audit_count(&app.store, Some("refused")).await - tried;
    assert_eq!(
        on_file,
        i64::from(status == 422),
        "{method} {path} as {}: refused attempts on file",
        who.username
    );
    r
}

/// Every record, closed ones included, read around scope.
pub struct Everything {
    pub places: Vec<Place>,
    pub orgs: Vec<Org>,
    pub units: Vec<Unit>,
    pub users: Vec<User>,
    pub members: Vec<Member>,
}

pub async fn everything(store: &Store) -> Everything {
    let page = |n: i64| Page::new(Some(n), Some(500));
    let (mut places, mut orgs, mut units, mut users) = (vec![], vec![], vec![], vec![]);
    let pf = PlaceFilter {
        include_closed: true,
        ..Default::default()
    };
    let of = OrgFilter {
        include_closed: true,
        ..Default::default()
    };
    let uf = UnitFilter {
        include_closed: true,
        ..Default::default()
    };
    for n in 1.. {
        let (batch, total) = store.places(&Scope::All, &pf, page(n)).await.unwrap();
        places.extend(batch);
        if places.len() as i64 >= total {
            break;
        }
    }
    for n in 1.. {
        let (batch, total) = store.orgs(&Scope::All, &of, page(n)).await.unwrap();
        orgs.extend(batch);
        if orgs.len() as i64 >= total {
            break;
        }
    }
    for n in 1.. {
        let (batch, total) = store.units(&Scope::All, &uf, page(n)).await.unwrap();
        units.extend(batch);
        if units.len() as i64 >= total {
            break;
        }
    }
    for n in 1.. {
        let (batch, total) = store
            .users(&Scope::All, &UserFilter::default(), page(n))
            .await
            .unwrap();
        users.extend(batch);
        if users.len() as i64 >= total {
            break;
        }
    }
    let mut members = vec![];
    let mf = MemberFilter {
        include_former: true,
        ..Default::default()
    };
    for n in 1.. {
        let (batch, total) = store.members(&Scope::All, &mf, page(n)).await.unwrap();
        members.extend(batch);
        if members.len() as i64 >= total {
            break;
        }
    }
    Everything {
        places,
        orgs,
        units,
        users,
        members,
    }
}

/// The state a refused write must not touch: every record (members with their masked values) and
/// the length of the audit log.
pub async fn fingerprint(store: &Store) -> String {
    let e = everything(store).await;
    // Refused attempts are on file by design; anything else in the log is a change.
    let audit = audit_count(store, None).await - audit_count(store, Some("refused")).await;
    serde_json::json!([e.places, e.orgs, e.units, e.users, e.members, audit]).to_string()
}

/// Entries in the audit log, all or of one action.
pub async fn audit_count(store: &Store, action: Option<&str>) -> i64 {
    let f = jiceng_store::audit::AuditFilter {
        action: action.map(str::to_string),
        ..Default::default()
    };
    store
        .audit_list(&f, Page::new(Some(1), Some(1)))
        .await
        .unwrap()
        .1
}

/// What a caller confined to one subtree must never be shown: the codes, names and ids of every
/// record outside it, members' names and masked ID and phone numbers included (values that also
/// occur inside are left out, they prove nothing).
#[derive(Debug, Default)]
pub struct Foreign {
    pub prefix: String,
    pub values: BTreeSet<String>,
    pub ids: BTreeMap<&'static str, BTreeSet<i64>>,
}

impl Foreign {
    /// Everything outside the subtree of place `own_place`.
    pub async fn outside(store: &Store, own_place: i64) -> Foreign {
        let prefix = store.place(&Scope::All, own_place).await.unwrap().prefix();
        let e = everything(store).await;
        let mut out = Foreign {
            prefix: prefix.clone(),
            ..Default::default()
        };
        let mut inside = BTreeSet::new();
        let mut add = |code: &str, kind: &'static str, id: i64, vals: Vec<String>| {
            if code.starts_with(&prefix) {
                inside.extend(vals);
            } else {
                out.ids.entry(kind).or_default().insert(id);
                out.values.extend(vals);
            }
        };
        for p in &e.places {
            add(
                &p.code,
                "places",
                p.id,
                vec![p.code.clone(), p.name.clone()],
            );
        }
        for o in &e.orgs {
            add(&o.place_code, "orgs", o.id, vec![o.name.clone()]);
        }
        for u in &e.units {
            let mut v = vec![u.name.clone()];
            v.extend(u.credit_code.clone());
            add(&u.place_code, "units", u.id, v);
        }
        for u in &e.users {
            let v = vec![u.username.clone(), u.display_name.clone()];
            add(&u.place_code, "users", u.id, v);
        }
        for m in &e.members {
            let mut v = vec![m.name.clone(), m.id_masked.clone()];
            v.extend(m.phone_masked.clone());
            add(&m.place_code, "members", m.id, v);
        }
        out.values.retain(|v| !inside.contains(v));
        assert!(
            !out.values.is_empty(),
            "nothing outside {prefix}: the check would be empty"
        );
        out
    }

    fn check_html(&self, html: &str, what: &str) {
        let texts: BTreeSet<String> = html
            .split('<')
            .filter_map(|s| s.split_once('>').map(|(_, t)| unescape(t.trim())))
            .filter(|t| !t.is_empty())
            .collect();
        let hrefs: BTreeSet<String> = html
            .split("href=\"")
            .skip(1)
            .filter_map(|s| s.split('"').next().map(unescape))
            .collect();
        if let Some(v) = self.values.intersection(&texts).next() {
            panic!("{what}: shows {v:?}, which lies outside {}", self.prefix);
        }
        for (kind, ids) in &self.ids {
            for id in ids {
                let link = format!("/{kind}/{id}");
                assert!(
                    !hrefs.contains(&link),
                    "{what}: links to {link}, outside {}",
                    self.prefix
                );
            }
        }
    }

    fn check_json(&self, v: &Value, kind: Option<&str>, what: &str) {
        match v {
            Value::String(s) => assert!(
                !self.values.contains(s),
                "{what}: returns {s:?}, which lies outside {}",
                self.prefix
            ),
            Value::Array(a) => a.iter().for_each(|x| self.check_json(x, kind, what)),
            Value::Object(o) => {
                if let (Some(kind), Some(id)) = (kind, o.get("id").and_then(Value::as_i64)) {
                    let ids = self.ids.get(kind).cloned().unwrap_or_default();
                    assert!(
                        !ids.contains(&id),
                        "{what}: returns {kind} #{id}, outside {}",
                        self.prefix
                    );
                }
                o.values().for_each(|x| self.check_json(x, None, what));
            }
            _ => {}
        }
    }
}

/// A list (page, xlsx export or API list) shows at least one row and nothing from `foreign`.
/// Pages are followed through their "next" links, API lists through `page`.
pub async fn assert_list_confined(app: &App, who: &Caller, path: &str, foreign: &Foreign) {
    let rows = assert_list_excludes(app, who, path, foreign).await;
    assert!(
        rows > 0,
        "{path} as {}: an empty list proves nothing",
        who.username
    );
}

/// As `assert_list_confined` without requiring rows (e.g. a search for another town's name);
/// returns the number of rows seen.
pub async fn assert_list_excludes(app: &App, who: &Caller, path: &str, foreign: &Foreign) -> usize {
    let what = |p: &str| format!("GET {p} as {}", who.username);
    let sep = if path.contains('?') { '&' } else { '?' };
    if is_api(path) {
        let kind = ["places", "orgs", "units", "users", "members"]
            .into_iter()
            .find(|k| path.contains(&format!("/api/v1/{k}")));
        let mut seen = 0;
        for n in 1.. {
            let p = format!("{path}{sep}page={n}&per_page=200");
            let r = app.send(call_as(who, "GET", &p, &Payload::None)).await;
            r.expect(200);
            let v = r.json();
            let items = v["items"]
                .as_array()
                .unwrap_or_else(|| panic!("{p}: no items: {v}"));
            foreign.check_json(&v["items"], kind, &what(&p));
            seen += items.len();
            if items.is_empty() || seen as i64 >= v["total"].as_i64().unwrap() {
                return seen;
            }
        }
        unreachable!()
    } else if path.contains(".xlsx") {
        let r = app.send(call_as(who, "GET", path, &Payload::None)).await;
        r.expect(200);
        assert_eq!(r.content_type(), XLSX, "{}", what(path));
        let cells = xlsx_cells(&r.body);
        for cell in cells.iter().flatten() {
            assert!(
                !foreign.values.contains(cell),
                "{}: exports {cell:?}, which lies outside {}",
                what(path),
                foreign.prefix
            );
        }
        cells.len().saturating_sub(1)
    } else {
        let mut seen = 0;
        let mut visited = BTreeSet::new();
        let mut next = Some(path.to_string());
        while let Some(p) = next {
            assert!(visited.insert(p.clone()), "{}: the pager loops", what(&p));
            let r = app.send(call_as(who, "GET", &p, &Payload::None)).await;
            r.expect_page(200, &[]);
            let html = r.text();
            foreign.check_html(&html, &what(&p));
            seen += table_rows(&html);
            next = next_link(&html);
        }
        seen
    }
}
