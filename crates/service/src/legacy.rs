//! The legacy real-name mini-program protocol (seed 003, docs/legacy.md): its appids, the
//! verification mini-program's entry (a signed request that opens a flow) and the pull of a
//! finished flow's identity, encrypted for the appid.
//!
//! `data` is `base64(IV ‖ AES-256-CBC-PKCS7(SHA-256(secretkey), IV, JSON))` with a fresh
//! 16-byte IV: the integrator decrypts with nothing but the secret key it signs with.

use crate::admin::{audit, Actor};
use crate::error::{ServiceError, ServiceResult};
use crate::flows::{self, FlowOwner, StoredFlow};
use crate::state::{parse_config, AppState};
use aes::cipher::{block_padding::Pkcs7, BlockEncryptMut, KeyIvInit};
use base64::Engine as _;
use heshen_core::codes;
use heshen_core::flow::{Flow, FlowKind, FlowRequest, FlowSettings, Stage};
use heshen_core::legacy::{self, LegacyError, LegacySignature};
use heshen_core::result::MediaMap;
use heshen_core::rule::{LegacyConfig, ReviewStatus, RuleConfig};
use heshen_core::BizToken;
use heshen_store::{LegacyApp, Store};
use rand::RngCore;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// The longest `uid` (the integrator's openid of the person) taken.
const MAX_UID_LEN: usize = 128;

/// Creates an active legacy appid under `app`; its secret key is [`secret_key`] of it.
pub async fn create(
    store: &Store,
    actor: Actor<'_>,
    app: &str,
    name: &str,
    config: &LegacyConfig,
) -> ServiceResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 {
        return Err(ServiceError::Invalid(
            "a legacy appid needs a name of 1 to 64 characters".into(),
        ));
    }
    config
        .page_rule(name)
        .map_err(|e| ServiceError::Invalid(e.to_string()))?;
    store.ensure_app(app, app).await?;
    let value = serde_json::to_value(config).map_err(|e| ServiceError::Internal(e.to_string()))?;
    let id = store
        .create_legacy_app(app, name, &value, ReviewStatus::Approved.as_str())
        .await?;
    audit(
        store,
        actor,
        app,
        "legacy.create",
        &id,
        json!({"name": name, "config": value}),
    )
    .await?;
    Ok(id)
}

/// Disables a legacy appid: its signatures are refused from now on. `false` when there is no
/// such appid in `app`.
pub async fn disable(
    store: &Store,
    actor: Actor<'_>,
    app: &str,
    legacy_app_id: &str,
) -> ServiceResult<bool> {
    let Some(found) = store.legacy_app(legacy_app_id).await? else {
        return Ok(false);
    };
    if found.app_id != app {
        return Ok(false);
    }
    store
        .update_legacy_app(
            legacy_app_id,
            &found.name,
            &found.config,
            ReviewStatus::Disabled.as_str(),
        )
        .await?;
    audit(
        store,
        actor,
        app,
        "legacy.disable",
        legacy_app_id,
        json!({}),
    )
    .await?;
    Ok(true)
}

/// The secret key of a legacy appid: derived from the deployment's master key, so it is shown
/// at creation and never stored.
pub fn secret_key(keys: &crate::keys::KeyRing, legacy_app_id: &str) -> String {
    keys.legacy_secret(legacy_app_id)
}

fn unavailable(err: ServiceError) -> LegacyError {
    tracing::warn!(%err, "a legacy protocol request could not be served");
    LegacyError::Unavailable
}

/// The active appid a signature is for, once the signature holds for `api` and `appid`. Read
/// from the store, not the cache: a disabled appid is refused from the next request on.
async fn authenticate(
    state: &AppState,
    signature: &str,
    appid: &str,
    api: &str,
) -> Result<LegacyApp, LegacyError> {
    let parsed = LegacySignature::parse(signature)?;
    let app = state
        .store()
        .legacy_app(appid)
        .await
        .map_err(|e| unavailable(e.into()))?
        .filter(|app| app.status == ReviewStatus::Approved.as_str())
        .ok_or(LegacyError::UnknownApp)?;
    let now_s = state.clock().now_ms().div_euclid(1000);
    parsed.check(&secret_key(state.keys(), appid), appid, api, now_s)?;
    Ok(app)
}

/// The pages a legacy flow runs, from its appid's configuration.
pub async fn page_rule(state: &AppState, legacy_app_id: &str) -> ServiceResult<Option<RuleConfig>> {
    let Some(app) = state.legacy_app(legacy_app_id).await? else {
        return Ok(None);
    };
    let rule = app
        .config
        .page_rule(&app.name)
        .map_err(|e| ServiceError::corrupt("legacy appid configuration", e))?;
    Ok(Some(rule))
}

/// The verification mini-program's entry: `signature` (made for [`legacy::API_AUTH`]),
/// `uid` and `appid` open a flow; its token is what the mini-program returns with.
pub async fn start(
    state: &AppState,
    signature: &str,
    uid: &str,
    appid: &str,
) -> Result<String, LegacyError> {
    if uid.is_empty() || uid.len() > MAX_UID_LEN || appid.is_empty() {
        return Err(LegacyError::BadRequest);
    }
    let app = authenticate(state, signature, appid, legacy::API_AUTH).await?;
    let config: LegacyConfig =
        parse_config("legacy appid configuration", &app.config).map_err(unavailable)?;
    let now = state.clock().now_ms();
    let token = BizToken::generate();
    let request = FlowRequest {
        extra: Some(uid.to_string()),
        ..FlowRequest::default()
    };
    let settings = FlowSettings {
        max_attempts: config.max_attempts,
        sim_threshold: config.sim_threshold,
        liveness_mode: config.liveness.mode_number(),
        compare_lib_type: Some("权威库".into()),
    };
    let ttl = state.config().biz_token_ttl.as_millis() as i64;
    let flow = Flow::new(FlowKind::Legacy, request, settings, now, ttl);
    let owner = FlowOwner {
        app_id: &app.app_id,
        scope_id: &app.legacy_app_id,
        secret_id: &app.legacy_app_id,
        channel: "legacy",
    };
    flows::create(state, token.as_str(), &owner, &flow, Vec::new())
        .await
        .map_err(unavailable)?;
    Ok(token.to_string())
}

/// What `info_type` asks for: `0` or absent everything with the file buffers, `1` text only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InfoType {
    WithFiles,
    TextOnly,
}

/// `POST /new/cgi-bin/getdetectinfo.php`: a finished flow's identity and result, encrypted
/// for the appid (`data` of the reply).
pub async fn detect_info(
    state: &AppState,
    signature: &str,
    token: &str,
    appid: &str,
    info: InfoType,
) -> Result<String, LegacyError> {
    authenticate(state, signature, appid, legacy::API_GET_DETECT_INFO).await?;
    if BizToken::parse(token).is_none() {
        return Err(LegacyError::UnknownToken);
    }
    let now = state.clock().now_ms();
    let stored = flows::load(state, token, FlowKind::Legacy)
        .await
        .map_err(unavailable)?
        .filter(|s| s.scope_id == appid && now <= s.retain_until_ms)
        .ok_or(LegacyError::UnknownToken)?;
    if stored.flow.stage != Stage::Finished {
        return Err(if stored.flow.is_expired(now) {
            LegacyError::TokenExpired
        } else {
            LegacyError::NotFinished
        });
    }
    let media = match info {
        InfoType::WithFiles => flows::load_media(state, token, media_names(&stored.flow))
            .await
            .map_err(unavailable)?,
        InfoType::TextOnly => MediaMap::new(),
    };
    let document = detect_document(&stored, info, &media);
    Ok(seal(
        &secret_key(state.keys(), appid),
        document.to_string().as_bytes(),
    ))
}

fn media_names(flow: &Flow) -> Vec<String> {
    let mut names: Vec<String> = [&flow.media.ocr_front, &flow.media.ocr_back]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    if let Some(attempt) = flow.final_attempt() {
        let outcome = &attempt.outcome;
        names.extend(outcome.best_frame.iter().cloned());
        names.extend(outcome.extra_frames.iter().take(2).cloned());
        names.extend(outcome.video.iter().cloned());
    }
    names
}

/// The decrypted `data` document with seed 003's fields; absent values are empty strings,
/// as the seed's examples never show a null.
fn detect_document(stored: &StoredFlow, info: InfoType, media: &MediaMap) -> Value {
    let flow = &stored.flow;
    let identity = flow.identity.as_ref();
    let ocr = identity.and_then(|i| i.ocr.clone()).unwrap_or_default();
    let last = flow.final_attempt();
    let code = flow.outcome.map_or(codes::NOT_FINISHED.code, |o| o.code);
    let live = last.map(|a| codes::lookup(a.outcome.live_status));
    let compare = last
        .and_then(|a| a.outcome.compare_status)
        .map(codes::lookup);
    let text = |v: Option<String>| Value::String(v.unwrap_or_default());
    let mut doc = json!({
        "ID": text(identity.map(|i| i.id_card.clone())),
        "name": text(identity.map(|i| i.name.clone())),
        "phone": "",
        "sex": text(ocr.gender),
        "nation": text(ocr.nation),
        "ID_address": text(ocr.address),
        "ID_birth": text(ocr.birth),
        "ID_authority": text(ocr.authority),
        "ID_valid_date": text(ocr.valid_date),
        "validatedata": text(last.and_then(|a| a.outcome.read_digits.clone())),
        "yt_errorcode": legacy::exit_code(code).parse::<i64>().unwrap_or(601),
        "yt_errormsg": if code == 0 { "通过".to_string() } else { codes::lookup(code).message.to_string() },
        "livestatus": live.map_or(-1, |c| c.code),
        "livemsg": live.map_or("", |c| if c.code == 0 { "OK" } else { c.message }),
        "comparestatus": compare.map_or(-1, |c| c.code),
        "comparemsg": compare.map_or("", |c| if c.code == 0 { "OK" } else { c.message }),
        "type": 0,
    });
    if info == InfoType::WithFiles {
        let file = |name: Option<&String>| {
            Value::String(
                name.and_then(|n| media.get(n))
                    .map(|bytes| base64::engine::general_purpose::STANDARD.encode(bytes))
                    .unwrap_or_default(),
            )
        };
        let outcome = last.map(|a| &a.outcome);
        let frames: Vec<Option<&String>> = outcome.map_or(vec![None; 3], |o| {
            let mut frames = vec![o.best_frame.as_ref()];
            frames.extend(o.extra_frames.iter().take(2).map(Some));
            frames.resize(3, None);
            frames
        });
        let fields = doc.as_object_mut().expect("an object");
        fields.insert("frontpic".into(), file(flow.media.ocr_front.as_ref()));
        fields.insert("backpic".into(), file(flow.media.ocr_back.as_ref()));
        for (i, frame) in frames.into_iter().enumerate() {
            fields.insert(format!("videopic{}", i + 1), file(frame));
        }
        fields.insert("video".into(), file(outcome.and_then(|o| o.video.as_ref())));
    }
    doc
}

/// The key `data` is encrypted with: SHA-256 of the appid's secret key.
pub fn data_key(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// `base64(IV ‖ AES-256-CBC-PKCS7(data_key(secret), IV, plaintext))`.
pub fn seal(secret: &str, plaintext: &[u8]) -> String {
    let mut iv = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut iv);
    let key = data_key(secret);
    let sealed = cbc::Encryptor::<aes::Aes256>::new(&key.into(), &iv.into())
        .encrypt_padded_vec_mut::<Pkcs7>(plaintext);
    let mut out = iv.to_vec();
    out.extend(sealed);
    base64::engine::general_purpose::STANDARD.encode(out)
}

/// The exit `errCode` of a flow (seed 003), for the mini-program to return with.
pub fn exit_code(flow: &Flow) -> &'static str {
    flow.outcome
        .map_or("601", |outcome| legacy::exit_code(outcome.code))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aes::cipher::BlockDecryptMut;

    #[test]
    fn data_opens_with_the_secret_key_alone() {
        let sealed = seal("the secret", br#"{"ID":"1"}"#);
        let raw = base64::engine::general_purpose::STANDARD
            .decode(sealed)
            .unwrap();
        let (iv, body) = raw.split_at(16);
        let key = data_key("the secret");
        let iv: [u8; 16] = iv.try_into().unwrap();
        let plain = cbc::Decryptor::<aes::Aes256>::new(&key.into(), &iv.into())
            .decrypt_padded_vec_mut::<Pkcs7>(body)
            .unwrap();
        assert_eq!(plain, br#"{"ID":"1"}"#);
        let wrong = data_key("another secret");
        assert!(
            cbc::Decryptor::<aes::Aes256>::new(&wrong.into(), &iv.into())
                .decrypt_padded_vec_mut::<Pkcs7>(body)
                .map_or(true, |p| p != br#"{"ID":"1"}"#)
        );
    }
}
