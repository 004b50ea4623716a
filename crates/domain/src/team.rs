//! Stationed teams (驻点, issue 5): a checklist item's status and the moves it may make. An item
//! goes 待办 → 进行中 → 已完成 (or straight to 已完成); 已完成 needs evidence and a done date not in
//! the future, and is final. Each move is a history entry; the past is never edited.

use crate::error::{DomainError, Rule};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemStatus {
    Todo,
    Doing,
    Done,
}

impl ItemStatus {
    pub const ALL: [ItemStatus; 3] = [ItemStatus::Todo, ItemStatus::Doing, ItemStatus::Done];

    pub fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Todo => "todo",
            ItemStatus::Doing => "doing",
            ItemStatus::Done => "done",
        }
    }
    pub fn zh(self) -> &'static str {
        match self {
            ItemStatus::Todo => "待办",
            ItemStatus::Doing => "进行中",
            ItemStatus::Done => "已完成",
        }
    }
    pub fn parse(s: &str) -> Option<ItemStatus> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Checks a move from `self` to `to` on `on_date` (YYYY-MM-DD, not after `today`).
    pub fn change(self, to: ItemStatus, evidence: &str, on_date: &str, today: &str) -> Rule<()> {
        let refuse =
            |code, zh: String, en: &str, field| Err(DomainError::new(code, zh, en).on(field));
        crate::meeting::day_number(on_date).map_err(|e| e.on("on_date"))?;
        if on_date > today {
            return refuse(
                "team.date_future",
                format!("日期（{on_date}）不能晚于今天"),
                "not in the future",
                "on_date",
            );
        }
        if self == ItemStatus::Done {
            return refuse(
                "team.item_done",
                "该事项已完成，不能再更改".into(),
                "a done item is final",
                "status",
            );
        }
        if to == self || to == ItemStatus::Todo {
            return refuse(
                "team.status_invalid",
                format!("事项已是「{}」，请选择下一状态", self.zh()),
                "choose the next status",
                "status",
            );
        }
        if to == ItemStatus::Done && evidence.trim().is_empty() {
            return refuse(
                "team.evidence_required",
                "标记为已完成须填写完成佐证".into(),
                "a done item needs evidence",
                "evidence",
            );
        }
        if evidence.chars().count() > 2000 {
            return refuse(
                "team.evidence_invalid",
                "佐证不超过2000字".into(),
                "evidence is at most 2,000 characters",
                "evidence",
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::ItemStatus::*;

    #[test]
    fn moves() {
        assert!(Todo.change(Doing, "", "2026-01-02", "2026-01-03").is_ok());
        assert!(
            Todo.change(Done, "照片3张", "2026-01-02", "2026-01-03")
                .is_ok()
        );
        for (from, to, ev, day, code) in [
            (Todo, Done, " ", "2026-01-02", "team.evidence_required"),
            (Done, Doing, "x", "2026-01-02", "team.item_done"),
            (Doing, Todo, "", "2026-01-02", "team.status_invalid"),
            (Doing, Doing, "", "2026-01-02", "team.status_invalid"),
            (Todo, Doing, "", "2026-01-04", "team.date_future"),
            (Todo, Doing, "", "2026-1-4", "date.invalid"),
        ] {
            assert_eq!(
                from.change(to, ev, day, "2026-01-03").unwrap_err().code,
                code
            );
        }
    }
}
