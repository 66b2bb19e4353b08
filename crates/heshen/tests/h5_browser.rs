//! The H5 flow in a real browser: Debian's chromium driven by playwright-core
//! (`tests/browser/h5_flow.mjs`), filmed by Chromium's fake camera playing a real face video,
//! against the real server with the vision engine. DetectAuth and GetDetectInfoEnhanced go
//! through the official Python SDK, as an integrator's backend would call them.
//! Screenshots of every page, in both languages, land in `target/screenshots/h5/`.

mod common;

use common::browser::{self, run_driver};
use common::people::{
    camera_feed, ffmpeg, server_with_people, testdata, FILMED_ID, FILMED_NAME, OTHER_ID, OTHER_NAME,
};
use common::Server;
use heshen_core::rule::{CompareSource, IdentitySource, LivenessKind, MerchantConfig, RuleConfig};
use heshen_service::admin::{self, Actor};
use heshen_service::crypto;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// Runs one walk through the pages with the H5 driver; returns its report.
async fn browse(plan: Value) -> Value {
    drive("h5_flow.mjs", plan).await
}

/// Runs a browser driver of `tests/browser` (off the runtime: it blocks on node).
async fn drive(script: &'static str, plan: Value) -> Value {
    tokio::task::spawn_blocking(move || run_driver(script, plan))
        .await
        .unwrap()
}

/// One action through the official Python SDK.
fn python_sdk(server: &Server, action: &str, fields: Value) -> Value {
    browser::python_sdk(
        &server.endpoint,
        &server.secret_id,
        &server.secret_key,
        action,
        fields,
    )
}

async fn rule(server: &Server, config: RuleConfig) -> String {
    heshen::bootstrap::create_rule(server.state.store(), common::APP, &config)
        .await
        .unwrap()
}

/// One "open your mouth" action, the face compared with the registry: what the filmed man does.
fn open_mouth_against_registry() -> RuleConfig {
    RuleConfig {
        liveness: LivenessKind::Action,
        actions: "1".into(),
        action_count: 1,
        compare_source: CompareSource::Authority,
        ..RuleConfig::default()
    }
}

/// The integrator's page that opens the flow in heshen's overlay (`/sdk/heshen.js`).
async fn overlay_page(
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> axum::response::Html<String> {
    axum::response::Html(format!(
        r#"<!doctype html><meta name="viewport" content="width=device-width">
<h1>integrator</h1><button data-testid="integrator-verify">Verify</button>
<pre data-testid="integrator-result"></pre>
<script src="{sdk}/sdk/heshen.js"></script>
<script>
document.querySelector('[data-testid="integrator-verify"]').onclick = () =>
  Heshen.open({flow:?}, {{ onResult: (r) => {{
    document.querySelector('[data-testid="integrator-result"]').textContent = JSON.stringify(r);
  }} }});
</script>"#,
        sdk = q["sdk"],
        flow = q["flow"],
    ))
}

/// The integrator's own site, where the flow sends the person back.
async fn integrator() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new()
        .route(
            "/done",
            axum::routing::get(|| async {
                axum::response::Html("<!doctype html><h1>integrator</h1>")
            }),
        )
        .route("/overlay", axum::routing::get(overlay_page));
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/done")
}

fn detect_auth(
    server: &Server,
    rule_id: &str,
    identity: Option<(&str, &str)>,
    redirect: &str,
) -> (String, String) {
    let mut fields = json!({"RuleId": rule_id, "RedirectUrl": redirect});
    if let Some((id, name)) = identity {
        fields["IdCard"] = json!(id);
        fields["Name"] = json!(name);
    }
    let auth = python_sdk(server, "DetectAuth", fields);
    (
        auth["Url"]
            .as_str()
            .unwrap_or_else(|| panic!("{auth}"))
            .to_string(),
        auth["BizToken"].as_str().unwrap().to_string(),
    )
}

const PHONE: (u32, u32, bool) = (390, 844, true);
const DESKTOP: (u32, u32, bool) = (1280, 860, false);

fn plan(
    name: &str,
    start: &str,
    feed: &Path,
    lang: &str,
    (w, h, mobile): (u32, u32, bool),
    redirect: &str,
) -> Value {
    json!({
        "name": name,
        "startUrl": start,
        "video": feed,
        "screenshots": browser::screenshots("h5"),
        "lang": lang,
        "viewport": {"width": w, "height": h, "mobile": mobile},
        "redirectPrefix": redirect.trim_end_matches("done"),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_face_verifies_end_to_end_and_a_different_person_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let server = server_with_people(dir.path()).await;
    let feed = camera_feed(&testdata("videos/carphone_pristine.mp4"), dir.path());
    let redirect = integrator().await;

    // The integrator names the person; the man in the car opens his mouth when asked.
    let named = rule(&server, open_mouth_against_registry()).await;
    let (url, token) = detect_auth(&server, &named, Some((FILMED_ID, FILMED_NAME)), &redirect);
    let mut walk = plan("zh-phone-pass", &url, &feed, "zh-CN", PHONE, &redirect);
    // The network drops the recording's second part the first time: the page asks which parts
    // arrived and sends only the one that did not.
    walk["dropPart"] = json!(1);
    let report = browse(walk).await;
    assert_eq!(report["code"], 0, "{report:#}");
    let puts = &report["partPuts"];
    assert!(
        puts.as_object().is_some_and(|p| p.len() >= 3),
        "a recording in several parts: {puts}"
    );
    assert_eq!(
        puts["0"], 1,
        "the part that arrived is not sent again: {puts}"
    );
    assert_eq!(puts["1"], 2, "the part cut off is sent again: {puts}");
    assert_eq!(puts["2"], 1, "{puts}");
    assert!(report["partLists"].as_u64() >= Some(1), "{report:#}");
    let final_url = report["finalUrl"].as_str().unwrap();
    assert_eq!(final_url, format!("{redirect}?token={token}"), "{report:#}");
    assert_eq!(report["thirdParty"], json!([]), "no third-party request");
    let labels: Vec<&str> = report["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["label"].as_str().unwrap())
        .collect();
    for page in [
        "consent",
        "privacy",
        "liveness",
        "result",
        "result-other-language",
    ] {
        assert!(labels.contains(&page), "{page} not seen: {labels:?}");
    }
    assert!(
        !labels.contains(&"identity"),
        "the identity came with DetectAuth"
    );

    // The integrator's backend reads the result through the official SDK: what happened.
    let result = python_sdk(
        &server,
        "GetDetectInfoEnhanced",
        json!({"BizToken": token, "RuleId": named, "InfoType": "0"}),
    );
    let text = &result["Text"];
    assert_eq!(text["ErrCode"], 0, "{text:#}");
    assert_eq!(text["LiveStatus"], 0);
    assert_eq!(text["Comparestatus"], 0);
    assert_eq!(text["LivenessMode"], 2);
    assert_eq!(text["LivenessActionSequence"], "1");
    assert_eq!(text["IdCard"], FILMED_ID);
    assert_eq!(text["CompareLibType"], "权威库");
    let sim: f64 = text["Sim"].as_str().unwrap().parse().unwrap();
    assert!(sim >= 70.0, "{sim}");
    assert_eq!(text["LivenessDetail"].as_array().unwrap().len(), 1);
    assert!(result["BestFrame"]["BestFrame"]
        .as_str()
        .is_some_and(|b| b.len() > 1000));
    assert!(result["VideoData"]["LivenessVideo"]
        .as_str()
        .is_some_and(|v| v.len() > 1000));

    // Opening the finished link again: its own page, with the code.
    let again = format!("{}/h5/start?token={token}", server.url);
    let feed = camera_feed(&testdata("videos/carphone_pristine.mp4"), dir.path());
    let walk = plan(
        "en-desktop-finished",
        &again,
        &feed,
        "en",
        DESKTOP,
        &redirect,
    );
    let report = browse(walk).await;
    assert_eq!(report["problemCode"], "14", "{report:#}");

    // The person types who they are; the registry holds someone else's face for that identity.
    let typed = rule(
        &server,
        RuleConfig {
            identity_source: IdentitySource::Manual,
            liveness: LivenessKind::Action,
            actions: "1".into(),
            action_count: 1,
            max_attempts: 1,
            compare_source: CompareSource::Authority,
            ..RuleConfig::default()
        },
    )
    .await;
    let (url, token) = detect_auth(&server, &typed, None, &redirect);
    let feed = camera_feed(&testdata("videos/carphone_pristine.mp4"), dir.path());
    let mut walk = plan(
        "en-desktop-other-person",
        &url,
        &feed,
        "en",
        DESKTOP,
        &redirect,
    );
    walk["identity"] = json!({
        "cardFront": testdata("idcards/idcard_mock.png"),
        "name": OTHER_NAME,
        "idCard": OTHER_ID,
    });
    walk["tamper"] = json!("reuse-challenge");
    let report = browse(walk).await;
    assert_eq!(report["code"], 2016, "low similarity: {report:#}");
    assert_eq!(
        report["frontStatus"], "read",
        "the mock card was read: {report:#}"
    );
    assert!(!report["ocrName"].as_str().unwrap_or("").is_empty());
    assert_eq!(report["canRetry"], false, "one attempt only");
    assert_eq!(
        report["reuseStatus"], 409,
        "a challenge takes one recording"
    );
    assert_eq!(
        report["finalUrl"].as_str().unwrap(),
        format!("{redirect}?token={token}")
    );
    let result = python_sdk(
        &server,
        "GetDetectInfoEnhanced",
        json!({"BizToken": token, "RuleId": typed, "InfoType": "1"}),
    );
    assert_eq!(result["Text"]["ErrCode"], 2016, "{result:#}");
    assert_eq!(result["Text"]["IdInfoFrom"], "手动输入");

    // A token nobody issued.
    let bogus = format!(
        "{}/h5/start?token=00000000-0000-4000-8000-000000000000",
        server.url
    );
    let feed = camera_feed(&testdata("videos/carphone_pristine.mp4"), dir.path());
    let walk = plan("zh-phone-unknown", &bogus, &feed, "zh-CN", PHONE, &redirect);
    let report = browse(walk).await;
    assert_eq!(
        report["problemCode"],
        "InvalidParameterValue.BizTokenIllegal"
    );
    server.stop().await;
}

/// A photo held up to the camera in a shaking hand: moved, turned and nearer or farther.
fn handheld_print(photo: &Path, work: &Path) -> PathBuf {
    let out = work.join("handheld-print.mp4");
    ffmpeg(&[
        "-loop",
        "1",
        "-i",
        photo.to_str().unwrap(),
        "-t",
        "4",
        "-r",
        "25",
        "-vf",
        "crop='min(iw,ih)':'min(iw,ih)':'(iw-min(iw,ih))/2':0,scale=480:480,\
         pad=720:720:(ow-iw)/2:(oh-ih)/2:color=0x506070,\
         rotate='0.10*sin(2*PI*t/1.7)':fillcolor=0x506070,\
         crop=560:560:80+25*sin(2*PI*t/2.3):80+18*cos(2*PI*t/1.9),format=yuv420p",
        out.to_str().unwrap(),
    ]);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_up_photo_and_an_empty_scene_fail_with_their_codes() {
    let dir = tempfile::tempdir().unwrap();
    let server = server_with_people(dir.path()).await;
    let redirect = integrator().await;
    let print = camera_feed(
        &handheld_print(&testdata("faces/obama.jpg"), dir.path()),
        dir.path(),
    );
    let cartoon = camera_feed(&testdata("videos/no_face.mp4"), dir.path());
    let once = |liveness: LivenessKind, actions: &str| RuleConfig {
        liveness,
        actions: actions.into(),
        action_count: 1,
        max_attempts: 1,
        compare_source: CompareSource::None,
        ..RuleConfig::default()
    };
    // The camera refused: the page says what to do, and nothing is recorded.
    let rule_id = rule(&server, once(LivenessKind::Silent, "1,2,3,4")).await;
    let (url, token) = detect_auth(&server, &rule_id, Some((FILMED_ID, FILMED_NAME)), &redirect);
    let mut walk = plan(
        "zh-phone-camera-refused",
        &url,
        &print,
        "zh-CN",
        PHONE,
        &redirect,
    );
    walk["denyCamera"] = json!(true);
    let report = browse(walk).await;
    assert!(
        report["cameraError"]
            .as_str()
            .is_some_and(|e| e.contains("摄像头")),
        "{report:#}"
    );
    let stored =
        heshen_service::flows::load(&server.state, &token, heshen_core::flow::FlowKind::Detect)
            .await
            .unwrap()
            .unwrap();
    assert!(stored.flow.attempts.is_empty() && stored.flow.pending_recording().is_none());

    let cases = [
        (
            "zh-phone-print-silent",
            once(LivenessKind::Silent, "1,2,3,4"),
            &print,
            1301,
        ),
        (
            "en-phone-print-action",
            once(LivenessKind::Action, "1"),
            &print,
            1209,
        ),
        (
            "en-phone-print-flash",
            once(LivenessKind::Flash, "1,2,3,4"),
            &print,
            1401,
        ),
        (
            "zh-desktop-no-face",
            once(LivenessKind::Silent, "1,2,3,4"),
            &cartoon,
            1004,
        ),
    ];
    for (name, config, feed, expected) in cases {
        let rule_id = rule(&server, config).await;
        let (url, token) =
            detect_auth(&server, &rule_id, Some((FILMED_ID, FILMED_NAME)), &redirect);
        let lang = if name.starts_with("en") {
            "en"
        } else {
            "zh-CN"
        };
        let viewport = if name.contains("desktop") {
            DESKTOP
        } else {
            PHONE
        };
        let walk = plan(name, &url, feed, lang, viewport, &redirect);
        let report = browse(walk).await;
        assert_eq!(report["code"], expected, "{name}: {report:#}");
        let result = python_sdk(
            &server,
            "GetDetectInfoEnhanced",
            json!({"BizToken": token, "RuleId": rule_id, "InfoType": "1"}),
        );
        assert_eq!(result["Text"]["ErrCode"], expected, "{name}: {result:#}");
        assert_eq!(result["Text"]["LiveStatus"], expected);
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_flash_check_warns_first_and_lets_the_person_leave() {
    let dir = tempfile::tempdir().unwrap();
    let server = server_with_people(dir.path()).await;
    let redirect = integrator().await;
    let feed = camera_feed(&testdata("videos/carphone_pristine.mp4"), dir.path());
    let rule_id = rule(
        &server,
        RuleConfig {
            liveness: LivenessKind::Flash,
            compare_source: CompareSource::None,
            ..RuleConfig::default()
        },
    )
    .await;
    let (url, token) = detect_auth(&server, &rule_id, Some((FILMED_ID, FILMED_NAME)), &redirect);
    let mut walk = plan(
        "zh-phone-flash-leave",
        &url,
        &feed,
        "zh-CN",
        PHONE,
        &redirect,
    );
    walk["leaveFlash"] = json!(true);
    let report = browse(walk).await;
    assert!(
        report["flashNotice"]
            .as_str()
            .is_some_and(|n| n.contains("光敏")),
        "{report:#}"
    );
    assert!(report["left"].as_str().is_some_and(|l| !l.is_empty()));
    assert_eq!(
        report["finalUrl"].as_str().unwrap(),
        format!("{redirect}?token={token}")
    );
    let result = python_sdk(
        &server,
        "GetDetectInfoEnhanced",
        json!({"BizToken": token, "RuleId": rule_id, "InfoType": "1"}),
    );
    assert_ne!(result["Text"]["ErrCode"], 0, "not verified: {result:#}");
    assert!(result["Text"]["LivenessDetail"]
        .as_array()
        .is_none_or(|d| d.is_empty()));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_overlay_tells_the_integrators_page_how_the_flow_ended() {
    let dir = tempfile::tempdir().unwrap();
    let server = server_with_people(dir.path()).await;
    let redirect = integrator().await;
    let feed = camera_feed(&testdata("videos/carphone_pristine.mp4"), dir.path());
    let rule_id = rule(&server, open_mouth_against_registry()).await;
    let (url, token) = detect_auth(&server, &rule_id, Some((FILMED_ID, FILMED_NAME)), &redirect);
    let page = url::Url::parse_with_params(
        &redirect.replace("/done", "/overlay"),
        [("sdk", server.url.as_str()), ("flow", url.as_str())],
    )
    .unwrap();
    let plan = json!({
        "name": "zh-phone-overlay",
        "integratorUrl": page.as_str(),
        "video": feed,
        "screenshots": browser::screenshots("h5"),
        "lang": "zh-CN",
    });
    let report = drive("overlay_flow.mjs", plan).await;
    assert_eq!(report["code"], 0, "{report:#}");
    assert_eq!(
        report["told"],
        json!({"token": token, "code": 0, "passed": true})
    );
    assert_eq!(report["overlayGone"], true);
    server.stop().await;
}

/// What WeChat's web-view in a mini-program says it is (Android, base library 3.x).
const WECHAT_WEB_VIEW: &str = "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160027 MMWEBSDK/20231202 MMWEBID/2247 MicroMessenger/8.0.47.2560(0x28002F30) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64 miniProgram/wx0000000000000000";

/// The eID flow behind GetEidToken's Url, in the browser, for two merchants: the merchant
/// learns a pseudonym of the person that is its own, and the identity only its key opens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_eid_flow_verifies_and_its_eid_code_is_the_merchants_own() {
    let dir = tempfile::tempdir().unwrap();
    let server = server_with_people(dir.path()).await;
    let redirect = integrator().await;
    let store = server.state.store();
    let silent = MerchantConfig {
        liveness: LivenessKind::Silent,
        ..MerchantConfig::default()
    };
    let shop = admin::create_merchant(store, Actor::CLI, common::APP, "Shop", &silent)
        .await
        .unwrap();
    let bank = admin::create_merchant(store, Actor::CLI, common::APP, "Bank", &silent)
        .await
        .unwrap();
    let feed = camera_feed(&testdata("videos/carphone_pristine.mp4"), dir.path());
    let mut infos = Vec::new();
    for (walk, merchant, lang, viewport) in [
        ("eid-zh-phone", &shop, "zh-CN", PHONE),
        ("eid-en-desktop", &shop, "en", DESKTOP),
        ("eid-en-phone-other-merchant", &bank, "en", PHONE),
    ] {
        let issued = python_sdk(
            &server,
            "GetEidToken",
            json!({"MerchantId": merchant, "IdCard": FILMED_ID, "Name": FILMED_NAME,
                   "RedirectUrl": redirect, "Config": {"InputType": "4"}}),
        );
        let url = issued["Url"].as_str().unwrap_or_else(|| panic!("{issued}"));
        let token = issued["EidToken"].as_str().unwrap().to_string();
        assert!(url.contains("/eid/start?token="), "{url}");
        let mut walk = plan(walk, url, &feed, lang, viewport, &redirect);
        let reload = merchant == &shop;
        if reload {
            // The person reloads the page while the recording's second part is on its way.
            walk["reloadAtPart"] = json!(1);
        }
        let report = browse(walk).await;
        assert_eq!(report["code"], 0, "{report:#}");
        if reload {
            let puts = &report["partPuts"];
            assert_eq!(report["reloaded"], true, "{report:#}");
            let resuming = if lang == "en" {
                "Resuming the upload of your recording"
            } else {
                "正在继续上传刚才录制的视频"
            };
            assert_eq!(
                report["resumeSeen"], resuming,
                "the reloaded page takes up the recording it kept: {report:#}"
            );
            assert_eq!(puts["0"], 1, "what arrived is not sent again: {puts}");
            assert_eq!(puts["1"], 2, "the part the reload cut off: {puts}");
        }
        assert_eq!(
            report["finalUrl"].as_str().unwrap(),
            format!("{redirect}?token={token}")
        );
        let status = python_sdk(&server, "CheckEidTokenStatus", json!({"EidToken": token}));
        assert_eq!(status["Status"], "finished", "{status}");
        let result = python_sdk(&server, "GetEidResult", json!({"EidToken": token}));
        assert_eq!(result["Text"]["ErrCode"], 0, "{result:#}");
        infos.push((merchant.clone(), result["EidInfo"].clone()));
    }
    // In WeChat's mini-program web-view (known by its User-Agent) the flow ends on the page
    // the verification mini-program returns at, not at the RedirectUrl.
    let issued = python_sdk(
        &server,
        "GetEidToken",
        json!({"MerchantId": shop, "IdCard": FILMED_ID, "Name": FILMED_NAME,
               "RedirectUrl": redirect, "Config": {"InputType": "4"}}),
    );
    let token = issued["EidToken"].as_str().unwrap();
    let mut walk = plan(
        "eid-zh-phone-mini-program",
        issued["Url"].as_str().unwrap(),
        &feed,
        "zh-CN",
        PHONE,
        &redirect,
    );
    walk["userAgent"] = json!(WECHAT_WEB_VIEW);
    let report = browse(walk).await;
    assert_eq!(report["code"], 0, "{report:#}");
    assert_eq!(
        report["finalUrl"].as_str().unwrap(),
        format!("{}/mp/v1/return?token={token}&verifyDone=1", server.url)
    );
    assert_eq!(report["mpReturnDone"], "1");

    let code = |i: usize| infos[i].1["EidCode"].as_str().unwrap().to_string();
    assert_eq!(code(0), code(1), "the same person at the same merchant");
    assert_ne!(code(0), code(2), "another merchant sees another code");
    assert!(!code(0).contains(FILMED_ID));

    let keys = server.state.keys();
    for (merchant, info) in &infos {
        let own = keys.merchant_key(merchant);
        let session: [u8; 32] = crypto::open_gcm(&own, info["DesKey"].as_str().unwrap())
            .expect("the merchant's key opens its DesKey")
            .try_into()
            .unwrap();
        let user: Value = serde_json::from_slice(
            &crypto::open_gcm(&session, info["UserInfo"].as_str().unwrap()).unwrap(),
        )
        .unwrap();
        assert_eq!(user["idnum"], FILMED_ID);
        assert_eq!(user["name"], FILMED_NAME);
        let other = if merchant == &shop { &bank } else { &shop };
        assert!(
            crypto::open_gcm(&keys.merchant_key(other), info["DesKey"].as_str().unwrap()).is_none(),
            "another merchant's key opens nothing"
        );
    }
    server.stop().await;
}
