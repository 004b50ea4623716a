//! Deterministic demo data (see README of the crate in lib docs).
