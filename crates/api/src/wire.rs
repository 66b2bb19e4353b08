//! The application layer's outcomes and errors, in FaceID's words: the one place where
//! heshen-service's engine-neutral values become API 3.0 error codes and `Result` strings.

use heshen_core::{ApiError, ErrorCode};
use heshen_service::authority::IdentityCheck;
use heshen_service::outbound::FetchError;
use heshen_service::verify::Failure;
use heshen_service::ServiceError;
use heshen_vision::liveness::{LivenessFailure, LivenessFailureKind};
use heshen_vision::ocr::OcrError;
use heshen_vision::{QualityIssue, VisionError};

/// An application error as the API answers it; internals go to the log, not to the caller.
pub fn service_error(err: ServiceError) -> ApiError {
    match err {
        ServiceError::Storage(detail) => {
            tracing::error!(%detail, "storage failure");
            ApiError::new(
                ErrorCode::FailedOperationDbError,
                "The storage backend failed; please retry.",
            )
        }
        ServiceError::Corrupt { what, detail } => {
            tracing::error!(what, %detail, "unreadable stored data");
            ApiError::new(
                ErrorCode::FailedOperationDbError,
                format!("The stored {what} could not be read."),
            )
        }
        ServiceError::Contended => ApiError::new(
            ErrorCode::FailedOperationDbError,
            "The flow is being changed by too many requests at once; retry.",
        ),
        ServiceError::FlowNotFound => ApiError::new(
            ErrorCode::BizTokenIllegal,
            "The token is not a valid token of this account.",
        ),
        ServiceError::Refused(code) => ApiError::new(
            ErrorCode::InvalidParameterValue,
            format!("The flow refused the step: {} ({}).", code.message, code.code),
        ),
        ServiceError::VisionUnavailable => ApiError::new(
            ErrorCode::UnsupportedOperation,
            "This action needs the vision engine, which this node was started without; run `heshen models fetch` and restart.",
        ),
        ServiceError::VisionFault(detail) => {
            tracing::error!(%detail, "vision engine fault");
            ApiError::internal("The vision engine failed; please retry.")
        }
        ServiceError::Invalid(why) => ApiError::new(ErrorCode::InvalidParameterValue, why),
        // Console errors; no API action raises them, but the mapping stays total.
        ServiceError::Forbidden => ApiError::new(
            ErrorCode::UnauthorizedOperation,
            "The caller is not allowed to do this.",
        ),
        ServiceError::NotFound => ApiError::new(
            ErrorCode::InvalidParameterValue,
            "The resource does not exist.",
        ),
        ServiceError::UploadTooLarge(max) => ApiError::new(
            ErrorCode::RequestSizeLimitExceeded,
            format!("The upload is larger than {max} bytes."),
        ),
        ServiceError::Internal(detail) => {
            tracing::error!(%detail, "internal error");
            ApiError::internal("The server hit an internal error.")
        }
    }
}

/// FaceID's two-factor `Result` code and description for an identity check.
pub fn identity_result(check: IdentityCheck) -> (&'static str, &'static str) {
    match check {
        IdentityCheck::Match => ("0", "姓名和身份证号一致"),
        IdentityCheck::Mismatch => ("-1", "姓名和身份证号不一致"),
        IdentityCheck::InvalidIdCard => ("-2", "非法身份证号(长度、校验位等不正确)"),
        IdentityCheck::InvalidName => ("-3", "非法姓名(长度、格式等不正确)"),
        IdentityCheck::SourceError => ("-4", "证件库服务异常"),
        IdentityCheck::NotFound => ("-5", "证件库中无此身份证记录"),
    }
}

/// A verification failure as a FaceID `Result` string and its description.
pub fn failure_result(failure: &Failure) -> (&'static str, String) {
    match failure {
        Failure::Media(err) => (vision_code(err), err.to_string()),
        Failure::Download(err) => (download_code(err), err.to_string()),
        Failure::Liveness(failure) => (liveness_code(failure), failure.reason.to_string()),
        Failure::NoBestFrame => (
            "FailedOperation.LivessBestFrameError",
            "no frame fit for comparison".into(),
        ),
        Failure::LowSimilarity => (
            "FailedOperation.CompareLowSimilarity",
            "比对相似度未达到通过标准".into(),
        ),
        Failure::Identity(check) => match check {
            IdentityCheck::InvalidIdCard => {
                ("FailedOperation.IdFormatError", "身份证号格式有误".into())
            }
            IdentityCheck::InvalidName => {
                ("FailedOperation.NameFormatError", "姓名格式有误".into())
            }
            IdentityCheck::Mismatch => (
                "FailedOperation.IdNameMisMatch",
                "姓名和身份证号不一致".into(),
            ),
            IdentityCheck::NotFound => {
                ("FailedOperation.IdNoExistSystem", "库中无此身份证号".into())
            }
            IdentityCheck::SourceError | IdentityCheck::Match => (
                "FailedOperation.IdPhotoSystemNoanswer",
                "认证中心返照失败，请稍后再试".into(),
            ),
        },
        Failure::NoReferencePhoto => ("FailedOperation.IdPhotoNoExist", "库中无此用户照片".into()),
        Failure::UnusableReference => (
            "FailedOperation.IdPhotoSystemNoanswer",
            "认证中心返照不可用，请稍后再试".into(),
        ),
        Failure::Replayed => (
            "FailedOperation.LifePhotoDetectFake",
            "疑似非真人录制".into(),
        ),
        Failure::EngineGaveUp => ("FailedOperation.UnKnown", "引擎超时,请稍后重试".into()),
    }
}

fn download_code(err: &FetchError) -> &'static str {
    match err {
        FetchError::Timeout => "FailedOperation.DownLoadTimeoutError",
        FetchError::TooLarge(_) => "FailedOperation.ImageSizeTooLarge",
        _ => "FailedOperation.DownLoadError",
    }
}

pub fn quality_code(issue: QualityIssue) -> &'static str {
    match issue {
        QualityIssue::FaceTooSmall => "FailedOperation.LifePhotoPoorQuality",
        QualityIssue::FaceIncomplete => "FailedOperation.IncompleteFace",
        QualityIssue::Blurry => "FailedOperation.ImageBlur",
        QualityIssue::PoseTooLarge | QualityIssue::TooDark | QualityIssue::TooBright => {
            "FailedOperation.PoorImageQuality"
        }
        QualityIssue::Occluded => "FailedOperation.CoveredFace",
    }
}

/// The FaceID code for a vision failure.
pub fn vision_code(err: &VisionError) -> &'static str {
    match err {
        VisionError::EmptyImage => "FailedOperation.EmptyImageError",
        VisionError::ImageDecode(_) => "FailedOperation.ImageDecodeFailed",
        VisionError::ImageTooLarge { .. } => "FailedOperation.ImageSizeTooLarge",
        VisionError::ImageTooSmall { .. } => "FailedOperation.LifePhotoSizeError",
        VisionError::NoFace => "FailedOperation.LifePhotoDetectNoFaces",
        VisionError::MultipleFaces(_) => "FailedOperation.LifePhotoDetectFaces",
        VisionError::PoorQuality(issue) => quality_code(*issue),
        VisionError::VideoDecode(_) => "FailedOperation.VideoDecodeFailed",
        VisionError::VideoTooLong { .. } => "FailedOperation.VideoDurationExceeded",
        VisionError::VideoNoFrames => "FailedOperation.LipVideoInvalid",
        VisionError::VideoNoAudio => "FailedOperation.LipVoiceDetect",
        VisionError::FfmpegMissing(_)
        | VisionError::ModelMissing(_)
        | VisionError::ModelInvalid { .. }
        | VisionError::RuntimeMissing(_)
        | VisionError::Inference(_) => "FailedOperation.DetectEngineSystemError",
        VisionError::Io(_) => "FailedOperation.UnKnown",
    }
}

/// The FaceID code for an ID-card reading failure.
pub fn ocr_code(err: &OcrError) -> &'static str {
    match err {
        OcrError::ImageDecode(_) => "FailedOperation.ImageDecodeFailed",
        OcrError::EmptyImage => "FailedOperation.EmptyImageError",
        // FaceID has no separate "wrong side" code; the portrait side is "no ID card".
        OcrError::NoIdCard | OcrError::WrongSide { .. } => "FailedOperation.ImageNoIdCard",
        OcrError::FieldsUnreadable(_) => "FailedOperation.OcrFailed",
        OcrError::Engine(e) => vision_code(e),
    }
}

/// The FaceID code for a liveness verdict.
pub fn liveness_code(failure: &LivenessFailure) -> &'static str {
    match failure.kind {
        LivenessFailureKind::NoFrames => "FailedOperation.LipVideoInvalid",
        LivenessFailureKind::TooShort => "FailedOperation.SilentTooShort",
        LivenessFailureKind::MultipleFaces => "FailedOperation.SilentMultiFaceFail",
        LivenessFailureKind::NoFaceForActions => "FailedOperation.ActionNodetectFace",
        LivenessFailureKind::NoFaceWhileReading => "FailedOperation.LipFaceIncomplete",
        LivenessFailureKind::NoFaceSilent => "FailedOperation.SilentFaceDetectFail",
        LivenessFailureKind::NoMouthOpen => "FailedOperation.ActionOpenMouth",
        LivenessFailureKind::NoBlink => "FailedOperation.ActionCloseEye",
        LivenessFailureKind::ActionsOutOfOrder => "FailedOperation.ActionFirstAction",
        LivenessFailureKind::NoVoice => "FailedOperation.LipVoiceDetect",
        LivenessFailureKind::VoiceTooQuiet => "FailedOperation.LipVoiceLow",
        LivenessFailureKind::LipsStill | LivenessFailureKind::LipsOutOfSync => {
            "FailedOperation.LipMoveSmall"
        }
        LivenessFailureKind::DigitsNotHeard => "FailedOperation.LipVoiceRecognize",
        LivenessFailureKind::NotLive => "FailedOperation.SilentPictureLiveFail",
        // The API actions never issue a flash challenge; the H5 flow records its 1401.
        LivenessFailureKind::NoReflection => "FailedOperation.LivessDetectFake",
    }
}
