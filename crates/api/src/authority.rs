//! Authority sources: where a verification learns whether a (ID number, name) pair
//! exists and what the person looks like. heshen's own registry (`heshen registry
//! import`) is the default; a deployment with access to a real source plugs in the
//! HTTP connector by configuration.

use base64::Engine as _;
use heshen_store::Store;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// What the authority knows about one (ID number, name) pair.
#[derive(Debug, Clone, PartialEq)]
pub enum AuthorityAnswer {
    /// The pair exists; the photo (and its embedding, when precomputed) may be absent.
    Match {
        photo: Option<Vec<u8>>,
        embedding: Option<Vec<u8>>,
    },
    /// The ID number exists under another name.
    NameMismatch,
    NotFound,
}

#[derive(Debug, thiserror::Error)]
pub enum AuthorityError {
    #[error("the authority source is unavailable: {0}")]
    Unavailable(String),
    #[error("the authority source answered something unexpected: {0}")]
    BadAnswer(String),
}

pub type LookupFuture<'a> =
    Pin<Box<dyn Future<Output = Result<AuthorityAnswer, AuthorityError>> + Send + 'a>>;

/// A source of identity truth.
pub trait AuthoritySource: Send + Sync {
    fn lookup<'a>(&'a self, id_card: &'a str, name: &'a str) -> LookupFuture<'a>;
}

/// heshen's own registry in its store.
pub struct RegistrySource {
    store: Store,
}

impl RegistrySource {
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}

impl AuthoritySource for RegistrySource {
    fn lookup<'a>(&'a self, id_card: &'a str, name: &'a str) -> LookupFuture<'a> {
        Box::pin(async move {
            let found = self
                .store
                .identity(id_card)
                .await
                .map_err(|e| AuthorityError::Unavailable(e.to_string()))?;
            Ok(match found {
                None => AuthorityAnswer::NotFound,
                Some(identity) if identity.name != name => AuthorityAnswer::NameMismatch,
                Some(identity) => AuthorityAnswer::Match {
                    photo: identity.photo,
                    embedding: identity.embedding,
                },
            })
        })
    }
}

/// A remote source speaking a small JSON protocol:
/// `POST <url>` with `{"IdCard": "…", "Name": "…"}` (and `Authorization: Bearer <token>`
/// when configured) answers `{"Result": "match" | "name_mismatch" | "not_found",
/// "PhotoBase64": "…"}`.
pub struct HttpSource {
    url: String,
    token: Option<String>,
    client: reqwest::Client,
}

impl HttpSource {
    pub fn new(
        url: &str,
        token: Option<String>,
        timeout: Duration,
    ) -> Result<Self, AuthorityError> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| AuthorityError::Unavailable(e.to_string()))?;
        Ok(Self {
            url: url.to_string(),
            token,
            client,
        })
    }
}

impl AuthoritySource for HttpSource {
    fn lookup<'a>(&'a self, id_card: &'a str, name: &'a str) -> LookupFuture<'a> {
        Box::pin(async move {
            let mut request = self
                .client
                .post(&self.url)
                .json(&serde_json::json!({"IdCard": id_card, "Name": name}));
            if let Some(token) = &self.token {
                request = request.bearer_auth(token);
            }
            let response = request
                .send()
                .await
                .map_err(|e| AuthorityError::Unavailable(e.to_string()))?;
            if !response.status().is_success() {
                return Err(AuthorityError::Unavailable(format!(
                    "HTTP {}",
                    response.status()
                )));
            }
            let body: serde_json::Value = response
                .json()
                .await
                .map_err(|e| AuthorityError::BadAnswer(e.to_string()))?;
            match body.get("Result").and_then(|r| r.as_str()) {
                Some("match") => {
                    let photo = match body.get("PhotoBase64").and_then(|p| p.as_str()) {
                        Some(b64) if !b64.is_empty() => Some(
                            base64::engine::general_purpose::STANDARD
                                .decode(b64)
                                .map_err(|e| {
                                    AuthorityError::BadAnswer(format!("PhotoBase64: {e}"))
                                })?,
                        ),
                        _ => None,
                    };
                    Ok(AuthorityAnswer::Match {
                        photo,
                        embedding: None,
                    })
                }
                Some("name_mismatch") => Ok(AuthorityAnswer::NameMismatch),
                Some("not_found") => Ok(AuthorityAnswer::NotFound),
                _ => Err(AuthorityError::BadAnswer(body.to_string())),
            }
        })
    }
}
