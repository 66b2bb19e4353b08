//! The H5 pages over plain HTTP: where each request sends the person, and what bad input
//! gets (a clear page or JSON error, nothing stored under the wrong token). And the judging
//! of a recording surviving a restart: it is a job in the database, not a task in memory.

mod common;

use common::pages::{client, location, upload_path};
use common::{Server, ID_CARD, NAME};
use heshen_core::flow::FlowKind;
use heshen_core::rule::{CompareSource, LivenessKind, RuleConfig};
use reqwest::header::{CONTENT_TYPE, ORIGIN};
use reqwest::StatusCode;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn models_dir() -> PathBuf {
    std::env::var_os("HESHEN_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/models"))
}

fn video() -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/testdata/videos/carphone_pristine.mp4"),
    )
    .unwrap()
}

/// Uploads the real face video as a recording to `url`.
async fn send_video(url: impl reqwest::IntoUrl) -> reqwest::Response {
    client()
        .post(url)
        .header(CONTENT_TYPE, "video/mp4")
        .body(video())
        .send()
        .await
        .unwrap()
}

async fn silent_rule(server: &Server) -> String {
    let config = RuleConfig {
        liveness: LivenessKind::Silent,
        compare_source: CompareSource::None,
        ..RuleConfig::default()
    };
    heshen::bootstrap::create_rule(server.state.store(), common::APP, &config)
        .await
        .unwrap()
}

async fn detect(server: &Server, rule: &str) -> String {
    server
        .sdk()
        .detect_auth(&heshen_sdk::DetectAuth {
            rule_id: rule.into(),
            id_card: Some(ID_CARD.into()),
            name: Some(NAME.into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .biz_token
}

/// Opens the flow and consents; returns the recording URL of the issued challenge.
async fn to_liveness(server: &Server, token: &str) -> String {
    to_liveness_page(server, token).await.0
}

/// Opens the flow and consents; returns the recording URL and the liveness page.
async fn to_liveness_page(server: &Server, token: &str) -> (String, String) {
    let http = client();
    let start = http
        .get(format!("{}/h5/start?token={token}", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&start), format!("/h5/{token}/consent"));
    let consent = http
        .post(format!("{}/h5/{token}/consent", server.url))
        .form(&[("agree", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&consent), format!("/h5/{token}/liveness"));
    let page = http
        .get(format!("{}/h5/{token}/liveness", server.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let upload = upload_path(&page);
    (format!("{}{upload}", server.url), page)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_send_the_person_to_the_flows_step_and_refuse_bad_input() {
    // No vision engine on this node: recordings are stored and queued, not judged.
    let server = Server::start_with(|s| s.vision = "off".into()).await;
    let rule = silent_rule(&server).await;
    let token = detect(&server, &rule).await;
    let http = client();
    let url = |path: &str| format!("{}/h5/{token}{path}", server.url);

    // Before the flow is opened, its pages are not reachable out of order.
    let early = http.get(url("/liveness")).send().await.unwrap();
    assert_eq!(early.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&early), format!("/h5/{token}/consent"));

    // Consent must be given; a form posted from another site is refused.
    http.get(format!("{}/h5/start?token={token}", server.url))
        .send()
        .await
        .unwrap();
    let unticked = http
        .post(url("/consent"))
        .form(&[("x", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(unticked.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unticked
        .text()
        .await
        .unwrap()
        .contains("data-testid=\"consent-error\""));
    let forged = http
        .post(url("/consent"))
        .header(ORIGIN, "https://evil.example")
        .form(&[("agree", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let record_url = to_liveness(&server, &token).await;

    // The recording: wrong type, too large, wrong challenge, then the real one once.
    let wrong_type = http
        .post(&record_url)
        .header(CONTENT_TYPE, "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_type.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // Declared too large: refused before a byte is read (the server may close while the
    // client still writes, which the client sees as a broken pipe).
    // (Each on a connection of its own: the server closes it after refusing.)
    let declared = client()
        .post(&record_url)
        .header(CONTENT_TYPE, "video/webm")
        .body(vec![0u8; 21 * 1024 * 1024])
        .send()
        .await;
    if let Ok(response) = declared {
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }
    // Streamed without a length: cut off at the limit, and nothing kept.
    let chunks = (0..22).map(|_| Ok::<_, std::io::Error>(vec![0u8; 1024 * 1024]));
    let streamed = client()
        .post(&record_url)
        .header(CONTENT_TYPE, "video/webm")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await;
    if let Ok(response) = streamed {
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }
    let guessed = send_video(url("/liveness/00112233445566778899aabbccddeeff")).await;
    assert_eq!(guessed.status(), StatusCode::CONFLICT);
    let stored = heshen_service::flows::load(&server.state, &token, FlowKind::Detect)
        .await
        .unwrap()
        .unwrap();
    assert!(
        stored.flow.pending_recording().is_none(),
        "nothing bound to a guessed nonce"
    );

    // Another flow's challenge cannot carry this flow's recording, nor the reverse.
    let other = detect(&server, &rule).await;
    let other_record = to_liveness(&server, &other).await;
    let nonce = record_url.rsplit('/').next().unwrap();
    let crossed = send_video(format!("{}/h5/{other}/liveness/{nonce}", server.url)).await;
    assert_eq!(crossed.status(), StatusCode::CONFLICT);
    assert_ne!(other_record, record_url);

    let accepted = send_video(&record_url).await;
    assert_eq!(accepted.status(), StatusCode::ACCEPTED);
    let reused = send_video(&record_url).await;
    assert_eq!(
        reused.status(),
        StatusCode::CONFLICT,
        "a challenge takes one recording"
    );
    let status: serde_json::Value = http
        .get(url("/status"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["state"], "judging");
    assert_eq!(server.state.store().jobs_of(&token).await.unwrap(), 1);
    // While judging, the person is kept on the processing page.
    let again = http.get(url("/liveness")).send().await.unwrap();
    assert_eq!(location(&again), format!("/h5/{token}/processing"));

    // An unknown token and an expired one get their own pages, with FaceID's codes.
    let unknown = http
        .get(format!("{}/h5/start?token=not-a-token", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert!(unknown
        .text()
        .await
        .unwrap()
        .contains("InvalidParameterValue.BizTokenIllegal"));
    server.state.clock().advance_ms(7_200_000 + 1_000);
    let expired = http.get(url("/consent")).send().await.unwrap();
    assert_eq!(expired.status(), StatusCode::GONE);
    assert!(expired
        .text()
        .await
        .unwrap()
        .contains("InvalidParameterValue.BizTokenExpired"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flash_recording_needs_a_colour_report_that_fits_its_sequence() {
    let server = Server::start_with(|s| s.vision = "off".into()).await;
    let config = RuleConfig {
        liveness: LivenessKind::Flash,
        compare_source: CompareSource::None,
        allow_video_upload: true,
        ..RuleConfig::default()
    };
    let rule = heshen::bootstrap::create_rule(server.state.store(), common::APP, &config)
        .await
        .unwrap();
    let token = detect(&server, &rule).await;
    let (record_url, page) = to_liveness_page(&server, &token).await;
    assert!(page.contains("data-testid=\"flash-notice\""));
    assert!(page.contains("data-testid=\"flash-leave\""));
    assert!(
        !page.contains("data-testid=\"liveness-upload\""),
        "a file cannot say when each colour was shown"
    );
    let colours = page
        .split("data-colours=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap();
    assert_eq!(colours.split('|').count(), 7, "{colours}");
    let stored = heshen_service::flows::load(&server.state, &token, FlowKind::Detect)
        .await
        .unwrap()
        .unwrap();
    let sequence = match &stored.flow.challenge.as_ref().unwrap().spec {
        heshen_core::flow::ChallengeSpec::Flash(s) => s.clone(),
        other => panic!("{other:?}"),
    };
    let mut distinct: Vec<char> = sequence.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 6, "every colour is shown: {sequence}");
    assert!(
        sequence.as_bytes().windows(2).all(|w| w[0] != w[1]),
        "{sequence}"
    );

    let send = |report: Option<&'static str>| {
        let mut request = client()
            .post(&record_url)
            .header(CONTENT_TYPE, "video/mp4")
            .body(video());
        if let Some(report) = report {
            request = request.header("X-Heshen-Flash-Shown", report);
        }
        request.send()
    };
    for (report, says) in [
        (None, "needs the report"),
        (Some("500,1100,1700"), "names 3 colour changes"),
        (
            Some("500,1100,1200,1800,2400,3000,3600"),
            "shown for 100 ms",
        ),
        (Some("500,1100,x"), "not a list"),
        (Some("9000,9600,10200,10800,11400,12000,12600"), "too late"),
    ] {
        let refused = send(report).await.unwrap();
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{report:?}");
        let body: serde_json::Value = refused.json().await.unwrap();
        assert_eq!(body["error"]["code"], "InvalidParameter");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(says), "{report:?}: {message}");
    }
    let stored = heshen_service::flows::load(&server.state, &token, FlowKind::Detect)
        .await
        .unwrap()
        .unwrap();
    assert!(stored.flow.pending_recording().is_none(), "nothing kept");
    assert_eq!(server.state.store().jobs_of(&token).await.unwrap(), 0);
    assert!(server
        .state
        .store()
        .get_media(
            &token,
            &format!("recording-1-{}", record_url.rsplit('/').next().unwrap())
        )
        .await
        .unwrap()
        .is_none());

    let accepted = send(Some("480,1090,1700,2290,2900,3510,4100"))
        .await
        .unwrap();
    assert_eq!(accepted.status(), StatusCode::ACCEPTED);
    let stored = heshen_service::flows::load(&server.state, &token, FlowKind::Detect)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.flow.pending_recording().unwrap().shown_at_ms,
        Some(vec![480, 1090, 1700, 2290, 2900, 3510, 4100])
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_way_out_of_the_flash_check_records_nothing_and_returns_to_the_integrator() {
    let server = Server::start_with(|s| s.vision = "off".into()).await;
    let config = RuleConfig {
        liveness: LivenessKind::Flash,
        compare_source: CompareSource::None,
        ..RuleConfig::default()
    };
    let rule = heshen::bootstrap::create_rule(server.state.store(), common::APP, &config)
        .await
        .unwrap();
    let token = server
        .sdk()
        .detect_auth(&heshen_sdk::DetectAuth {
            rule_id: rule,
            id_card: Some(ID_CARD.into()),
            name: Some(NAME.into()),
            redirect_url: Some("https://app.example/back?x=1".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .biz_token;
    to_liveness(&server, &token).await;
    let left = client()
        .get(format!("{}/h5/{token}/leave", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(left.status(), StatusCode::OK);
    let page = left.text().await.unwrap();
    assert!(page.contains("data-testid=\"left-message\""));
    assert!(
        page.contains(&format!(
            "href=\"https://app.example/back?x=1&#38;token={token}\""
        )),
        "{page}"
    );
    let stored = heshen_service::flows::load(&server.state, &token, FlowKind::Detect)
        .await
        .unwrap()
        .unwrap();
    assert!(stored.flow.attempts.is_empty() && stored.flow.outcome.is_none());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_recording_is_judged_after_a_restart() {
    let server = Server::start_with(|s| s.vision = "off".into()).await;
    let rule = silent_rule(&server).await;
    let token = detect(&server, &rule).await;
    let record_url = to_liveness(&server, &token).await;
    let accepted = send_video(&record_url).await;
    assert_eq!(accepted.status(), StatusCode::ACCEPTED);

    // The node goes down before judging; it comes back with the vision engine.
    let server = server
        .restart_with(|s| {
            s.vision = "required".into();
            s.models_dir = Some(models_dir());
        })
        .await;
    let mut judged = None;
    for _ in 0..240 {
        let stored = heshen_service::flows::load(&server.state, &token, FlowKind::Detect)
            .await
            .unwrap()
            .unwrap();
        if let Some(attempt) = stored.flow.attempts.first() {
            judged = Some(attempt.clone());
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let attempt = judged.expect("the recording was judged after the restart");
    assert!(attempt
        .outcome
        .video
        .as_deref()
        .is_some_and(|v| v.starts_with("recording-1-")));
    assert_eq!(attempt.outcome.liveness_mode, 3);
    assert_eq!(
        server.state.store().jobs_of(&token).await.unwrap(),
        0,
        "the job is done"
    );
    server.stop().await;
}

async fn judged_code(server: &Server, token: &str) -> i64 {
    for _ in 0..240 {
        let stored = heshen_service::flows::load(&server.state, token, FlowKind::Detect)
            .await
            .unwrap()
            .unwrap();
        if let Some(attempt) = stored.flow.attempts.first() {
            return attempt.err_code();
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("the recording of {token} was never judged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_sent_again_is_a_replay() {
    let server = Server::start_with(|s| {
        s.vision = "required".into();
        s.models_dir = Some(models_dir());
    })
    .await;
    let rule = silent_rule(&server).await;
    let mut codes = Vec::new();
    let mut tokens = Vec::new();
    for _ in 0..2 {
        let token = detect(&server, &rule).await;
        let record_url = to_liveness(&server, &token).await;
        let accepted = send_video(&record_url).await;
        assert_eq!(accepted.status(), StatusCode::ACCEPTED);
        codes.push(judged_code(&server, &token).await);
        tokens.push(token);
    }
    assert_eq!(codes[0], 0, "the first sending is a live person");
    assert_eq!(
        codes[1], 1002,
        "the same recording in another flow is a replay"
    );
    // The attempt keeps what the decision measured, for the console's record page.
    let judged = heshen_service::flows::load(&server.state, &tokens[0], FlowKind::Detect)
        .await
        .unwrap()
        .unwrap();
    let checks = &judged.flow.attempts[0].outcome.checks;
    let names: Vec<&str> = checks.iter().map(|c| c.name.as_str()).collect();
    assert!(
        names.contains(&"duration_s") && names.contains(&"nonplanar_motion"),
        "{names:?}"
    );
    assert!(checks.iter().all(|c| c.passed), "{checks:?}");
    let planar = checks
        .iter()
        .find(|c| c.name == "nonplanar_motion")
        .unwrap();
    assert!(planar.value >= planar.bound.unwrap());
    let replayed = heshen_service::flows::load(&server.state, &tokens[1], FlowKind::Detect)
        .await
        .unwrap()
        .unwrap();
    assert!(
        replayed.flow.attempts[0].outcome.checks.is_empty(),
        "a replay is refused before any measure"
    );
    server.stop().await;
}

#[tokio::test]
async fn the_check_file_wechat_asks_of_a_business_domain_is_served_at_the_root() {
    let server = Server::start_with(|s| {
        s.wechat_check_files
            .insert("MP_verify_Ab12Cd34.txt".into(), "Ab12Cd34Ef56".into());
    })
    .await;
    let served = client()
        .get(format!("{}/MP_verify_Ab12Cd34.txt", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), StatusCode::OK);
    assert!(served.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    assert_eq!(served.text().await.unwrap(), "Ab12Cd34Ef56");
    for other in ["/MP_verify_other.txt", "/master.key", "/openapi.json.txt"] {
        let missing = client()
            .get(format!("{}{other}", server.url))
            .send()
            .await
            .unwrap();
        assert_eq!(missing.status(), StatusCode::NOT_FOUND, "{other}");
    }
    let api = client()
        .get(format!("{}/openapi.json", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(
        api.status(),
        StatusCode::OK,
        "the API's own paths still win"
    );
    server.stop().await;
}

/// Sends part `index` of a recording.
async fn put_part(record_url: &str, index: &str, bytes: Vec<u8>) -> reqwest::Response {
    client()
        .put(format!("{record_url}/parts/{index}"))
        .header(CONTENT_TYPE, "video/mp4")
        .body(bytes)
        .send()
        .await
        .unwrap()
}

/// What the server says it holds of a recording's parts.
async fn held_parts(record_url: &str) -> serde_json::Value {
    client()
        .get(format!("{record_url}/parts"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn complete_parts(record_url: &str, parts: usize) -> reqwest::Response {
    client()
        .post(format!("{record_url}/parts"))
        .json(&serde_json::json!({ "parts": parts }))
        .send()
        .await
        .unwrap()
}

async fn error_code(response: reqwest::Response) -> (StatusCode, String) {
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap();
    (status, body["error"]["code"].as_str().unwrap().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_sent_in_parts_resumes_where_it_broke_off_and_is_judged_whole() {
    const PART: usize = 16 * 1024;
    let server = Server::start_with(|s| {
        s.vision = "required".into();
        s.models_dir = Some(models_dir());
        s.recording_part_bytes = PART;
        s.max_recording_bytes = 64 * PART as u64;
    })
    .await;
    let rule = silent_rule(&server).await;
    let token = detect(&server, &rule).await;
    let record_url = to_liveness(&server, &token).await;
    let video = video();
    let parts: Vec<Vec<u8>> = video.chunks(PART).map(<[u8]>::to_vec).collect();
    assert!(parts.len() >= 3, "{} parts", parts.len());

    // The connection breaks after the first part; the third went up on another try.
    for index in [0, 2] {
        let sent = put_part(&record_url, &index.to_string(), parts[index].clone()).await;
        assert_eq!(sent.status(), StatusCode::OK);
    }
    let held = held_parts(&record_url).await;
    assert_eq!(held["parts"], serde_json::json!([0, 2]));
    assert_eq!(held["partBytes"], PART);

    // Completing with parts missing is refused and records nothing.
    let early = complete_parts(&record_url, parts.len()).await;
    assert_eq!(
        error_code(early).await,
        (StatusCode::BAD_REQUEST, "InvalidParameter".into())
    );
    let stored = heshen_service::flows::load(&server.state, &token, FlowKind::Detect)
        .await
        .unwrap()
        .unwrap();
    assert!(stored.flow.pending_recording().is_none());

    // Bad parts: too big, beyond the largest recording, not a number, not a video, another
    // challenge, another site, a token nobody issued.
    let big = put_part(&record_url, "1", vec![0; PART + 1]).await;
    assert_eq!(
        error_code(big).await,
        (StatusCode::PAYLOAD_TOO_LARGE, "1107".into())
    );
    let beyond = put_part(&record_url, "64", parts[1].clone()).await;
    assert_eq!(
        error_code(beyond).await,
        (StatusCode::PAYLOAD_TOO_LARGE, "1107".into())
    );
    let unnumbered = put_part(&record_url, "one", parts[1].clone()).await;
    assert_eq!(
        error_code(unnumbered).await,
        (StatusCode::BAD_REQUEST, "InvalidParameter".into())
    );
    let text = client()
        .put(format!("{record_url}/parts/1"))
        .header(CONTENT_TYPE, "text/plain")
        .body(parts[1].clone())
        .send()
        .await
        .unwrap();
    assert_eq!(text.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (base, _) = record_url.rsplit_once('/').unwrap();
    let guessed = put_part(
        &format!("{base}/00112233445566778899aabbccddeeff"),
        "1",
        parts[1].clone(),
    )
    .await;
    assert_eq!(guessed.status(), StatusCode::CONFLICT);
    let foreign = client()
        .put(format!("{record_url}/parts/1"))
        .header(CONTENT_TYPE, "video/mp4")
        .header(ORIGIN, "https://evil.example")
        .body(parts[1].clone())
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), StatusCode::FORBIDDEN);
    let nobody = put_part(
        &format!(
            "{}/h5/00000000-0000-4000-8000-000000000000/liveness/00",
            server.url
        ),
        "1",
        parts[1].clone(),
    )
    .await;
    assert_eq!(nobody.status(), StatusCode::NOT_FOUND);
    let still = held_parts(&record_url).await;
    assert_eq!(
        still["parts"],
        serde_json::json!([0, 2]),
        "the refusals stored nothing"
    );

    // The rest, the third again as a resend would, then the whole is judged.
    for (index, part) in parts.iter().enumerate().skip(1) {
        let sent = put_part(&record_url, &index.to_string(), part.clone()).await;
        assert_eq!(sent.status(), StatusCode::OK, "part {index}");
    }
    let done = complete_parts(&record_url, parts.len()).await;
    assert_eq!(done.status(), StatusCode::ACCEPTED);
    assert_eq!(
        judged_code(&server, &token).await,
        0,
        "the joined recording passes"
    );
    let store = server.state.store();
    assert!(
        store.media_names(&token, "part-").await.unwrap().is_empty(),
        "parts erased"
    );
    let recordings = store.media_names(&token, "recording-").await.unwrap();
    assert_eq!(recordings.len(), 1, "{recordings:?}");
    let joined = store
        .get_media(&token, &recordings[0])
        .await
        .unwrap()
        .unwrap();
    assert!(
        joined == video,
        "the parts join into the recording as it was sent"
    );

    // The challenge has its recording: no more parts, no second completion.
    let late = put_part(&record_url, "0", parts[0].clone()).await;
    assert_eq!(late.status(), StatusCode::CONFLICT);
    let again = complete_parts(&record_url, parts.len()).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    server.stop().await;
}
