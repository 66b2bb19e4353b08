//! The WeChat mini-program code of `sdk/miniprogram` (the verification mini-program,
//! `verify_mpsdk`, `mp_ecard_sdk`) against the real server with the vision engine: its
//! node:test suites run in a `wx` simulator and reach this server over HTTP, making tokens
//! with the official Node SDK as an integrator's backend would.

mod common;

use common::browser::repo_root;
use common::people::{ffmpeg, server_with_people, testdata, FILMED_ID, FILMED_NAME};
use heshen_core::flow::{Flow, FlowKind, FlowRequest, FlowSettings};
use heshen_core::rule::{
    CompareSource, IdentitySource, LegacyConfig, LivenessKind, MerchantConfig, RuleConfig,
};
use heshen_core::BizToken;
use heshen_service::admin::{self, Actor};
use heshen_service::flows::{self, FlowOwner};
use heshen_service::legacy;
use std::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mini_program_sdks_verify_return_and_refuse_bad_tokens_against_the_server() {
    let work = tempfile::tempdir().unwrap();
    let server = server_with_people(work.path()).await;
    let store = server.state.store();
    let silent_rule = RuleConfig {
        liveness: LivenessKind::Silent,
        compare_source: CompareSource::None,
        ..RuleConfig::default()
    };
    let rule_id = heshen::bootstrap::create_rule(store, common::APP, &silent_rule)
        .await
        .unwrap();
    let merchant_id = admin::create_merchant(
        store,
        Actor::CLI,
        common::APP,
        "Mini shop",
        &MerchantConfig {
            liveness: LivenessKind::Silent,
            ..MerchantConfig::default()
        },
    )
    .await
    .unwrap();
    let legacy_config = LegacyConfig {
        identity_source: IdentitySource::Manual,
        liveness: LivenessKind::Silent,
        ..LegacyConfig::default()
    };
    let legacy_id = legacy::create(
        store,
        Actor::CLI,
        common::APP,
        "Legacy mini",
        &legacy_config,
    )
    .await
    .unwrap();
    let legacy_secret = legacy::secret_key(server.state.keys(), &legacy_id);

    // A token whose 7,200 s ran out an hour ago (its result would still be kept).
    let expired = BizToken::generate();
    let hour_ms = 3_600_000;
    let opened = server.state.clock().now_ms() - 3 * hour_ms;
    let flow = Flow::new(
        FlowKind::Detect,
        FlowRequest::default(),
        FlowSettings {
            max_attempts: 3,
            sim_threshold: 70.0,
            liveness_mode: 3,
            compare_lib_type: None,
        },
        opened,
        2 * hour_ms,
    );
    let owner = FlowOwner {
        app_id: common::APP,
        scope_id: &rule_id,
        secret_id: &server.secret_id,
        channel: "mini_program",
    };
    flows::create(&server.state, expired.as_str(), &owner, &flow, Vec::new())
        .await
        .unwrap();

    // Each suite that completes a flow films the person anew: the same bytes twice are a replay.
    let source = testdata("videos/carphone_pristine.mp4");
    let takes = ["legacy", "mp_ecard_sdk", "verify_mpsdk"]
        .iter()
        .enumerate()
        .map(|(i, suite)| {
            let take = work.path().join(format!("{suite}.mp4"));
            let start = format!("0.{i}");
            ffmpeg(&[
                "-ss",
                &start,
                "-i",
                source.to_str().unwrap(),
                "-an",
                "-c:v",
                "libx264",
                "-pix_fmt",
                "yuv420p",
                take.to_str().unwrap(),
            ]);
            format!("{suite}={}", take.display())
        })
        .collect::<Vec<_>>()
        .join(",");
    let node_tests = repo_root().join("sdk/miniprogram/test");
    assert!(node_tests.is_dir(), "sdk/miniprogram/test is missing");
    let tests_dir = node_tests.clone();
    let env = [
        ("HESHEN_URL", server.url.clone()),
        ("HESHEN_ENDPOINT", server.endpoint.clone()),
        ("HESHEN_SECRET_ID", server.secret_id.clone()),
        ("HESHEN_SECRET_KEY", server.secret_key.clone()),
        ("HESHEN_RULE_ID", rule_id),
        ("HESHEN_MERCHANT_ID", merchant_id),
        ("HESHEN_PERSON_ID", FILMED_ID.to_string()),
        ("HESHEN_PERSON_NAME", FILMED_NAME.to_string()),
        ("HESHEN_VIDEOS", takes),
        ("HESHEN_EXPIRED_TOKEN", expired.to_string()),
        ("HESHEN_LEGACY_APPID", legacy_id),
        ("HESHEN_LEGACY_SECRET", legacy_secret),
    ];
    let out = tokio::task::spawn_blocking(move || {
        let files: Vec<_> = std::fs::read_dir(&tests_dir)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.to_string_lossy().ends_with(".test.js"))
            .collect();
        Command::new("node")
            .arg("--test")
            .arg("--test-concurrency=1")
            .args(files)
            .current_dir(&tests_dir)
            .envs(env)
            .env("NO_PROXY", "127.0.0.1,localhost")
            .output()
            .expect("node runs")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the mini-program suites failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("# fail 0"),
        "node reported failures:\n{stdout}"
    );
    server.stop().await;
}
