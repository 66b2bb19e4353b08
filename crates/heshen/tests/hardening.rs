//! Regression tests for the defects a read-through of the gateway found: each one failed on
//! the code before the application layer was split out, and passes now.

mod common;

use common::Server;
use heshen_core::flow::{Flow, FlowKind, FlowRequest, FlowSettings};
use heshen_core::sign::tc3;
use heshen_service::flows::{self, FlowOwner};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A TCP listener that counts the connections it gets and answers each with `reply`.
async fn counting_server(bind: &str, reply: String) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind(bind).await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            let reply = reply.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf).await;
                let _ = stream.write_all(reply.as_bytes()).await;
            });
        }
    });
    (addr, hits)
}

/// Sends a request and reads its `{"Response": …}` envelope.
async fn envelope(request: reqwest::RequestBuilder) -> Value {
    request.send().await.unwrap().json().await.unwrap()
}

fn ok_reply(body: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// Sends raw bytes and reads the answer until the server closes or `wait` passes.
async fn raw_exchange(addr: &str, request: &[u8], wait: Duration) -> (String, Duration) {
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(wait, async {
        let mut buf = [0u8; 8192];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    answer.extend_from_slice(&buf[..n]);
                    if answer.windows(4).any(|w| w == b"\r\n\r\n")
                        && String::from_utf8_lossy(&answer).contains("\"RequestId\"")
                    {
                        break;
                    }
                }
            }
        }
    })
    .await;
    (
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
    )
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// TC3 headers for a JSON POST whose body is `declared` bytes long (the body itself may never come).
fn tc3_headers(server: &Server, secret_id: &str, secret_key: &str, declared: usize) -> String {
    let now = unix_now();
    let auth = tc3::authorize_json_post(secret_id, secret_key, &server.endpoint, b"{}", now);
    format!(
        "POST / HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\ncontent-length: {declared}\r\n\
         authorization: {auth}\r\nx-tc-action: GetLiveCode\r\nx-tc-version: 2018-03-01\r\nx-tc-timestamp: {now}\r\n\r\n",
        server.endpoint
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caller_given_urls_cannot_reach_the_servers_own_network() {
    let server = Server::start().await;
    let (target, hits) = counting_server("127.0.0.1:0", ok_reply("secret")).await;
    for url in [
        format!("http://{target}/card.jpg"),
        format!(
            "http://localhost:{}/card.jpg",
            target.rsplit(':').next().unwrap()
        ),
        "http://169.254.169.254/latest/meta-data/".to_string(),
        format!(
            "http://[::ffff:127.0.0.1]:{}/",
            target.rsplit(':').next().unwrap()
        ),
    ] {
        let err = server
            .sdk()
            .call("IdCardOCRVerification", &json!({"ImageUrl": url}))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Some("FailedOperation.UnKnown"), "{url}: {err}");
        assert!(err.to_string().contains("not public"), "{url}: {err}");
    }
    assert_eq!(hits.load(Ordering::SeqCst), 0, "no request left the server");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_redirect_hop_is_checked_and_https_speaks_tls() {
    let (inner, inner_hits) = counting_server("127.0.0.2:0", ok_reply("inner")).await;
    let redirect = format!(
        "HTTP/1.1 302 Found\r\nlocation: http://{inner}/\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
    );
    let (outer, outer_hits) = counting_server("127.0.0.1:0", redirect).await;
    let server = Server::start_with(|s| s.outbound_allow = vec!["127.0.0.1/32".into()]).await;
    let outbound = server.state.outbound();

    let refused = outbound
        .get(&format!("http://{outer}/"), 1024)
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("not public"), "{refused}");
    assert_eq!(
        outer_hits.load(Ordering::SeqCst),
        1,
        "the allowed hop was taken"
    );
    assert_eq!(
        inner_hits.load(Ordering::SeqCst),
        0,
        "the redirect into 127.0.0.2 was not"
    );

    // https works: the client opens a TLS handshake (0x16 0x03 …) rather than refusing the scheme.
    let tls = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let tls_addr = tls.local_addr().unwrap();
    let first_bytes = tokio::spawn(async move {
        let (mut stream, _) = tls.accept().await.unwrap();
        let mut buf = [0u8; 2];
        stream.read_exact(&mut buf).await.unwrap();
        buf
    });
    let _ = outbound.get(&format!("https://{tls_addr}/"), 1024).await;
    let hello = tokio::time::timeout(Duration::from_secs(5), first_bytes)
        .await
        .expect("a TLS client hello arrived")
        .unwrap();
    assert_eq!(hello, [0x16, 0x03]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flow_whose_row_cannot_be_written_leaves_no_media_behind() {
    let server = Server::start().await;
    let state = &server.state;
    let request = FlowRequest {
        id_card: None,
        name: None,
        redirect_url: None,
        extra: None,
        has_reference_photo: true,
        intention: None,
        input_type: None,
    };
    let settings = FlowSettings {
        max_attempts: 3,
        sim_threshold: 70.0,
        liveness_mode: 1,
        compare_lib_type: None,
    };
    let now = state.clock().now_ms();
    let flow = Flow::new(FlowKind::Detect, request, settings, now, 60_000);
    let owner = FlowOwner {
        app_id: common::APP,
        scope_id: &server.rule_id,
        secret_id: &server.secret_id,
        channel: "mobile_h5",
    };
    let token = heshen_core::BizToken::generate();
    flows::create(state, token.as_str(), &owner, &flow, Vec::new())
        .await
        .unwrap();
    // The same token again: the row cannot be inserted, so the photo must never be written.
    let again = flows::create(
        state,
        token.as_str(),
        &owner,
        &flow,
        vec![("reference", b"\xff\xd8 photo".to_vec())],
    )
    .await;
    assert!(again.is_err());
    assert_eq!(
        state
            .store()
            .get_media(token.as_str(), "reference")
            .await
            .unwrap(),
        None
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_extreme_timestamp_is_an_expired_signature_not_an_overflow() {
    let server = Server::start().await;
    let body = format!(
        "Action=GetLiveCode&Version=2018-03-01&Timestamp={}&Nonce=1&SecretId={}&Signature=x",
        i64::MIN,
        server.secret_id
    );
    let answer = envelope(
        reqwest::Client::new()
            .post(&server.url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body),
    )
    .await;
    common::assert_error_envelope(&answer, "AuthFailure.SignatureExpire");
    server.stop().await;
}

fn unsigned_payload_request(server: &Server) -> reqwest::RequestBuilder {
    let now = unix_now();
    let date = tc3::utc_date(now).unwrap();
    let canonical = tc3::CanonicalRequest {
        method: "POST",
        query: "",
        headers: vec![
            ("content-type", "application/json"),
            ("host", server.endpoint.as_str()),
        ],
        payload_hash: tc3::UNSIGNED_PAYLOAD.to_string(),
    };
    let sts = tc3::string_to_sign(now, &date, "faceid", &canonical.render());
    let auth = tc3::Authorization {
        secret_id: server.secret_id.clone(),
        signature: tc3::signature(&server.secret_key, &date, "faceid", &sts),
        date,
        service: "faceid".into(),
        signed_headers: vec!["content-type".into(), "host".into()],
    };
    reqwest::Client::new()
        .post(&server.url)
        .header("content-type", "application/json")
        .header("authorization", auth.header_value())
        .header("x-tc-action", "GetLiveCode")
        .header("x-tc-version", "2018-03-01")
        .header("x-tc-timestamp", now.to_string())
        .header("x-tc-content-sha256", tc3::UNSIGNED_PAYLOAD)
        .body("{}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_payloads_are_accepted_unless_refused_by_setting() {
    let server = Server::start().await;
    let answer = envelope(unsigned_payload_request(&server)).await;
    assert!(answer["Response"]["LiveCode"].is_string(), "{answer}");
    server.stop().await;

    let strict = Server::start_with(|s| s.allow_unsigned_payload = false).await;
    let answer = envelope(unsigned_payload_request(&strict)).await;
    common::assert_error_envelope(&answer, "AuthFailure.SignatureFailure");
    strict.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strangers_cannot_make_the_server_wait_for_or_hold_their_bodies() {
    let server = Server::start_with(|s| {
        s.max_body_bytes = 2 * 1024 * 1024;
        s.body_budget_bytes = 3 * 1024 * 1024;
        s.body_timeout_secs = 1;
    })
    .await;
    let addr = server.endpoint.clone();

    // An unknown SecretId declaring a large body is refused from its headers alone.
    let stranger = tc3_headers(&server, "AKIDnobodyknowsthis", "x", 1_700_000);
    let (answer, took) = raw_exchange(&addr, stranger.as_bytes(), Duration::from_secs(5)).await;
    assert!(answer.contains("AuthFailure.SecretIdNotFound"), "{answer}");
    assert!(
        took < Duration::from_secs(1),
        "answered before any body: {took:?}"
    );

    // A real key whose body stalls holds its share of the budget only until the body timeout…
    let stalled = tc3_headers(&server, &server.secret_id, &server.secret_key, 1_700_000);
    let mut holder = TcpStream::connect(&addr).await.unwrap();
    holder.write_all(stalled.as_bytes()).await.unwrap();
    holder.write_all(&[b' '; 1000]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    // …and meanwhile a second such body finds no room and is shed at once.
    let (answer, took) = raw_exchange(&addr, stalled.as_bytes(), Duration::from_secs(5)).await;
    assert!(answer.contains("RequestLimitExceeded"), "{answer}");
    assert!(took < Duration::from_secs(1), "shed, not queued: {took:?}");
    let mut rest = Vec::new();
    let waited = Instant::now();
    let _ = tokio::time::timeout(Duration::from_secs(5), holder.read_to_end(&mut rest)).await;
    let text = String::from_utf8_lossy(&rest);
    assert!(text.contains("did not arrive"), "{text}");
    assert!(waited.elapsed() < Duration::from_secs(3));

    // With the budget free again, a normal request goes through.
    let code = server.sdk().call("GetLiveCode", &json!({})).await.unwrap();
    assert!(code["LiveCode"].is_string());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_without_a_body_need_no_room_in_the_body_budget() {
    let server = Server::start_with(|s| {
        s.max_body_bytes = 1024 * 1024;
        s.body_budget_bytes = 1024 * 1024;
        s.body_timeout_secs = 5;
    })
    .await;
    // A stalled POST holds almost all of the budget…
    let stalled = tc3_headers(
        &server,
        &server.secret_id,
        &server.secret_key,
        1024 * 1024 - 2048,
    );
    let mut holder = TcpStream::connect(&server.endpoint).await.unwrap();
    holder.write_all(stalled.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    // …so a body of 4 KiB finds no room, but a GET, which has no body, goes through.
    let small = tc3_headers(&server, &server.secret_id, &server.secret_key, 4096);
    let (answer, _) =
        raw_exchange(&server.endpoint, small.as_bytes(), Duration::from_secs(3)).await;
    assert!(answer.contains("RequestLimitExceeded"), "{answer}");
    let now = unix_now();
    let content_type = "application/x-www-form-urlencoded";
    let auth = tc3::authorize(&tc3::SigningInput {
        secret_id: &server.secret_id,
        secret_key: &server.secret_key,
        service: "faceid",
        host: &server.endpoint,
        method: "GET",
        query: "",
        content_type,
        body: b"",
        timestamp: now,
    });
    let answer = envelope(
        reqwest::Client::new()
            .get(format!("{}/", server.url))
            .header("content-type", content_type)
            .header("authorization", auth)
            .header("x-tc-action", "GetLiveCode")
            .header("x-tc-version", "2018-03-01")
            .header("x-tc-timestamp", now.to_string()),
    )
    .await;
    assert!(answer["Response"]["LiveCode"].is_string(), "{answer}");
    drop(holder);
    server.stop().await;
}

#[test]
fn secrets_stay_out_of_debug_output() {
    let settings = heshen::settings::Settings {
        master_key: Some("bWFzdGVyLWtleS1zZWNyZXQtYnl0ZXMtMzItbG9uZyE=".into()),
        authority_token: Some("authority-token-secret".into()),
        ..Default::default()
    };
    let shown = format!("{settings:?}");
    assert!(
        !shown.contains("bWFzdGVy") && !shown.contains("authority-token-secret"),
        "{shown}"
    );
    assert!(
        shown.contains("<redacted>") && shown.contains("listen"),
        "{shown}"
    );

    let client = heshen_sdk::Client::new("http://127.0.0.1:1", "AKIDx", "the-secret-key");
    assert!(!format!("{client:?}").contains("the-secret-key"));

    let key = heshen_store::ApiKey {
        secret_id: "AKIDx".into(),
        secret_key: "the-secret-key".into(),
        app_id: "a".into(),
        name: "n".into(),
        enabled: true,
        created_at: 0,
        allowed_ips: String::new(),
    };
    assert!(!format!("{key:?}").contains("the-secret-key"));
    let entry = heshen_service::state::KeyEntry {
        secret_key: "the-secret-key".to_string().into(),
        app_id: "a".into(),
        enabled: true,
        allowed_ips: String::new(),
    };
    assert!(!format!("{entry:?}").contains("the-secret-key"));
}

#[test]
fn the_binary_works_from_a_folder_with_no_data_dir_flag() {
    let folder = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_heshen"))
            .args(args)
            .current_dir(folder.path())
            .env_remove("HESHEN_DATA_DIR")
            .env_remove("DATABASE_URL")
            .env("HESHEN_VISION", "off")
            .output()
            .expect("heshen runs")
    };
    let created = run(&["keys", "create", "--name", "first", "--json"]);
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let listed = run(&["keys", "list", "--json"]);
    assert!(
        listed.status.success(),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    assert!(String::from_utf8_lossy(&listed.stdout).contains("first"));
    assert!(folder.path().join("data/heshen.db").exists());
    assert!(folder.path().join("data/master.key").exists());
}
