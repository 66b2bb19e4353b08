//! The vision actions over HTTP on real photos and videos (shared/testdata), with the
//! authority registry filled through `heshen registry import`.

use base64::Engine as _;
use heshen::app::Application;
use heshen::settings::Settings;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

const OBAMA_ID: &str = "110105196108040013";

fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/testdata")
        .join(rel)
}

fn models_dir() -> PathBuf {
    std::env::var_os("HESHEN_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/models"))
}

fn b64(path: &Path) -> String {
    base64::engine::general_purpose::STANDARD.encode(std::fs::read(path).unwrap())
}

/// One frame of a video as a JPEG, to serve as "the uploaded photo" of the person filmed.
fn frame_of(video: &Path, dir: &Path) -> PathBuf {
    let out = dir.join(format!(
        "{}.jpg",
        video.file_stem().unwrap().to_string_lossy()
    ));
    let status = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y", "-ss", "1", "-i"])
        .arg(video)
        .args(["-frames:v", "1"])
        .arg(&out)
        .status()
        .expect("ffmpeg must be installed (scripts/setup_vision_deps.sh)");
    assert!(status.success());
    out
}

struct Running {
    client: heshen_sdk::Client,
    state: heshen_service::AppState,
    _dir: tempfile::TempDir,
    work: PathBuf,
    shutdown: tokio::sync::oneshot::Sender<()>,
}

async fn start() -> Running {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let work = dir.path().join("work");
    std::fs::create_dir_all(&work).unwrap();

    let csv = work.join("people.csv");
    std::fs::write(
        &csv,
        format!(
            "name,id_number,photo_path\n奥巴马,{OBAMA_ID},{}\n坏行,12345,nowhere.jpg\n无脸,110105199001010010,{}\n",
            testdata("faces/obama.jpg").display(),
            testdata("idcards/idcard_mock.png").display(),
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_heshen"))
        .arg("--data-dir")
        .arg(&data)
        .env("HESHEN_MODELS_DIR", models_dir())
        .env_remove("DATABASE_URL")
        .args(["registry", "import"])
        .arg(&csv)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["Added"], 1, "{report}");
    assert_eq!(
        report["Failed"].as_array().unwrap().len(),
        2,
        "bad ID and faceless photo are reported: {report}"
    );

    let settings = Settings {
        listen: "127.0.0.1:0".into(),
        models_dir: Some(models_dir()),
        vision: "required".into(),
        rate_limit_default: 0,
        ..Settings::default()
    };
    let app = Application::build(&settings, data)
        .await
        .expect("server with vision");
    app.state
        .store()
        .ensure_app("default", "default")
        .await
        .unwrap();
    let key = app
        .state
        .store()
        .create_api_key("default", "vision-tests")
        .await
        .unwrap();
    let url = format!("http://{}", app.addr);
    let state = app.state.clone();
    let (shutdown, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(app.run_until(async {
        let _ = rx.await;
    }));
    Running {
        client: heshen_sdk::Client::new(&url, &key.secret_id, &key.secret_key),
        state,
        _dir: dir,
        work,
        shutdown,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photos_and_videos_against_the_registry_and_uploaded_photos() {
    let r = start().await;
    let c = &r.client;

    // Two-factor checks against the registry.
    let check = |id: &str, name: &str| json!({"IdCard": id, "Name": name});
    assert_eq!(
        c.call("IdCardVerification", &check(OBAMA_ID, "奥巴马"))
            .await
            .unwrap()["Result"],
        "0"
    );
    assert_eq!(
        c.call("IdCardVerification", &check(OBAMA_ID, "拜登"))
            .await
            .unwrap()["Result"],
        "-1"
    );
    assert_eq!(
        c.call("IdCardVerification", &check("11010519491231002X", "张三"))
            .await
            .unwrap()["Result"],
        "-5"
    );
    assert_eq!(
        c.call("IdCardVerification", &check("110105194912310021", "张三"))
            .await
            .unwrap()["Result"],
        "-2"
    );

    // Photo vs authority photo.
    let recognise = |photo: &str, id: &str, name: &str| json!({"IdCard": id, "Name": name, "ImageBase64": b64(&testdata(photo)), "Extra": "t1"});
    let same = c
        .call(
            "ImageRecognitionV2",
            &recognise("faces/obama2.jpg", OBAMA_ID, "奥巴马"),
        )
        .await
        .unwrap();
    assert_eq!(same["Result"], "Success", "{same}");
    assert!(same["Sim"].as_f64().unwrap() >= 70.0);
    assert_eq!(same["Extra"], "t1");
    let other = c
        .call(
            "ImageRecognitionV2",
            &recognise("faces/biden.jpg", OBAMA_ID, "奥巴马"),
        )
        .await
        .unwrap();
    assert_eq!(
        other["Result"], "FailedOperation.CompareLowSimilarity",
        "{other}"
    );
    assert!(other["Sim"].as_f64().unwrap() < 70.0);
    let unknown = c
        .call(
            "ImageRecognitionV2",
            &recognise("faces/obama2.jpg", "11010519491231002X", "张三"),
        )
        .await
        .unwrap();
    assert_eq!(unknown["Result"], "FailedOperation.IdNoExistSystem");
    let wrong_name = c
        .call(
            "ImageRecognitionV2",
            &recognise("faces/obama2.jpg", OBAMA_ID, "拜登"),
        )
        .await
        .unwrap();
    assert_eq!(wrong_name["Result"], "FailedOperation.IdNameMisMatch");
    let no_face = c
        .call(
            "ImageRecognitionV2",
            &recognise("idcards/idcard_mock.png", OBAMA_ID, "奥巴马"),
        )
        .await;
    // The card's small portrait may or may not be found; either way it is not Obama.
    assert_ne!(no_face.unwrap()["Result"], "Success");
    let junk = c
        .call(
            "ImageRecognitionV2",
            &json!({"IdCard": OBAMA_ID, "Name": "奥巴马", "ImageBase64": "aGVsbG8="}),
        )
        .await
        .unwrap_err();
    assert_eq!(junk.code(), Some("InvalidParameterValue"));

    // Video liveness + comparison with an uploaded photo.
    let talking = testdata("videos/carphone_pristine.mp4");
    let talking_photo = frame_of(&talking, &r.work);
    let single = testdata("videos/single_face.mp4");
    let single_photo = frame_of(&single, &r.work);
    let compare = |video: &Path, photo: &Path, kind: &str, data: &str| {
        json!({"LivenessType": kind, "ValidateData": data, "VideoBase64": b64(video), "ImageBase64": b64(photo),
               "Optional": "{\"BestFrameNum\":2}"})
    };
    let passed = c
        .call(
            "LivenessCompare",
            &compare(&talking, &talking_photo, "ACTION", "1"),
        )
        .await
        .unwrap();
    assert_eq!(passed["Result"], "Success", "{passed}");
    assert!(passed["Sim"].as_f64().unwrap() >= 70.0);
    let best = base64::engine::general_purpose::STANDARD
        .decode(passed["BestFrameBase64"].as_str().unwrap())
        .unwrap();
    assert_eq!(&best[..2], b"\xff\xd8", "the best frame is a JPEG");
    assert_eq!(passed["BestFrameList"].as_array().unwrap().len(), 2);

    let blink = c
        .call(
            "LivenessCompare",
            &compare(&talking, &talking_photo, "ACTION", "2"),
        )
        .await
        .unwrap();
    assert_eq!(blink["Result"], "FailedOperation.ActionCloseEye", "{blink}");

    let silent = c
        .call(
            "LivenessCompare",
            &compare(&single, &single_photo, "SILENT", ""),
        )
        .await
        .unwrap();
    assert_eq!(silent["Result"], "Success", "{silent}");
    let wrong_person = c
        .call(
            "LivenessCompare",
            &compare(&single, &testdata("faces/obama.jpg"), "SILENT", ""),
        )
        .await
        .unwrap();
    assert_eq!(
        wrong_person["Result"], "FailedOperation.CompareLowSimilarity",
        "{wrong_person}"
    );
    let cartoon = c
        .call(
            "LivenessCompare",
            &compare(&testdata("videos/no_face.mp4"), &single_photo, "SILENT", ""),
        )
        .await
        .unwrap();
    assert_eq!(
        cartoon["Result"], "FailedOperation.SilentFaceDetectFail",
        "{cartoon}"
    );
    assert_eq!(cartoon["BestFrameBase64"], Value::Null);
    let mute = c
        .call(
            "LivenessCompare",
            &compare(&talking, &talking_photo, "LIP", "1234"),
        )
        .await
        .unwrap();
    assert_eq!(mute["Result"], "FailedOperation.LipVoiceDetect", "{mute}");
    let not_video = c
        .call("LivenessCompare", &json!({"LivenessType": "SILENT", "VideoBase64": "aGVsbG8=", "ImageBase64": b64(&single_photo)}))
        .await
        .unwrap();
    assert_eq!(
        not_video["Result"], "FailedOperation.VideoDecodeFailed",
        "{not_video}"
    );
    let bad_type = c
        .call("LivenessCompare", &json!({"LivenessType": "DANCE", "VideoBase64": "aGVsbG8=", "ImageBase64": b64(&single_photo)}))
        .await
        .unwrap_err();
    assert_eq!(bad_type.code(), Some("InvalidParameterValue"));

    // Video liveness against the registry.
    let registry = c
        .call(
            "LivenessRecognition",
            &json!({"IdCard": OBAMA_ID, "Name": "奥巴马", "LivenessType": "SILENT", "VideoBase64": b64(&single)}),
        )
        .await
        .unwrap();
    assert_eq!(
        registry["Result"], "FailedOperation.CompareLowSimilarity",
        "the man filmed is not Obama: {registry}"
    );

    // A stored embedding the engine cannot read (another model's size, corrupt bytes) refuses
    // the comparison: before, LivenessRecognition answered Success on liveness alone and
    // ImageRecognitionV2 panicked.
    let broken_id = "11010519491231002X";
    r.state
        .store()
        .upsert_identity(&heshen_store::RegistryIdentity {
            id_card: broken_id.into(),
            name: "韦小宝".into(),
            photo: Some(std::fs::read(&single_photo).unwrap()),
            embedding: Some(vec![7; 12]),
            source: "tests".into(),
        })
        .await
        .unwrap();
    let refused = c
        .call(
            "LivenessRecognition",
            &json!({"IdCard": broken_id, "Name": "韦小宝", "LivenessType": "SILENT", "VideoBase64": b64(&single)}),
        )
        .await
        .unwrap();
    assert_eq!(
        refused["Result"], "FailedOperation.IdPhotoSystemNoanswer",
        "fails closed: {refused}"
    );
    let refused = c
        .call(
            "ImageRecognitionV2",
            &json!({"IdCard": broken_id, "Name": "韦小宝", "ImageBase64": b64(&single_photo)}),
        )
        .await
        .unwrap();
    assert_eq!(
        refused["Result"], "FailedOperation.IdPhotoSystemNoanswer",
        "fails closed: {refused}"
    );

    // ID-card OCR against the registry.
    let card = testdata("idcards/idcard_mock.png");
    let info = c
        .call(
            "CheckIdCardInformation",
            &json!({"ImageBase64": b64(&card), "Config": "{\"Quality\":true}"}),
        )
        .await
        .unwrap();
    assert_eq!(info["IdNum"], "410502201503081234", "{info}");
    assert_eq!(info["Name"], "二哈");
    assert_eq!(info["Birth"], "2015/3/8");
    assert_eq!(info["Address"], "河南省安阳市文峰区");
    assert_eq!(
        info["Result"], "FailedOperation.IdNoExistSystem",
        "not in the registry: {info}"
    );
    assert!(info["Quality"].as_f64().unwrap() > 50.0);
    assert!(
        !info["Portrait"].as_str().unwrap().is_empty(),
        "the portrait is cut out"
    );

    let grey = r.work.join("grey.png");
    let status = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y", "-i"])
        .arg(&card)
        .args(["-vf", "format=gray"])
        .arg(&grey)
        .status()
        .unwrap();
    assert!(status.success());
    let copy = c
        .call(
            "CheckIdCardInformation",
            &json!({"ImageBase64": b64(&grey), "Config": "{\"CopyWarn\":true}"}),
        )
        .await
        .unwrap();
    assert_eq!(
        copy["Result"], "FailedOperation.OcrWarningOccurred",
        "{copy}"
    );
    assert!(copy["Warnings"].as_str().unwrap().contains("-9102"));
    let unswitched = c
        .call(
            "CheckIdCardInformation",
            &json!({"ImageBase64": b64(&grey)}),
        )
        .await
        .unwrap();
    assert_eq!(
        unswitched["Warnings"], "",
        "warnings are reported only when switched on"
    );
    let not_card = c
        .call(
            "CheckIdCardInformation",
            &json!({"ImageBase64": b64(&testdata("faces/biden.jpg"))}),
        )
        .await
        .unwrap();
    assert_eq!(
        not_card["Result"], "FailedOperation.ImageNoIdCard",
        "{not_card}"
    );
    let bad_config = c
        .call(
            "CheckIdCardInformation",
            &json!({"ImageBase64": b64(&card), "Config": "{\"Colour\":true}"}),
        )
        .await
        .unwrap_err();
    assert_eq!(bad_config.code(), Some("InvalidParameterValue"));

    let from_card = c
        .call("IdCardOCRVerification", &json!({"ImageBase64": b64(&card)}))
        .await
        .unwrap();
    assert_eq!(from_card["Result"], "-5", "{from_card}");
    assert_eq!(from_card["IdCard"], "410502201503081234");
    assert_eq!(from_card["Sex"], "男");
    let from_fields = c
        .call(
            "IdCardOCRVerification",
            &json!({"IdCard": OBAMA_ID, "Name": "奥巴马", "ImageBase64": b64(&card)}),
        )
        .await
        .unwrap();
    assert_eq!(
        from_fields["Result"], "0",
        "Name + IdCard win over the image: {from_fields}"
    );

    let _ = r.shutdown.send(());
}
