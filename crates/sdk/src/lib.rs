//! A small client for the FaceID 2018-03-01 API as heshen (or Tencent Cloud) serves it.
//!
//! It signs every request with TC3-HMAC-SHA256 using the same code the server
//! verifies with, and returns each action's `Response` object.
//!
//! ```no_run
//! # async fn demo() -> Result<(), heshen_sdk::Error> {
//! let client = heshen_sdk::Client::new("http://127.0.0.1:8080", "AKID…", "secret");
//! let auth = client.detect_auth(&heshen_sdk::DetectAuth { rule_id: "1".into(), ..Default::default() }).await?;
//! let result = client.call("GetDetectInfoEnhanced", &serde_json::json!({"BizToken": auth.biz_token, "RuleId": "1"})).await?;
//! # Ok(()) }
//! ```

use heshen_core::sign::tc3;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

pub const VERSION: &str = "2018-03-01";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("transport: {0}")]
    Transport(#[from] reqwest::Error),
    #[error("the server answered HTTP {status}: {body}")]
    Status { status: u16, body: String },
    #[error("the answer is not a FaceID envelope: {0}")]
    Envelope(String),
    #[error("{code}: {message} (RequestId {request_id})")]
    Api {
        code: String,
        message: String,
        request_id: String,
    },
}

impl Error {
    /// The FaceID error code, when the server answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Api { code, .. } => Some(code),
            _ => None,
        }
    }
}

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    endpoint: String,
    host: String,
    secret_id: String,
    secret_key: String,
    /// Seconds added to the clock when signing; lets tests send stale signatures.
    clock_skew_secs: i64,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.endpoint)
            .field("secret_id", &self.secret_id)
            .field("secret_key", &"<redacted>")
            .finish()
    }
}

impl Client {
    /// `endpoint` is a base URL such as `http://127.0.0.1:8080`.
    pub fn new(endpoint: &str, secret_id: &str, secret_key: &str) -> Self {
        let endpoint = endpoint.trim_end_matches('/').to_string();
        let host = endpoint
            .split_once("://")
            .map_or(endpoint.as_str(), |(_, rest)| rest)
            .to_string();
        Self {
            http: reqwest::Client::new(),
            endpoint,
            host,
            secret_id: secret_id.to_string(),
            secret_key: secret_key.to_string(),
            clock_skew_secs: 0,
        }
    }

    pub fn with_clock_skew(mut self, seconds: i64) -> Self {
        self.clock_skew_secs = seconds;
        self
    }

    fn now(&self) -> i64 {
        time::OffsetDateTime::now_utc().unix_timestamp() + self.clock_skew_secs
    }

    /// Calls any action with a JSON object of fields; returns `Response` without `RequestId`.
    pub async fn call(&self, action: &str, fields: &Value) -> Result<Value, Error> {
        let body = serde_json::to_vec(fields).map_err(|e| Error::Envelope(e.to_string()))?;
        let timestamp = self.now();
        let content_type = "application/json";
        let authorization = tc3::authorize_json_post(
            &self.secret_id,
            &self.secret_key,
            &self.host,
            &body,
            timestamp,
        );
        let response = self
            .http
            .post(format!("{}/", self.endpoint))
            .header("Content-Type", content_type)
            .header("Authorization", authorization)
            .header("X-TC-Action", action)
            .header("X-TC-Version", VERSION)
            .header("X-TC-Timestamp", timestamp.to_string())
            .header(
                "X-TC-RequestClient",
                concat!("heshen-sdk/", env!("CARGO_PKG_VERSION")),
            )
            .body(body)
            .send()
            .await?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            return Err(Error::Status {
                status: status.as_u16(),
                body: text,
            });
        }
        unwrap_envelope(&text)
    }

    /// Calls `action` with a typed request and reads its typed answer.
    pub async fn call_typed<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        action: &str,
        request: &Req,
    ) -> Result<Resp, Error> {
        let value = self.call(action, &to_fields(request)?).await?;
        serde_json::from_value(value).map_err(|e| Error::Envelope(e.to_string()))
    }

    pub async fn detect_auth(&self, request: &DetectAuth) -> Result<DetectAuthResponse, Error> {
        self.call_typed("DetectAuth", request).await
    }

    pub async fn get_live_code(&self) -> Result<protocol::GetLiveCodeResponse, Error> {
        self.call_typed("GetLiveCode", &protocol::GetLiveCodeRequest {})
            .await
    }

    pub async fn id_card_verification(
        &self,
        id_card: &str,
        name: &str,
    ) -> Result<protocol::IdCardVerificationResponse, Error> {
        let request = protocol::IdCardVerificationRequest {
            id_card: id_card.into(),
            name: name.into(),
            encryption: None,
        };
        self.call_typed("IdCardVerification", &request).await
    }

    pub async fn check_eid_token_status(
        &self,
        eid_token: &str,
    ) -> Result<protocol::CheckEidTokenStatusResponse, Error> {
        let request = protocol::CheckEidTokenStatusRequest {
            eid_token: eid_token.into(),
        };
        self.call_typed("CheckEidTokenStatus", &request).await
    }

    /// The result of a DetectAuth flow; `info_type` as FaceID's `InfoType` ("0" for all).
    pub async fn get_detect_info_enhanced(
        &self,
        biz_token: &str,
        rule_id: &str,
        info_type: &str,
    ) -> Result<protocol::GetDetectInfoEnhancedResponse, Error> {
        let request = protocol::GetDetectInfoEnhancedRequest {
            biz_token: biz_token.into(),
            rule_id: rule_id.into(),
            info_type: Some(info_type.into()),
            ..Default::default()
        };
        self.call_typed("GetDetectInfoEnhanced", &request).await
    }

    pub async fn get_eid_token(
        &self,
        merchant_id: &str,
        extra: Value,
    ) -> Result<EidTokenResponse, Error> {
        let mut fields = extra;
        fields["MerchantId"] = Value::String(merchant_id.to_string());
        let value = self.call("GetEidToken", &fields).await?;
        serde_json::from_value(value).map_err(|e| Error::Envelope(e.to_string()))
    }

    /// The result of an eID flow; the identity is in `EidInfo`, sealed for the merchant.
    pub async fn get_eid_result(
        &self,
        eid_token: &str,
        info_type: &str,
    ) -> Result<protocol::GetEidResultResponse, Error> {
        let request = protocol::GetEidResultRequest {
            eid_token: eid_token.into(),
            info_type: Some(info_type.into()),
            ..Default::default()
        };
        self.call_typed("GetEidResult", &request).await
    }
}

fn to_fields<T: Serialize>(request: &T) -> Result<Value, Error> {
    serde_json::to_value(request).map_err(|e| Error::Envelope(e.to_string()))
}

/// Splits a `{"Response": …}` body into the result or the API error.
pub fn unwrap_envelope(text: &str) -> Result<Value, Error> {
    let mut value: Value =
        serde_json::from_str(text).map_err(|e| Error::Envelope(format!("{e}: {text}")))?;
    let mut response = value
        .get_mut("Response")
        .map(Value::take)
        .ok_or_else(|| Error::Envelope(format!("no Response in {text}")))?;
    let request_id = response
        .get("RequestId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if let Some(error) = response.get("Error") {
        return Err(Error::Api {
            code: error["Code"].as_str().unwrap_or_default().to_string(),
            message: error["Message"].as_str().unwrap_or_default().to_string(),
            request_id,
        });
    }
    if let Some(map) = response.as_object_mut() {
        map.remove("RequestId");
    }
    Ok(response)
}

/// The request and response bodies, shared with the server.
pub use heshen_core::protocol;
pub use heshen_core::protocol::{
    DetectAuthRequest as DetectAuth, DetectAuthResponse, GetEidTokenResponse as EidTokenResponse,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes() {
        let ok = unwrap_envelope(r#"{"Response":{"BizToken":"T","RequestId":"r"}}"#).unwrap();
        assert_eq!(ok, serde_json::json!({"BizToken": "T"}));
        let err =
            unwrap_envelope(r#"{"Response":{"Error":{"Code":"X","Message":"m"},"RequestId":"r"}}"#)
                .unwrap_err();
        assert_eq!(err.code(), Some("X"));
        assert!(unwrap_envelope("{}").is_err());
    }
}
