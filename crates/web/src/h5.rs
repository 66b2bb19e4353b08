//! The H5 verification flow behind DetectAuth's `Url`: consent → identity → liveness →
//! upload → processing → result → back to the integrator. Every page finds the flow by the
//! token in its path and sends the person to the step the flow is at, so a reload or a
//! link opened twice resumes rather than repeats.

use crate::i18n::{self, Lang};
use crate::pages::{self, Chrome};
use crate::Web;
use axum::body::Body;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use futures_util::TryStreamExt;
use heshen_core::codes;
use heshen_core::flow::{ChallengeSpec, FlowKind, IssuedChallenge, Stage};
use heshen_core::rule::RuleConfig;
use heshen_core::BizToken;
use heshen_service::attempts::{self, Progress};
use heshen_service::capture::{self, CardProblem, IdentityRefusal};
use heshen_service::flows::{self, StoredFlow};
use heshen_service::recording_parts::{self, PartLimits};
use heshen_service::ServiceError;
use heshen_vision::liveness::flash;
use heshen_vision::ocr::CardSide;
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;

#[derive(Debug, Deserialize, Default)]
pub struct LangQuery {
    lang: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct StartQuery {
    token: Option<String>,
    lang: Option<String>,
    /// `1` when a mini-program opens the flow in its web-view (docs/miniprogram.md).
    mp: Option<String>,
}

/// WeChat's web-view says so in its User-Agent (`miniProgram`), whether or not the
/// mini-program asked with `mp=1`.
fn in_mini_program(query: &StartQuery, headers: &HeaderMap) -> bool {
    query.mp.as_deref() == Some("1")
        || headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ua| ua.contains("miniProgram"))
}

/// The language of a request, and the cookie that keeps a `?lang=` choice.
struct Speech {
    lang: Lang,
    remember: bool,
}

impl Speech {
    fn of(query: Option<&str>, headers: &HeaderMap) -> Self {
        Self {
            lang: Lang::negotiate(query, headers),
            remember: query.and_then(Lang::parse).is_some(),
        }
    }

    fn finish(&self, mut response: Response) -> Response {
        if self.remember {
            let cookie = format!(
                "{}={}; Path=/h5; Max-Age=31536000; SameSite=Lax; HttpOnly",
                i18n::COOKIE,
                self.lang.code()
            );
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
        }
        response
    }
}

fn base(token: &str) -> String {
    format!("/h5/{token}")
}

/// A page about the token itself (unknown, expired, finished, service trouble).
fn problem(
    lang: Lang,
    token: &str,
    status: StatusCode,
    code: &str,
    message: &'static str,
) -> Response {
    let t = lang.texts();
    // The switch goes through the start URL, which shows this page again in the other language.
    let here = format!("/h5/start?token={token}");
    pages::html(
        status,
        &pages::Problem {
            c: Chrome::new(lang, t.problem_title, &here, 0),
            code: code.to_string(),
            message,
        },
    )
}

/// A form or upload posted from another site.
pub fn cross_site(lang: Lang) -> Response {
    problem(
        lang,
        "",
        StatusCode::FORBIDDEN,
        "UnauthorizedOperation.CrossSite",
        lang.texts().problem_cross_site,
    )
}

fn service_problem(lang: Lang, token: &str, err: &ServiceError) -> Response {
    tracing::warn!(%err, "an H5 page could not be served");
    let t = lang.texts();
    match err {
        ServiceError::FlowNotFound => problem(
            lang,
            token,
            StatusCode::NOT_FOUND,
            "InvalidParameterValue.BizTokenIllegal",
            t.problem_unknown,
        ),
        ServiceError::Refused(code) if code.code == codes::TOKEN_EXPIRED.code => problem(
            lang,
            token,
            StatusCode::GONE,
            "InvalidParameterValue.BizTokenExpired",
            t.problem_expired,
        ),
        ServiceError::Refused(code) if code.code == codes::ALREADY_COMPLETED.code => problem(
            lang,
            token,
            StatusCode::CONFLICT,
            &codes::ALREADY_COMPLETED.code.to_string(),
            t.problem_finished,
        ),
        _ => problem(
            lang,
            token,
            StatusCode::SERVICE_UNAVAILABLE,
            "InternalError",
            t.problem_unavailable,
        ),
    }
}

/// The flow and rule a page works on; anything else is the problem page.
async fn open(
    web: &Web,
    raw_token: &str,
    lang: Lang,
) -> Result<(StoredFlow, RuleConfig), Response> {
    if BizToken::parse(raw_token).is_none() {
        return Err(service_problem(
            lang,
            raw_token,
            &ServiceError::FlowNotFound,
        ));
    }
    let stored = flows::load(&web.state, raw_token, flows::ANY_KIND)
        .await
        .map_err(|e| service_problem(lang, raw_token, &e))?
        .ok_or_else(|| service_problem(lang, raw_token, &ServiceError::FlowNotFound))?;
    let now = web.state.clock().now_ms();
    if now > stored.retain_until_ms {
        return Err(service_problem(
            lang,
            raw_token,
            &ServiceError::FlowNotFound,
        ));
    }
    if stored.flow.is_expired(now) {
        return Err(service_problem(
            lang,
            raw_token,
            &ServiceError::Refused(codes::TOKEN_EXPIRED),
        ));
    }
    let rule = flows::page_rule(&web.state, &stored)
        .await
        .map_err(|e| service_problem(lang, raw_token, &e))?
        .ok_or_else(|| {
            service_problem(lang, raw_token, &ServiceError::Internal("rule gone".into()))
        })?;
    Ok((stored, rule))
}

/// Which site may frame the flow's pages (the overlay of `/sdk/heshen.js`): the origin of its
/// RedirectUrl, the integrator's own site.
fn framing(stored: &StoredFlow) -> Option<String> {
    let url = url::Url::parse(stored.flow.request.redirect_url.as_deref()?).ok()?;
    matches!(url.scheme(), "http" | "https").then(|| url.origin().ascii_serialization())
}

/// The chrome of a flow page: its title, its language switch back to itself, its step and
/// who may frame it.
fn chrome(lang: Lang, stored: &StoredFlow, rule: &RuleConfig, page: &str, step: usize) -> Chrome {
    Chrome::new(
        lang,
        lang.title(&rule.page_title),
        &format!("/h5/{}/{page}", stored.token),
        step,
    )
    .framed_by(framing(stored))
}

/// What every GET page of a flow starts from: the person's language and the flow and rule its
/// token names. When the token names nothing usable, the extraction answers the token's own
/// page (in that language) and the handler never runs.
pub struct FlowPage {
    speech: Speech,
    token: String,
    stored: StoredFlow,
    rule: RuleConfig,
}

impl FromRequestParts<Web> for FlowPage {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, web: &Web) -> Result<Self, Response> {
        let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, web)
            .await
            .map_err(IntoResponse::into_response)?;
        let token = params.get("token").cloned().unwrap_or_default();
        let Query(query) = Query::<LangQuery>::from_request_parts(parts, web)
            .await
            .unwrap_or_default();
        let speech = Speech::of(query.lang.as_deref(), &parts.headers);
        match open(web, &token, speech.lang).await {
            Ok((stored, rule)) => Ok(Self {
                speech,
                token,
                stored,
                rule,
            }),
            Err(page) => Err(speech.finish(page)),
        }
    }
}

/// Where the person should be, given what the flow has so far.
fn step_of(stored: &StoredFlow, rule: &RuleConfig) -> &'static str {
    let flow = &stored.flow;
    if flow.stage == Stage::Finished {
        return "result";
    }
    if flow.consented_at_ms.is_none() {
        return "consent";
    }
    let named = flow.request.id_card.is_some() && flow.request.name.is_some();
    if flow.identity.is_none() && capture::needs_identity(rule, named) {
        return "identity";
    }
    if flow.pending_recording().is_some() {
        return "processing";
    }
    "liveness"
}

fn go(token: &str, step: &str) -> Response {
    Redirect::to(&format!("{}/{step}", base(token))).into_response()
}

/// `GET /h5/start?token=…`: the URL DetectAuth returned.
pub async fn start(
    State(web): State<Web>,
    Query(query): Query<StartQuery>,
    headers: HeaderMap,
) -> Response {
    let speech = Speech::of(query.lang.as_deref(), &headers);
    let lang = speech.lang;
    let mini_program = in_mini_program(&query, &headers);
    let token = query.token.unwrap_or_default();
    let (stored, rule) = match open(&web, &token, lang).await {
        Ok(found) => found,
        Err(page) => return speech.finish(page),
    };
    if stored.flow.stage == Stage::Finished {
        return speech.finish(service_problem(
            lang,
            &token,
            &ServiceError::Refused(codes::ALREADY_COMPLETED),
        ));
    }
    let started = flows::update(&web.state, &token, flows::ANY_KIND, |flow, now| {
        flow.in_mini_program |= mini_program;
        flow.start(now)
    })
    .await;
    let response = match started {
        Ok(((), stored)) => go(&token, step_of(&stored, &rule)),
        Err(err) => service_problem(lang, &token, &err),
    };
    speech.finish(response)
}

/// Sends the person to where the flow is when `here` is not that page.
fn elsewhere(token: &str, stored: &StoredFlow, rule: &RuleConfig, here: &str) -> Option<Response> {
    let step = step_of(stored, rule);
    if step == here {
        return None;
    }
    // A finished consent or identity step may be revisited only to move on.
    let allowed = matches!((here, step), ("liveness", "result"));
    (!allowed || stored.flow.stage == Stage::Finished).then(|| go(token, step))
}

pub async fn consent_page(page: FlowPage) -> Response {
    let FlowPage {
        speech,
        token,
        stored,
        rule,
    } = page;
    let response = match elsewhere(&token, &stored, &rule, "consent") {
        Some(away) if stored.flow.consented_at_ms.is_some() => away,
        _ => consent(speech.lang, &token, &stored, &rule, false),
    };
    speech.finish(response)
}

fn consent(
    lang: Lang,
    token: &str,
    stored: &StoredFlow,
    rule: &RuleConfig,
    missing: bool,
) -> Response {
    let base = base(token);
    pages::html(
        if missing {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        },
        &pages::Consent {
            c: chrome(lang, stored, rule, "consent", 1),
            base,
            missing,
            eid: stored.flow.kind == FlowKind::Eid,
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct ConsentForm {
    agree: Option<String>,
}

pub async fn consent_submit(
    State(web): State<Web>,
    Path(token): Path<String>,
    headers: HeaderMap,
    Form(form): Form<ConsentForm>,
) -> Response {
    let lang = Lang::negotiate(None, &headers);
    let (stored, rule) = match open(&web, &token, lang).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    if form.agree.as_deref() != Some("yes") {
        return consent(lang, &token, &stored, &rule, true);
    }
    match flows::update(&web.state, &token, flows::ANY_KIND, |flow, now| {
        flow.consent(now)
    })
    .await
    {
        Ok(((), stored)) => go(&token, step_of(&stored, &rule)),
        Err(err) => service_problem(lang, &token, &err),
    }
}

pub async fn document(Path((_, name)): Path<(String, String)>, page: FlowPage) -> Response {
    let FlowPage {
        speech,
        token,
        stored,
        rule,
    } = page;
    let lang = speech.lang;
    let t = lang.texts();
    let (heading, paragraphs) = match name.as_str() {
        "agreement" => (t.doc_agreement, t.agreement_body),
        "privacy" => (t.doc_privacy, t.privacy_body),
        "authorisation" => (t.doc_authorisation, t.authorisation_body),
        "eid" if stored.flow.kind == FlowKind::Eid => (t.doc_eid, t.eid_body),
        _ => return speech.finish(go(&token, "consent")),
    };
    let base = base(&token);
    speech.finish(pages::html(
        StatusCode::OK,
        &pages::Doc {
            c: chrome(lang, &stored, &rule, &format!("doc/{name}"), 1),
            base,
            heading,
            paragraphs,
        },
    ))
}

fn identity_page(
    lang: Lang,
    token: &str,
    stored: &StoredFlow,
    rule: &RuleConfig,
    typed: Option<(&str, &str)>,
    error: &'static str,
) -> Response {
    let base = base(token);
    let read = stored.flow.card_reading.as_ref().map(|r| &r.fields);
    let (name, id_card) = match typed {
        Some((name, id)) => (name.to_string(), id.to_string()),
        None => (
            read.and_then(|f| f.name.clone()).unwrap_or_default(),
            read.and_then(|f| f.id_card.clone()).unwrap_or_default(),
        ),
    };
    pages::html(
        if error.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        },
        &pages::IdentityPage {
            c: chrome(lang, stored, rule, "identity", 2),
            base,
            name,
            id_card,
            readonly: read.is_some() && !rule.ocr_editable,
            error,
        },
    )
}

pub async fn identity(page: FlowPage) -> Response {
    let FlowPage {
        speech,
        token,
        stored,
        rule,
    } = page;
    let response = match elsewhere(&token, &stored, &rule, "identity") {
        Some(away) => away,
        None => identity_page(speech.lang, &token, &stored, &rule, None, ""),
    };
    speech.finish(response)
}

#[derive(Debug, Deserialize)]
pub struct IdentityForm {
    name: String,
    id_card: String,
}

pub async fn identity_submit(
    State(web): State<Web>,
    Path(token): Path<String>,
    headers: HeaderMap,
    Form(form): Form<IdentityForm>,
) -> Response {
    let lang = Lang::negotiate(None, &headers);
    let t = lang.texts();
    let (stored, rule) = match open(&web, &token, lang).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    if let Some(away) = elsewhere(&token, &stored, &rule, "identity") {
        return away;
    }
    let id_card = form.id_card.trim().to_ascii_uppercase();
    match capture::confirm(&web.state, &token, &rule, &form.name, &id_card).await {
        Ok(Ok(())) => go(&token, "liveness"),
        Ok(Err(refusal)) => {
            let error = match refusal {
                IdentityRefusal::BadName => t.bad_name,
                IdentityRefusal::BadIdCard => t.bad_id,
                IdentityRefusal::CardRequired => t.card_required,
                IdentityRefusal::NotEditable => t.not_editable,
                IdentityRefusal::NotThePersonNamed => t.not_the_person,
            };
            identity_page(
                lang,
                &token,
                &stored,
                &rule,
                Some((&form.name, &id_card)),
                error,
            )
        }
        Err(err) => service_problem(lang, &token, &err),
    }
}

fn json_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {"code": code, "message": message}})),
    )
        .into_response()
}

fn json_service_error(err: &ServiceError) -> Response {
    match err {
        ServiceError::FlowNotFound => json_error(
            StatusCode::NOT_FOUND,
            "BizTokenIllegal",
            "no such verification",
        ),
        ServiceError::Refused(code) => {
            json_error(StatusCode::CONFLICT, &code.code.to_string(), code.message)
        }
        ServiceError::Invalid(message) => {
            json_error(StatusCode::BAD_REQUEST, "InvalidParameter", message)
        }
        ServiceError::UploadTooLarge(_) => json_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            &codes::VIDEO_SIZE_ERROR.code.to_string(),
            "the recording is larger than allowed",
        ),
        ServiceError::VisionUnavailable | ServiceError::VisionFault(_) => json_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "EngineUnavailable",
            "the verification engine is unavailable; try again later",
        ),
        other => {
            tracing::warn!(err = %other, "an H5 upload failed");
            json_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "InternalError",
                "the upload could not be stored; try again",
            )
        }
    }
}

/// `POST /h5/{token}/identity/card/{side}`: one side of the ID card, read by OCR.
pub async fn card_upload(
    State(web): State<Web>,
    Path((token, side)): Path<(String, String)>,
    headers: HeaderMap,
    body: bytes::Bytes,
) -> Response {
    let lang = Lang::negotiate(None, &headers);
    let t = lang.texts();
    let side = match side.as_str() {
        "front" => CardSide::Front,
        "back" => CardSide::Back,
        _ => return json_error(StatusCode::NOT_FOUND, "UnknownSide", "front or back"),
    };
    if !web.uploads.check(&token) {
        return too_many_uploads();
    }
    let (stored, rule) = match open(&web, &token, lang).await {
        Ok(found) => found,
        Err(_) => return json_service_error(&ServiceError::FlowNotFound),
    };
    if step_of(&stored, &rule) != "identity" {
        return json_error(
            StatusCode::CONFLICT,
            &codes::INVALID_BUSINESS_REQUEST.code.to_string(),
            "the flow is not at its identity step",
        );
    }
    if body.is_empty() {
        return json_error(StatusCode::BAD_REQUEST, "EmptyImage", t.card_unreadable);
    }
    match capture::read_card(&web.state, &token, side, body.to_vec()).await {
        Ok(Ok(reading)) => Json(json!({
            "name": reading.fields.name,
            "idCard": reading.fields.id_card,
            "frontRead": reading.front_read,
            "backRead": reading.back_read,
            "message": t.card_read,
        }))
        .into_response(),
        Ok(Err(problem)) => {
            let message = match problem {
                CardProblem::Unreadable => t.card_unreadable,
                CardProblem::NoCard => t.card_no_card,
                CardProblem::WrongSide => t.card_wrong_side,
                CardProblem::FieldsUnreadable => t.card_fields_unreadable,
            };
            json_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                &codes::OCR_FAILED.code.to_string(),
                message,
            )
        }
        Err(err) => json_service_error(&err),
    }
}

fn action_prompt(lang: Lang, code: &str) -> &'static str {
    let t = lang.texts();
    match code {
        "1" => t.action_open_mouth,
        "2" => t.action_blink,
        "3" => t.action_nod,
        _ => t.action_shake,
    }
}

fn liveness_page(
    lang: Lang,
    part_bytes: usize,
    token: &str,
    stored: &StoredFlow,
    rule: &RuleConfig,
    challenge: &IssuedChallenge,
) -> Response {
    let t = lang.texts();
    let base = base(token);
    let flashed = match &challenge.spec {
        ChallengeSpec::Flash(sequence) => flash::parse_sequence(sequence).unwrap_or_default(),
        _ => Vec::new(),
    };
    let colours = flashed
        .iter()
        .map(|c| c.css())
        .collect::<Vec<_>>()
        .join("|");
    let (kind, intro, actions, prompts, digits, seconds) = match &challenge.spec {
        ChallengeSpec::Actions(codes) => {
            let list: Vec<&str> = codes.split(',').collect();
            let prompts: Vec<&str> = list.iter().map(|c| action_prompt(lang, c)).collect();
            let seconds = (1 + 3 * list.len() as u32).min(13);
            (
                "action",
                t.liveness_intro_action,
                codes.clone(),
                prompts.join("|"),
                String::new(),
                seconds,
            )
        }
        ChallengeSpec::Digits(d) => (
            "digits",
            t.liveness_intro_digits,
            String::new(),
            String::new(),
            d.clone(),
            5,
        ),
        ChallengeSpec::Silent => (
            "silent",
            t.liveness_intro_silent,
            String::new(),
            String::new(),
            String::new(),
            3,
        ),
        ChallengeSpec::Flash(_) => {
            // A lead-in, the colours, and a moment after the last.
            let ms = FLASH_LEAD_IN_MS + flash::COLOUR_MS * flashed.len() as u32 + 500;
            (
                "flash",
                t.liveness_intro_flash,
                String::new(),
                String::new(),
                String::new(),
                ms.div_ceil(1000),
            )
        }
    };
    pages::html(
        StatusCode::OK,
        &pages::Liveness {
            c: chrome(lang, stored, rule, "liveness", 3),
            base,
            nonce: challenge.nonce.clone(),
            intro,
            kind,
            actions,
            prompts,
            digits,
            seconds,
            colours,
            colour_ms: flash::COLOUR_MS,
            lead_in_ms: FLASH_LEAD_IN_MS,
            attempts_left: stored.flow.attempts_left(),
            part_bytes,
            // A file cannot say when the screen showed which colour.
            allow_upload: rule.allow_video_upload && kind != "flash",
        },
    )
}

pub async fn liveness(State(web): State<Web>, page: FlowPage) -> Response {
    let FlowPage {
        speech,
        token,
        stored,
        rule,
    } = page;
    let lang = speech.lang;
    if let Some(away) = elsewhere(&token, &stored, &rule, "liveness") {
        return speech.finish(away);
    }
    let response = match attempts::issue_challenge(&web.state, &token, &rule).await {
        Ok(challenge) => liveness_page(
            lang,
            web.config.recording_part_bytes,
            &token,
            &stored,
            &rule,
            &challenge,
        ),
        Err(err) => service_problem(lang, &token, &err),
    };
    speech.finish(response)
}

/// The page starts the first colour this long after the recording starts, so the camera has
/// settled (well inside the 3 s the server allows).
const FLASH_LEAD_IN_MS: u32 = 500;

/// The header a colour-flash upload carries: when (ms from the start of the recording) the
/// page showed each colour, comma-separated.
pub const FLASH_REPORT_HEADER: &str = "x-heshen-flash-shown";

/// `GET /h5/{token}/leave`: the person chose not to take the check (the photosensitivity
/// notice's way out). Nothing is recorded; the flow stays unfinished, and the button goes
/// back to the integrator as the end of a flow does, so the app is not left waiting.
pub async fn leave(page: FlowPage) -> Response {
    let FlowPage {
        speech,
        token,
        stored,
        rule,
    } = page;
    let lang = speech.lang;
    if stored.flow.stage == Stage::Finished {
        return speech.finish(go(&token, "result"));
    }
    let back = way_back(&stored, &token);
    speech.finish(pages::html(
        StatusCode::OK,
        &pages::Left {
            c: chrome(lang, &stored, &rule, "leave", 0),
            back,
        },
    ))
}

/// `POST /h5/{token}/liveness/{nonce}`: the recording of that challenge, streamed to storage.
pub async fn recording_upload(
    State(web): State<Web>,
    Path((token, nonce)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if BizToken::parse(&token).is_none() {
        return json_service_error(&ServiceError::FlowNotFound);
    }
    if !web.uploads.check(&token) {
        return too_many_uploads();
    }
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > web.config.max_recording_bytes) {
        return json_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            &codes::VIDEO_SIZE_ERROR.code.to_string(),
            "the recording is larger than allowed",
        );
    }
    if let Some(refusal) = not_a_video(&headers) {
        return refusal;
    }
    let flash_shown = flash_shown(&headers);
    let stream = body.into_data_stream().map_err(|e| e.to_string());
    match attempts::submit_recording(
        &web.state,
        &token,
        &nonce,
        flash_shown,
        Box::pin(stream),
        web.config.max_recording_bytes,
    )
    .await
    {
        Ok(()) => queued(&token),
        Err(err) => json_service_error(&err),
    }
}

/// The page's report of when it showed each flash colour, if it sent one.
fn flash_shown(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(FLASH_REPORT_HEADER)
        .and_then(|v| v.to_str().ok())
}

/// A recording stored and queued for judging: the page goes on to wait for the verdict.
fn queued(token: &str) -> Response {
    (
        StatusCode::ACCEPTED,
        Json(json!({"next": format!("{}/processing", base(token))})),
    )
        .into_response()
}

/// The refusal of a recording (or a part of one) not sent as a video.
fn not_a_video(headers: &HeaderMap) -> Option<Response> {
    let video_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("video/") || v.starts_with("application/octet-stream"));
    (!video_type).then(|| {
        json_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            &codes::VIDEO_FORMAT_ERROR.code.to_string(),
            "send the recording as video/*",
        )
    })
}

fn part_limits(web: &Web) -> PartLimits {
    PartLimits {
        part_bytes: web.config.recording_part_bytes,
        max_bytes: web.config.max_recording_bytes,
    }
}

fn too_many_uploads() -> Response {
    json_error(
        StatusCode::TOO_MANY_REQUESTS,
        "RequestLimitExceeded",
        "too many uploads; wait a minute",
    )
}

/// `PUT /h5/{token}/liveness/{nonce}/parts/{index}`: one part of the recording, numbered from
/// 0; sending a part again replaces it.
pub async fn recording_part(
    State(web): State<Web>,
    Path((token, nonce, index)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if BizToken::parse(&token).is_none() {
        return json_service_error(&ServiceError::FlowNotFound);
    }
    let Ok(index) = index.parse::<u32>() else {
        return json_error(
            StatusCode::BAD_REQUEST,
            "InvalidParameter",
            "parts are numbered 0, 1, 2…",
        );
    };
    if !web.parts.check(&token) {
        return too_many_uploads();
    }
    if let Some(refusal) = not_a_video(&headers) {
        return refusal;
    }
    let limits = part_limits(&web);
    let Ok(bytes) = axum::body::to_bytes(body, limits.part_bytes).await else {
        return json_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            &codes::VIDEO_SIZE_ERROR.code.to_string(),
            &format!("a part holds at most {} bytes", limits.part_bytes),
        );
    };
    match recording_parts::put_part(&web.state, &token, &nonce, index, &bytes, limits).await {
        Ok(()) => Json(json!({"received": index})).into_response(),
        Err(err) => json_service_error(&err),
    }
}

/// `GET /h5/{token}/liveness/{nonce}/parts`: the parts the server holds, so a page whose
/// upload broke off sends only the others.
pub async fn recording_parts(
    State(web): State<Web>,
    Path((token, nonce)): Path<(String, String)>,
) -> Response {
    if BizToken::parse(&token).is_none() {
        return json_service_error(&ServiceError::FlowNotFound);
    }
    match recording_parts::received_parts(&web.state, &token, &nonce).await {
        Ok(parts) => {
            let mut response = Json(json!({
                "parts": parts,
                "partBytes": web.config.recording_part_bytes,
            }))
            .into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(err) => json_service_error(&err),
    }
}

#[derive(Deserialize)]
struct CompleteRecording {
    parts: u32,
}

/// `POST /h5/{token}/liveness/{nonce}/parts` with `{"parts": n}`: parts `0..n` are the whole
/// recording; it is judged as one sent whole would be.
pub async fn recording_complete(
    State(web): State<Web>,
    Path((token, nonce)): Path<(String, String)>,
    headers: HeaderMap,
    body: bytes::Bytes,
) -> Response {
    if BizToken::parse(&token).is_none() {
        return json_service_error(&ServiceError::FlowNotFound);
    }
    if !web.uploads.check(&token) {
        return too_many_uploads();
    }
    let Ok(complete) = serde_json::from_slice::<CompleteRecording>(&body) else {
        return json_error(
            StatusCode::BAD_REQUEST,
            "InvalidParameter",
            r#"send {"parts": <how many parts the recording has>}"#,
        );
    };
    let flash_shown = flash_shown(&headers);
    match recording_parts::complete(
        &web.state,
        &token,
        &nonce,
        complete.parts,
        flash_shown,
        part_limits(&web),
    )
    .await
    {
        Ok(()) => queued(&token),
        Err(err) => json_service_error(&err),
    }
}

pub async fn processing(page: FlowPage) -> Response {
    let FlowPage {
        speech,
        token,
        stored,
        rule,
    } = page;
    let lang = speech.lang;
    let step = step_of(&stored, &rule);
    if step != "processing" {
        // Judged already (or nothing uploaded): the result, or the next recording.
        let target = if stored.flow.attempts.is_empty() {
            step
        } else {
            "result"
        };
        return speech.finish(go(&token, target));
    }
    let base = base(&token);
    speech.finish(pages::html(
        StatusCode::OK,
        &pages::Processing {
            c: chrome(lang, &stored, &rule, "processing", 3),
            base,
        },
    ))
}

/// `GET /h5/{token}/status`: polled by the processing page.
pub async fn status(State(web): State<Web>, Path(token): Path<String>) -> Response {
    if BizToken::parse(&token).is_none() {
        return json_service_error(&ServiceError::FlowNotFound);
    }
    match flows::load(&web.state, &token, flows::ANY_KIND).await {
        Ok(Some(stored)) => {
            let body = match attempts::progress(&stored) {
                Progress::Judging => json!({"state": "judging"}),
                Progress::Recording { attempts_left } => {
                    json!({"state": "recording", "attemptsLeft": attempts_left})
                }
                Progress::Finished { code } => json!({"state": "finished", "code": code}),
            };
            let mut response = Json(body).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Ok(None) => json_service_error(&ServiceError::FlowNotFound),
        Err(err) => json_service_error(&err),
    }
}

pub async fn result(page: FlowPage) -> Response {
    let FlowPage {
        speech,
        token,
        stored,
        rule,
    } = page;
    let lang = speech.lang;
    let t = lang.texts();
    let flow = &stored.flow;
    let finished = flow.stage == Stage::Finished;
    let last = flow.final_attempt();
    if !finished && last.is_none() {
        return speech.finish(go(&token, step_of(&stored, &rule)));
    }
    let code = match (flow.outcome, last) {
        (Some(outcome), _) => outcome.code,
        (None, Some(attempt)) => attempt.err_code(),
        (None, None) => codes::NOT_FINISHED.code,
    };
    let passed = code == 0;
    let copy = if passed {
        &rule.success_copy
    } else {
        &rule.failure_copy
    };
    let message = if !copy.is_empty() {
        copy.clone()
    } else if passed {
        t.result_passed_body.to_string()
    } else {
        lang.result_message(code)
    };
    let base = base(&token);
    speech.finish(pages::html(
        StatusCode::OK,
        &pages::ResultPage {
            c: chrome(lang, &stored, &rule, "result", 4),
            base,
            code,
            passed,
            message,
            can_retry: !finished && flow.attempts_left() > 0,
            finished,
            has_redirect: flow.request.redirect_url.is_some() || flow.in_mini_program,
            parent_origin: framing(&stored).unwrap_or_default(),
            token: token.clone(),
        },
    ))
}

/// `GET /h5/{token}/continue`: back to the integrator, with `token=<BizToken>` in the query.
pub async fn continue_to_integrator(
    State(web): State<Web>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::negotiate(None, &headers);
    let (stored, rule) = match open(&web, &token, lang).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    if stored.flow.stage != Stage::Finished {
        return go(&token, step_of(&stored, &rule));
    }
    match way_back(&stored, &token) {
        Some(target) => Redirect::to(&target).into_response(),
        None => go(&token, "result"),
    }
}

/// Where the person goes when the flow ends or they leave it: back into the mini-program
/// that hosts the flow, or to the integrator's RedirectUrl; `None` when neither.
fn way_back(stored: &StoredFlow, token: &str) -> Option<String> {
    if stored.flow.in_mini_program {
        return Some(crate::miniprogram::return_path(&stored.flow, token));
    }
    back_to_integrator(stored, token)
}

/// DetectAuth's `RedirectUrl` with `token=<BizToken>` added to its query, as FaceID sends the
/// person back; `None` when there is none.
fn back_to_integrator(stored: &StoredFlow, token: &str) -> Option<String> {
    let mut target = url::Url::parse(stored.flow.request.redirect_url.as_deref()?).ok()?;
    target.query_pairs_mut().append_pair("token", token);
    Some(target.into())
}

/// A page of the flow as a business flow's configuration would show it, with nobody's data
/// in it: the console's live preview while a rule is set up. The forms lead nowhere.
pub(crate) fn preview(lang: Lang, rule: &RuleConfig, page: &str) -> Option<Response> {
    let t = lang.texts();
    let base = "/h5/preview".to_string();
    let chrome = |step| {
        Chrome::new(lang, lang.title(&rule.page_title), "/h5/preview", step)
            .framed_by(Some("'self'".into()))
    };
    let response = match page {
        "consent" => pages::html(
            StatusCode::OK,
            &pages::Consent {
                c: chrome(1),
                base,
                missing: false,
                eid: false,
            },
        ),
        "identity" => pages::html(
            StatusCode::OK,
            &pages::IdentityPage {
                c: chrome(2),
                base,
                name: String::new(),
                id_card: String::new(),
                readonly: !rule.ocr_editable,
                error: "",
            },
        ),
        "success" | "failure" => {
            let passed = page == "success";
            let copy = if passed {
                &rule.success_copy
            } else {
                &rule.failure_copy
            };
            let code = if passed {
                0
            } else {
                codes::LIVENESS_FAILED.code
            };
            let message = if !copy.is_empty() {
                copy.clone()
            } else if passed {
                t.result_passed_body.to_string()
            } else {
                lang.result_message(code)
            };
            pages::html(
                StatusCode::OK,
                &pages::ResultPage {
                    c: chrome(4),
                    base,
                    code,
                    passed,
                    message,
                    can_retry: false,
                    finished: true,
                    has_redirect: false,
                    parent_origin: String::new(),
                    token: String::new(),
                },
            )
        }
        _ => return None,
    };
    Some(response)
}
