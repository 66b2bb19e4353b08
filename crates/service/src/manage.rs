//! What a signed-in console user does to apps, API keys, business flows (with review) and
//! the audit log. Every function takes the [`Operator`] and checks their role and apps
//! itself, so no page can forget to; an object of an app the user may not see answers
//! [`ServiceError::NotFound`], the same as one that does not exist.

use crate::admin::audit;
use crate::console::{Operator, Permission};
use crate::error::{ServiceError, ServiceResult};
use crate::state::AppState;
use heshen_core::rule::{MerchantConfig, ReviewStatus, RuleConfig};
use heshen_store::{AuditFilter, NewRevision};
// What the console's pages read back, without the pages depending on the store.
pub use heshen_store::{
    ApiKeyInfo, App, AuditChain, AuditEntry, FlowSearch, FlowSummary, Merchant, NewApiKey,
    ResultFilter, Revision, RevisionKind, Rule,
};
use serde_json::json;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// An app id: 2–32 of `a-z 0-9 -`, starting with a letter.
pub fn valid_app_id(id: &str) -> bool {
    (2..=32).contains(&id.len())
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn checked_name(name: &str, what: &str) -> ServiceResult<String> {
    let name = name.trim();
    let len = name.chars().count();
    if len == 0 || len > 64 || name.chars().any(char::is_control) {
        return Err(ServiceError::Invalid(format!(
            "{what} must be 1 to 64 characters"
        )));
    }
    Ok(name.to_string())
}

pub async fn list_apps(state: &AppState, operator: &Operator) -> ServiceResult<Vec<App>> {
    let apps = state.store().list_apps().await?;
    Ok(apps
        .into_iter()
        .filter(|a| operator.may_use_app(&a.app_id))
        .collect())
}

pub async fn app(state: &AppState, operator: &Operator, app_id: &str) -> ServiceResult<App> {
    if !operator.may_use_app(app_id) {
        return Err(ServiceError::NotFound);
    }
    state
        .store()
        .app(app_id)
        .await?
        .ok_or(ServiceError::NotFound)
}

pub async fn create_app(
    state: &AppState,
    operator: &Operator,
    app_id: &str,
    name: &str,
) -> ServiceResult<()> {
    operator.require(Permission::CreateApps)?;
    if !valid_app_id(app_id) {
        return Err(ServiceError::Invalid(
            "an app id is 2 to 32 of a-z, 0-9 and '-', starting with a letter".into(),
        ));
    }
    let name = checked_name(name, "an app name")?;
    if !state.store().ensure_app(app_id, &name).await? {
        return Err(ServiceError::Invalid(format!("the app {app_id} exists")));
    }
    audit(
        state.store(),
        operator.actor(),
        app_id,
        "apps.create",
        app_id,
        json!({"name": name}),
    )
    .await
}

pub async fn list_keys(
    state: &AppState,
    operator: &Operator,
    app_id: &str,
) -> ServiceResult<Vec<ApiKeyInfo>> {
    operator.require_in(Permission::ManageKeys, app_id)?;
    Ok(state.store().list_api_keys_of(app_id).await?)
}

/// Creates a key; its SecretKey is in the answer and never shown again.
pub async fn create_key(
    state: &AppState,
    operator: &Operator,
    app_id: &str,
    name: &str,
) -> ServiceResult<NewApiKey> {
    operator.require_in(Permission::ManageKeys, app_id)?;
    app(state, operator, app_id).await?;
    let name = checked_name(name, "a key name")?;
    crate::admin::create_api_key(state.store(), operator.actor(), app_id, &name).await
}

/// The legacy protocol's appids of an app (seed 003), managed like its API keys.
pub async fn list_legacy_apps(
    state: &AppState,
    operator: &Operator,
    app_id: &str,
) -> ServiceResult<Vec<heshen_store::LegacyApp>> {
    operator.require_in(Permission::ManageKeys, app_id)?;
    Ok(state.store().list_legacy_apps(Some(app_id)).await?)
}

/// Creates a legacy appid; its secret key is in the answer and never shown again.
pub async fn create_legacy_app(
    state: &AppState,
    operator: &Operator,
    app_id: &str,
    name: &str,
    config: &heshen_core::rule::LegacyConfig,
) -> ServiceResult<(String, String)> {
    operator.require_in(Permission::ManageKeys, app_id)?;
    app(state, operator, app_id).await?;
    let name = checked_name(name, "a legacy appid's name")?;
    let id = crate::legacy::create(state.store(), operator.actor(), app_id, &name, config).await?;
    let secret = crate::legacy::secret_key(state.keys(), &id);
    Ok((id, secret))
}

pub async fn disable_legacy_app(
    state: &AppState,
    operator: &Operator,
    app_id: &str,
    legacy_app_id: &str,
) -> ServiceResult<()> {
    operator.require_in(Permission::ManageKeys, app_id)?;
    app(state, operator, app_id).await?;
    if crate::legacy::disable(state.store(), operator.actor(), app_id, legacy_app_id).await? {
        Ok(())
    } else {
        Err(ServiceError::NotFound)
    }
}

async fn key_in(
    state: &AppState,
    operator: &Operator,
    app_id: &str,
    secret_id: &str,
) -> ServiceResult<ApiKeyInfo> {
    list_keys(state, operator, app_id)
        .await?
        .into_iter()
        .find(|k| k.secret_id == secret_id)
        .ok_or(ServiceError::NotFound)
}

pub async fn set_key_enabled(
    state: &AppState,
    operator: &Operator,
    app_id: &str,
    secret_id: &str,
    enabled: bool,
) -> ServiceResult<()> {
    key_in(state, operator, app_id, secret_id).await?;
    crate::admin::set_api_key_enabled(state.store(), operator.actor(), secret_id, enabled).await?;
    state.invalidate_key(secret_id).await;
    Ok(())
}

/// Replaces a key with a new one of the same name; the old one stops working at once.
pub async fn rotate_key(
    state: &AppState,
    operator: &Operator,
    app_id: &str,
    secret_id: &str,
) -> ServiceResult<NewApiKey> {
    let old = key_in(state, operator, app_id, secret_id).await?;
    let new = state.store().create_api_key(app_id, &old.name).await?;
    state.store().set_api_key_enabled(secret_id, false).await?;
    state
        .store()
        .set_api_key_allowed_ips(&new.secret_id, &old.allowed_ips)
        .await?;
    state.invalidate_key(secret_id).await;
    audit(
        state.store(),
        operator.actor(),
        app_id,
        "keys.rotate",
        secret_id,
        json!({"replaced_by": new.secret_id}),
    )
    .await?;
    Ok(new)
}

/// Parses an allow-list: addresses or CIDR blocks, separated by commas, spaces or lines.
pub fn parse_allowed_ips(text: &str) -> ServiceResult<String> {
    let mut blocks = Vec::new();
    for item in text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
    {
        let (address, prefix) = item.split_once('/').unwrap_or((item, ""));
        let parsed: std::net::IpAddr = address.parse().map_err(|_| {
            ServiceError::Invalid(format!("{item} is not an IP address or CIDR block"))
        })?;
        if !prefix.is_empty() {
            let max = if parsed.is_ipv4() { 32 } else { 128 };
            match prefix.parse::<u8>() {
                Ok(bits) if bits <= max => {}
                _ => {
                    return Err(ServiceError::Invalid(format!(
                        "{item} has a bad prefix length"
                    )))
                }
            }
        }
        blocks.push(item.to_string());
    }
    Ok(blocks.join(","))
}

/// Whether `address` may use a key with this allow-list (empty: any).
pub fn ip_allowed(allowed: &str, address: std::net::IpAddr) -> bool {
    if allowed.trim().is_empty() {
        return true;
    }
    allowed.split(',').any(|block| {
        let (net, prefix) = block.split_once('/').unwrap_or((block, ""));
        let Ok(net) = net.trim().parse::<std::net::IpAddr>() else {
            return false;
        };
        match (net, address) {
            (std::net::IpAddr::V4(net), std::net::IpAddr::V4(addr)) => {
                let bits: u32 = prefix.parse().unwrap_or(32).min(32);
                let mask = if bits == 0 {
                    0
                } else {
                    u32::MAX << (32 - bits)
                };
                u32::from(net) & mask == u32::from(addr) & mask
            }
            (std::net::IpAddr::V6(net), std::net::IpAddr::V6(addr)) => {
                let bits: u32 = prefix.parse().unwrap_or(128).min(128);
                let mask = if bits == 0 {
                    0
                } else {
                    u128::MAX << (128 - bits)
                };
                u128::from(net) & mask == u128::from(addr) & mask
            }
            _ => false,
        }
    })
}

pub async fn set_key_allowed_ips(
    state: &AppState,
    operator: &Operator,
    app_id: &str,
    secret_id: &str,
    allowed: &str,
) -> ServiceResult<()> {
    key_in(state, operator, app_id, secret_id).await?;
    let allowed = parse_allowed_ips(allowed)?;
    state
        .store()
        .set_api_key_allowed_ips(secret_id, &allowed)
        .await?;
    state.invalidate_key(secret_id).await;
    audit(
        state.store(),
        operator.actor(),
        app_id,
        "keys.allowed_ips",
        secret_id,
        json!({"allowed_ips": allowed}),
    )
    .await
}

/// The app's key for `Encryption` fields (base64), shown to who manages its keys.
pub async fn encryption_key(
    state: &AppState,
    operator: &Operator,
    app_id: &str,
) -> ServiceResult<String> {
    use base64::Engine as _;
    operator.require_in(Permission::ManageKeys, app_id)?;
    app(state, operator, app_id).await?;
    audit(
        state.store(),
        operator.actor(),
        app_id,
        "keys.encryption_key",
        app_id,
        json!({}),
    )
    .await?;
    Ok(base64::engine::general_purpose::STANDARD.encode(state.keys().app_encryption_key(app_id)))
}

/// A rule as the console lists it: what serves, and the newest revision.
#[derive(Debug, Clone)]
pub struct RuleSummary {
    pub rule: Rule,
    /// Whether the rule issues tokens (an approved revision serves).
    pub serving: bool,
    pub latest: Option<Revision>,
}

pub async fn list_rules(
    state: &AppState,
    operator: &Operator,
    app_id: &str,
) -> ServiceResult<Vec<RuleSummary>> {
    app(state, operator, app_id).await?;
    let store = state.store();
    let mut summaries = Vec::new();
    for rule in store.list_rules(Some(app_id)).await? {
        let latest = store
            .revisions_of(RevisionKind::Rule, &rule.rule_id)
            .await?
            .into_iter()
            .next();
        summaries.push(RuleSummary {
            serving: ReviewStatus::parse(&rule.status) == Some(ReviewStatus::Approved),
            rule,
            latest,
        });
    }
    Ok(summaries)
}

pub async fn rule(
    state: &AppState,
    operator: &Operator,
    app_id: &str,
    rule_id: &str,
) -> ServiceResult<(Rule, Vec<Revision>)> {
    app(state, operator, app_id).await?;
    let rule = state
        .store()
        .rule(rule_id)
        .await?
        .filter(|r| r.app_id == app_id)
        .ok_or(ServiceError::NotFound)?;
    let revisions = state
        .store()
        .revisions_of(RevisionKind::Rule, rule_id)
        .await?;
    Ok((rule, revisions))
}

/// Starts a new business flow: the rule exists (not serving) with a first draft.
pub async fn start_rule(
    state: &AppState,
    operator: &Operator,
    app_id: &str,
) -> ServiceResult<(String, i64)> {
    operator.require_in(Permission::EditRules, app_id)?;
    app(state, operator, app_id).await?;
    let config = RuleConfig::default();
    let value = serde_json::to_value(&config).map_err(|e| ServiceError::Internal(e.to_string()))?;
    let store = state.store();
    let rule_id = store
        .create_rule(app_id, &config.name, &value, "draft")
        .await?;
    let revision = store
        .create_revision(NewRevision {
            kind: RevisionKind::Rule,
            subject_id: &rule_id,
            app_id,
            name: &config.name,
            config: &value,
            author: &operator.username,
            now_ms: now_ms(),
        })
        .await?;
    audit(
        store,
        operator.actor(),
        app_id,
        "rules.draft",
        &rule_id,
        json!({"revision": revision}),
    )
    .await?;
    Ok((rule_id, revision))
}

/// The draft to edit: the open draft, or a new one from the newest revision (a rejected
/// one keeps its content to be mended). Refused while a revision waits for review.
pub async fn edit_rule(
    state: &AppState,
    operator: &Operator,
    app_id: &str,
    rule_id: &str,
) -> ServiceResult<i64> {
    operator.require_in(Permission::EditRules, app_id)?;
    let (rule, revisions) = rule(state, operator, app_id, rule_id).await?;
    let store = state.store();
    match revisions.first() {
        Some(latest) if latest.status == "draft" => Ok(latest.revision),
        Some(latest) if latest.status == "pending" => Err(ServiceError::Invalid(
            "a version of this flow is waiting for review".into(),
        )),
        latest => {
            let (name, config) = latest
                .filter(|r| r.status == "rejected")
                .map_or((rule.name.clone(), rule.config.clone()), |r| {
                    (r.name.clone(), r.config.clone())
                });
            let revision = store
                .create_revision(NewRevision {
                    kind: RevisionKind::Rule,
                    subject_id: rule_id,
                    app_id,
                    name: &name,
                    config: &config,
                    author: &operator.username,
                    now_ms: now_ms(),
                })
                .await?;
            audit(
                store,
                operator.actor(),
                app_id,
                "rules.draft",
                rule_id,
                json!({"revision": revision}),
            )
            .await?;
            Ok(revision)
        }
    }
}

/// One revision of a rule in the user's app, with its configuration parsed.
pub async fn revision(
    state: &AppState,
    operator: &Operator,
    app_id: &str,
    rule_id: &str,
    revision: i64,
) -> ServiceResult<(Revision, RuleConfig)> {
    app(state, operator, app_id).await?;
    let found = state
        .store()
        .revision(RevisionKind::Rule, rule_id, revision)
        .await?
        .filter(|r| r.app_id == app_id)
        .ok_or(ServiceError::NotFound)?;
    let config = serde_json::from_value(found.config.clone())
        .map_err(|e| ServiceError::corrupt("rule revision", e))?;
    Ok((found, config))
}

/// Saves a wizard step into the draft; the whole configuration must stay valid.
pub async fn save_draft(
    state: &AppState,
    operator: &Operator,
    app_id: &str,
    rule_id: &str,
    number: i64,
    config: &RuleConfig,
) -> ServiceResult<()> {
    operator.require_in(Permission::EditRules, app_id)?;
    revision(state, operator, app_id, rule_id, number).await?;
    config
        .validate()
        .map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let value = serde_json::to_value(config).map_err(|e| ServiceError::Internal(e.to_string()))?;
    if !state
        .store()
        .update_draft(RevisionKind::Rule, rule_id, number, &config.name, &value)
        .await?
    {
        return Err(ServiceError::Invalid(
            "this version was submitted and can no longer change".into(),
        ));
    }
    Ok(())
}

pub async fn submit_rule(
    state: &AppState,
    operator: &Operator,
    app_id: &str,
    rule_id: &str,
    number: i64,
) -> ServiceResult<()> {
    operator.require_in(Permission::EditRules, app_id)?;
    let (_, config) = revision(state, operator, app_id, rule_id, number).await?;
    config
        .validate_for_review()
        .map_err(|e| ServiceError::Invalid(e.to_string()))?;
    if !state
        .store()
        .submit_revision(RevisionKind::Rule, rule_id, number, now_ms())
        .await?
    {
        return Err(ServiceError::Invalid(
            "this version was already submitted".into(),
        ));
    }
    audit(
        state.store(),
        operator.actor(),
        app_id,
        "rules.submit",
        rule_id,
        json!({"revision": number}),
    )
    .await
}

/// What waits for review in the apps the user sees.
pub async fn review_queue(state: &AppState, operator: &Operator) -> ServiceResult<Vec<Revision>> {
    operator.require(Permission::Review)?;
    Ok(state
        .store()
        .revisions_in("pending", None)
        .await?
        .into_iter()
        .filter(|r| operator.may_use_app(&r.app_id))
        .collect())
}

/// A reviewer's decision on a pending version of a rule.
pub async fn review_rule(
    state: &AppState,
    operator: &Operator,
    app_id: &str,
    rule_id: &str,
    number: i64,
    approve: bool,
    note: &str,
) -> ServiceResult<()> {
    operator.require_in(Permission::Review, app_id)?;
    let (found, _) = revision(state, operator, app_id, rule_id, number).await?;
    decide(state, operator, &found, approve, note).await?;
    state.invalidate_rule(rule_id).await;
    Ok(())
}

/// Approves or rejects a pending revision of either kind. Nobody reviews their own work,
/// and a rejection says why.
async fn decide(
    state: &AppState,
    operator: &Operator,
    found: &Revision,
    approve: bool,
    note: &str,
) -> ServiceResult<()> {
    if found.author == operator.username {
        return Err(ServiceError::Invalid(
            "a version is reviewed by someone other than its author".into(),
        ));
    }
    let note = note.trim();
    if note.chars().count() > 500 {
        return Err(ServiceError::Invalid(
            "a note is at most 500 characters".into(),
        ));
    }
    if !approve && note.is_empty() {
        return Err(ServiceError::Invalid(
            "say in the note why the version is rejected".into(),
        ));
    }
    let store = state.store();
    let now = now_ms();
    let (kind, subject) = (found.kind, found.subject_id.as_str());
    let moved = if approve {
        store
            .approve_revision(kind, subject, found.revision, &operator.username, note, now)
            .await?
    } else {
        store
            .reject_revision(kind, subject, found.revision, &operator.username, note, now)
            .await?
    };
    if !moved {
        return Err(ServiceError::Invalid(
            "this version is not waiting for review".into(),
        ));
    }
    let action = match (kind, approve) {
        (RevisionKind::Rule, true) => "rules.approve",
        (RevisionKind::Rule, false) => "rules.reject",
        (RevisionKind::Merchant, true) => "merchants.approve",
        (RevisionKind::Merchant, false) => "merchants.reject",
    };
    audit(
        store,
        operator.actor(),
        &found.app_id,
        action,
        subject,
        json!({"revision": found.revision, "note": note}),
    )
    .await
}

/// A page of the audit log, newest first, of the apps the user sees.
pub async fn audit_log(
    state: &AppState,
    operator: &Operator,
    before_id: Option<i64>,
    limit: u32,
) -> ServiceResult<Vec<AuditEntry>> {
    operator.require(Permission::ViewAudit)?;
    let filter = AuditFilter {
        apps: operator.app_scope(),
        before_id,
    };
    Ok(state.store().list_audit(limit, &filter).await?)
}

/// Checks the whole chain (who may read the log may check it).
pub async fn verify_audit(state: &AppState, operator: &Operator) -> ServiceResult<AuditChain> {
    operator.require(Permission::ViewAudit)?;
    Ok(state.store().verify_audit().await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_lists_parse_and_match() {
        assert_eq!(
            parse_allowed_ips("10.0.0.0/8, 192.168.1.7\n::1").unwrap(),
            "10.0.0.0/8,192.168.1.7,::1"
        );
        assert!(parse_allowed_ips("10.0.0.0/33").is_err());
        assert!(parse_allowed_ips("example.com").is_err());
        let allowed = "10.0.0.0/8,192.168.1.7,::1";
        assert!(ip_allowed(allowed, "10.20.30.40".parse().unwrap()));
        assert!(ip_allowed(allowed, "192.168.1.7".parse().unwrap()));
        assert!(!ip_allowed(allowed, "192.168.1.8".parse().unwrap()));
        assert!(ip_allowed(allowed, "::1".parse().unwrap()));
        assert!(!ip_allowed(allowed, "11.0.0.1".parse().unwrap()));
        assert!(ip_allowed("", "11.0.0.1".parse().unwrap()));
    }

    #[test]
    fn app_ids_are_slugs() {
        assert!(valid_app_id("shop-1"));
        assert!(!valid_app_id("Shop"));
        assert!(!valid_app_id("a"));
        assert!(!valid_app_id("shop/../x"));
    }
}

/// An eID merchant as the console lists it.
#[derive(Debug, Clone)]
pub struct MerchantSummary {
    pub merchant: Merchant,
    /// Whether GetEidToken accepts it (an approved revision serves).
    pub serving: bool,
    pub latest: Option<Revision>,
}

fn checked_merchant_config(config: &MerchantConfig) -> ServiceResult<()> {
    if !(1..=10).contains(&config.max_attempts) {
        return Err(ServiceError::Invalid("attempts must be 1 to 10".into()));
    }
    if !(0.0..=100.0).contains(&config.sim_threshold) {
        return Err(ServiceError::Invalid(
            "the similarity pass line must be between 0 and 100".into(),
        ));
    }
    Ok(())
}

pub async fn list_merchants(
    state: &AppState,
    operator: &Operator,
    app_id: &str,
) -> ServiceResult<Vec<MerchantSummary>> {
    app(state, operator, app_id).await?;
    let store = state.store();
    let mut summaries = Vec::new();
    for merchant in store.list_merchants(Some(app_id)).await? {
        let latest = store
            .revisions_of(RevisionKind::Merchant, &merchant.merchant_id)
            .await?
            .into_iter()
            .next();
        summaries.push(MerchantSummary {
            serving: ReviewStatus::parse(&merchant.status) == Some(ReviewStatus::Approved),
            merchant,
            latest,
        });
    }
    Ok(summaries)
}

/// Applies for an eID merchant (seed 001): the merchant exists at once, not serving, with
/// its application waiting for review; the MerchantId is issued on approval.
pub async fn apply_merchant(
    state: &AppState,
    operator: &Operator,
    app_id: &str,
    name: &str,
    config: &MerchantConfig,
) -> ServiceResult<(String, i64)> {
    operator.require_in(Permission::EditRules, app_id)?;
    app(state, operator, app_id).await?;
    let name = checked_name(name, "a merchant name")?;
    checked_merchant_config(config)?;
    let value = serde_json::to_value(config).map_err(|e| ServiceError::Internal(e.to_string()))?;
    let store = state.store();
    let merchant_id = store
        .create_merchant(app_id, &name, &value, "pending")
        .await?;
    let now = now_ms();
    let revision = store
        .create_revision(NewRevision {
            kind: RevisionKind::Merchant,
            subject_id: &merchant_id,
            app_id,
            name: &name,
            config: &value,
            author: &operator.username,
            now_ms: now,
        })
        .await?;
    store
        .submit_revision(RevisionKind::Merchant, &merchant_id, revision, now)
        .await?;
    audit(
        store,
        operator.actor(),
        app_id,
        "merchants.apply",
        &merchant_id,
        json!({"revision": revision, "name": name, "config": value}),
    )
    .await?;
    Ok((merchant_id, revision))
}

pub async fn merchant(
    state: &AppState,
    operator: &Operator,
    app_id: &str,
    merchant_id: &str,
) -> ServiceResult<(Merchant, Vec<Revision>)> {
    app(state, operator, app_id).await?;
    let merchant = state
        .store()
        .merchant(merchant_id)
        .await?
        .filter(|m| m.app_id == app_id)
        .ok_or(ServiceError::NotFound)?;
    let revisions = state
        .store()
        .revisions_of(RevisionKind::Merchant, merchant_id)
        .await?;
    Ok((merchant, revisions))
}

/// A reviewer's decision on a merchant's pending application.
pub async fn review_merchant(
    state: &AppState,
    operator: &Operator,
    app_id: &str,
    merchant_id: &str,
    number: i64,
    approve: bool,
    note: &str,
) -> ServiceResult<()> {
    operator.require_in(Permission::Review, app_id)?;
    let (_, revisions) = merchant(state, operator, app_id, merchant_id).await?;
    let found = revisions
        .into_iter()
        .find(|r| r.revision == number)
        .ok_or(ServiceError::NotFound)?;
    decide(state, operator, &found, approve, note).await?;
    state.invalidate_merchant(merchant_id).await;
    Ok(())
}

/// The merchant's key (base64), which decrypts the identity in its GetEidResult answers;
/// shown to who runs the app once the merchant serves.
pub async fn merchant_key(
    state: &AppState,
    operator: &Operator,
    app_id: &str,
    merchant_id: &str,
) -> ServiceResult<String> {
    use base64::Engine as _;
    operator.require_in(Permission::ManageKeys, app_id)?;
    let (found, _) = merchant(state, operator, app_id, merchant_id).await?;
    if found.status != ReviewStatus::Approved.as_str() {
        return Err(ServiceError::Invalid(
            "the merchant key is given once the application is approved".into(),
        ));
    }
    audit(
        state.store(),
        operator.actor(),
        app_id,
        "merchants.key",
        merchant_id,
        json!({}),
    )
    .await?;
    Ok(base64::engine::general_purpose::STANDARD.encode(state.keys().merchant_key(merchant_id)))
}

/// A page of the app's verification records, newest first.
pub async fn records(
    state: &AppState,
    operator: &Operator,
    app_id: &str,
    search: &FlowSearch,
    limit: u32,
) -> ServiceResult<Vec<FlowSummary>> {
    operator.require_in(Permission::ViewRecords, app_id)?;
    app(state, operator, app_id).await?;
    Ok(state.store().search_flows(app_id, search, limit).await?)
}

async fn summary_of(state: &AppState, app_id: &str, token: &str) -> ServiceResult<FlowSummary> {
    let search = FlowSearch {
        token: Some(token.to_string()),
        ..FlowSearch::default()
    };
    state
        .store()
        .search_flows(app_id, &search, 1)
        .await?
        .into_iter()
        .next()
        .ok_or(ServiceError::NotFound)
}

/// A record of the app, decrypted.
async fn load_record(
    state: &AppState,
    operator: &Operator,
    app_id: &str,
    token: &str,
) -> ServiceResult<(FlowSummary, crate::flows::StoredFlow)> {
    operator.require_in(Permission::ViewRecords, app_id)?;
    app(state, operator, app_id).await?;
    let summary = summary_of(state, app_id, token).await?;
    let stored = crate::flows::load(state, token, crate::flows::ANY_KIND)
        .await?
        .ok_or(ServiceError::NotFound)?;
    Ok((summary, stored))
}

/// One record, opened (personal data: the opening is audited).
pub async fn record(
    state: &AppState,
    operator: &Operator,
    app_id: &str,
    token: &str,
) -> ServiceResult<(FlowSummary, crate::flows::StoredFlow)> {
    let found = load_record(state, operator, app_id, token).await?;
    audit(
        state.store(),
        operator.actor(),
        app_id,
        "records.open",
        token,
        json!({}),
    )
    .await?;
    Ok(found)
}

/// The media objects a flow names (card photos, best frames, videos).
pub fn media_names(flow: &heshen_core::flow::Flow) -> Vec<String> {
    let media = &flow.media;
    let mut names: Vec<String> = [
        &media.ocr_front,
        &media.ocr_back,
        &media.processed_front,
        &media.processed_back,
        &media.avatar,
    ]
    .into_iter()
    .flatten()
    .cloned()
    .collect();
    for attempt in &flow.attempts {
        let outcome = &attempt.outcome;
        names.extend(outcome.best_frame.iter().cloned());
        names.extend(outcome.extra_frames.iter().cloned());
        names.extend(outcome.video.iter().cloned());
    }
    names.dedup();
    names
}

/// One media object of a record, if the record names it.
pub async fn record_media(
    state: &AppState,
    operator: &Operator,
    app_id: &str,
    token: &str,
    name: &str,
) -> ServiceResult<Vec<u8>> {
    let (_, stored) = load_record(state, operator, app_id, token).await?;
    if !media_names(&stored.flow).iter().any(|n| n == name) {
        return Err(ServiceError::NotFound);
    }
    state
        .store()
        .get_media(token, name)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// Whether a record's rule asks a reviewer to decide on it (人工复核). An eID or legacy flow, or
/// a rule since deleted, asks nothing.
pub async fn review_asked(state: &AppState, stored: &crate::flows::StoredFlow) -> bool {
    stored.flow.kind == heshen_core::flow::FlowKind::Detect
        && state
            .rule(&stored.scope_id)
            .await
            .ok()
            .flatten()
            .is_some_and(|rule| rule.config.manual_review)
}

/// A reviewer's decision on a finished record whose rule asks for one; once, audited.
pub async fn review_record(
    state: &AppState,
    operator: &Operator,
    app_id: &str,
    token: &str,
    approved: bool,
    note: &str,
) -> ServiceResult<()> {
    operator.require_in(Permission::Review, app_id)?;
    let (_, stored) = load_record(state, operator, app_id, token).await?;
    if !review_asked(state, &stored).await {
        return Err(ServiceError::Invalid(
            "this record's business flow asks for no manual review".into(),
        ));
    }
    let note = note.trim();
    if note.chars().count() > 500 || note.chars().any(|c| c.is_control() && c != '\n') {
        return Err(ServiceError::Invalid(
            "a review note is at most 500 characters".into(),
        ));
    }
    let review = heshen_core::flow::ManualReview {
        approved,
        note: note.to_string(),
        by: operator.username.clone(),
        at_ms: state.clock().now_ms(),
    };
    crate::flows::update(state, token, crate::flows::ANY_KIND, |flow, _| {
        flow.record_review(review.clone())
    })
    .await
    .map_err(|err| match err {
        ServiceError::Refused(code) if code.code == heshen_core::codes::ALREADY_COMPLETED.code => {
            ServiceError::Invalid("this record has been reviewed already".into())
        }
        ServiceError::Refused(_) => {
            ServiceError::Invalid("the flow has not finished: nothing to review yet".into())
        }
        other => other,
    })?;
    audit(
        state.store(),
        operator.actor(),
        app_id,
        if approved {
            "records.review_approve"
        } else {
            "records.review_reject"
        },
        token,
        json!({"note": note}),
    )
    .await
}

/// Erases a record and its media now, before its retention ends.
pub async fn erase_record(
    state: &AppState,
    operator: &Operator,
    app_id: &str,
    token: &str,
) -> ServiceResult<()> {
    operator.require_in(Permission::ActOnRecords, app_id)?;
    app(state, operator, app_id).await?;
    summary_of(state, app_id, token).await?;
    let report = state.store().erase_flow(token).await?;
    audit(
        state.store(),
        operator.actor(),
        app_id,
        "records.erase",
        token,
        json!({"media_objects": report.media_objects}),
    )
    .await
}
