//! heshen's domain: pure types and rules with no I/O.
//!
//! Everything here can be unit-tested without a database, a network or a clock:
//! functions that need "now" take it as an argument.

pub mod action;
pub mod codes;
pub mod error;
pub mod flow;
pub mod identity;
pub mod keys;
pub mod legacy;
pub mod protocol;
pub mod result;
pub mod rule;
pub mod sign;
pub mod stats;
pub mod token;

pub use action::Action;
pub use error::{ApiError, ErrorCode};
pub use identity::{IdCardNumber, PersonName};
pub use token::{BizToken, EidToken};
