//! The console in a real browser, against the real `heshen serve` binary with the vision
//! engine: sign in with the one-time password it prints, set up an app, a key and a reviewer,
//! walk a business flow through the whole wizard, approve it as the reviewer, issue a token
//! for that RuleId with the official Python SDK, have the filmed person finish the flow in
//! Chromium with the fake camera, and see statistics, reconciliation, the record and the audit
//! log change. Then every console page, in both languages, on a desktop and on a phone.
//! Screenshots land in `target/screenshots/console/`.

mod common;

use common::browser::{python_sdk, repo_root, run_driver, screenshots};
use common::people::{camera_feed, frame_of, models_dir, testdata, FILMED_ID, FILMED_NAME};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

const APP: &str = "bank";
const PAGE_TITLE: &str = "开户实名认证";
const ADMIN_PASSWORD: &str = "the admin's own passphrase";
const REVIEWER_PASSWORD: &str = "the reviewer's own passphrase";

struct Serve {
    child: Child,
    url: String,
    password: String,
    _dir: tempfile::TempDir,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `heshen` on a data dir, with the models and nothing else of the environment's settings.
fn heshen(data_dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_heshen"));
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        if key.starts_with("HESHEN_") || key == "DATABASE_URL" {
            command.env_remove(key);
        }
    }
    command
        .env("HESHEN_MODELS_DIR", models_dir())
        .arg("--data-dir")
        .arg(data_dir);
    command
}

/// Starts `heshen serve` on a fresh data dir whose registry knows the filmed person (imported
/// as an operator would, with `heshen registry import`), and reads its banner.
fn serve() -> Serve {
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("filmed.jpg");
    frame_of(&testdata("videos/carphone_pristine.mp4"), "1.5", &photo);
    let people = dir.path().join("people.csv");
    std::fs::write(
        &people,
        format!("name,id_number,photo_path\n{FILMED_NAME},{FILMED_ID},filmed.jpg\n"),
    )
    .unwrap();
    let imported = heshen(dir.path())
        .args(["registry", "import"])
        .arg(&people)
        .output()
        .expect("heshen registry import runs");
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    let mut child = heshen(dir.path())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("HESHEN_VISION", "required")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("heshen serve starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut url, mut password) = (None, None);
    // The demo banner (after the console's) ends with the RuleId.
    for line in lines.by_ref() {
        let line = line.unwrap();
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("heshen is listening on ") {
            url = rest.split_whitespace().next().map(str::to_string);
        } else if let Some(rest) = line.strip_prefix("password: ") {
            password = Some(rest.to_string());
        } else if line.starts_with("RuleId:") {
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    Serve {
        child,
        url: url.expect("the banner names the URL"),
        password: password.expect("the banner prints `password: …` on a line of its own"),
        _dir: dir,
    }
}

fn plan(server: &Serve, phase: &str, lang: &str, phone: bool, extra: Value) -> Value {
    let viewport = if phone {
        json!({"width": 390, "height": 844, "mobile": true})
    } else {
        json!({"width": 1280, "height": 860, "mobile": false})
    };
    let mut plan = json!({
        "phase": phase,
        "url": server.url,
        "screenshots": screenshots("console"),
        "name": format!("{phase}-{lang}-{}", if phone { "phone" } else { "desktop" }),
        "lang": lang,
        "viewport": viewport,
        "video": repo_root().join("target/console-no-camera.y4m"),
        "app": APP,
    });
    for (key, value) in extra.as_object().unwrap() {
        plan[key] = value.clone();
    }
    plan
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_sets_up_a_business_flow_that_a_reviewer_approves_and_the_api_then_serves() {
    let server = serve();
    let document = repo_root().join("../shared/testdata/faces/lfw_Aaron_Peirsol_0001.jpg");
    let document = if document.exists() {
        document
    } else {
        std::fs::read_dir(repo_root().join("../shared/testdata/faces"))
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.extension().is_some_and(|x| x == "jpg"))
            .expect("a JPEG among the test faces")
    };
    let setup_plan = plan(
        &server,
        "setup",
        "zh-CN",
        false,
        json!({
            "adminPassword": server.password,
            "newPassword": ADMIN_PASSWORD,
            "reviewerPassword": REVIEWER_PASSWORD,
            "appName": "Example Bank",
            "document": document,
            "pageTitle": PAGE_TITLE,
            "ruleName": "开户",
            "successCopy": "认证成功，欢迎开户。",
        }),
    );
    let setup = tokio::task::spawn_blocking(move || run_driver("console_flow.mjs", setup_plan))
        .await
        .unwrap();
    let rule_id = setup["ruleId"].as_str().unwrap().to_string();
    assert_eq!(setup["issuedRuleId"], rule_id.as_str(), "{setup:#}");
    assert_eq!(
        setup["previewTitle"], PAGE_TITLE,
        "the preview shows the configured title"
    );
    assert!(
        setup["previewSuccess"]
            .as_str()
            .unwrap()
            .contains("认证成功，欢迎开户。"),
        "{setup:#}"
    );
    assert_eq!(setup["consoleErrors"], json!([]), "{setup:#}");

    // The integrator's backend, with the key the console showed once.
    let endpoint = server.url.trim_start_matches("http://").to_string();
    let (secret_id, secret_key) = (
        setup["secretId"].as_str().unwrap().to_string(),
        setup["secretKey"].as_str().unwrap().to_string(),
    );
    let sdk = |action: &str, fields: Value| {
        python_sdk(&endpoint, &secret_id, &secret_key, action, fields)
    };
    let issued = sdk(
        "DetectAuth",
        json!({"RuleId": rule_id, "IdCard": FILMED_ID, "Name": FILMED_NAME}),
    );
    let token = issued["BizToken"]
        .as_str()
        .unwrap_or_else(|| panic!("{issued}"))
        .to_string();
    let page = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(format!("{}/h5/{token}/consent", server.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(PAGE_TITLE),
        "the H5 page carries the rule's title"
    );
    // The filmed person opens their mouth as the rule's one action asks, and is compared with
    // the registry's photo of them.
    let work = tempfile::tempdir().unwrap();
    let walk = json!({
        "name": "flow-zh-phone",
        "startUrl": issued["Url"],
        "video": camera_feed(&testdata("videos/carphone_pristine.mp4"), work.path()),
        "screenshots": screenshots("console"),
        "lang": "zh-CN",
        "viewport": {"width": 390, "height": 844, "mobile": true},
    });
    let walked = tokio::task::spawn_blocking(move || run_driver("h5_flow.mjs", walk))
        .await
        .unwrap();
    assert_eq!(walked["code"], 0, "{walked:#}");
    let pulled = sdk(
        "GetDetectInfoEnhanced",
        json!({"BizToken": token, "RuleId": rule_id}),
    );
    assert_eq!(pulled["Text"]["ErrCode"], 0, "{pulled}");

    let (mut audited, mut chain) = (Vec::new(), Vec::new());
    for (lang, phone) in [
        ("zh-CN", false),
        ("en", false),
        ("zh-CN", true),
        ("en", true),
    ] {
        let tour_plan = plan(
            &server,
            "tour",
            lang,
            phone,
            json!({
                "adminPassword": ADMIN_PASSWORD,
                "ruleId": rule_id,
                "revision": setup["revision"],
                "merchantPath": setup["merchantPath"],
                "token": token,
            }),
        );
        let tour = tokio::task::spawn_blocking(move || run_driver("console_flow.mjs", tour_plan))
            .await
            .unwrap();
        assert_eq!(tour["consoleErrors"], json!([]), "{tour:#}");
        assert_eq!(
            tour["statsIssued"], "1",
            "the token issued through the SDK counts: {tour:#}"
        );
        assert_eq!(
            tour["statsPassed"], "1",
            "the finished flow passed: {tour:#}"
        );
        assert_eq!(tour["recordAttempts"], 1, "{tour:#}");
        assert!(
            tour["recordChecks"].as_u64().unwrap() >= 5,
            "the record lists the liveness checks: {tour:#}"
        );
        assert_eq!(tour["reconCharges"], 1, "one billed attempt: {tour:#}");
        audited.push(tour["auditActions"].clone());
        chain.push(tour["auditChain"].clone());
    }
    for actions in &audited {
        let actions: Vec<&str> = actions
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        for expected in [
            "session.login",
            "users.change_password",
            "apps.create",
            "keys.create",
            "users.create",
            "rules.draft",
            "rules.submit",
            "rules.approve",
            "merchants.apply",
            "merchants.approve",
            "api.GetDetectInfoEnhanced",
            "records.open",
        ] {
            assert!(
                actions.contains(&expected),
                "{expected} missing from {actions:?}"
            );
        }
    }
    assert!(chain.iter().all(|c| c == "intact"), "{chain:?}");
}
