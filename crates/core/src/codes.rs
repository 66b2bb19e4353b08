//! Verification result codes (RESULT_CODES.md): the integers in `Text.ErrCode`,
//! `LiveStatus`, `Comparestatus` and each `DetectDetail`.

/// One verification result code with FaceID's user-facing Chinese message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResultCode {
    pub code: i64,
    pub message: &'static str,
    /// Whether FaceID bills an attempt that ends with this code (WeChat / H5 pricing).
    pub billed: bool,
}

macro_rules! result_codes {
    ($($name:ident = $code:literal, $billed:literal, $msg:literal;)*) => {
        $(pub const $name: ResultCode = ResultCode { code: $code, message: $msg, billed: $billed };)*
        pub const ALL: &[ResultCode] = &[$($name,)*];
    };
}

result_codes! {
    SUCCESS = 0, true, "成功";
    MISSING_PARAMETER = 1, false, "调用方式出错,请参考人脸核身 DetectAuth 文档进行调用";
    INVALID_PARAMETER = 2, false, "调用方式出错";
    INVALID_BUSINESS_REQUEST = 3, false, "调用方式出错";
    SERVICE_ERROR = 4, false, "服务异常,请稍后重试或联系客服人员";
    FILE_FORMAT_ERROR = 9, false, "文件格式错误，请确认后重试";
    ALREADY_COMPLETED = 14, false, "本次校验已完成";
    TOKEN_EXPIRED = 15, false, "Token 过期,请重试";
    RETRY_LIMIT = 16, false, "已达到重试上限";
    NOT_FINISHED = 17, false, "本次流程未完成";
    ID_MISMATCH = 301, false, "当前认证人身份证号码与业务传入验证证件号码不符,请重新上传";
    ID_CARD_EXPIRED = 302, false, "身份证已过期,请使用有效身份证进行核验";
    OCR_FAILED = 303, false, "扫描识别失败,请重新拍摄";
    LIVENESS_ENGINE_ERROR = 1001, false, "引擎超时,请稍后重试";
    SUSPECTED_SPOOF = 1002, false, "疑似非真人录制";
    VIDEO_CHECK_FAILED = 1003, false, "人脸识别验证未成功,请重试";
    NO_FACE_FOR_COMPARISON = 1004, false, "人脸验证失败,请重试";
    LIVENESS_FAILED = 1005, false, "人脸验证失败,请重试";
    NETWORK_UNSTABLE = 1008, false, "用户活体过程网络不稳定,请切换网络环境后重试";
    NO_VOICE = 1101, false, "声音未能识别,请大声慢读一遍数字";
    FACE_NOT_FULLY_EXPOSED = 1102, false, "脸部未完整露出";
    VOICE_RECOGNITION_FAILED = 1103, false, "声音识别失败";
    VIDEO_FORMAT_ERROR = 1104, false, "视频格式有误";
    VIDEO_FETCH_FAILED = 1105, false, "视频拉取失败，请重试";
    VOICE_TOO_QUIET = 1106, false, "视频声音太小";
    VIDEO_SIZE_ERROR = 1107, false, "视频为空，或大小不合适，请控制录制时长在6s左右";
    VIDEO_RESOLUTION_LOW = 1108, false, "视频像素太低";
    LIP_MOVEMENT_SMALL = 1109, false, "嘴唇动作幅度过小";
    LIGHT_TOO_DARK = 1201, false, "光线太暗";
    LIGHT_TOO_STRONG = 1202, false, "光线太强";
    FACE_TOO_CLOSE = 1203, false, "脸离屏幕太近";
    FACE_TOO_RIGHT = 1204, false, "脸离屏幕太右";
    FACE_TOO_FAR = 1205, false, "脸离屏幕太远";
    FACE_TOO_LEFT = 1206, false, "脸离屏幕太左";
    NO_BLINK = 1207, false, "未检测到闭眼动作";
    NO_FIRST_ACTION = 1208, false, "未检测到第一个动作";
    NO_MOUTH_OPEN = 1209, false, "未检测到张嘴动作";
    NO_COMPLETE_FACE = 1210, false, "未能检测到完整人脸";
    SILENT_FAILED = 1301, false, "疑似非真人录制,请重试";
    SILENT_BELOW_THRESHOLD = 1302, false, "人脸验证失败,请重试";
    RECORDING_TOO_SHORT = 1303, false, "视频录制时间过短,请重新录制2秒以上的视频";
    REFLECTION_FAILED = 1401, false, "反光活体校验失败";
    COMPARE_ENGINE_ERROR = 2001, false, "引擎超时,请稍后重试";
    NAME_INVALID = 2002, false, "姓名有误,请确认后重试";
    ID_NUMBER_INVALID = 2003, false, "身份证号有误,请确认后重试";
    PHOTO_EXTRACTION_FAILED = 2004, false, "视频提取照片出错,请重试或更换手机进行验证";
    IDENTITY_NOT_FOUND = 2005, false, "未查询到身份信息,请通过其他渠道验证";
    NAME_ID_MISMATCH = 2006, true, "姓名和身份证号不匹配,请核实身份后重试";
    NO_AUTHORITY_PHOTO = 2007, false, "未查询到照片信息";
    PHOTO_NOT_FOUND = 2008, false, "未查询到照片信息";
    PHOTO_RESOLUTION_LOW = 2009, false, "查询到照片分辨率过低";
    FACE_NOT_VISIBLE = 2010, false, "脸部未完整露出,请保持正脸面对屏幕";
    CANNOT_JUDGE_SAME_PERSON = 2011, false, "无法判断为同一人,请确认身份后重试(疑似非活体)";
    MULTIPLE_FACES = 2012, false, "检测到多张人脸,请保持验证视频中只有本人";
    INCOMPLETE_FACE = 2013, false, "未能检测到完整人脸";
    RESOLUTION_TOO_LOW = 2014, false, "传入图片分辨率太低";
    COMPARE_FAILED = 2015, false, "比对失败";
    LOW_SIMILARITY = 2016, true, "比对相似度未达到通过标准";
    AUTHORITY_UPGRADING = 2017, false, "权威数据源升级中,请稍后再试";
}

/// Looks a code up; unknown codes get a generic message rather than a panic.
pub fn lookup(code: i64) -> ResultCode {
    ALL.iter()
        .copied()
        .find(|c| c.code == code)
        .unwrap_or(ResultCode {
            code,
            message: "未知错误",
            billed: false,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for c in ALL {
            assert!(seen.insert(c.code), "duplicate {}", c.code);
        }
    }

    #[test]
    fn billing_follows_the_wechat_h5_page() {
        let billed: Vec<i64> = ALL.iter().filter(|c| c.billed).map(|c| c.code).collect();
        assert_eq!(billed, vec![0, 2006, 2016]);
        assert_eq!(lookup(999_999).message, "未知错误");
    }
}
