//! Appids of the legacy real-name mini-program protocol (seed 003, docs/legacy.md): created
//! with their secret key shown once, and disabled, like API keys.

use super::access::{CsrfForm, Ctx, Empty};
use super::views::{self, SecretRow};
use super::{render, see};
use crate::Web;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use heshen_core::rule::{IdentitySource, LegacyConfig, LivenessKind};
use heshen_service::{manage, ServiceError};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct NewLegacyApp {
    name: String,
    identity_source: String,
    liveness: String,
}

pub async fn create(
    State(web): State<Web>,
    ctx: Ctx,
    Path(app_id): Path<String>,
    CsrfForm(form): CsrfForm<NewLegacyApp>,
) -> Response {
    let w = ctx.w();
    let identity_source = match form.identity_source.as_str() {
        "ocr" => IdentitySource::Ocr,
        "manual" => IdentitySource::Manual,
        _ => return ctx.fail(ServiceError::Invalid(w.bad_request.into())),
    };
    let Ok(liveness) =
        serde_json::from_value::<LivenessKind>(serde_json::Value::String(form.liveness))
    else {
        return ctx.fail(ServiceError::Invalid(w.bad_request.into()));
    };
    let config = LegacyConfig {
        identity_source,
        liveness,
        ..LegacyConfig::default()
    };
    match manage::create_legacy_app(&web.state, ctx.operator(), &app_id, &form.name, &config).await
    {
        Ok((legacy_app_id, secret)) => render(
            StatusCode::OK,
            &views::Secret {
                f: ctx.frame(w.legacy_secret_title),
                note: w.legacy_secret_note.into(),
                rows: vec![
                    SecretRow {
                        label: "AppId".into(),
                        value: legacy_app_id,
                        testid: "legacy-app-id",
                    },
                    SecretRow {
                        label: "SecretKey".into(),
                        value: secret,
                        testid: "legacy-secret-key",
                    },
                ],
                back: format!("/console/apps/{app_id}"),
            },
        ),
        Err(err) => ctx.fail(err),
    }
}

pub async fn disable(
    State(web): State<Web>,
    ctx: Ctx,
    Path((app_id, legacy_app_id)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Response {
    match manage::disable_legacy_app(&web.state, ctx.operator(), &app_id, &legacy_app_id).await {
        Ok(()) => see(&format!("/console/apps/{app_id}")),
        Err(err) => ctx.fail(err),
    }
}
