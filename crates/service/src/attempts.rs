//! Liveness attempts of a flow, for every front door that records a person (the H5 pages, the
//! mini-program endpoints): the server issues the challenge, takes exactly one recording for
//! it, and judges it in a background job stored in the database, so a restart in the middle
//! finishes the judging rather than losing it. Nothing the client says about its own
//! recording is trusted: the verdict comes from the recording alone.

use crate::authority::check_identity;
use crate::error::{ServiceError, ServiceResult};
use crate::flows::{self, StoredFlow};
use crate::state::AppState;
use crate::verify::{self, Failure, Reference, Verdict};
use heshen_core::codes;
use heshen_core::flow::{AttemptOutcome, ChallengeSpec, IssuedChallenge};
use heshen_core::rule::{LivenessKind, RuleConfig};
use heshen_vision::liveness::flash::{self, FlashColour};
use heshen_vision::liveness::{Challenge, FlashChallenge, LivenessAction};
use rand::seq::SliceRandom;
use rand::{Rng, RngCore};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Name of the reference photo DetectAuth stores under the token.
pub const REFERENCE_PHOTO: &str = "reference";
/// The job kind that judges an uploaded recording.
pub const JUDGE_JOB: &str = "judge_recording";
/// How long a worker holds a job before another may take it over.
const JOB_LEASE_MS: i64 = 5 * 60 * 1000;
/// Claims of one job before it is given up and the attempt recorded as an engine failure.
const MAX_TRIES: i64 = 5;
/// Extra frames kept beside the best one (GetDetectInfoEnhanced `BestFramesCount` reads them).
const EXTRA_FRAMES: usize = 3;

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    hex::encode(buf)
}

/// A colour sequence for the flash check: every colour once, in random order, then more
/// without showing one colour twice in a row, so each colour's reflection is measured and a
/// sequence guessed in advance is almost surely wrong.
fn flash_sequence(rng: &mut impl Rng) -> String {
    let mut colours = FlashColour::ALL.to_vec();
    colours.shuffle(rng);
    while colours.len() < flash::SEQUENCE_LENGTH {
        let last = colours[colours.len() - 1];
        let others: Vec<FlashColour> = FlashColour::ALL
            .into_iter()
            .filter(|c| *c != last)
            .collect();
        colours.push(*others.choose(rng).unwrap_or(&last));
    }
    flash::sequence_code(&colours)
}

/// A new challenge for a rule: `action_count` distinct actions drawn from the rule's, four
/// digits, a silent look, or a colour sequence.
fn new_challenge(rule: &RuleConfig) -> ServiceResult<ChallengeSpec> {
    let mut rng = rand::rngs::OsRng;
    match rule.liveness {
        LivenessKind::Action => {
            let mut actions: Vec<&str> = rule.action_codes().collect();
            actions.shuffle(&mut rng);
            actions.truncate(usize::from(rule.action_count.max(1)));
            Ok(ChallengeSpec::Actions(actions.join(",")))
        }
        LivenessKind::Digits => Ok(ChallengeSpec::Digits(
            (0..4)
                .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
                .collect(),
        )),
        LivenessKind::Silent => Ok(ChallengeSpec::Silent),
        LivenessKind::Flash => Ok(ChallengeSpec::Flash(flash_sequence(&mut rng))),
    }
}

/// The challenge of the flow's next attempt (the same one again on a reload).
pub async fn issue_challenge(
    state: &AppState,
    token: &str,
    rule: &RuleConfig,
) -> ServiceResult<IssuedChallenge> {
    let spec = new_challenge(rule)?;
    let (issued, _) = flows::update(state, token, flows::ANY_KIND, |flow, now| {
        let spec = spec.clone();
        flow.issue_challenge(now, || (random_hex(16), spec))
    })
    .await?;
    Ok(issued)
}

/// The page's report of when it showed a flash challenge's colours, checked against the
/// sequence; `None` for the other challenges, which need no report.
fn flash_report(spec: &ChallengeSpec, report: Option<&str>) -> ServiceResult<Option<Vec<u32>>> {
    let ChallengeSpec::Flash(sequence) = spec else {
        return Ok(None);
    };
    let colours = flash::parse_sequence(sequence)
        .ok_or_else(|| ServiceError::corrupt("challenge", sequence))?;
    let onsets = report
        .ok_or_else(|| {
            ServiceError::Invalid(
                "a colour-flash recording needs the report of when each colour was shown".into(),
            )
        })
        .and_then(|text| {
            flash::parse_report(text).ok_or_else(|| {
                ServiceError::Invalid("the colour report is not a list of milliseconds".into())
            })
        })?;
    flash::check_report(colours.len(), &onsets).map_err(|problem| {
        ServiceError::Invalid(format!("the colour report is refused: {problem}"))
    })?;
    Ok(Some(onsets))
}

/// The flow's current challenge when `nonce` names it, it still waits for its recording and
/// the token has not expired; otherwise the refusal that says why.
pub(crate) async fn open_challenge(
    state: &AppState,
    token: &str,
    nonce: &str,
) -> ServiceResult<IssuedChallenge> {
    let stored = flows::load(state, token, flows::ANY_KIND)
        .await?
        .ok_or(ServiceError::FlowNotFound)?;
    let now = state.clock().now_ms();
    let challenge = match &stored.flow.challenge {
        Some(c) if c.nonce == nonce && c.recording.is_none() => c.clone(),
        _ => return Err(ServiceError::Refused(codes::INVALID_BUSINESS_REQUEST)),
    };
    if stored.flow.is_expired(now) {
        return Err(ServiceError::Refused(codes::TOKEN_EXPIRED));
    }
    Ok(challenge)
}

/// Stores the recording for the challenge `nonce` and queues its judging. A nonce that is not
/// the flow's current challenge, or one that already has its recording, is refused before a
/// byte is stored (and again, atomically, when the recording is bound); so is a flash
/// recording whose colour report does not fit the issued sequence.
pub async fn submit_recording<S, E>(
    state: &AppState,
    token: &str,
    nonce: &str,
    flash_shown: Option<&str>,
    chunks: S,
    max_bytes: u64,
) -> ServiceResult<()>
where
    S: futures_util::Stream<Item = Result<bytes::Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let challenge = open_challenge(state, token, nonce).await?;
    let shown_at_ms = flash_report(&challenge.spec, flash_shown)?;
    let media = format!("recording-{}-{}", challenge.attempt, nonce);
    flows::put_media_stream(state, token, &media, chunks, max_bytes).await?;
    flows::update(state, token, flows::ANY_KIND, |flow, now| {
        flow.accept_recording(now, nonce, media.clone(), shown_at_ms.clone())
    })
    .await?;
    state
        .store()
        .enqueue_job(
            &job_id(token, nonce),
            JUDGE_JOB,
            token,
            state.clock().now_ms(),
        )
        .await?;
    state.wake_jobs();
    Ok(())
}

fn job_id(token: &str, nonce: &str) -> String {
    format!("{JUDGE_JOB}:{token}:{nonce}")
}

/// Where a flow's liveness stands, for the page that waits on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// No recording waits: record (again).
    Recording { attempts_left: u8 },
    /// A recording is being judged.
    Judging,
    /// The flow is over with this result code.
    Finished { code: i64 },
}

pub fn progress(stored: &StoredFlow) -> Progress {
    let flow = &stored.flow;
    if let Some(outcome) = flow.outcome {
        return Progress::Finished { code: outcome.code };
    }
    if flow.pending_recording().is_some() {
        return Progress::Judging;
    }
    Progress::Recording {
        attempts_left: flow.attempts_left(),
    }
}

fn vision_challenge(issued: &IssuedChallenge) -> ServiceResult<Challenge> {
    Ok(match &issued.spec {
        ChallengeSpec::Actions(codes) => Challenge::Actions(
            LivenessAction::parse_sequence(codes)
                .filter(|a| !a.is_empty())
                .ok_or_else(|| ServiceError::corrupt("challenge", codes))?,
        ),
        ChallengeSpec::Digits(digits) => Challenge::Digits(digits.clone()),
        ChallengeSpec::Silent => Challenge::Silent,
        ChallengeSpec::Flash(sequence) => Challenge::Flash(FlashChallenge {
            colours: flash::parse_sequence(sequence)
                .ok_or_else(|| ServiceError::corrupt("challenge", sequence))?,
            onsets_s: issued
                .shown_at_ms
                .as_ref()
                .ok_or_else(|| ServiceError::corrupt("challenge", "flash without its report"))?
                .iter()
                .map(|&ms| ms as f32 / 1000.0)
                .collect(),
        }),
    })
}

/// What the live face of a flow is compared with, as its settings say; `Err` is the failure
/// that ends the attempt before any recording is looked at.
async fn reference_of(
    state: &AppState,
    stored: &StoredFlow,
) -> ServiceResult<Result<Option<Reference>, Failure>> {
    let flow = &stored.flow;
    match flow.settings.compare_lib_type.as_deref() {
        None => Ok(Ok(None)),
        Some(_) if flow.request.has_reference_photo => {
            match state
                .store()
                .get_media(&stored.token, REFERENCE_PHOTO)
                .await?
            {
                Some(photo) => Ok(Ok(Some(Reference::Photo(photo)))),
                // The photo DetectAuth stored is gone: refuse, never judge liveness alone.
                None => Ok(Err(Failure::UnusableReference)),
            }
        }
        Some(_) => {
            let Some((id_card, name)) = flow.subject() else {
                return Ok(Err(Failure::Identity(
                    crate::authority::IdentityCheck::InvalidIdCard,
                )));
            };
            let (check, answer) = check_identity(state.authority(), id_card, name).await;
            Ok(verify::reference_for(check, answer).map(Some))
        }
    }
}

/// The attempt's outcome as the flow records it: liveness codes (1xxx and the general ones)
/// in `live_status`, comparison and identity codes (2xxx) in `compare_status`.
fn outcome_of(
    verdict: &Verdict,
    compared: bool,
    mode: u64,
    actions: Option<String>,
) -> AttemptOutcome {
    let (live_status, compare_status) = match &verdict.failure {
        None => (0, compared.then_some(0)),
        Some(failure) => {
            let code = failure.result_code().code;
            if (2000..3000).contains(&code) {
                (0, Some(code))
            } else {
                (code, None)
            }
        }
    };
    AttemptOutcome {
        live_status,
        compare_status,
        sim: verdict.sim.map(f64::from),
        liveness_mode: mode,
        action_sequence: actions,
        read_digits: None,
        checks: Vec::new(),
        best_frame: None,
        extra_frames: Vec::new(),
        video: None,
    }
}

/// Judges the recording waiting on a flow, if any, and records the attempt. Running it twice
/// is harmless: the second run finds nothing pending.
pub async fn judge_pending(state: &AppState, token: &str) -> ServiceResult<()> {
    let Some(stored) = flows::load(state, token, flows::ANY_KIND).await? else {
        return Ok(());
    };
    let Some(challenge) = stored.flow.pending_recording().cloned() else {
        return Ok(());
    };
    let recording = challenge
        .recording
        .clone()
        .ok_or_else(|| ServiceError::corrupt("challenge", "pending without a recording"))?;
    let settings = stored.flow.settings.clone();
    let actions = match &challenge.spec {
        ChallengeSpec::Actions(codes) => Some(codes.clone()),
        _ => None,
    };
    let compared = settings.compare_lib_type.is_some();
    let video = state
        .store()
        .get_media(token, &recording)
        .await?
        .ok_or_else(|| ServiceError::corrupt("recording", "missing"))?;
    let verdict = match reference_of(state, &stored).await? {
        Err(failure) => Verdict::failed(failure),
        Ok(_) if !first_sending(state, token, &challenge, &video).await? => {
            Verdict::failed(Failure::Replayed)
        }
        Ok(reference) => {
            let vision = state.require_vision()?;
            verify::verify_recording(
                vision,
                video,
                vision_challenge(&challenge)?,
                reference,
                settings.sim_threshold as f32,
                EXTRA_FRAMES,
            )
            .await?
        }
    };
    let mut outcome = outcome_of(&verdict, compared, settings.liveness_mode, actions);
    outcome.video = Some(recording);
    outcome.checks = verdict.checks;
    if let ChallengeSpec::Digits(digits) = &challenge.spec {
        outcome.read_digits = Some(digits.clone());
    }
    for (i, frame) in verdict.frames.into_iter().enumerate() {
        let name = if i == 0 {
            format!("best-{}", challenge.attempt)
        } else {
            format!("frame-{}-{i}", challenge.attempt)
        };
        flows::put_media(state, token, &name, frame).await?;
        if i == 0 {
            outcome.best_frame = Some(name);
        } else {
            outcome.extra_frames.push(name);
        }
    }
    record(state, token, &challenge, outcome).await
}

/// Whether this recording is sent for the first time. The digest is keyed, so the table says
/// nothing about recordings to whoever reads it; a retried job finds its own digest under its
/// own nonce and is not a replay.
async fn first_sending(
    state: &AppState,
    token: &str,
    challenge: &IssuedChallenge,
    video: &[u8],
) -> ServiceResult<bool> {
    let digest = hex::encode(heshen_core::keys::hmac_sha256(
        &state.keys().recording_digest_key(),
        video,
    ));
    let now = state.clock().now_ms();
    let store = state.store();
    if store
        .remember_recording(&digest, token, &challenge.nonce, now)
        .await?
    {
        return Ok(true);
    }
    let first = store.recording_owner(&digest).await?;
    Ok(first.is_some_and(|(t, n)| t == token && n == challenge.nonce))
}

async fn record(
    state: &AppState,
    token: &str,
    challenge: &IssuedChallenge,
    outcome: AttemptOutcome,
) -> ServiceResult<()> {
    let seq = random_hex(16);
    let result = flows::update(state, token, flows::ANY_KIND, |flow, now| {
        // Only the attempt this challenge was issued for; a concurrent judge already did it.
        if flow.pending_recording().map(|c| &c.nonce) != Some(&challenge.nonce) {
            return Ok(());
        }
        flow.record_attempt(now, seq.clone(), outcome.clone())
            .map(|_| ())
    })
    .await;
    match result {
        Ok(_) => Ok(()),
        // The token expired or ran out while the recording was judged: nothing to record.
        Err(ServiceError::Refused(code)) => {
            tracing::info!(
                code = code.code,
                "attempt not recorded: the flow refused it"
            );
            Ok(())
        }
        Err(err) => Err(err),
    }
}

/// When judging keeps failing on the engine's side, the attempt ends as an engine failure
/// (1001) rather than hanging: the person may try again.
async fn give_up(state: &AppState, token: &str) -> ServiceResult<()> {
    let Some(stored) = flows::load(state, token, flows::ANY_KIND).await? else {
        return Ok(());
    };
    let Some(challenge) = stored.flow.pending_recording().cloned() else {
        return Ok(());
    };
    let mut outcome = outcome_of(
        &Verdict::failed(Failure::EngineGaveUp),
        false,
        stored.flow.settings.liveness_mode,
        None,
    );
    outcome.video = challenge.recording.clone();
    record(state, token, &challenge, outcome).await
}

/// Runs queued jobs until `stop` is cancelled: woken at once by uploads on this node, and
/// every `poll` for jobs queued by other nodes or left behind by a restart.
pub async fn job_loop(state: AppState, poll: Duration, stop: CancellationToken) {
    loop {
        loop {
            if stop.is_cancelled() {
                return;
            }
            let now = state.clock().now_ms();
            let job = match state.store().claim_job(now, JOB_LEASE_MS).await {
                Ok(Some(job)) => job,
                Ok(None) => break,
                Err(err) => {
                    tracing::warn!(%err, "claiming a job failed; will retry");
                    break;
                }
            };
            let outcome = if job.kind == JUDGE_JOB {
                if job.tries > MAX_TRIES {
                    give_up(&state, &job.token).await
                } else {
                    judge_pending(&state, &job.token).await
                }
            } else {
                tracing::warn!(kind = %job.kind, "unknown job kind; dropped");
                Ok(())
            };
            let done = match outcome {
                Ok(()) => state.store().finish_job(&job.id).await,
                Err(err) => {
                    tracing::warn!(%err, tries = job.tries, "job failed; will retry");
                    let backoff = 1000 * (1i64 << job.tries.clamp(0, 6));
                    state
                        .store()
                        .retry_job(&job.id, now + backoff, &err.to_string())
                        .await
                }
            };
            if let Err(err) = done {
                tracing::warn!(%err, "could not settle a job; its lease will run out");
            }
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = state.jobs_woken() => {}
            _ = tokio::time::sleep(poll) => {}
        }
    }
}
