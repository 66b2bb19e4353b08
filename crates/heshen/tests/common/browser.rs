//! Shared by the browser tests: where the repository and its test tools are, and running a
//! driver of `tests/browser` (playwright-core in Debian's chromium) with a JSON plan.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const SETUP_HINT: &str = "run `bash scripts/setup-test-deps.sh` (installs chromium, playwright-core and the official clients)";

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn require(path: PathBuf, what: &str) -> PathBuf {
    assert!(
        path.exists(),
        "{what} not found at {}: {SETUP_HINT}",
        path.display()
    );
    path
}

/// `target/screenshots/<walk>`, created.
pub fn screenshots(walk: &str) -> PathBuf {
    let dir = repo_root().join("target/screenshots").join(walk);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `tests/browser/<script>` with the plan and returns the JSON report it prints last;
/// a report with `error` fails the test.
pub fn run_driver(script: &str, plan: Value) -> Value {
    require(PathBuf::from("/usr/bin/chromium"), "chromium");
    require(
        repo_root().join("tests/browser/node_modules/playwright-core/package.json"),
        "playwright-core",
    );
    let out = Command::new("node")
        .arg(repo_root().join("tests/browser").join(script))
        .arg(plan.to_string())
        .env("NO_PROXY", "127.0.0.1,localhost")
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: Value = stdout
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| {
            panic!(
                "no report from the browser driver: {stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    assert!(
        report.get("error").is_none(),
        "the browser walk failed: {report:#}"
    );
    report
}

/// One action through the official Python SDK (`tests/clients/py_client.py`): its Response,
/// or `{"error": …}`.
pub fn python_sdk(
    endpoint: &str,
    secret_id: &str,
    secret_key: &str,
    action: &str,
    fields: Value,
) -> Value {
    let python = require(
        repo_root().join(".venv/bin/python"),
        "the Python SDK (.venv)",
    );
    let out = Command::new(python)
        .arg(repo_root().join("tests/clients/py_client.py"))
        .args(["--endpoint", endpoint])
        .args(["--secret-id", secret_id, "--secret-key", secret_key])
        .arg(action)
        .arg(fields.to_string())
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env_remove("http_proxy")
        .env_remove("HTTP_PROXY")
        .output()
        .expect("python runs");
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("{e}: {text}"))
}
