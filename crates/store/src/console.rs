//! The console's records: operators, their sessions, and the reviewed revisions of rules
//! and merchants. What a role may do is the service's business; this only stores.

use crate::cipher::SealContext;
use crate::db::with_pool;
use crate::error::{is_unique_violation, StoreError, StoreResult};
use crate::store::Store;

/// An operator of the console.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsoleUser {
    pub username: String,
    /// argon2id PHC string.
    pub password_hash: String,
    pub role: String,
    /// The apps the user works in; `["*"]` is every app.
    pub apps: Vec<String>,
    /// The password was given out (first start, reset): it must be changed at next login.
    pub must_change: bool,
    /// The TOTP secret (opened), when the user set up a second factor.
    pub totp_secret: Option<Vec<u8>>,
    pub enabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    username: String,
    password_hash: String,
    role: String,
    apps: String,
    must_change: bool,
    totp_secret: Option<Vec<u8>>,
    enabled: bool,
    created_at: i64,
    updated_at: i64,
}

const USER_COLUMNS: &str =
    "username, password_hash, role, apps, must_change, totp_secret, enabled, created_at, updated_at";

fn totp_context(username: &str) -> SealContext<'_> {
    SealContext::new("console_users", "totp_secret", username)
}

/// A signed-in browser: found by the hash of its cookie.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ConsoleSession {
    pub id_hash: String,
    pub username: String,
    pub csrf: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// What a revision configures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevisionKind {
    Rule,
    Merchant,
}

impl RevisionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rule => "rule",
            Self::Merchant => "merchant",
        }
    }

    fn parse(text: &str) -> StoreResult<Self> {
        match text {
            "rule" => Ok(Self::Rule),
            "merchant" => Ok(Self::Merchant),
            other => Err(StoreError::CorruptData(format!(
                "unknown revision kind {other:?}"
            ))),
        }
    }
}

/// A draft revision to add.
#[derive(Debug, Clone, Copy)]
pub struct NewRevision<'a> {
    pub kind: RevisionKind,
    pub subject_id: &'a str,
    pub app_id: &'a str,
    pub name: &'a str,
    pub config: &'a serde_json::Value,
    pub author: &'a str,
    pub now_ms: i64,
}

/// One version of a rule's or merchant's configuration and its review.
#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    pub kind: RevisionKind,
    pub subject_id: String,
    pub revision: i64,
    pub app_id: String,
    pub name: String,
    pub config: serde_json::Value,
    /// `draft`, `pending`, `approved`, `rejected` or `superseded`.
    pub status: String,
    pub author: String,
    pub created_at: i64,
    pub submitted_at: Option<i64>,
    pub reviewer: Option<String>,
    pub reviewed_at: Option<i64>,
    pub note: String,
}

#[derive(sqlx::FromRow)]
struct RevisionRow {
    kind: String,
    subject_id: String,
    revision: i64,
    app_id: String,
    name: String,
    config: String,
    status: String,
    author: String,
    created_at: i64,
    submitted_at: Option<i64>,
    reviewer: Option<String>,
    reviewed_at: Option<i64>,
    note: String,
}

const REVISION_COLUMNS: &str = "kind, subject_id, revision, app_id, name, config, status, author, \
     created_at, submitted_at, reviewer, reviewed_at, note";

impl TryFrom<RevisionRow> for Revision {
    type Error = StoreError;

    fn try_from(row: RevisionRow) -> StoreResult<Revision> {
        let config = serde_json::from_str(&row.config).map_err(|e| {
            StoreError::CorruptData(format!(
                "revision {} of {} {} is not JSON: {e}",
                row.revision, row.kind, row.subject_id
            ))
        })?;
        Ok(Revision {
            kind: RevisionKind::parse(&row.kind)?,
            subject_id: row.subject_id,
            revision: row.revision,
            app_id: row.app_id,
            name: row.name,
            config,
            status: row.status,
            author: row.author,
            created_at: row.created_at,
            submitted_at: row.submitted_at,
            reviewer: row.reviewer,
            reviewed_at: row.reviewed_at,
            note: row.note,
        })
    }
}

impl Store {
    fn user_from_row(&self, row: UserRow) -> StoreResult<ConsoleUser> {
        let apps = serde_json::from_str(&row.apps).map_err(|e| {
            StoreError::CorruptData(format!("apps of console user {}: {e}", row.username))
        })?;
        let totp_secret = match &row.totp_secret {
            Some(sealed) => Some(self.cipher().open(totp_context(&row.username), sealed)?),
            None => None,
        };
        Ok(ConsoleUser {
            username: row.username,
            password_hash: row.password_hash,
            role: row.role,
            apps,
            must_change: row.must_change,
            totp_secret,
            enabled: row.enabled,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }

    /// Adds a user; `Ok(false)` when the name is taken.
    pub async fn create_console_user(&self, user: &ConsoleUser) -> StoreResult<bool> {
        let apps = serde_json::to_string(&user.apps).expect("strings serialise");
        let totp = user
            .totp_secret
            .as_ref()
            .map(|s| self.cipher().seal(totp_context(&user.username), s));
        let inserted = with_pool!(self.db(), |pool| sqlx::query(&format!(
            "INSERT INTO console_users ({USER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        ))
        .bind(&user.username)
        .bind(&user.password_hash)
        .bind(&user.role)
        .bind(&apps)
        .bind(user.must_change)
        .bind(&totp)
        .bind(user.enabled)
        .bind(user.created_at)
        .bind(user.updated_at)
        .execute(pool)
        .await
        .map(|_| ()));
        match inserted {
            Ok(()) => Ok(true),
            Err(e) if is_unique_violation(&e) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn console_user(&self, username: &str) -> StoreResult<Option<ConsoleUser>> {
        let row = with_pool!(self.db(), |pool| sqlx::query_as::<_, UserRow>(&format!(
            "SELECT {USER_COLUMNS} FROM console_users WHERE username = $1"
        ))
        .bind(username)
        .fetch_optional(pool)
        .await?);
        row.map(|r| self.user_from_row(r)).transpose()
    }

    pub async fn list_console_users(&self) -> StoreResult<Vec<ConsoleUser>> {
        let rows = with_pool!(self.db(), |pool| sqlx::query_as::<_, UserRow>(&format!(
            "SELECT {USER_COLUMNS} FROM console_users ORDER BY username"
        ))
        .fetch_all(pool)
        .await?);
        rows.into_iter().map(|r| self.user_from_row(r)).collect()
    }

    pub async fn count_console_users(&self) -> StoreResult<i64> {
        let count = with_pool!(self.db(), |pool| sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM console_users"
        )
        .fetch_one(pool)
        .await?);
        Ok(count)
    }

    /// Replaces everything about a user but the name and creation time; false when absent.
    pub async fn update_console_user(&self, user: &ConsoleUser) -> StoreResult<bool> {
        let apps = serde_json::to_string(&user.apps).expect("strings serialise");
        let totp = user
            .totp_secret
            .as_ref()
            .map(|s| self.cipher().seal(totp_context(&user.username), s));
        let updated = with_pool!(self.db(), |pool| {
            sqlx::query(
            "UPDATE console_users SET password_hash = $2, role = $3, apps = $4, must_change = $5, \
             totp_secret = $6, enabled = $7, updated_at = $8 WHERE username = $1"
        )
        .bind(&user.username)
        .bind(&user.password_hash)
        .bind(&user.role)
        .bind(&apps)
        .bind(user.must_change)
        .bind(&totp)
        .bind(user.enabled)
        .bind(user.updated_at)
        .execute(pool)
        .await?
        .rows_affected()
        });
        Ok(updated > 0)
    }

    pub async fn create_console_session(&self, session: &ConsoleSession) -> StoreResult<()> {
        with_pool!(self.db(), |pool| sqlx::query(
            "INSERT INTO console_sessions (id_hash, username, csrf, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)"
        )
        .bind(&session.id_hash)
        .bind(&session.username)
        .bind(&session.csrf)
        .bind(session.created_at)
        .bind(session.expires_at)
        .execute(pool)
        .await
        .map(|_| ())?);
        Ok(())
    }

    /// The session with that cookie hash, if it has not expired by `now_ms`.
    pub async fn console_session(
        &self,
        id_hash: &str,
        now_ms: i64,
    ) -> StoreResult<Option<ConsoleSession>> {
        let session = with_pool!(self.db(), |pool| sqlx::query_as::<_, ConsoleSession>(
            "SELECT id_hash, username, csrf, created_at, expires_at FROM console_sessions \
             WHERE id_hash = $1 AND expires_at > $2"
        )
        .bind(id_hash)
        .bind(now_ms)
        .fetch_optional(pool)
        .await?);
        Ok(session)
    }

    pub async fn delete_console_session(&self, id_hash: &str) -> StoreResult<()> {
        with_pool!(self.db(), |pool| sqlx::query(
            "DELETE FROM console_sessions WHERE id_hash = $1"
        )
        .bind(id_hash)
        .execute(pool)
        .await
        .map(|_| ())?);
        Ok(())
    }

    /// Signs a user out everywhere (password changed, user disabled).
    pub async fn delete_console_sessions_of(&self, username: &str) -> StoreResult<u64> {
        let deleted = with_pool!(self.db(), |pool| sqlx::query(
            "DELETE FROM console_sessions WHERE username = $1"
        )
        .bind(username)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(deleted)
    }

    pub async fn purge_console_sessions(&self, now_ms: i64) -> StoreResult<u64> {
        let deleted = with_pool!(self.db(), |pool| sqlx::query(
            "DELETE FROM console_sessions WHERE expires_at <= $1"
        )
        .bind(now_ms)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(deleted)
    }

    /// Adds the next revision of a subject as a draft and returns its number.
    pub async fn create_revision(&self, new: NewRevision<'_>) -> StoreResult<i64> {
        let NewRevision {
            kind,
            subject_id,
            app_id,
            name,
            config,
            author,
            now_ms,
        } = new;
        let config = config.to_string();
        for _ in 0..3 {
            let inserted = with_pool!(self.db(), |pool| sqlx::query_scalar::<_, i64>(&format!(
                "INSERT INTO revisions ({REVISION_COLUMNS}) \
                 SELECT $1, $2, COALESCE(MAX(revision), 0) + 1, $3, $4, $5, 'draft', $6, $7, \
                 NULL, NULL, NULL, '' FROM revisions WHERE kind = $1 AND subject_id = $2 \
                 RETURNING revision"
            ))
            .bind(kind.as_str())
            .bind(subject_id)
            .bind(app_id)
            .bind(name)
            .bind(&config)
            .bind(author)
            .bind(now_ms)
            .fetch_one(pool)
            .await);
            match inserted {
                Ok(revision) => return Ok(revision),
                // Two authors raced for the same number: take the next.
                Err(e) if is_unique_violation(&e) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(StoreError::Conflict(format!(
            "could not add a revision of {} {subject_id}",
            kind.as_str()
        )))
    }

    pub async fn revision(
        &self,
        kind: RevisionKind,
        subject_id: &str,
        revision: i64,
    ) -> StoreResult<Option<Revision>> {
        let row = with_pool!(self.db(), |pool| sqlx::query_as::<_, RevisionRow>(
            &format!(
                "SELECT {REVISION_COLUMNS} FROM revisions \
             WHERE kind = $1 AND subject_id = $2 AND revision = $3"
            )
        )
        .bind(kind.as_str())
        .bind(subject_id)
        .bind(revision)
        .fetch_optional(pool)
        .await?);
        row.map(Revision::try_from).transpose()
    }

    /// A subject's revisions, newest first.
    pub async fn revisions_of(
        &self,
        kind: RevisionKind,
        subject_id: &str,
    ) -> StoreResult<Vec<Revision>> {
        let rows = with_pool!(self.db(), |pool| sqlx::query_as::<_, RevisionRow>(
            &format!(
                "SELECT {REVISION_COLUMNS} FROM revisions WHERE kind = $1 AND subject_id = $2 \
             ORDER BY revision DESC"
            )
        )
        .bind(kind.as_str())
        .bind(subject_id)
        .fetch_all(pool)
        .await?);
        rows.into_iter().map(Revision::try_from).collect()
    }

    /// Revisions in one status (the review queue), oldest first; `app_id` narrows to one app.
    pub async fn revisions_in(
        &self,
        status: &str,
        app_id: Option<&str>,
    ) -> StoreResult<Vec<Revision>> {
        let rows = with_pool!(self.db(), |pool| sqlx::query_as::<_, RevisionRow>(
            &format!(
                "SELECT {REVISION_COLUMNS} FROM revisions WHERE status = $1 \
             AND ($2 IS NULL OR app_id = $2) ORDER BY submitted_at, subject_id, revision"
            )
        )
        .bind(status)
        .bind(app_id)
        .fetch_all(pool)
        .await?);
        rows.into_iter().map(Revision::try_from).collect()
    }

    /// Changes a draft's name and configuration; false unless it is still a draft.
    pub async fn update_draft(
        &self,
        kind: RevisionKind,
        subject_id: &str,
        revision: i64,
        name: &str,
        config: &serde_json::Value,
    ) -> StoreResult<bool> {
        let updated = with_pool!(self.db(), |pool| sqlx::query(
            "UPDATE revisions SET name = $4, config = $5 \
             WHERE kind = $1 AND subject_id = $2 AND revision = $3 AND status = 'draft'"
        )
        .bind(kind.as_str())
        .bind(subject_id)
        .bind(revision)
        .bind(name)
        .bind(config.to_string())
        .execute(pool)
        .await?
        .rows_affected());
        Ok(updated > 0)
    }

    /// Submits a draft for review; false when it was not a draft.
    pub async fn submit_revision(
        &self,
        kind: RevisionKind,
        subject_id: &str,
        revision: i64,
        now_ms: i64,
    ) -> StoreResult<bool> {
        let updated = with_pool!(self.db(), |pool| sqlx::query(
            "UPDATE revisions SET status = 'pending', submitted_at = $4, note = '' \
             WHERE kind = $1 AND subject_id = $2 AND revision = $3 AND status = 'draft'"
        )
        .bind(kind.as_str())
        .bind(subject_id)
        .bind(revision)
        .bind(now_ms)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(updated > 0)
    }

    /// Rejects a pending revision with the reviewer's note; false when it was not pending.
    pub async fn reject_revision(
        &self,
        kind: RevisionKind,
        subject_id: &str,
        revision: i64,
        reviewer: &str,
        note: &str,
        now_ms: i64,
    ) -> StoreResult<bool> {
        let updated = with_pool!(self.db(), |pool| {
            sqlx::query(
            "UPDATE revisions SET status = 'rejected', reviewer = $4, note = $5, reviewed_at = $6 \
             WHERE kind = $1 AND subject_id = $2 AND revision = $3 AND status = 'pending'"
        )
        .bind(kind.as_str())
        .bind(subject_id)
        .bind(revision)
        .bind(reviewer)
        .bind(note)
        .bind(now_ms)
        .execute(pool)
        .await?
        .rows_affected()
        });
        Ok(updated > 0)
    }

    /// Approves a pending revision: in one transaction the revision is approved, the one
    /// that served is superseded, and the rule or merchant starts serving the new
    /// configuration. False when the revision was not pending.
    pub async fn approve_revision(
        &self,
        kind: RevisionKind,
        subject_id: &str,
        revision: i64,
        reviewer: &str,
        note: &str,
        now_ms: i64,
    ) -> StoreResult<bool> {
        let (table, id_column) = match kind {
            RevisionKind::Rule => ("rules", "rule_id"),
            RevisionKind::Merchant => ("merchants", "merchant_id"),
        };
        let serve = format!(
            "UPDATE {table} SET name = r.name, config = r.config, status = 'approved', \
             updated_at = $4 FROM (SELECT name, config FROM revisions \
             WHERE kind = $1 AND subject_id = $2 AND revision = $3) AS r \
             WHERE {table}.{id_column} = $2"
        );
        let approved = with_pool!(self.db(), |pool| {
            async {
            let mut tx = pool.begin().await?;
            let moved = sqlx::query(
                "UPDATE revisions SET status = 'approved', reviewer = $4, note = $5, reviewed_at = $6 \
                 WHERE kind = $1 AND subject_id = $2 AND revision = $3 AND status = 'pending'",
            )
            .bind(kind.as_str())
            .bind(subject_id)
            .bind(revision)
            .bind(reviewer)
            .bind(note)
            .bind(now_ms)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if moved == 0 {
                return Ok::<bool, sqlx::Error>(false);
            }
            sqlx::query(
                "UPDATE revisions SET status = 'superseded' \
                 WHERE kind = $1 AND subject_id = $2 AND revision <> $3 AND status = 'approved'",
            )
            .bind(kind.as_str())
            .bind(subject_id)
            .bind(revision)
            .execute(&mut *tx)
            .await?;
            sqlx::query(&serve)
                .bind(kind.as_str())
                .bind(subject_id)
                .bind(revision)
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(true)
        }
        .await
        })?;
        Ok(approved)
    }
}
