//! Loading and saving flows: the one place that turns store records into the
//! core state machine and back. The H5 pages, the mini-program endpoints and the
//! tests all move flows through here.

use crate::state::{storage_error, AppState};
use heshen_core::codes::ResultCode;
use heshen_core::flow::{Flow, FlowKind, Stage};
use heshen_core::{ApiError, ErrorCode};
use heshen_store::{FlowUpdate, NewFlow};

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

#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    #[error("no such flow")]
    NotFound,
    #[error("flow refused the step: {0:?}")]
    Refused(ResultCode),
    #[error(transparent)]
    Api(#[from] ApiError),
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
    }
}

fn encode(flow: &Flow) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(flow)
        .map_err(|e| ApiError::internal(format!("could not encode the flow: {e}")))
}

pub async fn create(
    state: &AppState,
    token: &str,
    app_id: &str,
    scope_id: &str,
    secret_id: &str,
    flow: &Flow,
) -> Result<(), ApiError> {
    state
        .store()
        .insert_flow(NewFlow {
            token: token.to_string(),
            kind: store_kind(flow.kind),
            app_id: app_id.to_string(),
            scope_id: scope_id.to_string(),
            secret_id: secret_id.to_string(),
            status: status_word(flow).to_string(),
            created_at: flow.created_at_ms,
            expires_at: flow.expires_at_ms,
            retain_until: retain_until_ms(state, flow),
            payload: encode(flow)?,
        })
        .await
        .map_err(storage_error)
}

pub async fn load(
    state: &AppState,
    token: &str,
    kind: FlowKind,
) -> Result<Option<StoredFlow>, ApiError> {
    let Some(record) = state.store().flow(token).await.map_err(storage_error)? else {
        return Ok(None);
    };
    if record.kind != store_kind(kind) {
        return Ok(None);
    }
    let flow: Flow = serde_json::from_slice(&record.payload).map_err(|e| {
        tracing::error!(token, %e, "unreadable flow payload");
        ApiError::new(
            ErrorCode::FailedOperationDbError,
            "The stored flow could not be read.",
        )
    })?;
    Ok(Some(StoredFlow {
        token: record.token,
        app_id: record.app_id,
        scope_id: record.scope_id,
        retain_until_ms: record.retain_until,
        version: record.version,
        flow,
    }))
}

/// Applies one state-machine step and saves it, retrying when another request
/// changed the flow meanwhile (optimistic concurrency on the row version).
pub async fn update<T>(
    state: &AppState,
    token: &str,
    kind: FlowKind,
    mut step: impl FnMut(&mut Flow, i64) -> Result<T, ResultCode>,
) -> Result<(T, StoredFlow), FlowError> {
    for _ in 0..16 {
        let mut stored = load(state, token, kind).await?.ok_or(FlowError::NotFound)?;
        let now = state.clock().now_ms();
        let value = step(&mut stored.flow, now).map_err(FlowError::Refused)?;
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
                },
            )
            .await
            .map_err(storage_error)?;
        if saved {
            stored.version += 1;
            stored.retain_until_ms = retain_until;
            return Ok((value, stored));
        }
    }
    Err(ApiError::new(
        ErrorCode::FailedOperationDbError,
        "The flow is being changed by too many requests at once; retry.",
    )
    .into())
}

pub async fn put_media(
    state: &AppState,
    token: &str,
    name: &str,
    bytes: Vec<u8>,
) -> Result<(), ApiError> {
    state
        .store()
        .put_media(token, name, &bytes)
        .await
        .map_err(storage_error)
}

/// Loads the named media objects of a flow; a missing object is simply left out.
pub async fn load_media(
    state: &AppState,
    token: &str,
    names: Vec<String>,
) -> Result<heshen_core::result::MediaMap, ApiError> {
    let mut media = heshen_core::result::MediaMap::new();
    for name in names {
        if let Some(bytes) = state
            .store()
            .get_media(token, &name)
            .await
            .map_err(storage_error)?
        {
            media.insert(name, bytes);
        }
    }
    Ok(media)
}
