//! Hostile and broken input over raw HTTP: every refusal is an API error envelope
//! (HTTP 200, `Content-Type: application/json` exactly, a RequestId) or a clean
//! connection close, the server keeps serving, and nothing stored before is lost.

mod common;

use common::*;
use heshen_core::flow::FlowKind;
use heshen_core::sign::tc3;
use serde_json::{json, Value};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One raw HTTP/1.1 request; `None` leaves a header out.
#[derive(Clone)]
struct Raw {
    method: &'static str,
    content_type: Option<String>,
    action: Option<String>,
    version: Option<String>,
    /// `Some(None)`: sign properly; `Some(Some(v))`: send `v`; `None`: no Authorization.
    authorization: Option<Option<String>>,
    body: Vec<u8>,
}

impl Raw {
    fn signed(action: &str, body: impl Into<Vec<u8>>) -> Self {
        Self {
            method: "POST",
            content_type: Some("application/json".into()),
            action: Some(action.into()),
            version: Some("2018-03-01".into()),
            authorization: Some(None),
            body: body.into(),
        }
    }

    fn bytes(&self, server: &Server) -> Vec<u8> {
        let timestamp = server.state.clock().now_secs();
        let mut head = format!(
            "{} / HTTP/1.1\r\nHost: {}\r\n",
            self.method, server.endpoint
        );
        if let Some(ct) = &self.content_type {
            head += &format!("Content-Type: {ct}\r\n");
        }
        if let Some(action) = &self.action {
            head += &format!("X-TC-Action: {action}\r\n");
        }
        if let Some(version) = &self.version {
            head += &format!("X-TC-Version: {version}\r\n");
        }
        head += &format!("X-TC-Timestamp: {timestamp}\r\n");
        match &self.authorization {
            Some(Some(value)) => head += &format!("Authorization: {value}\r\n"),
            Some(None) => {
                let auth = tc3::authorize(&tc3::SigningInput {
                    secret_id: &server.secret_id,
                    secret_key: &server.secret_key,
                    service: "faceid",
                    host: &server.endpoint,
                    method: self.method,
                    query: "",
                    content_type: self.content_type.as_deref().unwrap_or(""),
                    body: &self.body,
                    timestamp,
                });
                head += &format!("Authorization: {auth}\r\n");
            }
            None => {}
        }
        head += &format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            self.body.len()
        );
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

fn parse_reply(raw: &[u8]) -> Option<Reply> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).expect("response head is text");
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if let Some(len) = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
    {
        body.truncate(len);
    }
    Some(Reply {
        status,
        headers,
        body,
    })
}

/// Sends the bytes and reads until the server closes the connection.
async fn exchange(server: &Server, bytes: &[u8]) -> Reply {
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    stream.write_all(bytes).await.expect("send");
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut raw))
        .await
        .expect("the server answers")
        .expect("read");
    parse_reply(&raw)
        .unwrap_or_else(|| panic!("no HTTP response: {:?}", String::from_utf8_lossy(&raw)))
}

/// The rules every refusal follows; returns the error code.
#[track_caller]
fn assert_envelope(what: &str, reply: &Reply) -> String {
    assert_eq!(reply.status, 200, "{what}: API errors are HTTP 200");
    assert_eq!(
        reply.header("content-type"),
        Some("application/json"),
        "{what}: exactly application/json"
    );
    let body = reply.json();
    assert_request_id(&body["Response"]);
    let code = body["Response"]["Error"]["Code"]
        .as_str()
        .unwrap_or_else(|| panic!("{what}: not an error: {body}"));
    assert!(
        body["Response"]["Error"]["Message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    code.to_string()
}

/// Data the abuse must not touch: a finished flow with a stored best frame.
async fn seed(server: &Server) -> String {
    let token = server
        .sdk()
        .detect_auth(&heshen_sdk::DetectAuth {
            rule_id: server.rule_id.clone(),
            id_card: Some(ID_CARD.into()),
            name: Some(NAME.into()),
            ..Default::default()
        })
        .await
        .expect("DetectAuth")
        .biz_token;
    finish_flow(&server.state, &token, FlowKind::Detect).await;
    token
}

async fn assert_seed_readable(server: &Server, token: &str) {
    let result = server
        .sdk()
        .get_detect_info_enhanced(token, &server.rule_id, "13")
        .await
        .expect("the stored result is still served");
    let text = result.text.expect("InfoType 1 asks for the text");
    assert_eq!(text.err_code, 0, "{text:?}");
    assert_eq!(text.id_card.as_deref(), Some(ID_CARD));
    let best = result
        .best_frame
        .expect("InfoType 3 asks for the best frame");
    assert_eq!(best.best_frame.as_deref(), Some(BEST_FRAME_B64));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_get_error_envelopes() {
    let server = Server::start().await;
    let token = seed(&server).await;
    let rule = server.rule_id.clone();
    let detect = |body: &str| Raw::signed("DetectAuth", body.as_bytes().to_vec());

    let mut cases: Vec<(&str, Raw, &str)> = vec![
        (
            "malformed JSON",
            detect(r#"{"RuleId": "#),
            "InvalidParameter",
        ),
        (
            "JSON that is not an object",
            detect(r#"["RuleId"]"#),
            "InvalidParameter",
        ),
        (
            "RuleId as a number",
            detect(r#"{"RuleId": 1}"#),
            "InvalidParameter",
        ),
        (
            "Name as an object",
            Raw::signed(
                "DetectAuth",
                json!({"RuleId": rule, "IdCard": ID_CARD, "Name": {"x": 1}}).to_string(),
            ),
            "InvalidParameter",
        ),
        (
            "InfoType as a list",
            Raw::signed(
                "GetDetectInfoEnhanced",
                json!({"BizToken": token, "RuleId": rule, "InfoType": ["0"]}).to_string(),
            ),
            "InvalidParameter",
        ),
        (
            "bad UTF-8 body",
            Raw::signed("DetectAuth", b"{\"RuleId\": \"\xff\xfe\xfd\"}".to_vec()),
            "InvalidParameter",
        ),
        (
            "unknown field",
            detect(&json!({"RuleId": rule, "Colour": "red"}).to_string()),
            "UnknownParameter",
        ),
        ("missing RuleId", detect("{}"), "MissingParameter"),
        (
            "unknown RuleId",
            detect(r#"{"RuleId": "999999"}"#),
            "InvalidParameterValue.RuleIdNotExist",
        ),
        (
            "unknown action",
            Raw::signed("NoSuchAction", "{}"),
            "InvalidAction",
        ),
        (
            "unsupported action",
            Raw::signed("BankCardVerification", "{}"),
            "UnsupportedOperation",
        ),
    ];
    let mut no_action = Raw::signed("GetLiveCode", "{}");
    no_action.action = None;
    cases.push(("missing X-TC-Action", no_action, "MissingParameter"));
    let mut no_version = Raw::signed("GetLiveCode", "{}");
    no_version.version = None;
    cases.push(("missing X-TC-Version", no_version, "MissingParameter"));
    let mut old_version = Raw::signed("GetLiveCode", "{}");
    old_version.version = Some("2017-03-12".into());
    cases.push(("wrong version", old_version, "NoSuchVersion"));
    let mut no_auth = Raw::signed("GetLiveCode", "{}");
    no_auth.authorization = None;
    cases.push((
        "missing Authorization",
        no_auth,
        "AuthFailure.InvalidAuthorization",
    ));
    let mut junk_auth = Raw::signed("GetLiveCode", "{}");
    junk_auth.authorization = Some(Some("Bearer 12345".into()));
    cases.push((
        "garbage Authorization",
        junk_auth,
        "AuthFailure.InvalidAuthorization",
    ));
    let mut bad_sig = Raw::signed("GetLiveCode", "{}");
    bad_sig.authorization = Some(Some(format!(
        "TC3-HMAC-SHA256 Credential={}/{}/faceid/tc3_request, SignedHeaders=content-type;host, Signature={}",
        server.secret_id,
        tc3::utc_date(server.state.clock().now_secs()).unwrap(),
        "0".repeat(64)
    )));
    cases.push(("wrong signature", bad_sig, "AuthFailure.SignatureFailure"));
    let mut xml = Raw::signed("GetLiveCode", "<GetLiveCode/>");
    xml.content_type = Some("text/xml".into());
    cases.push(("unsupported Content-Type", xml, "UnsupportedProtocol"));
    let mut put = Raw::signed("GetLiveCode", "{}");
    put.method = "PUT";
    cases.push(("PUT", put, "UnsupportedProtocol"));
    // Signed over `content-type:application/json`, sent without the header.
    let signed_json = Raw::signed("GetLiveCode", "{}");
    let mut no_ct = signed_json.clone();
    no_ct.content_type = None;
    no_ct.authorization = Some(Some(tc3::authorize(&tc3::SigningInput {
        secret_id: &server.secret_id,
        secret_key: &server.secret_key,
        service: "faceid",
        host: &server.endpoint,
        method: "POST",
        query: "",
        content_type: "application/json",
        body: &signed_json.body,
        timestamp: server.state.clock().now_secs(),
    })));
    cases.push((
        "signed Content-Type not sent",
        no_ct,
        "AuthFailure.SignatureFailure",
    ));

    for (what, raw, expected) in cases {
        let reply = exchange(&server, &raw.bytes(&server)).await;
        let code = assert_envelope(what, &reply);
        assert!(
            code == expected || code.starts_with(&format!("{expected}.")),
            "{what}: expected {expected}, got {code}: {}",
            String::from_utf8_lossy(&reply.body)
        );
    }

    // Bytes that are not HTTP at all: the connection is answered or closed, nothing else.
    for junk in [
        &b"\x00\x01\x02garbage\r\n\r\n"[..],
        b"GET / HTTP/9.9\r\n\r\n",
        b"POST / HTTP/1.1\r\nContent-Length: nope\r\n\r\n",
    ] {
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        let _ = stream.write_all(junk).await;
        let mut raw = Vec::new();
        let read =
            tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut raw)).await;
        assert!(read.is_ok(), "the server does not hang on {junk:?}");
    }

    // The correct request still works, and a signed valid one through raw HTTP too.
    let reply = exchange(&server, &Raw::signed("GetLiveCode", "{}").bytes(&server)).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert!(
        reply.json()["Response"]["LiveCode"].is_string(),
        "{}",
        reply.json()
    );
    assert_seed_readable(&server, &token).await;
    let server = server.restart().await;
    assert_seed_readable(&server, &token).await;
    server.stop().await;
}

/// Sends a 20 MB body; the answer is an envelope (or a clean close), never a hang or a 413/500.
async fn send_huge(server: &Server, chunked: bool) {
    let body = vec![b'7'; 20 * 1024 * 1024];
    let mut head = format!(
        "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nX-TC-Action: DetectAuth\r\nX-TC-Version: 2018-03-01\r\n",
        server.endpoint
    );
    head += if chunked {
        "Transfer-Encoding: chunked\r\n\r\n"
    } else {
        "Content-Length: 20971520\r\n\r\n"
    };
    let stream = TcpStream::connect(server.addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let writing = tokio::spawn(async move {
        writer.write_all(head.as_bytes()).await?;
        for piece in body.chunks(64 * 1024) {
            if chunked {
                writer
                    .write_all(format!("{:x}\r\n", piece.len()).as_bytes())
                    .await?;
                writer.write_all(piece).await?;
                writer.write_all(b"\r\n").await?;
            } else {
                writer.write_all(piece).await?;
            }
        }
        if chunked {
            writer.write_all(b"0\r\n\r\n").await?;
        }
        Ok::<_, std::io::Error>(())
    });
    let mut raw = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(30), reader.read_to_end(&mut raw))
        .await
        .expect("the server answers or closes a 20 MB request within 30 s");
    // A reset after the answer is acceptable (the server stops reading); only what arrived counts.
    let _ = read;
    let _ = writing.await;
    if raw.is_empty() {
        return; // clean close
    }
    let reply = parse_reply(&raw)
        .unwrap_or_else(|| panic!("partial response: {:?}", String::from_utf8_lossy(&raw)));
    assert_eq!(
        assert_envelope("20 MB body", &reply),
        "RequestSizeLimitExceeded"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_megabyte_bodies_are_refused_cleanly() {
    let server = Server::start().await;
    let token = seed(&server).await;
    send_huge(&server, false).await;
    send_huge(&server, true).await;
    // Through a normal HTTP client as well.
    let body = json!({"RuleId": server.rule_id, "Extra": "x".repeat(20 * 1024 * 1024)}).to_string();
    let timestamp = server.state.clock().now_secs();
    let auth = tc3::authorize(&tc3::SigningInput {
        secret_id: &server.secret_id,
        secret_key: &server.secret_key,
        service: "faceid",
        host: &server.endpoint,
        method: "POST",
        query: "",
        content_type: "application/json",
        body: body.as_bytes(),
        timestamp,
    });
    let sent = reqwest::Client::new()
        .post(format!("{}/", server.url))
        .header("Content-Type", "application/json")
        .header("Authorization", auth)
        .header("X-TC-Action", "DetectAuth")
        .header("X-TC-Version", "2018-03-01")
        .header("X-TC-Timestamp", timestamp.to_string())
        .body(body)
        .send()
        .await;
    if let Ok(response) = sent {
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/json");
        let body: Value = response.json().await.unwrap();
        assert_error_envelope(&body, "RequestSizeLimitExceeded");
    }
    // Still serving, nothing lost.
    server
        .sdk()
        .call("GetLiveCode", &json!({}))
        .await
        .expect("still serving");
    assert_seed_readable(&server, &token).await;
    server.stop().await;
}

/// Raises the soft RLIMIT_NOFILE as far as the hard limit allows; returns the new soft limit.
fn raise_fd_limit() -> libc::rlim_t {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain syscalls on stack values.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
        limit.rlim_cur = limit.rlim_max;
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &limit), 0);
    }
    limit.rlim_cur
}

const IDLE: usize = 10_000;
const HOLDER_ENV: &str = "HESHEN_TEST_HOLD_CONNECTIONS_TO";

/// Not a test of its own: the child process of `ten_thousand_idle_connections`,
/// holding the client ends of the idle connections (one process could not hold both
/// ends under a 20,000-descriptor hard limit). Prints READY, then waits for stdin to close.
#[tokio::test]
#[ignore = "helper process of ten_thousand_idle_connections"]
async fn idle_connection_holder() {
    let addr: std::net::SocketAddr = std::env::var(HOLDER_ENV)
        .expect("run only by ten_thousand_idle_connections")
        .parse()
        .unwrap();
    let limit = raise_fd_limit();
    assert!(
        limit as usize > IDLE + 256,
        "RLIMIT_NOFILE hard limit {limit} is too low for {IDLE} connections"
    );
    let mut idle = Vec::with_capacity(IDLE);
    for _batch in 0..(IDLE / 500) {
        let opened: Vec<_> = (0..500)
            .map(|_| tokio::spawn(TcpStream::connect(addr)))
            .collect();
        for handle in opened {
            idle.push(handle.await.unwrap().expect("idle connection opened"));
        }
    }
    println!("READY {}", idle.len());
    let mut stdin = tokio::io::stdin();
    let mut sink = Vec::new();
    let _ = stdin.read_to_end(&mut sink).await;
    drop(idle);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_idle_connections() {
    let limit = raise_fd_limit();
    assert!(
        limit as usize > IDLE + 512,
        "RLIMIT_NOFILE hard limit {limit} is too low for {IDLE} connections"
    );
    let server = Server::start().await;
    let token = seed(&server).await;

    // The client ends live in a child process (this test binary, running the holder).
    let mut holder = tokio::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "idle_connection_holder",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(HOLDER_ENV, server.addr.to_string())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("holder process starts");
    let stdout = holder.stdout.take().unwrap();
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let ready = tokio::time::timeout(Duration::from_secs(120), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            // libtest may already have written `test idle_connection_holder ... ` on this line.
            if let Some((_, n)) = line.split_once("READY ") {
                return n.trim().parse::<usize>().unwrap();
            }
        }
        panic!("the holder process ended without opening its connections");
    })
    .await
    .expect("10,000 connections opened within 2 minutes");
    assert_eq!(ready, IDLE);

    // With all of them open, a normal signed request still succeeds, and quickly.
    let started = std::time::Instant::now();
    let code = tokio::time::timeout(
        Duration::from_secs(20),
        server.sdk().call("GetLiveCode", &json!({})),
    )
    .await
    .expect("answered while 10,000 connections sit idle")
    .expect("GetLiveCode");
    assert!(code["LiveCode"].is_string());
    eprintln!(
        "signed request with {IDLE} idle connections open took {:?}",
        started.elapsed()
    );
    let reply = exchange(
        &server,
        &Raw::signed("GetActionSequence", "{}").bytes(&server),
    )
    .await;
    assert!(
        reply.json()["Response"]["ActionSequence"].is_string(),
        "{}",
        reply.json()
    );
    assert_seed_readable(&server, &token).await;

    // Closing them all: the holder exits cleanly and the server is unharmed.
    drop(holder.stdin.take());
    let status = tokio::time::timeout(Duration::from_secs(60), holder.wait())
        .await
        .expect("holder exits")
        .unwrap();
    assert!(status.success(), "holder process failed: {status}");
    server
        .sdk()
        .call("GetLiveCode", &json!({}))
        .await
        .expect("still serving");
    assert_seed_readable(&server, &token).await;
    server.stop().await;
}
