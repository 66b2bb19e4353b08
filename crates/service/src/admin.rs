//! Administration: API keys, business flows (RuleId), eID merchants and the audit log. Every
//! change is recorded in the audit log with who made it; the CLI today, the console next.

use crate::error::{ServiceError, ServiceResult};
use heshen_core::rule::{MerchantConfig, ReviewStatus, RuleConfig};
use heshen_core::{IdCardNumber, PersonName};
use heshen_store::{NewApiKey, NewAuditEntry, RegistryIdentity, Store};
use heshen_vision::Engine;
use serde_json::{json, Value};

/// Who performs an administrative action and from where, as the audit log records it.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub name: &'a str,
    /// The address the request came from; empty for the CLI and heshen itself.
    pub origin: &'a str,
}

impl Actor<'static> {
    pub const CLI: Actor<'static> = Actor {
        name: "cli",
        origin: "",
    };
    /// heshen itself (first-start provisioning).
    pub const SYSTEM: Actor<'static> = Actor {
        name: "system",
        origin: "",
    };
}

impl<'a> Actor<'a> {
    pub fn new(name: &'a str, origin: &'a str) -> Self {
        Self { name, origin }
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Records an administrative action in the audit log; `app` is the app it concerned
/// (empty for system-wide actions).
pub async fn audit(
    store: &Store,
    actor: Actor<'_>,
    app: &str,
    action: &str,
    target: &str,
    detail: Value,
) -> ServiceResult<()> {
    store
        .append_audit(NewAuditEntry {
            at: now_ms(),
            actor: actor.name,
            action,
            target,
            detail: &detail,
            app_id: app,
            origin: actor.origin,
        })
        .await?;
    Ok(())
}

/// Creates an enabled API key in `app` (created when missing); the SecretKey is in the
/// answer and nowhere else in the clear.
pub async fn create_api_key(
    store: &Store,
    actor: Actor<'_>,
    app: &str,
    name: &str,
) -> ServiceResult<NewApiKey> {
    store.ensure_app(app, app).await?;
    let key = store.create_api_key(app, name).await?;
    audit(
        store,
        actor,
        app,
        "keys.create",
        &key.secret_id,
        json!({"name": name, "app": app}),
    )
    .await?;
    Ok(key)
}

pub async fn set_api_key_enabled(
    store: &Store,
    actor: Actor<'_>,
    secret_id: &str,
    enabled: bool,
) -> ServiceResult<()> {
    let key = store.api_key(secret_id).await?;
    let Some(key) = key else {
        return Err(ServiceError::Invalid(format!(
            "no API key with SecretId {secret_id}"
        )));
    };
    store.set_api_key_enabled(secret_id, enabled).await?;
    let action = if enabled {
        "keys.enable"
    } else {
        "keys.disable"
    };
    audit(store, actor, &key.app_id, action, secret_id, json!({})).await
}

/// Creates an approved business flow and returns its RuleId.
pub async fn create_rule(
    store: &Store,
    actor: Actor<'_>,
    app: &str,
    config: &RuleConfig,
) -> ServiceResult<String> {
    config
        .validate()
        .map_err(|e| ServiceError::Invalid(e.to_string()))?;
    store.ensure_app(app, app).await?;
    let value = serde_json::to_value(config).map_err(|e| ServiceError::Internal(e.to_string()))?;
    let rule_id = store
        .create_rule(app, &config.name, &value, ReviewStatus::Approved.as_str())
        .await?;
    audit(store, actor, app, "rules.create", &rule_id, value).await?;
    Ok(rule_id)
}

/// Creates an approved eID merchant and returns its MerchantId.
pub async fn create_merchant(
    store: &Store,
    actor: Actor<'_>,
    app: &str,
    name: &str,
    config: &MerchantConfig,
) -> ServiceResult<String> {
    store.ensure_app(app, app).await?;
    let value = serde_json::to_value(config).map_err(|e| ServiceError::Internal(e.to_string()))?;
    let merchant_id = store
        .create_merchant(app, name, &value, ReviewStatus::Approved.as_str())
        .await?;
    audit(
        store,
        actor,
        app,
        "merchants.create",
        &merchant_id,
        json!({"name": name, "app": app, "config": value}),
    )
    .await?;
    Ok(merchant_id)
}

/// Adds or replaces one person in heshen's own authority registry, with the embedding of
/// their photo computed now; `Ok(true)` when the person is new. The photo must show exactly
/// one usable face. Runs the engine on the calling thread: async callers on a server put it on
/// a blocking thread.
pub async fn enroll_identity(
    store: &Store,
    engine: &Engine,
    id_card: &str,
    name: &str,
    photo: Vec<u8>,
    source: &str,
) -> ServiceResult<bool> {
    let id = IdCardNumber::parse(id_card)
        .map_err(|e| ServiceError::Invalid(format!("ID number: {e}")))?;
    let name = PersonName::parse(name).map_err(|e| ServiceError::Invalid(format!("name: {e}")))?;
    let embedding = engine
        .decode(&photo)
        .and_then(|image| engine.embed(&image))
        .map_err(|e| ServiceError::Invalid(format!("photo: {e}")))?;
    Ok(store
        .upsert_identity(&RegistryIdentity {
            id_card: id.to_string(),
            name: name.to_string(),
            photo: Some(photo),
            embedding: Some(embedding.to_bytes()),
            source: source.to_string(),
        })
        .await?)
}
