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
    pub name: String,
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
}

impl Default for RuleConfig {
    fn default() -> Self {
        Self {
            name: "默认业务流程".into(),
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
        Ok(())
    }
}

pub fn is_http_url(raw: &str) -> bool {
    url::Url::parse(raw)
        .map(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .unwrap_or(false)
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
