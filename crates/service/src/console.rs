//! The console's accounts: roles and what each may do, argon2 passwords, an optional TOTP
//! second factor, sessions found by the hash of their cookie, and sign-in throttling.
//! The pages (`heshen-web`) call these; nothing here knows about HTTP.

use crate::admin::{audit, Actor};
use crate::error::{ServiceError, ServiceResult};
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, SaltString};
use argon2::{Argon2, PasswordVerifier};
use base64::Engine as _;
use heshen_store::{ConsoleSession, ConsoleUser, Store};
use rand::RngCore;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The user created at first start.
pub const FIRST_ADMIN: &str = "admin";
/// Every app, in a user's app list.
pub const ALL_APPS: &str = "*";
pub const MIN_PASSWORD_CHARS: usize = 12;
/// How long a sign-in lasts.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);
/// Wrong passwords allowed per user name, and per address, within [`THROTTLE_WINDOW`];
/// the next attempt is refused without looking at the password.
pub const MAX_FAILURES: usize = 5;
pub const THROTTLE_WINDOW: Duration = Duration::from_secs(60);

/// What a console user is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Everything, users included.
    Admin,
    /// Runs apps: keys, rules, merchants, records.
    Operator,
    /// Approves or rejects rules and merchants.
    Reviewer,
    /// Reads the audit log, statistics and bills.
    Auditor,
}

/// What a request wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    ManageUsers,
    CreateApps,
    ManageKeys,
    EditRules,
    Review,
    ViewRecords,
    ActOnRecords,
    ViewStatistics,
    ViewAudit,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Operator, Role::Reviewer, Role::Auditor];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Operator => "operator",
            Role::Reviewer => "reviewer",
            Role::Auditor => "auditor",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == text)
    }

    pub fn allows(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Admin => true,
            Role::Operator => matches!(
                permission,
                ManageKeys | EditRules | ViewRecords | ActOnRecords | ViewStatistics
            ),
            Role::Reviewer => matches!(permission, Review | ViewRecords | ViewStatistics),
            Role::Auditor => matches!(permission, ViewAudit | ViewStatistics | ViewRecords),
        }
    }
}

/// A signed-in user, as every console action sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    pub username: String,
    pub role: Role,
    pub apps: Vec<String>,
    /// The address the request came from, for the audit log.
    pub origin: String,
}

impl Operator {
    pub fn actor(&self) -> Actor<'_> {
        Actor::new(&self.username, &self.origin)
    }

    pub fn may(&self, permission: Permission) -> bool {
        self.role.allows(permission)
    }

    pub fn require(&self, permission: Permission) -> ServiceResult<()> {
        if self.may(permission) {
            Ok(())
        } else {
            Err(ServiceError::Forbidden)
        }
    }

    pub fn sees_every_app(&self) -> bool {
        self.apps.iter().any(|a| a == ALL_APPS)
    }

    pub fn may_use_app(&self, app: &str) -> bool {
        self.sees_every_app() || self.apps.iter().any(|a| a == app)
    }

    /// Both the permission and the app; an app the user may not see answers as if it did
    /// not exist, so ids cannot be probed.
    pub fn require_in(&self, permission: Permission, app: &str) -> ServiceResult<()> {
        if !self.may_use_app(app) {
            return Err(ServiceError::NotFound);
        }
        self.require(permission)
    }

    /// The apps a listing may show: `None` is every app.
    pub fn app_scope(&self) -> Option<Vec<String>> {
        (!self.sees_every_app()).then(|| self.apps.clone())
    }
}

/// Why a sign-in failed. The pages show the same words for a wrong name and a wrong
/// password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    #[error("wrong user name or password")]
    BadCredentials,
    #[error("the user has a second factor: the six-digit code is needed")]
    CodeNeeded,
    #[error("too many wrong passwords: wait a minute")]
    Throttled,
    #[error("{0}")]
    Service(String),
}

/// A new session: the cookie value goes to the browser and nowhere else.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub cookie: String,
    pub csrf: String,
    pub must_change_password: bool,
}

/// A request's session, resolved.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub operator: Operator,
    pub csrf: String,
    pub must_change_password: bool,
    pub has_second_factor: bool,
    session_hash: String,
}

/// Counts recent wrong passwords per key (user name, address).
#[derive(Clone)]
struct Failures {
    recent: moka::sync::Cache<String, Arc<Mutex<Vec<Instant>>>>,
}

impl Failures {
    fn new() -> Self {
        Self {
            recent: moka::sync::Cache::builder()
                .max_capacity(100_000)
                .time_to_idle(THROTTLE_WINDOW)
                .build(),
        }
    }

    fn count(&self, key: &str, now: Instant) -> usize {
        self.recent.get(key).map_or(0, |times| {
            let mut times = times.lock().expect("failure list lock");
            times.retain(|t| now.duration_since(*t) < THROTTLE_WINDOW);
            times.len()
        })
    }

    fn record(&self, key: &str, now: Instant) {
        let times = self
            .recent
            .get_with(key.to_string(), || Arc::new(Mutex::new(Vec::new())));
        times.lock().expect("failure list lock").push(now);
    }

    fn clear(&self, key: &str) {
        self.recent.invalidate(key);
    }
}

/// The console's accounts over the store.
#[derive(Clone)]
pub struct Accounts {
    store: Store,
    failures: Failures,
    /// Verified against when the user does not exist, so both cases cost the same.
    decoy_hash: Arc<String>,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// A password handed out once (first start, a new user, a reset): 20 characters without
/// look-alikes.
pub fn one_time_password() -> String {
    const CHARSET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..20)
        .map(|_| CHARSET[(rng.next_u32() as usize) % CHARSET.len()] as char)
        .collect()
}

fn hash_password(password: &str) -> ServiceResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ServiceError::Internal(format!("hashing a password: {e}")))
}

fn password_matches(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// argon2 takes tens of milliseconds of CPU: off the async threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> ServiceResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ServiceError::Internal(format!("password worker: {e}")))
}

pub fn session_hash(cookie: &str) -> String {
    hex::encode(Sha256::digest(cookie.as_bytes()))
}

/// A user name: 2–32 of `a-z 0-9 . _ -`, starting with a letter.
pub fn valid_username(name: &str) -> bool {
    (2..=32).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
}

fn totp(secret: &[u8]) -> ServiceResult<totp_rs::TOTP> {
    totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, secret.to_vec())
        .map_err(|e| ServiceError::Internal(format!("TOTP secret: {e}")))
}

/// The otpauth:// address an authenticator app reads, for a secret.
pub fn totp_uri(username: &str, secret: &[u8]) -> String {
    let secret = totp_rs::Secret::Raw(secret.to_vec())
        .to_encoded()
        .to_string();
    format!("otpauth://totp/heshen:{username}?secret={secret}&issuer=heshen&algorithm=SHA1&digits=6&period=30")
}

pub fn new_totp_secret() -> Vec<u8> {
    let mut secret = vec![0u8; 20];
    rand::thread_rng().fill_bytes(&mut secret);
    secret
}

fn code_matches(secret: &[u8], code: &str) -> bool {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    code.len() == 6
        && totp(secret)
            .ok()
            .and_then(|t| t.check_current(&code).ok())
            .unwrap_or(false)
}

impl Accounts {
    pub fn new(store: Store) -> Self {
        Self {
            store,
            failures: Failures::new(),
            // Hashing cannot fail with the default parameters; an empty decoy only makes
            // unknown names answer faster.
            decoy_hash: Arc::new(hash_password(&one_time_password()).unwrap_or_default()),
        }
    }

    /// At first start (no user yet) creates `admin` with a one-time password, returned to
    /// be printed once; the password must be changed at first sign-in.
    pub async fn ensure_first_admin(&self) -> ServiceResult<Option<String>> {
        if self.store.count_console_users().await? > 0 {
            return Ok(None);
        }
        // `None`: another node created it first; its banner has the password.
        self.add_user(
            Actor::SYSTEM,
            FIRST_ADMIN,
            Role::Admin,
            vec![ALL_APPS.into()],
        )
        .await
    }

    /// Adds a user with a one-time password that must be changed at first sign-in, and
    /// returns the password; `None` when the name is taken.
    async fn add_user(
        &self,
        actor: Actor<'_>,
        username: &str,
        role: Role,
        apps: Vec<String>,
    ) -> ServiceResult<Option<String>> {
        let password = one_time_password();
        let hash = {
            let password = password.clone();
            blocking(move || hash_password(&password)).await??
        };
        let now = now_ms();
        let created = self
            .store
            .create_console_user(&ConsoleUser {
                username: username.to_string(),
                password_hash: hash,
                role: role.as_str().into(),
                apps: apps.clone(),
                must_change: true,
                totp_secret: None,
                enabled: true,
                created_at: now,
                updated_at: now,
            })
            .await?;
        if !created {
            return Ok(None);
        }
        audit(
            &self.store,
            actor,
            "",
            "users.create",
            username,
            json!({"role": role.as_str(), "apps": apps}),
        )
        .await?;
        Ok(Some(password))
    }

    /// Checks a sign-in. Wrong passwords count against the name and the address; past
    /// [`MAX_FAILURES`] in a minute every attempt is refused, right or wrong.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        code: &str,
        origin: &str,
    ) -> Result<NewSession, LoginError> {
        let service = |e: ServiceError| LoginError::Service(e.to_string());
        let now = Instant::now();
        let name_key = format!("user:{}", username.to_lowercase());
        let origin_key = format!("addr:{origin}");
        if self.failures.count(&name_key, now) >= MAX_FAILURES
            || self.failures.count(&origin_key, now) >= MAX_FAILURES
        {
            return Err(LoginError::Throttled);
        }
        let user = self
            .store
            .console_user(username)
            .await
            .map_err(|e| service(e.into()))?;
        let hash = user
            .as_ref()
            .map_or_else(|| self.decoy_hash.to_string(), |u| u.password_hash.clone());
        let typed = password.to_string();
        let matches = blocking(move || password_matches(&hash, &typed))
            .await
            .map_err(service)?;
        let user = match user {
            Some(user) if matches && user.enabled => user,
            _ => {
                self.failures.record(&name_key, now);
                self.failures.record(&origin_key, now);
                let _ = audit(
                    &self.store,
                    Actor::new(username, origin),
                    "",
                    "session.login_failed",
                    username,
                    json!({}),
                )
                .await;
                return Err(LoginError::BadCredentials);
            }
        };
        if let Some(secret) = &user.totp_secret {
            if code.trim().is_empty() {
                return Err(LoginError::CodeNeeded);
            }
            if !code_matches(secret, code) {
                self.failures.record(&name_key, now);
                self.failures.record(&origin_key, now);
                return Err(LoginError::BadCredentials);
            }
        }
        self.failures.clear(&name_key);
        let session = self.open_session(&user.username).await.map_err(service)?;
        audit(
            &self.store,
            Actor::new(&user.username, origin),
            "",
            "session.login",
            &user.username,
            json!({}),
        )
        .await
        .map_err(service)?;
        Ok(NewSession {
            must_change_password: user.must_change,
            ..session
        })
    }

    async fn open_session(&self, username: &str) -> ServiceResult<NewSession> {
        let cookie = random_token(32);
        let csrf = random_token(32);
        let now = now_ms();
        self.store
            .create_console_session(&ConsoleSession {
                id_hash: session_hash(&cookie),
                username: username.to_string(),
                csrf: csrf.clone(),
                created_at: now,
                expires_at: now + SESSION_TTL.as_millis() as i64,
            })
            .await?;
        Ok(NewSession {
            cookie,
            csrf,
            must_change_password: false,
        })
    }

    /// The session a cookie names, if it is current and its user still enabled.
    pub async fn session(&self, cookie: &str, origin: &str) -> ServiceResult<Option<SignedIn>> {
        let hash = session_hash(cookie);
        let Some(session) = self.store.console_session(&hash, now_ms()).await? else {
            return Ok(None);
        };
        let Some(user) = self.store.console_user(&session.username).await? else {
            return Ok(None);
        };
        let Some(role) = Role::parse(&user.role).filter(|_| user.enabled) else {
            return Ok(None);
        };
        Ok(Some(SignedIn {
            operator: Operator {
                username: user.username,
                role,
                apps: user.apps,
                origin: origin.to_string(),
            },
            csrf: session.csrf,
            must_change_password: user.must_change,
            has_second_factor: user.totp_secret.is_some(),
            session_hash: hash,
        }))
    }

    pub async fn logout(&self, signed_in: &SignedIn) -> ServiceResult<()> {
        self.store
            .delete_console_session(&signed_in.session_hash)
            .await?;
        audit(
            &self.store,
            signed_in.operator.actor(),
            "",
            "session.logout",
            &signed_in.operator.username,
            json!({}),
        )
        .await
    }

    /// Changes the signed-in user's own password; every session of theirs ends and a new
    /// one is returned for this browser.
    pub async fn change_password(
        &self,
        signed_in: &SignedIn,
        current: &str,
        new: &str,
    ) -> ServiceResult<NewSession> {
        let operator = &signed_in.operator;
        let mut user = self
            .store
            .console_user(&operator.username)
            .await?
            .ok_or(ServiceError::Forbidden)?;
        let hash = user.password_hash.clone();
        let typed = current.to_string();
        if !blocking(move || password_matches(&hash, &typed)).await? {
            return Err(ServiceError::Invalid(
                "the current password is wrong".into(),
            ));
        }
        check_new_password(new, current)?;
        let new_password = new.to_string();
        user.password_hash = blocking(move || hash_password(&new_password)).await??;
        user.must_change = false;
        user.updated_at = now_ms();
        self.store.update_console_user(&user).await?;
        self.store
            .delete_console_sessions_of(&user.username)
            .await?;
        audit(
            &self.store,
            operator.actor(),
            "",
            "users.change_password",
            &user.username,
            json!({}),
        )
        .await?;
        self.open_session(&user.username).await
    }

    /// Turns the signed-in user's second factor on with `secret`, once they typed a code
    /// it produces; `None` turns it off.
    pub async fn set_second_factor(
        &self,
        operator: &Operator,
        secret: Option<(&[u8], &str)>,
    ) -> ServiceResult<()> {
        let mut user = self
            .store
            .console_user(&operator.username)
            .await?
            .ok_or(ServiceError::Forbidden)?;
        user.totp_secret = match secret {
            Some((secret, code)) => {
                if !code_matches(secret, code) {
                    return Err(ServiceError::Invalid(
                        "the code does not match: check the authenticator's clock".into(),
                    ));
                }
                Some(secret.to_vec())
            }
            None => None,
        };
        user.updated_at = now_ms();
        self.store.update_console_user(&user).await?;
        let action = if user.totp_secret.is_some() {
            "users.totp_on"
        } else {
            "users.totp_off"
        };
        audit(
            &self.store,
            operator.actor(),
            "",
            action,
            &user.username,
            json!({}),
        )
        .await
    }

    pub async fn list_users(&self, operator: &Operator) -> ServiceResult<Vec<ConsoleUser>> {
        operator.require(Permission::ManageUsers)?;
        Ok(self.store.list_console_users().await?)
    }

    /// Adds a user with a one-time password (returned, to be handed over).
    pub async fn create_user(
        &self,
        operator: &Operator,
        username: &str,
        role: Role,
        apps: Vec<String>,
    ) -> ServiceResult<String> {
        operator.require(Permission::ManageUsers)?;
        if !valid_username(username) {
            return Err(ServiceError::Invalid(
                "a user name is 2 to 32 of a-z, 0-9, '.', '_', '-', starting with a letter".into(),
            ));
        }
        let apps = self.checked_apps(apps).await?;
        self.add_user(operator.actor(), username, role, apps)
            .await?
            .ok_or_else(|| ServiceError::Invalid(format!("a user named {username} exists")))
    }

    /// Changes a user's role, apps or whether they may sign in; a changed user is signed
    /// out everywhere. Nobody changes themselves this way (no locking oneself out).
    pub async fn update_user(
        &self,
        operator: &Operator,
        username: &str,
        role: Role,
        apps: Vec<String>,
        enabled: bool,
    ) -> ServiceResult<()> {
        operator.require(Permission::ManageUsers)?;
        if username == operator.username {
            return Err(ServiceError::Invalid(
                "you cannot change your own role, apps or access".into(),
            ));
        }
        let apps = self.checked_apps(apps).await?;
        let mut user = self
            .store
            .console_user(username)
            .await?
            .ok_or(ServiceError::NotFound)?;
        user.role = role.as_str().into();
        user.apps = apps.clone();
        user.enabled = enabled;
        user.updated_at = now_ms();
        self.store.update_console_user(&user).await?;
        self.store.delete_console_sessions_of(username).await?;
        audit(
            &self.store,
            operator.actor(),
            "",
            "users.update",
            username,
            json!({"role": role.as_str(), "apps": apps, "enabled": enabled}),
        )
        .await
    }

    /// Gives a user a new one-time password (returned) that must be changed at sign-in.
    pub async fn reset_password(
        &self,
        operator: &Operator,
        username: &str,
    ) -> ServiceResult<String> {
        operator.require(Permission::ManageUsers)?;
        let mut user = self
            .store
            .console_user(username)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let password = one_time_password();
        let typed = password.clone();
        user.password_hash = blocking(move || hash_password(&typed)).await??;
        user.must_change = true;
        user.updated_at = now_ms();
        self.store.update_console_user(&user).await?;
        self.store.delete_console_sessions_of(username).await?;
        audit(
            &self.store,
            operator.actor(),
            "",
            "users.reset_password",
            username,
            json!({}),
        )
        .await?;
        Ok(password)
    }

    async fn checked_apps(&self, apps: Vec<String>) -> ServiceResult<Vec<String>> {
        let mut checked = Vec::new();
        for app in apps.into_iter().map(|a| a.trim().to_string()) {
            if app.is_empty() || checked.contains(&app) {
                continue;
            }
            if app != ALL_APPS && self.store.app(&app).await?.is_none() {
                return Err(ServiceError::Invalid(format!("no app {app}")));
            }
            checked.push(app);
        }
        if checked.is_empty() {
            return Err(ServiceError::Invalid(
                "a user needs at least one app".into(),
            ));
        }
        Ok(checked)
    }
}

fn check_new_password(new: &str, current: &str) -> ServiceResult<()> {
    if new.chars().count() < MIN_PASSWORD_CHARS {
        return Err(ServiceError::Invalid(format!(
            "a password has at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    if new == current {
        return Err(ServiceError::Invalid(
            "the new password must differ from the current one".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_separate_duties() {
        assert!(Role::Admin.allows(Permission::ManageUsers));
        assert!(!Role::Operator.allows(Permission::Review));
        assert!(!Role::Operator.allows(Permission::ManageUsers));
        assert!(Role::Operator.allows(Permission::EditRules));
        assert!(Role::Reviewer.allows(Permission::Review));
        assert!(!Role::Reviewer.allows(Permission::EditRules));
        assert!(Role::Auditor.allows(Permission::ViewAudit));
        assert!(!Role::Auditor.allows(Permission::ManageKeys));
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
    }

    #[test]
    fn passwords_hash_and_verify() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(password_matches(&hash, "correct horse battery"));
        assert!(!password_matches(&hash, "correct horse batter"));
        assert!(!password_matches("not a hash", "x"));
    }

    #[test]
    fn user_names_and_new_passwords_are_checked() {
        assert!(valid_username("rita.reviewer"));
        assert!(!valid_username("Rita"));
        assert!(!valid_username("1abc"));
        assert!(!valid_username("a<script>"));
        assert!(check_new_password("short", "x").is_err());
        assert!(check_new_password("same-as-before-1", "same-as-before-1").is_err());
        assert!(check_new_password("a-long-new-password", "old").is_ok());
        assert_eq!(one_time_password().len(), 20);
    }

    #[test]
    fn totp_codes_are_checked_against_the_clock() {
        let secret = new_totp_secret();
        let code = totp(&secret).unwrap().generate_current().unwrap();
        assert!(code_matches(&secret, &code));
        let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
        assert!(!code_matches(&secret, &wrong));
        assert!(!code_matches(&secret, "12345"));
        assert!(totp_uri("rita", &secret).starts_with("otpauth://totp/heshen:rita?secret="));
    }

    #[test]
    fn failures_are_counted_within_the_window() {
        let failures = Failures::new();
        let start = Instant::now();
        for _ in 0..MAX_FAILURES {
            failures.record("user:a", start);
        }
        assert_eq!(failures.count("user:a", start), MAX_FAILURES);
        assert_eq!(failures.count("user:a", start + THROTTLE_WINDOW), 0);
        assert_eq!(failures.count("user:b", start), 0);
    }
}
