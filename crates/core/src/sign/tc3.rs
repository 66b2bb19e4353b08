//! TC3-HMAC-SHA256, exactly as the official clients compute it (FACEID_API.md §5.3).

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use thiserror::Error;

pub const ALGORITHM: &str = "TC3-HMAC-SHA256";
/// The clients send this instead of the payload hash when `unsignedPayload` is on.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

type HmacSha256 = Hmac<Sha256>;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum AuthorizationError {
    #[error("Authorization header does not start with TC3-HMAC-SHA256")]
    WrongAlgorithm,
    #[error("Authorization header lacks {0}")]
    Missing(&'static str),
    #[error("Credential must be SecretId/Date/Service/tc3_request")]
    MalformedCredential,
    #[error("Signature must be 64 lower-case hex characters")]
    MalformedSignature,
}

/// The parsed `Authorization: TC3-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub secret_id: String,
    pub date: String,
    pub service: String,
    pub signed_headers: Vec<String>,
    pub signature: String,
}

impl Authorization {
    pub fn parse(header: &str) -> Result<Self, AuthorizationError> {
        let rest = header
            .trim()
            .strip_prefix(ALGORITHM)
            .ok_or(AuthorizationError::WrongAlgorithm)?;
        let (mut credential, mut signed_headers, mut signature) = (None, None, None);
        for part in rest.split(',') {
            let part = part.trim();
            if let Some(v) = part.strip_prefix("Credential=") {
                credential = Some(v);
            } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
                signed_headers = Some(v);
            } else if let Some(v) = part.strip_prefix("Signature=") {
                signature = Some(v);
            }
        }
        let credential = credential.ok_or(AuthorizationError::Missing("Credential"))?;
        let signed_headers = signed_headers.ok_or(AuthorizationError::Missing("SignedHeaders"))?;
        let signature = signature.ok_or(AuthorizationError::Missing("Signature"))?;

        let scope: Vec<&str> = credential.split('/').collect();
        let [secret_id, date, service, "tc3_request"] = scope.as_slice() else {
            return Err(AuthorizationError::MalformedCredential);
        };
        if secret_id.is_empty() || service.is_empty() || !is_iso_date(date) {
            return Err(AuthorizationError::MalformedCredential);
        }
        if signature.len() != 64 || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(AuthorizationError::MalformedSignature);
        }
        let signed_headers: Vec<String> = signed_headers
            .split(';')
            .map(|h| h.trim().to_ascii_lowercase())
            .filter(|h| !h.is_empty())
            .collect();
        if signed_headers.is_empty() {
            return Err(AuthorizationError::Missing("SignedHeaders"));
        }
        Ok(Self {
            secret_id: secret_id.to_string(),
            date: date.to_string(),
            service: service.to_string(),
            signed_headers,
            signature: signature.to_ascii_lowercase(),
        })
    }

    pub fn header_value(&self) -> String {
        format!(
            "{ALGORITHM} Credential={}/{}/{}/tc3_request, SignedHeaders={}, Signature={}",
            self.secret_id,
            self.date,
            self.service,
            self.signed_headers.join(";"),
            self.signature
        )
    }
}

fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// Everything that goes into a TC3 canonical request.
#[derive(Debug, Clone)]
pub struct CanonicalRequest<'a> {
    pub method: &'a str,
    /// The query string exactly as sent (already URL-encoded); empty for POST.
    pub query: &'a str,
    /// `(lower-case name, value as received)` in the order of `SignedHeaders`.
    pub headers: Vec<(&'a str, &'a str)>,
    /// Hex SHA-256 of the body, or [`UNSIGNED_PAYLOAD`].
    pub payload_hash: String,
}

impl CanonicalRequest<'_> {
    pub fn render(&self) -> String {
        let mut canonical_headers = String::new();
        let mut names = Vec::with_capacity(self.headers.len());
        for (name, value) in &self.headers {
            canonical_headers.push_str(name);
            canonical_headers.push(':');
            canonical_headers.push_str(value);
            canonical_headers.push('\n');
            names.push(*name);
        }
        format!(
            "{}\n/\n{}\n{}\n{}\n{}",
            self.method,
            self.query,
            canonical_headers,
            names.join(";"),
            self.payload_hash
        )
    }
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

pub fn string_to_sign(
    timestamp: i64,
    date: &str,
    service: &str,
    canonical_request: &str,
) -> String {
    format!(
        "{ALGORITHM}\n{timestamp}\n{date}/{service}/tc3_request\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(msg);
    mac.finalize().into_bytes().into()
}

pub fn signing_key(secret_key: &str, date: &str, service: &str) -> [u8; 32] {
    let k_date = hmac_sha256(format!("TC3{secret_key}").as_bytes(), date.as_bytes());
    let k_service = hmac_sha256(&k_date, service.as_bytes());
    hmac_sha256(&k_service, b"tc3_request")
}

pub fn signature(secret_key: &str, date: &str, service: &str, string_to_sign: &str) -> String {
    hex::encode(hmac_sha256(
        &signing_key(secret_key, date, service),
        string_to_sign.as_bytes(),
    ))
}

/// The UTC calendar date (`YYYY-MM-DD`) of a Unix timestamp, as the credential scope wants it.
pub fn utc_date(timestamp: i64) -> Option<String> {
    let dt = time::OffsetDateTime::from_unix_timestamp(timestamp).ok()?;
    Some(format!(
        "{:04}-{:02}-{:02}",
        dt.year(),
        u8::from(dt.month()),
        dt.day()
    ))
}

/// What a client needs to sign one request the way the Python SDK does.
#[derive(Debug, Clone)]
pub struct SigningInput<'a> {
    pub secret_id: &'a str,
    pub secret_key: &'a str,
    pub service: &'a str,
    pub host: &'a str,
    pub method: &'a str,
    pub query: &'a str,
    pub content_type: &'a str,
    pub body: &'a [u8],
    pub timestamp: i64,
}

/// Produces the `Authorization` header value for a request.
pub fn authorize(input: &SigningInput<'_>) -> String {
    let date = utc_date(input.timestamp).unwrap_or_else(|| "1970-01-01".into());
    let canonical = CanonicalRequest {
        method: input.method,
        query: input.query,
        headers: vec![("content-type", input.content_type), ("host", input.host)],
        payload_hash: sha256_hex(input.body),
    };
    let sts = string_to_sign(input.timestamp, &date, input.service, &canonical.render());
    Authorization {
        secret_id: input.secret_id.to_string(),
        signature: signature(input.secret_key, &date, input.service, &sts),
        date,
        service: input.service.to_string(),
        signed_headers: vec!["content-type".into(), "host".into()],
    }
    .header_value()
}

/// The `Authorization` header for a JSON `POST /` to faceid, the request shape clients send by default.
pub fn authorize_json_post(
    secret_id: &str,
    secret_key: &str,
    host: &str,
    body: &[u8],
    timestamp: i64,
) -> String {
    authorize(&SigningInput {
        secret_id,
        secret_key,
        service: "faceid",
        host,
        method: "POST",
        query: "",
        content_type: "application/json",
        body,
        timestamp,
    })
}
