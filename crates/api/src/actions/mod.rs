//! FaceID actions: each module parses and validates its fields, then does the work.

mod bills;
mod detect;
mod eid;
mod encryption;
mod fields;
pub mod identity;
mod liveness;
mod ocr;
mod unsupported;
mod vision;

use crate::gateway::Authenticated;
use crate::state::AppState;
use heshen_core::{ApiError, ErrorCode};
use serde_json::Value;

pub use eid::{eid_info, merchant_key};

/// Actions whose Name / IdCard may arrive encrypted (`Encryption` in the request).
const DECRYPTS_REQUEST: [&str; 7] = [
    "DetectAuth",
    "GetEidToken",
    "LivenessRecognition",
    "ImageRecognitionV2",
    "ImageRecognition",
    "IdCardVerification",
    "IdCardOCRVerification",
];

pub async fn dispatch(state: &AppState, request: &Authenticated) -> Result<Value, ApiError> {
    let caller = &request.caller;
    let decrypted;
    let params = if DECRYPTS_REQUEST.contains(&request.action.as_str()) {
        decrypted = encryption::decrypt_request(state, caller, &request.params)?;
        decrypted.as_ref().unwrap_or(&request.params)
    } else {
        &request.params
    };
    match request.action.as_str() {
        "DetectAuth" => detect::detect_auth(state, caller, params).await,
        "GetDetectInfoEnhanced" => detect::get_detect_info_enhanced(state, caller, params).await,
        "GetDetectInfo" => detect::get_detect_info(state, caller, params).await,
        "GetEidToken" => eid::get_eid_token(state, caller, params).await,
        "GetEidResult" => eid::get_eid_result(state, caller, params).await,
        "CheckEidTokenStatus" => eid::check_eid_token_status(state, caller, params).await,
        "GetActionSequence" => liveness::get_action_sequence(params),
        "GetLiveCode" => liveness::get_live_code(params),
        "GetWeChatBillDetails" => bills::get_wechat_bill_details(state, caller, params).await,
        "IdCardVerification" => identity::id_card_verification(state, params).await,
        "ImageRecognitionV2" => vision::image_recognition(state, params, true).await,
        "ImageRecognition" => vision::image_recognition(state, params, false).await,
        "LivenessCompare" => vision::liveness_compare(state, params).await,
        "LivenessRecognition" => vision::liveness_recognition(state, params).await,
        "Liveness" => vision::liveness(state, params).await,
        "CheckIdCardInformation" => ocr::check_id_card_information(state, params).await,
        "IdCardOCRVerification" => ocr::id_card_ocr_verification(state, params).await,
        other => match unsupported::reason(other) {
            Some(reason) => Err(ApiError::new(
                ErrorCode::UnsupportedOperation,
                format!("{other} is not supported by heshen: {reason}"),
            )),
            None => Err(ApiError::new(
                ErrorCode::InvalidAction,
                format!("The action `{other}` does not exist in faceid 2018-03-01."),
            )),
        },
    }
}
