//! DetectAuth and the results of its flows (GetDetectInfoEnhanced, GetDetectInfo).

use super::fields;
use crate::gateway::Caller;
use crate::params::Params;
use crate::wire::service_error;
use heshen_core::flow::{Flow, FlowKind, FlowRequest, FlowSettings};
use heshen_core::protocol::{
    fields_of, DetectAuthRequest, GetDetectInfoEnhancedRequest, GetDetectInfoRequest,
};
use heshen_core::protocol::{DetectAuthResponse, GetDetectInfoResponse};
use heshen_core::result::{self, InfoSelection, ResultOptions};
use heshen_core::rule::{CompareSource, IdentitySource, ReviewStatus};
use heshen_core::{ApiError, BizToken, ErrorCode};
use heshen_service::flows::{self, FlowOwner, StoredFlow};
use heshen_service::state::RuleEntry;
use heshen_service::AppState;
use serde_json::Value;

use heshen_service::attempts::REFERENCE_PHOTO;

pub async fn rule_for(
    state: &AppState,
    caller: &Caller,
    rule_id: &str,
) -> Result<RuleEntry, ApiError> {
    let not_found = || {
        ApiError::new(
            ErrorCode::RuleIdNotExist,
            format!("RuleId `{rule_id}` does not exist; create it in the heshen console or with `heshen rules create`."),
        )
    };
    let rule = state
        .rule(rule_id)
        .await
        .map_err(service_error)?
        .ok_or_else(not_found)?;
    if rule.app_id != caller.app_id {
        return Err(not_found());
    }
    match rule.status {
        ReviewStatus::Approved => Ok(rule),
        ReviewStatus::Disabled => Err(ApiError::new(
            ErrorCode::RuleIdDisabled,
            format!("RuleId `{rule_id}` has been disabled."),
        )),
        ReviewStatus::Pending | ReviewStatus::Rejected => Err(ApiError::new(
            ErrorCode::RuleIdNotExist,
            format!("RuleId `{rule_id}` has not been approved in review."),
        )),
    }
}

pub async fn detect_auth(
    state: &AppState,
    caller: &Caller,
    params: &Params,
) -> Result<Value, ApiError> {
    params.allow_only(fields_of::<DetectAuthRequest>())?;
    let rule_id = params.req_string("RuleId")?;
    params.opt_bounded("TerminalType", 32)?;
    let id_card = fields::id_card(params)?;
    let name = fields::name(params)?;
    let redirect_url = fields::redirect_url(params)?;
    let extra = fields::extra(params)?;
    let photo = fields::image_base64(params, "ImageBase64", fields::MAX_IMAGE_BASE64)?;
    let intention = fields::detect_intention(params)?;

    let rule = rule_for(state, caller, &rule_id).await?;
    let config = &rule.config;
    match (&id_card, &name) {
        (Some(_), None) => return Err(ApiError::missing("Name")),
        (None, Some(_)) => return Err(ApiError::missing("IdCard")),
        (None, None) if config.identity_source == IdentitySource::Api => {
            return Err(ApiError::new(
                ErrorCode::MissingParameter,
                format!(
                    "RuleId `{rule_id}` takes the identity from the API: send IdCard and Name."
                ),
            ))
        }
        _ => {}
    }
    if config.compare_source == CompareSource::Uploaded && photo.is_none() {
        return Err(ApiError::new(
            ErrorCode::MissingParameter,
            format!("RuleId `{rule_id}` compares with an uploaded photo: send ImageBase64."),
        ));
    }

    let now = state.clock().now_ms();
    let token = BizToken::generate();
    let request = FlowRequest {
        id_card: id_card.map(String::from),
        name: name.map(String::from),
        redirect_url: redirect_url.or_else(|| config.default_redirect_url.clone()),
        extra,
        has_reference_photo: photo.is_some(),
        intention,
        input_type: None,
    };
    let settings = FlowSettings {
        max_attempts: config.max_attempts,
        sim_threshold: config.sim_threshold,
        liveness_mode: config.liveness.mode_number(),
        compare_lib_type: config
            .compare_source
            .lib_type_label(photo.is_some())
            .map(String::from),
    };
    let ttl = state.config().biz_token_ttl.as_millis() as i64;
    let flow = Flow::new(FlowKind::Detect, request, settings, now, ttl);
    let media = photo
        .map(|p| vec![(REFERENCE_PHOTO, p.bytes)])
        .unwrap_or_default();
    let owner = FlowOwner {
        app_id: &caller.app_id,
        scope_id: &rule.rule_id,
        secret_id: &caller.secret_id,
        channel: config.scene.as_str(),
    };
    flows::create(state, token.as_str(), &owner, &flow, media)
        .await
        .map_err(service_error)?;
    super::answer(DetectAuthResponse {
        url: format!(
            "{}/h5/start?token={}",
            state.config().public_url.trim_end_matches('/'),
            token
        ),
        biz_token: token.as_str().to_string(),
    })
}

/// Finds the caller's flow for a BizToken + RuleId, with FaceID's errors for every other case.
pub async fn owned_flow(
    state: &AppState,
    caller: &Caller,
    raw_token: &str,
    scope_id: Option<&str>,
    kind: FlowKind,
    field: &str,
) -> Result<StoredFlow, ApiError> {
    let illegal = || {
        ApiError::new(
            ErrorCode::BizTokenIllegal,
            format!("{field} `{raw_token}` is not a valid token of this account."),
        )
    };
    if heshen_core::BizToken::parse(raw_token).is_none() {
        return Err(illegal());
    }
    let stored = flows::load(state, raw_token, kind)
        .await
        .map_err(service_error)?
        .ok_or_else(illegal)?;
    if stored.app_id != caller.app_id {
        return Err(illegal());
    }
    if let Some(scope) = scope_id {
        if stored.scope_id != scope {
            return Err(ApiError::new(
                ErrorCode::BizTokenIllegal,
                format!("{field} `{raw_token}` was not issued for RuleId `{scope}`."),
            ));
        }
    }
    if state.clock().now_ms() > stored.retain_until_ms {
        return Err(ApiError::new(
            ErrorCode::BizTokenExpired,
            format!("The result of {field} `{raw_token}` is past its retention period and has been erased."),
        ));
    }
    Ok(stored)
}

pub fn result_options(
    params: &Params,
    allowed_info: &str,
    max_frames: u64,
) -> Result<ResultOptions, ApiError> {
    let info_type = params.opt_string("InfoType")?;
    let selection = InfoSelection::parse(info_type.as_deref(), allowed_info)
        .map_err(|why| ApiError::invalid("InfoType", why))?;
    Ok(ResultOptions {
        selection,
        // FaceID caps rather than refuses a larger count.
        best_frames_count: params
            .opt_u64("BestFramesCount")?
            .unwrap_or(0)
            .min(max_frames),
        cut_id_card_image: params.opt_bool("IsCutIdCardImage")?.unwrap_or(false),
        need_id_card_avatar: params.opt_bool("IsNeedIdCardAvatar")?.unwrap_or(false),
        all_videos: params.opt_bool("IsReturnAllVideo")?.unwrap_or(false),
    })
}

/// The caller's DetectAuth flow named by BizToken + RuleId, with the media `opts` will render.
async fn result_of_detect_flow(
    state: &AppState,
    caller: &Caller,
    params: &Params,
    opts: &ResultOptions,
) -> Result<(StoredFlow, result::MediaMap), ApiError> {
    let token = params.req_string("BizToken")?;
    let rule_id = params.req_string("RuleId")?;
    let stored = owned_flow(
        state,
        caller,
        &token,
        Some(&rule_id),
        FlowKind::Detect,
        "BizToken",
    )
    .await?;
    let media = flows::load_media(state, &token, opts.media_needed(&stored.flow))
        .await
        .map_err(service_error)?;
    Ok((stored, media))
}

pub async fn get_detect_info_enhanced(
    state: &AppState,
    caller: &Caller,
    params: &Params,
) -> Result<Value, ApiError> {
    params.allow_only(fields_of::<GetDetectInfoEnhancedRequest>())?;
    let opts = result_options(params, "0123456", 10)?;
    params.opt_bool("IsEncrypt")?;
    let encryption = super::encryption::ResponseEncryption::parse(params)?;
    let (stored, media) = result_of_detect_flow(state, caller, params, &opts).await?;
    let mut response =
        result::detect_info_enhanced(&stored.flow, &opts, &media, state.clock().now_ms());
    encryption.apply(state, caller, &mut response)?;
    super::answer(response)
}

pub async fn get_detect_info(
    state: &AppState,
    caller: &Caller,
    params: &Params,
) -> Result<Value, ApiError> {
    params.allow_only(fields_of::<GetDetectInfoRequest>())?;
    let opts = result_options(params, "01234", 0)?;
    let (stored, media) = result_of_detect_flow(state, caller, params, &opts).await?;
    super::answer(GetDetectInfoResponse {
        detect_info: result::detect_info_legacy(
            &stored.flow,
            opts.selection,
            &media,
            state.clock().now_ms(),
        ),
    })
}
