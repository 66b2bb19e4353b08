//! The single API 3.0 endpoint: reads the request, authenticates it, applies the
//! rate limit and hands the fields to the action.
//!
//! Memory and time are bounded before anything is trusted: a request must find a free
//! in-flight slot and room in the body budget for its declared length, or it is shed at once;
//! a TC3 request's credential (SecretId, timestamp, version) is checked from its headers
//! before its body is read; the body must arrive within `body_timeout`, and the whole
//! request is answered within `request_timeout`.

use crate::actions;
use crate::config::GatewayConfig;
use crate::envelope;
use crate::limits::RateLimiter;
use crate::params::Params;
use crate::wire::service_error;
use axum::body::{to_bytes, Body, HttpBody};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::response::Response;
use heshen_core::sign::{tc3, v1, verify};
use heshen_core::{Action, ApiError, ErrorCode};
use heshen_service::manage;
use heshen_service::state::KeyEntry;
use heshen_service::AppState;
use secrecy::ExposeSecret;
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tracing::Instrument;

/// The authenticated caller of an action.
#[derive(Debug, Clone)]
pub struct Caller {
    pub secret_id: String,
    pub app_id: String,
    /// The key's address allow-list (empty: any address).
    pub allowed_ips: String,
}

/// The gateway's state: the application, and what the edge itself keeps.
#[derive(Clone)]
pub struct Gateway {
    inner: Arc<GatewayInner>,
}

struct GatewayInner {
    service: AppState,
    config: GatewayConfig,
    limiter: RateLimiter,
    in_flight: Arc<Semaphore>,
    /// One permit per KiB of request body held in memory.
    body_budget: Arc<Semaphore>,
    openapi: std::sync::OnceLock<bytes::Bytes>,
    /// Keys whose last use was written within the minute: the next write waits.
    recently_used: moka::sync::Cache<String, ()>,
}

impl Gateway {
    pub fn new(service: AppState, config: GatewayConfig) -> Self {
        Self {
            inner: Arc::new(GatewayInner {
                limiter: RateLimiter::new(&config.rate_limits),
                in_flight: Arc::new(Semaphore::new(config.max_in_flight.max(1))),
                body_budget: Arc::new(Semaphore::new(kib(config.body_budget_bytes).max(1))),
                service,
                config,
                openapi: std::sync::OnceLock::new(),
                recently_used: moka::sync::Cache::builder()
                    .max_capacity(100_000)
                    .time_to_live(std::time::Duration::from_secs(60))
                    .build(),
            }),
        }
    }

    /// Records that a key signed a request, at most once a minute per key and off the
    /// request's path (a lost write only makes "last used" a minute older).
    fn note_key_use(&self, secret_id: &str) {
        if self.inner.recently_used.contains_key(secret_id) {
            return;
        }
        self.inner.recently_used.insert(secret_id.to_string(), ());
        let store = self.inner.service.store().clone();
        let secret_id = secret_id.to_string();
        let now = self.inner.service.clock().now_ms();
        tokio::spawn(async move {
            if let Err(err) = store.touch_api_key(&secret_id, now).await {
                tracing::warn!(%err, "could not record a key's last use");
            }
        });
    }

    /// The OpenAPI document, rendered once.
    pub fn openapi_json(&self) -> bytes::Bytes {
        self.inner
            .openapi
            .get_or_init(|| {
                let document = crate::openapi::document(&self.inner.service.config().public_url);
                serde_json::to_vec_pretty(&document)
                    .expect("an OpenAPI document serialises")
                    .into()
            })
            .clone()
    }

    pub fn service(&self) -> &AppState {
        &self.inner.service
    }

    pub fn config(&self) -> &GatewayConfig {
        &self.inner.config
    }

    pub fn limiter(&self) -> &RateLimiter {
        &self.inner.limiter
    }
}

fn kib(bytes: usize) -> usize {
    bytes.div_ceil(1024)
}

pub const API_VERSION: &str = "2018-03-01";

/// The v1 signature's own parameters, never passed on to actions.
const V1_COMMON: [&str; 11] = [
    "Action",
    "Version",
    "Timestamp",
    "Nonce",
    "SecretId",
    "SignatureMethod",
    "Signature",
    "RequestClient",
    "Region",
    "Language",
    "Token",
];

/// An authenticated request, ready for its action.
pub struct Authenticated {
    pub action: Action,
    pub caller: Caller,
    pub params: Params,
}

pub async fn handle(State(gateway): State<Gateway>, request: Request) -> Response {
    let request_id = envelope::new_request_id();
    let trace_id = request.headers().get("x-tc-traceid").cloned();
    // Never personal data in the span: ids and the action name only. At debug level: with the
    // default `info` filter, formatting a span's fields cost DetectAuth 14 µs of its ~110 µs
    // of CPU (docs/benchmarks.md); `log = "info,heshen_api=debug"` turns it on.
    let span = tracing::debug_span!(
        "request",
        request_id = %request_id,
        action = tracing::field::Empty,
        app = tracing::field::Empty,
    );
    let limit = gateway.config().request_timeout;
    let outcome = tokio::time::timeout(limit, process(&gateway, request).instrument(span.clone()))
        .await
        .unwrap_or_else(|_| {
            Err(Rejection {
                error: ApiError::internal(format!(
                    "The request took longer than {} s and was abandoned.",
                    limit.as_secs()
                )),
                close: true,
            })
        });
    let (response, close) = match outcome {
        Ok(fields) => (envelope::success(&request_id, fields), false),
        Err(Rejection { error, close }) => {
            span.in_scope(
                || tracing::debug!(code = %error.code, message = %error.message, "request refused"),
            );
            (envelope::error(&request_id, &error), close)
        }
    };
    finish(response, trace_id, close)
}

fn finish(mut response: Response, trace_id: Option<HeaderValue>, close: bool) -> Response {
    if let Some(trace_id) = trace_id {
        // The Node SDK reports this header as the error's traceId.
        response.headers_mut().insert("x-tc-traceid", trace_id);
    }
    if close {
        // The unread rest of an oversized body would otherwise be parsed as the next request.
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

struct Rejection {
    error: ApiError,
    close: bool,
}

impl From<ApiError> for Rejection {
    fn from(error: ApiError) -> Self {
        Self {
            error,
            close: false,
        }
    }
}

fn shed(what: &str) -> Rejection {
    Rejection {
        error: ApiError::new(
            ErrorCode::RequestLimitExceeded,
            format!("The server is at its limit of {what}; retry shortly."),
        ),
        close: true,
    }
}

async fn process(gateway: &Gateway, request: Request) -> Result<serde_json::Value, Rejection> {
    let _slot = gateway
        .inner
        .in_flight
        .clone()
        .try_acquire_owned()
        .map_err(|_| shed("requests in flight"))?;
    let state = gateway.service();
    let (parts, body) = request.into_parts();
    if parts.method != Method::POST && parts.method != Method::GET {
        return Err(ApiError::new(
            ErrorCode::UnsupportedProtocol,
            format!(
                "HTTP method {} is not supported; use POST or GET.",
                parts.method
            ),
        )
        .into());
    }
    let limit = gateway.config().max_body_bytes;
    let declared = declared_length(&parts.headers, limit)?;
    // TC3 carries its credential in headers: check it before reading a byte of body.
    let early = if parts.headers.contains_key(header::AUTHORIZATION) {
        Some(tc3_credential(gateway, &parts.headers).await?)
    } else {
        None
    };
    // Without a Content-Length the body's own hint says whether there is one (a GET has
    // exactly none); a chunked body of unknown length holds the whole limit.
    let expected = declared
        .or_else(|| body.size_hint().exact().map(|n| n as usize))
        .unwrap_or(limit);
    let (body, _budget) = read_body(gateway, body, expected, limit).await?;
    let query = parts.uri.query().unwrap_or("");
    let request = match early {
        Some(credential) => {
            authenticate_tc3(credential, &parts.method, &parts.headers, query, &body)?
        }
        None => authenticate_v1(gateway, &parts.method, &parts.headers, query, &body).await?,
    };
    tracing::Span::current()
        .record("action", request.action.as_str())
        .record("app", request.caller.app_id.as_str());
    let peer = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip());
    // Without a known peer an allow-list cannot be satisfied: refuse rather than pass.
    let allowed = request.caller.allowed_ips.is_empty()
        || peer.is_some_and(|ip| manage::ip_allowed(&request.caller.allowed_ips, ip));
    if !allowed {
        return Err(ApiError::new(
            ErrorCode::AuthFailureUnauthorizedOperation,
            "This SecretId may not be used from this address (its IP allow-list).",
        )
        .into());
    }
    gateway.note_key_use(&request.caller.secret_id);
    if !gateway
        .limiter()
        .try_acquire(&request.caller.secret_id, request.action)
    {
        return Err(ApiError::new(
            ErrorCode::RequestLimitExceeded,
            format!(
                "The request rate of {} for this SecretId exceeds its limit.",
                request.action
            ),
        )
        .into());
    }
    let answer = actions::dispatch(state, &request).await?;
    if matches!(
        request.action,
        Action::GetDetectInfo
            | Action::GetDetectInfoEnhanced
            | Action::GetEidResult
            | Action::GetWeChatBillDetails
    ) {
        audit_result_pull(state, &request, peer).await?;
    }
    Ok(answer)
}

/// Every pull of results (personal data, or a bill) is in the audit log: which key, which
/// token, from where. An entry that cannot be written fails the pull rather than hiding it.
async fn audit_result_pull(
    state: &AppState,
    request: &Authenticated,
    peer: Option<std::net::IpAddr>,
) -> Result<(), ApiError> {
    let target = ["BizToken", "EidToken", "Date"]
        .iter()
        .find_map(|field| request.params.opt_string(field).ok().flatten())
        .unwrap_or_default();
    let origin = peer.map(|ip| ip.to_string()).unwrap_or_default();
    heshen_service::admin::audit(
        state.store(),
        heshen_service::admin::Actor::new(&request.caller.secret_id, &origin),
        &request.caller.app_id,
        &format!("api.{}", request.action.as_str()),
        &target,
        serde_json::json!({}),
    )
    .await
    .map_err(service_error)
}

fn too_large(limit: usize) -> Rejection {
    Rejection {
        error: ApiError::new(
            ErrorCode::RequestSizeLimitExceeded,
            format!("The request body exceeds the {limit}-byte limit."),
        ),
        close: true,
    }
}

/// The declared body length, refused at once when over the limit.
fn declared_length(headers: &HeaderMap, limit: usize) -> Result<Option<usize>, Rejection> {
    let Some(value) = headers.get(header::CONTENT_LENGTH) else {
        return Ok(None);
    };
    let declared = value
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .ok_or_else(|| {
            Rejection::from(ApiError::new(
                ErrorCode::InvalidParameter,
                "The Content-Length header is not a number.",
            ))
        })?;
    if declared > limit as u64 {
        return Err(too_large(limit));
    }
    Ok(Some(declared as usize))
}

/// Reads at most `limit` bytes within the body timeout, holding `expected` bytes of the
/// body budget (or shedding the request when the budget has no room).
async fn read_body(
    gateway: &Gateway,
    body: Body,
    expected: usize,
    limit: usize,
) -> Result<(bytes::Bytes, Option<OwnedSemaphorePermit>), Rejection> {
    let budget = if expected == 0 {
        None
    } else {
        let permits = u32::try_from(kib(expected)).unwrap_or(u32::MAX);
        Some(
            gateway
                .inner
                .body_budget
                .clone()
                .try_acquire_many_owned(permits)
                .map_err(|_| shed("request bodies held in memory"))?,
        )
    };
    let timeout = gateway.config().body_timeout;
    match tokio::time::timeout(timeout, to_bytes(body, limit)).await {
        Ok(Ok(bytes)) => Ok((bytes, budget)),
        Ok(Err(_)) => Err(too_large(limit)),
        Err(_) => Err(Rejection {
            error: ApiError::new(
                ErrorCode::InvalidParameter,
                format!(
                    "The request body did not arrive within {} s.",
                    timeout.as_secs()
                ),
            ),
            close: true,
        }),
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, ApiError> {
    match headers.get(name) {
        None => Ok(None),
        Some(v) => v.to_str().map(Some).map_err(|_| {
            ApiError::new(
                ErrorCode::InvalidParameter,
                format!("The header {name} is not valid text."),
            )
        }),
    }
}

fn check_version(version: Option<&str>) -> Result<(), ApiError> {
    match version {
        None => Err(ApiError::missing("Version")),
        Some(API_VERSION) => Ok(()),
        Some(other) => Err(ApiError::new(
            ErrorCode::NoSuchVersion,
            format!("The API version `{other}` does not exist; faceid supports {API_VERSION}."),
        )),
    }
}

fn check_action_name(action: Option<&str>) -> Result<String, ApiError> {
    match action {
        None | Some("") => Err(ApiError::missing("Action")),
        Some(a) => Ok(a.to_string()),
    }
}

/// The action a request names: unknown names are told apart from those heshen cannot do.
/// Judged only once the signature holds, so strangers learn nothing from it.
fn check_action(name: &str) -> Result<Action, ApiError> {
    let action = Action::parse(name).ok_or_else(|| {
        ApiError::new(
            ErrorCode::InvalidAction,
            format!("The action `{name}` does not exist in faceid 2018-03-01."),
        )
    })?;
    match action.unsupported_reason() {
        Some(reason) => Err(ApiError::new(
            ErrorCode::UnsupportedOperation,
            format!("{action} is not supported by heshen: {reason}"),
        )),
        None => Ok(action),
    }
}

fn check_timestamp(gateway: &Gateway, raw: Option<&str>) -> Result<i64, ApiError> {
    let raw = raw.ok_or_else(|| ApiError::missing("Timestamp"))?;
    let timestamp: i64 = raw
        .trim()
        .parse()
        .map_err(|_| ApiError::invalid("Timestamp", "it must be Unix seconds"))?;
    let window = gateway.config().signature_window.as_secs();
    let skew = gateway.service().clock().now_secs().abs_diff(timestamp);
    if skew > window {
        return Err(ApiError::new(
            ErrorCode::AuthFailureSignatureExpire,
            format!("The signature expired: the timestamp is {skew} s away from server time, more than the {window} s allowed."),
        ));
    }
    Ok(timestamp)
}

async fn lookup_key(state: &AppState, secret_id: &str) -> Result<KeyEntry, ApiError> {
    match state.api_key(secret_id).await.map_err(service_error)? {
        Some(key) if key.enabled => Ok(key),
        _ => Err(ApiError::new(
            ErrorCode::AuthFailureSecretIdNotFound,
            "The SecretId does not exist or is disabled.",
        )),
    }
}

fn signature_failure() -> ApiError {
    ApiError::new(
        ErrorCode::AuthFailureSignatureFailure,
        "The request signature does not match. Check the SecretKey and the signing method.",
    )
}

/// What a TC3 request's headers establish before its body is read.
struct Tc3Credential {
    auth: tc3::Authorization,
    action: String,
    timestamp: i64,
    key: KeyEntry,
}

async fn tc3_credential(gateway: &Gateway, headers: &HeaderMap) -> Result<Tc3Credential, ApiError> {
    let authorization = header_str(headers, "authorization")?.unwrap_or("");
    let auth = tc3::Authorization::parse(authorization).map_err(|e| {
        ApiError::new(
            ErrorCode::AuthFailureInvalidAuthorization,
            format!("The Authorization header is malformed: {e}."),
        )
    })?;
    let action = check_action_name(header_str(headers, "x-tc-action")?)?;
    check_version(header_str(headers, "x-tc-version")?)?;
    let timestamp = check_timestamp(gateway, header_str(headers, "x-tc-timestamp")?)?;
    if tc3::utc_date(timestamp).as_deref() != Some(auth.date.as_str()) {
        return Err(ApiError::new(
            ErrorCode::AuthFailureSignatureFailure,
            "The credential date does not match the UTC date of X-TC-Timestamp.",
        ));
    }
    let host = header_str(headers, "host")?.unwrap_or("");
    if !verify::service_is_acceptable(&auth.service, host) {
        return Err(ApiError::new(
            ErrorCode::AuthFailureSignatureFailure,
            format!(
                "The credential scope names service `{}`, not faceid.",
                auth.service
            ),
        ));
    }
    if !gateway.config().allow_unsigned_payload
        && header_str(headers, "x-tc-content-sha256")? == Some(tc3::UNSIGNED_PAYLOAD)
    {
        return Err(ApiError::new(
            ErrorCode::AuthFailureSignatureFailure,
            "This server requires the request body to be signed; UNSIGNED-PAYLOAD is refused.",
        ));
    }
    let key = lookup_key(gateway.service(), &auth.secret_id).await?;
    Ok(Tc3Credential {
        auth,
        action,
        timestamp,
        key,
    })
}

fn authenticate_tc3(
    credential: Tc3Credential,
    method: &Method,
    headers: &HeaderMap,
    query: &str,
    body: &[u8],
) -> Result<Authenticated, ApiError> {
    let Tc3Credential {
        auth,
        action,
        timestamp,
        key,
    } = credential;
    let mut header_pairs: Vec<(String, &str)> = Vec::with_capacity(headers.len());
    for (name, value) in headers {
        if let Ok(v) = value.to_str() {
            header_pairs.push((name.as_str().to_ascii_lowercase(), v));
        }
    }
    let header_refs: Vec<(&str, &str)> =
        header_pairs.iter().map(|(n, v)| (n.as_str(), *v)).collect();
    let parts = verify::RequestParts {
        method: method.as_str(),
        query,
        headers: &header_refs,
        body,
    };
    if !verify::verify_tc3(&parts, &auth, key.secret_key.expose_secret(), timestamp) {
        return Err(signature_failure());
    }
    let action = check_action(&action)?;
    let params = if method == Method::GET {
        Params::from_form(&form_pairs(query.as_bytes()))?
    } else {
        parse_post_body(headers, body)?
    };
    Ok(Authenticated {
        action,
        caller: Caller {
            secret_id: auth.secret_id,
            app_id: key.app_id,
            allowed_ips: key.allowed_ips,
        },
        params,
    })
}

fn form_pairs(encoded: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(encoded).into_owned().collect()
}

fn parse_post_body(headers: &HeaderMap, body: &[u8]) -> Result<Params, ApiError> {
    let content_type = header_str(headers, "content-type")?.unwrap_or("application/json");
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match mime.as_str() {
        "application/json" | "" => {
            if body.iter().all(u8::is_ascii_whitespace) {
                return Ok(Params::from_json(serde_json::Map::new()));
            }
            match serde_json::from_slice::<serde_json::Value>(body) {
                Ok(serde_json::Value::Object(map)) => Ok(Params::from_json(map)),
                Ok(_) => Err(ApiError::new(
                    ErrorCode::InvalidParameter,
                    "The request body must be a JSON object.",
                )),
                Err(e) => Err(ApiError::new(
                    ErrorCode::InvalidParameter,
                    format!("The request body is not valid JSON: {e}."),
                )),
            }
        }
        "application/x-www-form-urlencoded" => Params::from_form(&form_pairs(body)),
        other => Err(ApiError::new(
            ErrorCode::UnsupportedProtocol,
            format!("Content-Type `{other}` is not supported; send application/json."),
        )),
    }
}

async fn authenticate_v1(
    gateway: &Gateway,
    method: &Method,
    headers: &HeaderMap,
    query: &str,
    body: &[u8],
) -> Result<Authenticated, ApiError> {
    let encoded = if method == Method::GET {
        query.as_bytes()
    } else {
        body
    };
    let pairs = form_pairs(encoded);
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let Some(signature) = get("Signature") else {
        return Err(ApiError::new(
            ErrorCode::AuthFailureInvalidAuthorization,
            "The request carries neither an Authorization header nor a Signature parameter.",
        ));
    };
    let action = check_action_name(get("Action"))?;
    check_version(get("Version"))?;
    let timestamp = check_timestamp(gateway, get("Timestamp"))?;
    let nonce = get("Nonce").ok_or_else(|| ApiError::missing("Nonce"))?;
    nonce
        .parse::<u64>()
        .map_err(|_| ApiError::invalid("Nonce", "it must be a positive integer"))?;
    let secret_id = get("SecretId").ok_or_else(|| ApiError::missing("SecretId"))?;
    let signing = v1::Method::parse(get("SignatureMethod").unwrap_or("HmacSHA1"))
        .ok_or_else(|| ApiError::invalid("SignatureMethod", "it must be HmacSHA1 or HmacSHA256"))?;
    let state = gateway.service();
    let key = lookup_key(state, secret_id).await?;
    let host = header_str(headers, "host")?.unwrap_or("");
    if !verify::verify_v1(
        method.as_str(),
        host,
        &pairs,
        signing,
        key.secret_key.expose_secret(),
        signature,
    ) {
        return Err(signature_failure());
    }
    // Checked only after the signature so nobody can burn another caller's nonces. A replay
    // is the same signed request, so it repeats the Timestamp too; keying on both keeps the
    // official SDKs' 16-bit random nonces (Node's `Math.random() * 65535`) from colliding
    // between requests of different seconds.
    let window_ms = gateway.config().signature_window.as_millis() as i64;
    let seen = format!("{timestamp}:{nonce}");
    let fresh = state
        .store()
        .remember_nonce(secret_id, &seen, timestamp * 1000 + window_ms)
        .await
        .map_err(|e| service_error(e.into()))?;
    if !fresh {
        return Err(ApiError::new(
            ErrorCode::AuthFailureSignatureFailure,
            "This Nonce was already used with this SecretId: the request is a replay.",
        ));
    }
    let action = check_action(&action)?;
    let business: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| !V1_COMMON.contains(&k.as_str()))
        .cloned()
        .collect();
    Ok(Authenticated {
        action,
        caller: Caller {
            secret_id: secret_id.to_string(),
            app_id: key.app_id,
            allowed_ips: key.allowed_ips,
        },
        params: Params::from_form(&business)?,
    })
}
