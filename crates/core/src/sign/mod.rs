//! Tencent Cloud API 3.0 request signatures: TC3-HMAC-SHA256 and the legacy v1
//! HmacSHA1 / HmacSHA256. The same code signs (for `heshen-sdk`) and verifies
//! (for the server), so the two can never drift apart.

pub mod tc3;
pub mod v1;
pub mod verify;

use subtle::ConstantTimeEq;

/// Compares two signatures without leaking, through timing, how many leading
/// characters matched.
pub fn signatures_match(expected: &str, received: &str) -> bool {
    expected.as_bytes().ct_eq(received.as_bytes()).into()
}
