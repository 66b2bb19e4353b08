//! The legacy real-name protocol's pull of results (seed 003):
//! `POST /new/cgi-bin/getdetectinfo.php` with the `signature` header and
//! `{token, appid, info_type}`, answered `{errorcode, errormsg, data}` with `data` encrypted
//! for the appid (`heshen_service::legacy` gives the scheme, docs/legacy.md the codes).

use crate::gateway::Gateway;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use heshen_core::legacy::LegacyError;
use heshen_service::legacy::{self, InfoType};
use serde_json::{json, Value};

/// The body of a pull. `info_type` is an Int in the seed's table and a string ("0", "1") in
/// its prose; both are taken.
#[derive(Debug)]
struct Pull {
    token: String,
    appid: String,
    info: InfoType,
}

fn parse(body: &[u8]) -> Result<Pull, LegacyError> {
    let value: Value = serde_json::from_slice(body).map_err(|_| LegacyError::BadRequest)?;
    let text = |key: &str| {
        value
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .ok_or(LegacyError::BadRequest)
    };
    let info = match value.get("info_type") {
        None | Some(Value::Null) => InfoType::WithFiles,
        Some(v) if v.as_i64() == Some(0) || v.as_str() == Some("0") => InfoType::WithFiles,
        Some(v) if v.as_i64() == Some(1) || v.as_str() == Some("1") => InfoType::TextOnly,
        Some(_) => return Err(LegacyError::BadRequest),
    };
    Ok(Pull {
        token: text("token")?,
        appid: text("appid")?,
        info,
    })
}

fn reply(body: Value, status: StatusCode) -> Response {
    let mut response = (status, Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn refusal(err: LegacyError) -> Response {
    let status = if err == LegacyError::Unavailable {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    reply(
        json!({"errorcode": err.code(), "errormsg": err.to_string(), "data": ""}),
        status,
    )
}

pub async fn get_detect_info(
    State(gateway): State<Gateway>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let signature = headers
        .get("signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if signature.is_empty() {
        return refusal(LegacyError::SignatureMalformed);
    }
    let pull = match parse(&body) {
        Ok(pull) => pull,
        Err(err) => return refusal(err),
    };
    match legacy::detect_info(
        gateway.service(),
        signature,
        &pull.token,
        &pull.appid,
        pull.info,
    )
    .await
    {
        Ok(data) => reply(
            json!({"errorcode": 0, "errormsg": "success", "data": data}),
            StatusCode::OK,
        ),
        Err(err) => refusal(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_type_is_taken_as_a_number_or_a_string_and_defaults_to_everything() {
        let pull = parse(br#"{"token":"T","appid":"A","info_type":"1"}"#).unwrap();
        assert_eq!(pull.info, InfoType::TextOnly);
        let pull = parse(br#"{"token":"T","appid":"A","info_type":0}"#).unwrap();
        assert_eq!(pull.info, InfoType::WithFiles);
        let pull = parse(br#"{"token":"T","appid":"A"}"#).unwrap();
        assert_eq!(pull.info, InfoType::WithFiles);
        assert_eq!(
            parse(br#"{"token":"T","appid":"A","info_type":7}"#).unwrap_err(),
            LegacyError::BadRequest
        );
        assert_eq!(parse(b"not json").unwrap_err(), LegacyError::BadRequest);
        assert_eq!(
            parse(br#"{"appid":"A"}"#).unwrap_err(),
            LegacyError::BadRequest
        );
    }
}
