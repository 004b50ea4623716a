//! Choosing a Party member in a form without JavaScript: the user types a name (or, when two
//! share it, the member's number from the register); the name is looked up in the register of
//! the place's area, within the user's scope. Nothing is guessed: no match, or several, is a
//! refusal beside the field that names the candidates with their numbers and organisations.

use super::FormData;
use crate::auth::Ctx;
use crate::error::AppError;
use jiceng_domain::DomainError;
use jiceng_store::Store;
use jiceng_store::members::MemberFilter;
use jiceng_store::places::Place;
use jiceng_store::sql::Page;

fn refuse(code: &'static str, zh: String, en: String, field: &'static str) -> AppError {
    AppError::Rule(DomainError::new(code, zh, en).on(field))
}

impl FormData {
    /// The member named (or numbered) in field `k`, from the register under `area`.
    pub async fn member(
        &self,
        store: &Store,
        ctx: &Ctx,
        area: &Place,
        k: &'static str,
    ) -> Result<i64, AppError> {
        let text = self.get(k).trim();
        if text.is_empty() {
            return Err(refuse(
                "member.pick_empty",
                "请填写党员姓名（同名时填写党员编号）".into(),
                "give the member's name (or number)".into(),
                k,
            ));
        }
        if text.bytes().all(|b| b.is_ascii_digit()) {
            return self.int(k, "党员编号", "Member number");
        }
        find_member(store, ctx, area, text, k)
            .await?
            .ok_or_else(|| {
                refuse(
                    "member.pick_none",
                    format!("{}党员名册中没有名为“{text}”的党员", area.name),
                    format!("no member named {text} in the register of {}", area.name),
                    k,
                )
            })
    }
}

/// The member named `text` in the register under `area`, within the user's scope: None when no
/// member has that name; a refusal beside field `k`, naming the candidates, when several do.
pub async fn find_member(
    store: &Store,
    ctx: &Ctx,
    area: &Place,
    text: &str,
    k: &'static str,
) -> Result<Option<i64>, AppError> {
    let f = MemberFilter {
        under_prefix: Some(area.prefix()),
        q: Some(text.to_string()),
        ..Default::default()
    };
    let (found, _) = store
        .members(&ctx.scope, &f, Page::new(None, Some(20)))
        .await?;
    let same: Vec<_> = found.iter().filter(|m| m.name == text).collect();
    match same.as_slice() {
        [one] => Ok(Some(one.id)),
        [] => Ok(None),
        many => {
            let list: Vec<String> = many
                .iter()
                .map(|m| format!("{}（编号{}，{}）", m.name, m.id, m.org_name))
                .collect();
            Err(refuse(
                "member.pick_many",
                format!(
                    "有{}名党员同名：{}。请填写党员编号",
                    many.len(),
                    list.join("、")
                ),
                format!("{} members share this name; give the number", many.len()),
                k,
            ))
        }
    }
}
