//! A job queue in the database. Enqueueing is idempotent on the job id; claiming leases a
//! due job to one worker (an `UPDATE … WHERE locked_until <= now` that only one claimer can
//! win, on SQLite and PostgreSQL alike); a finished job is deleted, a failed one retried later.

use crate::db::with_pool;
use crate::error::StoreResult;
use crate::store::Store;
use sqlx::Row;

/// A job a worker holds until `locked_until`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: String,
    pub kind: String,
    pub token: String,
    /// How many times it has been claimed, this time included.
    pub tries: i64,
}

impl Store {
    /// Queues a job; returns false when a job with this id is already queued.
    pub async fn enqueue_job(
        &self,
        id: &str,
        kind: &str,
        token: &str,
        run_after: i64,
    ) -> StoreResult<bool> {
        let inserted = with_pool!(self.db(), |pool| {
            sqlx::query(
            "INSERT INTO jobs (id, kind, token, run_after) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING"
        )
        .bind(id)
        .bind(kind)
        .bind(token)
        .bind(run_after)
        .execute(pool)
        .await?
        .rows_affected()
        });
        Ok(inserted == 1)
    }

    /// Leases the oldest due job until `now_ms + lease_ms`, if there is one.
    pub async fn claim_job(&self, now_ms: i64, lease_ms: i64) -> StoreResult<Option<Job>> {
        for _ in 0..4 {
            let candidate: Option<String> = with_pool!(self.db(), |pool| {
                sqlx::query_scalar(
                "SELECT id FROM jobs WHERE run_after <= $1 AND locked_until <= $1 ORDER BY run_after LIMIT 1"
            )
            .bind(now_ms)
            .fetch_optional(pool)
            .await?
            });
            let Some(id) = candidate else {
                return Ok(None);
            };
            let claimed = with_pool!(self.db(), |pool| sqlx::query(
                "UPDATE jobs SET locked_until = $1, tries = tries + 1 \
                 WHERE id = $2 AND locked_until <= $3 RETURNING id, kind, token, tries"
            )
            .bind(now_ms + lease_ms)
            .bind(&id)
            .bind(now_ms)
            .fetch_optional(pool)
            .await?
            .map(|row| Job {
                id: row.get("id"),
                kind: row.get("kind"),
                token: row.get("token"),
                tries: i64::from(row.get::<i32, _>("tries")),
            }));
            if claimed.is_some() {
                return Ok(claimed);
            }
            // Another worker won this one; look again.
        }
        Ok(None)
    }

    /// The job is done: it leaves the queue.
    pub async fn finish_job(&self, id: &str) -> StoreResult<()> {
        with_pool!(self.db(), |pool| sqlx::query(
            "DELETE FROM jobs WHERE id = $1"
        )
        .bind(id)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(())
    }

    /// The job failed this time: release it to run again from `run_after`.
    pub async fn retry_job(&self, id: &str, run_after: i64, error: &str) -> StoreResult<()> {
        with_pool!(self.db(), |pool| sqlx::query(
            "UPDATE jobs SET run_after = $1, locked_until = 0, last_error = $2 WHERE id = $3"
        )
        .bind(run_after)
        .bind(error)
        .bind(id)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(())
    }

    /// Jobs still queued for a flow.
    pub async fn jobs_of(&self, token: &str) -> StoreResult<u64> {
        let count: i64 = with_pool!(self.db(), |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM jobs WHERE token = $1"
        )
        .bind(token)
        .fetch_one(pool)
        .await?);
        Ok(count as u64)
    }

    /// Records that a recording with this digest was judged for `token`. False when the
    /// digest was seen before: the same recording, sent again.
    pub async fn remember_recording(
        &self,
        digest: &str,
        token: &str,
        nonce: &str,
        seen_at: i64,
    ) -> StoreResult<bool> {
        let inserted = with_pool!(self.db(), |pool| {
            sqlx::query(
            "INSERT INTO recording_digests (digest, token, nonce, seen_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING"
        )
        .bind(digest)
        .bind(token)
        .bind(nonce)
        .bind(seen_at)
        .execute(pool)
        .await?
        .rows_affected()
        });
        Ok(inserted == 1)
    }

    /// The flow token and challenge nonce a recording digest was first seen with.
    pub async fn recording_owner(&self, digest: &str) -> StoreResult<Option<(String, String)>> {
        let owner = with_pool!(self.db(), |pool| sqlx::query(
            "SELECT token, nonce FROM recording_digests WHERE digest = $1"
        )
        .bind(digest)
        .fetch_optional(pool)
        .await?
        .map(|row| (row.get("token"), row.get("nonce"))));
        Ok(owner)
    }

    /// Deletes the queued jobs and recording digests of flows being erased.
    pub(crate) async fn delete_flow_companions(&self, tokens: &[String]) -> StoreResult<u64> {
        let mut deleted = 0;
        for token in tokens {
            deleted += with_pool!(self.db(), |pool| sqlx::query(
                "DELETE FROM jobs WHERE token = $1"
            )
            .bind(token)
            .execute(pool)
            .await?
            .rows_affected());
            with_pool!(self.db(), |pool| sqlx::query(
                "DELETE FROM recording_digests WHERE token = $1"
            )
            .bind(token)
            .execute(pool)
            .await?
            .rows_affected());
        }
        Ok(deleted)
    }
}
