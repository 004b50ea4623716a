//! Driving the router in-process: requests (`Call`), answers (`Resp`), a cookie jar, and the few
//! bits of HTML reading the tests need. No socket: every request goes through `oneshot`.

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use jiceng_store::Store;
use jiceng_store::audit::AuditFilter;
use jiceng_store::sql::Page;
use jiceng_web::clock::Clock;
use jiceng_web::{AppState, WebConfig};
use serde_json::Value;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use tower::ServiceExt;

/// The Host every request carries, as a browser would.
pub const HOST: &str = "jiceng.test";
/// The client address the tests connect from (shows up in audit entries).
pub const CLIENT_IP: &str = "10.20.30.40";
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
pub const MINUTE: i64 = 60_000;

#[derive(Clone)]
pub struct App {
    pub router: Router,
    pub store: Store,
    pub clock: Clock,
}

impl App {
    pub fn new(store: Store) -> Self {
        Self::with_config(store, WebConfig::default())
    }

    pub fn with_config(store: Store, config: WebConfig) -> Self {
        let clock = Clock::manual(crate::T0);
        let state = AppState::new(store.clone(), config, clock.clone());
        Self {
            router: jiceng_web::router(state),
            store,
            clock,
        }
    }

    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Sends a request; a 500 (a panic or an internal error) fails the test at once.
    pub async fn send(&self, call: Call) -> Resp {
        let r = self.send_raw(call).await;
        assert!(
            r.status != StatusCode::INTERNAL_SERVER_ERROR,
            "{}: 500 (a panic or an internal error): {}",
            r.what,
            r.snippet()
        );
        r
    }

    /// Sends a request and returns whatever comes back, 500 included.
    pub async fn send_raw(&self, call: Call) -> Resp {
        let what = format!("{} {}", call.method, call.uri);
        let mut b = Request::builder()
            .method(call.method)
            .uri(&call.uri)
            .header(header::HOST, HOST);
        for (k, v) in &call.headers {
            b = b.header(k.as_str(), v.as_str());
        }
        let mut req = b.body(Body::from(call.body)).unwrap();
        let addr: SocketAddr = format!("{CLIENT_IP}:50000").parse().unwrap();
        req.extensions_mut().insert(ConnectInfo(addr));
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
        Resp {
            status,
            headers,
            body,
            what,
        }
    }

    /// Number of audit entries: every change writes one, so an unchanged count means nothing changed.
    pub async fn audit_len(&self) -> i64 {
        let (_, n) = self
            .store
            .audit_list(&AuditFilter::default(), Page::new(Some(1), Some(1)))
            .await
            .unwrap();
        n
    }
}

/// A request under construction.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: Method,
    pub uri: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Call {
    pub fn new(method: &str, uri: impl Into<String>) -> Self {
        Self {
            method: Method::from_bytes(method.as_bytes()).unwrap(),
            uri: uri.into(),
            headers: vec![],
            body: vec![],
        }
    }
    pub fn get(uri: impl Into<String>) -> Self {
        Self::new("GET", uri)
    }
    pub fn post(uri: impl Into<String>) -> Self {
        Self::new("POST", uri)
    }
    pub fn header(mut self, k: &str, v: impl Into<String>) -> Self {
        self.headers.push((k.to_string(), v.into()));
        self
    }
    pub fn cookies(self, jar: &Jar) -> Self {
        match jar.header() {
            Some(h) => self.header("cookie", h),
            None => self,
        }
    }
    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", format!("Bearer {token}"))
    }
    pub fn form(self, pairs: &[(&str, &str)]) -> Self {
        let body = serde_urlencoded::to_string(pairs).unwrap();
        self.raw("application/x-www-form-urlencoded", body.into_bytes())
    }
    pub fn json(self, v: &Value) -> Self {
        self.raw("application/json", v.to_string().into_bytes())
    }
    pub fn raw(mut self, content_type: &str, body: Vec<u8>) -> Self {
        self.body = body;
        self.header("content-type", content_type)
    }
}

/// A whole answer, body read.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub what: String,
}

impl Resp {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn snippet(&self) -> String {
        let t = self.text();
        let from = t.find("<main").unwrap_or(0);
        t[from..].chars().take(900).collect()
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{}: not JSON ({e}): {}", self.what, self.snippet()))
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    pub fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or("")
    }
    pub fn location(&self) -> &str {
        self.header("location")
            .unwrap_or_else(|| panic!("{}: no Location ({})", self.what, self.status))
    }
    /// The value a Set-Cookie gives `name`, if any.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|c| c.split(';').next()?.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    }

    pub fn expect(&self, status: u16) -> &Self {
        assert_eq!(
            self.status.as_u16(),
            status,
            "{}: expected {status}, got {}: {}",
            self.what,
            self.status,
            self.snippet()
        );
        self
    }

    /// A redirect (303) to a location starting with `to`.
    pub fn expect_redirect(&self, to: &str) -> &Self {
        assert!(
            self.status.is_redirection() && self.location().starts_with(to),
            "{}: expected a redirect to {to}, got {} {:?}: {}",
            self.what,
            self.status,
            self.header("location"),
            self.snippet()
        );
        self
    }

    /// An HTML page with this status containing every one of `needles`.
    pub fn expect_page(&self, status: u16, needles: &[&str]) -> &Self {
        self.expect(status);
        assert!(
            self.content_type().starts_with("text/html"),
            "{}: not HTML: {}",
            self.what,
            self.content_type()
        );
        let t = self.text();
        for n in needles {
            assert!(t.contains(n), "{}: page lacks {n:?}: {}", self.what, t);
        }
        self
    }

    /// The API error shape: `{"code","message"}` with this status and code.
    pub fn expect_api_error(&self, status: u16, code: &str) -> Value {
        self.expect(status);
        assert!(
            self.content_type().starts_with("application/json"),
            "{}: error is not JSON: {}",
            self.what,
            self.content_type()
        );
        let v = self.json();
        assert_eq!(v["code"], code, "{}: {v}", self.what);
        assert!(
            v["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{}: no message: {v}",
            self.what
        );
        v
    }
}

/// Cookies a browser would keep.
#[derive(Debug, Clone, Default)]
pub struct Jar(pub BTreeMap<String, String>);

impl Jar {
    pub fn header(&self) -> Option<String> {
        (!self.0.is_empty()).then(|| {
            self.0
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
    /// Applies every Set-Cookie of a response (an empty value or Max-Age=0 deletes).
    pub fn absorb(&mut self, r: &Resp) {
        for c in r.headers.get_all(header::SET_COOKIE) {
            let c = c.to_str().unwrap();
            let Some((k, v)) = c.split(';').next().and_then(|kv| kv.trim().split_once('=')) else {
                continue;
            };
            if v.is_empty() || c.contains("Max-Age=0") {
                self.0.remove(k);
            } else {
                self.0.insert(k.to_string(), v.to_string());
            }
        }
    }
}

/// Undoes askama's HTML escaping (named and numeric entities) in attribute values and text.
pub fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest.find(';').filter(|e| *e <= 8);
        let decoded = end.and_then(|e| match &rest[1..e] {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            n if n.starts_with("#x") => u32::from_str_radix(&n[2..], 16)
                .ok()
                .and_then(char::from_u32),
            n if n.starts_with('#') => n[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        });
        match (decoded, end) {
            (Some(c), Some(e)) => {
                out.push(c);
                rest = &rest[e + 1..];
            }
            _ => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The value of the first `name="_csrf"` hidden field.
pub fn csrf_field(html: &str) -> Option<String> {
    let marker = "name=\"_csrf\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(unescape(&html[start..end])).filter(|v| !v.is_empty())
}

/// The total a list page's pager shows (「共 N · 1/2」 / "Total N · 1/2").
pub fn pager_total(html: &str) -> i64 {
    let at = html
        .find("<nav class=\"pager\"")
        .unwrap_or_else(|| panic!("no pager in {html}"));
    let digits: String = html[at..]
        .split("<span>")
        .nth(1)
        .unwrap_or_default()
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().unwrap()
}

/// The pager's "next" link, if there is one.
pub fn next_link(html: &str) -> Option<String> {
    let at = html.find("\" rel=\"next\"")?;
    let start = html[..at].rfind("href=\"")? + "href=\"".len();
    Some(unescape(&html[start..at]))
}

/// Rows of the tables in a page.
pub fn table_rows(html: &str) -> usize {
    html.split("<tbody>")
        .skip(1)
        .map(|t| {
            t.split("</tbody>")
                .next()
                .unwrap_or("")
                .matches("<tr>")
                .count()
        })
        .sum()
}

/// The figures of a record page: (link, value, label).
pub fn stats(html: &str) -> Vec<(String, i64, String)> {
    let Some(block) = html
        .split("<ul class=\"stats\">")
        .nth(1)
        .and_then(|s| s.split("</ul>").next())
    else {
        return vec![];
    };
    block
        .split("<li><a href=\"")
        .skip(1)
        .map(|li| {
            let (href, rest) = li.split_once('"').unwrap();
            let value = rest
                .split("<strong>")
                .nth(1)
                .and_then(|s| s.split("</strong>").next())
                .unwrap();
            let label = rest
                .split("<span>")
                .nth(1)
                .and_then(|s| s.split("</span>").next())
                .unwrap();
            (unescape(href), value.parse().unwrap(), label.to_string())
        })
        .collect()
}

/// Every cell of every sheet of an .xlsx, as text.
pub fn xlsx_cells(bytes: &[u8]) -> Vec<Vec<String>> {
    use calamine::{Reader, Xlsx};
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut rows = Vec::new();
    for name in wb.sheet_names() {
        let range = wb.worksheet_range(&name).unwrap();
        for r in range.rows() {
            rows.push(r.iter().map(ToString::to_string).collect());
        }
    }
    rows
}
