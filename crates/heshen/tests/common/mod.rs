//! Shared by the integration tests: starts the real server on an ephemeral port with
//! a temporary data dir, provisions a key, a rule and an eID merchant, and drives
//! flows to completion in-process (what the H5 pages would do).
#![allow(dead_code)]

pub mod browser;
pub mod pages;
pub mod people;

use heshen::app::Application;
use heshen::bootstrap;
use heshen::settings::Settings;
use heshen_core::flow::{AttemptOutcome, FlowKind};
use heshen_core::rule::{MerchantConfig, RuleConfig};
use heshen_service::flows;
use heshen_service::AppState;
use serde_json::Value;
use std::net::SocketAddr;
use std::path::PathBuf;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const APP: &str = "tests";
pub const OTHER_APP: &str = "other";
/// A valid mainland ID number (real birth date, GB 11643 check digit) and a name.
pub const ID_CARD: &str = "11010519491231002X";
pub const NAME: &str = "韦小宝";
/// Bytes stored as the best frame; a tiny stand-in for a JPEG.
pub const BEST_FRAME: &[u8] = b"\xff\xd8\xff\xe0heshen-test-best-frame\xff\xd9";
pub const BEST_FRAME_B64: &str = "/9j/4Ghlc2hlbi10ZXN0LWJlc3QtZnJhbWX/2Q==";
pub const DAY_MS: i64 = 24 * 3600 * 1000;

pub struct Server {
    pub addr: SocketAddr,
    /// `127.0.0.1:PORT`, what the SDKs take as endpoint.
    pub endpoint: String,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    pub state: AppState,
    pub secret_id: String,
    pub secret_key: String,
    pub rule_id: String,
    pub merchant_id: String,
    pub data_dir: PathBuf,
    settings: Settings,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<anyhow::Result<()>>>,
    _dir: tempfile::TempDir,
}

impl Server {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(configure: impl FnOnce(&mut Settings)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut settings = Settings {
            listen: "127.0.0.1:0".into(),
            // The purge would erase flows the tests move past retention on purpose.
            purge_interval_secs: 24 * 3600,
            ..Settings::default()
        };
        configure(&mut settings);
        let data_dir = dir.path().join("data");
        let app = Application::build(&settings, data_dir.clone())
            .await
            .expect("server builds");
        let (addr, state) = (app.addr, app.state.clone());
        let store = state.store();
        store.ensure_app(APP, "Integration tests").await.unwrap();
        let key = store.create_api_key(APP, "tests").await.unwrap();
        let rule_id = bootstrap::create_rule(store, APP, &RuleConfig::default())
            .await
            .unwrap();
        let merchant_id =
            bootstrap::create_merchant(store, APP, "eid tests", &MerchantConfig::default())
                .await
                .unwrap();
        let (shutdown, handle) = spawn(app);
        Self {
            addr,
            endpoint: addr.to_string(),
            url: format!("http://{addr}"),
            state,
            secret_id: key.secret_id,
            secret_key: key.secret_key,
            rule_id,
            merchant_id,
            data_dir,
            settings,
            shutdown: Some(shutdown),
            handle: Some(handle),
            _dir: dir,
        }
    }

    /// Shuts the server down gracefully and starts a new one on the same data dir
    /// (and a new port): what survives is what was really stored.
    pub async fn restart(self) -> Self {
        self.restart_with(|_| {}).await
    }

    /// As [`Server::restart`], with changed settings (e.g. a node that now has the vision engine).
    pub async fn restart_with(mut self, configure: impl FnOnce(&mut Settings)) -> Self {
        self.shutdown_and_wait().await;
        configure(&mut self.settings);
        let app = Application::build(&self.settings, self.data_dir.clone())
            .await
            .expect("server rebuilds on its data dir");
        self.addr = app.addr;
        self.endpoint = app.addr.to_string();
        self.url = format!("http://{}", app.addr);
        self.state = app.state.clone();
        let (shutdown, handle) = spawn(app);
        self.shutdown = Some(shutdown);
        self.handle = Some(handle);
        self
    }

    async fn shutdown_and_wait(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(handle) = self.handle.take() {
            handle
                .await
                .expect("server task")
                .expect("server ran cleanly");
        }
    }

    /// The Rust SDK, signed with the test key.
    pub fn sdk(&self) -> heshen_sdk::Client {
        heshen_sdk::Client::new(&self.url, &self.secret_id, &self.secret_key)
    }

    /// A second application with its own key and rule; its tokens must be invisible to the first.
    pub async fn other_app(&self) -> (heshen_store::NewApiKey, String) {
        let store = self.state.store();
        store.ensure_app(OTHER_APP, "Another tenant").await.unwrap();
        let key = store.create_api_key(OTHER_APP, "other").await.unwrap();
        let rule = bootstrap::create_rule(store, OTHER_APP, &RuleConfig::default())
            .await
            .unwrap();
        (key, rule)
    }

    /// Graceful shutdown; fails the test if the server ended with an error.
    pub async fn stop(mut self) {
        self.shutdown_and_wait().await;
    }
}

type Running = (oneshot::Sender<()>, JoinHandle<anyhow::Result<()>>);

fn spawn(app: Application) -> Running {
    let (tx, rx) = oneshot::channel::<()>();
    let handle = tokio::spawn(app.run_until(async move {
        let _ = rx.await;
    }));
    (tx, handle)
}

fn passing_outcome(best_frame: &str) -> AttemptOutcome {
    AttemptOutcome {
        live_status: 0,
        compare_status: Some(0),
        sim: Some(93.47),
        liveness_mode: 2,
        action_sequence: Some("1,2".into()),
        read_digits: None,
        checks: vec![
            heshen_core::flow::LivenessCheck {
                name: "duration_s".into(),
                value: 3.2,
                bound: Some(2.0),
                at_most: false,
                passed: true,
            },
            heshen_core::flow::LivenessCheck {
                name: "nonplanar_motion".into(),
                value: 0.0171,
                bound: Some(0.013),
                at_most: false,
                passed: true,
            },
        ],
        best_frame: Some(best_frame.into()),
        extra_frames: vec![],
        video: None,
    }
}

/// Does what the user's browser would: opens the flow and passes one liveness +
/// comparison attempt, with the best frame stored as media. Uses the identity
/// DetectAuth/GetEidToken passed.
pub async fn finish_flow(state: &AppState, token: &str, kind: FlowKind) {
    flows::put_media(state, token, "best_frame.jpg", BEST_FRAME.to_vec())
        .await
        .expect("media stored");
    let (code, stored) = flows::update(state, token, kind, |flow, now| {
        flow.start(now)?;
        flow.record_attempt(
            now,
            format!("seq-{token}"),
            passing_outcome("best_frame.jpg"),
        )
    })
    .await
    .expect("flow finished");
    assert_eq!(code.code, 0, "the attempt passed");
    assert!(stored.flow.outcome.is_some(), "the flow is finished");
}

/// Only opens the flow (CheckEidTokenStatus → "doing").
pub async fn start_flow(state: &AppState, token: &str, kind: FlowKind) {
    flows::update(state, token, kind, |flow, now| flow.start(now))
        .await
        .expect("flow started");
}

/// Asserts the parts of an error envelope every client relies on.
pub fn assert_error_envelope(body: &Value, code: &str) {
    let response = &body["Response"];
    assert_eq!(
        response["Error"]["Code"], code,
        "unexpected envelope: {body}"
    );
    assert!(
        response["Error"]["Message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert_request_id(response);
}

pub fn assert_request_id(response: &Value) {
    let id = response["RequestId"]
        .as_str()
        .unwrap_or_else(|| panic!("no RequestId in {response}"));
    assert_eq!(id.len(), 36, "RequestId is a UUID: {id}");
}
