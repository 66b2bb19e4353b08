//! The legacy real-name mini-program protocol (seed 003) end to end against the real server
//! with the vision engine: signatures made by seed 003's NodeJS sample
//! (`tests/clients/legacy_client.js`), the entry the verification mini-program calls, the H5
//! flow in mini-program mode walked over HTTP with a real face video, and the pull decrypted
//! by a Python client (`tests/clients/legacy_decrypt.py`).

mod common;

use common::browser::repo_root;
use common::pages::{client, location, upload_path};
use common::people::{server_with_people, testdata, FILMED_ID, FILMED_NAME};
use common::Server;
use heshen_core::rule::{IdentitySource, LegacyConfig, LivenessKind};
use heshen_service::admin::Actor;
use heshen_service::legacy;
use reqwest::header::CONTENT_TYPE;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::process::Command;
use std::time::Duration;

fn node_sign(api: &str, app_id: &str, secret: &str, expired: &str, now: Option<i64>) -> String {
    let mut command = Command::new("node");
    command
        .arg(repo_root().join("tests/clients/legacy_client.js"))
        .args(["sign", api, app_id, secret, expired]);
    if let Some(now) = now {
        command.arg(now.to_string());
    }
    let out = command.output().expect("node runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// The pull through the Python client; `data` decrypted when it succeeded.
fn python_pull(
    server: &Server,
    app_id: &str,
    secret: &str,
    signature: &str,
    token: &str,
    info_type: Option<u8>,
) -> Value {
    let python = repo_root().join(".venv/bin/python");
    assert!(
        python.exists(),
        "run `bash scripts/setup-test-deps.sh` (the .venv)"
    );
    let mut command = Command::new(python);
    command
        .arg(repo_root().join("tests/clients/legacy_decrypt.py"))
        .args(["--url", &server.url, "--appid", app_id, "--secret", secret])
        .args(["--signature", signature, "--token", token]);
    if let Some(info_type) = info_type {
        command.args(["--info-type", &info_type.to_string()]);
    }
    let out = command.output().expect("python runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

async fn entry(server: &Server, signature: &str, uid: &str, app_id: &str) -> Value {
    client()
        .post(format!("{}/mp/v1/legacy/auth", server.url))
        .json(&json!({"signature": signature, "uid": uid, "appid": app_id}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// What the person does in the verification mini-program's web-view: consent, type who
/// they are, film their face; returns where the flow sends the web-view at the end.
async fn verify_in_web_view(server: &Server, start_url: &str, token: &str) -> String {
    let http = client();
    let start = http.get(start_url).send().await.unwrap();
    assert_eq!(location(&start), format!("/h5/{token}/consent"));
    let base = format!("{}/h5/{token}", server.url);
    let consent = http
        .post(format!("{base}/consent"))
        .form(&[("agree", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&consent), format!("/h5/{token}/identity"));
    let identity = http
        .post(format!("{base}/identity"))
        .form(&[("name", FILMED_NAME), ("id_card", FILMED_ID)])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&identity), format!("/h5/{token}/liveness"));
    let page = http
        .get(format!("{base}/liveness"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let upload = upload_path(&page);
    let sent = http
        .post(format!("{}{upload}", server.url))
        .header(CONTENT_TYPE, "video/mp4")
        .body(std::fs::read(testdata("videos/carphone_pristine.mp4")).unwrap())
        .send()
        .await
        .unwrap();
    assert!(sent.status().is_success(), "{:?}", sent.text().await);
    for _ in 0..240 {
        let status: Value = http
            .get(format!("{base}/status"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if status["state"] == "finished" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let back = http.get(format!("{base}/continue")).send().await.unwrap();
    location(&back)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_verifies_through_the_legacy_protocol_and_bad_signatures_get_their_codes() {
    let work = tempfile::tempdir().unwrap();
    let server = server_with_people(work.path()).await;
    let store = server.state.store();
    let config = LegacyConfig {
        identity_source: IdentitySource::Manual,
        liveness: LivenessKind::Silent,
        ..LegacyConfig::default()
    };
    let app_id = legacy::create(store, Actor::CLI, common::APP, "mini", &config)
        .await
        .unwrap();
    let secret = legacy::secret_key(server.state.keys(), &app_id);
    let other_id = legacy::create(store, Actor::CLI, common::APP, "other", &config)
        .await
        .unwrap();
    let other_secret = legacy::secret_key(server.state.keys(), &other_id);
    let now = server.state.clock().now_ms() / 1000;

    // The entry refuses what is not signed for it, each with its own code.
    let expired = node_sign("auth", &app_id, &secret, "600", Some(now - 1200));
    assert_eq!(
        entry(&server, &expired, "openid-1", &app_id).await["errorcode"],
        702
    );
    let foreign_key = node_sign("auth", &app_id, &other_secret, "600", None);
    assert_eq!(
        entry(&server, &foreign_key, "openid-1", &app_id).await["errorcode"],
        703
    );
    let other_app = node_sign("auth", &other_id, &other_secret, "600", None);
    assert_eq!(
        entry(&server, &other_app, "openid-1", &app_id).await["errorcode"],
        704
    );
    let pull_signature = node_sign("getdetectinfo", &app_id, &secret, "600", None);
    assert_eq!(
        entry(&server, &pull_signature, "openid-1", &app_id).await["errorcode"],
        705
    );
    assert_eq!(
        entry(&server, "not base64!", "openid-1", &app_id).await["errorcode"],
        701
    );
    assert_eq!(
        entry(&server, &other_app, "openid-1", "TIDANOSUCHAPP").await["errorcode"],
        706
    );

    // The verification mini-program's entry opens a flow; the person verifies in its web-view.
    let signature = node_sign("auth", &app_id, &secret, "600", None);
    let opened = entry(&server, &signature, "openid-1", &app_id).await;
    assert_eq!(opened["errorcode"], 0, "{opened}");
    let token = opened["data"]["token"].as_str().unwrap().to_string();
    let start_url = opened["data"]["Url"].as_str().unwrap().to_string();
    assert!(start_url.ends_with("&mp=1"), "{start_url}");

    let pull = node_sign("getdetectinfo", &app_id, &secret, "600", None);
    let early = python_pull(&server, &app_id, &secret, &pull, &token, Some(1));
    assert_eq!(early["errorcode"], 709, "{early}");

    let back = verify_in_web_view(&server, &start_url, &token).await;
    assert_eq!(
        back,
        format!("/mp/v1/return?token={token}&verifyDone=1&errCode=0")
    );
    let returned = client()
        .get(format!("{}{back}", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(returned.status(), StatusCode::OK);
    assert!(returned
        .text()
        .await
        .unwrap()
        .contains("data-testid=\"mp-return\""));

    // The integrator's backend pulls the result and decrypts it with its secret key.
    let text = python_pull(&server, &app_id, &secret, &pull, &token, Some(1));
    assert_eq!(text["errorcode"], 0, "{text}");
    let data = &text["data"];
    assert_eq!(data["ID"], FILMED_ID);
    assert_eq!(data["name"], FILMED_NAME);
    assert_eq!(data["yt_errorcode"], 0);
    assert_eq!(data["livestatus"], 0);
    assert_eq!(data["comparestatus"], 0);
    assert_eq!(data["type"], 0);
    assert!(data.get("video").is_none(), "info_type 1 carries no files");
    for field in [
        "phone",
        "sex",
        "nation",
        "ID_address",
        "ID_birth",
        "ID_authority",
        "ID_valid_date",
        "validatedata",
        "yt_errormsg",
        "livemsg",
        "comparemsg",
    ] {
        assert!(data.get(field).is_some(), "{field} missing from {data}");
    }
    let everything = python_pull(&server, &app_id, &secret, &pull, &token, None);
    let files = &everything["data"];
    assert!(files["video"].as_str().unwrap().len() > 1000);
    assert!(!files["videopic1"].as_str().unwrap().is_empty());
    assert_eq!(files["frontpic"], "", "the person typed their identity");
    assert_eq!(
        python_pull(&server, &app_id, &secret, &pull, &token, Some(0))["data"]["ID"],
        FILMED_ID
    );

    // Refused pulls: each its own code, and the result stays for a good one.
    let tampered = {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD;
        let mut raw = b64.decode(&pull).unwrap();
        let at = raw.len() - 1;
        raw[at] = if raw[at] == b'9' { b'8' } else { b'9' };
        b64.encode(raw)
    };
    assert_eq!(
        python_pull(&server, &app_id, &secret, &tampered, &token, Some(1))["errorcode"],
        703
    );
    let stale = node_sign("getdetectinfo", &app_id, &secret, "600", Some(now - 3600));
    assert_eq!(
        python_pull(&server, &app_id, &secret, &stale, &token, Some(1))["errorcode"],
        702
    );
    let theirs = node_sign("getdetectinfo", &other_id, &other_secret, "600", None);
    assert_eq!(
        python_pull(&server, &other_id, &other_secret, &theirs, &token, Some(1))["errorcode"],
        708
    );
    assert_eq!(
        python_pull(&server, &app_id, &secret, &theirs, &token, Some(1))["errorcode"],
        704
    );
    assert_eq!(
        python_pull(&server, &app_id, &secret, &signature, &token, Some(1))["errorcode"],
        705
    );
    assert_eq!(
        python_pull(
            &server,
            &app_id,
            &secret,
            &pull,
            "00000000-0000-0000-0000-000000000000",
            Some(1)
        )["errorcode"],
        708
    );
    let bad_body = client()
        .post(format!("{}/new/cgi-bin/getdetectinfo.php", server.url))
        .header("signature", &pull)
        .body("{not json")
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(bad_body["errorcode"], 707);
    assert_eq!(
        python_pull(&server, &app_id, &secret, &pull, &token, Some(1))["data"]["ID"],
        FILMED_ID
    );

    // A disabled appid is refused from then on.
    assert!(legacy::disable(store, Actor::CLI, common::APP, &app_id)
        .await
        .unwrap());
    assert_eq!(
        python_pull(&server, &app_id, &secret, &pull, &token, Some(1))["errorcode"],
        706
    );
    server.stop().await;
}
