//! eID merchants (seed 001): apply, review, and the MerchantId and its key once approved.

use super::access::{CsrfForm, Ctx, Empty};
use super::rules::ReviewForm;
use super::views::{self, row, SecretRow};
use super::{render, see};
use crate::Web;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use heshen_core::rule::{LivenessKind, MerchantConfig};
use heshen_service::console::Permission;
use heshen_service::{manage, ServiceError};
use serde::Deserialize;

fn page(app: &str, merchant: &str) -> String {
    format!("/console/apps/{app}/merchants/{merchant}")
}

#[derive(Deserialize)]
pub struct Application {
    name: String,
    liveness: String,
    max_attempts: String,
    sim_threshold: String,
    return_identity: Option<String>,
}

pub async fn apply(
    State(web): State<Web>,
    ctx: Ctx,
    Path(app_id): Path<String>,
    CsrfForm(form): CsrfForm<Application>,
) -> Response {
    let bad = |what: &str| ServiceError::Invalid(format!("{what}: {}", ctx.w().bad_request));
    let Ok(liveness) =
        serde_json::from_value::<LivenessKind>(serde_json::Value::String(form.liveness.clone()))
    else {
        return ctx.fail(bad("liveness"));
    };
    let (Ok(max_attempts), Ok(sim_threshold)) = (
        form.max_attempts.trim().parse(),
        form.sim_threshold.trim().parse(),
    ) else {
        return ctx.fail(bad("numbers"));
    };
    let config = MerchantConfig {
        return_identity: form.return_identity.is_some(),
        liveness,
        max_attempts,
        sim_threshold,
    };
    match manage::apply_merchant(&web.state, ctx.operator(), &app_id, &form.name, &config).await {
        Ok((merchant_id, _)) => see(&page(&app_id, &merchant_id)),
        Err(err) => ctx.fail(err),
    }
}

pub async fn detail(
    State(web): State<Web>,
    ctx: Ctx,
    Path((app_id, merchant_id)): Path<(String, String)>,
) -> Response {
    let operator = ctx.operator();
    let (merchant, revisions) =
        match manage::merchant(&web.state, operator, &app_id, &merchant_id).await {
            Ok(found) => found,
            Err(err) => return ctx.fail(err),
        };
    let w = ctx.w();
    let config: MerchantConfig = match serde_json::from_value(merchant.config.clone()) {
        Ok(config) => config,
        Err(err) => return ctx.fail(ServiceError::corrupt("merchant configuration", err)),
    };
    let serving = merchant.status == "approved";
    let reviewable = revisions
        .iter()
        .find(|r| r.status == "pending" && r.author != operator.username)
        .filter(|_| operator.may(Permission::Review))
        .map(|r| r.revision);
    let yes_no = |b: bool| if b { w.yes } else { w.no }.to_string();
    render(
        StatusCode::OK,
        &views::MerchantPage {
            f: ctx.frame(&merchant.name),
            summary: vec![
                row(w.merchant_name, merchant.name.clone()),
                row(
                    w.label_liveness,
                    super::rules::liveness_name(w, config.liveness),
                ),
                row(w.max_attempts, config.max_attempts.to_string()),
                row(w.sim_threshold, config.sim_threshold.to_string()),
                row(w.merchant_return_identity, yes_no(config.return_identity)),
            ],
            revisions: views::revision_rows(w, revisions),
            reviewable,
            may_key: serving && operator.may(Permission::ManageKeys),
            serving,
            app_id,
            merchant_id,
        },
    )
}

pub async fn review(
    State(web): State<Web>,
    ctx: Ctx,
    Path((app_id, merchant_id, rev)): Path<(String, String, i64)>,
    CsrfForm(form): CsrfForm<ReviewForm>,
) -> Response {
    let Some(approve) = form.approves() else {
        return ctx.fail(ServiceError::Invalid(ctx.w().bad_request.into()));
    };
    match manage::review_merchant(
        &web.state,
        ctx.operator(),
        &app_id,
        &merchant_id,
        rev,
        approve,
        &form.note,
    )
    .await
    {
        Ok(()) => see(&page(&app_id, &merchant_id)),
        Err(err) => ctx.fail(err),
    }
}

pub async fn key(
    State(web): State<Web>,
    ctx: Ctx,
    Path((app_id, merchant_id)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Response {
    let w = ctx.w();
    match manage::merchant_key(&web.state, ctx.operator(), &app_id, &merchant_id).await {
        Ok(key) => render(
            StatusCode::OK,
            &views::Secret {
                f: ctx.frame(w.merchant_key_title),
                note: w.merchant_key_note.into(),
                rows: vec![
                    SecretRow {
                        label: "MerchantId".into(),
                        value: merchant_id.clone(),
                        testid: "merchant-id",
                    },
                    SecretRow {
                        label: "MerchantKey (base64)".into(),
                        value: key,
                        testid: "merchant-key",
                    },
                ],
                back: page(&app_id, &merchant_id),
            },
        ),
        Err(err) => ctx.fail(err),
    }
}
