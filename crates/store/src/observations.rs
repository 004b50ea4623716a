//! Red observers (红色观察员; seed Shadui: one sent to each of its 12 villages, 110+ observations of
//! organisational life in a year): a visit to a meeting of the Party's life and what was found
//! there. Counted per place and month of the meeting (`life.observed`) in the same transaction.

use crate::audit::{self, Change};
use crate::error::{StoreError, StoreResult};
use crate::scope::Scope;
use crate::{Actor, Store};
use jiceng_domain::DomainError;
use jiceng_domain::meeting::MeetingKind;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct Observation {
    pub id: i64,
    pub meeting_id: i64,
    pub observer_user_id: Option<i64>,
    pub observer_name: String,
    pub findings: String,
    pub suggestions: Option<String>,
    pub created_at: i64,
}

/// An observation as a form gives it: the observer is an account, or a person named.
#[derive(Debug, Clone, Default)]
pub struct NewObservation {
    pub meeting_id: i64,
    pub observer_user_id: Option<i64>,
    pub observer_name: String,
    pub findings: String,
    pub suggestions: Option<String>,
}

/// The longest findings or suggestions kept.
pub const TEXT_MAX: usize = 2000;

fn refuse(code: &'static str, zh: impl Into<String>, en: &str, field: &'static str) -> StoreError {
    DomainError::new(code, zh, en).on(field).into()
}

fn long_text(raw: &str, field: &'static str, label: &str) -> StoreResult<String> {
    let t = raw.trim();
    if t.chars().count() > TEXT_MAX {
        return Err(refuse(
            "observation.text_too_long",
            format!("{label}不能超过{TEXT_MAX}字"),
            "at most 2000 characters",
            field,
        ));
    }
    Ok(t.to_string())
}

impl Store {
    /// Records an observer's visit to a meeting (in scope) that has taken place.
    pub async fn record_observation(
        &self,
        actor: &Actor,
        scope: &Scope,
        o: &NewObservation,
        now: i64,
    ) -> StoreResult<Observation> {
        let m = self.meeting(scope, o.meeting_id).await?;
        if !MeetingKind::parse(&m.kind).is_some_and(MeetingKind::is_party_life) {
            return Err(refuse(
                "observation.not_party_life",
                "红色观察员观察的是党的组织生活，本次会议不属于组织生活",
                "observers observe the Party's organisational life",
                "findings",
            ));
        }
        if m.held_on > crate::coverage::day_of(now) {
            return Err(refuse(
                "observation.not_held_yet",
                format!("会议定于{}召开，尚未举行，不能登记观察记录", m.held_on),
                "the meeting has not taken place yet",
                "findings",
            ));
        }
        let findings = long_text(&o.findings, "findings", "观察发现")?;
        if findings.is_empty() {
            return Err(refuse(
                "observation.findings_missing",
                "请填写观察发现",
                "the findings are required",
                "findings",
            ));
        }
        let suggestions = Some(long_text(
            o.suggestions.as_deref().unwrap_or(""),
            "suggestions",
            "意见建议",
        )?)
        .filter(|s| !s.is_empty());
        let mut tx = self.writer.begin().await?;
        let name = match o.observer_user_id {
            Some(uid) => {
                sqlx::query_scalar::<_, String>("SELECT display_name FROM users WHERE id = $1")
                    .bind(uid)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or(StoreError::NotFound)?
            }
            None => crate::places::check_name(&o.observer_name, "observer_name").map_err(|_| {
                refuse(
                    "observation.observer_missing",
                    "请填写观察员姓名（不超过100字）",
                    "name the observer",
                    "observer_name",
                )
            })?,
        };
        let twice: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM observations WHERE meeting_id = $1 AND observer_name = $2",
        )
        .bind(m.id)
        .bind(&name)
        .fetch_one(&mut *tx)
        .await?;
        if twice > 0 {
            return Err(refuse(
                "observation.twice",
                format!("{name}已登记过本次会议的观察记录"),
                "this observer has already recorded this meeting",
                "observer_name",
            ));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO observations (meeting_id, observer_user_id, observer_name, findings, suggestions, \
             created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(m.id)
        .bind(o.observer_user_id)
        .bind(&name)
        .bind(&findings)
        .bind(&suggestions)
        .bind(actor.user_id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        crate::life::observation_recorded(&mut tx, m.org_id, &m.held_on).await?;
        let after = serde_json::json!({"meeting_id": m.id, "observer": name,
            "observer_user_id": o.observer_user_id, "findings_chars": findings.chars().count()});
        audit::commit(
            tx,
            actor,
            Change::new("create", "observation", id, None, Some(after)),
            now,
        )
        .await?;
        Ok(Observation {
            id,
            meeting_id: m.id,
            observer_user_id: o.observer_user_id,
            observer_name: name,
            findings,
            suggestions,
            created_at: now,
        })
    }

    /// The observations of a meeting (in scope), in the order recorded.
    pub async fn observations(
        &self,
        scope: &Scope,
        meeting_id: i64,
    ) -> StoreResult<Vec<Observation>> {
        let m = self.meeting(scope, meeting_id).await?;
        Ok(sqlx::query_as(
            "SELECT id, meeting_id, observer_user_id, observer_name, findings, suggestions, created_at \
             FROM observations WHERE meeting_id = $1 ORDER BY id",
        )
        .bind(m.id)
        .fetch_all(&self.reader)
        .await?)
    }
}
