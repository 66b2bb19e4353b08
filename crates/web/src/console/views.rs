//! The console's templates (askama: compiled in, escaped by default).

use super::words::Words;
use crate::i18n::Lang;
use askama::Template;
use heshen_service::console::{Permission, SignedIn};

/// The navigation a signed-in user sees.
pub struct UserBar {
    pub username: String,
    pub role: &'static str,
    pub may_review: bool,
    pub may_users: bool,
    pub may_audit: bool,
}

/// What every console page shows around its content.
pub struct Frame {
    pub lang: &'static str,
    pub other_lang: &'static str,
    pub w: &'static Words,
    pub title: String,
    pub switch_href: String,
    pub user: Option<UserBar>,
    /// The session's CSRF token, for the forms on the page.
    pub csrf: String,
}

impl Frame {
    /// A page outside a session (sign-in, errors).
    pub fn bare(lang: Lang, title: &str, here: &str) -> Self {
        Self {
            lang: lang.code(),
            other_lang: lang.other().code(),
            w: Words::of(lang),
            title: title.to_string(),
            switch_href: format!("{here}?lang={}", lang.other().code()),
            user: None,
            csrf: String::new(),
        }
    }

    pub fn signed(lang: Lang, title: &str, here: &str, signed: &SignedIn) -> Self {
        let operator = &signed.operator;
        let w = Words::of(lang);
        Self {
            user: Some(UserBar {
                username: operator.username.clone(),
                role: w.role(operator.role.as_str()),
                may_review: operator.may(Permission::Review),
                may_users: operator.may(Permission::ManageUsers),
                may_audit: operator.may(Permission::ViewAudit),
            }),
            csrf: signed.csrf.clone(),
            ..Self::bare(lang, title, here)
        }
    }
}

/// A local time for tables: `YYYY-MM-DD HH:MM` (UTC+8, as the integrators' users read it).
pub fn when(ms: i64) -> String {
    let Ok(t) = time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000)) else {
        return String::new();
    };
    let t = t.to_offset(time::UtcOffset::from_hms(8, 0, 0).expect("valid offset"));
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

#[derive(Template)]
#[template(path = "console/problem.html")]
pub struct Problem {
    pub f: Frame,
    pub message: String,
}

#[derive(Template)]
#[template(path = "console/login.html")]
pub struct Login {
    pub f: Frame,
    pub error: String,
    pub username: String,
}

#[derive(Template)]
#[template(path = "console/password.html")]
pub struct Password {
    pub f: Frame,
    pub first: bool,
    pub error: String,
}

#[derive(Template)]
#[template(path = "console/security.html")]
pub struct Security {
    pub f: Frame,
    pub enabled: bool,
    /// The base32 key to type into an authenticator.
    pub key: String,
    pub uri: String,
    /// The raw secret, carried by the form until confirmed.
    pub secret: String,
    pub error: String,
}

pub struct AppRow {
    pub app_id: String,
    pub name: String,
    pub created: String,
}

#[derive(Template)]
#[template(path = "console/apps.html")]
pub struct Apps {
    pub f: Frame,
    pub apps: Vec<AppRow>,
    pub may_create: bool,
    pub error: String,
}

pub struct KeyRow {
    pub secret_id: String,
    pub name: String,
    pub enabled: bool,
    pub created: String,
    pub last_used: String,
    pub allowed_ips: String,
}

pub struct RuleRow {
    pub rule_id: String,
    pub name: String,
    pub serving: bool,
    pub latest_status: String,
    pub latest_label: &'static str,
}

pub struct MerchantRow {
    pub merchant_id: String,
    pub name: String,
    pub serving: bool,
    pub latest_status: String,
    pub latest_label: &'static str,
}

#[derive(Template)]
#[template(path = "console/merchant.html")]
pub struct MerchantPage {
    pub f: Frame,
    pub app_id: String,
    pub merchant_id: String,
    pub serving: bool,
    pub summary: Vec<SummaryRow>,
    pub revisions: Vec<RevisionRow>,
    /// The pending revision the user may decide on.
    pub reviewable: Option<i64>,
    pub may_key: bool,
}

/// A legacy protocol appid (seed 003) on its app's page.
pub struct LegacyRow {
    pub legacy_app_id: String,
    pub name: String,
    pub active: bool,
    pub identity: &'static str,
    pub liveness: &'static str,
}

#[derive(Template)]
#[template(path = "console/app.html")]
pub struct AppPage {
    pub f: Frame,
    pub app_id: String,
    pub legacy_apps: Vec<LegacyRow>,
    pub legacy_liveness: Vec<Choice>,
    pub merchants: Vec<MerchantRow>,
    pub liveness: Vec<Choice>,
    pub may_keys: bool,
    pub may_edit_rules: bool,
    pub keys: Vec<KeyRow>,
    pub rules: Vec<RuleRow>,
}

/// A value shown once (a SecretKey, a one-time password, the encryption key).
pub struct SecretRow {
    pub label: String,
    pub value: String,
    pub testid: &'static str,
}

#[derive(Template)]
#[template(path = "console/secret.html")]
pub struct Secret {
    pub f: Frame,
    pub note: String,
    pub rows: Vec<SecretRow>,
    pub back: String,
}

pub struct RevisionRow {
    pub revision: i64,
    pub status: String,
    pub status_label: &'static str,
    pub author: String,
    pub reviewer: String,
    pub note: String,
    pub created: String,
}

/// One line of a summary.
pub fn row(label: &'static str, value: impl Into<String>) -> SummaryRow {
    SummaryRow {
        label,
        value: value.into(),
    }
}

/// The versions table of a rule or merchant.
pub fn revision_rows(
    w: &Words,
    revisions: Vec<heshen_service::manage::Revision>,
) -> Vec<RevisionRow> {
    revisions
        .into_iter()
        .map(|r| RevisionRow {
            revision: r.revision,
            status_label: w.status(&r.status),
            status: r.status,
            author: r.author,
            reviewer: r.reviewer.unwrap_or_default(),
            note: r.note,
            created: when(r.created_at),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "console/rule.html")]
pub struct RulePage {
    pub f: Frame,
    pub app_id: String,
    pub rule_id: String,
    pub serving: bool,
    pub may_edit: bool,
    pub revisions: Vec<RevisionRow>,
}

/// One choice of a radio group or select.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "console/wizard.html")]
pub struct Wizard {
    pub f: Frame,
    pub base: String,
    pub step: usize,
    pub steps: Vec<&'static str>,
    /// This step's name, the legend of its choices.
    pub step_name: &'static str,
    pub error: String,
    pub scenes: Vec<Choice>,
    pub needs_qualification: bool,
    pub industries: Vec<Choice>,
    pub documents: Vec<String>,
    pub page_title: String,
    pub name: String,
    pub description: String,
    pub compare: Vec<Choice>,
    pub identity: Vec<Choice>,
    pub ocr_editable: bool,
    pub id_card_warnings: bool,
    pub liveness: Vec<Choice>,
    pub actions: Vec<Choice>,
    pub action_count: u8,
    pub sim_threshold: String,
    pub max_attempts: u8,
    pub allow_video_upload: bool,
    pub manual_review: bool,
    pub success_copy: String,
    pub failure_copy: String,
    pub redirect_url: String,
}

/// One line of a configuration summary.
pub struct SummaryRow {
    pub label: &'static str,
    pub value: String,
}

#[derive(Template)]
#[template(path = "console/revision.html")]
pub struct RevisionPage {
    pub f: Frame,
    pub app_id: String,
    pub rule_id: String,
    pub base: String,
    pub revision: i64,
    pub status: String,
    pub status_label: &'static str,
    pub summary: Vec<SummaryRow>,
    pub documents: Vec<String>,
    pub note: String,
    pub may_submit: bool,
    pub may_review: bool,
    pub serving: bool,
}

pub struct QueueRow {
    pub kind: &'static str,
    pub link: String,
    pub app_id: String,
    pub subject_id: String,
    pub revision: i64,
    pub name: String,
    pub author: String,
    pub submitted: String,
}

#[derive(Template)]
#[template(path = "console/review.html")]
pub struct Review {
    pub f: Frame,
    pub rows: Vec<QueueRow>,
}

pub struct UserRow {
    pub username: String,
    pub role: String,
    pub apps: String,
    pub enabled: bool,
    pub second_factor: bool,
    pub roles: Vec<Choice>,
    pub is_me: bool,
}

#[derive(Template)]
#[template(path = "console/users.html")]
pub struct Users {
    pub f: Frame,
    pub users: Vec<UserRow>,
    pub roles: Vec<Choice>,
    pub error: String,
}

pub struct AuditRow {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub app_id: String,
    pub origin: String,
    pub detail: String,
    /// The detail cut to what a table cell can show; the whole is in the cell's title.
    pub detail_short: String,
}

#[derive(Template)]
#[template(path = "console/audit.html")]
pub struct Audit {
    pub f: Frame,
    pub intact: bool,
    pub entries: u64,
    /// The first bad entry, or empty when the end of the chain was cut.
    pub broken_at: String,
    pub rows: Vec<AuditRow>,
    pub older: Option<i64>,
}

pub struct RecordRow {
    pub token: String,
    pub scope_id: String,
    pub status: String,
    pub created: String,
    pub result: String,
}

#[derive(Template)]
#[template(path = "console/records.html")]
pub struct Records {
    pub f: Frame,
    pub app_id: String,
    pub token: String,
    pub rule: String,
    pub from: String,
    pub to: String,
    pub results: Vec<Choice>,
    pub rows: Vec<RecordRow>,
    /// The query string of the next page, when there is one.
    pub older: Option<String>,
    pub notice: String,
}

pub struct AttemptRow {
    pub seq: String,
    /// The first characters of `seq`, enough to tell attempts apart on a phone.
    pub seq_short: String,
    pub at: String,
    pub live_status: String,
    pub compare_status: String,
    pub sim: String,
    pub liveness_mode: String,
    pub action_sequence: String,
    pub checks: Vec<CheckRow>,
}

/// One measure of an attempt's liveness decision.
pub struct CheckRow {
    pub name: String,
    pub label: &'static str,
    pub value: String,
    /// `≥ 0.013`, `≤ 0.5`, or empty for a yes/no check.
    pub bound: String,
    pub passed: bool,
}

#[derive(Template)]
#[template(path = "console/record.html")]
pub struct RecordPage {
    pub f: Frame,
    pub app_id: String,
    pub token: String,
    pub summary: Vec<SummaryRow>,
    pub identity: Vec<SummaryRow>,
    pub ocr: Vec<SummaryRow>,
    pub attempts: Vec<AttemptRow>,
    pub images: Vec<String>,
    pub videos: Vec<String>,
    pub may_erase: bool,
    /// The rule asks a reviewer to decide on each finished flow.
    pub review_asked: bool,
    /// The decision taken, in words (status, note, who, when), if any.
    pub review: Option<RecordReview>,
    /// The signed-in user may decide now (a reviewer, the flow finished, no decision yet).
    pub may_review: bool,
}

pub struct RecordReview {
    pub approved: bool,
    pub status: &'static str,
    pub note: String,
    pub by: String,
    pub at: String,
}

/// A count with its share of a whole, for the statistics tables.
pub struct ShareRow {
    pub label: String,
    pub count: i64,
    pub share: String,
}

pub struct RuleFiguresRow {
    pub scope_id: String,
    pub issued: i64,
    pub finished: i64,
    pub passed: i64,
    pub pass_rate: String,
}

#[derive(Template)]
#[template(path = "console/statistics.html")]
pub struct Statistics {
    pub f: Frame,
    pub app_id: String,
    pub from: String,
    pub to: String,
    pub rule: String,
    pub issued: i64,
    pub finished: i64,
    pub passed: i64,
    pub pass_rate: String,
    pub median: String,
    /// SVG drawn by [`super::charts`] from numbers and our own words only.
    pub daily_svg: String,
    pub funnel_svg: String,
    pub funnel: Vec<ShareRow>,
    pub codes: Vec<ShareRow>,
    pub modes: Vec<ShareRow>,
    pub rules: Vec<RuleFiguresRow>,
    pub csv_query: String,
}

pub struct PricedRow {
    pub scope_id: String,
    pub channel: String,
    pub source: String,
    pub attempts: i64,
    pub billed: i64,
    pub unit: String,
    pub amount: String,
}

pub struct ChargeRow {
    pub token: String,
    pub scope_id: String,
    pub seq: String,
    pub at: String,
    pub source: String,
    pub result: String,
    pub sim: String,
    pub billed: &'static str,
    pub id_card: String,
    pub name: String,
}

pub struct PriceField {
    pub source: String,
    pub label: String,
    pub yuan: String,
}

#[derive(Template)]
#[template(path = "console/reconciliation.html")]
pub struct Reconciliation {
    pub f: Frame,
    pub app_id: String,
    pub day: String,
    pub rule: String,
    pub lines: Vec<PricedRow>,
    pub billed: i64,
    pub amount: String,
    pub charges: Vec<ChargeRow>,
    pub more: bool,
    pub prices: Vec<PriceField>,
    pub may_price: bool,
    pub notice: String,
    pub csv_query: String,
}
