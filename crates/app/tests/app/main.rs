//! End-to-end tests of the binary: the command line, and one browser session in headless Chromium.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod browser;
mod browser_matter;
mod browser_service;
mod browser_voice;
mod cli;
mod kit;
