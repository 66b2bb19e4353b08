//! Every word the console shows, in both languages side by side so neither falls behind.

use crate::i18n::Lang;

macro_rules! words {
    ($($field:ident: $zh:literal, $en:literal;)*) => {
        /// The console's words in one language.
        pub struct Words { $(pub $field: &'static str,)* }
        pub static ZH: Words = Words { $($field: $zh,)* };
        pub static EN: Words = Words { $($field: $en,)* };
    };
}

words! {
    console: "核身控制台", "heshen console";
    switch_label: "English", "中文";
    nav_apps: "应用", "Apps";
    nav_review: "审核", "Review";
    nav_users: "用户", "Users";
    nav_audit: "审计日志", "Audit log";
    nav_security: "账号安全", "Account security";
    logout: "退出登录", "Sign out";
    signed_in_as: "当前用户", "Signed in as";

    login_title: "登录", "Sign in";
    login_user: "用户名", "User name";
    login_password: "密码", "Password";
    login_code: "动态验证码（如已开启）", "Authenticator code (if set up)";
    login_submit: "登录", "Sign in";
    login_bad: "用户名或密码错误。", "Wrong user name or password.";
    login_code_needed: "此账号已开启两步验证，请输入动态验证码。", "This account has a second factor: enter the six-digit code.";
    login_throttled: "密码错误次数过多，请一分钟后再试。", "Too many wrong passwords: try again in a minute.";
    session_expired: "登录已失效，请重新登录。", "Your session ended: sign in again.";

    password_title: "修改密码", "Change password";
    password_first: "这是首次登录：请先设置自己的密码。", "This is your first sign-in: set a password of your own first.";
    password_current: "当前密码", "Current password";
    password_new: "新密码（至少 12 个字符）", "New password (at least 12 characters)";
    password_repeat: "再次输入新密码", "New password again";
    password_mismatch: "两次输入的新密码不一致。", "The two new passwords differ.";
    password_submit: "保存新密码", "Save the new password";
    password_changed: "密码已修改。", "Password changed.";

    security_title: "两步验证", "Two-step verification";
    totp_on: "已开启两步验证。", "Two-step verification is on.";
    totp_off: "未开启两步验证。", "Two-step verification is off.";
    totp_setup: "在身份验证器应用中添加以下密钥，然后输入它显示的六位验证码：", "Add this key to an authenticator app, then type the six-digit code it shows:";
    totp_code: "六位验证码", "Six-digit code";
    totp_enable: "开启两步验证", "Turn on two-step verification";
    totp_disable: "关闭两步验证", "Turn off two-step verification";

    apps_title: "应用", "Apps";
    apps_none: "还没有可用的应用。", "No apps yet.";
    app_id: "应用 ID", "App id";
    app_name: "应用名称", "App name";
    app_create: "创建应用", "Create app";
    created_at: "创建时间", "Created";
    open: "打开", "Open";

    keys_title: "API 密钥", "API keys";
    key_name: "密钥名称", "Key name";
    key_create: "新建密钥", "Create key";
    sdk_title: "小程序 SDK 下载", "Mini-program SDKs";
    sdk_note: "接入方小程序使用 verify_mpsdk（慧眼核身）或 mp_ecard_sdk（E证通）；核身小程序由您以自己的微信账号发布，已配置为本服务器。", "Integrators' mini-programs use verify_mpsdk (verification) or mp_ecard_sdk (eID); you publish the verification mini-program under your own WeChat account, already set up for this server.";
    sdk_verifier: "核身小程序（发布用）", "Verification mini-program (to publish)";
    legacy_title: "旧版实名小程序 AppId", "Legacy mini-program appids";
    legacy_note: "供沿用腾讯实名核身小程序旧协议（签名 + getdetectinfo.php）的接入方使用。", "For integrators of the earlier real-name mini-program protocol (signatures and getdetectinfo.php).";
    legacy_none: "还没有旧版 AppId。", "No legacy appids yet.";
    legacy_name: "名称", "Name";
    legacy_identity: "身份信息", "Identity";
    legacy_identity_ocr: "拍摄身份证（OCR）", "ID card photos (OCR)";
    legacy_identity_manual: "手动填写", "Typed by the person";
    legacy_state: "状态", "State";
    legacy_active: "启用", "Active";
    legacy_disabled: "已停用", "Disabled";
    legacy_disable: "停用", "Disable";
    legacy_create: "新建 AppId", "Create appid";
    legacy_secret_title: "旧版 AppId 与密钥", "Legacy appid and secret key";
    legacy_secret_note: "SecretKey 只显示这一次：请立即保存。签名与 data 解密都使用它（见 docs/legacy.md）。", "The SecretKey is shown only now: save it. Signatures and the decryption of data use it (docs/legacy.md).";
    key_enabled: "启用", "Enabled";
    key_disabled: "已停用", "Disabled";
    key_last_used: "最近使用", "Last used";
    key_never: "从未", "never";
    key_disable: "停用", "Disable";
    key_enable: "启用", "Enable";
    key_rotate: "轮换", "Rotate";
    key_rotate_note: "轮换会生成新密钥，旧密钥立即停用。", "Rotating makes a new key and disables the old one at once.";
    key_ips: "IP 白名单（逗号分隔，留空为不限）", "IP allow-list (comma-separated; empty allows any)";
    key_ips_save: "保存白名单", "Save allow-list";
    key_created_title: "新密钥", "New key";
    key_created_once: "SecretKey 只显示这一次，请立即妥善保存。", "The SecretKey is shown this once only: store it safely now.";
    encryption_title: "敏感字段加密密钥", "Encryption key for Encryption fields";
    encryption_reveal: "查看加密密钥", "Show the encryption key";
    encryption_note: "用于 DetectAuth 等接口的 Encryption 字段（AES-256）。", "For the Encryption field of DetectAuth and other actions (AES-256).";

    rules_title: "业务流程（RuleId）", "Business flows (RuleId)";
    rules_none: "还没有业务流程。", "No business flows yet.";
    rule_new: "创建业务流程", "Create a business flow";
    rule_id: "RuleId", "RuleId";
    rule_name: "业务名称", "Business name";
    rule_serving: "生效中", "Serving";
    rule_not_serving: "未生效", "Not serving";
    rule_latest: "最新版本", "Latest version";
    rule_edit: "修改", "Edit";
    rule_continue: "继续编辑", "Continue editing";
    rule_versions: "版本记录", "Versions";
    rule_not_issued: "审核通过后分配", "issued on approval";

    status_draft: "草稿", "Draft";
    status_pending: "待审核", "Waiting for review";
    status_approved: "已通过", "Approved";
    status_rejected: "已驳回", "Rejected";
    status_superseded: "已被替代", "Superseded";

    wizard_title: "业务流程配置", "Business flow set-up";
    wizard_steps: "应用场景|资质|页面信息|比对库源|身份证 OCR|活体检测|结果页|确认", "Scene|Qualification|Page|Comparison|ID-card OCR|Liveness|Result page|Confirm";
    label_scene: "应用场景", "Scene";
    label_compare: "比对库源", "Comparison source";
    label_identity: "身份信息来源", "Identity source";
    label_liveness: "活体检测方式", "Liveness mode";
    next: "下一步", "Next";
    back: "上一步", "Back";
    done: "完成", "Done";
    scene_wechat_h5_overlay: "微信原生 H5（浮层模式）", "WeChat native H5 (overlay mode)";
    scene_wechat_h5: "微信 H5（普通模式）", "WeChat H5 (normal mode)";
    scene_wechat_miniprogram: "微信小程序", "WeChat mini-program";
    scene_mobile_h5: "移动端 H5（微信外浏览器）", "Mobile H5 (browsers outside WeChat)";
    scene_note: "微信原生 H5 浮层模式与小程序有行业限制，需要上传资质文件并经审核；普通模式不需要。", "WeChat's native overlay and the mini-program are open to listed industries and need qualification documents reviewed; the normal modes do not.";
    qualification_skip: "所选场景不需要资质文件，可直接下一步。", "This scene needs no qualification documents: go on.";
    industry: "行业类目", "Industry";
    industry_choose: "请选择", "Choose";
    qualification_files: "资质文件（PDF、JPG 或 PNG，每个不超过 5 MB）", "Qualification documents (PDF, JPG or PNG, at most 5 MB each)";
    qualification_upload: "上传", "Upload";
    qualification_none: "尚未上传。", "None uploaded yet.";
    page_title: "页面标题", "Page title";
    business_name: "业务名称", "Business name";
    description: "业务描述", "Description";
    compare_note: "与权威库比对按「活体人脸核身」计价，与上传照片比对按「活体人脸比对」计价；OCR 不单独收费。", "Comparing with the authority registry is billed as liveness verification, comparing with the uploaded photo as liveness comparison; OCR is not billed apart.";
    compare_authority: "公安权威库比对（活体人脸核身）", "The authority registry (liveness verification)";
    compare_uploaded: "上传照片比对（活体人脸比对）", "The photo sent to DetectAuth (liveness comparison)";
    compare_uploaded_or_authority: "有上传照片时比对照片，否则比对权威库", "The sent photo when there is one, else the registry";
    compare_none: "只做活体检测，不比对", "Liveness only, no comparison";
    price_per_call: "单价（元/次）", "Price (CNY per call)";
    identity_api_or_ocr: "DetectAuth 未传身份信息时拍摄身份证识别", "Read the ID card when DetectAuth names nobody";
    identity_ocr: "必须拍摄身份证（OCR）", "Always read the ID card (OCR required)";
    identity_manual: "用户手动输入姓名和证件号", "The person types name and number";
    identity_api: "不需要用户在验证时上传（由 DetectAuth 传入）", "Not asked: DetectAuth passes the identity";
    ocr_editable: "允许用户修改识别结果", "The person may correct what was read";
    id_card_warnings: "检查身份证告警（复印件、翻拍、遮挡等）", "Check ID-card warnings (copy, re-shot, covered…)";
    liveness_digits: "数字活体（读出四位数字）", "Read-aloud digits";
    liveness_action: "动作活体", "Actions";
    liveness_silent: "静默活体", "Silent";
    liveness_flash: "光线活体（炫彩）", "Colour flash";
    actions_pool: "可抽取的动作", "Actions to draw from";
    action_open_mouth: "张嘴", "Open mouth";
    action_blink: "眨眼", "Blink";
    action_nod: "点头", "Nod";
    action_shake: "摇头", "Shake head";
    action_count: "每次动作个数（1–4）", "Actions per challenge (1–4)";
    sim_threshold: "比对通过分数（0–100，推荐 70）", "Similarity pass line (0–100, 70 recommended)";
    max_attempts: "每个 BizToken 可重试次数（1–10）", "Attempts per BizToken (1–10)";
    allow_video_upload: "无法使用摄像头时允许上传录好的视频", "Allow uploading a recorded video when the camera cannot be used";
    success_copy: "成功页文案（留空用默认）", "Success page text (empty: the default)";
    failure_copy: "失败页文案（留空用默认）", "Failure page text (empty: the default)";
    redirect_url: "默认回跳地址（DetectAuth 未传 RedirectUrl 时）", "Default return address (when DetectAuth sends no RedirectUrl)";
    preview: "页面预览", "Page preview";
    preview_consent: "授权页", "Consent";
    preview_identity: "身份信息页", "Identity";
    preview_success: "成功页", "Success";
    preview_failure: "失败页", "Failure";
    confirm_note: "请确认以上配置。提交后由审核员审核，通过后分配 RuleId 并生效。", "Check the set-up above. Once submitted a reviewer checks it; on approval the RuleId is issued and serves.";
    submit_review: "确认并提交审核", "Confirm and submit for review";
    submitted: "已提交审核。", "Submitted for review.";
    yes: "是", "yes";
    no: "否", "no";

    merchants_title: "E证通商户", "eID merchants";
    merchants_none: "还没有商户。", "No merchants yet.";
    merchant_id: "MerchantId", "MerchantId";
    merchant_name: "商户名称", "Merchant name";
    merchant_apply: "申请商户", "Apply for a merchant";
    merchant_return_identity: "在结果中返回加密的身份信息（EidInfo）", "Return the encrypted identity with results (EidInfo)";
    merchant_key_reveal: "查看商户密钥", "Show the merchant key";
    merchant_key_note: "用于解密 GetEidResult 返回的身份信息。", "Decrypts the identity GetEidResult returns.";
    merchant_key_title: "商户密钥", "Merchant key";
    kind_rule: "业务流程", "Business flow";
    kind_merchant: "E证通商户", "eID merchant";
    kind: "类型", "Kind";
    records_title: "核身记录", "Verification records";
    records_none: "没有符合条件的记录。", "No records match.";
    records_open: "查看记录", "Records";
    record_title: "核身记录详情", "Verification record";
    search: "查询", "Search";
    token: "BizToken / EidToken", "BizToken / EidToken";
    date_from: "开始日期", "From";
    date_to: "结束日期（含）", "To (inclusive)";
    result: "结果", "Result";
    result_any: "全部", "Any";
    result_passed: "通过", "Passed";
    result_failed: "未通过", "Failed";
    result_unfinished: "未完成", "Not finished";
    result_code: "结果码", "Result code";
    person_name: "姓名", "Name";
    stats_title: "数据统计", "Statistics";
    stats_open: "数据统计", "Statistics";
    stats_issued: "发起核身", "Tokens issued";
    stats_finished: "完成核身", "Flows finished";
    stats_passed: "核身通过", "Passed";
    stats_pass_rate: "通过率", "Pass rate";
    stats_median: "完成耗时中位数", "Median time to finish";
    stats_seconds: "秒", "s";
    stats_daily: "每日趋势", "Per day";
    stats_funnel: "各页面转化", "Conversion through the flow";
    stats_codes: "结果码分布", "Finished flows by result code";
    stats_modes: "活体模式分布", "Liveness modes";
    stats_rules: "按业务流程", "Per business flow";
    stats_count: "数量", "Count";
    stats_share: "占比", "Share";
    stats_csv: "导出 CSV", "Export CSV";
    stats_none: "所选时间内没有发起核身。", "No verification was issued in this period.";
    stats_no_finished: "所选时间内没有完成的核身。", "No flow finished in this period.";
    stats_range_note: "按北京时间统计，每次核身计入发起当天。", "Days are Beijing days; each flow counts on the day it was issued.";
    page_opened: "打开链接", "Opened the link";
    page_consent: "同意授权", "Accepted the agreements";
    page_identity: "确认身份", "Identity known";
    page_liveness: "开始活体", "Liveness started";
    page_upload: "上传视频", "Recording uploaded";
    mode_digits: "数字活体", "Read digits aloud";
    mode_action: "动作活体", "Actions";
    mode_silent: "静默活体", "Silent";
    mode_flash: "光线活体", "Colour flash";
    recon_title: "对账", "Reconciliation";
    recon_open: "对账", "Reconciliation";
    recon_day: "日期", "Day";
    recon_channel: "渠道", "Channel";
    recon_source: "比对库源", "Comparison source";
    recon_attempts: "比对次数", "Attempts";
    recon_billed: "计费次数", "Billed";
    recon_unit: "单价（元）", "Unit price (CNY)";
    recon_amount: "金额（元）", "Amount (CNY)";
    recon_total: "合计", "Total";
    recon_none: "当天没有计费明细。", "No charges on this day.";
    recon_details: "计费明细", "Charge details";
    recon_time: "比对时间", "Time";
    recon_sim: "相似度", "Similarity";
    recon_is_billed: "是否计费", "Billed";
    recon_more: "仅显示前 200 个 BizToken，完整明细请导出 CSV。", "Only the first 200 BizTokens are shown: export the CSV for all of them.";
    recon_prices: "单价设置", "Prices";
    recon_prices_note: "按比对库源分别计价（元/次，仅计费的比对计入）：与权威库比对按活体人脸核身计价，与上传照片比对按活体人脸比对计价。", "Each comparison source has its own price per billed attempt (CNY): comparison with the authority registry is billed as liveness verification, with an uploaded photo as liveness comparison.";
    recon_prices_save: "保存单价", "Save prices";
    recon_saved: "单价已保存。", "Prices saved.";
    recon_api_note: "与 GetWeChatBillDetails 接口返回的明细一致，按 BizToken 发起日计入。", "The same details GetWeChatBillDetails returns, counted on the day each BizToken was issued.";
    status: "状态", "Status";
    finished_at: "完成时间", "Finished";
    retain_until: "保留至", "Kept until";
    identity_title: "身份信息", "Identity";
    id_number: "证件号码", "ID number";
    ocr_title: "身份证识别结果", "ID-card reading";
    attempts_title: "活体与比对", "Liveness and comparison";
    record_review_title: "人工复核", "Manual review";
    record_review_awaiting: "此业务流程要求人工复核：等待审核员决定。", "This business flow asks for a manual review: waiting for a reviewer.";
    record_review_by: "审核员", "Reviewer";
    manual_review: "每次核身结束后由审核员人工复核", "A reviewer decides on each finished verification";
    checks_title: "活体判定的各项检查", "The liveness decision, check by check";
    check_other: "其他检查", "Another check";
    check_passed: "通过", "passed";
    check_failed: "未通过", "failed";
    check_has_frames: "视频有画面", "The video has frames";
    check_duration_s: "录制时长（秒）", "Recording length (s)";
    check_several_faces_share: "多张人脸的帧占比", "Share of frames with several faces";
    check_face_share: "有完整人脸的帧占比", "Share of frames with a whole face";
    check_actions_in_order: "按顺序完成动作", "Actions performed in order";
    check_has_sound: "视频有声音", "The video has sound";
    check_voice_rms: "音量（RMS）", "Loudness (RMS)";
    check_speech_analysed: "语音已分析", "The speech was analysed";
    check_speech_s: "语音时长（秒）", "Speech (s)";
    check_lip_movement: "嘴唇开合幅度", "Lip movement";
    check_lip_sync: "唇动与声音的相关性", "Lips in time with the voice";
    check_digits_heard: "读出的是下发的数字", "The digits read were the ones shown";
    check_flash_coverage: "可测量的帧占比（炫彩）", "Measurable frames (flash)";
    check_flash_correlation: "脸部反光与颜色序列的相关性", "Reflection follows the colours";
    check_flash_amplitude: "反光强度", "Reflection strength";
    check_flash_colours_matched: "匹配的颜色数", "Colours matched";
    check_natural_motion: "自然的动作（转头、眨眼或嘴动）", "Natural motion (turn, blink or mouth)";
    check_nonplanar_motion: "非平面运动（照片为 0）", "Non-planar motion (a photo has none)";
    live_status: "活体结果", "Liveness";
    compare_status: "比对结果", "Comparison";
    sim: "相似度", "Similarity";
    liveness_mode: "活体模式", "Liveness mode";
    action_sequence: "动作序列", "Actions";
    media_title: "照片与视频", "Photos and video";
    erase: "立即删除此记录", "Erase this record now";
    erase_note: "记录和所有照片、视频将被永久删除，无法恢复。", "The record and every photo and video of it are deleted for good.";
    erased: "记录已删除。", "The record was erased.";
    review_title: "待审核", "Waiting for review";
    review_none: "没有待审核的版本。", "Nothing waits for review.";
    review_note: "审核意见（驳回时必填）", "Note (needed to reject)";
    approve: "通过", "Approve";
    reject: "驳回", "Reject";
    author: "提交人", "Author";
    reviewer: "审核人", "Reviewer";
    submitted_at: "提交时间", "Submitted";
    version: "版本", "Version";
    view: "查看", "View";

    users_title: "用户", "Users";
    user_name: "用户名", "User name";
    user_role: "角色", "Role";
    user_apps: "可访问的应用（逗号分隔，* 为全部）", "Apps (comma-separated, * for all)";
    user_create: "新建用户", "Create user";
    user_save: "保存", "Save";
    user_reset: "重置密码", "Reset password";
    user_enabled: "可登录", "May sign in";
    user_password_title: "一次性密码", "One-time password";
    user_password_note: "请将此密码交给用户；首次登录时必须修改。它不会再显示。", "Hand this password to the user; they must change it at first sign-in. It is not shown again.";
    role_admin: "管理员", "Admin";
    role_operator: "运营", "Operator";
    role_reviewer: "审核员", "Reviewer";
    role_auditor: "审计员", "Auditor";

    audit_title: "审计日志", "Audit log";
    audit_intact: "哈希链完整", "Hash chain intact";
    audit_broken: "哈希链已被篡改，首个异常条目：", "The hash chain is broken; first bad entry:";
    audit_broken_tail: "哈希链末尾的条目被删除", "entries were removed from the end of the chain";
    audit_entries: "条", "entries";
    audit_export: "导出 CSV", "Export CSV";
    audit_older: "更早", "Older";
    at: "时间", "When";
    actor: "操作人", "Who";
    action: "操作", "What";
    target: "对象", "Target";
    origin: "来源", "From";
    detail: "详情", "Detail";

    forbidden: "您的角色无权执行此操作。", "Your role does not allow this.";
    not_found: "找不到该页面或对象。", "No such page or object.";
    bad_request: "请求无效。", "The request is not valid.";
    csrf_failed: "表单已失效，请返回刷新后重试。", "The form is stale: go back, reload and try again.";
    server_error: "服务器出错，请稍后重试。", "The server failed; try again later.";
    back_home: "返回首页", "Back to the start";
}

impl Words {
    pub fn of(lang: Lang) -> &'static Words {
        match lang {
            Lang::Zh => &ZH,
            Lang::En => &EN,
        }
    }

    pub fn status(&self, status: &str) -> &'static str {
        match status {
            "draft" => self.status_draft,
            "pending" => self.status_pending,
            "approved" => self.status_approved,
            "rejected" => self.status_rejected,
            "superseded" => self.status_superseded,
            _ => self.status_draft,
        }
    }

    /// A liveness check's name (`heshen_vision::liveness::Check::name`) in words; an unknown
    /// one (a newer engine's) reads as "other".
    pub fn check_label(&self, name: &str) -> &'static str {
        match name {
            "has_frames" => self.check_has_frames,
            "duration_s" => self.check_duration_s,
            "several_faces_share" => self.check_several_faces_share,
            "face_share" => self.check_face_share,
            "actions_in_order" => self.check_actions_in_order,
            "has_sound" => self.check_has_sound,
            "voice_rms" => self.check_voice_rms,
            "speech_analysed" => self.check_speech_analysed,
            "speech_s" => self.check_speech_s,
            "lip_movement" => self.check_lip_movement,
            "lip_sync" => self.check_lip_sync,
            "digits_heard" => self.check_digits_heard,
            "flash_coverage" => self.check_flash_coverage,
            "flash_correlation" => self.check_flash_correlation,
            "flash_amplitude" => self.check_flash_amplitude,
            "flash_colours_matched" => self.check_flash_colours_matched,
            "natural_motion" => self.check_natural_motion,
            "nonplanar_motion" => self.check_nonplanar_motion,
            _ => self.check_other,
        }
    }

    pub fn page(&self, page: heshen_core::stats::Page) -> &'static str {
        use heshen_core::stats::Page;
        match page {
            Page::Opened => self.page_opened,
            Page::Consent => self.page_consent,
            Page::Identity => self.page_identity,
            Page::Liveness => self.page_liveness,
            Page::Upload => self.page_upload,
        }
    }

    /// A liveness mode by FaceID's number.
    pub fn mode(&self, mode: u64) -> String {
        match mode {
            1 => self.mode_digits.to_string(),
            2 => self.mode_action.to_string(),
            3 => self.mode_silent.to_string(),
            4 => self.mode_flash.to_string(),
            other => other.to_string(),
        }
    }

    pub fn role(&self, role: &str) -> &'static str {
        match role {
            "admin" => self.role_admin,
            "operator" => self.role_operator,
            "reviewer" => self.role_reviewer,
            _ => self.role_auditor,
        }
    }
}
