//! eID (E证通): GetEidToken, GetEidResult, CheckEidTokenStatus. The identity a merchant
//! receives (`EidInfo`) is built by `heshen_service::crypto::eid_info`, whose docs give the scheme.

use super::detect::{owned_flow, result_options};
use super::fields;
use crate::gateway::Caller;
use crate::params::Params;
use crate::wire::service_error;
use heshen_core::flow::{Flow, FlowKind, FlowRequest, FlowSettings};
use heshen_core::protocol::{
    fields_of, CheckEidTokenStatusRequest, GetEidResultRequest, GetEidTokenRequest,
};
use heshen_core::protocol::{CheckEidTokenStatusResponse, GetEidTokenResponse};
use heshen_core::result;
use heshen_core::rule::ReviewStatus;
use heshen_core::{ApiError, EidToken, ErrorCode, IdCardNumber};
use heshen_service::crypto::eid_info;
use heshen_service::flows::{self, FlowOwner};
use heshen_service::state::MerchantEntry;
use heshen_service::AppState;
use serde_json::Value;

async fn merchant_for(
    state: &AppState,
    caller: &Caller,
    merchant_id: &str,
) -> Result<MerchantEntry, ApiError> {
    let not_found = || {
        ApiError::invalid(
            "MerchantId",
            format!("merchant `{merchant_id}` does not exist for this account; create it with `heshen merchants create`"),
        )
    };
    let merchant = state
        .merchant(merchant_id)
        .await
        .map_err(service_error)?
        .ok_or_else(not_found)?;
    if merchant.app_id != caller.app_id {
        return Err(not_found());
    }
    match merchant.status {
        ReviewStatus::Approved => Ok(merchant),
        ReviewStatus::Disabled => Err(ApiError::new(
            ErrorCode::UnauthorizedOperation,
            format!("Merchant `{merchant_id}` has been disabled."),
        )),
        _ => Err(ApiError::new(
            ErrorCode::UnauthorizedOperation,
            format!("Merchant `{merchant_id}` has not been approved in review."),
        )),
    }
}

/// eID takes identity numbers of several documents: [A-Za-z0-9]{1,32}; a mainland
/// number must also pass GB 11643.
fn eid_id_card(params: &Params) -> Result<Option<String>, ApiError> {
    let Some(raw) = params.opt_string("IdCard")? else {
        return Ok(None);
    };
    if raw.is_empty() || raw.len() > 32 || !raw.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(ApiError::invalid(
            "IdCard",
            "it must be 1 to 32 letters or digits",
        ));
    }
    let looks_mainland = raw.len() == 18 && raw[..17].bytes().all(|b| b.is_ascii_digit());
    if looks_mainland {
        IdCardNumber::parse(&raw).map_err(|e| ApiError::invalid("IdCard", e))?;
    }
    Ok(Some(raw))
}

fn eid_config(params: &Params) -> Result<(Option<String>, Option<Value>), ApiError> {
    let Some(config) = params.opt_object("Config")? else {
        return Ok((None, None));
    };
    config.allow_only(&[
        "InputType",
        "UseIntentionVerify",
        "IntentionMode",
        "IntentionVerifyText",
        "IntentionQuestions",
        "IntentionActions",
        "IntentionRecognition",
        "IsSupportHMTResidentPermitOCR",
        "MouthOpenRecognition",
        "Speed",
    ])?;
    let input_type = config.opt_string("InputType")?;
    if let Some(t) = &input_type {
        if !["1", "2", "3", "4"].contains(&t.as_str()) {
            return Err(ApiError::invalid(
                "Config.InputType",
                "it must be \"1\", \"2\", \"3\" or \"4\"",
            ));
        }
    }
    if let Some(mode) = config.opt_string("IntentionMode")? {
        if !["1", "2", "3"].contains(&mode.as_str()) {
            return Err(ApiError::invalid(
                "Config.IntentionMode",
                "it must be \"1\", \"2\" or \"3\"",
            ));
        }
    }
    config.opt_bounded("IntentionVerifyText", 120)?;
    fields::intention_questions(&config)?;
    fields::intention_actions(&config, 150)?;
    config.opt_bool("IntentionRecognition")?;
    config.opt_bool("IsSupportHMTResidentPermitOCR")?;
    config.opt_bool("MouthOpenRecognition")?;
    fields::speed(&config, "Config.Speed")?;
    let intention = config
        .opt_bool("UseIntentionVerify")?
        .unwrap_or(false)
        .then(|| config.to_value());
    Ok((input_type, intention))
}

pub async fn get_eid_token(
    state: &AppState,
    caller: &Caller,
    params: &Params,
) -> Result<Value, ApiError> {
    params.allow_only(fields_of::<GetEidTokenRequest>())?;
    let merchant_id = params.req_string("MerchantId")?;
    let id_card = eid_id_card(params)?;
    let name = fields::name(params)?;
    let extra = fields::extra(params)?;
    let redirect_url = fields::redirect_url(params)?;
    let (input_type, intention) = eid_config(params)?;
    if input_type.as_deref() == Some("4") && (id_card.is_none() || name.is_none()) {
        return Err(ApiError::new(
            ErrorCode::MissingParameter,
            "Config.InputType \"4\" means the backend supplies the identity: send IdCard and Name.",
        ));
    }
    if id_card.is_some() != name.is_some() {
        return Err(ApiError::missing(if id_card.is_some() {
            "Name"
        } else {
            "IdCard"
        }));
    }
    let merchant = merchant_for(state, caller, &merchant_id).await?;

    let now = state.clock().now_ms();
    let token = EidToken::generate();
    let request = FlowRequest {
        id_card,
        name: name.map(String::from),
        redirect_url,
        extra,
        has_reference_photo: false,
        intention,
        input_type,
    };
    let settings = FlowSettings {
        max_attempts: merchant.config.max_attempts,
        sim_threshold: merchant.config.sim_threshold,
        liveness_mode: merchant.config.liveness.mode_number(),
        compare_lib_type: Some("权威库".into()),
    };
    let ttl = state.config().eid_token_ttl.as_millis() as i64;
    let flow = Flow::new(FlowKind::Eid, request, settings, now, ttl);
    let owner = FlowOwner {
        app_id: &caller.app_id,
        scope_id: &merchant.merchant_id,
        secret_id: &caller.secret_id,
        channel: "eid",
    };
    flows::create(state, token.as_str(), &owner, &flow, Vec::new())
        .await
        .map_err(service_error)?;
    super::answer(GetEidTokenResponse {
        eid_token: token.as_str().to_string(),
        url: format!(
            "{}/eid/start?token={}",
            state.config().public_url.trim_end_matches('/'),
            token
        ),
    })
}

pub async fn get_eid_result(
    state: &AppState,
    caller: &Caller,
    params: &Params,
) -> Result<Value, ApiError> {
    params.allow_only(fields_of::<GetEidResultRequest>())?;
    let token = params.req_string("EidToken")?;
    let opts = result_options(params, "012356", 3)?;
    let stored = owned_flow(state, caller, &token, None, FlowKind::Eid, "EidToken").await?;
    let merchant = state
        .merchant(&stored.scope_id)
        .await
        .map_err(service_error)?;
    let flow = &stored.flow;
    let passed = flow.outcome.is_some_and(|o| o.code == 0);
    let eid_info = match (merchant, flow.subject()) {
        (Some(m), Some((id_card, name))) if passed && m.config.return_identity => {
            Some(eid_info(state.keys(), &m.merchant_id, id_card, name))
        }
        _ => None,
    };
    let media = flows::load_media(state, &token, opts.media_needed(flow))
        .await
        .map_err(service_error)?;
    super::answer(result::eid_result(
        flow,
        &opts,
        &media,
        eid_info,
        state.clock().now_ms(),
    ))
}

pub async fn check_eid_token_status(
    state: &AppState,
    caller: &Caller,
    params: &Params,
) -> Result<Value, ApiError> {
    params.allow_only(fields_of::<CheckEidTokenStatusRequest>())?;
    let token = params.req_string("EidToken")?;
    let stored = owned_flow(state, caller, &token, None, FlowKind::Eid, "EidToken").await?;
    super::answer(CheckEidTokenStatusResponse {
        status: stored
            .flow
            .status(state.clock().now_ms())
            .as_str()
            .to_string(),
    })
}
