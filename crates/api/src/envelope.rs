//! The `{"Response": …}` envelope every answer travels in.
//!
//! Always HTTP 200 and exactly `Content-Type: application/json`: the Python SDK and
//! tccli silently drop the `Error` object under any other content type (FACEID_API.md §5.5).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use heshen_core::ApiError;
use serde_json::{json, Value};

pub fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Wraps an action's output fields; `fields` must be a JSON object.
pub fn success(request_id: &str, fields: Value) -> Response {
    let mut fields = match fields {
        Value::Object(map) => map,
        other => {
            tracing::error!(?other, "action returned a non-object");
            return error(
                request_id,
                &ApiError::internal("The action produced no result."),
            );
        }
    };
    fields.insert("RequestId".into(), Value::String(request_id.to_string()));
    json_response(json!({ "Response": fields }))
}

pub fn error(request_id: &str, err: &ApiError) -> Response {
    json_response(json!({
        "Response": {
            "Error": {"Code": err.code.as_str(), "Message": err.message},
            "RequestId": request_id,
        }
    }))
}

fn json_response(body: Value) -> Response {
    let bytes = serde_json::to_vec(&body).unwrap_or_else(|_| b"{}".to_vec());
    let mut response = (StatusCode::OK, bytes).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
