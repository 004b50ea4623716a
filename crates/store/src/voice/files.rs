//! Photos of a problem: the one a resident sends with the report, and the evidence staff attach
//! when they resolve it. Judged by their bytes (`infer`), kept as uploaded with their SHA-256,
//! never replaced, read back only within the caller's scope.

use crate::Store;
use crate::error::{StoreError, StoreResult};
use crate::scope::Scope;
use jiceng_domain::DomainError;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;

/// The largest photo taken (a phone's photo, not a video).
pub const MAX_PHOTO_BYTES: usize = 8 * 1024 * 1024;
/// What the upload field offers.
pub const ACCEPT_PHOTO: &str = "image/jpeg,image/png,image/webp,image/heic";

#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq, Eq)]
pub struct ProblemFile {
    pub id: i64,
    pub problem_id: i64,
    pub seq: i64,
    pub mime: String,
    pub size: i64,
    pub sha256: String,
    pub created_at: i64,
}

fn refuse(code: &'static str, zh: String, en: &str) -> StoreError {
    DomainError::new(code, zh, en).on("photo").into()
}

/// The photo's type if it is one taken, else a refusal naming the rule.
pub(super) fn check_photo(bytes: &[u8]) -> StoreResult<&'static str> {
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(refuse(
            "problem.photo_too_large",
            format!("照片过大：上限为{}MB", MAX_PHOTO_BYTES >> 20),
            "the photo is too large",
        ));
    }
    let mime = infer::get(bytes).map(|t| t.mime_type());
    match mime {
        Some(m @ ("image/jpeg" | "image/png" | "image/webp" | "image/heif")) => Ok(m),
        _ => Err(refuse(
            "problem.photo_type",
            "所选文件不是照片：请上传JPEG、PNG、WEBP或HEIC格式的图片".into(),
            "only JPEG, PNG, WEBP or HEIC photos",
        )),
    }
}

pub(super) async fn insert(
    tx: &mut AnyConnection,
    problem_id: i64,
    seq: i64,
    mime: &str,
    bytes: &[u8],
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO problem_files (problem_id, seq, mime, size, sha256, bytes, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7)",
    )
    .bind(problem_id)
    .bind(seq)
    .bind(mime)
    .bind(bytes.len() as i64)
    .bind(hex::encode(Sha256::digest(bytes)))
    .bind(bytes)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

impl Store {
    /// The photos of a problem within scope, in the order they came.
    pub async fn problem_files(&self, scope: &Scope, id: i64) -> StoreResult<Vec<ProblemFile>> {
        let p = self.problem(scope, id).await?;
        Ok(sqlx::query_as(
            "SELECT id, problem_id, seq, mime, size, sha256, created_at FROM problem_files \
             WHERE problem_id = $1 ORDER BY id",
        )
        .bind(p.id)
        .fetch_all(&self.reader)
        .await?)
    }

    /// One photo of a problem within scope, with its bytes.
    pub async fn problem_file(
        &self,
        scope: &Scope,
        id: i64,
        file: i64,
    ) -> StoreResult<(ProblemFile, Vec<u8>)> {
        let p = self.problem(scope, id).await?;
        let f: ProblemFile = sqlx::query_as(
            "SELECT id, problem_id, seq, mime, size, sha256, created_at FROM problem_files \
             WHERE problem_id = $1 AND id = $2",
        )
        .bind(p.id)
        .bind(file)
        .fetch_optional(&self.reader)
        .await?
        .ok_or(StoreError::NotFound)?;
        let bytes: Vec<u8> = sqlx::query_scalar("SELECT bytes FROM problem_files WHERE id = $1")
            .bind(f.id)
            .fetch_one(&self.reader)
            .await?;
        Ok((f, bytes))
    }
}
