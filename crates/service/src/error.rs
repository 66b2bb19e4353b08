//! The application layer's one error type. Front doors map it to their wire format at
//! their edge (the API gateway to FaceID's error codes, pages to an error page).

use heshen_core::codes::ResultCode;

#[derive(Debug, Clone, thiserror::Error)]
pub enum ServiceError {
    /// The database or object store failed; the detail is for logs, not for callers.
    #[error("storage failed: {0}")]
    Storage(String),
    /// Stored data that cannot be read back (a bug or tampering), never the caller's fault.
    #[error("stored {what} is unreadable: {detail}")]
    Corrupt { what: &'static str, detail: String },
    #[error("no such flow")]
    FlowNotFound,
    /// An upload went past its limit; nothing of it was kept.
    #[error("the upload is larger than {0} bytes")]
    UploadTooLarge(u64),
    /// The flow's state machine refused the step, with the result code that says why.
    #[error("the flow refused the step (result code {})", .0.code)]
    Refused(ResultCode),
    #[error("the flow is being changed by too many requests at once")]
    Contended,
    #[error("the vision engine is not loaded on this node")]
    VisionUnavailable,
    /// The engine itself failed (model, runtime, ffmpeg missing): the deployment's problem.
    #[error("the vision engine failed: {0}")]
    VisionFault(String),
    /// An administrative request that does not make sense (bad configuration, unknown name).
    #[error("{0}")]
    Invalid(String),
    /// The signed-in user's role does not allow the action.
    #[error("your role does not allow this")]
    Forbidden,
    /// A console object that does not exist or that the user may not see (the same answer
    /// for both, so ids cannot be probed).
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Internal(String),
}

impl From<heshen_store::StoreError> for ServiceError {
    fn from(err: heshen_store::StoreError) -> Self {
        match err {
            heshen_store::StoreError::TooLarge { max_bytes } => Self::UploadTooLarge(max_bytes),
            other => Self::Storage(other.to_string()),
        }
    }
}

impl ServiceError {
    pub fn corrupt(what: &'static str, detail: impl std::fmt::Display) -> Self {
        Self::Corrupt {
            what,
            detail: detail.to_string(),
        }
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;
