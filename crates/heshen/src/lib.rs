//! The heshen application: wiring of storage, API and background work, used by the
//! `heshen` binary and by integration tests that start the real server.

pub mod app;
pub mod bootstrap;
pub mod listener;
pub mod settings;
