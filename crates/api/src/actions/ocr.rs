//! ID-card OCR actions: CheckIdCardInformation (OCR + authority photo comparison) and
//! IdCardOCRVerification (name + ID number check from fields or from the card).

use crate::params::Params;
use crate::wire::{failure_result, identity_result, ocr_code, service_error};
use base64::Engine as _;
use heshen_core::protocol::{
    fields_of, CheckIdCardInformationRequest, IdCardOCRVerificationRequest,
};
use heshen_core::protocol::{CheckIdCardInformationResponse, IdCardOCRVerificationResponse};
use heshen_core::{ApiError, ErrorCode};
use heshen_service::authority::check_identity;
use heshen_service::verify;
use heshen_service::AppState;
use heshen_vision::image_input::encode_jpeg;
use heshen_vision::ocr::{decode_image, CardSide, IdCardReading, OcrError};
use serde_json::Value;

/// The warning switches of `Config` (all off by default).
#[derive(Debug, Default, Clone, Copy)]
struct WarningSwitches {
    copy: bool,
    border: bool,
    reshoot: bool,
    ps: bool,
    temp_id: bool,
    quality: bool,
}

impl WarningSwitches {
    fn parse(params: &Params) -> Result<Self, ApiError> {
        let Some(raw) = params.opt_bounded("Config", 1024)? else {
            return Ok(Self::default());
        };
        if raw.trim().is_empty() {
            return Ok(Self::default());
        }
        let value: Value = serde_json::from_str(&raw)
            .map_err(|e| ApiError::invalid("Config", format!("it is not a JSON object ({e})")))?;
        let Value::Object(map) = value else {
            return Err(ApiError::invalid("Config", "it must be a JSON object"));
        };
        let mut switches = Self::default();
        for (key, value) in map {
            let on = value.as_bool().ok_or_else(|| {
                ApiError::invalid("Config", format!("{key} must be true or false"))
            })?;
            match key.as_str() {
                "CopyWarn" => switches.copy = on,
                "BorderCheckWarn" => switches.border = on,
                "ReshootWarn" => switches.reshoot = on,
                "DetectPsWarn" => switches.ps = on,
                "TempIdWarn" => switches.temp_id = on,
                "Quality" => switches.quality = on,
                other => {
                    return Err(ApiError::invalid(
                        "Config",
                        format!("{other} is not a warning switch"),
                    ))
                }
            }
        }
        Ok(switches)
    }

    /// The warnings the caller asked for, out of everything the reader noticed.
    fn select(&self, found: &[i64]) -> Vec<i64> {
        found
            .iter()
            .copied()
            .filter(|code| match code {
                -9102 | -9108 => self.copy,
                -9101 | -9105 | -9107 => self.border,
                -9103 => self.reshoot,
                -9106 => self.ps,
                -9104 => self.temp_id,
                -8001 => self.quality,
                _ => false,
            })
            .collect()
    }
}

fn join(warnings: &[i64]) -> String {
    warnings
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join("|")
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The card image of ImageUrl or ImageBase64 (in the action's priority order).
async fn card_image(
    state: &AppState,
    params: &Params,
    url_first: bool,
    max_encoded: usize,
) -> Result<Option<Vec<u8>>, ApiError> {
    let url = params.opt_bounded("ImageUrl", 2048)?;
    let inline = || -> Result<Option<Vec<u8>>, ApiError> {
        match params.opt_string("ImageBase64")? {
            None => Ok(None),
            Some(encoded) if encoded.len() > max_encoded => Err(ApiError::invalid(
                "ImageBase64",
                format!("the encoded image is larger than {max_encoded} bytes"),
            )),
            Some(encoded) => base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .map(Some)
                .map_err(|e| {
                    ApiError::invalid("ImageBase64", format!("it is not standard base64 ({e})"))
                }),
        }
    };
    let fetch = |url: String| async move {
        state
            .outbound()
            .get(&url, max_encoded)
            .await
            .map_err(|why| {
                ApiError::new(
                    ErrorCode::FailedOperationUnKnown,
                    format!("ImageUrl could not be fetched: {why}"),
                )
            })
    };
    match (url, url_first) {
        (Some(url), true) => Ok(Some(fetch(url).await?)),
        (url, _) => match inline()? {
            Some(bytes) => Ok(Some(bytes)),
            None => match url {
                Some(url) => Ok(Some(fetch(url).await?)),
                None => Ok(None),
            },
        },
    }
}

struct Read {
    reading: IdCardReading,
    portrait_jpeg: Option<Vec<u8>>,
}

async fn read_front(state: &AppState, bytes: Vec<u8>) -> Result<Result<Read, OcrError>, ApiError> {
    let vision = super::vision::engine_for(state)?;
    let result = vision
        .run_ocr(move |_, reader| {
            let image = decode_image(&bytes)?;
            let reading = reader.read(&image, Some(CardSide::Front))?;
            let portrait_jpeg = match &reading.portrait {
                Some(p) => Some(encode_jpeg(p, 90)?),
                None => None,
            };
            Ok(Read {
                reading,
                portrait_jpeg,
            })
        })
        .await;
    match result {
        Err(OcrError::Engine(e)) if e.is_engine_fault() => {
            tracing::error!(%e, "vision engine fault during OCR");
            Err(ApiError::internal(
                "The vision engine failed; please retry.",
            ))
        }
        other => Ok(other),
    }
}

pub async fn check_id_card_information(
    state: &AppState,
    params: &Params,
) -> Result<Value, ApiError> {
    params.allow_only(fields_of::<CheckIdCardInformationRequest>())?;
    let switches = WarningSwitches::parse(params)?;
    let encrypt = params.opt_bool("IsEncrypt")?.unwrap_or(false);
    if encrypt {
        return Err(ApiError::new(
            ErrorCode::UnsupportedOperation,
            "Encrypted responses (IsEncrypt) need a deployment encryption key, which this server has not been given.",
        ));
    }
    super::encryption::refuse_response_encryption(params)?;
    let bytes = card_image(state, params, true, 7 * 1024 * 1024)
        .await?
        .ok_or_else(|| ApiError::missing("ImageBase64"))?;

    let mut out = CheckIdCardInformationResponse::default();
    let read = match read_front(state, bytes.clone()).await? {
        Ok(read) => read,
        Err(e) => {
            out.result = ocr_code(&e).into();
            out.description = e.to_string();
            return super::answer(out);
        }
    };
    let r = &read.reading;
    let warnings = switches.select(&r.warnings);
    out.name = r.name.clone();
    out.sex = r.sex.clone();
    out.nation = r.nation.clone();
    out.birth = r.birth.clone();
    out.address = r.address.clone();
    out.id_num = r.id_num.clone();
    out.portrait = read.portrait_jpeg.as_deref().map(b64).unwrap_or_default();
    out.warnings = join(&warnings);
    out.quality = if switches.quality {
        (f64::from(r.quality) * 100.0).round() / 100.0
    } else {
        0.0
    };
    let set = |out: &mut CheckIdCardInformationResponse, result: &str, description: &str| {
        out.result = result.into();
        out.description = description.into();
    };
    if !warnings.is_empty() {
        set(
            &mut out,
            "FailedOperation.OcrWarningOccurred",
            "身份证告警，比对已停止",
        );
        return super::answer(out);
    }
    let (check, answer) = check_identity(state.authority(), &r.id_num, &r.name).await;
    let reference = match verify::reference_for(check, answer) {
        Ok(reference) => reference,
        Err(failure) => {
            let (code, description) = failure_result(&failure);
            set(&mut out, code, &description);
            return super::answer(out);
        }
    };
    // Compare the card's portrait (or, when it could not be cut out, the whole card).
    let face = read.portrait_jpeg.clone().unwrap_or(bytes);
    let vision = super::vision::engine_for(state)?;
    let verdict = verify::compare_photo(&vision, face, reference, heshen_vision::PASS_SIM)
        .await
        .map_err(service_error)?;
    if let Some(sim) = verdict.sim {
        out.sim = (f64::from(sim) * 100.0).round() / 100.0;
    }
    match &verdict.failure {
        None => set(&mut out, "Success", "成功"),
        Some(failure) => {
            let (code, description) = failure_result(failure);
            set(&mut out, code, &description);
        }
    }
    super::answer(out)
}

pub async fn id_card_ocr_verification(
    state: &AppState,
    params: &Params,
) -> Result<Value, ApiError> {
    params.allow_only(fields_of::<IdCardOCRVerificationRequest>())?;
    let switches = WarningSwitches::parse(params)?;
    let id_card = params.opt_string("IdCard")?;
    let name = params.opt_string("Name")?;
    let mut out = IdCardOCRVerificationResponse::default();
    let (id_card, name) = match (id_card, name) {
        (Some(id), Some(name)) => (id, name),
        _ => {
            let bytes = card_image(state, params, false, 3 * 1024 * 1024)
                .await?
                .ok_or_else(|| ApiError::missing("IdCard and Name, or ImageBase64"))?;
            let read = match read_front(state, bytes).await? {
                Ok(read) => read,
                Err(e) => {
                    return Err(ApiError::invalid(
                        "ImageBase64",
                        format!("the ID card could not be read: {e} ({})", ocr_code(&e)),
                    ))
                }
            };
            let r = read.reading;
            out.sex = Some(r.sex);
            out.nation = Some(r.nation);
            out.birth = Some(r.birth);
            out.address = Some(r.address);
            out.portrait = read.portrait_jpeg.as_deref().map(b64).unwrap_or_default();
            out.warnings = join(&switches.select(&r.warnings));
            if switches.quality {
                out.quality = (f64::from(r.quality) * 100.0).round() / 100.0;
            }
            (r.id_num, r.name)
        }
    };
    let (check, _) = check_identity(state.authority(), &id_card, &name).await;
    let (result, description) = identity_result(check);
    out.result = result.into();
    out.description = description.into();
    out.name = name;
    out.id_card = id_card;
    super::answer(out)
}
