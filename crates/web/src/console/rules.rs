//! Business flows (RuleId): the list lives on the app page; here are a rule's versions, the
//! wizard that edits a draft step by step (seed 004's order), the confirmation page with the
//! live preview, and the reviewers' queue and decision.

use super::access::{csrf_refusal, CsrfForm, Ctx};
use super::views::{self, row, when, Choice, QueueRow, SummaryRow};
use super::words::Words;
use super::{render, see, MAX_DOCUMENT_BYTES};
use crate::Web;
use axum::extract::{Multipart, Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use heshen_core::rule::{
    CompareSource, IdentitySource, LivenessKind, RuleConfig, Scene, INDUSTRIES,
};
use heshen_service::console::Permission;
use heshen_service::manage::RevisionKind;
use heshen_service::{manage, ServiceError};
use serde::Deserialize;

pub const STEPS: usize = 7;

fn base(app: &str, rule: &str, rev: i64) -> String {
    format!("/console/apps/{app}/rules/{rule}/v/{rev}")
}

/// Media of a rule (its qualification documents) live under this name.
fn media_owner(rule_id: &str) -> String {
    format!("rule-{rule_id}")
}

pub async fn start(
    State(web): State<Web>,
    ctx: Ctx,
    Path(app_id): Path<String>,
    CsrfForm(_): CsrfForm<super::access::Empty>,
) -> Response {
    match manage::start_rule(&web.state, ctx.operator(), &app_id).await {
        Ok((rule_id, rev)) => see(&format!("{}/step/1", base(&app_id, &rule_id, rev))),
        Err(err) => ctx.fail(err),
    }
}

pub async fn edit(
    State(web): State<Web>,
    ctx: Ctx,
    Path((app_id, rule_id)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<super::access::Empty>,
) -> Response {
    match manage::edit_rule(&web.state, ctx.operator(), &app_id, &rule_id).await {
        Ok(rev) => see(&format!("{}/step/1", base(&app_id, &rule_id, rev))),
        Err(err) => ctx.fail(err),
    }
}

/// The liveness choices, with `current` checked.
pub(super) fn liveness_choices(w: &'static Words, current: LivenessKind) -> Vec<Choice> {
    choices(
        &[
            LivenessKind::Action,
            LivenessKind::Digits,
            LivenessKind::Silent,
            LivenessKind::Flash,
        ],
        current,
        wire_name,
        |k| liveness_name(w, k),
    )
}

pub async fn detail(
    State(web): State<Web>,
    ctx: Ctx,
    Path((app_id, rule_id)): Path<(String, String)>,
) -> Response {
    let (rule, revisions) = match manage::rule(&web.state, ctx.operator(), &app_id, &rule_id).await
    {
        Ok(found) => found,
        Err(err) => return ctx.fail(err),
    };
    let w = ctx.w();
    render(
        StatusCode::OK,
        &views::RulePage {
            f: ctx.frame(&rule.name),
            serving: rule.status == "approved",
            app_id,
            rule_id,
            may_edit: ctx.operator().may(Permission::EditRules),
            revisions: views::revision_rows(w, revisions),
        },
    )
}

fn choices<T: Copy + PartialEq>(
    all: &[T],
    current: T,
    value: impl Fn(T) -> String,
    label: impl Fn(T) -> &'static str,
) -> Vec<Choice> {
    all.iter()
        .map(|&item| Choice {
            value: value(item),
            label: label(item).to_string(),
            checked: item == current,
        })
        .collect()
}

fn wire_name<T: serde::Serialize>(value: T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn scene_label(w: &Words, scene: Scene) -> &'static str {
    match scene {
        Scene::WechatH5Overlay => w.scene_wechat_h5_overlay,
        Scene::WechatH5 => w.scene_wechat_h5,
        Scene::WechatMiniprogram => w.scene_wechat_miniprogram,
        Scene::MobileH5 => w.scene_mobile_h5,
    }
}

fn compare_label(w: &Words, source: CompareSource) -> &'static str {
    match source {
        CompareSource::Authority => w.compare_authority,
        CompareSource::Uploaded => w.compare_uploaded,
        CompareSource::UploadedOrAuthority => w.compare_uploaded_or_authority,
        CompareSource::None => w.compare_none,
    }
}

fn identity_label(w: &Words, source: IdentitySource) -> &'static str {
    match source {
        IdentitySource::ApiOrOcr => w.identity_api_or_ocr,
        IdentitySource::Ocr => w.identity_ocr,
        IdentitySource::Manual => w.identity_manual,
        IdentitySource::Api => w.identity_api,
    }
}

pub(super) fn liveness_name(w: &Words, kind: LivenessKind) -> &'static str {
    match kind {
        LivenessKind::Digits => w.liveness_digits,
        LivenessKind::Action => w.liveness_action,
        LivenessKind::Silent => w.liveness_silent,
        LivenessKind::Flash => w.liveness_flash,
    }
}

fn action_label(w: &Words, code: &str) -> &'static str {
    match code {
        "1" => w.action_open_mouth,
        "2" => w.action_blink,
        "3" => w.action_nod,
        _ => w.action_shake,
    }
}

fn industry_label(lang: crate::i18n::Lang, code: &str) -> String {
    INDUSTRIES
        .iter()
        .find(|(c, ..)| *c == code)
        .map(|(_, zh, en)| match lang {
            crate::i18n::Lang::Zh => zh.to_string(),
            crate::i18n::Lang::En => en.to_string(),
        })
        .unwrap_or_default()
}

fn wizard_view(
    ctx: &Ctx,
    status: StatusCode,
    base: String,
    step: usize,
    config: &RuleConfig,
    error: String,
) -> Response {
    let w = ctx.w();
    let chosen: Vec<&str> = config.action_codes().collect();
    render(
        status,
        &views::Wizard {
            f: ctx.frame(w.wizard_title),
            base,
            step,
            steps: w.wizard_steps.split('|').collect(),
            step_name: w.wizard_steps.split('|').nth(step - 1).unwrap_or(""),
            error,
            scenes: choices(
                &Scene::ALL,
                config.scene,
                |s| s.as_str().into(),
                |s| scene_label(w, s),
            ),
            needs_qualification: config.scene.needs_qualification(),
            industries: INDUSTRIES
                .iter()
                .map(|(code, ..)| Choice {
                    value: code.to_string(),
                    label: industry_label(ctx.lang, code),
                    checked: *code == config.industry,
                })
                .collect(),
            documents: config.qualification_files.clone(),
            page_title: config.page_title.clone(),
            name: config.name.clone(),
            description: config.description.clone(),
            compare: choices(
                &[
                    CompareSource::Authority,
                    CompareSource::Uploaded,
                    CompareSource::UploadedOrAuthority,
                    CompareSource::None,
                ],
                config.compare_source,
                wire_name,
                |s| compare_label(w, s),
            ),
            identity: choices(
                &[
                    IdentitySource::ApiOrOcr,
                    IdentitySource::Ocr,
                    IdentitySource::Manual,
                    IdentitySource::Api,
                ],
                config.identity_source,
                wire_name,
                |s| identity_label(w, s),
            ),
            ocr_editable: config.ocr_editable,
            id_card_warnings: config.id_card_warnings,
            liveness: liveness_choices(w, config.liveness),
            actions: ["1", "2", "3", "4"]
                .iter()
                .map(|code| Choice {
                    value: code.to_string(),
                    label: action_label(w, code).to_string(),
                    checked: chosen.contains(code),
                })
                .collect(),
            action_count: config.action_count,
            sim_threshold: format!("{}", config.sim_threshold),
            max_attempts: config.max_attempts,
            allow_video_upload: config.allow_video_upload,
            manual_review: config.manual_review,
            success_copy: config.success_copy.clone(),
            failure_copy: config.failure_copy.clone(),
            redirect_url: config.default_redirect_url.clone().unwrap_or_default(),
        },
    )
}

type RevPath = Path<(String, String, i64)>;

pub async fn step_page(
    State(web): State<Web>,
    ctx: Ctx,
    Path((app_id, rule_id, rev, step)): Path<(String, String, i64, usize)>,
) -> Response {
    if !(1..=STEPS).contains(&step) {
        return ctx.fail(ServiceError::NotFound);
    }
    if let Err(err) = ctx.operator().require_in(Permission::EditRules, &app_id) {
        return ctx.fail(err);
    }
    match manage::revision(&web.state, ctx.operator(), &app_id, &rule_id, rev).await {
        Ok((found, _)) if found.status != "draft" => see(&base(&app_id, &rule_id, rev)),
        Ok((_, config)) => wizard_view(
            &ctx,
            StatusCode::OK,
            base(&app_id, &rule_id, rev),
            step,
            &config,
            String::new(),
        ),
        Err(err) => ctx.fail(err),
    }
}

/// Every field any step posts; a step reads only its own.
#[derive(Deserialize, Default)]
pub struct StepForm {
    scene: Option<String>,
    industry: Option<String>,
    page_title: Option<String>,
    name: Option<String>,
    description: Option<String>,
    compare_source: Option<String>,
    identity_source: Option<String>,
    ocr_editable: Option<String>,
    id_card_warnings: Option<String>,
    liveness: Option<String>,
    #[serde(default)]
    actions: Vec<String>,
    action_count: Option<String>,
    sim_threshold: Option<String>,
    max_attempts: Option<String>,
    allow_video_upload: Option<String>,
    success_copy: Option<String>,
    failure_copy: Option<String>,
    redirect_url: Option<String>,
    manual_review: Option<String>,
}

fn parse_choice<T: serde::de::DeserializeOwned>(
    raw: Option<&str>,
    what: &str,
) -> Result<T, String> {
    let raw = raw.unwrap_or("");
    serde_json::from_value(serde_json::Value::String(raw.to_string()))
        .map_err(|_| format!("{what}: {raw:?} is not one of the choices"))
}

fn parse_number<T: std::str::FromStr>(raw: Option<&str>, what: &str) -> Result<T, String> {
    raw.unwrap_or("")
        .trim()
        .parse()
        .map_err(|_| format!("{what} must be a number"))
}

/// Applies one step's fields to the configuration.
fn apply_step(config: &mut RuleConfig, step: usize, form: &StepForm) -> Result<(), String> {
    let text = |v: &Option<String>| v.as_deref().unwrap_or("").trim().to_string();
    match step {
        1 => {
            config.scene = Scene::parse(form.scene.as_deref().unwrap_or(""))
                .ok_or_else(|| "scene: choose one".to_string())?;
        }
        2 => {
            if config.scene.needs_qualification() {
                config.industry = text(&form.industry);
            }
        }
        3 => {
            config.page_title = text(&form.page_title);
            config.name = text(&form.name);
            config.description = text(&form.description);
        }
        4 => config.compare_source = parse_choice(form.compare_source.as_deref(), "comparison")?,
        5 => {
            config.identity_source = parse_choice(form.identity_source.as_deref(), "identity")?;
            config.ocr_editable = form.ocr_editable.is_some();
            config.id_card_warnings = form.id_card_warnings.is_some();
        }
        6 => {
            config.liveness = parse_choice(form.liveness.as_deref(), "liveness")?;
            config.actions = form.actions.join(",");
            config.action_count = parse_number(form.action_count.as_deref(), "action count")?;
            config.sim_threshold = parse_number(form.sim_threshold.as_deref(), "similarity")?;
            config.max_attempts = parse_number(form.max_attempts.as_deref(), "attempts")?;
            config.allow_video_upload = form.allow_video_upload.is_some();
        }
        7 => {
            config.success_copy = text(&form.success_copy);
            config.failure_copy = text(&form.failure_copy);
            let url = text(&form.redirect_url);
            config.default_redirect_url = (!url.is_empty()).then_some(url);
            config.manual_review = form.manual_review.is_some();
        }
        _ => return Err("no such step".into()),
    }
    Ok(())
}

pub async fn step_submit(
    State(web): State<Web>,
    ctx: Ctx,
    Path((app_id, rule_id, rev, step)): Path<(String, String, i64, usize)>,
    CsrfForm(form): CsrfForm<StepForm>,
) -> Response {
    let here = base(&app_id, &rule_id, rev);
    let operator = ctx.operator();
    let mut config = match manage::revision(&web.state, operator, &app_id, &rule_id, rev).await {
        Ok((_, config)) => config,
        Err(err) => return ctx.fail(err),
    };
    if let Err(why) = apply_step(&mut config, step, &form) {
        return wizard_view(&ctx, StatusCode::BAD_REQUEST, here, step, &config, why);
    }
    match manage::save_draft(&web.state, operator, &app_id, &rule_id, rev, &config).await {
        Ok(()) if step < STEPS => see(&format!("{here}/step/{}", step + 1)),
        Ok(()) => see(&here),
        Err(ServiceError::Invalid(why)) => {
            wizard_view(&ctx, StatusCode::BAD_REQUEST, here, step, &config, why)
        }
        Err(err) => ctx.fail(err),
    }
}

/// What a document's first bytes say it is.
fn document_kind(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("pdf")
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("jpg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("png")
    } else {
        None
    }
}

pub async fn upload_document(
    State(web): State<Web>,
    ctx: Ctx,
    Path((app_id, rule_id, rev)): RevPath,
    mut multipart: Multipart,
) -> Response {
    let here = base(&app_id, &rule_id, rev);
    let operator = ctx.operator();
    let mut csrf = String::new();
    let mut document = None;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => match field.name() {
                Some("csrf") => csrf = field.text().await.unwrap_or_default(),
                Some("document") => match field.bytes().await {
                    Ok(bytes) => document = Some(bytes),
                    Err(_) => return ctx.fail(ServiceError::Invalid(ctx.w().bad_request.into())),
                },
                _ => {}
            },
            Ok(None) => break,
            Err(_) => return ctx.fail(ServiceError::Invalid(ctx.w().bad_request.into())),
        }
    }
    if let Some(refused) = csrf_refusal(&ctx, &csrf) {
        return refused;
    }
    let mut config = match manage::revision(&web.state, operator, &app_id, &rule_id, rev).await {
        Ok((_, config)) => config,
        Err(err) => return ctx.fail(err),
    };
    if let Err(err) = operator.require_in(Permission::EditRules, &app_id) {
        return ctx.fail(err);
    }
    let Some(bytes) = document.filter(|b| !b.is_empty() && b.len() <= MAX_DOCUMENT_BYTES) else {
        return wizard_view(
            &ctx,
            StatusCode::BAD_REQUEST,
            here,
            2,
            &config,
            ctx.w().qualification_files.into(),
        );
    };
    let Some(kind) = document_kind(&bytes) else {
        return wizard_view(
            &ctx,
            StatusCode::BAD_REQUEST,
            here,
            2,
            &config,
            ctx.w().qualification_files.into(),
        );
    };
    if config.qualification_files.len() >= 10 {
        return wizard_view(
            &ctx,
            StatusCode::BAD_REQUEST,
            here,
            2,
            &config,
            "at most 10 documents".into(),
        );
    }
    let name = format!("v{rev}-doc{}.{kind}", config.qualification_files.len() + 1);
    if let Err(err) = web
        .state
        .store()
        .put_media(&media_owner(&rule_id), &name, &bytes)
        .await
    {
        return ctx.fail(err.into());
    }
    config.qualification_files.push(name);
    match manage::save_draft(&web.state, operator, &app_id, &rule_id, rev, &config).await {
        Ok(()) => see(&format!("{here}/step/2")),
        Err(err) => ctx.fail(err),
    }
}

pub async fn document(
    State(web): State<Web>,
    ctx: Ctx,
    Path((app_id, rule_id, rev, name)): Path<(String, String, i64, String)>,
) -> Response {
    let config = match manage::revision(&web.state, ctx.operator(), &app_id, &rule_id, rev).await {
        Ok((_, config)) => config,
        Err(err) => return ctx.fail(err),
    };
    if !config.qualification_files.contains(&name) {
        return ctx.fail(ServiceError::NotFound);
    }
    let bytes = match web
        .state
        .store()
        .get_media(&media_owner(&rule_id), &name)
        .await
    {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return ctx.fail(ServiceError::NotFound),
        Err(err) => return ctx.fail(err.into()),
    };
    let kind = match document_kind(&bytes) {
        Some("pdf") => "application/pdf",
        Some("png") => "image/png",
        _ => "image/jpeg",
    };
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment"),
    );
    super::secure_headers(headers, "'none'");
    response
}

pub async fn preview(
    State(web): State<Web>,
    ctx: Ctx,
    Path((app_id, rule_id, rev, page)): Path<(String, String, i64, String)>,
) -> Response {
    let config = match manage::revision(&web.state, ctx.operator(), &app_id, &rule_id, rev).await {
        Ok((_, config)) => config,
        Err(err) => return ctx.fail(err),
    };
    crate::h5::preview(ctx.lang, &config, &page).unwrap_or_else(|| ctx.fail(ServiceError::NotFound))
}

fn summary(ctx: &Ctx, config: &RuleConfig) -> Vec<SummaryRow> {
    let w = ctx.w();
    let yes_no = |b: bool| if b { w.yes } else { w.no }.to_string();
    let actions: Vec<&str> = config.action_codes().map(|c| action_label(w, c)).collect();
    let mut rows = vec![
        row(w.label_scene, scene_label(w, config.scene)),
        row(w.page_title, config.page_title.clone()),
        row(w.business_name, config.name.clone()),
        row(w.description, config.description.clone()),
        row(w.label_compare, compare_label(w, config.compare_source)),
        row(w.label_identity, identity_label(w, config.identity_source)),
        row(w.ocr_editable, yes_no(config.ocr_editable)),
        row(w.id_card_warnings, yes_no(config.id_card_warnings)),
        row(w.label_liveness, liveness_name(w, config.liveness)),
        row(
            w.actions_pool,
            format!("{} × {}", actions.join(" / "), config.action_count),
        ),
        row(w.sim_threshold, config.sim_threshold.to_string()),
        row(w.max_attempts, config.max_attempts.to_string()),
        row(w.allow_video_upload, yes_no(config.allow_video_upload)),
        row(w.success_copy, config.success_copy.clone()),
        row(w.failure_copy, config.failure_copy.clone()),
        row(w.manual_review, yes_no(config.manual_review)),
        row(
            w.redirect_url,
            config.default_redirect_url.clone().unwrap_or_default(),
        ),
    ];
    if config.scene.needs_qualification() {
        rows.insert(
            1,
            row(w.industry, industry_label(ctx.lang, &config.industry)),
        );
    }
    rows
}

pub async fn revision_page(
    State(web): State<Web>,
    ctx: Ctx,
    Path((app_id, rule_id, rev)): RevPath,
) -> Response {
    let operator = ctx.operator();
    let (found, config) = match manage::revision(&web.state, operator, &app_id, &rule_id, rev).await
    {
        Ok(found) => found,
        Err(err) => return ctx.fail(err),
    };
    let serving = match manage::rule(&web.state, operator, &app_id, &rule_id).await {
        Ok((rule, _)) => rule.status == "approved",
        Err(err) => return ctx.fail(err),
    };
    let w = ctx.w();
    render(
        StatusCode::OK,
        &views::RevisionPage {
            f: ctx.frame(&config.name),
            summary: summary(&ctx, &config),
            documents: config.qualification_files.clone(),
            base: base(&app_id, &rule_id, rev),
            revision: rev,
            status_label: w.status(&found.status),
            may_submit: found.status == "draft" && operator.may(Permission::EditRules),
            may_review: found.status == "pending"
                && operator.may(Permission::Review)
                && found.author != operator.username,
            status: found.status,
            note: found.note,
            serving,
            app_id,
            rule_id,
        },
    )
}

pub async fn submit(
    State(web): State<Web>,
    ctx: Ctx,
    Path((app_id, rule_id, rev)): RevPath,
    CsrfForm(_): CsrfForm<super::access::Empty>,
) -> Response {
    match manage::submit_rule(&web.state, ctx.operator(), &app_id, &rule_id, rev).await {
        Ok(()) => see(&base(&app_id, &rule_id, rev)),
        Err(err) => ctx.fail(err),
    }
}

/// A reviewer's decision, on a rule or a merchant.
#[derive(Deserialize)]
pub struct ReviewForm {
    decision: String,
    #[serde(default)]
    pub note: String,
}

impl ReviewForm {
    /// `Some(true)` approves, `Some(false)` rejects; anything else is no decision.
    pub fn approves(&self) -> Option<bool> {
        match self.decision.as_str() {
            "approve" => Some(true),
            "reject" => Some(false),
            _ => None,
        }
    }
}

pub async fn review(
    State(web): State<Web>,
    ctx: Ctx,
    Path((app_id, rule_id, rev)): RevPath,
    CsrfForm(form): CsrfForm<ReviewForm>,
) -> Response {
    let Some(approve) = form.approves() else {
        return ctx.fail(ServiceError::Invalid(ctx.w().bad_request.into()));
    };
    match manage::review_rule(
        &web.state,
        ctx.operator(),
        &app_id,
        &rule_id,
        rev,
        approve,
        &form.note,
    )
    .await
    {
        Ok(()) => see(&base(&app_id, &rule_id, rev)),
        Err(err) => ctx.fail(err),
    }
}

pub async fn queue(State(web): State<Web>, ctx: Ctx) -> Response {
    match manage::review_queue(&web.state, ctx.operator()).await {
        Ok(pending) => render(
            StatusCode::OK,
            &views::Review {
                f: ctx.frame(ctx.w().review_title),
                rows: pending
                    .into_iter()
                    .map(|r| QueueRow {
                        kind: match r.kind {
                            RevisionKind::Rule => ctx.w().kind_rule,
                            RevisionKind::Merchant => ctx.w().kind_merchant,
                        },
                        link: match r.kind {
                            RevisionKind::Rule => base(&r.app_id, &r.subject_id, r.revision),
                            RevisionKind::Merchant => {
                                format!("/console/apps/{}/merchants/{}", r.app_id, r.subject_id)
                            }
                        },
                        submitted: r.submitted_at.map(when).unwrap_or_default(),
                        app_id: r.app_id,
                        subject_id: r.subject_id,
                        revision: r.revision,
                        name: r.name,
                        author: r.author,
                    })
                    .collect(),
            },
        ),
        Err(err) => ctx.fail(err),
    }
}
