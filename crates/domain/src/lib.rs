//! Pure rules of jiceng: no IO, no clock. Values that exist are valid (they are built by parsing).

pub mod codes;
pub mod coverage;
pub mod decision;
pub mod dues;
pub mod error;
pub mod flow;
pub mod idcard;
pub mod life;
pub mod meeting;
pub mod member;
pub mod open311;
pub mod org;
pub mod password;
pub mod recruitment;
pub mod role;
pub mod service;
pub mod studio;
pub mod team;
pub mod village;
pub mod voice;

pub use codes::{DivisionCode, PlaceKind};
pub use error::{DomainError, Rule};
pub use org::{FormationRule, OrgKind};
pub use role::Role;
