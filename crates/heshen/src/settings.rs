//! Layered configuration: built-in defaults, then a TOML file, then `HESHEN_*`
//! environment variables (and `DATABASE_URL`), then command-line flags.

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use heshen_service::outbound::{Network, OutboundPolicy};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Address `heshen serve` listens on.
    pub listen: String,
    /// Base URL users reach this server at; defaults to `http://<listen>`.
    pub public_url: Option<String>,
    /// `sqlite://…` or `postgres://…`; defaults to a SQLite file in the data dir.
    pub database_url: Option<String>,
    /// Where media goes; defaults to `file://<data dir>/media`.
    pub media_url: Option<String>,
    /// Base64 of the 32-byte master key; defaults to `<data dir>/master.key`, created on
    /// first start. Several nodes sharing one database must share this key.
    pub master_key: Option<String>,
    pub biz_token_ttl_secs: u64,
    pub eid_token_ttl_secs: u64,
    pub result_retention_secs: u64,
    pub signature_window_secs: u64,
    pub max_body_bytes: usize,
    /// Requests per second per SecretId for actions without their own limit (0 = unlimited).
    pub rate_limit_default: u32,
    /// Per-action overrides, e.g. `{ DetectAuth = 100 }`.
    pub rate_limits: HashMap<String, u32>,
    pub cache_ttl_secs: u64,
    /// How often expired results and media are erased.
    pub purge_interval_secs: u64,
    /// `tracing` filter, e.g. `info` or `heshen_api=debug`.
    pub log: String,
    /// Where the vision models live; defaults to `<data dir>/models` (`HESHEN_MODELS_DIR`).
    pub models_dir: Option<PathBuf>,
    /// `auto`: use the vision engine when its models load; `off`; `required`: refuse to start without it.
    pub vision: String,
    /// Vision inferences running at once (each uses the runtime's intra-op threads).
    pub vision_concurrency: usize,
    /// An HTTP authority source (see `heshen_service::authority::HttpSource`); default: the built-in registry.
    pub authority_url: Option<String>,
    pub authority_token: Option<String>,
    /// Non-public networks (`10.0.0.0/8`, `127.0.0.1`) that outbound requests may reach:
    /// caller-given `ImageUrl`/`VideoUrl` and the authority source. Empty: public addresses only.
    pub outbound_allow: Vec<String>,
    /// Accept TC3 requests whose body is not signed (`UNSIGNED-PAYLOAD`), as FaceID does.
    pub allow_unsigned_payload: bool,
    /// Open connections at once; further clients wait in the listen backlog.
    pub max_connections: usize,
    /// Requests worked on at once; further requests are shed with `RequestLimitExceeded`.
    pub max_in_flight: usize,
    /// Bytes of request bodies held in memory at once across all connections.
    pub body_budget_bytes: usize,
    pub body_timeout_secs: u64,
    pub request_timeout_secs: u64,
    /// On shutdown, how long in-flight requests may take to finish before they are dropped.
    pub shutdown_grace_secs: u64,
    /// The largest liveness recording a page may upload.
    pub max_recording_bytes: u64,
    /// The liveness page sends its recording in parts of this size, so an upload that the
    /// network breaks off resumes at the parts that did not arrive.
    pub recording_part_bytes: usize,
    /// The check files WeChat asks a business domain (业务域名) to serve at its root before a
    /// mini-program's `<web-view>` may open it: file name (`MP_verify_….txt`) → its content.
    pub wechat_check_files: HashMap<String, String>,
}

impl std::fmt::Debug for Settings {
    /// Everything but the secrets (`master_key`, `authority_token`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut shown = serde_json::to_value(self).unwrap_or_default();
        for secret in ["master_key", "authority_token"] {
            if let Some(v) = shown.get_mut(secret).filter(|v| !v.is_null()) {
                *v = serde_json::Value::String("<redacted>".into());
            }
        }
        write!(f, "Settings {shown}")
    }
}

impl Default for Settings {
    fn default() -> Self {
        let service = heshen_service::ServiceConfig::default();
        let api = heshen_api::GatewayConfig::default();
        let web = heshen_web::WebConfig::default();
        Self {
            listen: "127.0.0.1:8080".into(),
            public_url: None,
            database_url: None,
            media_url: None,
            master_key: None,
            biz_token_ttl_secs: service.biz_token_ttl.as_secs(),
            eid_token_ttl_secs: service.eid_token_ttl.as_secs(),
            result_retention_secs: service.result_retention.as_secs(),
            signature_window_secs: api.signature_window.as_secs(),
            max_body_bytes: api.max_body_bytes,
            rate_limit_default: api.rate_limits.default_per_second,
            rate_limits: HashMap::new(),
            cache_ttl_secs: service.cache_ttl.as_secs(),
            purge_interval_secs: 60,
            log: "info".into(),
            models_dir: None,
            vision: "auto".into(),
            vision_concurrency: 2,
            authority_url: None,
            authority_token: None,
            outbound_allow: Vec::new(),
            allow_unsigned_payload: api.allow_unsigned_payload,
            max_connections: 16_384,
            max_in_flight: api.max_in_flight,
            body_budget_bytes: api.body_budget_bytes,
            body_timeout_secs: api.body_timeout.as_secs(),
            request_timeout_secs: api.request_timeout.as_secs(),
            shutdown_grace_secs: 10,
            max_recording_bytes: web.max_recording_bytes,
            recording_part_bytes: web.recording_part_bytes,
            wechat_check_files: HashMap::new(),
        }
    }
}

impl Settings {
    /// Reads the layers below the flags. `config_file` defaults to `<data dir>/heshen.toml`.
    pub fn load(data_dir: &Path, config_file: Option<&Path>) -> anyhow::Result<Self> {
        let file = config_file
            .map(Path::to_path_buf)
            .unwrap_or_else(|| data_dir.join("heshen.toml"));
        if config_file.is_some() && !file.exists() {
            anyhow::bail!("config file {} does not exist", file.display());
        }
        let mut figment =
            Figment::from(Serialized::defaults(Settings::default())).merge(Toml::file(&file));
        if let Ok(url) = std::env::var("DATABASE_URL") {
            figment = figment.merge(Serialized::default("database_url", url));
        }
        figment = figment.merge(
            Env::prefixed("HESHEN_")
                .ignore(&["DATA_DIR", "CONFIG"])
                .map(|k| k.as_str().to_ascii_lowercase().into()),
        );
        Ok(figment.extract()?)
    }

    pub fn database_url(&self, data_dir: &Path) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            format!("sqlite://{}?mode=rwc", data_dir.join("heshen.db").display())
        })
    }

    pub fn media_url(&self, data_dir: &Path) -> String {
        self.media_url
            .clone()
            .unwrap_or_else(|| format!("file://{}", data_dir.join("media").display()))
    }

    pub fn models_dir(&self, data_dir: &Path) -> PathBuf {
        self.models_dir
            .clone()
            .unwrap_or_else(|| data_dir.join("models"))
    }

    pub fn public_url(&self, bound: &str) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{bound}"))
    }

    pub fn service_config(
        &self,
        public_url: String,
    ) -> anyhow::Result<heshen_service::ServiceConfig> {
        let allow = self
            .outbound_allow
            .iter()
            .map(|n| Network::parse(n))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| anyhow::anyhow!("outbound_allow: {e}"))?;
        Ok(heshen_service::ServiceConfig {
            public_url,
            biz_token_ttl: Duration::from_secs(self.biz_token_ttl_secs),
            eid_token_ttl: Duration::from_secs(self.eid_token_ttl_secs),
            result_retention: Duration::from_secs(self.result_retention_secs),
            cache_ttl: Duration::from_secs(self.cache_ttl_secs),
            outbound: OutboundPolicy {
                allow,
                ..OutboundPolicy::default()
            },
        })
    }

    pub fn gateway_config(&self) -> anyhow::Result<heshen_api::GatewayConfig> {
        let rate_limits = heshen_api::limits::RateLimits {
            default_per_second: self.rate_limit_default,
            ..heshen_api::limits::RateLimits::default()
        }
        .with_overrides(&self.rate_limits)
        .map_err(|e| anyhow::anyhow!(e))?;
        Ok(heshen_api::GatewayConfig {
            signature_window: Duration::from_secs(self.signature_window_secs),
            max_body_bytes: self.max_body_bytes,
            body_budget_bytes: self.body_budget_bytes.max(self.max_body_bytes),
            max_in_flight: self.max_in_flight,
            body_timeout: Duration::from_secs(self.body_timeout_secs.max(1)),
            request_timeout: Duration::from_secs(self.request_timeout_secs.max(1)),
            rate_limits,
            allow_unsigned_payload: self.allow_unsigned_payload,
        })
    }
}

/// The data directory as given (flag, `HESHEN_DATA_DIR` or `./data`), made absolute against
/// the working directory: media and database URLs are built from it and must be absolute.
pub fn resolve_data_dir(given: &Path) -> anyhow::Result<PathBuf> {
    std::path::absolute(given).map_err(|e| anyhow::anyhow!("the data dir {}: {e}", given.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Env vars are process-wide; the layering cases run in one test so they cannot race.
    #[test]
    fn layers_apply_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let defaults = Settings::load(dir.path(), None).unwrap();
        assert_eq!(defaults.listen, "127.0.0.1:8080");
        assert_eq!(defaults.biz_token_ttl_secs, 7200);
        assert_eq!(defaults.result_retention_secs, 3 * 24 * 3600);
        assert!(defaults.database_url(dir.path()).starts_with("sqlite://"));

        std::fs::write(
            dir.path().join("heshen.toml"),
            "listen = \"0.0.0.0:9000\"\nbiz_token_ttl_secs = 60\n[rate_limits]\nDetectAuth = 7\n",
        )
        .unwrap();
        let from_file = Settings::load(dir.path(), None).unwrap();
        assert_eq!(from_file.listen, "0.0.0.0:9000");
        assert_eq!(from_file.biz_token_ttl_secs, 60);
        assert_eq!(from_file.rate_limits.get("DetectAuth"), Some(&7));

        std::env::set_var("HESHEN_BIZ_TOKEN_TTL_SECS", "30");
        std::env::set_var("DATABASE_URL", "postgres://db.example/heshen");
        let from_env = Settings::load(dir.path(), None).unwrap();
        std::env::remove_var("HESHEN_BIZ_TOKEN_TTL_SECS");
        std::env::remove_var("DATABASE_URL");
        assert_eq!(from_env.listen, "0.0.0.0:9000", "file still applies");
        assert_eq!(from_env.biz_token_ttl_secs, 30, "env beats file");
        assert_eq!(
            from_env.database_url(dir.path()),
            "postgres://db.example/heshen"
        );

        assert!(Settings::load(dir.path(), Some(&dir.path().join("missing.toml"))).is_err());
        std::fs::write(dir.path().join("bad.toml"), "listen = [").unwrap();
        assert!(Settings::load(dir.path(), Some(&dir.path().join("bad.toml"))).is_err());
    }
}
