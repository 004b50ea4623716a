//! Files attached to a meeting (issue 6): the signed sign-in sheet, photos, the minutes as signed.
//! Only PDF, JPEG, PNG and Office documents are taken, judged by their bytes; each is kept as
//! uploaded with its SHA-256, never replaced or removed (a wrong file is followed by the right
//! one), and read back only within the caller's scope.

use crate::audit::{self, Change};
use crate::error::{StoreError, StoreResult};
use crate::scope::Scope;
use crate::{Actor, Store};
use jiceng_domain::DomainError;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The largest file a meeting takes.
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;
/// The most files one meeting holds.
pub const MAX_FILES: i64 = 30;
/// What the upload field offers.
pub const ACCEPT: &str = ".pdf,.jpg,.jpeg,.png,.docx,.xlsx";

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq, Eq)]
pub struct MeetingFile {
    pub id: i64,
    pub meeting_id: i64,
    pub name: String,
    pub mime: String,
    pub size: i64,
    pub sha256: String,
    pub created_at: i64,
}

fn refuse(code: &'static str, zh: String, en: &str) -> StoreError {
    DomainError::new(code, zh, en).on("file").into()
}

/// The file's type from its bytes, if it is one a meeting takes.
fn kind_of(bytes: &[u8]) -> Option<&'static str> {
    let t = infer::get(bytes)?;
    match t.mime_type() {
        m @ ("application/pdf" | "image/jpeg" | "image/png") => Some(m),
        // A .docx or .xlsx is a zip; `infer` tells them apart by their parts.
        m @ ("application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        | "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet") => Some(m),
        _ => None,
    }
}

/// A name safe to store and to offer back: no path, no control characters, at most 100 chars.
fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(100)
        .collect();
    if cleaned.trim().is_empty() {
        "附件".into()
    } else {
        cleaned.trim().to_string()
    }
}

impl Store {
    /// Attaches a file to a meeting within scope.
    pub async fn attach_file(
        &self,
        actor: &Actor,
        scope: &Scope,
        meeting_id: i64,
        name: &str,
        bytes: &[u8],
        now: i64,
    ) -> StoreResult<MeetingFile> {
        let m = self.meeting(scope, meeting_id).await?;
        if bytes.is_empty() {
            return Err(refuse(
                "meeting.file_empty",
                "请选择要上传的文件".into(),
                "choose a file",
            ));
        }
        if bytes.len() > MAX_FILE_BYTES {
            return Err(refuse(
                "meeting.file_too_large",
                format!("文件过大：上限为{}MB", MAX_FILE_BYTES >> 20),
                "the file is too large",
            ));
        }
        let name = clean_name(name);
        let mime = kind_of(bytes).ok_or_else(|| {
            refuse(
                "meeting.file_type",
                format!("「{name}」不是PDF、JPEG、PNG、Word或Excel文件，不能作为会议附件"),
                "only PDF, JPEG, PNG, Word or Excel files",
            )
        })?;
        let sha = hex::encode(Sha256::digest(bytes));
        let mut tx = self.writer.begin().await?;
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM meeting_files WHERE meeting_id = $1")
            .bind(m.id)
            .fetch_one(&mut *tx)
            .await?;
        if n >= MAX_FILES {
            return Err(refuse(
                "meeting.too_many_files",
                format!("每次会议最多{MAX_FILES}个附件"),
                "too many files on this meeting",
            ));
        }
        let size = bytes.len() as i64;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO meeting_files (meeting_id, name, mime, size, sha256, bytes, created_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING id",
        )
        .bind(m.id)
        .bind(&name)
        .bind(mime)
        .bind(size)
        .bind(&sha)
        .bind(bytes)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let after = serde_json::json!({"meeting_id": m.id, "name": name, "mime": mime, "size": size, "sha256": sha});
        audit::commit(
            tx,
            actor,
            Change::new("attach", "meeting_file", id, None, Some(after)),
            now,
        )
        .await?;
        Ok(MeetingFile {
            id,
            meeting_id: m.id,
            name,
            mime: mime.into(),
            size,
            sha256: sha,
            created_at: now,
        })
    }

    /// A meeting's files, oldest first (without their bytes).
    pub async fn meeting_files(
        &self,
        scope: &Scope,
        meeting_id: i64,
    ) -> StoreResult<Vec<MeetingFile>> {
        let m = self.meeting(scope, meeting_id).await?;
        Ok(sqlx::query_as(
            "SELECT id, meeting_id, name, mime, size, sha256, created_at FROM meeting_files \
             WHERE meeting_id = $1 ORDER BY id",
        )
        .bind(m.id)
        .fetch_all(&self.reader)
        .await?)
    }

    /// One file with its bytes, when its meeting is within scope.
    pub async fn meeting_file(
        &self,
        scope: &Scope,
        meeting_id: i64,
        file_id: i64,
    ) -> StoreResult<(MeetingFile, Vec<u8>)> {
        let m = self.meeting(scope, meeting_id).await?;
        // (id, name, mime, size, sha256, created_at, bytes)
        type Row = (i64, String, String, i64, String, i64, Vec<u8>);
        let row: Option<Row> = sqlx::query_as(
            "SELECT id, name, mime, size, sha256, created_at, bytes FROM meeting_files \
             WHERE id = $1 AND meeting_id = $2",
        )
        .bind(file_id)
        .bind(m.id)
        .fetch_optional(&self.reader)
        .await?;
        let (id, name, mime, size, sha256, created_at, bytes) = row.ok_or(StoreError::NotFound)?;
        Ok((
            MeetingFile {
                id,
                meeting_id: m.id,
                name,
                mime,
                size,
                sha256,
                created_at,
            },
            bytes,
        ))
    }
}
