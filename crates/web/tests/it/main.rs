//! The web test suite: every test drives `jiceng_web::router` in-process (`oneshot`, no socket)
//! with a manual clock, on SQLite and on PostgreSQL (`jiceng_store::both_backends!`).
//!
//! - harness.rs: requests, answers, cookies, reading HTML and xlsx;
//! - session.rs: logging in through the real forms (TOTP for administrators), API tokens;
//! - fixture.rs: the demo district or a small tree with the same codes and accounts;
//! - scope.rs: `assert_scoped` / `assert_list_confined`, the data-scope helpers for every endpoint;
//! - member_tests.rs, member_privacy_tests.rs: the member register and its sealed personal data.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod auth_tests;
mod coverage_tests;
mod dues_tests;
mod fixture;
mod harness;
mod household_tests;
mod import_tests;
mod input_tests;
mod life_tests;
mod meeting_tests;
mod member_flow_tests;
mod member_privacy_tests;
mod member_tests;
mod open311_key_tests;
mod open311_tests;
mod openapi_tests;
mod ops_tests;
mod outside_tests;
mod roles;
mod scope;
mod scope_tests;
mod service_tests;
mod session;
mod studio_tests;
mod team_tests;
mod village_tests;
mod voice_guard_tests;
mod voice_tests;

/// 2025-11-24 16:00 UTC: where every test's clock starts.
pub const T0: i64 = 1_764_000_000_000;
