//! Apps and their API keys.

use super::access::{CsrfForm, Ctx};
use super::views::{self, when, AppRow, KeyRow, LegacyRow, MerchantRow, RuleRow, SecretRow};
use super::{render, see};
use crate::Web;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use heshen_core::rule::{IdentitySource, LegacyConfig, LivenessKind};
use heshen_service::console::Permission;
use heshen_service::manage::NewApiKey;
use heshen_service::{manage, ServiceError};
use serde::Deserialize;

pub async fn list(State(web): State<Web>, ctx: Ctx) -> Response {
    apps_view(&web, &ctx, StatusCode::OK, String::new()).await
}

async fn apps_view(web: &Web, ctx: &Ctx, status: StatusCode, error: String) -> Response {
    let apps = match manage::list_apps(&web.state, ctx.operator()).await {
        Ok(apps) => apps,
        Err(err) => return ctx.fail(err),
    };
    render(
        status,
        &views::Apps {
            f: ctx.frame(ctx.w().apps_title),
            apps: apps
                .into_iter()
                .map(|a| AppRow {
                    created: when(a.created_at),
                    app_id: a.app_id,
                    name: a.name,
                })
                .collect(),
            may_create: ctx.operator().may(Permission::CreateApps),
            error,
        },
    )
}

#[derive(Deserialize)]
pub struct NewApp {
    app_id: String,
    name: String,
}

pub async fn create(
    State(web): State<Web>,
    ctx: Ctx,
    CsrfForm(form): CsrfForm<NewApp>,
) -> Response {
    match manage::create_app(&web.state, ctx.operator(), form.app_id.trim(), &form.name).await {
        Ok(()) => see(&format!("/console/apps/{}", form.app_id.trim())),
        Err(ServiceError::Invalid(why)) => {
            apps_view(&web, &ctx, StatusCode::BAD_REQUEST, why).await
        }
        Err(err) => ctx.fail(err),
    }
}

pub async fn overview(State(web): State<Web>, ctx: Ctx, Path(app_id): Path<String>) -> Response {
    let operator = ctx.operator();
    let app = match manage::app(&web.state, operator, &app_id).await {
        Ok(app) => app,
        Err(err) => return ctx.fail(err),
    };
    let may_keys = operator.may(Permission::ManageKeys);
    let keys = if may_keys {
        match manage::list_keys(&web.state, operator, &app_id).await {
            Ok(keys) => keys,
            Err(err) => return ctx.fail(err),
        }
    } else {
        Vec::new()
    };
    let legacy_apps = if may_keys {
        match manage::list_legacy_apps(&web.state, operator, &app_id).await {
            Ok(apps) => apps,
            Err(err) => return ctx.fail(err),
        }
    } else {
        Vec::new()
    };
    let rules = match manage::list_rules(&web.state, operator, &app_id).await {
        Ok(rules) => rules,
        Err(err) => return ctx.fail(err),
    };
    let merchants = match manage::list_merchants(&web.state, operator, &app_id).await {
        Ok(merchants) => merchants,
        Err(err) => return ctx.fail(err),
    };
    let w = ctx.w();
    render(
        StatusCode::OK,
        &views::AppPage {
            f: ctx.frame(&app.name),
            app_id: app.app_id,
            legacy_apps: legacy_apps
                .into_iter()
                .map(|a| {
                    let config: LegacyConfig = serde_json::from_value(a.config).unwrap_or_default();
                    LegacyRow {
                        legacy_app_id: a.legacy_app_id,
                        name: a.name,
                        active: a.status == "approved",
                        identity: if config.identity_source == IdentitySource::Manual {
                            w.legacy_identity_manual
                        } else {
                            w.legacy_identity_ocr
                        },
                        liveness: super::rules::liveness_name(w, config.liveness),
                    }
                })
                .collect(),
            merchants: merchants
                .into_iter()
                .map(|m| {
                    let latest_status = m
                        .latest
                        .as_ref()
                        .map_or_else(|| "approved".to_string(), |l| l.status.clone());
                    MerchantRow {
                        merchant_id: m.merchant.merchant_id,
                        name: m.merchant.name,
                        serving: m.serving,
                        latest_label: w.status(&latest_status),
                        latest_status,
                    }
                })
                .collect(),
            liveness: super::rules::liveness_choices(w, LivenessKind::Action),
            legacy_liveness: super::rules::liveness_choices(w, LivenessKind::Digits),
            may_keys,
            may_edit_rules: operator.may(Permission::EditRules),
            keys: keys
                .into_iter()
                .map(|k| KeyRow {
                    created: when(k.created_at),
                    last_used: k.last_used_at.map(when).unwrap_or_default(),
                    secret_id: k.secret_id,
                    name: k.name,
                    enabled: k.enabled,
                    allowed_ips: k.allowed_ips,
                })
                .collect(),
            rules: rules
                .into_iter()
                .map(|r| {
                    let latest_status = r
                        .latest
                        .as_ref()
                        .map_or_else(|| "approved".to_string(), |l| l.status.clone());
                    RuleRow {
                        rule_id: r.rule.rule_id,
                        name: r.rule.name,
                        serving: r.serving,
                        latest_label: w.status(&latest_status),
                        latest_status,
                    }
                })
                .collect(),
        },
    )
}

fn show_key(ctx: &Ctx, app_id: &str, key: &NewApiKey) -> Response {
    let w = ctx.w();
    render(
        StatusCode::OK,
        &views::Secret {
            f: ctx.frame(w.key_created_title),
            note: w.key_created_once.into(),
            rows: vec![
                SecretRow {
                    label: "SecretId".into(),
                    value: key.secret_id.clone(),
                    testid: "key-secret-id",
                },
                SecretRow {
                    label: "SecretKey".into(),
                    value: key.secret_key.clone(),
                    testid: "key-secret-key",
                },
            ],
            back: format!("/console/apps/{app_id}"),
        },
    )
}

#[derive(Deserialize)]
pub struct NewKey {
    name: String,
}

pub async fn create_key(
    State(web): State<Web>,
    ctx: Ctx,
    Path(app_id): Path<String>,
    CsrfForm(form): CsrfForm<NewKey>,
) -> Response {
    match manage::create_key(&web.state, ctx.operator(), &app_id, &form.name).await {
        Ok(key) => show_key(&ctx, &app_id, &key),
        Err(err) => ctx.fail(err),
    }
}

#[derive(Deserialize)]
pub struct KeyForm {
    #[serde(default)]
    allowed_ips: String,
}

pub async fn key_operation(
    State(web): State<Web>,
    ctx: Ctx,
    Path((app_id, secret_id, operation)): Path<(String, String, String)>,
    CsrfForm(form): CsrfForm<KeyForm>,
) -> Response {
    let state = &web.state;
    let operator = ctx.operator();
    let done = match operation.as_str() {
        "disable" => manage::set_key_enabled(state, operator, &app_id, &secret_id, false).await,
        "enable" => manage::set_key_enabled(state, operator, &app_id, &secret_id, true).await,
        "ips" => {
            manage::set_key_allowed_ips(state, operator, &app_id, &secret_id, &form.allowed_ips)
                .await
        }
        "rotate" => {
            return match manage::rotate_key(state, operator, &app_id, &secret_id).await {
                Ok(key) => show_key(&ctx, &app_id, &key),
                Err(err) => ctx.fail(err),
            }
        }
        _ => Err(ServiceError::NotFound),
    };
    match done {
        Ok(()) => see(&format!("/console/apps/{app_id}")),
        Err(err) => ctx.fail(err),
    }
}

pub async fn encryption_key(
    State(web): State<Web>,
    ctx: Ctx,
    Path(app_id): Path<String>,
    CsrfForm(_): CsrfForm<super::access::Empty>,
) -> Response {
    let w = ctx.w();
    match manage::encryption_key(&web.state, ctx.operator(), &app_id).await {
        Ok(key) => render(
            StatusCode::OK,
            &views::Secret {
                f: ctx.frame(w.encryption_title),
                note: w.encryption_note.into(),
                rows: vec![SecretRow {
                    label: "EncryptionKey (base64)".into(),
                    value: key,
                    testid: "encryption-key",
                }],
                back: format!("/console/apps/{app_id}"),
            },
        ),
        Err(err) => ctx.fail(err),
    }
}
