//! Loading and saving flows: the one place that turns store records into the
//! core state machine and back. The H5 pages, the mini-program endpoints and the
//! tests all move flows through here.

use crate::error::{ServiceError, ServiceResult};
use crate::ledger;
use crate::state::AppState;
use heshen_core::codes::ResultCode;
use heshen_core::flow::{Flow, FlowKind, Stage};
use heshen_core::rule::RuleConfig;
use heshen_core::stats;
use heshen_store::{FlowUpdate, NewBill, NewFlow};

/// A flow with the bookkeeping the store keeps beside it.
#[derive(Debug, Clone)]
pub struct StoredFlow {
    pub token: String,
    pub app_id: String,
    pub scope_id: String,
    pub retain_until_ms: i64,
    pub version: i64,
    pub flow: Flow,
}

fn status_word(flow: &Flow) -> &'static str {
    match flow.stage {
        Stage::Created => "init",
        Stage::Started => "doing",
        Stage::Finished => "finished",
    }
}

/// Results stay for the retention period after the flow ends; an unfinished flow
/// "ends" when its token expires.
pub fn retain_until_ms(state: &AppState, flow: &Flow) -> i64 {
    let retention = state.config().result_retention.as_millis() as i64;
    let ended = flow
        .outcome
        .map_or(flow.expires_at_ms, |o| o.finished_at_ms);
    ended + retention
}

fn store_kind(kind: FlowKind) -> heshen_store::FlowKind {
    match kind {
        FlowKind::Detect => heshen_store::FlowKind::Detect,
        FlowKind::Eid => heshen_store::FlowKind::Eid,
        FlowKind::Legacy => heshen_store::FlowKind::Legacy,
    }
}

fn encode(flow: &Flow) -> ServiceResult<Vec<u8>> {
    serde_json::to_vec(flow).map_err(|e| ServiceError::Internal(format!("encoding a flow: {e}")))
}

/// Stores a new flow and the media it starts with (a reference photo). The row goes first:
/// media are only ever written under a token whose row exists, so the retention purge always
/// finds them; when writing the media fails, the flow is erased again rather than left
/// pointing at nothing.
pub async fn create(
    state: &AppState,
    token: &str,
    owner: &FlowOwner<'_>,
    flow: &Flow,
    media: Vec<(&str, Vec<u8>)>,
) -> ServiceResult<()> {
    state
        .store()
        .insert_flow(NewFlow {
            token: token.to_string(),
            kind: store_kind(flow.kind),
            app_id: owner.app_id.to_string(),
            scope_id: owner.scope_id.to_string(),
            secret_id: owner.secret_id.to_string(),
            status: status_word(flow).to_string(),
            created_at: flow.created_at_ms,
            expires_at: flow.expires_at_ms,
            retain_until: retain_until_ms(state, flow),
            payload: encode(flow)?,
            counts: ledger::counts_of(flow, stats::reached(flow).iter()),
            bill: (flow.kind == FlowKind::Detect).then(|| NewBill {
                channel: owner.channel.to_string(),
            }),
        })
        .await?;
    for (name, bytes) in media {
        if let Err(err) = state.store().put_media(token, name, &bytes).await {
            if let Err(cleanup) = state.store().erase_flow(token).await {
                tracing::warn!(%cleanup, "could not erase a flow whose media failed; the purge will");
            }
            return Err(err.into());
        }
    }
    Ok(())
}

/// Who a flow belongs to: the app, the rule or merchant it runs under, the key that made it.
#[derive(Debug, Clone, Copy)]
pub struct FlowOwner<'a> {
    pub app_id: &'a str,
    pub scope_id: &'a str,
    pub secret_id: &'a str,
    /// Where the person verifies: the rule's scene, or `eid`; reconciliation's channel.
    pub channel: &'a str,
}

/// Any kind of flow: what the person-facing pages and mini-program endpoints ask for, since
/// the token is all they have.
pub const ANY_KIND: Option<FlowKind> = None;

/// Loads a flow; with a kind, a flow of another kind is not found (an API action reads only
/// its own kind's tokens).
pub async fn load(
    state: &AppState,
    token: &str,
    kind: impl Into<Option<FlowKind>>,
) -> ServiceResult<Option<StoredFlow>> {
    let Some(record) = state.store().flow(token).await? else {
        return Ok(None);
    };
    if kind
        .into()
        .is_some_and(|kind| record.kind != store_kind(kind))
    {
        return Ok(None);
    }
    let flow: Flow =
        serde_json::from_slice(&record.payload).map_err(|e| ServiceError::corrupt("flow", e))?;
    Ok(Some(StoredFlow {
        token: record.token,
        app_id: record.app_id,
        scope_id: record.scope_id,
        retain_until_ms: record.retain_until,
        version: record.version,
        flow,
    }))
}

/// The pages a flow runs: its rule's, or for an eID flow what its merchant and GetEidToken's
/// `Config` make of them. `None` when the rule or merchant is gone.
pub async fn page_rule(state: &AppState, stored: &StoredFlow) -> ServiceResult<Option<RuleConfig>> {
    Ok(match stored.flow.kind {
        FlowKind::Detect => state.rule(&stored.scope_id).await?.map(|rule| rule.config),
        FlowKind::Eid => state.merchant(&stored.scope_id).await?.map(|merchant| {
            merchant
                .config
                .page_rule(&merchant.name, stored.flow.request.input_type.as_deref())
        }),
        FlowKind::Legacy => crate::legacy::page_rule(state, &stored.scope_id).await?,
    })
}

/// Applies one state-machine step and saves it, retrying when another request
/// changed the flow meanwhile (optimistic concurrency on the row version).
pub async fn update<T>(
    state: &AppState,
    token: &str,
    kind: impl Into<Option<FlowKind>>,
    mut step: impl FnMut(&mut Flow, i64) -> Result<T, ResultCode>,
) -> ServiceResult<(T, StoredFlow)> {
    let kind = kind.into();
    for _ in 0..16 {
        let mut stored = load(state, token, kind)
            .await?
            .ok_or(ServiceError::FlowNotFound)?;
        let now = state.clock().now_ms();
        let before = stored.flow.clone();
        let value = step(&mut stored.flow, now).map_err(ServiceError::Refused)?;
        let added = stats::reached_since(&before, &stored.flow);
        let retain_until = retain_until_ms(state, &stored.flow);
        let saved = state
            .store()
            .update_flow(
                token,
                stored.version,
                FlowUpdate {
                    status: status_word(&stored.flow).to_string(),
                    payload: encode(&stored.flow)?,
                    finished_at: stored.flow.outcome.map(|o| o.finished_at_ms),
                    retain_until,
                    result_code: stored.flow.outcome.map(|o| o.code),
                    counts: ledger::counts_of(&stored.flow, added.iter()),
                    charges: ledger::new_charges(&before, &stored.flow),
                },
            )
            .await?;
        if saved {
            stored.version += 1;
            stored.retain_until_ms = retain_until;
            return Ok((value, stored));
        }
    }
    Err(ServiceError::Contended)
}

pub async fn put_media(
    state: &AppState,
    token: &str,
    name: &str,
    bytes: Vec<u8>,
) -> ServiceResult<()> {
    Ok(state.store().put_media(token, name, &bytes).await?)
}

/// Streams an upload (a recording from the H5 page) into the flow's media without holding it
/// in memory; more than `max_bytes` is refused and leaves nothing behind.
pub async fn put_media_stream<S, E>(
    state: &AppState,
    token: &str,
    name: &str,
    chunks: S,
    max_bytes: u64,
) -> ServiceResult<u64>
where
    S: futures_util::Stream<Item = Result<bytes::Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    Ok(state
        .store()
        .put_media_stream(token, name, chunks, max_bytes)
        .await?)
}

/// Loads the named media objects of a flow; a missing object is simply left out.
pub async fn load_media(
    state: &AppState,
    token: &str,
    names: Vec<String>,
) -> ServiceResult<heshen_core::result::MediaMap> {
    let mut media = heshen_core::result::MediaMap::new();
    for name in names {
        if let Some(bytes) = state.store().get_media(token, &name).await? {
            media.insert(name, bytes);
        }
    }
    Ok(media)
}
