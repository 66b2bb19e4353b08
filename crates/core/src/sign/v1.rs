//! The legacy API 3.0 "v1" signature (`SignatureMethod` = HmacSHA1 or HmacSHA256),
//! where every parameter travels as a form field (FACEID_API.md §5.4).

use base64::Engine as _;
use hmac::{Hmac, Mac};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    HmacSha1,
    HmacSha256,
}

impl Method {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "HmacSHA1" => Some(Self::HmacSha1),
            "HmacSHA256" => Some(Self::HmacSha256),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::HmacSha1 => "HmacSHA1",
            Self::HmacSha256 => "HmacSHA256",
        }
    }
}

/// `<METHOD><host><path>?k=v&…` over every parameter but `Signature`, sorted by key,
/// with raw (decoded) values.
pub fn string_to_sign(
    http_method: &str,
    host: &str,
    path: &str,
    params: &[(String, String)],
) -> String {
    let mut pairs: Vec<&(String, String)> =
        params.iter().filter(|(k, _)| k != "Signature").collect();
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    let query: Vec<String> = pairs
        .iter()
        // The Python SDK writes `_` in keys as `.`; no faceid field has one, but a
        // signature over such a key must still verify.
        .map(|(k, v)| format!("{}={}", k.replace('_', "."), v))
        .collect();
    format!("{http_method}{host}{path}?{}", query.join("&"))
}

pub fn signature(method: Method, secret_key: &str, string_to_sign: &str) -> String {
    let digest = match method {
        Method::HmacSha1 => {
            let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret_key.as_bytes())
                .expect("HMAC accepts keys of any length");
            mac.update(string_to_sign.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
        Method::HmacSha256 => {
            let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret_key.as_bytes())
                .expect("HMAC accepts keys of any length");
            mac.update(string_to_sign.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
    };
    base64::engine::general_purpose::STANDARD.encode(digest)
}
