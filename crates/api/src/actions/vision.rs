//! The actions that are pure vision: photo vs authority photo (ImageRecognitionV2 and the
//! retired ImageRecognition) and video liveness with or without comparison
//! (LivenessCompare, LivenessRecognition, the retired Liveness).
//!
//! Business failures (no face, low similarity, liveness not passed, unreadable media) are
//! answered in `Result` as FaceID does; only malformed requests and engine faults become
//! `Response.Error`.

use super::fields;
use crate::params::Params;
use crate::wire::{failure_result, service_error};
use base64::Engine as _;
use heshen_core::protocol::{
    fields_of, ImageRecognitionRequest, ImageRecognitionV2Request, LivenessCompareRequest,
    LivenessRecognitionRequest, LivenessRequest,
};
use heshen_core::protocol::{ImageRecognitionResponse, LivenessResponse};
use heshen_core::ApiError;
use heshen_service::authority::check_identity;
use heshen_service::verify::{self, Failure, Reference, Verdict};
use heshen_service::vision::Vision;
use heshen_service::AppState;
use heshen_vision::liveness::{Challenge, LivenessAction};
use serde_json::Value;

const MAX_VIDEO_BASE64: usize = 8 * 1024 * 1024;

pub(super) fn engine_for(state: &AppState) -> Result<Vision, ApiError> {
    state.require_vision().cloned().map_err(service_error)
}

fn round2(x: f32) -> f64 {
    (f64::from(x) * 100.0).round() / 100.0
}

/// Downloads a caller-given media URL through the guarded outbound client.
pub(super) async fn download(
    state: &AppState,
    url: &str,
    max_bytes: usize,
) -> Result<Vec<u8>, Failure> {
    state
        .outbound()
        .get(url, max_bytes)
        .await
        .map_err(Failure::Download)
}

/// The photo of ImageBase64 (which wins) or ImageUrl.
async fn photo_input(
    state: &AppState,
    params: &Params,
) -> Result<Result<Vec<u8>, Failure>, ApiError> {
    if let Some(photo) = fields::image_base64(params, "ImageBase64", fields::MAX_IMAGE_BASE64)? {
        return Ok(Ok(photo.bytes));
    }
    match params.opt_bounded("ImageUrl", 2048)? {
        Some(url) => Ok(download(state, &url, fields::MAX_IMAGE_BASE64).await),
        None => Err(ApiError::missing("ImageBase64")),
    }
}

async fn video_input(
    state: &AppState,
    params: &Params,
) -> Result<Result<Vec<u8>, Failure>, ApiError> {
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
        Some(url) => Ok(download(state, &url, MAX_VIDEO_BASE64).await),
        None => Err(ApiError::missing("VideoBase64")),
    }
}

/// `Result` / `Description` / `Sim` of a verdict.
fn summary(verdict: &Verdict) -> (String, String, f64) {
    let sim = verdict.sim.map_or(0.0, round2);
    match &verdict.failure {
        None => ("Success".into(), "成功".into(), sim),
        Some(failure) => {
            let (code, description) = failure_result(failure);
            (code.to_string(), description, sim)
        }
    }
}

pub async fn image_recognition(
    state: &AppState,
    params: &Params,
    v2: bool,
) -> Result<Value, ApiError> {
    params.allow_only(if v2 {
        fields_of::<ImageRecognitionV2Request>()
    } else {
        fields_of::<ImageRecognitionRequest>()
    })?;
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
    let vision = engine_for(state)?;
    let (check, answer) = check_identity(state.authority(), &id_card, &name).await;
    let verdict = match verify::reference_for(check, answer) {
        Ok(reference) => {
            verify::compare_photo(&vision, photo.bytes, reference, heshen_vision::PASS_SIM)
                .await
                .map_err(service_error)?
        }
        Err(failure) => Verdict::failed(failure),
    };
    let (result, description, sim) = summary(&verdict);
    super::answer(ImageRecognitionResponse {
        sim,
        result,
        description,
        extra: v2.then(|| extra.unwrap_or_default()),
    })
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
) -> Result<Verdict, ApiError> {
    verify::verify_recording(
        vision,
        video,
        challenge,
        reference,
        heshen_vision::PASS_SIM,
        frame_count,
    )
    .await
    .map_err(service_error)
}

fn liveness_response(verdict: Verdict, with_sim: bool, frame_count: usize) -> Value {
    let (result, description, sim) = summary(&verdict);
    let passed_liveness = !verdict.frames.is_empty();
    let encode = |b: &Vec<u8>| base64::engine::general_purpose::STANDARD.encode(b);
    let body = LivenessResponse {
        best_frame_base64: verdict
            .frames
            .first()
            .filter(|_| passed_liveness)
            .map(encode),
        sim: with_sim.then_some(sim),
        result,
        description,
        best_frame_list: (frame_count > 0 && passed_liveness)
            .then(|| verdict.frames.iter().skip(1).map(encode).collect()),
    };
    serde_json::to_value(body).unwrap_or(Value::Null)
}

pub async fn liveness_compare(state: &AppState, params: &Params) -> Result<Value, ApiError> {
    params.allow_only(fields_of::<LivenessCompareRequest>())?;
    let challenge = challenge(params)?;
    let frames = best_frame_num(params)?;
    let vision = engine_for(state)?;
    let photo = match photo_input(state, params).await? {
        Ok(photo) => photo,
        Err(failure) => return Ok(liveness_response(Verdict::failed(failure), true, 0)),
    };
    let video = match video_input(state, params).await? {
        Ok(video) => video,
        Err(failure) => return Ok(liveness_response(Verdict::failed(failure), true, 0)),
    };
    let verdict = run_liveness(
        &vision,
        video,
        challenge,
        Some(Reference::Photo(photo)),
        frames,
    )
    .await?;
    Ok(liveness_response(verdict, true, frames))
}

pub async fn liveness_recognition(state: &AppState, params: &Params) -> Result<Value, ApiError> {
    params.allow_only(fields_of::<LivenessRecognitionRequest>())?;
    let id_card = params.req_string("IdCard")?;
    let name = params.req_string("Name")?;
    let challenge = challenge(params)?;
    let frames = best_frame_num(params)?;
    let vision = engine_for(state)?;
    let video = match video_input(state, params).await? {
        Ok(video) => video,
        Err(failure) => return Ok(liveness_response(Verdict::failed(failure), true, 0)),
    };
    let (check, answer) = check_identity(state.authority(), &id_card, &name).await;
    // A reference that cannot be used refuses the verification: never liveness alone.
    let reference = match verify::reference_for(check, answer) {
        Ok(reference) => reference,
        Err(failure) => return Ok(liveness_response(Verdict::failed(failure), true, 0)),
    };
    let verdict = run_liveness(&vision, video, challenge, Some(reference), frames).await?;
    Ok(liveness_response(verdict, true, frames))
}

/// The retired `Liveness` action, still sent by older clients: liveness only.
pub async fn liveness(state: &AppState, params: &Params) -> Result<Value, ApiError> {
    params.allow_only(fields_of::<LivenessRequest>())?;
    params.req_string("VideoBase64")?;
    let challenge = challenge(params)?;
    let frames = best_frame_num(params)?;
    let vision = engine_for(state)?;
    let video = match video_input(state, params).await? {
        Ok(video) => video,
        Err(failure) => return Ok(liveness_response(Verdict::failed(failure), false, 0)),
    };
    let verdict = run_liveness(&vision, video, challenge, None, frames).await?;
    Ok(liveness_response(verdict, false, frames))
}
