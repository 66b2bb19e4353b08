//! What WeChat mini-programs ask of heshen (docs/miniprogram.md): a token's status before the
//! verification mini-program opens the flow in its `<web-view>`, and the page the H5 flow ends
//! at in that web-view, whose URL tells the mini-program to go back.

use crate::i18n::Lang;
use crate::pages::{self, Chrome, MiniProgramReturn};
use crate::Web;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use heshen_core::flow::{Flow, FlowKind, Stage};
use heshen_core::legacy::LegacyError;
use heshen_core::BizToken;
use heshen_service::{flows, legacy};
use serde::Deserialize;
use serde_json::{json, Value};

/// `TokenStatus` of `GET /mp/v1/tokens/{token}`; 1 and 2 are seed 000's `tokenStatus`.
const USABLE: u8 = 0;
const WRONG: u8 = 1;
const EXPIRED: u8 = 2;
const FINISHED: u8 = 3;

fn no_store(body: Value) -> Response {
    let mut response = Json(body).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The page a flow of this kind starts at.
fn start_path(kind: FlowKind) -> &'static str {
    match kind {
        FlowKind::Detect | FlowKind::Legacy => "/h5/start",
        FlowKind::Eid => "/eid/start",
    }
}

/// `GET /{file}`: a check file WeChat asks the business domain to serve at its root (the
/// operator configures its name and content, `wechat_check_files`); anything else is 404.
pub async fn wechat_check_file(State(web): State<Web>, Path(file): Path<String>) -> Response {
    match web.config.wechat_check_files.get(&file) {
        Some(content) if file.ends_with(".txt") => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            )],
            content.clone(),
        )
            .into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `GET /mp/v1/tokens/{token}`: whether the mini-program can open the flow, and where.
pub async fn token_status(State(web): State<Web>, Path(token): Path<String>) -> Response {
    if BizToken::parse(&token).is_none() {
        return no_store(json!({"TokenStatus": WRONG}));
    }
    let stored = match flows::load(&web.state, &token, flows::ANY_KIND).await {
        Ok(Some(stored)) => stored,
        Ok(None) => return no_store(json!({"TokenStatus": WRONG})),
        Err(err) => {
            tracing::warn!(%err, "a mini-program's token status could not be read");
            let mut response = no_store(json!({
                "Error": {"Code": "InternalError", "Message": "the service is unavailable; try again"}
            }));
            *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            return response;
        }
    };
    let now = web.state.clock().now_ms();
    let flow = &stored.flow;
    let kind = flow.kind.as_str();
    if now > stored.retain_until_ms {
        return no_store(json!({"TokenStatus": WRONG}));
    }
    if flow.stage == Stage::Finished {
        return no_store(json!({"TokenStatus": FINISHED, "Kind": kind}));
    }
    if flow.is_expired(now) {
        return no_store(json!({"TokenStatus": EXPIRED, "Kind": kind}));
    }
    let url = format!(
        "{}{}?token={token}&mp=1",
        web.state.config().public_url.trim_end_matches('/'),
        start_path(flow.kind)
    );
    no_store(json!({"TokenStatus": USABLE, "Kind": kind, "Url": url}))
}

/// Where a flow running in a mini-program's web-view ends: `verifyDone=1` once it finished
/// (passed or out of attempts), without it when the person leaves; a legacy flow adds seed
/// 003's exit `errCode`.
pub fn return_path(flow: &Flow, token: &str) -> String {
    let mut path = format!("/mp/v1/return?token={token}");
    if flow.stage == Stage::Finished {
        path.push_str("&verifyDone=1");
        if flow.kind == FlowKind::Legacy {
            path.push_str("&errCode=");
            path.push_str(legacy::exit_code(flow));
        }
    }
    path
}

#[derive(Debug, Deserialize)]
pub struct LegacyEntry {
    #[serde(default)]
    signature: String,
    #[serde(default)]
    uid: String,
    #[serde(default)]
    appid: String,
}

fn legacy_refusal(err: LegacyError) -> Response {
    let mut response = no_store(json!({"errorcode": err.code(), "errormsg": err.to_string()}));
    if err == LegacyError::Unavailable {
        *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    }
    response
}

/// `POST /mp/v1/legacy/auth`: the verification mini-program's entry of seed 003 (`signature`,
/// `uid`, `appid`); opens a flow and answers its token and start page.
pub async fn legacy_auth(
    State(web): State<Web>,
    entry: Result<Json<LegacyEntry>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Ok(Json(entry)) = entry else {
        return legacy_refusal(LegacyError::BadRequest);
    };
    match legacy::start(&web.state, &entry.signature, &entry.uid, &entry.appid).await {
        Ok(token) => {
            let url = format!(
                "{}/h5/start?token={token}&mp=1",
                web.state.config().public_url.trim_end_matches('/')
            );
            no_store(json!({
                "errorcode": 0,
                "errormsg": "success",
                "data": {"token": token, "Url": url},
            }))
        }
        Err(err) => legacy_refusal(err),
    }
}

#[derive(Debug, Deserialize)]
pub struct ReturnQuery {
    #[serde(rename = "verifyDone")]
    verify_done: Option<String>,
    lang: Option<String>,
}

/// `GET /mp/v1/return`: says the person is being returned. The mini-program hosting the
/// web-view sees this URL in `bindload` and navigates back; the page holds nothing personal.
pub async fn return_page(Query(query): Query<ReturnQuery>, headers: HeaderMap) -> Response {
    let lang = Lang::negotiate(query.lang.as_deref(), &headers);
    let done = query.verify_done.as_deref() == Some("1");
    let here = format!("/mp/v1/return?verifyDone={}", u8::from(done));
    pages::html(
        StatusCode::OK,
        &MiniProgramReturn {
            c: Chrome::new(lang, lang.texts().mp_return_title, &here, 0),
            done,
        },
    )
}
