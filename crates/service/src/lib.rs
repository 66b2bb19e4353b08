//! heshen's application layer: everything a front door (the FaceID API gateway, the H5 flow,
//! the console, the mini-program and legacy endpoints) needs, in terms of the domain rather than
//! of any one wire protocol.
//!
//! - [`AppState`]: storage, configuration, clock, caches, authority, vision, keys.
//! - [`flows`]: the one place that loads, steps and saves a flow.
//! - [`verify`]: vision + authority source → an engine-neutral [`verify::Verdict`].
//! - [`authority`]: where identities and their photos come from.
//! - [`admin`]: keys, rules, merchants, registry and audit.
//! - [`keys`] and [`crypto`]: key derivation and the encryption schemes built on it.
//! - [`legacy`]: seed 003's real-name mini-program protocol.
//! - [`outbound`]: the one HTTP client for caller-given URLs and remote sources.
//! - [`jobs`]: background work (the retention purge) with clean shutdown.

pub mod admin;
pub mod attempts;
pub mod authority;
pub mod capture;
pub mod clock;
pub mod config;
pub mod console;
pub mod crypto;
pub mod error;
pub mod flows;
pub mod jobs;
pub mod keys;
pub mod ledger;
pub mod legacy;
pub mod manage;
pub mod outbound;
pub mod ratelimit;
pub mod recording_parts;
pub mod state;
pub mod verify;
pub mod vision;

pub use config::ServiceConfig;
pub use error::ServiceError;
pub use state::AppState;
