//! The actions that are pure vision: photo vs authority photo (ImageRecognitionV2 and the
//! retired ImageRecognition) and video liveness with or without comparison
//! (LivenessCompare, LivenessRecognition, the retired Liveness).
//!
//! Business failures (no face, low similarity, liveness not passed, unreadable media) are
//! answered in `Result` as FaceID does; only malformed requests and engine faults become
//! `Response.Error`.

use super::fields;
use super::identity::{check_pair, TwoFactorResult};
use crate::authority::AuthorityAnswer;
use crate::params::Params;
use crate::state::AppState;
use crate::vision::Vision;
use base64::Engine as _;
use heshen_core::{ApiError, ErrorCode};
use heshen_vision::image_input::encode_jpeg;
use heshen_vision::liveness::{decide, ActionThresholds, Challenge, LivenessAction};
use heshen_vision::video::{decode_video_bytes, VideoOptions};
use heshen_vision::{Embedding, VisionError};
use serde_json::{json, Value};
use std::time::Duration;

const MAX_VIDEO_BASE64: usize = 8 * 1024 * 1024;
const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(4);

pub(super) fn engine_for(state: &AppState, action: &str) -> Result<Vision, ApiError> {
    state.vision().cloned().ok_or_else(|| {
        ApiError::new(
            ErrorCode::UnsupportedOperation,
            format!("{action} needs the vision engine, which this node was started without; run `heshen models fetch` and restart."),
        )
    })
}

/// A business outcome: `Result` / `Description` (and `Sim` where the action has one).
struct Outcome {
    result: String,
    description: String,
    sim: f64,
    best_frames: Vec<Vec<u8>>,
}

impl Outcome {
    fn failed(code: &str, description: impl Into<String>) -> Self {
        Self {
            result: code.to_string(),
            description: description.into(),
            sim: 0.0,
            best_frames: Vec::new(),
        }
    }
}

fn round2(x: f32) -> f64 {
    (f64::from(x) * 100.0).round() / 100.0
}

/// Engine faults are the deployment's problem: an error, logged. Everything else is the
/// caller's input and becomes a `Result`.
fn from_vision_error(err: VisionError) -> Result<Outcome, ApiError> {
    if err.is_engine_fault() {
        tracing::error!(%err, "vision engine fault");
        return Err(ApiError::internal(
            "The vision engine failed; please retry.",
        ));
    }
    Ok(Outcome::failed(err.faceid_code(), err.to_string()))
}

/// Downloads a caller-given media URL with FaceID's limits; the error says why in words.
pub(super) async fn download_bytes(url: &str, max_bytes: usize) -> Result<Vec<u8>, String> {
    download(url, max_bytes, "the URL")
        .await
        .map_err(|o| o.description)
}

async fn download(url: &str, max_bytes: usize, field: &str) -> Result<Vec<u8>, Outcome> {
    if !heshen_core::rule::is_http_url(url) {
        return Err(Outcome::failed(
            "FailedOperation.DownLoadError",
            format!("{field} is not an http(s) URL"),
        ));
    }
    let client = reqwest::Client::builder()
        .timeout(DOWNLOAD_TIMEOUT)
        .build()
        .map_err(|e| Outcome::failed("FailedOperation.DownLoadError", e.to_string()))?;
    let mut response = client.get(url).send().await.map_err(|e| {
        if e.is_timeout() {
            Outcome::failed(
                "FailedOperation.DownLoadTimeoutError",
                "the download timed out",
            )
        } else {
            Outcome::failed("FailedOperation.DownLoadError", e.to_string())
        }
    })?;
    if !response.status().is_success() {
        return Err(Outcome::failed(
            "FailedOperation.DownLoadError",
            format!("HTTP {}", response.status()),
        ));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| Outcome::failed("FailedOperation.DownLoadError", e.to_string()))?
    {
        body.extend_from_slice(&chunk);
        if body.len() > max_bytes {
            return Err(Outcome::failed(
                "FailedOperation.ImageSizeTooLarge",
                format!("{field} is larger than allowed"),
            ));
        }
    }
    Ok(body)
}

/// The photo of ImageBase64 (which wins) or ImageUrl.
async fn photo_input(
    params: &Params,
    required: bool,
) -> Result<Result<Option<Vec<u8>>, Outcome>, ApiError> {
    if let Some(photo) = fields::image_base64(params, "ImageBase64", fields::MAX_IMAGE_BASE64)? {
        return Ok(Ok(Some(photo.bytes)));
    }
    match params.opt_bounded("ImageUrl", 2048)? {
        Some(url) => Ok(download(&url, fields::MAX_IMAGE_BASE64, "ImageUrl")
            .await
            .map(Some)),
        None if required => Err(ApiError::missing("ImageBase64")),
        None => Ok(Ok(None)),
    }
}

async fn video_input(params: &Params) -> Result<Result<Vec<u8>, Outcome>, ApiError> {
    if let Some(encoded) = params.opt_string("VideoBase64")? {
        if encoded.len() > MAX_VIDEO_BASE64 {
            return Err(ApiError::invalid(
                "VideoBase64",
                "the encoded video is larger than 8 MB",
            ));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .map_err(|e| {
                ApiError::invalid("VideoBase64", format!("it is not standard base64 ({e})"))
            })?;
        return Ok(Ok(bytes));
    }
    match params.opt_bounded("VideoUrl", 2048)? {
        Some(url) => Ok(download(&url, MAX_VIDEO_BASE64, "VideoUrl").await),
        None => Err(ApiError::missing("VideoBase64")),
    }
}

fn authority_failure(result: TwoFactorResult, answer: &Option<AuthorityAnswer>) -> Option<Outcome> {
    Some(match (result, answer) {
        (TwoFactorResult::InvalidIdCard, _) => {
            Outcome::failed("FailedOperation.IdFormatError", "身份证号格式有误")
        }
        (TwoFactorResult::InvalidName, _) => {
            Outcome::failed("FailedOperation.NameFormatError", "姓名格式有误")
        }
        (TwoFactorResult::Mismatch, _) => {
            Outcome::failed("FailedOperation.IdNameMisMatch", "姓名和身份证号不一致")
        }
        (TwoFactorResult::NotFound, _) => {
            Outcome::failed("FailedOperation.IdNoExistSystem", "库中无此身份证号")
        }
        (TwoFactorResult::SourceError, _) => Outcome::failed(
            "FailedOperation.IdPhotoSystemNoanswer",
            "认证中心返照失败，请稍后再试",
        ),
        (
            TwoFactorResult::Match,
            Some(AuthorityAnswer::Match {
                photo: None,
                embedding: None,
            }),
        ) => Outcome::failed("FailedOperation.IdPhotoNoExist", "库中无此用户照片"),
        _ => return None,
    })
}

/// What a live face is compared with.
enum Reference {
    Photo(Vec<u8>),
    Embedding(Embedding),
}

fn reference_from(answer: Option<AuthorityAnswer>) -> Option<Reference> {
    match answer {
        Some(AuthorityAnswer::Match {
            embedding: Some(e), ..
        }) => Embedding::from_bytes(&e).map(Reference::Embedding),
        Some(AuthorityAnswer::Match { photo: Some(p), .. }) => Some(Reference::Photo(p)),
        _ => None,
    }
}

fn similarity(
    engine: &heshen_vision::Engine,
    face: &image::RgbImage,
    reference: &Reference,
) -> Result<f32, VisionError> {
    match reference {
        Reference::Embedding(e) => engine.compare_with_embedding(face, e).map(|(sim, _)| sim),
        Reference::Photo(bytes) => {
            let photo = engine.decode(bytes)?;
            engine.compare(face, &photo).map(|c| c.sim)
        }
    }
}

fn compared(sim: f32) -> Outcome {
    if sim >= heshen_vision::PASS_SIM {
        Outcome {
            result: "Success".into(),
            description: "成功".into(),
            sim: round2(sim),
            best_frames: Vec::new(),
        }
    } else {
        Outcome {
            result: "FailedOperation.CompareLowSimilarity".into(),
            description: "比对相似度未达到通过标准".into(),
            sim: round2(sim),
            best_frames: Vec::new(),
        }
    }
}

pub async fn image_recognition(
    state: &AppState,
    params: &Params,
    v2: bool,
) -> Result<Value, ApiError> {
    let action = if v2 {
        "ImageRecognitionV2"
    } else {
        "ImageRecognition"
    };
    let mut known = vec!["IdCard", "Name", "ImageBase64", "Optional", "Encryption"];
    if v2 {
        known.push("Extra");
    }
    params.allow_only(&known)?;
    let id_card = params.req_string("IdCard")?;
    let name = params.req_string("Name")?;
    let photo = fields::image_base64(params, "ImageBase64", fields::MAX_IMAGE_BASE64)?
        .ok_or_else(|| ApiError::missing("ImageBase64"))?;
    params.opt_string("Optional")?;
    let extra = if v2 {
        params.opt_bounded("Extra", 10)?
    } else {
        None
    };
    let vision = engine_for(state, action)?;

    let (pair, answer) = check_pair(state, &id_card, &name).await;
    let outcome = match authority_failure(pair, &answer) {
        Some(failure) => failure,
        None => {
            let reference = reference_from(answer).expect("a match with a photo or embedding");
            match vision
                .run(move |engine| {
                    let image = engine.decode(&photo.bytes)?;
                    similarity(engine, &image, &reference)
                })
                .await
            {
                Ok(sim) => compared(sim),
                Err(err) => from_vision_error(err)?,
            }
        }
    };
    let mut out =
        json!({"Sim": outcome.sim, "Result": outcome.result, "Description": outcome.description});
    if v2 {
        out["Extra"] = Value::String(extra.unwrap_or_default());
    }
    Ok(out)
}

fn challenge(params: &Params) -> Result<Challenge, ApiError> {
    let kind = params.req_string("LivenessType")?;
    let data = params.opt_bounded("ValidateData", 64)?;
    match kind.as_str() {
        "ACTION" => {
            let data = data.ok_or_else(|| ApiError::missing("ValidateData"))?;
            let actions = LivenessAction::parse_sequence(&data)
                .filter(|a| !a.is_empty())
                .ok_or_else(|| {
                    ApiError::invalid(
                        "ValidateData",
                        "it must be an action sequence such as \"2,1\"",
                    )
                })?;
            Ok(Challenge::Actions(actions))
        }
        "LIP" => {
            let data = data.ok_or_else(|| ApiError::missing("ValidateData"))?;
            if !(4..=6).contains(&data.len()) || !data.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ApiError::invalid(
                    "ValidateData",
                    "it must be the digits from GetLiveCode",
                ));
            }
            Ok(Challenge::Digits(data))
        }
        "SILENT" => Ok(Challenge::Silent),
        _ => Err(ApiError::invalid(
            "LivenessType",
            "it must be LIP, ACTION or SILENT",
        )),
    }
}

/// `Optional` is a JSON string such as `{"BestFrameNum":2}`.
fn best_frame_num(params: &Params) -> Result<usize, ApiError> {
    let Some(raw) = params.opt_bounded("Optional", 1024)? else {
        return Ok(0);
    };
    if raw.trim().is_empty() {
        return Ok(0);
    }
    let value: Value = serde_json::from_str(&raw)
        .map_err(|e| ApiError::invalid("Optional", format!("it is not a JSON object ({e})")))?;
    match value.get("BestFrameNum") {
        None => Ok(0),
        Some(n) => match n.as_u64() {
            Some(n @ 1..=10) => Ok(n as usize),
            _ => Err(ApiError::invalid(
                "Optional.BestFrameNum",
                "it must be 1 to 10",
            )),
        },
    }
}

/// Liveness on the video, then (when a reference is given) comparison of its best frame.
async fn run_liveness(
    vision: &Vision,
    video: Vec<u8>,
    challenge: Challenge,
    reference: Option<Reference>,
    frame_count: usize,
) -> Result<Outcome, ApiError> {
    let result = vision
        .run(move |engine| {
            let options = VideoOptions {
                with_audio: matches!(challenge, Challenge::Digits(_)),
                reject_longer_than_s: Some(20.0),
                ..VideoOptions::default()
            };
            let decoded = decode_video_bytes(&video, &options)?;
            let duration = decoded
                .info
                .duration_s
                .unwrap_or_else(|| decoded.frame_times.last().copied().unwrap_or(0.0));
            let analysis = engine.analyse_frames(&decoded.frames, &ActionThresholds::default())?;
            if let Err(failure) = decide(&analysis, duration, &challenge, decoded.audio.as_deref())
            {
                return Ok(Outcome::failed(failure.faceid_code, failure.reason));
            }
            let Some(best) = analysis.best_frame else {
                return Ok(Outcome::failed(
                    "FailedOperation.LivessBestFrameError",
                    "no frame fit for comparison",
                ));
            };
            let best_image = &decoded.frames[best];
            let mut outcome = match &reference {
                Some(reference) => compared(similarity(engine, best_image, reference)?),
                None => Outcome {
                    result: "Success".into(),
                    description: "成功".into(),
                    sim: 0.0,
                    best_frames: vec![],
                },
            };
            outcome.best_frames.push(encode_jpeg(best_image, 90)?);
            if frame_count > 0 {
                let with_face: Vec<usize> = analysis
                    .frames
                    .iter()
                    .enumerate()
                    .filter(|(i, f)| f.face.is_some() && *i != best)
                    .map(|(i, _)| i)
                    .collect();
                let step = (with_face.len() / frame_count.max(1)).max(1);
                for &i in with_face.iter().step_by(step).take(frame_count) {
                    outcome
                        .best_frames
                        .push(encode_jpeg(&decoded.frames[i], 85)?);
                }
            }
            Ok(outcome)
        })
        .await;
    match result {
        Ok(outcome) => Ok(outcome),
        Err(err) => from_vision_error(err),
    }
}

fn liveness_response(outcome: Outcome, with_sim: bool, frame_count: usize) -> Value {
    let passed_liveness = !outcome.best_frames.is_empty();
    let encode = |b: &Vec<u8>| Value::String(base64::engine::general_purpose::STANDARD.encode(b));
    let best = outcome
        .best_frames
        .first()
        .filter(|_| passed_liveness)
        .map(encode)
        .unwrap_or(Value::Null);
    let list = if frame_count > 0 && passed_liveness {
        Value::Array(outcome.best_frames.iter().skip(1).map(encode).collect())
    } else {
        Value::Null
    };
    let mut out = json!({
        "BestFrameBase64": best,
        "Result": outcome.result,
        "Description": outcome.description,
        "BestFrameList": list,
    });
    if with_sim {
        out["Sim"] = json!(outcome.sim);
    }
    out
}

pub async fn liveness_compare(state: &AppState, params: &Params) -> Result<Value, ApiError> {
    params.allow_only(&[
        "LivenessType",
        "ImageBase64",
        "ImageUrl",
        "ValidateData",
        "Optional",
        "VideoBase64",
        "VideoUrl",
    ])?;
    let challenge = challenge(params)?;
    let frames = best_frame_num(params)?;
    let vision = engine_for(state, "LivenessCompare")?;
    let photo = match photo_input(params, true).await? {
        Ok(photo) => photo.expect("required"),
        Err(failure) => return Ok(liveness_response(failure, true, 0)),
    };
    let video = match video_input(params).await? {
        Ok(video) => video,
        Err(failure) => return Ok(liveness_response(failure, true, 0)),
    };
    let outcome = run_liveness(
        &vision,
        video,
        challenge,
        Some(Reference::Photo(photo)),
        frames,
    )
    .await?;
    Ok(liveness_response(outcome, true, frames))
}

pub async fn liveness_recognition(state: &AppState, params: &Params) -> Result<Value, ApiError> {
    params.allow_only(&[
        "IdCard",
        "Name",
        "LivenessType",
        "VideoBase64",
        "VideoUrl",
        "ValidateData",
        "Optional",
        "Encryption",
    ])?;
    let id_card = params.req_string("IdCard")?;
    let name = params.req_string("Name")?;
    let challenge = challenge(params)?;
    let frames = best_frame_num(params)?;
    let vision = engine_for(state, "LivenessRecognition")?;
    let video = match video_input(params).await? {
        Ok(video) => video,
        Err(failure) => return Ok(liveness_response(failure, true, 0)),
    };
    let (pair, answer) = check_pair(state, &id_card, &name).await;
    if let Some(failure) = authority_failure(pair, &answer) {
        return Ok(liveness_response(failure, true, 0));
    }
    let outcome = run_liveness(&vision, video, challenge, reference_from(answer), frames).await?;
    Ok(liveness_response(outcome, true, frames))
}

/// The retired `Liveness` action, still sent by older clients: liveness only.
pub async fn liveness(state: &AppState, params: &Params) -> Result<Value, ApiError> {
    params.allow_only(&["VideoBase64", "LivenessType", "ValidateData", "Optional"])?;
    params.req_string("VideoBase64")?;
    let challenge = challenge(params)?;
    let frames = best_frame_num(params)?;
    let vision = engine_for(state, "Liveness")?;
    let video = match video_input(params).await? {
        Ok(video) => video,
        Err(failure) => return Ok(liveness_response(failure, false, 0)),
    };
    let outcome = run_liveness(&vision, video, challenge, None, frames).await?;
    Ok(liveness_response(outcome, false, frames))
}
