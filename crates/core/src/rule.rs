//! Business flows (RuleId) and eID merchants: what the console wizard edits.
//!
//! Every field has a default, so `{}` is a complete, working configuration.

use serde::{Deserialize, Serialize};

/// Where the person's name and ID number come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum IdentitySource {
    /// Use what DetectAuth passed; if it passed nothing, read the ID card (OCR).
    #[default]
    ApiOrOcr,
    /// DetectAuth must pass IdCard and Name.
    Api,
    /// Always read the ID card, both sides.
    Ocr,
    /// The user types name and number.
    Manual,
}

/// What the live face is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CompareSource {
    /// The ImageBase64 photo of DetectAuth when given, else the authority registry.
    #[default]
    UploadedOrAuthority,
    /// The authority registry photo for (IdCard, Name).
    Authority,
    /// The ImageBase64 photo passed to DetectAuth; DetectAuth must send one.
    Uploaded,
    /// Liveness only, no 1:1 comparison.
    None,
}

impl CompareSource {
    /// FaceID's `CompareLibType` label for the source a flow really used.
    pub fn lib_type_label(self, has_uploaded_photo: bool) -> Option<&'static str> {
        match (self, has_uploaded_photo) {
            (Self::None, _) => None,
            (Self::Authority, _) | (Self::UploadedOrAuthority, false) => Some("权威库"),
            (Self::Uploaded, _) | (Self::UploadedOrAuthority, true) => Some("业务方自有库"),
        }
    }
}

/// The liveness challenge a flow uses (FaceID's `LivenessMode` numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum LivenessKind {
    /// Read a random number aloud (mode 1).
    Digits,
    /// Perform random actions: blink, open mouth, nod, shake (mode 2).
    #[default]
    Action,
    /// One still look at the camera (mode 3).
    Silent,
    /// Actions under a random colour-flash sequence (mode 4).
    Flash,
}

impl LivenessKind {
    pub fn mode_number(self) -> u64 {
        match self {
            Self::Digits => 1,
            Self::Action => 2,
            Self::Silent => 3,
            Self::Flash => 4,
        }
    }
}

/// Where the integrator opens the flow (seed 004's first wizard step).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Scene {
    /// WeChat's native H5, as an overlay over the integrator's page.
    WechatH5Overlay,
    /// A normal H5 page opened inside WeChat.
    WechatH5,
    /// The WeChat mini-program.
    WechatMiniprogram,
    /// A mobile browser outside WeChat.
    #[default]
    MobileH5,
}

impl Scene {
    pub const ALL: [Scene; 4] = [
        Scene::WechatH5Overlay,
        Scene::WechatH5,
        Scene::WechatMiniprogram,
        Scene::MobileH5,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scene::WechatH5Overlay => "wechat_h5_overlay",
            Scene::WechatH5 => "wechat_h5",
            Scene::WechatMiniprogram => "wechat_miniprogram",
            Scene::MobileH5 => "mobile_h5",
        }
    }

    pub fn parse(text: &str) -> Option<Scene> {
        Scene::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// WeChat's native channels are open to listed industries only, with documents that
    /// prove it (seeds 002 and 004); the normal H5 modes need neither.
    pub fn needs_qualification(self) -> bool {
        matches!(self, Scene::WechatH5Overlay | Scene::WechatMiniprogram)
    }
}

/// The industries WeChat's native channels accept (seed 002): code, Chinese, English.
pub const INDUSTRIES: &[(&str, &str, &str)] = &[
    ("government", "政务：政府机构或事业单位", "Government: agencies and public institutions"),
    ("finance", "金融：银行、保险、信托、基金、证券/期货、持牌消费金融", "Finance: banks, insurance, trusts, funds, securities/futures, licensed consumer finance"),
    ("medical", "医疗：公立医疗机构、互联网医院、私立医疗机构", "Medical: public hospitals, internet hospitals, private clinics"),
    ("carrier", "运营商：基础电信运营商、增值电信运营商", "Carriers: basic and value-added telecom operators"),
    ("education", "教育：学历教育、公立教育机构、私立/民办教育机构", "Education: degree education, public and private institutions"),
    ("transport", "出行与交通：网约车、航空、地铁、水运、城市交通卡、共享交通、火车、公交、长途客运、租车", "Transport: ride hailing, airlines, metro, shipping, transit cards, shared mobility, rail, bus, coach, car rental"),
    ("utilities", "生活服务：生活缴费", "Living services: utility payments"),
    ("travel", "旅游：酒店", "Travel: hotels"),
    ("notary", "商业服务：公证", "Business services: notaries"),
    ("live_streaming", "社交：直播", "Social: live streaming"),
    ("postal", "快递与邮政：快递、邮政、寄件/收件", "Express and postal: couriers, post, sending and receiving"),
];

/// Review state of a rule or merchant, as in the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    Pending,
    #[default]
    Approved,
    Rejected,
    Disabled,
}

impl ReviewStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Disabled => "disabled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "approved" => Some(Self::Approved),
            "rejected" => Some(Self::Rejected),
            "disabled" => Some(Self::Disabled),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RuleConfig {
    /// The business name (业务名称).
    pub name: String,
    pub scene: Scene,
    /// One of [`INDUSTRIES`]' codes; needed by the scenes that need a qualification.
    pub industry: String,
    /// Names of the qualification documents uploaded with the rule.
    pub qualification_files: Vec<String>,
    /// What the business uses verification for (业务描述), for the reviewer.
    pub description: String,
    pub identity_source: IdentitySource,
    pub compare_source: CompareSource,
    pub liveness: LivenessKind,
    /// Actions per challenge in action / flash mode.
    pub action_count: u8,
    /// The actions a challenge draws from, FaceID numbering: 1 open mouth, 2 blink, 3 nod,
    /// 4 shake head.
    pub actions: String,
    /// Liveness + comparison attempts a user gets within one token.
    pub max_attempts: u8,
    /// Pass line for `Sim` (0–100).
    pub sim_threshold: f64,
    /// Run the ID-card warning checks (copy, re-shoot, occlusion…) on captured cards.
    pub id_card_warnings: bool,
    /// Where the page sends the user when DetectAuth gave no RedirectUrl.
    pub default_redirect_url: Option<String>,
    /// Page title shown to the user.
    pub page_title: String,
    /// Whether the person may correct what OCR read from the card.
    pub ocr_editable: bool,
    /// Whether the person may upload a recorded video when the camera cannot be used.
    pub allow_video_upload: bool,
    /// Result-page copy; empty means the page's own words.
    pub success_copy: String,
    pub failure_copy: String,
    /// A reviewer decides on each finished flow in the console (人工复核).
    pub manual_review: bool,
}

impl Default for RuleConfig {
    fn default() -> Self {
        Self {
            name: "默认业务流程".into(),
            scene: Scene::default(),
            industry: String::new(),
            qualification_files: Vec::new(),
            description: String::new(),
            identity_source: IdentitySource::default(),
            compare_source: CompareSource::default(),
            liveness: LivenessKind::default(),
            action_count: 2,
            actions: "1,2,3,4".into(),
            max_attempts: 3,
            sim_threshold: 70.0,
            id_card_warnings: false,
            default_redirect_url: None,
            page_title: "实名核身".into(),
            ocr_editable: true,
            allow_video_upload: false,
            success_copy: String::new(),
            failure_copy: String::new(),
            manual_review: false,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum RuleConfigError {
    #[error("action_count must be 1 to 4")]
    ActionCount,
    #[error("max_attempts must be 1 to 10")]
    MaxAttempts,
    #[error("sim_threshold must be between 0 and 100")]
    SimThreshold,
    #[error("name must be 1 to 64 characters")]
    Name,
    #[error("default_redirect_url must be an http(s) URL")]
    RedirectUrl,
    #[error(
        "actions must list distinct codes from 1 to 4, e.g. \"1,2\", at least action_count of them"
    )]
    Actions,
    #[error("success_copy and failure_copy must be at most 200 characters")]
    Copy,
    #[error("page_title must be 1 to 32 characters and description at most 500")]
    PageText,
    #[error("industry must be one of the listed industries")]
    Industry,
    #[error("this scene needs the industry and at least one qualification document")]
    Qualification,
}

impl RuleConfig {
    /// The action codes a challenge draws from (only the valid ones).
    pub fn action_codes(&self) -> impl Iterator<Item = &str> {
        self.actions
            .split(',')
            .map(str::trim)
            .filter(|c| matches!(*c, "1" | "2" | "3" | "4"))
    }

    pub fn validate(&self) -> Result<(), RuleConfigError> {
        if !(1..=4).contains(&self.action_count) {
            return Err(RuleConfigError::ActionCount);
        }
        if !(1..=10).contains(&self.max_attempts) {
            return Err(RuleConfigError::MaxAttempts);
        }
        if !(0.0..=100.0).contains(&self.sim_threshold) {
            return Err(RuleConfigError::SimThreshold);
        }
        let len = self.name.chars().count();
        if len == 0 || len > 64 {
            return Err(RuleConfigError::Name);
        }
        let codes: Vec<&str> = self.action_codes().collect();
        let distinct = codes
            .iter()
            .enumerate()
            .all(|(i, c)| !codes[..i].contains(c));
        if codes.len() < usize::from(self.action_count)
            || !distinct
            || self.actions.split(',').count() != codes.len()
        {
            return Err(RuleConfigError::Actions);
        }
        if self.success_copy.chars().count() > 200 || self.failure_copy.chars().count() > 200 {
            return Err(RuleConfigError::Copy);
        }
        if let Some(url) = &self.default_redirect_url {
            if !is_http_url(url) {
                return Err(RuleConfigError::RedirectUrl);
            }
        }
        let title = self.page_title.chars().count();
        if title == 0 || title > 32 || self.description.chars().count() > 500 {
            return Err(RuleConfigError::PageText);
        }
        if !self.industry.is_empty() && !INDUSTRIES.iter().any(|(code, ..)| *code == self.industry)
        {
            return Err(RuleConfigError::Industry);
        }
        Ok(())
    }

    /// What a reviewer needs on top of [`RuleConfig::validate`]: the scene's qualification.
    pub fn validate_for_review(&self) -> Result<(), RuleConfigError> {
        self.validate()?;
        if self.scene.needs_qualification()
            && (self.industry.is_empty() || self.qualification_files.is_empty())
        {
            return Err(RuleConfigError::Qualification);
        }
        Ok(())
    }
}

pub fn is_http_url(raw: &str) -> bool {
    url::Url::parse(raw)
        .map(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .unwrap_or(false)
}

/// A legacy appid's settings (seed 003's flow reads the card and has the digits read aloud,
/// whose `validatedata` it returns; an operator may choose otherwise).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LegacyConfig {
    /// `ocr` (both card sides, returned as `frontpic` and `backpic`), or `manual` (typed).
    pub identity_source: IdentitySource,
    pub liveness: LivenessKind,
    pub max_attempts: u8,
    pub sim_threshold: f64,
}

impl Default for LegacyConfig {
    fn default() -> Self {
        Self {
            identity_source: IdentitySource::Ocr,
            liveness: LivenessKind::Digits,
            max_attempts: 3,
            sim_threshold: 70.0,
        }
    }
}

impl LegacyConfig {
    /// The H5 pages a legacy flow runs: the person is always asked who they are (the entry
    /// names nobody) and compared with the authority.
    pub fn page_rule(&self, name: &str) -> Result<RuleConfig, RuleConfigError> {
        let identity_source = match self.identity_source {
            IdentitySource::Manual => IdentitySource::Manual,
            _ => IdentitySource::Ocr,
        };
        let rule = RuleConfig {
            name: name.to_string(),
            identity_source,
            compare_source: CompareSource::Authority,
            liveness: self.liveness,
            max_attempts: self.max_attempts,
            sim_threshold: self.sim_threshold,
            ..RuleConfig::default()
        };
        rule.validate()?;
        Ok(rule)
    }
}

/// An eID merchant's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MerchantConfig {
    /// Return the encrypted identity (EidInfo) with results: the console's "return identity info" approval.
    pub return_identity: bool,
    pub liveness: LivenessKind,
    pub max_attempts: u8,
    pub sim_threshold: f64,
}

impl MerchantConfig {
    /// The H5 pages an eID flow runs: the merchant's liveness, attempts and pass line, compared
    /// with the authority, and the identity step GetEidToken's `Config.InputType` asks for:
    /// "1" (the default) both card sides read, "2" the portrait side, "3" typed, "4" supplied
    /// by the merchant's backend. FaceID lets the person edit only the name OCR read; heshen
    /// edits name and number together, so OCR results stay as read.
    pub fn page_rule(&self, merchant_name: &str, input_type: Option<&str>) -> RuleConfig {
        let identity_source = match input_type {
            Some("2") => IdentitySource::ApiOrOcr,
            Some("3") => IdentitySource::Manual,
            Some("4") => IdentitySource::Api,
            _ => IdentitySource::Ocr,
        };
        RuleConfig {
            name: merchant_name.to_string(),
            identity_source,
            compare_source: CompareSource::Authority,
            liveness: self.liveness,
            max_attempts: self.max_attempts,
            sim_threshold: self.sim_threshold,
            page_title: "E证通".into(),
            ocr_editable: false,
            ..RuleConfig::default()
        }
    }
}

impl Default for MerchantConfig {
    fn default() -> Self {
        Self {
            return_identity: true,
            liveness: LivenessKind::Action,
            max_attempts: 3,
            sim_threshold: 70.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_eid_flows_pages_follow_its_input_type_and_its_merchant() {
        let merchant = MerchantConfig {
            liveness: LivenessKind::Silent,
            max_attempts: 2,
            ..MerchantConfig::default()
        };
        let typed = merchant.page_rule("Shop", Some("3"));
        assert_eq!(typed.identity_source, IdentitySource::Manual);
        assert_eq!(typed.liveness, LivenessKind::Silent);
        assert_eq!(typed.max_attempts, 2);
        assert_eq!(typed.compare_source, CompareSource::Authority);
        assert_eq!(
            merchant.page_rule("Shop", None).identity_source,
            IdentitySource::Ocr
        );
        assert_eq!(
            merchant.page_rule("Shop", Some("4")).identity_source,
            IdentitySource::Api
        );
        merchant.page_rule("Shop", Some("2")).validate().unwrap();
    }

    #[test]
    fn a_legacy_flow_reads_the_card_and_the_digits_unless_told_otherwise() {
        let rule = LegacyConfig::default().page_rule("Legacy").unwrap();
        assert_eq!(rule.identity_source, IdentitySource::Ocr);
        assert_eq!(rule.liveness, LivenessKind::Digits);
        let typed: LegacyConfig =
            serde_json::from_str(r#"{"identity_source":"manual","liveness":"silent"}"#).unwrap();
        assert_eq!(
            typed.page_rule("Legacy").unwrap().identity_source,
            IdentitySource::Manual
        );
        let broken = LegacyConfig {
            max_attempts: 0,
            ..LegacyConfig::default()
        };
        assert!(broken.page_rule("Legacy").is_err());
    }

    #[test]
    fn empty_json_is_a_valid_rule() {
        let rule: RuleConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(rule, RuleConfig::default());
        rule.validate().unwrap();
    }

    #[test]
    fn rejects_unknown_fields_and_bad_values() {
        assert!(serde_json::from_str::<RuleConfig>(r#"{"colour":"red"}"#).is_err());
        let rule: RuleConfig = serde_json::from_str(r#"{"max_attempts":0}"#).unwrap();
        assert_eq!(rule.validate(), Err(RuleConfigError::MaxAttempts));
        let rule: RuleConfig =
            serde_json::from_str(r#"{"default_redirect_url":"javascript:alert(1)"}"#).unwrap();
        assert_eq!(rule.validate(), Err(RuleConfigError::RedirectUrl));
    }
}
