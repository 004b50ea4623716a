//! Recruitment files in the store: steps recorded in order with the rules' periods enforced
//! (domain::recruitment), the member's status following the steps, every step audited.

use crate::audit::{self, Change};
use crate::error::{StoreError, StoreResult};
use crate::scope::Scope;
use crate::{Actor, Store};
use jiceng_domain::DomainError;
use jiceng_domain::recruitment::{RecruitmentFile, RecruitmentRule, status_after};

/// Order of the statuses recruitment moves through; former members rank above all (no steps).
fn status_rank(s: &str) -> u8 {
    match s {
        "applicant" => 0,
        "activist" => 1,
        "prospect" => 2,
        "probationary" => 3,
        "full" => 4,
        _ => 5,
    }
}

/// One recorded step.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct StepRow {
    pub step: i64,
    pub date: String,
    pub value: Option<i64>,
    pub note: Option<String>,
}

/// A step to record.
#[derive(Debug, Clone, Copy)]
pub struct NewStep<'a> {
    pub step: u8,
    pub date: &'a str,
    /// Training hours for step 11.
    pub value: Option<i64>,
    pub note: &'a str,
}

impl Store {
    /// The member's file (for the rules) and its rows (for display).
    pub async fn recruitment_file(
        &self,
        scope: &Scope,
        member_id: i64,
    ) -> StoreResult<(RecruitmentFile, Vec<StepRow>)> {
        let m = self.member(scope, member_id).await?;
        let birth: String = sqlx::query_scalar("SELECT birth_date FROM members WHERE id = $1")
            .bind(m.id)
            .fetch_one(&self.reader)
            .await?;
        let rows: Vec<StepRow> = sqlx::query_as("SELECT step, date, value, note FROM recruitment_steps WHERE member_id = $1 ORDER BY step")
            .bind(m.id)
            .fetch_all(&self.reader)
            .await?;
        let mut file = RecruitmentFile {
            birth_date: birth,
            dates: vec![None; 25],
            extension: None,
        };
        for r in &rows {
            match r.step {
                0 => file.extension = r.value.and_then(|v| u32::try_from(v).ok()),
                s @ 1..=25 => file.dates[(s - 1) as usize] = Some(r.date.clone()),
                _ => {}
            }
        }
        Ok((file, rows))
    }

    /// Records the next step; refused with the rule's name when out of order or too early.
    pub async fn record_step(
        &self,
        actor: &Actor,
        scope: &Scope,
        member_id: i64,
        new: &NewStep<'_>,
        now: i64,
    ) -> StoreResult<()> {
        let date = jiceng_domain::member::parse_date(new.date, "date")?;
        let (file, _) = self.recruitment_file(scope, member_id).await?;
        file.check(&RecruitmentRule::default(), new.step, &date, new.value)?;
        // A step never takes a member backwards (an imported full member is not an applicant again).
        let current = self.member(scope, member_id).await?.status;
        if let Some(next) = status_after(new.step)
            && status_rank(next) < status_rank(&current)
        {
            return Err(DomainError::new(
                "recruitment.status_behind",
                format!(
                    "该党员当前状态为“{}”，不能再登记此前的发展步骤",
                    jiceng_domain::member::label(&jiceng_domain::member::STATUSES, &current, false)
                ),
                "this step would take the member back to an earlier status",
            )
            .on("date")
            .into());
        }
        let mut tx = self.writer.begin().await?;
        sqlx::query("INSERT INTO recruitment_steps (member_id, step, date, value, note, created_at) VALUES ($1,$2,$3,$4,$5,$6)")
            .bind(member_id)
            .bind(i64::from(new.step))
            .bind(&date)
            .bind(new.value)
            .bind(Some(new.note.trim().to_string()).filter(|n| !n.is_empty()))
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::from(e).unique("recruitment.out_of_order", "date", "该步骤已登记", "this step is already recorded"))?;
        if let Some(status) = status_after(new.step) {
            sqlx::query("UPDATE members SET status = $1, updated_at = $2 WHERE id = $3")
                .bind(status)
                .bind(now)
                .bind(member_id)
                .execute(&mut *tx)
                .await?;
            crate::life::committee::recount_member(&mut tx, member_id).await?;
        }
        // Admission starts 党龄's clock at full membership: the dates go on the register.
        match new.step {
            15 => {
                sqlx::query("UPDATE members SET join_date = $1 WHERE id = $2")
                    .bind(&date)
                    .bind(member_id)
                    .execute(&mut *tx)
                    .await?;
            }
            23 => {
                sqlx::query("UPDATE members SET full_date = $1 WHERE id = $2")
                    .bind(&date)
                    .bind(member_id)
                    .execute(&mut *tx)
                    .await?;
            }
            _ => {}
        }
        let after = serde_json::json!({"step": new.step, "date": date, "value": new.value});
        audit::commit(
            tx,
            actor,
            Change::new("recruitment_step", "member", member_id, None, Some(after)),
            now,
        )
        .await
    }

    /// Extends probation once, by 6–12 months.
    pub async fn extend_probation(
        &self,
        actor: &Actor,
        scope: &Scope,
        member_id: i64,
        months: u32,
        on: &str,
        now: i64,
    ) -> StoreResult<()> {
        let on = jiceng_domain::member::parse_date(on, "date")?;
        let (file, _) = self.recruitment_file(scope, member_id).await?;
        file.check_extension(&RecruitmentRule::default(), months)?;
        let mut tx = self.writer.begin().await?;
        sqlx::query("INSERT INTO recruitment_steps (member_id, step, date, value, created_at) VALUES ($1, 0, $2, $3, $4)")
            .bind(member_id)
            .bind(&on)
            .bind(i64::from(months))
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::from(e).unique("recruitment.extended_once", "value", "预备期只能延长一次", "probation is extended once at most"))?;
        let after = serde_json::json!({"extension_months": months, "on": on});
        audit::commit(
            tx,
            actor,
            Change::new("probation_extended", "member", member_id, None, Some(after)),
            now,
        )
        .await
    }
}

/// A recruitment step whose date the rules fix, for the "due" list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Due {
    pub member_id: i64,
    pub name: String,
    pub org_id: i64,
    pub org_name: String,
    pub step: u8,
    pub date: String,
    /// A deadline (e.g. the talk) rather than the first possible day.
    pub deadline: bool,
}

impl Store {
    /// Members in scope whose next step falls due on or before `until` (YYYY-MM-DD), soonest first.
    pub async fn recruitment_due(&self, scope: &Scope, until: &str) -> StoreResult<Vec<Due>> {
        let mut sql = crate::sql::Sql::new(concat!(
            "SELECT m.id, m.name, o.id, o.name, m.birth_date, r.step, r.date, r.value FROM recruitment_steps r \
             JOIN members m ON m.id = r.member_id JOIN orgs o ON o.id = m.org_id JOIN places p ON p.id = o.place_id WHERE ",
            counted!(),
            " AND "
        ));
        scope.predicate(&mut sql, "p.code");
        sql.push(" ORDER BY m.id, r.step");
        type Row = (i64, String, i64, String, String, i64, String, Option<i64>);
        let rows: Vec<Row> = sql.query_as().fetch_all(&self.reader).await?;
        let rule = RecruitmentRule::default();
        let mut out = Vec::new();
        let mut i = 0;
        while i < rows.len() {
            let (id, name, org_id, org_name, birth) = (
                rows[i].0,
                rows[i].1.clone(),
                rows[i].2,
                rows[i].3.clone(),
                rows[i].4.clone(),
            );
            let mut file = RecruitmentFile {
                birth_date: birth,
                dates: vec![None; 25],
                extension: None,
            };
            while i < rows.len() && rows[i].0 == id {
                match rows[i].5 {
                    0 => file.extension = rows[i].7.and_then(|v| u32::try_from(v).ok()),
                    s @ 1..=25 => file.dates[(s - 1) as usize] = Some(rows[i].6.clone()),
                    _ => {}
                }
                i += 1;
            }
            if let Some((step, date, deadline)) = file.next_date(&rule)
                && date.as_str() <= until
            {
                out.push(Due {
                    member_id: id,
                    name,
                    org_id,
                    org_name,
                    step,
                    date,
                    deadline,
                });
            }
        }
        out.sort_by(|a, b| a.date.cmp(&b.date).then(a.name.cmp(&b.name)));
        Ok(out)
    }
}
