//! Building blocks shared by the pages: the page chrome (navigation, breadcrumbs, language switch),
//! forms whose errors sit next to their fields, tables, pagers and figures.

use crate::auth::Ctx;
use crate::i18n::{Lang, T};
use jiceng_domain::Role;

#[derive(Debug, Clone)]
pub struct NavItem {
    pub label: &'static str,
    pub href: String,
    pub current: bool,
}

#[derive(Debug, Clone)]
pub struct Crumb {
    pub label: String,
    pub href: String,
}

/// What every signed-in page shows around its content.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub t: T,
    pub title: String,
    pub user: Option<(String, String)>,
    pub nav: Vec<NavItem>,
    pub crumbs: Vec<Crumb>,
    pub csrf: String,
    /// Where the language switch comes back to.
    pub here: String,
    pub notice: Option<String>,
}

impl Chrome {
    pub fn lang(&self) -> &'static str {
        self.t.lang().code()
    }

    pub fn other_lang(&self) -> &'static str {
        if self.t.lang().is_en() { "zh" } else { "en" }
    }

    pub fn here_q(&self) -> String {
        crate::auth::urlencode(&self.here)
    }

    pub fn anonymous(lang: Lang, title: String, csrf: String, here: &str) -> Self {
        Self {
            t: T(lang),
            title,
            user: None,
            nav: vec![],
            crumbs: vec![],
            csrf,
            here: here.to_string(),
            notice: None,
        }
    }

    pub fn new(ctx: &Ctx, title: impl Into<String>, section: &str, here: &str) -> Self {
        let t = ctx.t();
        let mut nav = Vec::new();
        let mut add = |key: &'static str, href: String| {
            let current = key == section;
            nav.push(NavItem {
                label: t.t(key),
                href,
                current,
            });
        };
        if ctx.role.reads_structure() {
            add("nav.home", "/".into());
            add("nav.places", "/places".into());
            add("nav.orgs", "/orgs".into());
            add("nav.units", "/units".into());
        }
        if ctx.role.manages_members() {
            add("nav.members", "/members".into());
        }
        if ctx.role.manages_members() || ctx.role == Role::ServiceStaff {
            add("nav.problems", "/problems".into());
            add("nav.services", "/service-requests".into());
        }
        if ctx.role.reads_structure() || ctx.role.manages_accounts() || ctx.role.manages_security()
        {
            add("nav.users", "/users".into());
        }
        if ctx.role.reads_audit() {
            add("nav.audit", "/audit".into());
        }
        add("nav.account", "/account".into());
        let role_label = ctx.lang.pick(ctx.role.zh(), ctx.role.en()).to_string();
        Self {
            t,
            title: title.into(),
            user: Some((
                ctx.user.display_name.clone(),
                format!("{role_label} · {}", ctx.user.place_name),
            )),
            nav,
            crumbs: vec![],
            csrf: ctx.csrf.clone(),
            here: here.to_string(),
            notice: None,
        }
    }
}

pub fn role_label(lang: Lang, role: &str) -> String {
    Role::parse(role).map_or_else(
        || role.to_string(),
        |r| lang.pick(r.zh(), r.en()).to_string(),
    )
}

#[derive(Debug, Clone, PartialEq)]
pub enum FieldKind {
    Text,
    Password,
    Number,
    Date,
    /// A file to upload (the form becomes multipart); the field's value is what it accepts
    /// (`.xlsx`, `.pdf,.jpg,.png`).
    File,
    Checkbox,
    Hidden,
    Select(Vec<(String, String)>),
    /// Several checkboxes under one name, e.g. the members a payment is for: (value, label, on).
    Checks(Vec<(String, String, bool)>),
    /// Several lines of text (an agenda, minutes).
    LongText,
}

#[derive(Debug, Clone)]
pub struct Field {
    pub name: &'static str,
    pub label: String,
    pub kind: FieldKind,
    pub value: String,
    pub error: Option<String>,
    pub hint: Option<String>,
    pub required: bool,
    pub autocomplete: &'static str,
}

impl Field {
    pub fn new(name: &'static str, label: impl Into<String>, kind: FieldKind) -> Self {
        Self {
            name,
            label: label.into(),
            kind,
            value: String::new(),
            error: None,
            hint: None,
            required: false,
            autocomplete: "off",
        }
    }
    pub fn value(mut self, v: impl Into<String>) -> Self {
        self.value = v.into();
        self
    }
    pub fn hint(mut self, h: impl Into<String>) -> Self {
        self.hint = Some(h.into());
        self
    }
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub fn autocomplete(mut self, a: &'static str) -> Self {
        self.autocomplete = a;
        self
    }
    pub fn is_text_like(&self) -> bool {
        matches!(
            self.kind,
            FieldKind::Text | FieldKind::Password | FieldKind::Number | FieldKind::Date
        )
    }
    pub fn input_type(&self) -> &'static str {
        match self.kind {
            FieldKind::Password => "password",
            FieldKind::Number => "number",
            FieldKind::Date => "date",
            FieldKind::File => "file",
            FieldKind::Hidden => "hidden",
            FieldKind::Checkbox => "checkbox",
            _ => "text",
        }
    }
    pub fn options(&self) -> Vec<(String, String)> {
        match &self.kind {
            FieldKind::Select(o) => o.clone(),
            _ => vec![],
        }
    }
    pub fn is_select(&self) -> bool {
        matches!(self.kind, FieldKind::Select(_))
    }
    pub fn checks(&self) -> Vec<(String, String, bool)> {
        match &self.kind {
            FieldKind::Checks(o) => o.clone(),
            _ => vec![],
        }
    }
    pub fn is_checks(&self) -> bool {
        matches!(self.kind, FieldKind::Checks(_))
    }
    pub fn is_checkbox(&self) -> bool {
        self.kind == FieldKind::Checkbox
    }
    pub fn is_hidden(&self) -> bool {
        self.kind == FieldKind::Hidden
    }
    pub fn is_long(&self) -> bool {
        self.kind == FieldKind::LongText
    }
    pub fn checked(&self) -> bool {
        matches!(self.value.as_str(), "on" | "true" | "1")
    }
    pub fn error_id(&self) -> String {
        format!("{}-error", self.name)
    }
}

#[derive(Debug, Clone)]
pub struct Form {
    pub id: String,
    pub action: String,
    pub title: String,
    pub fields: Vec<Field>,
    pub submit: String,
    pub danger: bool,
    pub error: Option<String>,
    pub note: Option<String>,
}

impl Form {
    pub fn new(
        id: impl Into<String>,
        action: impl Into<String>,
        title: impl Into<String>,
        submit: impl Into<String>,
    ) -> Self {
        Self {
            id: id.into(),
            action: action.into(),
            title: title.into(),
            fields: vec![],
            submit: submit.into(),
            danger: false,
            error: None,
            note: None,
        }
    }
    pub fn field(mut self, f: Field) -> Self {
        self.fields.push(f);
        self
    }
    pub fn danger(mut self) -> Self {
        self.danger = true;
        self
    }
    pub fn has_file(&self) -> bool {
        self.fields.iter().any(|f| f.kind == FieldKind::File)
    }

    pub fn note(mut self, n: impl Into<String>) -> Self {
        self.note = Some(n.into());
        self
    }
}

/// A failed submission: which form, what was typed, what went wrong.
#[derive(Debug, Clone)]
pub struct Feedback {
    pub form: &'static str,
    pub values: Vec<(String, String)>,
    pub field: Option<&'static str>,
    pub message: String,
}

impl Feedback {
    pub fn new(
        form: &'static str,
        values: Vec<(String, String)>,
        err: &crate::error::AppError,
        lang: Lang,
    ) -> Self {
        crate::refusals::note(err);
        let (zh, en) = err.messages();
        Self {
            form,
            values,
            field: err.field(),
            message: lang.pick(&zh, &en).to_string(),
        }
    }

    /// A refused rule becomes feedback for re-rendering the form; any other error, the error page.
    pub fn refusal(
        form: &'static str,
        values: Vec<(String, String)>,
        err: crate::error::AppError,
        lang: Lang,
    ) -> Result<Self, crate::error::PageError> {
        match err {
            crate::error::AppError::Rule(_) => Ok(Self::new(form, values, &err, lang)),
            other => Err(crate::error::PageError(other)),
        }
    }

    /// Puts the typed values back and the message next to its field (or on the form).
    pub fn apply(&self, forms: &mut [Form]) {
        for f in forms.iter_mut().filter(|f| f.id == self.form) {
            for field in &mut f.fields {
                if field.kind == FieldKind::Password || field.name == "_csrf" {
                    continue;
                }
                if let FieldKind::Checks(boxes) = &mut field.kind {
                    // Ticked again exactly as submitted.
                    for (v, _, on) in boxes.iter_mut() {
                        *on = self.values.iter().any(|(k, x)| k == field.name && x == v);
                    }
                    continue;
                }
                if let Some((_, v)) = self.values.iter().find(|(k, _)| k == field.name) {
                    field.value = v.clone();
                } else if field.is_checkbox() {
                    field.value.clear();
                }
            }
            match self
                .field
                // A hidden field shows nothing: its refusal goes on the form.
                .and_then(|name| {
                    f.fields
                        .iter_mut()
                        .find(|x| x.name == name && !x.is_hidden())
                }) {
                Some(field) => field.error = Some(self.message.clone()),
                None => f.error = Some(self.message.clone()),
            }
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Cell {
    pub text: String,
    pub href: Option<String>,
}

impl Cell {
    pub fn text(t: impl Into<String>) -> Self {
        Self {
            text: t.into(),
            href: None,
        }
    }
    pub fn link(t: impl Into<String>, href: impl Into<String>) -> Self {
        Self {
            text: t.into(),
            href: Some(href.into()),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Table {
    pub caption: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    pub empty: String,
}

#[derive(Debug, Clone, Default)]
pub struct Pager {
    pub page: i64,
    pub pages: i64,
    /// The total as shown: a number, or `1000+` for a count that stopped at its cap.
    pub total: String,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    /// `base` is the list URL with its filters (without `page`).
    pub fn new(base: &str, page: i64, size: i64, total: i64) -> Self {
        Self::capped(base, page, size, total, i64::MAX)
    }

    /// A total counted only up to `cap` (a search, see `Store::members`): more than `cap` shows
    /// as `cap+`, with the pages of `cap` rows.
    pub fn capped(base: &str, page: i64, size: i64, total: i64, cap: i64) -> Self {
        let shown = total.min(cap);
        let pages = ((shown + size - 1) / size).max(1);
        let sep = if base.contains('?') { '&' } else { '?' };
        let link = |p: i64| format!("{base}{sep}page={p}");
        Self {
            page,
            pages,
            total: if total > cap {
                format!("{cap}+")
            } else {
                total.to_string()
            },
            prev: (page > 1).then(|| link(page - 1)),
            next: (page < pages).then(|| link(page + 1)),
        }
    }
}

impl Pager {
    /// The previous and next pages as a record page's links (its lists have no pager bar).
    pub fn links(&self, lang: crate::i18n::Lang) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let Some(p) = &self.prev {
            out.push((lang.pick("上一页", "Previous page").to_string(), p.clone()));
        }
        if let Some(n) = &self.next {
            out.push((lang.pick("下一页", "Next page").to_string(), n.clone()));
        }
        out
    }
}

/// One figure with the list behind it.
#[derive(Debug, Clone)]
pub struct Stat {
    pub label: String,
    pub value: i64,
    pub href: String,
}

/// Query string from pairs, skipping empty values.
pub fn query(pairs: &[(&str, &str)]) -> String {
    let kept: Vec<(&str, &str)> = pairs
        .iter()
        .copied()
        .filter(|(_, v)| !v.is_empty())
        .collect();
    serde_urlencoded::to_string(kept).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::Pager;

    #[test]
    fn a_capped_count_shows_as_more_than_the_cap() {
        let exact = Pager::new("/members?q=zs", 1, 50, 120);
        assert_eq!((exact.total.as_str(), exact.pages), ("120", 3));
        let capped = Pager::capped("/members?q=zs", 20, 50, 1001, 1000);
        assert_eq!((capped.total.as_str(), capped.pages), ("1000+", 20));
        assert!(capped.next.is_none(), "no page past the cap");
        let under = Pager::capped("/members?q=zs", 1, 50, 1000, 1000);
        assert_eq!((under.total.as_str(), under.pages), ("1000", 20));
        assert_eq!(under.next.as_deref(), Some("/members?q=zs&page=2"));
    }
}
