//! The legacy real-name mini-program protocol (seed 003, docs/legacy.md): its signature, its
//! error codes and how a flow's result reads as its exit `errCode`.
//!
//! A signature is `Base64(HMAC-SHA1(secretkey, original) ‖ original)` with
//! `original = a=APPID&m=API&t=NOW&e=EXPIRY`. Seed 003 calls `e` an expiry time but shows
//! `e=600`: heshen takes an `e` not after `t` as a lifetime in seconds (`t + e`) and a later
//! one as the moment the signature expires.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use subtle::ConstantTimeEq;

/// The API names signatures are made for: the mini-program's entry, and the pull of results.
pub const API_AUTH: &str = "auth";
pub const API_GET_DETECT_INFO: &str = "getdetectinfo";

/// The longest a signature may be valid for; a longer one is refused as malformed.
pub const MAX_LIFETIME_SECS: i64 = 24 * 3600;
/// How far ahead of this server's clock a signature's `t` may be.
pub const CLOCK_SKEW_SECS: i64 = 300;

/// Why a request of the legacy protocol is refused: each has its own `errorcode`, apart from
/// the verification result codes 601–612.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LegacyError {
    #[error("the signature is missing or is not Base64 of HMAC-SHA1 followed by a=…&m=…&t=…&e=…")]
    SignatureMalformed,
    #[error("the signature has expired (or its t is ahead of this server's clock)")]
    SignatureExpired,
    #[error("the signature does not verify with this appid's secret key")]
    SignatureMismatch,
    #[error("the signature was made for another appid")]
    SignatureOtherApp,
    #[error("the signature was made for another API")]
    SignatureOtherApi,
    #[error("the appid is unknown or disabled")]
    UnknownApp,
    #[error("the request body is not the JSON this API takes")]
    BadRequest,
    #[error("the token is unknown, erased, or another appid's")]
    UnknownToken,
    #[error("the verification of this token has not finished")]
    NotFinished,
    #[error("the token expired before the verification finished")]
    TokenExpired,
    #[error("the service is unavailable; try again")]
    Unavailable,
}

impl LegacyError {
    /// The `errorcode` of the reply.
    pub fn code(self) -> i64 {
        match self {
            Self::SignatureMalformed => 701,
            Self::SignatureExpired => 702,
            Self::SignatureMismatch => 703,
            Self::SignatureOtherApp => 704,
            Self::SignatureOtherApi => 705,
            Self::UnknownApp => 706,
            Self::BadRequest => 707,
            Self::UnknownToken => 708,
            Self::NotFinished => 709,
            Self::TokenExpired => 710,
            Self::Unavailable => 711,
        }
    }

    pub const ALL: [LegacyError; 11] = [
        Self::SignatureMalformed,
        Self::SignatureExpired,
        Self::SignatureMismatch,
        Self::SignatureOtherApp,
        Self::SignatureOtherApi,
        Self::UnknownApp,
        Self::BadRequest,
        Self::UnknownToken,
        Self::NotFinished,
        Self::TokenExpired,
        Self::Unavailable,
    ];
}

/// A signature taken apart; [`LegacySignature::check`] says whether it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacySignature {
    pub app_id: String,
    pub api: String,
    pub signed_at: i64,
    pub expires_at: i64,
    mac: Vec<u8>,
    original: String,
}

const MAC_LEN: usize = 20;

fn hmac_sha1(secret: &str, message: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// What seed 003's NodeJS sample computes: the signature an integrator's backend sends.
pub fn sign(secret: &str, app_id: &str, api: &str, now_s: i64, expiry: i64) -> String {
    let original = format!("a={app_id}&m={api}&t={now_s}&e={expiry}");
    let mut raw = hmac_sha1(secret, original.as_bytes());
    raw.extend_from_slice(original.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(raw)
}

impl LegacySignature {
    pub fn parse(signature: &str) -> Result<Self, LegacyError> {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(signature.trim())
            .map_err(|_| LegacyError::SignatureMalformed)?;
        if raw.len() <= MAC_LEN {
            return Err(LegacyError::SignatureMalformed);
        }
        let (mac, original) = raw.split_at(MAC_LEN);
        let original =
            String::from_utf8(original.to_vec()).map_err(|_| LegacyError::SignatureMalformed)?;
        let mut fields = [None::<&str>; 4];
        for pair in original.split('&') {
            let (key, value) = pair
                .split_once('=')
                .ok_or(LegacyError::SignatureMalformed)?;
            let slot = match key {
                "a" => 0,
                "m" => 1,
                "t" => 2,
                "e" => 3,
                _ => return Err(LegacyError::SignatureMalformed),
            };
            if fields[slot].replace(value).is_some() {
                return Err(LegacyError::SignatureMalformed);
            }
        }
        let [Some(app_id), Some(api), Some(t), Some(e)] = fields else {
            return Err(LegacyError::SignatureMalformed);
        };
        let number = |text: &str| {
            text.parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or(LegacyError::SignatureMalformed)
        };
        let signed_at = number(t)?;
        let e = number(e)?;
        let expires_at = if e <= signed_at { signed_at + e } else { e };
        if app_id.is_empty() || expires_at - signed_at > MAX_LIFETIME_SECS {
            return Err(LegacyError::SignatureMalformed);
        }
        Ok(Self {
            app_id: app_id.to_string(),
            api: api.to_string(),
            signed_at,
            expires_at,
            mac: mac.to_vec(),
            original,
        })
    }

    /// Holds when it was made with `secret` for `app_id` and `api` and is valid at `now_s`.
    /// The MAC is checked before the time, so an expired signature is reported as expired
    /// only to someone who holds the key.
    pub fn check(
        &self,
        secret: &str,
        app_id: &str,
        api: &str,
        now_s: i64,
    ) -> Result<(), LegacyError> {
        if self.app_id != app_id {
            return Err(LegacyError::SignatureOtherApp);
        }
        let expected = hmac_sha1(secret, self.original.as_bytes());
        if !bool::from(expected.ct_eq(&self.mac)) {
            return Err(LegacyError::SignatureMismatch);
        }
        if self.api != api {
            return Err(LegacyError::SignatureOtherApi);
        }
        if now_s > self.expires_at || self.signed_at > now_s + CLOCK_SKEW_SECS {
            return Err(LegacyError::SignatureExpired);
        }
        Ok(())
    }
}

/// Seed 003's exit `errCode` for a flow's result code: `"0"` when it passed, 601–612 by what
/// failed.
pub fn exit_code(result_code: i64) -> &'static str {
    match result_code {
        0 => "0",
        1002 | 1003 | 1005 | 1207 | 1208 | 1209 | 1301 | 1302 | 1303 | 1401 | 2011 => "602",
        1004 | 2004 | 2012 | 2015 => "603",
        2016 => "604",
        2005..=2009 => "605",
        301..=303 => "606",
        1108 | 2014 => "607",
        1106 => "608",
        1109 => "609",
        1102 | 1210 | 2010 | 2013 => "610",
        1103 => "611",
        1101 => "612",
        _ => "601",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn a_signature_made_as_the_seed_shows_verifies_for_its_app_and_api() {
        let signature = sign(SECRET, "TIDA01", API_AUTH, 1_700_000_000, 600);
        let parsed = LegacySignature::parse(&signature).unwrap();
        assert_eq!(parsed.app_id, "TIDA01");
        assert_eq!(parsed.expires_at, 1_700_000_600);
        assert_eq!(
            parsed.check(SECRET, "TIDA01", API_AUTH, 1_700_000_100),
            Ok(())
        );
        assert_eq!(
            parsed.check(SECRET, "TIDA01", API_AUTH, 1_700_000_601),
            Err(LegacyError::SignatureExpired)
        );
        assert_eq!(
            parsed.check(SECRET, "TIDA02", API_AUTH, 1_700_000_100),
            Err(LegacyError::SignatureOtherApp)
        );
        assert_eq!(
            parsed.check(SECRET, "TIDA01", API_GET_DETECT_INFO, 1_700_000_100),
            Err(LegacyError::SignatureOtherApi)
        );
        assert_eq!(
            parsed.check("another secret", "TIDA01", API_AUTH, 1_700_000_100),
            Err(LegacyError::SignatureMismatch)
        );
    }

    #[test]
    fn an_absolute_expiry_is_taken_as_such() {
        let signature = sign(SECRET, "A", API_AUTH, 1_700_000_000, 1_700_003_600);
        let parsed = LegacySignature::parse(&signature).unwrap();
        assert_eq!(parsed.expires_at, 1_700_003_600);
        let too_long = sign(SECRET, "A", API_AUTH, 1_700_000_000, 1_800_000_000);
        assert_eq!(
            LegacySignature::parse(&too_long),
            Err(LegacyError::SignatureMalformed)
        );
    }

    #[test]
    fn a_changed_original_no_longer_verifies() {
        let signature = sign(SECRET, "A", API_AUTH, 1_700_000_000, 600);
        let mut raw = base64::engine::general_purpose::STANDARD
            .decode(&signature)
            .unwrap();
        let last = raw.len() - 1;
        raw[last] = b'9';
        let tampered = base64::engine::general_purpose::STANDARD.encode(raw);
        let parsed = LegacySignature::parse(&tampered).unwrap();
        assert_eq!(
            parsed.check(SECRET, "A", API_AUTH, 1_700_000_100),
            Err(LegacyError::SignatureMismatch)
        );
    }

    #[test]
    fn junk_is_malformed() {
        for junk in [
            "",
            "!!!",
            "YWJj",
            &base64::engine::general_purpose::STANDARD.encode(
                [0u8; 20]
                    .iter()
                    .chain(b"a=1&m=x&t=1")
                    .copied()
                    .collect::<Vec<_>>(),
            ),
        ] {
            assert_eq!(
                LegacySignature::parse(junk),
                Err(LegacyError::SignatureMalformed),
                "{junk}"
            );
        }
    }

    #[test]
    fn error_codes_are_distinct_and_apart_from_the_result_codes() {
        let codes: std::collections::HashSet<i64> =
            LegacyError::ALL.iter().map(|e| e.code()).collect();
        assert_eq!(codes.len(), LegacyError::ALL.len());
        assert!(codes.iter().all(|c| !(601..=612).contains(c) && *c != 0));
    }

    #[test]
    fn results_read_as_the_seeds_exit_codes() {
        assert_eq!(exit_code(0), "0");
        assert_eq!(exit_code(2016), "604");
        assert_eq!(exit_code(1101), "612");
        assert_eq!(exit_code(1301), "602");
        assert_eq!(exit_code(4), "601");
    }
}
