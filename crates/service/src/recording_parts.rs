//! A recording sent in numbered parts, so an upload that a phone's network breaks off resumes
//! at the parts the server lacks instead of starting again. Each part is a media object of the
//! flow (sealed like the rest, erased with it); completing joins them, in order, into the one
//! recording of the challenge, which is then judged like a recording sent whole.

use crate::attempts::{self, open_challenge};
use crate::error::{ServiceError, ServiceResult};
use crate::state::AppState;
use bytes::Bytes;
use futures_util::StreamExt;

/// How a recording may be cut into parts.
#[derive(Debug, Clone, Copy)]
pub struct PartLimits {
    /// The largest part; every part but the last should be this size.
    pub part_bytes: usize,
    /// The largest recording, all parts together.
    pub max_bytes: u64,
}

impl PartLimits {
    /// The most parts a recording of `max_bytes` takes.
    pub fn max_parts(&self) -> u32 {
        let part = self.part_bytes.max(1) as u64;
        u32::try_from(self.max_bytes.div_ceil(part)).unwrap_or(u32::MAX)
    }
}

fn prefix(nonce: &str) -> String {
    format!("part-{nonce}-")
}

fn part_name(nonce: &str, index: u32) -> String {
    format!("{}{index:05}", prefix(nonce))
}

/// Stores part `index` of the recording for the challenge `nonce`, replacing what a broken
/// earlier try of the same part left. Refused like a whole recording when the challenge is not
/// the flow's current one or already has its recording.
pub async fn put_part(
    state: &AppState,
    token: &str,
    nonce: &str,
    index: u32,
    bytes: &[u8],
    limits: PartLimits,
) -> ServiceResult<()> {
    if index >= limits.max_parts() {
        return Err(ServiceError::UploadTooLarge(limits.max_bytes));
    }
    if bytes.is_empty() || bytes.len() > limits.part_bytes {
        return Err(ServiceError::Invalid(format!(
            "a part of a recording holds 1 to {} bytes",
            limits.part_bytes
        )));
    }
    open_challenge(state, token, nonce).await?;
    state
        .store()
        .put_media(token, &part_name(nonce, index), bytes)
        .await?;
    Ok(())
}

/// The parts of the challenge's recording the server holds, in order.
pub async fn received_parts(state: &AppState, token: &str, nonce: &str) -> ServiceResult<Vec<u32>> {
    open_challenge(state, token, nonce).await?;
    stored_parts(state, token, nonce).await
}

async fn stored_parts(state: &AppState, token: &str, nonce: &str) -> ServiceResult<Vec<u32>> {
    let prefix = prefix(nonce);
    Ok(state
        .store()
        .media_names(token, &prefix)
        .await?
        .iter()
        .filter_map(|name| name.strip_prefix(&prefix)?.parse().ok())
        .collect())
}

/// Joins parts `0..count` into the challenge's recording and queues its judging, as
/// [`attempts::submit_recording`] does for a recording sent whole; then erases the parts.
/// A missing part is refused with the parts still to send, and nothing is recorded.
pub async fn complete(
    state: &AppState,
    token: &str,
    nonce: &str,
    count: u32,
    flash_shown: Option<&str>,
    limits: PartLimits,
) -> ServiceResult<()> {
    if count == 0 {
        return Err(ServiceError::Invalid(
            "a recording has at least one part".into(),
        ));
    }
    if count > limits.max_parts() {
        return Err(ServiceError::UploadTooLarge(limits.max_bytes));
    }
    open_challenge(state, token, nonce).await?;
    let held = stored_parts(state, token, nonce).await?;
    let missing: Vec<u32> = (0..count).filter(|i| !held.contains(i)).collect();
    if !missing.is_empty() {
        return Err(ServiceError::Invalid(format!(
            "parts {missing:?} of the recording have not arrived; send them again"
        )));
    }
    let loader = state.clone();
    let (owner, challenge) = (token.to_string(), nonce.to_string());
    let parts = futures_util::stream::iter(0..count).then(move |index| {
        let (state, token, name) = (loader.clone(), owner.clone(), part_name(&challenge, index));
        async move {
            match state.store().get_media(&token, &name).await {
                Ok(Some(bytes)) => Ok(Bytes::from(bytes)),
                Ok(None) => Err(format!("part {index} vanished")),
                Err(err) => Err(err.to_string()),
            }
        }
    });
    attempts::submit_recording(
        state,
        token,
        nonce,
        flash_shown,
        Box::pin(parts),
        limits.max_bytes,
    )
    .await?;
    for index in held {
        // The purge erases whatever is left with the flow; a part kept here harms nothing.
        if let Err(err) = state
            .store()
            .delete_media_object(token, &part_name(nonce, index))
            .await
        {
            tracing::warn!(%err, "a joined recording part was not deleted");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recording_takes_as_many_parts_as_its_limit_allows() {
        let limits = |part_bytes, max_bytes| PartLimits {
            part_bytes,
            max_bytes,
        };
        assert_eq!(limits(256 * 1024, 20 * 1024 * 1024).max_parts(), 80);
        assert_eq!(limits(1000, 1001).max_parts(), 2);
        assert_eq!(limits(1000, 1000).max_parts(), 1);
        assert_eq!(part_name("ab12", 7), "part-ab12-00007");
    }
}
