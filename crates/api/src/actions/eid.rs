//! eID (E证通): GetEidToken, GetEidResult, CheckEidTokenStatus, and the encrypted
//! identity (EidInfo) a merchant receives.
//!
//! Tencent wraps EidInfo with SM2/SM4 under keys of the national eID centre. heshen
//! plays that centre itself: each merchant has a 256-bit key derived from the
//! deployment's root key (so every node agrees without storing it), handed to the
//! integrator once by `heshen merchants create`. EidInfo is then:
//! - `EidCode`: hex HMAC-SHA256(merchant key, "eid-code:" + ID number): a stable,
//!   merchant-scoped user identifier that reveals nothing across merchants;
//! - `EidSign`: base64 HMAC-SHA256(HMAC-SHA256(merchant key, "eid-sign"), EidCode);
//! - `DesKey`: a fresh 256-bit session key sealed with AES-256-GCM under the merchant key
//!   (base64 of nonce ‖ ciphertext ‖ tag);
//! - `UserInfo`: `{"name":…,"idnum":…}` sealed with AES-256-GCM under the session key.

use super::detect::{owned_flow, result_options};
use super::fields;
use crate::flows;
use crate::params::Params;
use crate::state::{AppState, Caller, MerchantEntry};
use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
use aes_gcm::Aes256Gcm;
use base64::Engine as _;
use heshen_core::flow::{Flow, FlowKind, FlowRequest, FlowSettings};
use heshen_core::result;
use heshen_core::rule::ReviewStatus;
use heshen_core::{ApiError, EidToken, ErrorCode, IdCardNumber};
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde_json::{json, Value};
use sha2::Sha256;

fn hmac(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(msg);
    mac.finalize().into_bytes().into()
}

/// The merchant's key, derived from the deployment's eID root key.
pub fn merchant_key(root: &[u8; 32], merchant_id: &str) -> [u8; 32] {
    hmac(root, format!("eid-merchant:{merchant_id}").as_bytes())
}

fn seal(key: &[u8; 32], plaintext: &[u8]) -> Result<String, ApiError> {
    let cipher =
        Aes256Gcm::new_from_slice(key).map_err(|_| ApiError::internal("bad key length"))?;
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    let sealed = cipher.encrypt(&nonce, plaintext).map_err(|_| {
        ApiError::new(
            ErrorCode::InternalErrorEncryptSystemError,
            "Encryption failed.",
        )
    })?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&sealed);
    Ok(base64::engine::general_purpose::STANDARD.encode(out))
}

/// Builds EidInfo for a verified person (see the module documentation for the scheme).
pub fn eid_info(
    root: &[u8; 32],
    merchant_id: &str,
    id_card: &str,
    name: &str,
) -> Result<Value, ApiError> {
    let key = merchant_key(root, merchant_id);
    let eid_code = hex::encode(hmac(&key, format!("eid-code:{id_card}").as_bytes()));
    let sign_key = hmac(&key, b"eid-sign");
    let eid_sign =
        base64::engine::general_purpose::STANDARD.encode(hmac(&sign_key, eid_code.as_bytes()));
    let mut session = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut session);
    let user_info = serde_json::to_vec(&json!({"name": name, "idnum": id_card}))
        .map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(json!({
        "EidCode": eid_code,
        "EidSign": eid_sign,
        "DesKey": seal(&key, &session)?,
        "UserInfo": seal(&session, &user_info)?,
    }))
}

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
    let merchant = state.merchant(merchant_id).await?.ok_or_else(not_found)?;
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
    params.allow_only(&[
        "MerchantId",
        "IdCard",
        "Name",
        "Extra",
        "Config",
        "RedirectUrl",
        "Encryption",
    ])?;
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
    flows::create(
        state,
        token.as_str(),
        &caller.app_id,
        &merchant.merchant_id,
        &caller.secret_id,
        &flow,
    )
    .await?;
    Ok(json!({
        "EidToken": token.as_str(),
        "Url": format!("{}/eid/start?token={}", state.config().public_url.trim_end_matches('/'), token),
    }))
}

pub async fn get_eid_result(
    state: &AppState,
    caller: &Caller,
    params: &Params,
) -> Result<Value, ApiError> {
    params.allow_only(&[
        "EidToken",
        "InfoType",
        "BestFramesCount",
        "IsCutIdCardImage",
        "IsNeedIdCardAvatar",
    ])?;
    let token = params.req_string("EidToken")?;
    let opts = result_options(params, "012356", 3)?;
    let stored = owned_flow(state, caller, &token, None, FlowKind::Eid, "EidToken").await?;
    let merchant = state.merchant(&stored.scope_id).await?;
    let flow = &stored.flow;
    let passed = flow.outcome.is_some_and(|o| o.code == 0);
    let eid_info = match (merchant, flow.subject()) {
        (Some(m), Some((id_card, name))) if passed && m.config.return_identity => {
            eid_info(state.key_root(), &m.merchant_id, id_card, name)?
        }
        _ => Value::Null,
    };
    let media = flows::load_media(state, &token, opts.media_needed(flow)).await?;
    Ok(result::eid_result(
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
    params.allow_only(&["EidToken"])?;
    let token = params.req_string("EidToken")?;
    let stored = owned_flow(state, caller, &token, None, FlowKind::Eid, "EidToken").await?;
    Ok(json!({ "Status": stored.flow.status(state.clock().now_ms()).as_str() }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aes_gcm::aead::generic_array::GenericArray;

    fn open(key: &[u8], sealed_b64: &str) -> Vec<u8> {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(sealed_b64)
            .unwrap();
        let (nonce, ct) = raw.split_at(12);
        Aes256Gcm::new_from_slice(key)
            .unwrap()
            .decrypt(GenericArray::from_slice(nonce), ct)
            .unwrap()
    }

    #[test]
    fn a_merchant_can_open_its_eid_info() {
        let root = [7u8; 32];
        let info = eid_info(&root, "0NSJ2203", "11010519491231002X", "张三").unwrap();
        let key = merchant_key(&root, "0NSJ2203");
        let session = open(&key, info["DesKey"].as_str().unwrap());
        let user: Value =
            serde_json::from_slice(&open(&session, info["UserInfo"].as_str().unwrap())).unwrap();
        assert_eq!(user["idnum"], "11010519491231002X");
        assert_eq!(user["name"], "张三");
        let again = eid_info(&root, "0NSJ2203", "11010519491231002X", "张三").unwrap();
        assert_eq!(
            info["EidCode"], again["EidCode"],
            "EidCode is stable per merchant"
        );
        let other = eid_info(&root, "0NSJ9999", "11010519491231002X", "张三").unwrap();
        assert_ne!(
            info["EidCode"], other["EidCode"],
            "and differs across merchants"
        );
    }
}
