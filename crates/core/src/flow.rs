//! The verification flow state machine behind every BizToken and EidToken.
//!
//! A flow is created by DetectAuth / GetEidToken, opened by the user (H5 page or
//! mini-program), gets an identity (passed in, typed, or read from the ID card),
//! then takes liveness + comparison attempts until one passes or the attempts run
//! out. Only then is it finished, and a token serves exactly one such flow.

use crate::codes::{self, ResultCode};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowKind {
    Detect,
    Eid,
    /// The legacy real-name mini-program protocol (seed 003).
    Legacy,
}

impl FlowKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Detect => "detect",
            Self::Eid => "eid",
            Self::Legacy => "legacy",
        }
    }
}

/// What the integrator's backend asked for when it created the flow.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FlowRequest {
    pub id_card: Option<String>,
    pub name: Option<String>,
    pub redirect_url: Option<String>,
    pub extra: Option<String>,
    /// DetectAuth sent ImageBase64; it is stored as the media object `reference.jpg`.
    pub has_reference_photo: bool,
    /// Intention-verification settings exactly as sent (IntentionVerifyText, IntentionQuestions, …).
    pub intention: Option<serde_json::Value>,
    /// eID `Config.InputType`: "1" OCR both sides … "4" supplied by the backend.
    pub input_type: Option<String>,
}

/// Where the identity used for verification came from (`IdInfoFrom`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum IdInfoFrom {
    Nfc,
    Ocr,
    Manual,
    Other,
}

impl IdInfoFrom {
    pub fn label(self) -> &'static str {
        match self {
            Self::Nfc => "NFC",
            Self::Ocr => "OCR",
            Self::Manual => "手动输入",
            Self::Other => "其他",
        }
    }
}

/// Fields read from the ID card, with FaceID's formats (Birth `YYYY/M/D`, ValidDate `YYYY.MM.DD-YYYY.MM.DD`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OcrFields {
    pub name: Option<String>,
    pub gender: Option<String>,
    pub nation: Option<String>,
    pub birth: Option<String>,
    pub address: Option<String>,
    pub id_card: Option<String>,
    pub authority: Option<String>,
    pub valid_date: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    pub id_card: String,
    pub name: String,
    pub source: IdInfoFrom,
    pub ocr: Option<OcrFields>,
    pub front_warnings: Vec<i64>,
    pub back_warnings: Vec<i64>,
}

/// Names of the media objects a flow has stored, under the flow's token.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FlowMedia {
    pub ocr_front: Option<String>,
    pub ocr_back: Option<String>,
    pub processed_front: Option<String>,
    pub processed_back: Option<String>,
    pub avatar: Option<String>,
}

/// What the vision engine concluded about one liveness + comparison attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptOutcome {
    /// 0, or a 1xxx liveness code.
    pub live_status: i64,
    /// 0, or a 2xxx comparison code; `None` when no comparison ran (liveness failed or compare source is none).
    pub compare_status: Option<i64>,
    /// Similarity 0–100 when a comparison ran.
    pub sim: Option<f64>,
    pub liveness_mode: u64,
    /// Actions performed, FaceID numbering: "1,2".
    pub action_sequence: Option<String>,
    /// The digits the person was asked to read aloud (read-aloud mode).
    #[serde(default)]
    pub read_digits: Option<String>,
    /// What the liveness decision measured, check by check, up to the one that failed; the
    /// console shows them with the record.
    #[serde(default)]
    pub checks: Vec<LivenessCheck>,
    /// Media names under the token.
    pub best_frame: Option<String>,
    pub extra_frames: Vec<String>,
    pub video: Option<String>,
}

/// One measure of a liveness decision and the bound it was held to; a yes/no check has no
/// bound and the value 1 or 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LivenessCheck {
    pub name: String,
    pub value: f64,
    pub bound: Option<f64>,
    /// The value must be at most the bound (else at least).
    pub at_most: bool,
    pub passed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    pub seq: String,
    pub req_time_ms: i64,
    pub id_card: Option<String>,
    pub name: Option<String>,
    pub outcome: AttemptOutcome,
    pub compare_lib_type: Option<String>,
}

impl Attempt {
    /// The attempt's overall code: the liveness failure if any, else the comparison's.
    pub fn err_code(&self) -> i64 {
        if self.outcome.live_status != 0 {
            self.outcome.live_status
        } else {
            self.outcome.compare_status.unwrap_or(0)
        }
    }

    pub fn is_billed(&self) -> bool {
        codes::lookup(self.err_code()).billed
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Created,
    Started,
    Finished,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub code: i64,
    pub finished_at_ms: i64,
}

/// The status words of CheckEidTokenStatus, also used for DetectAuth flows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowStatus {
    Init,
    Doing,
    Finished,
    Timeout,
}

impl FlowStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Init => "init",
            Self::Doing => "doing",
            Self::Finished => "finished",
            Self::Timeout => "timeout",
        }
    }
}

/// Settings a flow copies from its rule or merchant when it is created, so later
/// rule edits do not change a flow already under way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlowSettings {
    pub max_attempts: u8,
    pub sim_threshold: f64,
    pub liveness_mode: u64,
    pub compare_lib_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flow {
    pub kind: FlowKind,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
    pub request: FlowRequest,
    pub settings: FlowSettings,
    pub stage: Stage,
    pub identity: Option<Identity>,
    pub media: FlowMedia,
    pub attempts: Vec<Attempt>,
    pub outcome: Option<Outcome>,
    pub location: Option<String>,
    /// When the person first opened the flow.
    #[serde(default)]
    pub started_at_ms: Option<i64>,
    /// When the person accepted the agreement, privacy policy and authorisation.
    #[serde(default)]
    pub consented_at_ms: Option<i64>,
    /// The liveness challenge of the attempt under way.
    #[serde(default)]
    pub challenge: Option<IssuedChallenge>,
    /// What OCR read from the card sides so far, before the person confirms.
    #[serde(default)]
    pub card_reading: Option<CardReading>,
    /// Opened in a WeChat mini-program's web-view: the flow ends by returning to the
    /// mini-program rather than at the integrator's RedirectUrl.
    #[serde(default)]
    pub in_mini_program: bool,
    /// A reviewer's decision on the finished flow, where its rule asks for one.
    #[serde(default)]
    pub review: Option<ManualReview>,
}

/// A reviewer's decision on a finished flow (人工复核).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManualReview {
    pub approved: bool,
    pub note: String,
    pub by: String,
    pub at_ms: i64,
}

/// Card fields read by OCR and the warnings of each side, awaiting confirmation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CardReading {
    pub fields: OcrFields,
    pub front_warnings: Vec<i64>,
    pub back_warnings: Vec<i64>,
    pub front_read: bool,
    pub back_read: bool,
}

/// What a liveness challenge asks of the person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum ChallengeSpec {
    /// Perform these actions in order, FaceID numbering: "2,1" (1 open mouth, 2 blink, 3 nod, 4 shake).
    Actions(String),
    /// Read these digits aloud.
    Digits(String),
    /// Look at the camera.
    Silent,
    /// Look at the screen while it shows these colours, one letter each ("rcgmbyr").
    Flash(String),
}

/// A challenge the server issued for one attempt of one flow. It takes exactly one recording:
/// a second upload, a recording for another attempt or under another nonce is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedChallenge {
    /// Random, unguessable; the upload must name it.
    pub nonce: String,
    /// The 1-based attempt it belongs to.
    pub attempt: u8,
    pub spec: ChallengeSpec,
    pub issued_at_ms: i64,
    /// The media name of its recording, once uploaded.
    pub recording: Option<String>,
    /// For a colour-flash challenge: when (ms from the start of the recording) the page
    /// reports it showed each colour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shown_at_ms: Option<Vec<u32>>,
}

impl Flow {
    pub fn new(
        kind: FlowKind,
        request: FlowRequest,
        settings: FlowSettings,
        now_ms: i64,
        ttl_ms: i64,
    ) -> Self {
        Self {
            kind,
            created_at_ms: now_ms,
            expires_at_ms: now_ms + ttl_ms,
            request,
            settings,
            stage: Stage::Created,
            identity: None,
            media: FlowMedia::default(),
            attempts: Vec::new(),
            outcome: None,
            location: None,
            started_at_ms: None,
            consented_at_ms: None,
            challenge: None,
            card_reading: None,
            in_mini_program: false,
            review: None,
        }
    }

    /// The person accepted the agreements (the first time counts).
    pub fn consent(&mut self, now_ms: i64) -> Result<(), ResultCode> {
        self.ensure_started(now_ms)?;
        self.consented_at_ms.get_or_insert(now_ms);
        Ok(())
    }

    /// The challenge of the next attempt: the one already issued while it has no recording
    /// (a reload shows the same challenge), else a new one from `make` (nonce, spec).
    pub fn issue_challenge(
        &mut self,
        now_ms: i64,
        make: impl FnOnce() -> (String, ChallengeSpec),
    ) -> Result<IssuedChallenge, ResultCode> {
        self.ensure_started(now_ms)?;
        if self.attempts_left() == 0 {
            return Err(codes::RETRY_LIMIT);
        }
        let attempt = self.next_attempt();
        if let Some(current) = &self.challenge {
            if current.attempt == attempt {
                return Ok(current.clone());
            }
        }
        let (nonce, spec) = make();
        let issued = IssuedChallenge {
            nonce,
            attempt,
            spec,
            issued_at_ms: now_ms,
            recording: None,
            shown_at_ms: None,
        };
        self.challenge = Some(issued.clone());
        Ok(issued)
    }

    fn next_attempt(&self) -> u8 {
        (self.attempts.len() + 1).min(255) as u8
    }

    /// Binds a recording to the current challenge, once. Any other nonce, or a challenge that
    /// already has its recording, is refused.
    pub fn accept_recording(
        &mut self,
        now_ms: i64,
        nonce: &str,
        media: String,
        shown_at_ms: Option<Vec<u32>>,
    ) -> Result<IssuedChallenge, ResultCode> {
        self.ensure_started(now_ms)?;
        let attempt = self.next_attempt();
        match &mut self.challenge {
            Some(c) if c.nonce == nonce && c.attempt == attempt && c.recording.is_none() => {
                c.recording = Some(media);
                c.shown_at_ms = shown_at_ms;
                Ok(c.clone())
            }
            _ => Err(codes::INVALID_BUSINESS_REQUEST),
        }
    }

    /// The challenge whose recording waits to be judged, if any.
    pub fn pending_recording(&self) -> Option<&IssuedChallenge> {
        self.challenge
            .as_ref()
            .filter(|c| c.recording.is_some() && c.attempt == self.next_attempt())
    }

    pub fn is_expired(&self, now_ms: i64) -> bool {
        self.outcome.is_none() && now_ms > self.expires_at_ms
    }

    pub fn status(&self, now_ms: i64) -> FlowStatus {
        match self.stage {
            Stage::Finished => FlowStatus::Finished,
            _ if self.is_expired(now_ms) => FlowStatus::Timeout,
            Stage::Created => FlowStatus::Init,
            Stage::Started => FlowStatus::Doing,
        }
    }

    /// The verdict shown to GetDetectInfoEnhanced: the final code, or "not finished" / "expired".
    pub fn verdict(&self, now_ms: i64) -> ResultCode {
        match self.outcome {
            Some(outcome) => codes::lookup(outcome.code),
            None if self.is_expired(now_ms) => codes::TOKEN_EXPIRED,
            None => codes::NOT_FINISHED,
        }
    }

    fn ensure_open(&self, now_ms: i64) -> Result<(), ResultCode> {
        if self.stage == Stage::Finished {
            return Err(codes::ALREADY_COMPLETED);
        }
        if self.is_expired(now_ms) {
            return Err(codes::TOKEN_EXPIRED);
        }
        Ok(())
    }

    /// The user opened the flow (H5 page, mini-program). Reopening an unfinished flow is fine.
    pub fn start(&mut self, now_ms: i64) -> Result<(), ResultCode> {
        self.ensure_open(now_ms)?;
        self.stage = Stage::Started;
        self.started_at_ms.get_or_insert(now_ms);
        Ok(())
    }

    fn ensure_started(&self, now_ms: i64) -> Result<(), ResultCode> {
        self.ensure_open(now_ms)?;
        if self.stage != Stage::Started {
            return Err(codes::INVALID_BUSINESS_REQUEST);
        }
        Ok(())
    }

    /// Records who is being verified. When the integrator named a person, the
    /// captured identity must be that person.
    pub fn set_identity(&mut self, now_ms: i64, identity: Identity) -> Result<(), ResultCode> {
        self.ensure_started(now_ms)?;
        if let Some(expected) = &self.request.id_card {
            if expected != &identity.id_card {
                return Err(codes::ID_MISMATCH);
            }
        }
        self.identity = Some(identity);
        Ok(())
    }

    /// The (ID number, name) to verify: the captured identity, else what DetectAuth passed.
    pub fn subject(&self) -> Option<(&str, &str)> {
        if let Some(identity) = &self.identity {
            return Some((&identity.id_card, &identity.name));
        }
        match (&self.request.id_card, &self.request.name) {
            (Some(id), Some(name)) => Some((id, name)),
            _ => None,
        }
    }

    pub fn attempts_left(&self) -> u8 {
        self.settings
            .max_attempts
            .saturating_sub(self.attempts.len().min(255) as u8)
    }

    /// Records one liveness + comparison attempt; the flow finishes on success or
    /// when this was the last attempt allowed. Returns the attempt's code.
    pub fn record_attempt(
        &mut self,
        now_ms: i64,
        seq: String,
        outcome: AttemptOutcome,
    ) -> Result<ResultCode, ResultCode> {
        self.ensure_started(now_ms)?;
        if self.attempts_left() == 0 {
            return Err(codes::RETRY_LIMIT);
        }
        let (id_card, name) = match self.subject() {
            Some((id, name)) => (Some(id.to_string()), Some(name.to_string())),
            None => (None, None),
        };
        let attempt = Attempt {
            seq,
            req_time_ms: now_ms,
            id_card,
            name,
            compare_lib_type: self.settings.compare_lib_type.clone(),
            outcome,
        };
        let code = attempt.err_code();
        self.attempts.push(attempt);
        if code == 0 || self.attempts_left() == 0 {
            self.finish(now_ms, code);
        }
        Ok(codes::lookup(code))
    }

    /// Records a reviewer's decision: once, and only on a finished flow (a flow still under
    /// way has nothing to review yet).
    pub fn record_review(&mut self, review: ManualReview) -> Result<(), ResultCode> {
        if self.stage != Stage::Finished {
            return Err(codes::NOT_FINISHED);
        }
        if self.review.is_some() {
            return Err(codes::ALREADY_COMPLETED);
        }
        self.review = Some(review);
        Ok(())
    }

    /// Ends the flow with a code that is not an attempt's (e.g. the ID card could not be read).
    pub fn fail(&mut self, now_ms: i64, code: ResultCode) -> Result<(), ResultCode> {
        self.ensure_open(now_ms)?;
        self.finish(now_ms, code.code);
        Ok(())
    }

    fn finish(&mut self, now_ms: i64, code: i64) {
        self.stage = Stage::Finished;
        self.outcome = Some(Outcome {
            code,
            finished_at_ms: now_ms,
        });
    }

    /// The attempt that decided the flow: the last one.
    pub fn final_attempt(&self) -> Option<&Attempt> {
        self.attempts.last()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> FlowSettings {
        FlowSettings {
            max_attempts: 2,
            sim_threshold: 70.0,
            liveness_mode: 2,
            compare_lib_type: Some("权威库".into()),
        }
    }

    fn flow() -> Flow {
        let request = FlowRequest {
            id_card: Some("11010519491231002X".into()),
            name: Some("张三".into()),
            ..FlowRequest::default()
        };
        Flow::new(FlowKind::Detect, request, settings(), 1_000, 7_200_000)
    }

    #[test]
    fn a_challenge_takes_one_recording_for_its_own_attempt() {
        let mut f = flow();
        let spec = || ("n1".to_string(), ChallengeSpec::Actions("2,1".into()));
        assert_eq!(
            f.issue_challenge(2_000, spec),
            Err(codes::INVALID_BUSINESS_REQUEST),
            "not before the person opened the flow"
        );
        f.start(2_000).unwrap();
        let first = f.issue_challenge(2_000, spec).unwrap();
        assert_eq!(first.attempt, 1);
        let again = f
            .issue_challenge(3_000, || ("n2".into(), ChallengeSpec::Silent))
            .unwrap();
        assert_eq!(again, first, "a reload shows the same challenge");
        assert_eq!(
            f.accept_recording(3_000, "n2", "r".into(), None),
            Err(codes::INVALID_BUSINESS_REQUEST),
            "another nonce is refused"
        );
        f.accept_recording(3_000, "n1", "rec-1".into(), None)
            .unwrap();
        assert_eq!(
            f.accept_recording(3_000, "n1", "rec-again".into(), None),
            Err(codes::INVALID_BUSINESS_REQUEST),
            "a challenge takes one recording"
        );
        assert_eq!(f.pending_recording().map(|c| c.nonce.as_str()), Some("n1"));
        f.record_attempt(4_000, "s1".into(), outcome(1005, None, None))
            .unwrap();
        assert!(f.pending_recording().is_none());
        assert_eq!(
            f.accept_recording(4_000, "n1", "replayed".into(), None),
            Err(codes::INVALID_BUSINESS_REQUEST),
            "an old challenge cannot carry the next attempt"
        );
        let second = f
            .issue_challenge(4_000, || ("n3".into(), ChallengeSpec::Silent))
            .unwrap();
        assert_eq!((second.attempt, second.nonce.as_str()), (2, "n3"));
        f.accept_recording(4_000, "n3", "rec-2".into(), None)
            .unwrap();
        f.record_attempt(5_000, "s2".into(), outcome(1005, None, None))
            .unwrap();
        assert_eq!(f.outcome.map(|o| o.code), Some(1005), "attempts ran out");
        assert!(f.issue_challenge(5_000, spec).is_err());
    }

    #[test]
    fn flows_stored_before_challenges_existed_still_load() {
        let mut value = serde_json::to_value(flow()).unwrap();
        let map = value.as_object_mut().unwrap();
        map.remove("challenge");
        map.remove("consented_at_ms");
        map.remove("card_reading");
        let old: Flow = serde_json::from_value(value).unwrap();
        assert_eq!(old.challenge, None);
    }

    fn outcome(live: i64, compare: Option<i64>, sim: Option<f64>) -> AttemptOutcome {
        AttemptOutcome {
            live_status: live,
            compare_status: compare,
            sim,
            liveness_mode: 2,
            action_sequence: Some("1,2".into()),
            read_digits: None,
            checks: Vec::new(),
            best_frame: None,
            extra_frames: vec![],
            video: None,
        }
    }

    #[test]
    fn passes_on_first_good_attempt() {
        let mut f = flow();
        assert_eq!(f.status(2_000), FlowStatus::Init);
        assert_eq!(f.verdict(2_000), codes::NOT_FINISHED);
        f.start(2_000).unwrap();
        assert_eq!(f.status(2_000), FlowStatus::Doing);
        let code = f
            .record_attempt(3_000, "s1".into(), outcome(0, Some(0), Some(92.5)))
            .unwrap();
        assert_eq!(code, codes::SUCCESS);
        assert_eq!(f.status(3_000), FlowStatus::Finished);
        assert_eq!(f.verdict(10_000_000), codes::SUCCESS);
        assert_eq!(f.start(4_000), Err(codes::ALREADY_COMPLETED));
    }

    #[test]
    fn failures_use_up_attempts_then_finish() {
        let mut f = flow();
        f.start(2_000).unwrap();
        let first = f
            .record_attempt(3_000, "s1".into(), outcome(1005, None, None))
            .unwrap();
        assert_eq!(first.code, 1005);
        assert_eq!(f.stage, Stage::Started);
        let second = f
            .record_attempt(4_000, "s2".into(), outcome(0, Some(2016), Some(40.0)))
            .unwrap();
        assert_eq!(second.code, 2016);
        assert_eq!(f.verdict(5_000).code, 2016);
        assert!(f.final_attempt().unwrap().is_billed());
        assert_eq!(
            f.record_attempt(5_000, "s3".into(), outcome(0, Some(0), Some(90.0))),
            Err(codes::ALREADY_COMPLETED)
        );
    }

    #[test]
    fn expiry_blocks_everything() {
        let mut f = flow();
        let late = 1_000 + 7_200_000 + 1;
        assert_eq!(f.status(late), FlowStatus::Timeout);
        assert_eq!(f.verdict(late), codes::TOKEN_EXPIRED);
        assert_eq!(f.start(late), Err(codes::TOKEN_EXPIRED));
    }

    #[test]
    fn identity_must_match_the_requested_person() {
        let mut f = flow();
        f.start(2_000).unwrap();
        let other = Identity {
            id_card: "110101199003070019".into(),
            name: "李四".into(),
            source: IdInfoFrom::Ocr,
            ocr: None,
            front_warnings: vec![],
            back_warnings: vec![],
        };
        assert_eq!(f.set_identity(2_500, other), Err(codes::ID_MISMATCH));
        assert_eq!(f.subject(), Some(("11010519491231002X", "张三")));
    }

    #[test]
    fn attempts_need_an_opened_flow() {
        let mut f = flow();
        assert_eq!(
            f.record_attempt(2_000, "s".into(), outcome(0, Some(0), Some(99.0))),
            Err(codes::INVALID_BUSINESS_REQUEST)
        );
    }
}
