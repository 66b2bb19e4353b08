//! Building and running the server: storage, the API router, the retention purge
//! and graceful shutdown.

use crate::settings::Settings;
use anyhow::Context;
use heshen_api::AppState;
use heshen_store::{MasterKey, Store, StoreConfig};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::net::TcpListener;

pub struct Application {
    pub addr: SocketAddr,
    pub state: AppState,
    pub public_url: String,
    listener: TcpListener,
    purge_interval: Duration,
}

/// The master key: from settings when given (shared by all nodes), else the data dir's key file.
pub fn master_key(settings: &Settings, data_dir: &Path) -> anyhow::Result<MasterKey> {
    match &settings.master_key {
        Some(b64) => MasterKey::from_base64(b64).context("master_key is not base64 of 32 bytes"),
        None => {
            MasterKey::load_or_create(data_dir.join("master.key")).context("reading the master key")
        }
    }
}

/// The root that eID merchant keys and app encryption keys are derived from; the same on
/// every node sharing the master key.
pub fn key_root(master: &MasterKey) -> [u8; 32] {
    // The label predates app encryption keys; changing it would change every merchant key.
    derive_key(master, "heshen eid root v1")
}

/// Keys for separate purposes are derived from the master key, never reused.
fn derive_key(master: &MasterKey, purpose: &str) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(master.bytes()).expect("any key length");
    mac.update(purpose.as_bytes());
    mac.finalize().into_bytes().into()
}

pub async fn open_store(
    settings: &Settings,
    data_dir: &Path,
) -> anyhow::Result<(Store, MasterKey)> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating the data dir {}", data_dir.display()))?;
    let master = master_key(settings, data_dir)?;
    let config = StoreConfig {
        database_url: settings.database_url(data_dir),
        media_url: settings.media_url(data_dir),
        master_key: *master.bytes(),
    };
    let store = Store::open(config).await.context("opening the store")?;
    store.migrate().await.context("migrating the database")?;
    Ok((store, master))
}

impl Application {
    pub async fn build(settings: &Settings, data_dir: PathBuf) -> anyhow::Result<Self> {
        let (store, master) = open_store(settings, &data_dir).await?;
        let listener = TcpListener::bind(&settings.listen)
            .await
            .with_context(|| format!("binding {}", settings.listen))?;
        let addr = listener.local_addr()?;
        let public_url = settings.public_url(&addr.to_string());
        let state = match &settings.authority_url {
            Some(url) => AppState::with_authority(
                store,
                settings.api_config(public_url.clone()),
                key_root(&master),
                std::sync::Arc::new(heshen_api::authority::HttpSource::new(
                    url,
                    settings.authority_token.clone(),
                    Duration::from_secs(5),
                )?),
            ),
            None => AppState::new(
                store,
                settings.api_config(public_url.clone()),
                key_root(&master),
            ),
        };
        if let Some(vision) = load_vision(settings, &data_dir)? {
            state.attach_vision(vision);
        }
        Ok(Self {
            addr,
            state,
            public_url,
            listener,
            purge_interval: Duration::from_secs(settings.purge_interval_secs.max(1)),
        })
    }

    /// Serves until `shutdown` resolves, then drains in-flight requests and pending writes.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let purge = tokio::spawn(purge_loop(self.state.clone(), self.purge_interval));
        let router = heshen_api::router(self.state.clone()).layer(
            tower_http::catch_panic::CatchPanicLayer::custom(panic_response),
        );
        axum::serve(self.listener, router)
            .with_graceful_shutdown(shutdown)
            .await
            .context("serving HTTP")?;
        purge.abort();
        self.state.store().close().await;
        Ok(())
    }
}

/// Loads the vision engine as `settings.vision` asks: `off`, `auto` (warn and go on without it)
/// or `required`.
pub fn load_vision(
    settings: &Settings,
    data_dir: &Path,
) -> anyhow::Result<Option<heshen_api::vision::Vision>> {
    if settings.vision == "off" {
        return Ok(None);
    }
    let models = settings.models_dir(data_dir);
    let config =
        heshen_vision::EngineConfig::new(heshen_vision::runtime::RuntimeConfig::new(&models));
    let loaded = heshen_vision::Engine::new(config)
        .map_err(|e| e.to_string())
        .and_then(|engine| {
            heshen_api::vision::Vision::new(engine, settings.vision_concurrency)
                .map_err(|e| e.to_string())
        });
    match loaded {
        Ok(vision) => {
            tracing::info!(models = %models.display(), "vision engine loaded");
            Ok(Some(vision))
        }
        Err(err) if settings.vision == "required" => Err(anyhow::anyhow!(
            "the vision engine did not load from {}: {err}",
            models.display()
        )),
        Err(err) => {
            tracing::warn!(models = %models.display(), %err, "serving without the vision engine; run `heshen models fetch`");
            Ok(None)
        }
    }
}

/// A bug must never surface as a bare 500: the SDKs only understand the envelope.
fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    heshen_api::envelope::error(
        &heshen_api::envelope::new_request_id(),
        &heshen_core::ApiError::internal("The server hit an internal error."),
    )
}

pub async fn purge_loop(state: AppState, every: Duration) {
    let mut ticker = tokio::time::interval(every);
    loop {
        ticker.tick().await;
        match state.store().purge(state.clock().now_ms()).await {
            Ok(report) if report.flows + report.media_objects + report.nonces > 0 => {
                tracing::info!(?report, "erased expired results")
            }
            Ok(_) => {}
            Err(err) => tracing::warn!(%err, "retention purge failed; will retry"),
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
    tracing::info!("shutting down");
}
