//! What every list page shares: `?under=` narrowing to a place in scope (with its breadcrumbs),
//! the standard filters, the query string kept across pages, the pager and the Excel link.

use super::places::crumbs;
use super::{ListPage, ListQuery, render};
use crate::AppState;
use crate::auth::Ctx;
use crate::error::{AppError, PageError};
use crate::i18n::T;
use crate::ui::{Chrome, Feedback, Field, FieldKind, Form, Pager, Table, query};
use axum::http::StatusCode;
use axum::response::Response;
use jiceng_store::places::Place;
use jiceng_store::sql::Page;

pub const PER_PAGE: i64 = 50;

impl ListQuery {
    /// The place the list is narrowed to, read within the caller's scope (another town's: 404).
    pub async fn under_place(
        &self,
        state: &AppState,
        ctx: &Ctx,
    ) -> Result<Option<Place>, AppError> {
        match self.under_id() {
            Some(id) => Ok(Some(state.store.place(&ctx.scope, id).await?)),
            None => Ok(None),
        }
    }

    pub fn list_page(&self) -> Page {
        Page::new(Some(self.page()), Some(PER_PAGE))
    }

    /// The filters as a query string, without the page number.
    pub fn qs(&self) -> String {
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        let (u, k, q, c, r) = (
            o(&self.under),
            o(&self.kind),
            o(&self.q),
            o(&self.closed),
            o(&self.role),
        );
        let (org, status) = (o(&self.org), o(&self.status));
        query(&[
            ("under", &u),
            ("kind", &k),
            ("q", &q),
            ("closed", &c),
            ("role", &r),
            ("org", &org),
            ("status", &status),
        ])
    }

    /// Hidden `under`, a keyword box, a select on `name` (kind or role) and, if asked, "include closed".
    pub fn filters(
        &self,
        t: T,
        select: (&'static str, &str, Vec<(String, String)>),
        closed: bool,
    ) -> Vec<Field> {
        let (name, label, options) = select;
        let selected = if name == "role" {
            &self.role
        } else {
            &self.kind
        };
        let mut v = vec![
            Field::new("under", "", FieldKind::Hidden)
                .value(self.under.clone().unwrap_or_default()),
            Field::new("q", t.t("common.keyword"), FieldKind::Text)
                .value(self.q.clone().unwrap_or_default()),
            Field::new(name, label, FieldKind::Select(options))
                .value(selected.clone().unwrap_or_default()),
        ];
        if closed {
            v.push(
                Field::new("closed", t.t("common.include_closed"), FieldKind::Checkbox)
                    .value(self.closed.clone().unwrap_or_default()),
            );
        }
        v
    }
}

/// One list page's own parts; `Listing::render` adds the rest.
pub struct Listing<'a> {
    /// `/orgs`: the list's path (its export is `{path}/export.xlsx`).
    pub path: &'static str,
    /// The navigation entry (and the title's text key).
    pub nav: &'static str,
    pub under: Option<&'a Place>,
    pub filters: Vec<Field>,
    pub table: Table,
    pub total: i64,
    /// The most `total` was counted to (a search counts up to `Store::SEARCH_COUNT_CAP`).
    pub count_cap: Option<i64>,
    pub forms: Vec<Form>,
    pub links: Vec<(String, String)>,
}

impl Listing<'_> {
    pub async fn render(
        self,
        state: &AppState,
        ctx: &Ctx,
        q: &ListQuery,
        fb: Option<Feedback>,
        status: StatusCode,
    ) -> Result<Response, PageError> {
        let qs = q.qs();
        let path = self.path;
        let mut c = Chrome::new(ctx, ctx.t().t(self.nav), self.nav, &format!("{path}?{qs}"));
        c.notice = q.notice.as_deref().map(|n| {
            let l = ctx.lang;
            match n {
                "imported" => l.pick("导入完成", "Imported"),
                _ => l.pick("已保存", "Saved"),
            }
            .to_string()
        });
        if let Some(u) = self.under {
            c.crumbs = crumbs(state, ctx, u).await?;
        }
        let mut forms = self.forms;
        if let Some(fb) = fb {
            fb.apply(&mut forms);
        }
        let page = q.list_page();
        let page = ListPage {
            c,
            action: path.into(),
            filters: self.filters,
            table: self.table,
            pager: Pager::capped(
                &format!("{path}?{qs}"),
                page.number,
                page.size,
                self.total,
                self.count_cap.unwrap_or(i64::MAX),
            ),
            export: Some(format!("{path}/export.xlsx?{qs}")),
            links: self.links,
            forms,
        };
        render(status, &page)
    }
}

/// The table of a list: headers, rows, the empty-state text.
pub fn table(t: T, headers: Vec<String>, rows: Vec<Vec<crate::ui::Cell>>) -> Table {
    Table {
        caption: String::new(),
        headers,
        rows,
        empty: t.t("common.empty").into(),
    }
}
