//! One value rendered two ways, as GeoReport v2 asks: XML (`<?xml version="1.0"
//! encoding="utf-8"?>`, no namespace) and JSON by the Spark convention (a list element such as
//! `<services>` becomes an array of its items; an empty element becomes `null`).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

pub const XML_TYPE: &str = "text/xml; charset=utf-8";
pub const JSON_TYPE: &str = "application/json; charset=utf-8";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fmt {
    Xml,
    Json,
}

impl Fmt {
    /// `services.json` → ("services", Json). None for any other extension.
    pub fn split(file: &str) -> Option<(&str, Fmt)> {
        let (stem, ext) = file.rsplit_once('.')?;
        let fmt = match ext {
            "xml" => Fmt::Xml,
            "json" => Fmt::Json,
            _ => return None,
        };
        (!stem.is_empty()).then_some((stem, fmt))
    }

    /// The format a path asks for, for answering errors (XML, the required one, by default).
    pub fn of_path(path: &str) -> Fmt {
        if path.ends_with(".json") {
            Fmt::Json
        } else {
            Fmt::Xml
        }
    }
}

/// A value of the answer.
#[derive(Debug, Clone, PartialEq)]
pub enum V {
    Null,
    Str(String),
    Bool(bool),
    Int(i64),
    Float(f64),
    /// Fields in order.
    Obj(Vec<(&'static str, V)>),
    /// Items, each an element named by the first field (`service`, `request`, `attribute`…) in
    /// XML; an array in JSON.
    List(&'static str, Vec<V>),
}

impl V {
    pub fn opt(s: Option<String>) -> V {
        s.map_or(V::Null, V::Str)
    }

    pub fn str(s: impl Into<String>) -> V {
        V::Str(s.into())
    }

    fn json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            V::Null => Value::Null,
            V::Str(s) => Value::String(s.clone()),
            V::Bool(b) => Value::Bool(*b),
            V::Int(i) => Value::from(*i),
            V::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            V::Obj(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| ((*k).to_string(), v.json()))
                    .collect(),
            ),
            V::List(_, items) => Value::Array(items.iter().map(V::json).collect()),
        }
    }

    fn xml(&self, name: &str, depth: usize, out: &mut String) {
        let pad = "  ".repeat(depth);
        match self {
            V::Obj(fields) => {
                out.push_str(&format!("{pad}<{name}>\n"));
                for (k, v) in fields {
                    v.xml(k, depth + 1, out);
                }
                out.push_str(&format!("{pad}</{name}>\n"));
            }
            V::List(item, items) => {
                if items.is_empty() {
                    out.push_str(&format!("{pad}<{name}></{name}>\n"));
                    return;
                }
                out.push_str(&format!("{pad}<{name}>\n"));
                for v in items {
                    v.xml(item, depth + 1, out);
                }
                out.push_str(&format!("{pad}</{name}>\n"));
            }
            V::Null => out.push_str(&format!("{pad}<{name}></{name}>\n")),
            V::Str(s) => out.push_str(&format!("{pad}<{name}>{}</{name}>\n", escape(s))),
            V::Bool(b) => out.push_str(&format!("{pad}<{name}>{b}</{name}>\n")),
            V::Int(i) => out.push_str(&format!("{pad}<{name}>{i}</{name}>\n")),
            V::Float(f) => out.push_str(&format!("{pad}<{name}>{f}</{name}>\n")),
        }
    }
}

/// Text as XML character data: markup escaped, and the control characters XML 1.0 forbids
/// dropped (a resident's text may hold anything).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// The document: `root` is the outer element in XML (`services`, `service_requests`,
/// `service_definition`, `errors`, `discovery`); JSON has no root name.
pub fn body(fmt: Fmt, root: &str, v: &V) -> (&'static str, String) {
    match fmt {
        Fmt::Json => (JSON_TYPE, v.json().to_string()),
        Fmt::Xml => {
            let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
            v.xml(root, 0, &mut out);
            (XML_TYPE, out)
        }
    }
}

pub fn respond(status: StatusCode, fmt: Fmt, root: &str, v: &V) -> Response {
    let (ct, text) = body(fmt, root, v);
    let mut res = (status, text).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    res
}

/// The spec's error answer: `[{"code":…,"description":…}]` / `<errors><error>…`, the code the
/// HTTP status.
pub fn error(status: StatusCode, fmt: Fmt, description: &str) -> Response {
    let v = V::List(
        "error",
        vec![V::Obj(vec![
            ("code", V::Int(i64::from(status.as_u16()))),
            ("description", V::str(description)),
        ])],
    );
    respond(status, fmt, "errors", &v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_and_json_of_the_same_value() {
        let v = V::List(
            "service",
            vec![V::Obj(vec![
                ("service_code", V::str("road")),
                ("metadata", V::Bool(false)),
                ("description", V::Null),
                ("lat", V::Float(22.23)),
            ])],
        );
        let (ct, xml) = body(Fmt::Xml, "services", &v);
        assert_eq!(ct, XML_TYPE);
        assert_eq!(
            xml,
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<services>\n  <service>\n    \
             <service_code>road</service_code>\n    <metadata>false</metadata>\n    \
             <description></description>\n    <lat>22.23</lat>\n  </service>\n</services>\n"
        );
        let (_, json) = body(Fmt::Json, "services", &v);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&json).ok(),
            Some(
                serde_json::json!([{"service_code": "road", "metadata": false,
                "description": null, "lat": 22.23}])
            )
        );
    }

    #[test]
    fn escapes_markup_and_drops_forbidden_controls() {
        assert_eq!(
            escape("<b>\"A&B\"</b>\u{0}\u{7}\n'"),
            "&lt;b&gt;&quot;A&amp;B&quot;&lt;/b&gt;\n&apos;"
        );
    }

    #[test]
    fn formats_from_names() {
        assert_eq!(Fmt::split("services.json"), Some(("services", Fmt::Json)));
        assert_eq!(Fmt::split("001.xml"), Some(("001", Fmt::Xml)));
        assert_eq!(Fmt::split("services.html"), None);
        assert_eq!(Fmt::split(".xml"), None);
        assert_eq!(Fmt::split("services"), None);
    }
}
