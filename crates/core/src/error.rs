//! The platform and FaceID error codes that travel in `Response.Error.Code`.

use std::fmt;

macro_rules! error_codes {
    ($($variant:ident => $code:literal,)*) => {
        /// An error code of Tencent Cloud API 3.0 or of FaceID's `errorcodes.py`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode { $($variant,)* }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code,)* }
            }
        }
    };
}

error_codes! {
    AuthFailureInvalidAuthorization => "AuthFailure.InvalidAuthorization",
    AuthFailureSecretIdNotFound => "AuthFailure.SecretIdNotFound",
    AuthFailureSignatureExpire => "AuthFailure.SignatureExpire",
    AuthFailureSignatureFailure => "AuthFailure.SignatureFailure",
    AuthFailureTokenFailure => "AuthFailure.TokenFailure",
    AuthFailureUnauthorizedOperation => "AuthFailure.UnauthorizedOperation",
    InvalidAction => "InvalidAction",
    NoSuchVersion => "NoSuchVersion",
    MissingParameter => "MissingParameter",
    UnknownParameter => "UnknownParameter",
    InvalidParameter => "InvalidParameter",
    InvalidParameterValue => "InvalidParameterValue",
    InvalidParameterUnsupportEncryptField => "InvalidParameter.UnsupportEncryptField",
    BizTokenExpired => "InvalidParameterValue.BizTokenExpired",
    BizTokenIllegal => "InvalidParameterValue.BizTokenIllegal",
    RuleIdDisabled => "InvalidParameterValue.RuleIdDisabled",
    RuleIdNotExist => "InvalidParameterValue.RuleIdNotExist",
    RequestLimitExceeded => "RequestLimitExceeded",
    RequestSizeLimitExceeded => "RequestSizeLimitExceeded",
    UnsupportedOperation => "UnsupportedOperation",
    UnsupportedProtocol => "UnsupportedProtocol",
    UnauthorizedOperation => "UnauthorizedOperation",
    InternalError => "InternalError",
    FailedOperationInvalidTokenParameter => "FailedOperation.InvalidTokenParameter",
    FailedOperationDecryptSystemError => "FailedOperation.DecryptSystemError",
    FailedOperationImageDecodeFailed => "FailedOperation.ImageDecodeFailed",
    FailedOperationEmptyImageError => "FailedOperation.EmptyImageError",
    FailedOperationDbError => "FailedOperation.DbError",
    FailedOperationUnKnown => "FailedOperation.UnKnown",
    InternalErrorEncryptSystemError => "InternalError.EncryptSystemError",
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error answered inside the `{"Response": {"Error": …}}` envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    pub fn missing(field: &str) -> Self {
        Self::new(
            ErrorCode::MissingParameter,
            format!("The request is missing a required parameter `{field}`."),
        )
    }

    pub fn invalid(field: &str, why: impl fmt::Display) -> Self {
        Self::new(
            ErrorCode::InvalidParameterValue,
            format!("The value of parameter `{field}` is invalid: {why}."),
        )
    }

    pub fn wrong_type(field: &str, expected: &str) -> Self {
        Self::new(
            ErrorCode::InvalidParameter,
            format!("The parameter `{field}` must be of type {expected}."),
        )
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InternalError, message)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ApiError {}
