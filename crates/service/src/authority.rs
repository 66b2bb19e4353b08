//! Authority sources: where a verification learns whether a (ID number, name) pair
//! exists and what the person looks like. heshen's own registry (`heshen registry
//! import`) is the default; a deployment with access to a real source plugs in the
//! HTTP connector by configuration.

use crate::outbound::Outbound;
use base64::Engine as _;
use heshen_core::{IdCardNumber, PersonName};
use heshen_store::Store;
use secrecy::{ExposeSecret, SecretString};
use std::future::Future;
use std::pin::Pin;

/// What the authority knows about one (ID number, name) pair.
#[derive(Clone, PartialEq)]
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

/// A person's photo is personal data: Debug output says only whether it is there.
impl std::fmt::Debug for AuthorityAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Match { photo, embedding } => f
                .debug_struct("Match")
                .field("photo_bytes", &photo.as_ref().map(Vec::len))
                .field("embedding_bytes", &embedding.as_ref().map(Vec::len))
                .finish(),
            Self::NameMismatch => f.write_str("NameMismatch"),
            Self::NotFound => f.write_str("NotFound"),
        }
    }
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
/// "PhotoBase64": "…"}`. It goes through the shared [`Outbound`] client, so its address must
/// be public or in `outbound_allow`.
pub struct HttpSource {
    url: String,
    token: Option<SecretString>,
    outbound: Outbound,
}

/// An authority's answer carries a photo; a few megabytes is plenty for one.
const MAX_ANSWER_BYTES: usize = 8 * 1024 * 1024;

impl HttpSource {
    pub fn new(url: &str, token: Option<SecretString>, outbound: Outbound) -> Self {
        Self {
            url: url.to_string(),
            token,
            outbound,
        }
    }
}

impl AuthoritySource for HttpSource {
    fn lookup<'a>(&'a self, id_card: &'a str, name: &'a str) -> LookupFuture<'a> {
        Box::pin(async move {
            let body = self
                .outbound
                .post_json(
                    &self.url,
                    self.token.as_ref().map(|t| t.expose_secret()),
                    &serde_json::json!({"IdCard": id_card, "Name": name}),
                    MAX_ANSWER_BYTES,
                )
                .await
                .map_err(|e| AuthorityError::Unavailable(e.to_string()))?;
            // Never echo the answer: it may hold a photo and personal data.
            match body.get("Result").and_then(|r| r.as_str()) {
                Some("match") => {
                    let photo = match body.get("PhotoBase64").and_then(|p| p.as_str()) {
                        Some(b64) if !b64.is_empty() => Some(
                            base64::engine::general_purpose::STANDARD
                                .decode(b64)
                                .map_err(|_| {
                                    AuthorityError::BadAnswer("PhotoBase64 is not base64".into())
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
                Some(_) => Err(AuthorityError::BadAnswer(
                    "Result is not match, name_mismatch or not_found".into(),
                )),
                None => Err(AuthorityError::BadAnswer("the answer has no Result".into())),
            }
        })
    }
}

/// The outcome of checking a (ID number, name) pair against the authority.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityCheck {
    Match,
    Mismatch,
    InvalidIdCard,
    InvalidName,
    SourceError,
    NotFound,
}

/// Checks a pair against the authority; invalid input is an outcome, not an error.
pub async fn check_identity(
    source: &dyn AuthoritySource,
    id_card: &str,
    name: &str,
) -> (IdentityCheck, Option<AuthorityAnswer>) {
    let Ok(id) = IdCardNumber::parse(id_card) else {
        return (IdentityCheck::InvalidIdCard, None);
    };
    let Ok(name) = PersonName::parse(name) else {
        return (IdentityCheck::InvalidName, None);
    };
    match source.lookup(id.as_str(), name.as_str()).await {
        Ok(answer) => {
            let result = match &answer {
                AuthorityAnswer::Match { .. } => IdentityCheck::Match,
                AuthorityAnswer::NameMismatch => IdentityCheck::Mismatch,
                AuthorityAnswer::NotFound => IdentityCheck::NotFound,
            };
            (result, Some(answer))
        }
        Err(err) => {
            tracing::warn!(error = %err, "authority lookup failed");
            (IdentityCheck::SourceError, None)
        }
    }
}
