//! The member register. ID number, phone and address are sealed at rest, indexed blind for exact
//! search, and kept masked for display; `reveal` returns a clear value and audits it.

use crate::audit::{self, Change};
use crate::error::{StoreError, StoreResult};
use crate::places::check_name;
use crate::rollups;
use crate::scope::Scope;
use crate::seal::Sealer;
use crate::sql::Sql;
use crate::{Actor, Store};
use jiceng_domain::DomainError;
use jiceng_domain::idcard::CitizenId;
use jiceng_domain::member::{self, EDUCATION, OCCUPATIONS};
use pinyin::ToPinyin;
use serde::Serialize;
use sqlx::AnyConnection;

mod list;
pub(crate) use list::INDEX_FIRST_ABOVE;

/// A member as pages and the API show it: personal data masked.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq, Eq, utoipa::ToSchema)]
pub struct Member {
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub gender: String,
    /// 出生年月 (`YYYY-MM`): the day is withheld, because the masked ID number plus a full birth date
    /// and the county would give the whole number back.
    pub birth_month: String,
    pub ethnicity: String,
    pub education: String,
    pub occupation: String,
    pub status: String,
    pub join_date: Option<String>,
    pub full_date: Option<String>,
    pub workplace: Option<String>,
    pub id_masked: String,
    pub phone_masked: Option<String>,
    pub address_masked: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub org_name: String,
    pub place_id: i64,
    pub place_code: String,
}

impl Member {
    pub(crate) fn json(&self) -> serde_json::Value {
        // Masked values only: the audit log must not become a copy of the sealed data.
        serde_json::json!({"org_id": self.org_id, "name": self.name, "status": self.status, "occupation": self.occupation,
            "education": self.education, "id_number": self.id_masked, "phone": self.phone_masked,
            "address": self.address_masked, "join_date": self.join_date, "full_date": self.full_date})
    }

    pub fn is_current(&self) -> bool {
        member::CURRENT.contains(&self.status.as_str())
    }
}

const COLS: &str = "m.id, m.org_id, m.name, m.gender, substr(m.birth_date, 1, 7) AS birth_month, m.ethnicity, m.education, m.occupation, m.status, \
    m.join_date, m.full_date, m.workplace, m.id_masked, m.phone_masked, m.address_masked, m.created_at, m.updated_at, \
    o.name AS org_name, p.id AS place_id, p.code AS place_code";
const FROM: &str =
    " FROM members m JOIN orgs o ON o.id = m.org_id JOIN places p ON p.id = o.place_id";

/// What a form or an import row gives.
#[derive(Debug, Clone, Default)]
pub struct MemberInput {
    pub org_id: i64,
    pub name: String,
    pub id_number: String,
    pub ethnicity: String,
    pub education: String,
    pub occupation: String,
    pub status: String,
    pub join_date: Option<String>,
    pub full_date: Option<String>,
    pub workplace: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct MemberFilter {
    pub under_prefix: Option<String>,
    pub org_id: Option<i64>,
    pub status: Option<String>,
    /// A name, pinyin initials (`zs` finds 张三), an exact ID number or an exact phone number.
    pub q: Option<String>,
    pub include_former: bool,
}

/// Which sealed field to reveal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sealed {
    IdNumber,
    Phone,
    Address,
}

impl Sealed {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "id_number" => Some(Sealed::IdNumber),
            "phone" => Some(Sealed::Phone),
            "address" => Some(Sealed::Address),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Sealed::IdNumber => "id_number",
            Sealed::Phone => "phone",
            Sealed::Address => "address",
        }
    }
    fn column(self) -> &'static str {
        match self {
            Sealed::IdNumber => "id_sealed",
            Sealed::Phone => "phone_sealed",
            Sealed::Address => "address_sealed",
        }
    }
}

/// Lower-case pinyin initials of a name (`张三` → `zs`); other characters kept as they are.
pub fn initials(name: &str) -> String {
    name.chars()
        .map(|c| match c.to_pinyin() {
            Some(p) => p.first_letter().to_string(),
            None => c.to_lowercase().to_string(),
        })
        .collect()
}

pub(crate) struct SealedId {
    pub(crate) gender: &'static str,
    pub(crate) birth: String,
    pub(crate) sealed: Vec<u8>,
    pub(crate) index: String,
    pub(crate) masked: String,
}

/// A validated input, with the derived and sealed values ready to write.
pub(crate) struct Prepared {
    pub(crate) name: String,
    pub(crate) initials: String,
    /// None when an edit leaves the ID number blank: the sealed value and what derives from it stay.
    pub(crate) id: Option<SealedId>,
    pub(crate) phone: Option<(Vec<u8>, String, String)>,
    pub(crate) address: Option<(Vec<u8>, String)>,
    pub(crate) join_date: Option<String>,
    pub(crate) full_date: Option<String>,
}

/// An input that passed every rule of the member form; nothing is sealed yet (a roster preview
/// checks a whole file this way without paying for the sealing).
pub(crate) struct Checked {
    pub(crate) name: String,
    pub(crate) id: Option<CitizenId>,
    phone: Option<String>,
    address: Option<String>,
    join_date: Option<String>,
    full_date: Option<String>,
}

fn trimmed(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The member form's rules, in order, so the first broken one is the one reported. Used by the
/// form and by the roster import alike.
pub(crate) fn check(i: &MemberInput, id_required: bool) -> StoreResult<Checked> {
    let name = check_name(&i.name, "name")?;
    let id = match (i.id_number.trim(), id_required) {
        ("", false) => None,
        (raw, _) => Some(CitizenId::parse(raw)?),
    };
    member::check_choice(
        member::selectable_statuses(),
        &i.status,
        "status",
        "党员状态",
        "status",
    )?;
    member::check_choice(
        &OCCUPATIONS,
        &i.occupation,
        "occupation",
        "职业类别",
        "occupation",
    )?;
    member::check_choice(&EDUCATION, &i.education, "education", "学历", "education")?;
    let join_date = trimmed(&i.join_date)
        .map(|s| member::parse_date(s, "join_date"))
        .transpose()?;
    let full_date = trimmed(&i.full_date)
        .map(|s| member::parse_date(s, "full_date"))
        .transpose()?;
    if let (Some(j), Some(f)) = (&join_date, &full_date)
        && f < j
    {
        return Err(DomainError::new(
            "member.full_before_join",
            "转正日期不能早于入党日期",
            "full membership cannot precede joining",
        )
        .on("full_date")
        .into());
    }
    let phone = trimmed(&i.phone).map(member::parse_phone).transpose()?;
    let address = match trimmed(&i.address) {
        Some(a) if a.chars().count() > 200 => {
            return Err(DomainError::new(
                "member.address_too_long",
                "地址不超过200字",
                "an address is at most 200 characters",
            )
            .on("address")
            .into());
        }
        a => a.map(str::to_string),
    };
    Ok(Checked {
        name,
        id,
        phone,
        address,
        join_date,
        full_date,
    })
}

/// Seals a checked input. `id_index` is the ID number's blind index when the caller has it
/// already (the import computes it to find duplicates).
pub(crate) fn seal(s: &Sealer, c: Checked, id_index: Option<String>) -> StoreResult<Prepared> {
    let phone = match &c.phone {
        Some(p) => Some((s.seal(p.as_bytes())?, s.blind(p), member::mask_phone(p))),
        None => None,
    };
    let address = match &c.address {
        Some(a) => Some((s.seal(a.as_bytes())?, member::mask_address(a))),
        None => None,
    };
    let id = match c.id {
        Some(id) => {
            let (y, m, d) = id.birth_date();
            Some(SealedId {
                gender: if id.is_male() { "male" } else { "female" },
                birth: format!("{y:04}-{m:02}-{d:02}"),
                sealed: s.seal(id.as_str().as_bytes())?,
                index: id_index.unwrap_or_else(|| s.blind(id.as_str())),
                masked: id.masked(),
            })
        }
        None => None,
    };
    Ok(Prepared {
        initials: initials(&c.name),
        name: c.name,
        id,
        phone,
        address,
        join_date: c.join_date,
        full_date: c.full_date,
    })
}

impl Store {
    pub(crate) fn prepare(&self, i: &MemberInput, id_required: bool) -> StoreResult<Prepared> {
        seal(&self.sealer, check(i, id_required)?, None)
    }

    pub(crate) async fn member_in(
        conn: &mut AnyConnection,
        scope: &Scope,
        id: i64,
    ) -> StoreResult<Member> {
        let mut sql = Sql::new(&format!("SELECT {COLS}{FROM} WHERE m.id = "));
        sql.bind(id).push(" AND ");
        scope.predicate(&mut sql, "p.code");
        sql.query_as()
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn org_place_code(
        conn: &mut AnyConnection,
        scope: &Scope,
        org_id: i64,
    ) -> StoreResult<String> {
        let mut sql = Sql::new(
            "SELECT p.code FROM orgs o JOIN places p ON p.id = o.place_id WHERE o.closed_at IS NULL AND o.id = ",
        );
        sql.bind(org_id).push(" AND ");
        scope.predicate(&mut sql, "p.code");
        let code: Option<String> = sql.scalar().fetch_optional(&mut *conn).await?;
        code.ok_or_else(|| {
            DomainError::new(
                "member.org_unknown",
                "找不到该党组织（或已撤销、不在管辖范围内）",
                "no such open organisation in your scope",
            )
            .on("org_id")
            .into()
        })
    }

    pub async fn member(&self, scope: &Scope, id: i64) -> StoreResult<Member> {
        let mut conn = self.reader.acquire().await?;
        Self::member_in(&mut conn, scope, id).await
    }

    pub async fn create_member(
        &self,
        actor: &Actor,
        scope: &Scope,
        input: MemberInput,
        now: i64,
    ) -> StoreResult<Member> {
        let p = self.prepare(&input, true)?;
        let mut tx = self.writer.begin().await?;
        let m = Self::create_in(&mut tx, scope, &input, &p, now).await?;
        audit::commit(
            tx,
            actor,
            Change::new("create", "member", m.id, None, Some(m.json())),
            now,
        )
        .await?;
        Ok(m)
    }

    /// Inserts a prepared member (and its count) in an open transaction; the caller audits.
    pub(crate) async fn create_in(
        tx: &mut AnyConnection,
        scope: &Scope,
        input: &MemberInput,
        p: &Prepared,
        now: i64,
    ) -> StoreResult<Member> {
        let place_code = Self::org_place_code(tx, scope, input.org_id).await?;
        let id = insert(tx, input, p, now).await?;
        if member::CURRENT.contains(&input.status.as_str()) {
            rollups::bump(tx, &place_code, rollups::MEMBERS, 1).await?;
        }
        Self::member_in(tx, &Scope::All, id).await
    }

    /// Edits a member; a new `org_id` moves the member (and its count) to that organisation.
    /// A blank ID number, phone or address keeps the sealed value (forms never show it in clear).
    pub async fn update_member(
        &self,
        actor: &Actor,
        scope: &Scope,
        id: i64,
        input: MemberInput,
        now: i64,
    ) -> StoreResult<Member> {
        let p = self.prepare(&input, false)?;
        let mut tx = self.writer.begin().await?;
        let before = Self::member_in(&mut tx, scope, id).await?;
        if before.status == member::TRANSFERRED_OUT {
            return Err(DomainError::new(
                "member.transferred_out",
                "该党员的组织关系已转出系统外，记录仅供查阅；转回请办理“系统外转入”",
                "this member was transferred out of the system; the record is read-only until a transfer back",
            )
            .on("status")
            .into());
        }
        let after = Self::update_in(&mut tx, scope, &before, &input, &p, now).await?;
        audit::commit(
            tx,
            actor,
            Change::new(
                "update",
                "member",
                id,
                Some(before.json()),
                Some(after.json()),
            ),
            now,
        )
        .await?;
        Ok(after)
    }

    /// Writes a prepared edit of `before` in an open transaction, moving its count when the
    /// organisation or the status changes; the caller audits. The new organisation must be in scope.
    pub(crate) async fn update_in(
        tx: &mut AnyConnection,
        scope: &Scope,
        before: &Member,
        input: &MemberInput,
        p: &Prepared,
        now: i64,
    ) -> StoreResult<Member> {
        let id = before.id;
        let place_code = Self::org_place_code(tx, scope, input.org_id).await?;
        if input.org_id != before.org_id {
            // While a transfer is in transit the member belongs to the sender until it is received.
            let open: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM transfers WHERE member_id = $1 AND status = 'in_transit'",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            if open > 0 {
                return Err(DomainError::new(
                    "transfer.in_transit",
                    "该党员的组织关系正在转接中，接收或撤回之前不能改变所在党组织",
                    "a transfer is in transit: the organisation cannot change until it is received or withdrawn",
                )
                .on("org_id")
                .into());
            }
        }
        sqlx::query(
            "UPDATE members SET org_id=$1, name=$2, name_initials=$3, gender=COALESCE($4, gender), \
             birth_date=COALESCE($5, birth_date), ethnicity=$6, education=$7, occupation=$8, status=$9, join_date=$10, \
             full_date=$11, workplace=$12, id_sealed=COALESCE($13, id_sealed), id_index=COALESCE($14, id_index), \
             id_masked=COALESCE($15, id_masked), phone_sealed=COALESCE($16, phone_sealed), phone_index=COALESCE($17, phone_index), \
             phone_masked=COALESCE($18, phone_masked), address_sealed=COALESCE($19, address_sealed), \
             address_masked=COALESCE($20, address_masked), updated_at=$21 WHERE id=$22",
        )
        .bind(input.org_id)
        .bind(&p.name)
        .bind(&p.initials)
        .bind(p.id.as_ref().map(|x| x.gender))
        .bind(p.id.as_ref().map(|x| x.birth.clone()))
        .bind(non_empty(&input.ethnicity).unwrap_or_else(|| before.ethnicity.clone()))
        .bind(&input.education)
        .bind(&input.occupation)
        .bind(&input.status)
        .bind(&p.join_date)
        .bind(&p.full_date)
        .bind(input.workplace.as_deref().and_then(non_empty))
        .bind(p.id.as_ref().map(|x| x.sealed.clone()))
        .bind(p.id.as_ref().map(|x| x.index.clone()))
        .bind(p.id.as_ref().map(|x| x.masked.clone()))
        .bind(p.phone.as_ref().map(|x| x.0.clone()))
        .bind(p.phone.as_ref().map(|x| x.1.clone()))
        .bind(p.phone.as_ref().map(|x| x.2.clone()))
        .bind(p.address.as_ref().map(|x| x.0.clone()))
        .bind(p.address.as_ref().map(|x| x.1.clone()))
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::from(e).unique("member.id_number_taken", "id_number", "该身份证号已在党员名册中", "this ID number is already in the register"))?;
        crate::life::committee::recount(tx, &[before.org_id, input.org_id]).await?;
        let now_current = member::CURRENT.contains(&input.status.as_str());
        if before.is_current() {
            rollups::bump(tx, &before.place_code, rollups::MEMBERS, -1).await?;
        }
        if now_current {
            rollups::bump(tx, &place_code, rollups::MEMBERS, 1).await?;
        }
        Self::member_in(tx, &Scope::All, id).await
    }

    /// The clear value of one sealed field, written to the audit log as a reveal (who, when, which).
    pub async fn reveal(
        &self,
        actor: &Actor,
        scope: &Scope,
        id: i64,
        field: Sealed,
        now: i64,
    ) -> StoreResult<Option<String>> {
        let mut tx = self.writer.begin().await?;
        let m = Self::member_in(&mut tx, scope, id).await?;
        let sql = format!("SELECT {} FROM members WHERE id = $1", field.column());
        let sealed: Option<Vec<u8>> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let clear = match sealed {
            Some(s) => Some(
                String::from_utf8(self.sealer.open(&s)?)
                    .map_err(|_| StoreError::Internal("sealed value is not text".into()))?,
            ),
            None => None,
        };
        let after = serde_json::json!({"field": field.as_str(), "member": m.name, "masked": match field {
            Sealed::IdNumber => Some(m.id_masked.clone()),
            Sealed::Phone => m.phone_masked.clone(),
            Sealed::Address => m.address_masked.clone(),
        }});
        audit::commit(
            tx,
            actor,
            Change::new("reveal", "member", id, None, Some(after)),
            now,
        )
        .await?;
        Ok(clear)
    }
}

/// Inserts one prepared member (the create path and the roster import share it).
pub(crate) async fn insert(
    tx: &mut AnyConnection,
    input: &MemberInput,
    p: &Prepared,
    now: i64,
) -> StoreResult<i64> {
    let sid =
        p.id.as_ref()
            .ok_or_else(|| StoreError::Internal("id required".into()))?;
    let id = sqlx::query_scalar(
            "INSERT INTO members (org_id, name, name_initials, gender, birth_date, ethnicity, education, occupation, status, \
             join_date, full_date, workplace, id_sealed, id_index, id_masked, phone_sealed, phone_index, phone_masked, \
             address_sealed, address_masked, created_at, updated_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$21) RETURNING id",
        )
        .bind(input.org_id)
        .bind(&p.name)
        .bind(&p.initials)
        .bind(sid.gender)
        .bind(&sid.birth)
        .bind(non_empty(&input.ethnicity).unwrap_or_else(|| "汉族".into()))
        .bind(&input.education)
        .bind(&input.occupation)
        .bind(&input.status)
        .bind(&p.join_date)
        .bind(&p.full_date)
        .bind(input.workplace.as_deref().and_then(non_empty))
        .bind(sid.sealed.clone())
        .bind(&sid.index)
        .bind(&sid.masked)
        .bind(p.phone.as_ref().map(|x| x.0.clone()))
        .bind(p.phone.as_ref().map(|x| x.1.clone()))
        .bind(p.phone.as_ref().map(|x| x.2.clone()))
        .bind(p.address.as_ref().map(|x| x.0.clone()))
        .bind(p.address.as_ref().map(|x| x.1.clone()))
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| StoreError::from(e).unique("member.id_number_taken", "id_number", "该身份证号已在党员名册中", "this ID number is already in the register"))?;
    crate::life::committee::recount(tx, &[input.org_id]).await?;
    Ok(id)
}

pub(crate) fn non_empty(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    #[test]
    fn pinyin_initials() {
        assert_eq!(super::initials("张三"), "zs");
        assert_eq!(super::initials("欧阳Li"), "oyli");
    }
}
