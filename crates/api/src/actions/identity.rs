//! Two-factor identity checks against the authority source (IdCardVerification).

use crate::params::Params;
use crate::wire::identity_result;
use heshen_core::protocol::IdCardVerificationResponse;
use heshen_core::protocol::{fields_of, IdCardVerificationRequest};
use heshen_core::ApiError;
use heshen_service::authority::check_identity;
use heshen_service::AppState;
use serde_json::Value;

pub async fn id_card_verification(state: &AppState, params: &Params) -> Result<Value, ApiError> {
    params.allow_only(fields_of::<IdCardVerificationRequest>())?;
    let id_card = params.req_string("IdCard")?;
    let name = params.req_string("Name")?;
    let (check, _) = check_identity(state.authority(), &id_card, &name).await;
    let (result, description) = identity_result(check);
    super::answer(IdCardVerificationResponse {
        result: result.into(),
        description: description.into(),
    })
}
