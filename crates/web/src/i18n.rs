//! The two languages of the pages. The language comes from `?lang=`, then the `heshen_lang`
//! cookie the switch sets, then `Accept-Language`; Chinese when nothing says otherwise.

use axum::http::HeaderMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

pub const COOKIE: &str = "heshen_lang";

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn parse(raw: &str) -> Option<Lang> {
        let raw = raw.trim().to_ascii_lowercase();
        if raw.starts_with("zh") {
            Some(Lang::Zh)
        } else if raw.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The other language, for the switch.
    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::Zh => &ZH,
            Lang::En => &EN,
        }
    }

    pub fn negotiate(query: Option<&str>, headers: &HeaderMap) -> Lang {
        if let Some(lang) = query.and_then(Lang::parse) {
            return lang;
        }
        let cookie = headers
            .get_all(axum::http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .find_map(|pair| pair.trim().strip_prefix(COOKIE)?.strip_prefix('='));
        if let Some(lang) = cookie.and_then(Lang::parse) {
            return lang;
        }
        let accept = headers
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        // The first language the browser lists that we speak (q-values are in listed order
        // in every browser).
        accept
            .split(',')
            .filter_map(|part| Lang::parse(part.split(';').next().unwrap_or("")))
            .next()
            .unwrap_or(Lang::Zh)
    }
}

/// Every word a page shows.
pub struct Texts {
    pub switch_label: &'static str,
    pub steps: [&'static str; 4],
    pub consent_title: &'static str,
    pub consent_intro: &'static str,
    pub doc_agreement: &'static str,
    pub doc_privacy: &'static str,
    pub doc_authorisation: &'static str,
    pub doc_eid: &'static str,
    pub consent_agree: &'static str,
    pub consent_continue: &'static str,
    pub consent_required: &'static str,
    pub back: &'static str,
    pub agreement_body: &'static [&'static str],
    pub privacy_body: &'static [&'static str],
    pub authorisation_body: &'static [&'static str],
    pub eid_body: &'static [&'static str],
    pub identity_title: &'static str,
    pub identity_intro: &'static str,
    pub card_front: &'static str,
    pub card_back: &'static str,
    pub card_reading: &'static str,
    pub card_read: &'static str,
    pub card_unreadable: &'static str,
    pub card_no_card: &'static str,
    pub card_wrong_side: &'static str,
    pub card_fields_unreadable: &'static str,
    pub name_label: &'static str,
    pub id_label: &'static str,
    pub identity_confirm: &'static str,
    pub bad_name: &'static str,
    pub bad_id: &'static str,
    pub card_required: &'static str,
    pub not_editable: &'static str,
    pub not_the_person: &'static str,
    pub liveness_title: &'static str,
    pub liveness_intro_action: &'static str,
    pub liveness_intro_digits: &'static str,
    pub liveness_intro_silent: &'static str,
    pub liveness_intro_flash: &'static str,
    pub flash_notice_title: &'static str,
    pub flash_notice: &'static str,
    pub flash_leave: &'static str,
    pub flash_prompt: &'static str,
    pub left_title: &'static str,
    pub left_body: &'static str,
    pub left_continue: &'static str,
    pub mp_return_title: &'static str,
    pub mp_return_done: &'static str,
    pub mp_return_left: &'static str,
    pub liveness_start: &'static str,
    pub liveness_ready: &'static str,
    pub liveness_recording: &'static str,
    pub action_open_mouth: &'static str,
    pub action_blink: &'static str,
    pub action_nod: &'static str,
    pub action_shake: &'static str,
    pub digits_prompt: &'static str,
    pub silent_prompt: &'static str,
    pub uploading: &'static str,
    pub upload_failed: &'static str,
    pub upload_resuming: &'static str,
    pub upload_resume: &'static str,
    pub camera_denied: &'static str,
    pub camera_missing: &'static str,
    pub camera_unsupported: &'static str,
    pub camera_wechat: &'static str,
    pub upload_fallback: &'static str,
    pub attempts_left: &'static str,
    pub processing_title: &'static str,
    pub processing_body: &'static str,
    pub result_title: &'static str,
    pub result_passed: &'static str,
    pub result_passed_body: &'static str,
    pub result_failed: &'static str,
    pub result_retry: &'static str,
    pub result_continue: &'static str,
    pub result_done: &'static str,
    pub problem_title: &'static str,
    pub problem_unknown: &'static str,
    pub problem_expired: &'static str,
    pub problem_finished: &'static str,
    pub problem_unavailable: &'static str,
    pub problem_cross_site: &'static str,
    pub problem_code: &'static str,
}

pub static ZH: Texts = Texts {
    switch_label: "English",
    steps: ["授权", "身份信息", "人脸验证", "结果"],
    consent_title: "实名核身授权",
    consent_intro: "为确认是您本人在办理业务，接下来需要核验您的身份证信息并进行人脸验证。请先阅读以下文件。",
    doc_agreement: "《服务协议》",
    doc_privacy: "《隐私政策》",
    doc_authorisation: "《人脸核身授权书》",
    doc_eid: "《E证通服务协议》",
    consent_agree: "我已阅读并同意以上文件",
    consent_continue: "同意并继续",
    consent_required: "请先勾选同意。",
    back: "返回",
    agreement_body: &[
        "本服务由业务方部署的 heshen 实名核身系统提供，用于核验您是否为身份证件的本人。",
        "您需如实提供本人的身份证件信息，并由本人完成人脸验证。冒用他人身份属于违法行为。",
        "验证结果将返回给发起本次验证的业务方，用于其业务办理。",
    ],
    privacy_body: &[
        "我们收集：您的姓名、身份证号、身份证照片（如需拍摄）、验证过程中录制的人脸视频及从中截取的照片。",
        "用途：仅用于本次身份核验；不用于其他目的，不向业务方以外的任何人提供。",
        "保存：个人信息在存储时加密；验证结果及相关图像、视频在流程结束后保存 3 天，之后彻底删除。",
        "您可以随时停止本次验证；停止后已上传的信息同样在期满后删除。",
    ],
    authorisation_body: &[
        "本人授权业务方通过 heshen 实名核身系统，将本人提供的姓名、身份证号与人脸图像，与权威数据源或业务方提供的照片进行比对，以核验本人身份。",
        "本授权仅对本次验证有效。",
    ],
    eid_body: &[
        "E证通由业务方部署的 heshen 系统提供，用于向商户证明您的身份，而不向其透露您的身份证号。",
        "验证通过后，商户收到一个只属于该商户的身份标识（EidCode）：同一个人在同一商户每次都得到相同的标识，在不同商户得到不同的标识，无法由它推出身份证号。",
        "商户只有在被批准返回身份信息时，才会收到用其专属密钥加密的姓名和证件号。",
    ],
    identity_title: "填写身份信息",
    identity_intro: "请拍摄或上传身份证的人像面和国徽面，识别后请核对信息；也可以直接填写。",
    card_front: "身份证人像面",
    card_back: "身份证国徽面",
    card_reading: "正在识别…",
    card_read: "已识别，请核对下方信息。",
    card_unreadable: "无法读取该图片，请换一张清晰的照片。",
    card_no_card: "图片中没有找到身份证，请将证件完整放入画面。",
    card_wrong_side: "这是证件的另一面，请上传正确的一面。",
    card_fields_unreadable: "证件上的文字无法识别，请在光线充足处重拍。",
    name_label: "姓名",
    id_label: "身份证号",
    identity_confirm: "确认信息",
    bad_name: "请填写正确的姓名。",
    bad_id: "身份证号有误，请核对。",
    card_required: "请先上传身份证的两面。",
    not_editable: "此业务不允许修改识别出的信息。",
    not_the_person: "证件信息与业务方提供的不一致，请使用本人证件。",
    liveness_title: "人脸验证",
    liveness_intro_action: "请正对屏幕，按提示完成动作。",
    liveness_intro_digits: "请正对屏幕，用普通话大声读出屏幕上的数字。",
    liveness_intro_silent: "请正对屏幕，保持不动约 3 秒。",
    liveness_intro_flash: "请在光线不太强的地方，手机距脸约 30 厘米，正对屏幕保持不动；录制时屏幕会依次显示几种颜色。",
    flash_notice_title: "光敏提示",
    flash_notice: "此项检查会让整个屏幕在约 5 秒内变换 7 种颜色（每秒不到 2 次）。如果您患有光敏性癫痫或对闪烁的光线敏感，请不要继续。",
    flash_leave: "不进行此项检查",
    flash_prompt: "请注视屏幕，保持不动",
    left_title: "您已离开核验",
    left_body: "本次未录制任何内容，核验没有完成。如需完成核验，请联系提供服务的一方选择其他方式。",
    left_continue: "返回",
    mp_return_title: "正在返回小程序",
    mp_return_done: "核验已结束，正在返回发起核验的小程序。",
    mp_return_left: "核验没有完成，正在返回发起核验的小程序。",
    liveness_start: "开始验证",
    liveness_ready: "请把脸放入框内",
    liveness_recording: "正在录制",
    action_open_mouth: "请张嘴",
    action_blink: "请眨眼",
    action_nod: "请点头",
    action_shake: "请摇头",
    digits_prompt: "请读出：",
    silent_prompt: "请保持不动",
    uploading: "正在上传",
    upload_failed: "上传失败，请检查网络后重试。",
    upload_resuming: "正在继续上传刚才录制的视频",
    upload_resume: "继续上传",
    camera_denied: "无法使用摄像头：您拒绝了摄像头权限。请在浏览器设置中允许本页面使用摄像头后刷新页面。",
    camera_missing: "没有找到可用的摄像头。请换一台带前置摄像头的手机完成验证。",
    camera_unsupported: "当前浏览器不支持录制视频。请使用最新版的 Chrome、Safari 或 Firefox 打开本页面。",
    camera_wechat: "微信内置浏览器无法使用摄像头。请点击右上角“…”，选择“在浏览器打开”。",
    upload_fallback: "或上传一段本人按提示录制的视频",
    attempts_left: "剩余验证次数",
    processing_title: "正在核验",
    processing_body: "正在分析您的视频，请稍候，不要关闭页面。",
    result_title: "验证结果",
    result_passed: "验证通过",
    result_passed_body: "您的身份已核验成功。",
    result_failed: "验证未通过",
    result_retry: "重新验证",
    result_continue: "完成",
    result_done: "您可以关闭本页面了。",
    problem_title: "无法继续",
    problem_unknown: "该链接无效：它不是一次有效的核身流程。请回到业务方页面重新发起。",
    problem_expired: "该链接已过期，请回到业务方页面重新发起验证。",
    problem_finished: "本次验证已完成，不能再次使用。",
    problem_unavailable: "服务暂时不可用，请稍后重试。",
    problem_cross_site: "请求来自其他网站，已拒绝。请直接在本页面操作。",
    problem_code: "错误码",
};

pub static EN: Texts = Texts {
    switch_label: "中文",
    steps: ["Consent", "Identity", "Face check", "Result"],
    consent_title: "Identity verification",
    consent_intro: "To make sure it is really you, we will check your ID card details and take a short video of your face. Please read the documents below first.",
    doc_agreement: "Service agreement",
    doc_privacy: "Privacy policy",
    doc_authorisation: "Authorisation",
    doc_eid: "eID service terms",
    consent_agree: "I have read and accept these documents",
    consent_continue: "Accept and continue",
    consent_required: "Please tick the box to accept first.",
    back: "Back",
    agreement_body: &[
        "This service is provided by the heshen verification system that the business you are dealing with runs. It checks that you are the holder of the ID document.",
        "You must give your own ID details and do the face check yourself. Using another person's identity is against the law.",
        "The result goes to the business that started this verification, for the service you asked for.",
    ],
    privacy_body: &[
        "What we collect: your name, ID number, photos of your ID card (if asked), the video of your face recorded during the check and frames taken from it.",
        "What for: only this verification. Nothing is used for anything else or given to anyone but the business that asked.",
        "How long: personal data is encrypted when stored; the result, images and video are kept for 3 days after the check ends, then erased.",
        "You can stop at any time; whatever was uploaded is erased in the same way.",
    ],
    authorisation_body: &[
        "I authorise the business to compare my name, ID number and face, through the heshen verification system, with the authority's records or with a photo the business holds, to verify my identity.",
        "This authorisation is for this verification only.",
    ],
    eid_body: &[
        "eID is provided by the heshen system the merchant runs. It proves your identity to the merchant without telling it your ID number.",
        "When the check passes, the merchant receives an identifier that belongs to that merchant alone (EidCode): the same person always gets the same identifier at one merchant and a different one at every other merchant, and the ID number cannot be worked out from it.",
        "The merchant receives your name and ID number, encrypted with its own key, only if it has been approved to receive them.",
    ],
    identity_title: "Your identity",
    identity_intro: "Take or upload photos of both sides of your ID card and check what was read, or type your details.",
    card_front: "ID card, portrait side",
    card_back: "ID card, emblem side",
    card_reading: "Reading…",
    card_read: "Read. Please check the details below.",
    card_unreadable: "This picture cannot be read; please use a clear photo.",
    card_no_card: "No ID card found in the picture; please show the whole card.",
    card_wrong_side: "That is the other side of the card; please upload the right one.",
    card_fields_unreadable: "The card's text cannot be read; please retake it in good light.",
    name_label: "Name",
    id_label: "ID number",
    identity_confirm: "Confirm",
    bad_name: "Please enter your name.",
    bad_id: "This ID number is not valid; please check it.",
    card_required: "Please upload both sides of your ID card first.",
    not_editable: "This service does not allow changing what was read from the card.",
    not_the_person: "These details differ from the ones the business gave; please use your own ID card.",
    liveness_title: "Face check",
    liveness_intro_action: "Face the screen and do what the prompts say.",
    liveness_intro_digits: "Face the screen and read the digits on the screen aloud.",
    liveness_intro_silent: "Face the screen and hold still for about 3 seconds.",
    liveness_intro_flash: "Somewhere not too brightly lit, hold the phone about 30 cm from your face and keep still, looking at the screen; while recording, the screen shows a few colours in turn.",
    flash_notice_title: "Photosensitivity warning",
    flash_notice: "This check changes the colour of the whole screen 7 times in about 5 seconds (under twice a second). If you have photosensitive epilepsy or are sensitive to flashing light, do not continue.",
    flash_leave: "Don't take this check",
    flash_prompt: "Look at the screen and keep still",
    left_title: "You left the verification",
    left_body: "Nothing was recorded and the verification is not complete. To complete it, ask whoever sent you here for another way.",
    left_continue: "Back",
    mp_return_title: "Returning to the mini-program",
    mp_return_done: "The verification has ended; you are being returned to the mini-program that asked for it.",
    mp_return_left: "The verification is not complete; you are being returned to the mini-program that asked for it.",
    liveness_start: "Start",
    liveness_ready: "Put your face inside the frame",
    liveness_recording: "Recording",
    action_open_mouth: "Open your mouth",
    action_blink: "Blink",
    action_nod: "Nod",
    action_shake: "Shake your head",
    digits_prompt: "Read aloud:",
    silent_prompt: "Hold still",
    uploading: "Uploading",
    upload_failed: "The upload failed; check your connection and try again.",
    upload_resuming: "Resuming the upload of your recording",
    upload_resume: "Resume the upload",
    camera_denied: "The camera cannot be used: permission was refused. Allow this page to use the camera in your browser settings, then reload the page.",
    camera_missing: "No camera was found. Please use a phone with a front camera.",
    camera_unsupported: "This browser cannot record video. Please open this page in a recent Chrome, Safari or Firefox.",
    camera_wechat: "WeChat's built-in browser cannot use the camera. Tap “…” at the top right and choose “Open in browser”.",
    upload_fallback: "Or upload a video of yourself following the prompts",
    attempts_left: "Attempts left",
    processing_title: "Checking",
    processing_body: "Your video is being analysed. Please wait and keep this page open.",
    result_title: "Result",
    result_passed: "Verified",
    result_passed_body: "Your identity has been verified.",
    result_failed: "Not verified",
    result_retry: "Try again",
    result_continue: "Done",
    result_done: "You can close this page now.",
    problem_title: "Cannot continue",
    problem_unknown: "This link is not valid: it is not a verification in progress. Please go back and start again.",
    problem_expired: "This link has expired. Please go back and start the verification again.",
    problem_finished: "This verification is already complete and cannot be used again.",
    problem_unavailable: "The service is unavailable at the moment; please try again later.",
    problem_cross_site: "This request came from another site and was refused. Please use this page directly.",
    problem_code: "Error code",
};

impl Lang {
    /// What a result code means, in this language. FaceID's own words are Chinese; the English
    /// ones say the same for the codes a person can meet on the pages.
    pub fn result_message(self, code: i64) -> String {
        let zh = heshen_core::codes::lookup(code).message;
        if self == Lang::Zh {
            return zh.to_string();
        }
        let en = match code {
            0 => "Verified.",
            4 | 1001 | 2001 => "The service did not answer in time; please try again.",
            9 | 1104 => "The recording's format could not be used; please try again.",
            14 => "This verification is already complete.",
            15 => "This link has expired; please start again.",
            16 => "No attempts are left.",
            17 => "The verification is not finished.",
            301 => "The ID number differs from the one the business gave.",
            1002 | 1301 => "This does not look like a live person; please try again in person.",
            1003 | 1004 | 1005 | 1302 => "The face check did not succeed; please try again.",
            1101 | 1103 | 1106 => {
                "Your voice could not be recognised; read the digits aloud, slowly."
            }
            1102 | 1210 | 2010 | 2013 => "Your face was not fully visible; face the screen.",
            1107 | 1303 => "The recording was too short or empty; please try again.",
            1109 => "Your lips barely moved; read the digits clearly.",
            1201 => "Too dark; move to better light.",
            1202 => "Too bright; move out of direct light.",
            1207 => "No blink was seen.",
            1208 => "The first action was not seen.",
            1209 => "No open mouth was seen.",
            1401 => "The screen's colours were not seen on your face; try again closer to the screen, out of bright light.",
            2002 => "The name is not valid.",
            2003 => "The ID number is not valid.",
            2004 => "No usable photo could be taken from the video; please try again.",
            2005 => "No identity record was found; please verify another way.",
            2006 => "The name and the ID number do not match.",
            2007 | 2008 => "No reference photo is on record.",
            2012 => "Several faces were seen; only you should be in the picture.",
            2016 => "Your face did not match the reference photo.",
            2017 => "The identity records are being upgraded; please try later.",
            _ => return format!("The verification did not succeed ({zh})."),
        };
        en.to_string()
    }

    /// The page title: the rule's own, or this language's when the rule kept the default.
    pub fn title(self, rule_title: &str) -> &str {
        match (self, rule_title) {
            (Lang::En, "实名核身") => "Identity verification",
            (Lang::En, "E证通") => "eID",
            _ => rule_title,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn language_from_query_cookie_then_header() {
        let mut headers = HeaderMap::new();
        assert_eq!(Lang::negotiate(None, &headers), Lang::Zh);
        headers.insert(
            "accept-language",
            HeaderValue::from_static("en-GB,en;q=0.9,zh;q=0.5"),
        );
        assert_eq!(Lang::negotiate(None, &headers), Lang::En);
        headers.insert("cookie", HeaderValue::from_static("a=b; heshen_lang=zh-CN"));
        assert_eq!(Lang::negotiate(None, &headers), Lang::Zh);
        assert_eq!(Lang::negotiate(Some("en"), &headers), Lang::En);
        assert_eq!(Lang::negotiate(Some("fr"), &headers), Lang::Zh);
    }
}
