//! Background work: the retention purge. It stops when its cancellation token is cancelled,
//! between two purges, never in the middle of one.

use crate::state::AppState;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Erases expired results and media every `every` until `stop` is cancelled.
pub async fn purge_loop(state: AppState, every: Duration, stop: CancellationToken) {
    let mut ticker = tokio::time::interval(every);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = ticker.tick() => {}
        }
        match state.store().purge(state.clock().now_ms()).await {
            Ok(report) if report.flows + report.media_objects + report.nonces > 0 => {
                tracing::info!(?report, "erased expired results")
            }
            Ok(_) => {}
            Err(err) => tracing::warn!(%err, "retention purge failed; will retry"),
        }
    }
}
