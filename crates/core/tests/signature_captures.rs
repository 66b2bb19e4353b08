//! Every request the official clients sent to the capture stub (shared/spec/captures) must
//! verify with heshen's signature code, and must fail once the key or the body changes.

use heshen_core::sign::{tc3, v1, verify};
use std::path::PathBuf;

const SECRET_ID: &str = "AKIDEXAMPLE0000000000000000000000000";
/// The capture stub answered `AKIDERROR` with an error envelope; it signs with the same key.
const KNOWN_SECRET_IDS: [&str; 2] = [SECRET_ID, "AKIDERROR"];
const SECRET_KEY: &str = "EXAMPLEKEY000000000000000000000000";

struct Capture {
    name: String,
    method: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn captures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/spec/captures")
}

fn load_captures() -> Vec<Capture> {
    let mut out = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(captures_dir())
        .expect("shared/spec/captures must exist beside the repository")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "http"))
        .collect();
    paths.sort();
    for path in paths {
        let raw = std::fs::read(&path).unwrap();
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map(|i| (i, 4))
            .or_else(|| raw.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2)))
            .expect("headers end");
        let head = String::from_utf8(raw[..split.0].to_vec()).unwrap();
        let body = raw[split.0 + split.1..].to_vec();
        let mut lines = head.lines();
        let request_line = lines.next().unwrap();
        let mut parts = request_line.split(' ');
        let method = parts.next().unwrap().to_string();
        let target = parts.next().unwrap();
        let query = target
            .split_once('?')
            .map(|(_, q)| q.to_string())
            .unwrap_or_default();
        let headers = lines
            .filter_map(|l| l.split_once(": "))
            .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
            .collect();
        let body = if body.ends_with(b"\n") && method == "GET" {
            Vec::new()
        } else {
            body
        };
        out.push(Capture {
            name: path.file_name().unwrap().to_string_lossy().into_owned(),
            method,
            query,
            headers,
            body: trim_trailing_newlines(body),
        });
    }
    out
}

/// The capture files end with a newline the clients never sent.
fn trim_trailing_newlines(mut body: Vec<u8>) -> Vec<u8> {
    while body.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        body.pop();
    }
    body
}

fn header<'a>(c: &'a Capture, name: &str) -> Option<&'a str> {
    c.headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn verify_capture(c: &Capture, secret_key: &str, body: &[u8]) -> bool {
    if let Some(authorization) = header(c, "authorization") {
        let auth = tc3::Authorization::parse(authorization).expect("parsable Authorization");
        assert!(KNOWN_SECRET_IDS.contains(&auth.secret_id.as_str()));
        let host = header(c, "host").unwrap();
        assert!(
            verify::service_is_acceptable(&auth.service, host),
            "{}: service {}",
            c.name,
            auth.service
        );
        let timestamp: i64 = header(c, "x-tc-timestamp").unwrap().parse().unwrap();
        assert_eq!(tc3::utc_date(timestamp).unwrap(), auth.date);
        let headers: Vec<(&str, &str)> = c
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let parts = verify::RequestParts {
            method: &c.method,
            query: &c.query,
            headers: &headers,
            body,
        };
        verify::verify_tc3(&parts, &auth, secret_key, timestamp)
    } else {
        let encoded = if c.method == "GET" {
            c.query.as_bytes()
        } else {
            body
        };
        let params: Vec<(String, String)> =
            url::form_urlencoded::parse(encoded).into_owned().collect();
        let get = |k: &str| {
            params
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        assert!(KNOWN_SECRET_IDS.contains(&get("SecretId").as_str()));
        let method = v1::Method::parse(&get("SignatureMethod")).expect("known method");
        verify::verify_v1(
            &c.method,
            header(c, "host").unwrap(),
            &params,
            method,
            secret_key,
            &get("Signature"),
        )
    }
}

#[test]
fn every_captured_request_verifies() {
    let captures = load_captures();
    assert!(
        captures.len() >= 29,
        "expected all captures, found {}",
        captures.len()
    );
    let (mut tc3_count, mut v1_count) = (0, 0);
    for c in &captures {
        assert!(
            verify_capture(c, SECRET_KEY, &c.body),
            "{} should verify",
            c.name
        );
        if header(c, "authorization").is_some() {
            tc3_count += 1;
        } else {
            v1_count += 1;
        }
    }
    assert!(
        tc3_count >= 23 && v1_count >= 6,
        "tc3 {tc3_count}, v1 {v1_count}"
    );
}

#[test]
fn a_wrong_key_or_a_changed_body_fails() {
    for c in load_captures() {
        assert!(
            !verify_capture(&c, "WRONGKEY000000000000000000000000000", &c.body),
            "{}",
            c.name
        );
        if c.method == "POST" {
            let mut tampered = c.body.clone();
            tampered.push(b' ');
            assert!(
                !verify_capture(&c, SECRET_KEY, &tampered),
                "{} tampered",
                c.name
            );
        }
    }
}

#[test]
fn python_post_vector_matches_the_spec_step_by_step() {
    let body = br#"{"RuleId": "1", "IdCard": "11204416541220243X", "Name": "\u97e6\u5c0f\u5b9d", "RedirectUrl": "https://example.com/done", "Extra": "order=42"}"#;
    let canonical = tc3::CanonicalRequest {
        method: "POST",
        query: "",
        headers: vec![
            ("content-type", "application/json"),
            ("host", "127.0.0.1:8080"),
        ],
        payload_hash: tc3::sha256_hex(body),
    }
    .render();
    assert_eq!(
        tc3::sha256_hex(body),
        "317b3fdf67b6f750d95561ac7cec64ef534a0a7ffc0fb05c18fc424305d049ff"
    );
    let sts = tc3::string_to_sign(1795318297, "2026-11-22", "faceid", &canonical);
    assert!(sts.ends_with("5f54c413cbae1b00fda8f3f9b049e08440825b47adae4fcd09297dd285a092b3"));
    assert_eq!(
        tc3::signature(SECRET_KEY, "2026-11-22", "faceid", &sts),
        "f195bd39d8bbe54495a877ef70a88aa8c8ba7040ba30281bef803fbce3065685"
    );
    let header = tc3::authorize(&tc3::SigningInput {
        secret_id: SECRET_ID,
        secret_key: SECRET_KEY,
        service: "faceid",
        host: "127.0.0.1:8080",
        method: "POST",
        query: "",
        content_type: "application/json",
        body,
        timestamp: 1795318297,
    });
    assert!(header
        .ends_with("Signature=f195bd39d8bbe54495a877ef70a88aa8c8ba7040ba30281bef803fbce3065685"));
}

#[test]
fn authorization_parsing_rejects_junk() {
    assert!(tc3::Authorization::parse("Basic abc").is_err());
    assert!(tc3::Authorization::parse(
        "TC3-HMAC-SHA256 Credential=a/b/c/d, SignedHeaders=host, Signature=00"
    )
    .is_err());
    assert!(tc3::Authorization::parse(
        "TC3-HMAC-SHA256 Credential=AKID/2026-11-22/faceid/tc3_request, SignedHeaders=host"
    )
    .is_err());
}
