//! Two-factor identity checks against the authority source (IdCardVerification).

use crate::authority::{AuthorityAnswer, AuthorityError};
use crate::params::Params;
use crate::state::AppState;
use heshen_core::{ApiError, IdCardNumber, PersonName};
use serde_json::{json, Value};

/// FaceID's string results for name + ID number checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TwoFactorResult {
    Match,
    Mismatch,
    InvalidIdCard,
    InvalidName,
    SourceError,
    NotFound,
}

impl TwoFactorResult {
    pub fn code(self) -> &'static str {
        match self {
            Self::Match => "0",
            Self::Mismatch => "-1",
            Self::InvalidIdCard => "-2",
            Self::InvalidName => "-3",
            Self::SourceError => "-4",
            Self::NotFound => "-5",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Self::Match => "姓名和身份证号一致",
            Self::Mismatch => "姓名和身份证号不一致",
            Self::InvalidIdCard => "非法身份证号(长度、校验位等不正确)",
            Self::InvalidName => "非法姓名(长度、格式等不正确)",
            Self::SourceError => "证件库服务异常",
            Self::NotFound => "证件库中无此身份证记录",
        }
    }
}

/// Checks a pair against the authority; invalid input is a result, not an error, as in FaceID.
pub async fn check_pair(
    state: &AppState,
    id_card: &str,
    name: &str,
) -> (TwoFactorResult, Option<AuthorityAnswer>) {
    let Ok(id) = IdCardNumber::parse(id_card) else {
        return (TwoFactorResult::InvalidIdCard, None);
    };
    let Ok(name) = PersonName::parse(name) else {
        return (TwoFactorResult::InvalidName, None);
    };
    match state.authority().lookup(id.as_str(), name.as_str()).await {
        Ok(answer) => {
            let result = match &answer {
                AuthorityAnswer::Match { .. } => TwoFactorResult::Match,
                AuthorityAnswer::NameMismatch => TwoFactorResult::Mismatch,
                AuthorityAnswer::NotFound => TwoFactorResult::NotFound,
            };
            (result, Some(answer))
        }
        Err(AuthorityError::Unavailable(e) | AuthorityError::BadAnswer(e)) => {
            tracing::warn!(error = %e, "authority lookup failed");
            (TwoFactorResult::SourceError, None)
        }
    }
}

pub async fn id_card_verification(state: &AppState, params: &Params) -> Result<Value, ApiError> {
    params.allow_only(&["IdCard", "Name", "Encryption"])?;
    let id_card = params.req_string("IdCard")?;
    let name = params.req_string("Name")?;
    let (result, _) = check_pair(state, &id_card, &name).await;
    Ok(json!({"Result": result.code(), "Description": result.description()}))
}
