//! Verification records: search an app's flows, open one while it is retained (identity,
//! card reading, attempts, photos and video), and erase it on demand.

use super::access::{CsrfForm, Ctx, Empty};
use super::views::{self, row, when, AttemptRow, CheckRow, Choice, RecordReview, RecordRow};
use super::words::Words;
use super::{render, see};
use crate::Web;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use heshen_core::flow::LivenessCheck;
use heshen_service::console::Permission;
use heshen_service::manage::{self, FlowSearch, ResultFilter};
use heshen_service::ServiceError;
use serde::Deserialize;

const PAGE: u32 = 50;

#[derive(Deserialize, Default)]
pub struct Search {
    #[serde(default)]
    token: String,
    #[serde(default)]
    rule: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    result: String,
    #[serde(default)]
    before: String,
    #[serde(default)]
    erased: String,
}

/// Midnight in Beijing at the start of `YYYY-MM-DD`, in unix ms: the search's dates are
/// days in China's time zone, as the integrators' users live them.
fn day_start(text: &str) -> Option<i64> {
    heshen_core::stats::parse_day(text).map(heshen_core::stats::day_start_ms)
}

fn result_filter(text: &str) -> Option<ResultFilter> {
    match text {
        "passed" => Some(ResultFilter::Passed),
        "failed" => Some(ResultFilter::Failed),
        "unfinished" => Some(ResultFilter::Unfinished),
        other => other.parse().ok().map(ResultFilter::Code),
    }
}

fn result_label(ctx: &Ctx, code: Option<i64>) -> String {
    super::result_label(ctx.w(), code)
}

pub async fn list(
    State(web): State<Web>,
    ctx: Ctx,
    Path(app_id): Path<String>,
    Query(q): Query<Search>,
) -> Response {
    let search = FlowSearch {
        token: Some(q.token.trim().to_string()).filter(|t| !t.is_empty()),
        scope_id: Some(q.rule.trim().to_string()).filter(|t| !t.is_empty()),
        from_ms: day_start(&q.from),
        to_ms: day_start(&q.to).map(|start| start + heshen_core::stats::DAY_MS),
        result: result_filter(&q.result),
        before: q
            .before
            .split_once(':')
            .and_then(|(at, token)| Some((at.parse().ok()?, token.to_string()))),
    };
    let rows = match manage::records(&web.state, ctx.operator(), &app_id, &search, PAGE).await {
        Ok(rows) => rows,
        Err(err) => return ctx.fail(err),
    };
    let w = ctx.w();
    let older = (rows.len() == PAGE as usize)
        .then(|| rows.last())
        .flatten()
        .map(|last| {
            form_urlencoded::Serializer::new(String::new())
                .append_pair("token", &q.token)
                .append_pair("rule", &q.rule)
                .append_pair("from", &q.from)
                .append_pair("to", &q.to)
                .append_pair("result", &q.result)
                .append_pair("before", &format!("{}:{}", last.created_at, last.token))
                .finish()
        });
    let results = [
        ("", w.result_any),
        ("passed", w.result_passed),
        ("failed", w.result_failed),
        ("unfinished", w.result_unfinished),
    ]
    .iter()
    .map(|(value, label)| Choice {
        value: value.to_string(),
        label: label.to_string(),
        checked: q.result == *value,
    })
    .collect();
    render(
        StatusCode::OK,
        &views::Records {
            f: ctx.frame(w.records_title),
            rows: rows
                .into_iter()
                .map(|r| RecordRow {
                    result: result_label(&ctx, r.result_code),
                    created: when(r.created_at),
                    token: r.token,
                    scope_id: r.scope_id,
                    status: r.status,
                })
                .collect(),
            app_id,
            token: q.token,
            rule: q.rule,
            from: q.from,
            to: q.to,
            results,
            older,
            notice: if q.erased.is_empty() {
                String::new()
            } else {
                w.erased.to_string()
            },
        },
    )
}

/// Recordings of the H5 flow are stored as `recording-…` (their container is the browser's);
/// videos given through the API keep their extension.
fn is_video(name: &str) -> bool {
    name.starts_with("recording-") || [".mp4", ".webm", ".mov"].iter().any(|x| name.ends_with(x))
}

pub async fn detail(
    State(web): State<Web>,
    ctx: Ctx,
    Path((app_id, token)): Path<(String, String)>,
) -> Response {
    let (summary, stored) = match manage::record(&web.state, ctx.operator(), &app_id, &token).await
    {
        Ok(found) => found,
        Err(err) => return ctx.fail(err),
    };
    let w = ctx.w();
    let flow = &stored.flow;
    let summary_rows = vec![
        row(w.token, summary.token.clone()),
        row(w.kind, summary.kind.clone()),
        row(w.rule_id, summary.scope_id.clone()),
        row(w.status, summary.status.clone()),
        row(w.result, result_label(&ctx, summary.result_code)),
        row(w.created_at, when(summary.created_at)),
        row(
            w.finished_at,
            summary.finished_at.map(when).unwrap_or_default(),
        ),
        row(w.retain_until, when(summary.retain_until)),
    ];
    let identity = flow
        .identity
        .as_ref()
        .map(|id| {
            vec![
                row(w.person_name, id.name.clone()),
                row(w.id_number, id.id_card.clone()),
            ]
        })
        .or_else(|| {
            let request = &flow.request;
            request.name.as_ref().map(|name| {
                vec![
                    row(w.person_name, name.clone()),
                    row(w.id_number, request.id_card.clone().unwrap_or_default()),
                ]
            })
        })
        .unwrap_or_default();
    let ocr = flow
        .identity
        .as_ref()
        .and_then(|id| id.ocr.as_ref())
        .or(flow.card_reading.as_ref().map(|r| &r.fields))
        .map(|fields| {
            [
                ("姓名 Name", &fields.name),
                ("性别 Sex", &fields.gender),
                ("民族 Nation", &fields.nation),
                ("出生 Birth", &fields.birth),
                ("住址 Address", &fields.address),
                ("公民身份号码 ID number", &fields.id_card),
                ("签发机关 Authority", &fields.authority),
                ("有效期限 Valid", &fields.valid_date),
            ]
            .into_iter()
            .filter_map(|(label, value)| value.as_ref().map(|v| row(label, v.clone())))
            .collect()
        })
        .unwrap_or_default();
    let attempts = flow
        .attempts
        .iter()
        .map(|a| AttemptRow {
            seq_short: a.seq.chars().take(8).collect(),
            seq: a.seq.clone(),
            at: when(a.req_time_ms),
            live_status: result_label(&ctx, Some(a.outcome.live_status)),
            compare_status: a
                .outcome
                .compare_status
                .map(|c| result_label(&ctx, Some(c)))
                .unwrap_or_default(),
            sim: a.outcome.sim.map(|s| format!("{s:.2}")).unwrap_or_default(),
            liveness_mode: a.outcome.liveness_mode.to_string(),
            action_sequence: a.outcome.action_sequence.clone().unwrap_or_default(),
            checks: a.outcome.checks.iter().map(|c| check_row(w, c)).collect(),
        })
        .collect();
    let review_asked = manage::review_asked(&web.state, &stored).await;
    let review = flow.review.as_ref().map(|r| RecordReview {
        approved: r.approved,
        status: w.status(if r.approved { "approved" } else { "rejected" }),
        note: r.note.clone(),
        by: r.by.clone(),
        at: when(r.at_ms),
    });
    let may_review = review_asked
        && flow.review.is_none()
        && flow.stage == heshen_core::flow::Stage::Finished
        && ctx.operator().may(Permission::Review);
    let (videos, images): (Vec<String>, Vec<String>) = manage::media_names(flow)
        .into_iter()
        .partition(|name| is_video(name));
    render(
        StatusCode::OK,
        &views::RecordPage {
            f: ctx.frame(w.record_title),
            may_erase: ctx.operator().may(Permission::ActOnRecords),
            app_id,
            token,
            summary: summary_rows,
            identity,
            ocr,
            attempts,
            images,
            videos,
            review_asked,
            review,
            may_review,
        },
    )
}

/// `POST …/records/{token}/review`: a reviewer's decision on a record (人工复核).
pub async fn review(
    State(web): State<Web>,
    ctx: Ctx,
    Path((app_id, token)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<super::rules::ReviewForm>,
) -> Response {
    let Some(approved) = form.approves() else {
        return ctx.fail(ServiceError::Invalid(ctx.w().bad_request.into()));
    };
    match manage::review_record(
        &web.state,
        ctx.operator(),
        &app_id,
        &token,
        approved,
        &form.note,
    )
    .await
    {
        Ok(()) => see(&format!("/console/apps/{app_id}/records/{token}")),
        Err(err) => ctx.fail(err),
    }
}

fn check_row(w: &Words, check: &LivenessCheck) -> CheckRow {
    let number = |v: f64| {
        let text = format!("{v:.4}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    };
    let (value, bound) = match check.bound {
        Some(bound) => (
            number(check.value),
            format!(
                "{} {}",
                if check.at_most { "≤" } else { "≥" },
                number(bound)
            ),
        ),
        None if check.value > 0.0 => (w.yes.to_string(), String::new()),
        None => (w.no.to_string(), String::new()),
    };
    CheckRow {
        label: w.check_label(&check.name),
        name: check.name.clone(),
        value,
        bound,
        passed: check.passed,
    }
}

pub async fn media(
    State(web): State<Web>,
    ctx: Ctx,
    Path((app_id, token, name)): Path<(String, String, String)>,
) -> Response {
    let bytes = match manage::record_media(&web.state, ctx.operator(), &app_id, &token, &name).await
    {
        Ok(bytes) => bytes,
        Err(err) => return ctx.fail(err),
    };
    let kind = if bytes.starts_with(b"\x89PNG") {
        "image/png"
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        "image/jpeg"
    } else if bytes.starts_with(&[0x1a, 0x45, 0xdf, 0xa3]) {
        "video/webm"
    } else if is_video(&name) {
        "video/mp4"
    } else {
        "application/octet-stream"
    };
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    super::secure_headers(headers, "'none'");
    response
}

pub async fn erase(
    State(web): State<Web>,
    ctx: Ctx,
    Path((app_id, token)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Response {
    match manage::erase_record(&web.state, ctx.operator(), &app_id, &token).await {
        Ok(()) => see(&format!("/console/apps/{app_id}/records?erased=1")),
        Err(err) => ctx.fail(err),
    }
}
