//! The 村务公开 board (issue 6): what a village published, the day it went up and the day it comes
//! down. A published item is never edited; a correction is a new item that points to the one it
//! corrects. Staff see which villages are overdue by the publication rule in force
//! (`domain::village::PublicationRule`); the public page shows what is up today. The 村务监督委员会
//! reviews each decision and each publication.

use crate::audit::{self, Change};
use crate::error::{StoreError, StoreResult};
use crate::scope::Scope;
use crate::sql::Sql;
use crate::village::{person_in, refuse, seats_on, village_in};
use crate::{Actor, Store};
use jiceng_domain::meeting::add_days;
use jiceng_domain::member::parse_date;
use jiceng_domain::village::{Body, Category};
use serde::Serialize;
use sqlx::AnyConnection;

#[derive(Debug, Clone, Default)]
pub struct NewPublication {
    pub place_id: i64,
    pub category: String,
    pub title: String,
    pub body: String,
    pub up_on: String,
    pub down_on: String,
    pub corrects_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq, Eq)]
pub struct Publication {
    pub id: i64,
    pub place_id: i64,
    pub category: String,
    pub title: String,
    pub body: String,
    pub up_on: String,
    pub down_on: String,
    pub matter_id: Option<i64>,
    pub corrects_id: Option<i64>,
    /// The item that corrects this one, if any.
    pub corrected_by: Option<i64>,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq, Eq)]
pub struct Review {
    pub id: i64,
    pub person_id: i64,
    pub name: String,
    pub matter_id: Option<i64>,
    pub publication_id: Option<i64>,
    pub verdict: String,
    pub opinion: String,
    pub reviewed_on: String,
}

/// A village behind on its publications, and why.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Overdue {
    pub place_id: i64,
    pub place_name: String,
    pub reason: String,
}

const COLS: &str = "b.id, b.place_id, b.category, b.title, b.body, b.up_on, b.down_on, b.matter_id, \
    b.corrects_id, (SELECT MIN(c.id) FROM publications c WHERE c.corrects_id = b.id) AS corrected_by, \
    b.created_at";

/// Personal data a public board must never carry (PIPL): a valid citizen ID number or a mobile
/// number in the text. Returns what was found, for the message.
fn personal_data(text: &str) -> Option<&'static str> {
    let chars: Vec<char> = text.chars().collect();
    let run = |i: usize, n: usize, ok: &dyn Fn(char) -> bool| {
        i + n <= chars.len() && chars[i..i + n].iter().all(|c| ok(*c))
    };
    let digit = |c: char| c.is_ascii_digit();
    for i in 0..chars.len() {
        let starts = i == 0 || !chars[i - 1].is_ascii_alphanumeric();
        if !starts {
            continue;
        }
        if run(i, 17, &digit)
            && i + 17 < chars.len()
            && matches!(chars[i + 17], '0'..='9' | 'X' | 'x')
        {
            let s: String = chars[i..i + 18].iter().collect();
            if jiceng_domain::idcard::CitizenId::parse(&s).is_ok() {
                return Some("身份证号码");
            }
        }
        let ends = |j: usize| j >= chars.len() || !chars[j].is_ascii_digit();
        if run(i, 11, &digit)
            && chars[i] == '1'
            && ('3'..='9').contains(&chars[i + 1])
            && ends(i + 11)
        {
            return Some("手机号码");
        }
    }
    None
}

/// A publication checked: category known, text present, no personal data, dates in order.
pub(crate) fn check(p: &NewPublication) -> StoreResult<NewPublication> {
    if Category::parse(&p.category).is_none() {
        return Err(refuse(
            "board.category_invalid",
            "请选择公开类别（村务、财务、重大事项）".into(),
            "choose the category",
            "category",
        ));
    }
    let title = crate::places::check_name(&p.title, "title")?;
    let body = p.body.trim();
    if body.is_empty() || body.chars().count() > 20_000 {
        return Err(refuse(
            "board.body_invalid",
            "公开内容不能为空，且不超过2万字".into(),
            "the text is 1–20,000 characters",
            "body",
        ));
    }
    for (text, field) in [(&title, "title"), (&body.to_string(), "body")] {
        if let Some(what) = personal_data(text) {
            return Err(refuse(
                "board.personal_data",
                format!("公开内容中含有{what}，不能公开个人信息，请删去后再发布"),
                "the text holds personal data",
                field,
            ));
        }
    }
    let up_on = parse_date(p.up_on.trim(), "up_on")?;
    let down_on = parse_date(p.down_on.trim(), "down_on")?;
    if down_on < up_on {
        return Err(refuse(
            "board.down_before_up",
            format!("撤下日期（{down_on}）不能早于公开日期（{up_on}）"),
            "an item cannot come down before it goes up",
            "down_on",
        ));
    }
    Ok(NewPublication {
        title,
        body: body.to_string(),
        up_on,
        down_on,
        ..p.clone()
    })
}

/// Inserts a checked publication (of a matter's step when `matter_id` is set).
pub(crate) async fn insert_publication(
    conn: &mut AnyConnection,
    p: &NewPublication,
    matter_id: Option<i64>,
    now: i64,
) -> StoreResult<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO publications (place_id, category, title, body, up_on, down_on, matter_id, corrects_id, \
         created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) RETURNING id",
    )
    .bind(p.place_id)
    .bind(&p.category)
    .bind(&p.title)
    .bind(&p.body)
    .bind(&p.up_on)
    .bind(&p.down_on)
    .bind(matter_id)
    .bind(p.corrects_id)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    crate::decisions::publication_recorded(conn, p.place_id, &p.category, &p.up_on).await?;
    Ok(id)
}

impl Store {
    /// Puts an item on the board (a correction names the item it corrects, on the same board).
    /// A matter's publications go up through its steps, not here.
    pub async fn publish(
        &self,
        actor: &Actor,
        scope: &Scope,
        p: &NewPublication,
        now: i64,
    ) -> StoreResult<Publication> {
        let mut p = check(p)?;
        if p.category == Category::Matter.as_str() && p.corrects_id.is_none() {
            return Err(refuse(
                "board.matter_through_steps",
                "重大事项的决议公开和实施结果公开请在该事项的四议两公开页面登记".into(),
                "a matter's publications go up through its steps",
                "category",
            ));
        }
        let mut tx = self.writer.begin().await?;
        let place = village_in(&mut tx, scope, p.place_id).await?;
        let mut matter: Option<i64> = None;
        if let Some(old) = p.corrects_id {
            let was: Option<(i64, String, Option<i64>)> = sqlx::query_as(
                "SELECT place_id, category, matter_id FROM publications WHERE id = $1",
            )
            .bind(old)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((at, category, of)) = was.filter(|w| w.0 == place.id) else {
                return Err(refuse(
                    "board.correction_elsewhere",
                    "更正只能针对本村已公开的事项".into(),
                    "a correction points to an item of the same board",
                    "corrects_id",
                ));
            };
            // One line of corrections: the latest is the one to correct.
            let newer: Option<i64> =
                sqlx::query_scalar("SELECT MAX(id) FROM publications WHERE corrects_id = $1")
                    .bind(old)
                    .fetch_one(&mut *tx)
                    .await?;
            if let Some(n) = newer {
                return Err(refuse(
                    "board.already_corrected",
                    format!("第{old}号已由第{n}号更正，请更正最新的第{n}号"),
                    "correct the latest correction",
                    "corrects_id",
                ));
            }
            // A correction stays what it corrects: the same category, the same matter.
            debug_assert_eq!(at, place.id);
            p.category = category;
            matter = of;
        }
        let id = insert_publication(&mut tx, &p, matter, now).await?;
        let after = serde_json::json!({"place_id": place.id, "category": p.category, "title": p.title,
            "up_on": p.up_on, "down_on": p.down_on, "corrects_id": p.corrects_id});
        audit::commit(
            tx,
            actor,
            Change::new("create", "publication", id, None, Some(after)),
            now,
        )
        .await?;
        self.publication(scope, id).await
    }

    pub async fn publication(&self, scope: &Scope, id: i64) -> StoreResult<Publication> {
        let mut sql = Sql::new(&format!(
            "SELECT {COLS} FROM publications b JOIN places p ON p.id = b.place_id WHERE b.id = "
        ));
        sql.bind(id).push(" AND ");
        scope.predicate(&mut sql, "p.code");
        sql.query_as()
            .fetch_optional(&self.reader)
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// Everything the village published, latest first (staff).
    pub async fn publications(
        &self,
        scope: &Scope,
        place_id: i64,
    ) -> StoreResult<Vec<Publication>> {
        let mut conn = self.reader.acquire().await?;
        let place = village_in(&mut conn, scope, place_id).await?;
        let mut sql = Sql::new(&format!(
            "SELECT {COLS} FROM publications b WHERE b.place_id = "
        ));
        sql.bind(place.id).push(" ORDER BY b.up_on DESC, b.id DESC");
        Ok(sql.query_as().fetch_all(&mut *conn).await?)
    }

    /// The public board of the village coded `code` on `today`: items up today (a village or
    /// community only; NotFound otherwise), then the last year's items that came down.
    pub async fn public_board(
        &self,
        code: &str,
        today: &str,
    ) -> StoreResult<(crate::places::Place, Vec<Publication>, Vec<Publication>)> {
        let mut conn = self.reader.acquire().await?;
        let id: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM places WHERE code = $1 AND kind IN ('village', 'community') AND closed_at IS NULL",
        )
        .bind(code)
        .fetch_optional(&mut *conn)
        .await?;
        let place = village_in(&mut conn, &Scope::All, id.ok_or(StoreError::NotFound)?).await?;
        let mut sql = Sql::new(&format!(
            "SELECT {COLS} FROM publications b WHERE b.place_id = "
        ));
        sql.bind(place.id).push(" AND b.up_on <= ").bind(today);
        sql.push(" AND b.down_on >= ").bind(today);
        sql.push(" ORDER BY b.up_on DESC, b.id DESC");
        let up: Vec<Publication> = sql.query_as().fetch_all(&mut *conn).await?;
        let year_ago = add_days(today, -365)?;
        let mut sql = Sql::new(&format!(
            "SELECT {COLS} FROM publications b WHERE b.place_id = "
        ));
        sql.bind(place.id).push(" AND b.down_on < ").bind(today);
        sql.push(" AND b.down_on >= ").bind(year_ago);
        sql.push(" ORDER BY b.up_on DESC, b.id DESC LIMIT 200");
        let past: Vec<Publication> = sql.query_as().fetch_all(&mut *conn).await?;
        Ok((place, up, past))
    }

    /// Villages in scope (under `under` when given) that are overdue on `today`: no publication
    /// within the affairs period, no finance within the finance period, or a decided matter
    /// whose 决议公开 is later than the rule allows.
    pub async fn board_overdue(
        &self,
        scope: &Scope,
        under: Option<&str>,
        today: &str,
    ) -> StoreResult<Vec<Overdue>> {
        let mut conn = self.reader.acquire().await?;
        let rule = crate::mandates::publication_rule_on(&mut conn, today).await?;
        let day = |days: i64| add_days(today, -days);
        let mut sql = Sql::new(
            "SELECT p.id, p.name, (SELECT MAX(b.up_on) FROM publications b WHERE b.place_id = p.id AND b.up_on <= ",
        );
        sql.bind(today).push(
            "), (SELECT MAX(b.up_on) FROM publications b WHERE b.place_id = p.id AND b.category = ",
        );
        sql.bind(Category::Finance.as_str())
            .push(" AND b.up_on <= ")
            .bind(today);
        sql.push(
            "), (SELECT COUNT(*) FROM matters mt JOIN matter_steps s ON s.matter_id = mt.id \
             WHERE mt.place_id = p.id AND mt.next_step = ",
        );
        sql.bind("resolution_published")
            .push(" AND s.step = ")
            .bind("resolution");
        sql.push(" AND s.on_date < ")
            .bind(day(rule.resolution_within_days)?);
        sql.push(
            ") FROM places p WHERE p.kind IN ('village', 'community') AND p.closed_at IS NULL AND ",
        );
        scope.predicate(&mut sql, "p.code");
        if let Some(code) = under {
            sql.push(" AND ");
            Scope::prefix(code).predicate(&mut sql, "p.code");
        }
        sql.push(" ORDER BY p.code");
        // (village, name, last publication, last finance, matters decided but not published)
        type Row = (i64, String, Option<String>, Option<String>, i64);
        let rows: Vec<Row> = sql.query_as().fetch_all(&self.reader).await?;
        let (affairs_due, finance_due) =
            (day(rule.affairs_every_days)?, day(rule.finance_every_days)?);
        let mut out = Vec::new();
        for (place_id, place_name, last, finance, late) in rows {
            let mut why = Vec::new();
            match &last {
                Some(d) if *d >= affairs_due => {}
                Some(d) => why.push(format!(
                    "距上次公开（{d}）已超过{}天",
                    rule.affairs_every_days
                )),
                None => why.push("尚无任何公开".to_string()),
            }
            match &finance {
                Some(d) if *d >= finance_due => {}
                Some(d) => why.push(format!(
                    "财务距上次公开（{d}）已超过{}天",
                    rule.finance_every_days
                )),
                None => why.push("尚未公开财务".to_string()),
            }
            if late > 0 {
                why.push(format!(
                    "{late}项已决议事项超过{}天未公开决议",
                    rule.resolution_within_days
                ));
            }
            if !why.is_empty() {
                out.push(Overdue {
                    place_id,
                    place_name,
                    reason: why.join("；"),
                });
            }
        }
        Ok(out)
    }

    /// The 村务监督委员会's review of a matter or a publication, by a member sitting that day.
    #[allow(clippy::too_many_arguments)]
    pub async fn review(
        &self,
        actor: &Actor,
        scope: &Scope,
        person_id: i64,
        target: Target,
        verdict: &str,
        opinion: &str,
        reviewed_on: &str,
        now: i64,
    ) -> StoreResult<Review> {
        if !matches!(verdict, "agree" | "object") {
            return Err(refuse(
                "supervision.verdict_invalid",
                "请选择监督意见（无异议或有异议）".into(),
                "choose agree or object",
                "verdict",
            ));
        }
        let opinion = opinion.trim();
        if opinion.is_empty() || opinion.chars().count() > 2000 {
            return Err(refuse(
                "supervision.opinion_invalid",
                "监督意见不能为空，且不超过2000字".into(),
                "the opinion is 1–2,000 characters",
                "opinion",
            ));
        }
        let reviewed_on = parse_date(reviewed_on.trim(), "reviewed_on")?;
        let mut tx = self.writer.begin().await?;
        let person = person_in(&mut tx, scope, person_id).await?;
        let (matter_id, publication_id, place_id) = match target {
            Target::Matter(id) => {
                let p: Option<i64> =
                    sqlx::query_scalar("SELECT place_id FROM matters WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await?;
                (Some(id), None, p)
            }
            Target::Publication(id) => {
                let p: Option<i64> =
                    sqlx::query_scalar("SELECT place_id FROM publications WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await?;
                (None, Some(id), p)
            }
        };
        let place_id = place_id.ok_or(StoreError::NotFound)?;
        village_in(&mut tx, scope, place_id).await?;
        let sits = seats_on(&mut tx, place_id, &reviewed_on)
            .await?
            .iter()
            .any(|s| s.person_id == person.id && s.body == Body::Supervision.as_str());
        if !sits {
            return Err(refuse(
                "supervision.not_member",
                format!("{}在{}不是本村村务监督委员会成员", person.name, reviewed_on),
                "the reviewer does not sit on the supervision committee that day",
                "person_id",
            ));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO supervision_reviews (place_id, person_id, matter_id, publication_id, verdict, opinion, \
             reviewed_on, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id",
        )
        .bind(place_id)
        .bind(person.id)
        .bind(matter_id)
        .bind(publication_id)
        .bind(verdict)
        .bind(opinion)
        .bind(&reviewed_on)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let after = serde_json::json!({"person_id": person.id, "matter_id": matter_id,
            "publication_id": publication_id, "verdict": verdict, "reviewed_on": reviewed_on});
        audit::commit(
            tx,
            actor,
            Change::new("create", "supervision_review", id, None, Some(after)),
            now,
        )
        .await?;
        Ok(Review {
            id,
            person_id: person.id,
            name: person.name,
            matter_id,
            publication_id,
            verdict: verdict.into(),
            opinion: opinion.into(),
            reviewed_on,
        })
    }

    /// Reviews of a matter (and of its publications) or of one publication.
    pub async fn reviews(&self, scope: &Scope, target: Target) -> StoreResult<Vec<Review>> {
        let mut sql = Sql::new(
            "SELECT r.id, r.person_id, vp.name, r.matter_id, r.publication_id, r.verdict, r.opinion, r.reviewed_on \
             FROM supervision_reviews r JOIN village_people vp ON vp.id = r.person_id \
             JOIN places p ON p.id = r.place_id WHERE ",
        );
        match target {
            Target::Matter(id) => sql
                .push("(r.matter_id = ")
                .bind(id)
                .push(" OR r.publication_id IN (SELECT id FROM publications WHERE matter_id = ")
                .bind(id)
                .push("))"),
            Target::Publication(id) => sql.push("r.publication_id = ").bind(id),
        };
        sql.push(" AND ");
        scope.predicate(&mut sql, "p.code");
        sql.push(" ORDER BY r.reviewed_on, r.id");
        Ok(sql.query_as().fetch_all(&self.reader).await?)
    }
}

/// What a supervision review is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Matter(i64),
    Publication(i64),
}
