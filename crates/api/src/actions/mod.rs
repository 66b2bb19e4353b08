//! FaceID actions: each module parses and validates its fields, asks the application layer
//! to do the work, and renders the answer in FaceID's shape.

mod bills;
mod detect;
mod eid;
mod encryption;
mod fields;
pub mod identity;
mod liveness;
mod ocr;
mod vision;

use crate::gateway::Authenticated;
use heshen_core::{Action, ApiError, ErrorCode};
use heshen_service::AppState;
use serde_json::Value;

/// An action's typed answer as the envelope's fields.
fn answer<T: serde::Serialize>(body: T) -> Result<Value, ApiError> {
    serde_json::to_value(body).map_err(|e| ApiError::internal(format!("rendering the answer: {e}")))
}

pub async fn dispatch(state: &AppState, request: &Authenticated) -> Result<Value, ApiError> {
    let caller = &request.caller;
    let decrypted;
    let params = if request.action.decrypts_request() {
        decrypted = encryption::decrypt_request(state, caller, &request.params)?;
        decrypted.as_ref().unwrap_or(&request.params)
    } else {
        &request.params
    };
    match request.action {
        Action::DetectAuth => detect::detect_auth(state, caller, params).await,
        Action::GetDetectInfoEnhanced => {
            detect::get_detect_info_enhanced(state, caller, params).await
        }
        Action::GetDetectInfo => detect::get_detect_info(state, caller, params).await,
        Action::GetEidToken => eid::get_eid_token(state, caller, params).await,
        Action::GetEidResult => eid::get_eid_result(state, caller, params).await,
        Action::CheckEidTokenStatus => eid::check_eid_token_status(state, caller, params).await,
        Action::GetActionSequence => liveness::get_action_sequence(params),
        Action::GetLiveCode => liveness::get_live_code(params),
        Action::GetWeChatBillDetails => bills::get_wechat_bill_details(state, caller, params).await,
        Action::IdCardVerification => identity::id_card_verification(state, params).await,
        Action::ImageRecognitionV2 => vision::image_recognition(state, params, true).await,
        Action::ImageRecognition => vision::image_recognition(state, params, false).await,
        Action::LivenessCompare => vision::liveness_compare(state, params).await,
        Action::LivenessRecognition => vision::liveness_recognition(state, params).await,
        Action::Liveness => vision::liveness(state, params).await,
        Action::CheckIdCardInformation => ocr::check_id_card_information(state, params).await,
        Action::IdCardOCRVerification => ocr::id_card_ocr_verification(state, params).await,
        other => Err(ApiError::new(
            ErrorCode::UnsupportedOperation,
            format!(
                "{other} is not supported by heshen: {}",
                other
                    .unsupported_reason()
                    .unwrap_or("it is not implemented.")
            ),
        )),
    }
}
