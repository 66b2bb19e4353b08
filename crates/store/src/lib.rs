//! Persistence layer of heshen: apps, API keys, rules, merchants, flows,
//! nonces, audit log and media.
//!
//! - One [`Store`] over SQLite (default, `sqlite://PATH?mode=rwc`) or
//!   PostgreSQL (`postgres://…`); see [`db`](crate::db) for why it holds two
//!   typed pools instead of `sqlx::AnyPool`.
//! - Personal data (API secret keys, flow payloads, media) is sealed with
//!   AES-256-GCM bound to its table/column/row ([`Cipher`]).
//! - Flow inserts are group committed (one writer task, one transaction per
//!   batch) so durable inserts scale to tens of thousands per second.
//!
//! Timestamps are `i64` unix milliseconds; ids are strings.

mod apps;
mod audit;
mod cipher;
mod config;
mod configs;
mod console;
mod db;
mod error;
mod flows;
mod group_commit;
mod ids;
mod jobs;
mod keys;
mod ledger;
mod legacy_apps;
mod media;
mod merchants;
mod nonces;
mod purge;
mod registry;
mod rules;
mod store;

pub use apps::App;
pub use audit::{AuditChain, AuditEntry, AuditFilter, NewAuditEntry};
pub use cipher::{Cipher, SealContext};
pub use config::{MasterKey, StoreConfig};
pub use console::{ConsoleSession, ConsoleUser, NewRevision, Revision, RevisionKind};
pub use db::Backend;
pub use error::{StoreError, StoreResult};
pub use flows::{FlowKind, FlowRecord, FlowSearch, FlowSummary, FlowUpdate, NewFlow, ResultFilter};
pub use jobs::Job;
pub use keys::{ApiKey, ApiKeyInfo, NewApiKey};
pub use ledger::{Bill, Charge, ChargeTotal, Count, CountRow, NewBill, BILL_RETENTION_MS};
pub use legacy_apps::LegacyApp;
pub use merchants::Merchant;
pub use purge::PurgeReport;
pub use registry::RegistryIdentity;
pub use rules::Rule;
pub use store::Store;
