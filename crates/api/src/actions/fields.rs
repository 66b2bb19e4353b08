//! Validation of the fields several actions share (FACEID_API.md §2, §3).

use crate::params::Params;
use base64::Engine as _;
use heshen_core::{ApiError, ErrorCode, IdCardNumber, PersonName};
use serde_json::{json, Value};

pub const MAX_EXTRA: usize = 1024;
pub const MAX_REDIRECT_URL: usize = 1024;
pub const MAX_IMAGE_BASE64: usize = 3 * 1024 * 1024;

pub fn id_card(params: &Params) -> Result<Option<IdCardNumber>, ApiError> {
    params
        .opt_string("IdCard")?
        .map(|raw| IdCardNumber::parse(&raw).map_err(|e| ApiError::invalid("IdCard", e)))
        .transpose()
}

pub fn name(params: &Params) -> Result<Option<PersonName>, ApiError> {
    params
        .opt_string("Name")?
        .map(|raw| PersonName::parse(&raw).map_err(|e| ApiError::invalid("Name", e)))
        .transpose()
}

pub fn redirect_url(params: &Params) -> Result<Option<String>, ApiError> {
    let url = params.opt_bounded("RedirectUrl", MAX_REDIRECT_URL)?;
    if let Some(u) = &url {
        if !heshen_core::rule::is_http_url(u) {
            return Err(ApiError::invalid(
                "RedirectUrl",
                "it must be an http or https URL",
            ));
        }
    }
    Ok(url)
}

pub fn extra(params: &Params) -> Result<Option<String>, ApiError> {
    params.opt_bounded("Extra", MAX_EXTRA)
}

/// A decoded reference photo, checked to really be a JPG or PNG.
pub struct Photo {
    pub bytes: Vec<u8>,
}

pub fn image_base64(
    params: &Params,
    field: &str,
    max_encoded: usize,
) -> Result<Option<Photo>, ApiError> {
    let Some(encoded) = params.opt_string(field)? else {
        return Ok(None);
    };
    if encoded.len() > max_encoded {
        return Err(ApiError::invalid(
            field,
            format!(
                "the encoded image is {} bytes, more than the {max_encoded} allowed",
                encoded.len()
            ),
        ));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|e| ApiError::invalid(field, format!("it is not standard base64 ({e})")))?;
    if bytes.is_empty() {
        return Err(ApiError::new(
            ErrorCode::FailedOperationEmptyImageError,
            format!("{field} is empty."),
        ));
    }
    let format = match image::guess_format(&bytes) {
        Ok(f @ (image::ImageFormat::Jpeg | image::ImageFormat::Png)) => f,
        _ => return Err(ApiError::invalid(field, "it is not a JPG or PNG image")),
    };
    // Reading the header proves the file is an image of sane size without decoding every pixel.
    let dims =
        image::ImageReader::with_format(std::io::Cursor::new(&bytes), format).into_dimensions();
    match dims {
        Ok((w, h)) if w >= 16 && h >= 16 && u64::from(w) * u64::from(h) <= 50_000_000 => {}
        Ok((w, h)) => {
            return Err(ApiError::invalid(
                field,
                format!("a {w}×{h} image is too small or too large"),
            ))
        }
        Err(e) => {
            return Err(ApiError::new(
                ErrorCode::FailedOperationImageDecodeFailed,
                format!("{field} could not be decoded: {e}."),
            ))
        }
    }
    Ok(Some(Photo { bytes }))
}

fn rounds(params: &Params, field: &str) -> Result<Option<Vec<Params>>, ApiError> {
    let items = params.opt_object_array(field)?;
    if let Some(items) = &items {
        if items.is_empty() || items.len() > 10 {
            return Err(ApiError::invalid(field, "it must have 1 to 10 entries"));
        }
    }
    Ok(items)
}

pub fn intention_questions(params: &Params) -> Result<Option<Value>, ApiError> {
    let Some(items) = rounds(params, "IntentionQuestions")? else {
        return Ok(None);
    };
    for q in &items {
        q.allow_only(&["Question", "Answers"])?;
        let question = q.req_string("Question")?;
        if question.chars().count() > 250 {
            return Err(ApiError::invalid(
                "IntentionQuestions.Question",
                "it must be at most 250 characters",
            ));
        }
        let answers = q
            .opt_string_array("Answers")?
            .ok_or_else(|| ApiError::missing("IntentionQuestions.Answers"))?;
        if answers.is_empty()
            || answers.len() > 50
            || answers.iter().any(|a| a.chars().count() > 10)
        {
            return Err(ApiError::invalid(
                "IntentionQuestions.Answers",
                "it must have 1 to 50 answers of at most 10 characters",
            ));
        }
    }
    Ok(Some(Value::Array(
        items.iter().map(Params::to_value).collect(),
    )))
}

pub fn intention_actions(params: &Params, max_text: usize) -> Result<Option<Value>, ApiError> {
    let Some(items) = rounds(params, "IntentionActions")? else {
        return Ok(None);
    };
    for a in &items {
        a.allow_only(&["Text"])?;
        if a.req_string("Text")?.chars().count() > max_text {
            return Err(ApiError::invalid(
                "IntentionActions.Text",
                format!("it must be at most {max_text} characters"),
            ));
        }
    }
    Ok(Some(Value::Array(
        items.iter().map(Params::to_value).collect(),
    )))
}

pub fn speed(params: &Params, field: &str) -> Result<(), ApiError> {
    if let Some(speed) = params.opt_u64("Speed")? {
        if speed > 3 {
            return Err(ApiError::invalid(field, "it must be 0 to 3"));
        }
    }
    Ok(())
}

/// DetectAuth's intention settings, kept with the flow as sent; `None` when not used.
pub fn detect_intention(params: &Params) -> Result<Option<Value>, ApiError> {
    let text = params.opt_bounded("IntentionVerifyText", 120)?;
    let questions = intention_questions(params)?;
    let actions = intention_actions(params, 250)?;
    let config = match params.opt_object("Config")? {
        Some(c) => {
            c.allow_only(&[
                "IntentionRecognition",
                "IntentionType",
                "MouthOpenRecognition",
                "Speed",
            ])?;
            c.opt_bool("IntentionRecognition")?;
            c.opt_bool("MouthOpenRecognition")?;
            if let Some(t) = c.opt_i64("IntentionType")? {
                if !(0..=1).contains(&t) {
                    return Err(ApiError::invalid(
                        "Config.IntentionType",
                        "it must be 0 or 1",
                    ));
                }
            }
            speed(&c, "Config.Speed")?;
            Some(c.to_value())
        }
        None => None,
    };
    if text.is_none() && questions.is_none() && actions.is_none() {
        return Ok(None);
    }
    Ok(Some(json!({
        "IntentionVerifyText": text,
        "IntentionQuestions": questions,
        "IntentionActions": actions,
        "Config": config,
    })))
}
