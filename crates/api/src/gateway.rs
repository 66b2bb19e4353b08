//! The single API 3.0 endpoint: reads the request, authenticates it, applies the
//! rate limit and hands the fields to the action.

use crate::actions;
use crate::envelope;
use crate::params::Params;
use crate::state::{AppState, Caller};
use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::response::Response;
use heshen_core::sign::{tc3, v1, verify};
use heshen_core::{ApiError, ErrorCode};

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
    pub action: String,
    pub caller: Caller,
    pub params: Params,
}

pub async fn handle(State(state): State<AppState>, request: Request) -> Response {
    let request_id = envelope::new_request_id();
    let trace_id = request.headers().get("x-tc-traceid").cloned();
    let (response, close) = match process(&state, request).await {
        Ok(fields) => (envelope::success(&request_id, fields), false),
        Err(Rejection { error, close }) => {
            tracing::debug!(code = %error.code, message = %error.message, "request refused");
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

async fn process(state: &AppState, request: Request) -> Result<serde_json::Value, Rejection> {
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
    let body = read_body(body, &parts.headers, state.config().max_body_bytes).await?;
    let query = parts.uri.query().unwrap_or("");
    let request = authenticate(state, &parts.method, &parts.headers, query, &body).await?;
    if !state
        .limiter()
        .try_acquire(&request.caller.secret_id, &request.action)
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
    Ok(actions::dispatch(state, &request).await?)
}

async fn read_body(
    body: Body,
    headers: &HeaderMap,
    limit: usize,
) -> Result<bytes::Bytes, Rejection> {
    let too_large = || Rejection {
        error: ApiError::new(
            ErrorCode::RequestSizeLimitExceeded,
            format!("The request body exceeds the {limit}-byte limit."),
        ),
        close: true,
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    to_bytes(body, limit).await.map_err(|_| too_large())
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

async fn authenticate(
    state: &AppState,
    method: &Method,
    headers: &HeaderMap,
    query: &str,
    body: &[u8],
) -> Result<Authenticated, ApiError> {
    if headers.contains_key(header::AUTHORIZATION) {
        authenticate_tc3(state, method, headers, query, body).await
    } else {
        authenticate_v1(state, method, headers, query, body).await
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

fn check_timestamp(state: &AppState, raw: Option<&str>) -> Result<i64, ApiError> {
    let raw = raw.ok_or_else(|| ApiError::missing("Timestamp"))?;
    let timestamp: i64 = raw
        .trim()
        .parse()
        .map_err(|_| ApiError::invalid("Timestamp", "it must be Unix seconds"))?;
    let window = state.config().signature_window.as_secs() as i64;
    let skew = (state.clock().now_secs() - timestamp).abs();
    if skew > window {
        return Err(ApiError::new(
            ErrorCode::AuthFailureSignatureExpire,
            format!("The signature expired: the timestamp is {skew} s away from server time, more than the {window} s allowed."),
        ));
    }
    Ok(timestamp)
}

async fn lookup_key(state: &AppState, secret_id: &str) -> Result<crate::state::KeyEntry, ApiError> {
    match state.api_key(secret_id).await? {
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

async fn authenticate_tc3(
    state: &AppState,
    method: &Method,
    headers: &HeaderMap,
    query: &str,
    body: &[u8],
) -> Result<Authenticated, ApiError> {
    let authorization = header_str(headers, "authorization")?.unwrap_or("");
    let auth = tc3::Authorization::parse(authorization).map_err(|e| {
        ApiError::new(
            ErrorCode::AuthFailureInvalidAuthorization,
            format!("The Authorization header is malformed: {e}."),
        )
    })?;
    let action = check_action_name(header_str(headers, "x-tc-action")?)?;
    check_version(header_str(headers, "x-tc-version")?)?;
    let timestamp = check_timestamp(state, header_str(headers, "x-tc-timestamp")?)?;
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
    let key = lookup_key(state, &auth.secret_id).await?;

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
    if !verify::verify_tc3(&parts, &auth, &key.secret_key, timestamp) {
        return Err(signature_failure());
    }

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
    state: &AppState,
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
    let timestamp = check_timestamp(state, get("Timestamp"))?;
    let nonce = get("Nonce").ok_or_else(|| ApiError::missing("Nonce"))?;
    nonce
        .parse::<u64>()
        .map_err(|_| ApiError::invalid("Nonce", "it must be a positive integer"))?;
    let secret_id = get("SecretId").ok_or_else(|| ApiError::missing("SecretId"))?;
    let signing = v1::Method::parse(get("SignatureMethod").unwrap_or("HmacSHA1"))
        .ok_or_else(|| ApiError::invalid("SignatureMethod", "it must be HmacSHA1 or HmacSHA256"))?;
    let key = lookup_key(state, secret_id).await?;
    let host = header_str(headers, "host")?.unwrap_or("");
    if !verify::verify_v1(
        method.as_str(),
        host,
        &pairs,
        signing,
        &key.secret_key,
        signature,
    ) {
        return Err(signature_failure());
    }
    // Checked only after the signature so nobody can burn another caller's nonces.
    let window_ms = state.config().signature_window.as_millis() as i64;
    let fresh = state
        .store()
        .remember_nonce(secret_id, nonce, timestamp * 1000 + window_ms)
        .await
        .map_err(crate::state::storage_error)?;
    if !fresh {
        return Err(ApiError::new(
            ErrorCode::AuthFailureSignatureFailure,
            "This Nonce was already used with this SecretId: the request is a replay.",
        ));
    }
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
        },
        params: Params::from_form(&business)?,
    })
}
