//! Server-side verification, tolerant of each official client's quirks (FACEID_API.md §5.3, §5.7):
//! the Node SDK signs the host without its port and uses the endpoint's first label as the
//! service; tccli signs `Host: http://host:port` verbatim.

use super::{signatures_match, tc3, v1};

/// A received request, reduced to what signatures cover.
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    pub method: &'a str,
    /// The raw query string as received (no leading `?`).
    pub query: &'a str,
    /// `(lower-case name, value)` of every received header.
    pub headers: &'a [(&'a str, &'a str)],
    pub body: &'a [u8],
}

impl<'a> RequestParts<'a> {
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
    }
}

/// The host value with any trailing `:port` removed (`http://h:1` → `http://h`).
pub fn host_without_port(host: &str) -> Option<&str> {
    let (head, tail) = host.rsplit_once(':')?;
    (!tail.is_empty() && tail.bytes().all(|b| b.is_ascii_digit()) && !head.ends_with('/'))
        .then_some(head)
}

/// Services a client may legitimately have put in its credential scope for this host.
pub fn service_is_acceptable(service: &str, host: &str) -> bool {
    if service == "faceid" {
        return true;
    }
    // The Node SDK uses `endpoint.split(".")[0]`, port and all when there is no dot.
    let bare = host.split_once("://").map_or(host, |(_, rest)| rest);
    let first_label = bare.split('.').next().unwrap_or(bare);
    service == first_label
}

/// Checks a TC3 signature; the caller has already parsed `Authorization` and checked the clock.
pub fn verify_tc3(
    parts: &RequestParts<'_>,
    auth: &tc3::Authorization,
    secret_key: &str,
    timestamp: i64,
) -> bool {
    let host = parts.header("host").unwrap_or("");
    let payload_hash = match parts.header("x-tc-content-sha256") {
        Some(v) if v == tc3::UNSIGNED_PAYLOAD => tc3::UNSIGNED_PAYLOAD.to_string(),
        _ => tc3::sha256_hex(parts.body),
    };
    let mut host_candidates = vec![host];
    if let Some(stripped) = host_without_port(host) {
        host_candidates.push(stripped);
    }
    host_candidates.into_iter().any(|host_value| {
        let headers: Vec<(&str, &str)> = auth
            .signed_headers
            .iter()
            .map(|name| {
                let value = if name == "host" {
                    host_value
                } else {
                    parts.header(name).unwrap_or("")
                };
                (name.as_str(), value)
            })
            .collect();
        let canonical = tc3::CanonicalRequest {
            method: parts.method,
            query: if parts.method == "GET" {
                parts.query
            } else {
                ""
            },
            headers,
            payload_hash: payload_hash.clone(),
        };
        let sts = tc3::string_to_sign(timestamp, &auth.date, &auth.service, &canonical.render());
        let expected = tc3::signature(secret_key, &auth.date, &auth.service, &sts);
        signatures_match(&expected, &auth.signature)
    })
}

/// Checks a v1 signature over decoded form parameters.
pub fn verify_v1(
    http_method: &str,
    host: &str,
    params: &[(String, String)],
    method: v1::Method,
    secret_key: &str,
    received_signature: &str,
) -> bool {
    let mut hosts = vec![host];
    if let Some(stripped) = host_without_port(host) {
        hosts.push(stripped);
    }
    hosts.into_iter().any(|h| {
        let sts = v1::string_to_sign(http_method, h, "/", params);
        signatures_match(&v1::signature(method, secret_key, &sts), received_signature)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_ports_only() {
        assert_eq!(host_without_port("127.0.0.1:8080"), Some("127.0.0.1"));
        assert_eq!(
            host_without_port("http://127.0.0.1:8080"),
            Some("http://127.0.0.1")
        );
        assert_eq!(host_without_port("example.com"), None);
        assert_eq!(host_without_port("http://example.com"), None);
    }

    #[test]
    fn services() {
        assert!(service_is_acceptable("faceid", "anything"));
        assert!(service_is_acceptable("127", "127.0.0.1:8080"));
        assert!(service_is_acceptable("localhost:8080", "localhost:8080"));
        assert!(service_is_acceptable("heshen", "heshen.example.com"));
        assert!(!service_is_acceptable("cvm", "127.0.0.1:8080"));
    }
}
