//! The `heshen` binary's administrative commands, run as a user would run them.

use serde_json::Value;
use std::process::Command;

fn heshen(data_dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_heshen"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("DATABASE_URL")
        .output()
        .expect("run heshen");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

#[test]
fn keys_rules_and_merchants_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();

    let (ok, out, err) = heshen(data, &["migrate"]);
    assert!(ok, "{err}");
    assert!(out.contains("up to date"));

    let (ok, out, err) = heshen(data, &["keys", "create", "--name", "backend", "--json"]);
    assert!(ok, "{err}");
    let key = json(&out);
    let secret_id = key["SecretId"].as_str().unwrap().to_string();
    assert!(secret_id.starts_with("AKID"));
    assert!(key["SecretKey"].as_str().unwrap().len() >= 32);

    let (ok, out, _) = heshen(data, &["keys", "list", "--json"]);
    assert!(ok);
    let keys = json(&out);
    assert_eq!(keys[0]["SecretId"], secret_id.as_str());
    assert_eq!(keys[0]["Enabled"], true);
    assert!(
        !out.contains(key["SecretKey"].as_str().unwrap()),
        "secrets are never listed"
    );

    let (ok, _, err) = heshen(data, &["keys", "disable", &secret_id]);
    assert!(ok, "{err}");
    let (_, out, _) = heshen(data, &["keys", "list", "--json"]);
    assert_eq!(json(&out)[0]["Enabled"], false);
    let (ok, _, err) = heshen(data, &["keys", "disable", "AKIDnope"]);
    assert!(!ok && err.contains("no API key"));

    let (ok, out, err) = heshen(data, &["rules", "create", "--json", "{}"]);
    assert!(ok, "{err}");
    let rule_id = json(&out)["RuleId"].as_str().unwrap().to_string();
    let (ok, out, err) = heshen(
        data,
        &[
            "rules",
            "create",
            "--json",
            r#"{"liveness":"silent","max_attempts":5}"#,
        ],
    );
    assert!(ok, "{err}");
    assert_ne!(json(&out)["RuleId"].as_str().unwrap(), rule_id);
    let (ok, _, err) = heshen(
        data,
        &["rules", "create", "--json", r#"{"max_attempts":0}"#],
    );
    assert!(!ok && err.contains("max_attempts"), "{err}");
    let (ok, _, err) = heshen(data, &["rules", "create", "--json", r#"{"colour":"red"}"#]);
    assert!(!ok && err.contains("colour"), "{err}");
    let (ok, out, _) = heshen(data, &["rules", "list"]);
    assert!(ok);
    let rules = json(&out);
    assert_eq!(rules.as_array().unwrap().len(), 2);
    assert_eq!(rules[0]["Status"], "approved");

    let (ok, out, err) = heshen(data, &["merchants", "create", "--name", "shop", "--json"]);
    assert!(ok, "{err}");
    let merchant = json(&out);
    assert!(!merchant["MerchantId"].as_str().unwrap().is_empty());
    assert_eq!(
        merchant["MerchantKey"].as_str().unwrap().len(),
        44,
        "base64 of 32 bytes"
    );
    let (ok, out, _) = heshen(data, &["merchants", "list"]);
    assert!(ok);
    assert_eq!(json(&out)[0]["MerchantId"], merchant["MerchantId"]);

    assert!(
        data.join("master.key").exists(),
        "the master key is created on first use"
    );
    assert!(
        data.join("heshen.db").exists(),
        "SQLite is the default store"
    );
}

#[test]
fn serve_answers_on_first_start_and_prints_the_demo_key() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_heshen"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env_remove("DATABASE_URL")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut banner = String::new();
    for line in lines.by_ref().take(12) {
        let line = line.unwrap();
        banner.push_str(&line);
        banner.push('\n');
    }
    let field = |name: &str| {
        banner
            .lines()
            .find_map(|l| l.trim().strip_prefix(name).map(|v| v.trim().to_string()))
            .unwrap_or_else(|| panic!("{name} missing in banner:\n{banner}"))
    };
    let url = banner
        .lines()
        .find_map(|l| {
            l.strip_prefix("heshen is listening on ")
                .map(|v| v.split(' ').next().unwrap().to_string())
        })
        .expect("listening line");
    let (sid, skey, rule) = (field("SecretId:"), field("SecretKey:"), field("RuleId:"));

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let auth = runtime
        .block_on(async {
            heshen_sdk::Client::new(&url, &sid, &skey)
                .detect_auth(&heshen_sdk::DetectAuth {
                    rule_id: rule.clone(),
                    ..Default::default()
                })
                .await
        })
        .expect("the demo key and rule work");
    assert_eq!(auth.biz_token.len(), 36);
    assert!(auth.url.starts_with(&url));
    let openapi: Value = runtime
        .block_on(async {
            reqwest::get(format!("{url}/openapi.json"))
                .await?
                .json()
                .await
        })
        .expect("the OpenAPI document is served");
    assert_eq!(openapi["servers"][0]["url"], url.as_str());
    assert!(openapi["paths"]["/#X-TC-Action=DetectAuth"]["post"].is_object());
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn openapi_document_describes_every_action_heshen_performs() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, out, err) = heshen(dir.path(), &["openapi"]);
    assert!(ok, "{err}");
    let document = json(&out);
    assert_eq!(document["openapi"], "3.1.0");
    let paths = document["paths"].as_object().unwrap();
    for action in heshen_core::Action::ALL {
        let key = format!("/#X-TC-Action={}", action.as_str());
        assert_eq!(
            paths.contains_key(&key),
            action.unsupported_reason().is_none(),
            "{key}"
        );
    }
    let text = &document["components"]["schemas"]["DetectInfoText"]["properties"];
    assert!(text["UseIDType"].is_object() && text["LivenessDetail"].is_object());
}

#[test]
fn legacy_appids_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let (ok, out, err) = heshen(data, &["legacy", "create", "--name", "old mini", "--json"]);
    assert!(ok, "{err}");
    let created = json(&out);
    let app_id = created["AppId"].as_str().unwrap().to_string();
    let secret = created["SecretKey"].as_str().unwrap();
    assert!(app_id.starts_with("TIDA"), "{app_id}");
    assert_eq!(secret.len(), 32);
    assert!(secret.bytes().all(|b| b.is_ascii_hexdigit()));

    let (ok, out, _) = heshen(data, &["legacy", "list"]);
    assert!(ok);
    let listed = json(&out);
    assert_eq!(listed[0]["AppId"], app_id.as_str());
    assert_eq!(listed[0]["Status"], "approved");
    assert!(!out.contains(secret), "the secret key is shown once");

    let (ok, _, err) = heshen(
        data,
        &[
            "legacy",
            "create",
            "--name",
            "x",
            "--legacy-config",
            r#"{"max_attempts":0}"#,
        ],
    );
    assert!(!ok, "an unusable configuration is refused");
    assert!(err.contains("attempt"), "{err}");
    let (ok, _, err) = heshen(
        data,
        &[
            "legacy",
            "create",
            "--name",
            "x",
            "--legacy-config",
            r#"{"colour":"red"}"#,
        ],
    );
    assert!(!ok);
    assert!(err.contains("not valid"), "{err}");

    let (ok, out, err) = heshen(data, &["legacy", "disable", &app_id]);
    assert!(ok, "{err}");
    assert!(out.contains("disabled"));
    let (_, out, _) = heshen(data, &["legacy", "list"]);
    assert_eq!(json(&out)[0]["Status"], "disabled");
    let (ok, _, err) = heshen(data, &["legacy", "disable", "TIDANOSUCH"]);
    assert!(!ok);
    assert!(err.contains("no legacy appid"), "{err}");
}
