//! Wire compatibility with the OFFICIAL Tencent Cloud clients: the Python SDK, the
//! Node SDK and tccli drive the real server (FACEID_API.md §5) through every
//! supported action and the main error paths.
//!
//! The clients are installed by `scripts/setup-test-deps.sh`; without them these
//! tests fail (they never skip).

mod common;

use common::*;
use heshen_core::flow::FlowKind;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::Stdio;
use tokio::process::Command;

const SETUP_HINT: &str = "run scripts/setup-test-deps.sh to install the official clients";

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn require(path: PathBuf, what: &str) -> PathBuf {
    assert!(
        path.exists(),
        "{what} not found at {}: {SETUP_HINT}",
        path.display()
    );
    path
}

fn python() -> PathBuf {
    require(
        repo_root().join(".venv/bin/python"),
        "the Python virtualenv (.venv)",
    )
}

fn tccli() -> PathBuf {
    require(repo_root().join(".venv/bin/tccli"), "tccli")
}

fn node_client() -> PathBuf {
    require(
        repo_root().join("tests/clients/node/node_modules/tencentcloud-sdk-nodejs/package.json"),
        "the Node SDK (tencentcloud-sdk-nodejs)",
    );
    repo_root().join("tests/clients/node/node_client.js")
}

#[derive(Debug, Clone, Copy)]
enum Client {
    Python {
        sign: &'static str,
        method: &'static str,
    },
    Node {
        sign: &'static str,
        method: &'static str,
    },
    Tccli,
}

const TC3: &str = "TC3-HMAC-SHA256";
const PY_TC3_POST: Client = Client::Python {
    sign: TC3,
    method: "POST",
};
const NODE_TC3_POST: Client = Client::Node {
    sign: TC3,
    method: "POST",
};

#[derive(Debug, Clone)]
struct Creds {
    id: String,
    key: String,
}

impl Creds {
    fn of(server: &Server) -> Self {
        Self {
            id: server.secret_id.clone(),
            key: server.secret_key.clone(),
        }
    }
}

/// Per-call options only some clients support.
#[derive(Debug, Clone, Default)]
struct Opts {
    /// Seconds added to the client's clock (Python only).
    time_offset: i64,
    /// Fixed v1 Nonce (Python only).
    nonce: Option<u64>,
    /// Fixed signing time, Unix seconds (Python only).
    at: Option<i64>,
}

fn scrub_proxies(cmd: &mut Command) {
    for var in [
        "http_proxy",
        "HTTP_PROXY",
        "https_proxy",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost");
}

/// Runs one action through `client`; returns the `Response` object or `{"error": {…}}`.
async fn call_with(
    client: Client,
    server: &Server,
    creds: &Creds,
    action: &str,
    fields: Value,
    opts: &Opts,
) -> Value {
    let fields_json = fields.to_string();
    let home = tempfile::tempdir().unwrap();
    let mut cmd = match client {
        Client::Python { sign, method } => {
            let mut cmd = Command::new(python());
            cmd.arg(repo_root().join("tests/clients/py_client.py"))
                .args(["--endpoint", &server.endpoint])
                .args(["--secret-id", &creds.id, "--secret-key", &creds.key])
                .args(["--sign-method", sign, "--req-method", method])
                .arg(format!("--time-offset={}", opts.time_offset));
            if let Some(nonce) = opts.nonce {
                cmd.arg(format!("--nonce={nonce}"));
            }
            if let Some(at) = opts.at {
                cmd.arg(format!("--at={at}"));
            }
            cmd.arg(action).arg(&fields_json);
            cmd
        }
        Client::Node { sign, method } => {
            assert_eq!(opts.time_offset, 0, "the Node client cannot skew its clock");
            let mut cmd = Command::new("node");
            cmd.arg(node_client()).args([
                server.endpoint.as_str(),
                &creds.id,
                &creds.key,
                sign,
                method,
                action,
                &fields_json,
            ]);
            cmd
        }
        Client::Tccli => {
            assert_eq!(opts.time_offset, 0, "tccli cannot skew its clock");
            let mut cmd = Command::new(tccli());
            // tccli keeps its config and log (secretKey included) under $HOME/.tccli.
            cmd.env("HOME", home.path())
                .args(["faceid", action])
                .args(["--endpoint", &server.url])
                .args(["--secretId", &creds.id, "--secretKey", &creds.key])
                .args(["--region", "ap-guangzhou"]);
            for (name, value) in fields.as_object().expect("fields are an object") {
                let value = match value {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                cmd.arg(format!("--{name}")).arg(value);
            }
            cmd
        }
    };
    scrub_proxies(&mut cmd);
    cmd.stdin(Stdio::null());
    let output = cmd
        .output()
        .await
        .unwrap_or_else(|e| panic!("could not run {client:?} ({e}); {SETUP_HINT}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if let Client::Tccli = client {
        return parse_tccli(&stdout, &stderr, output.status.code());
    }
    let line = stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    let value: Value = serde_json::from_str(line).unwrap_or_else(|e| {
        panic!("{client:?} printed no JSON ({e}); stdout: {stdout}; stderr: {stderr}; {SETUP_HINT}")
    });
    if let Some(fatal) = value.get("fatal") {
        panic!("{client:?}: {fatal}");
    }
    value
}

/// tccli prints the response JSON on success, or `[TencentCloudSDKException] code:… message:… requestId:…`.
fn parse_tccli(stdout: &str, stderr: &str, status: Option<i32>) -> Value {
    let all = format!("{stdout}\n{stderr}");
    if let Some(pos) = all.find("[TencentCloudSDKException] code:") {
        let rest = &all[pos + "[TencentCloudSDKException] code:".len()..];
        let (code, rest) = rest
            .split_once(" message:")
            .expect("tccli error has a message");
        let (message, request_id) = rest
            .rsplit_once(" requestId:")
            .expect("tccli error has a requestId");
        assert_ne!(status, Some(0), "tccli exits non-zero on an API error");
        return json!({"error": {"code": code.trim(), "message": message.trim(), "requestId": request_id.trim()}});
    }
    assert_eq!(
        status,
        Some(0),
        "tccli failed; stdout: {stdout}; stderr: {stderr}; {SETUP_HINT}"
    );
    serde_json::from_str(stdout)
        .unwrap_or_else(|e| panic!("tccli printed no JSON ({e}): {stdout} {stderr}"))
}

async fn call(client: Client, server: &Server, action: &str, fields: Value) -> Value {
    call_with(
        client,
        server,
        &Creds::of(server),
        action,
        fields,
        &Opts::default(),
    )
    .await
}

#[track_caller]
fn ok(response: &Value) -> &Value {
    assert!(
        response.get("error").is_none(),
        "expected success, got {response}"
    );
    assert_request_id(response);
    response
}

#[track_caller]
fn assert_error(response: &Value, code: &str) {
    let error = response
        .get("error")
        .unwrap_or_else(|| panic!("expected {code}, got success: {response}"));
    assert_eq!(error["code"], code, "{response}");
    let request_id = error["requestId"].as_str().unwrap_or_default();
    assert_eq!(
        request_id.len(),
        36,
        "the client saw the RequestId: {response}"
    );
}

/// The whole compatibility scenario for one client configuration.
async fn scenario(client: Client) {
    let server = Server::start().await;
    let rule = server.rule_id.clone();

    // DetectAuth → BizToken + Url
    let auth = call(
        client,
        &server,
        "DetectAuth",
        json!({"RuleId": rule, "IdCard": ID_CARD, "Name": NAME, "RedirectUrl": "https://example.com/done", "Extra": "order=42"}),
    )
    .await;
    let token = ok(&auth)["BizToken"]
        .as_str()
        .expect("BizToken")
        .to_string();
    assert!(heshen_core::BizToken::parse(&token).is_some(), "{auth}");
    let url = auth["Url"].as_str().expect("Url");
    assert!(
        url.starts_with(&server.url) && url.contains(&token),
        "{url}"
    );

    // Before the flow: "not finished".
    let before = call(
        client,
        &server,
        "GetDetectInfoEnhanced",
        json!({"BizToken": token, "RuleId": rule, "InfoType": "0"}),
    )
    .await;
    assert_eq!(ok(&before)["Text"]["ErrCode"], 17, "{before}");
    assert!(before["Text"]["Sim"].is_null(), "{before}");

    finish_flow(&server.state, &token, FlowKind::Detect).await;

    let after = call(
        client,
        &server,
        "GetDetectInfoEnhanced",
        json!({"BizToken": token, "RuleId": rule, "InfoType": "0"}),
    )
    .await;
    let text = &ok(&after)["Text"];
    assert_eq!(text["ErrCode"], 0, "{after}");
    assert_eq!(text["Sim"], "93.47", "Sim is a string: {after}");
    assert_eq!(text["IdCard"], ID_CARD);
    assert_eq!(text["Name"], NAME);
    assert_eq!(text["Extra"], "order=42");
    let details = text["LivenessDetail"].as_array().expect("LivenessDetail");
    assert_eq!(details.len(), 1, "{after}");
    assert_eq!(details[0]["Errcode"], 0);
    assert_eq!(after["BestFrame"]["BestFrame"], BEST_FRAME_B64, "{after}");

    // InfoType "1": text only, no best frame.
    let text_only = call(
        client,
        &server,
        "GetDetectInfoEnhanced",
        json!({"BizToken": token, "RuleId": rule, "InfoType": "1"}),
    )
    .await;
    assert_eq!(ok(&text_only)["Text"]["ErrCode"], 0);
    assert!(text_only["BestFrame"].is_null(), "{text_only}");

    // Legacy GetDetectInfo: one JSON document in a string.
    let legacy = call(
        client,
        &server,
        "GetDetectInfo",
        json!({"BizToken": token, "RuleId": rule, "InfoType": "0"}),
    )
    .await;
    let doc: Value = serde_json::from_str(
        ok(&legacy)["DetectInfo"]
            .as_str()
            .expect("DetectInfo string"),
    )
    .unwrap();
    assert_eq!(doc["Text"]["ErrCode"], 0, "{doc}");
    assert_eq!(doc["Text"]["IdCard"], ID_CARD);
    assert_eq!(doc["BestFrame"]["BestFrame"], BEST_FRAME_B64);

    // eID: token → init → doing → finished → result with EidInfo.
    let eid = call(
        client,
        &server,
        "GetEidToken",
        json!({"MerchantId": server.merchant_id, "IdCard": ID_CARD, "Name": NAME}),
    )
    .await;
    let eid_token = ok(&eid)["EidToken"].as_str().expect("EidToken").to_string();
    assert!(
        eid["Url"].as_str().is_some_and(|u| u.contains(&eid_token)),
        "{eid}"
    );
    for (step, expected) in [(0, "init"), (1, "doing"), (2, "finished")] {
        match step {
            1 => start_flow(&server.state, &eid_token, FlowKind::Eid).await,
            2 => finish_flow(&server.state, &eid_token, FlowKind::Eid).await,
            _ => {}
        }
        let polled = call(
            client,
            &server,
            "CheckEidTokenStatus",
            json!({"EidToken": eid_token}),
        )
        .await;
        assert_eq!(ok(&polled)["Status"], expected, "{polled}");
    }
    let result = call(
        client,
        &server,
        "GetEidResult",
        json!({"EidToken": eid_token, "InfoType": "0"}),
    )
    .await;
    assert_eq!(ok(&result)["Text"]["ErrCode"], 0, "{result}");
    let expected =
        heshen_service::crypto::eid_info(server.state.keys(), &server.merchant_id, ID_CARD, NAME);
    let info = &result["EidInfo"];
    assert_eq!(info["EidCode"], expected.eid_code.as_str(), "{result}");
    assert_eq!(info["EidSign"], expected.eid_sign.as_str(), "{result}");
    for field in ["DesKey", "UserInfo"] {
        assert!(
            info[field].as_str().is_some_and(|v| v.len() > 40),
            "{field}: {result}"
        );
    }
    assert_eq!(result["BestFrame"]["BestFrame"], BEST_FRAME_B64, "{result}");

    // Liveness challenges.
    let seq = call(client, &server, "GetActionSequence", json!({})).await;
    let seq = ok(&seq)["ActionSequence"]
        .as_str()
        .expect("ActionSequence")
        .to_string();
    assert!(seq == "1,2" || seq == "2,1", "{seq}");
    let code = call(client, &server, "GetLiveCode", json!({})).await;
    let code = ok(&code)["LiveCode"]
        .as_str()
        .expect("LiveCode")
        .to_string();
    assert!(
        code.len() == 4 && code.bytes().all(|b| b.is_ascii_digit()),
        "{code}"
    );

    // Authentication failures seen through this client.
    let wrong_key = Creds {
        id: server.secret_id.clone(),
        key: "WRONG".repeat(6),
    };
    let r = call_with(
        client,
        &server,
        &wrong_key,
        "GetLiveCode",
        json!({}),
        &Opts::default(),
    )
    .await;
    assert_error(&r, "AuthFailure.SignatureFailure");
    let unknown_id = Creds {
        id: "AKIDunknown00000000000000000000000000".into(),
        key: server.secret_key.clone(),
    };
    let r = call_with(
        client,
        &server,
        &unknown_id,
        "GetLiveCode",
        json!({}),
        &Opts::default(),
    )
    .await;
    assert_error(&r, "AuthFailure.SecretIdNotFound");

    // An unknown token, for every client too.
    let r = call(
        client,
        &server,
        "GetDetectInfoEnhanced",
        json!({"BizToken": "00000000-0000-0000-0000-000000000000", "RuleId": rule}),
    )
    .await;
    assert_error(&r, "InvalidParameterValue.BizTokenIllegal");

    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_tc3_post() {
    scenario(PY_TC3_POST).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_tc3_get() {
    scenario(Client::Python {
        sign: TC3,
        method: "GET",
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_hmacsha1_get() {
    scenario(Client::Python {
        sign: "HmacSHA1",
        method: "GET",
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_hmacsha256_post() {
    scenario(Client::Python {
        sign: "HmacSHA256",
        method: "POST",
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_tc3_post() {
    scenario(NODE_TC3_POST).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_tc3_get() {
    scenario(Client::Node {
        sign: TC3,
        method: "GET",
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_hmacsha256_post() {
    scenario(Client::Node {
        sign: "HmacSHA256",
        method: "POST",
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_hmacsha1_get() {
    scenario(Client::Node {
        sign: "HmacSHA1",
        method: "GET",
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tccli_tc3_post() {
    scenario(Client::Tccli).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_signatures_are_refused() {
    let server = Server::start().await;
    let err = server
        .sdk()
        .with_clock_skew(-360)
        .call("GetLiveCode", &json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("AuthFailure.SignatureExpire"), "{err}");
    // 6 minutes in the future is as bad as 6 minutes in the past.
    let err = server
        .sdk()
        .with_clock_skew(360)
        .call("GetLiveCode", &json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("AuthFailure.SignatureExpire"), "{err}");
    // Within the 300 s window it is fine.
    server
        .sdk()
        .with_clock_skew(-200)
        .call("GetLiveCode", &json!({}))
        .await
        .unwrap();

    let creds = Creds::of(&server);
    for sign in [TC3, "HmacSHA256"] {
        let client = Client::Python {
            sign,
            method: "POST",
        };
        let stale = Opts {
            time_offset: -360,
            ..Opts::default()
        };
        let r = call_with(client, &server, &creds, "GetLiveCode", json!({}), &stale).await;
        assert_error(&r, "AuthFailure.SignatureExpire");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_of_other_apps_and_bad_tokens_are_illegal() {
    let server = Server::start().await;
    let (other_key, other_rule) = server.other_app().await;
    let other = heshen_sdk::Client::new(&server.url, &other_key.secret_id, &other_key.secret_key);
    let foreign = other
        .detect_auth(&heshen_sdk::DetectAuth {
            rule_id: other_rule.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .biz_token;
    let foreign_eid = other.get_eid_token(&server.merchant_id, json!({})).await;
    assert!(
        foreign_eid.is_err(),
        "a merchant of another app is not usable"
    );

    // The other app can read its own token …
    other
        .get_detect_info_enhanced(&foreign, &other_rule, "1")
        .await
        .unwrap();

    for client in [PY_TC3_POST, NODE_TC3_POST] {
        // … but nobody else can, whichever RuleId they name.
        for rule in [&server.rule_id, &other_rule] {
            let r = call(
                client,
                &server,
                "GetDetectInfoEnhanced",
                json!({"BizToken": foreign, "RuleId": rule}),
            )
            .await;
            assert_error(&r, "InvalidParameterValue.BizTokenIllegal");
            let r = call(
                client,
                &server,
                "GetDetectInfo",
                json!({"BizToken": foreign, "RuleId": rule}),
            )
            .await;
            assert_error(&r, "InvalidParameterValue.BizTokenIllegal");
        }
        for junk in ["not-a-token", "00000000-0000-0000-0000-000000000000", ""] {
            let r = call(
                client,
                &server,
                "GetDetectInfoEnhanced",
                json!({"BizToken": junk, "RuleId": server.rule_id}),
            )
            .await;
            assert!(
                r["error"]["code"]
                    .as_str()
                    .is_some_and(|c| c.starts_with("InvalidParameter") || c == "MissingParameter"),
                "{r}"
            );
        }
        let r = call(
            client,
            &server,
            "CheckEidTokenStatus",
            json!({"EidToken": "00000000-0000-0000-0000-000000000000"}),
        )
        .await;
        assert_error(&r, "InvalidParameterValue.BizTokenIllegal");
        let r = call(
            client,
            &server,
            "GetDetectInfoEnhanced",
            json!({"BizToken": "00000000-0000-0000-0000-000000000000", "RuleId": server.rule_id}),
        )
        .await;
        assert_error(&r, "InvalidParameterValue.BizTokenIllegal");
    }

    // A BizToken is not an EidToken.
    let r = call(
        PY_TC3_POST,
        &server,
        "GetEidResult",
        json!({"EidToken": foreign}),
    )
    .await;
    assert_error(&r, "InvalidParameterValue.BizTokenIllegal");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiry_and_retention() {
    let server = Server::start().await;
    let sdk = server.sdk();
    let rule = server.rule_id.clone();
    let new_token = || async {
        sdk.detect_auth(&heshen_sdk::DetectAuth {
            rule_id: rule.clone(),
            id_card: Some(ID_CARD.into()),
            name: Some(NAME.into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .biz_token
    };
    let finished = new_token().await;
    let unfinished = new_token().await;
    finish_flow(&server.state, &finished, FlowKind::Detect).await;
    let eid = sdk
        .get_eid_token(
            &server.merchant_id,
            json!({"IdCard": ID_CARD, "Name": NAME}),
        )
        .await
        .unwrap()
        .eid_token;

    // Moves the server clock and has the Python SDK sign with the same clock.
    let mut offset_secs = 0i64;
    let mut advance = |secs: i64| {
        server.state.clock().advance_ms(secs * 1000);
        offset_secs += secs;
        Opts {
            time_offset: offset_secs,
            ..Opts::default()
        }
    };
    let creds = Creds::of(&server);
    let enhanced = |token: &str| json!({"BizToken": token, "RuleId": rule, "InfoType": "1"});

    // 601 s: the EidToken is still usable (seed 001: 7,200 s, not the API reference's 600 s).
    let opts = advance(601);
    let r = call_with(
        PY_TC3_POST,
        &server,
        &creds,
        "CheckEidTokenStatus",
        json!({"EidToken": eid}),
        &opts,
    )
    .await;
    assert_eq!(ok(&r)["Status"], "init", "{r}");

    // 7,201 s: the EidToken has timed out; the unfinished BizToken reports 15 (expired), the
    // finished one still 0.
    let opts = advance(7201 - 601);
    let r = call_with(
        PY_TC3_POST,
        &server,
        &creds,
        "CheckEidTokenStatus",
        json!({"EidToken": eid}),
        &opts,
    )
    .await;
    assert_eq!(ok(&r)["Status"], "timeout", "{r}");
    let r = call_with(
        PY_TC3_POST,
        &server,
        &creds,
        "GetDetectInfoEnhanced",
        enhanced(&unfinished),
        &opts,
    )
    .await;
    assert_eq!(ok(&r)["Text"]["ErrCode"], 15, "{r}");
    let r = call_with(
        PY_TC3_POST,
        &server,
        &creds,
        "GetDetectInfoEnhanced",
        enhanced(&finished),
        &opts,
    )
    .await;
    assert_eq!(ok(&r)["Text"]["ErrCode"], 0, "{r}");
    // A flow can no longer be started once its token expired.
    let refused =
        heshen_service::flows::update(&server.state, &unfinished, FlowKind::Detect, |f, now| {
            f.start(now)
        })
        .await;
    assert!(refused.is_err(), "an expired flow cannot be opened");

    // 3 days + 1 min after the finish: the finished result is erased from view.
    let opts = advance(3 * 24 * 3600 + 60 - 7201);
    let r = call_with(
        PY_TC3_POST,
        &server,
        &creds,
        "GetDetectInfoEnhanced",
        enhanced(&finished),
        &opts,
    )
    .await;
    assert_error(&r, "InvalidParameterValue.BizTokenExpired");
    let err = sdk
        .clone()
        .with_clock_skew(opts.time_offset)
        .get_detect_info_enhanced(&finished, &rule, "0")
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Some("InvalidParameterValue.BizTokenExpired"),
        "{err}"
    );
    // The unfinished one is kept 3 days from its expiry (created + 2 h).
    let r = call_with(
        PY_TC3_POST,
        &server,
        &creds,
        "GetDetectInfoEnhanced",
        enhanced(&unfinished),
        &opts,
    )
    .await;
    assert_eq!(ok(&r)["Text"]["ErrCode"], 15, "{r}");
    let opts = advance(2 * 3600);
    let r = call_with(
        PY_TC3_POST,
        &server,
        &creds,
        "GetDetectInfoEnhanced",
        enhanced(&unfinished),
        &opts,
    )
    .await;
    assert_error(&r, "InvalidParameterValue.BizTokenExpired");
    let r = call_with(
        PY_TC3_POST,
        &server,
        &creds,
        "GetEidResult",
        json!({"EidToken": eid}),
        &opts,
    )
    .await;
    assert_error(&r, "InvalidParameterValue.BizTokenExpired");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_and_unsupported_actions() {
    let server = Server::start().await;
    for client in [
        PY_TC3_POST,
        NODE_TC3_POST,
        Client::Python {
            sign: "HmacSHA256",
            method: "POST",
        },
    ] {
        let r = call(client, &server, "NoSuchAction", json!({})).await;
        assert_error(&r, "InvalidAction");
        let r = call(
            client,
            &server,
            "BankCardVerification",
            json!({"IdCard": ID_CARD, "Name": NAME, "BankCard": "6222020200000000000"}),
        )
        .await;
        assert_error(&r, "UnsupportedOperation");
    }
    let r = call(
        Client::Tccli,
        &server,
        "BankCardVerification",
        json!({"IdCard": ID_CARD, "Name": NAME, "BankCard": "6222020200000000000"}),
    )
    .await;
    assert_error(&r, "UnsupportedOperation");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v1_nonce_replay_is_refused() {
    let server = Server::start().await;
    let creds = Creds::of(&server);
    for (sign, nonce) in [("HmacSHA256", 4_242_424_242u64), ("HmacSHA1", 77)] {
        let client = Client::Python {
            sign,
            method: "POST",
        };
        // A replay is the same signed request again: same Nonce, same Timestamp.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let opts = Opts {
            nonce: Some(nonce),
            at: Some(now),
            ..Opts::default()
        };
        let first = call_with(client, &server, &creds, "GetLiveCode", json!({}), &opts).await;
        ok(&first);
        let replay = call_with(client, &server, &creds, "GetLiveCode", json!({}), &opts).await;
        assert_error(&replay, "AuthFailure.SignatureFailure");
        assert!(
            replay["error"]["message"]
                .as_str()
                .unwrap()
                .contains("replay"),
            "{replay}"
        );
        // A fresh nonce works again.
        let fresh = call_with(
            client,
            &server,
            &creds,
            "GetLiveCode",
            json!({}),
            &Opts::default(),
        )
        .await;
        ok(&fresh);
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_is_enforced() {
    let server = Server::start_with(|s| {
        s.rate_limits.insert("GetLiveCode".into(), 1);
    })
    .await;
    // Six concurrent callers against one request per second: the burst of one passes,
    // the others are refused (they all land well within a second or two).
    let calls: Vec<_> = (0..6)
        .map(|i| {
            let client = if i % 2 == 0 {
                PY_TC3_POST
            } else {
                NODE_TC3_POST
            };
            call(client, &server, "GetLiveCode", json!({}))
        })
        .collect();
    let results = futures_join_all(calls).await;
    let refused = results
        .iter()
        .filter(|r| r["error"]["code"] == "RequestLimitExceeded")
        .count();
    let passed = results
        .iter()
        .filter(|r| r.get("LiveCode").is_some())
        .count();
    assert_eq!(refused + passed, results.len(), "{results:?}");
    assert!(passed >= 1 && refused >= 1, "{results:?}");
    for r in results.iter().filter(|r| r.get("error").is_some()) {
        assert_error(r, "RequestLimitExceeded");
    }
    // Another action and another caller are not affected.
    let r = call(PY_TC3_POST, &server, "GetActionSequence", json!({})).await;
    ok(&r);
    server.stop().await;
}

/// Polls futures concurrently without an extra dependency.
async fn futures_join_all<F: std::future::Future<Output = Value> + Send>(
    futures: Vec<F>,
) -> Vec<Value> {
    let mut pinned: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut done: Vec<Option<Value>> = vec![None; pinned.len()];
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, fut) in pinned.iter_mut().enumerate() {
            if done[i].is_none() {
                match fut.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => done[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    done.into_iter().map(Option::unwrap).collect()
}
