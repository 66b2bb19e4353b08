//! Building and running the server: storage, the application state, the API gateway, the
//! retention purge, bounded connections and a graceful shutdown with a bounded drain.

use crate::settings::Settings;
use anyhow::Context;
use heshen_api::Gateway;
use heshen_service::authority::HttpSource;
use heshen_service::keys::KeyRing;
use heshen_service::vision::Vision;
use heshen_service::AppState;
use heshen_store::{MasterKey, Store, StoreConfig};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// How often the job loop looks for jobs queued by other nodes or left by a restart.
pub const JOB_POLL: Duration = Duration::from_secs(2);

pub struct Application {
    pub addr: SocketAddr,
    pub state: AppState,
    pub gateway: Gateway,
    pub public_url: String,
    listener: TcpListener,
    max_connections: usize,
    purge_interval: Duration,
    shutdown_grace: Duration,
    web: heshen_web::WebConfig,
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

/// The application state over an open store, with the authority source the settings name.
pub fn application_state(
    settings: &Settings,
    store: Store,
    master: &MasterKey,
    public_url: String,
) -> anyhow::Result<AppState> {
    let state = AppState::new(
        store,
        settings.service_config(public_url)?,
        KeyRing::from_master(master),
    )?;
    if let Some(url) = &settings.authority_url {
        let source = HttpSource::new(
            url,
            settings.authority_token.clone().map(Into::into),
            state.outbound().clone(),
        );
        state.use_authority(Arc::new(source));
    }
    Ok(state)
}

impl Application {
    pub async fn build(settings: &Settings, data_dir: PathBuf) -> anyhow::Result<Self> {
        let (store, master) = open_store(settings, &data_dir).await?;
        let listener = TcpListener::bind(&settings.listen)
            .await
            .with_context(|| format!("binding {}", settings.listen))?;
        let addr = listener.local_addr()?;
        let public_url = settings.public_url(&addr.to_string());
        let state = application_state(settings, store, &master, public_url.clone())?;
        if let Some(vision) = load_vision(settings, &data_dir)? {
            state.attach_vision(vision);
        }
        let gateway = Gateway::new(state.clone(), settings.gateway_config()?);
        Ok(Self {
            addr,
            state,
            gateway,
            public_url,
            listener,
            max_connections: settings.max_connections.max(1),
            purge_interval: Duration::from_secs(settings.purge_interval_secs.max(1)),
            shutdown_grace: Duration::from_secs(settings.shutdown_grace_secs),
            web: heshen_web::WebConfig {
                wechat_check_files: settings.wechat_check_files.clone(),
                max_recording_bytes: settings.max_recording_bytes,
                recording_part_bytes: settings.recording_part_bytes.max(1024),
                ..heshen_web::WebConfig::default()
            },
        })
    }

    /// Serves until `shutdown` resolves, then stops accepting, gives in-flight requests
    /// `shutdown_grace` to finish, stops the background work and flushes pending writes.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let stop = CancellationToken::new();
        let purge = tokio::spawn(heshen_service::jobs::purge_loop(
            self.state.clone(),
            self.purge_interval,
            stop.child_token(),
        ));
        // Recordings are judged where the vision engine runs; nodes without it leave the
        // queue to those that have it.
        let judge = self.state.vision().is_some().then(|| {
            tokio::spawn(heshen_service::attempts::job_loop(
                self.state.clone(),
                JOB_POLL,
                stop.child_token(),
            ))
        });
        let pages = heshen_web::Web::new(self.state.clone(), self.web.clone());
        let router = heshen_api::router(self.gateway.clone())
            .merge(heshen_web::router(pages))
            .layer(tower_http::catch_panic::CatchPanicLayer::custom(
                panic_response,
            ));
        let draining = stop.clone();
        let listener = crate::listener::Bounded::new(self.listener, self.max_connections);
        let router = router.layer(axum::middleware::from_fn(expose_peer));
        let server = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<ClientAddr>(),
        )
        .with_graceful_shutdown(async move {
            shutdown.await;
            draining.cancel();
        });
        let grace = self.shutdown_grace;
        let served = tokio::select! {
            served = server => served.context("serving HTTP"),
            _ = async { stop.cancelled().await; tokio::time::sleep(grace).await } => {
                tracing::warn!(grace_secs = grace.as_secs(), "in-flight requests did not finish in time; dropping them");
                Ok(())
            }
        };
        stop.cancel();
        if let Err(err) = purge.await {
            tracing::warn!(%err, "the retention purge task ended abnormally");
        }
        if let Some(Err(err)) = match judge {
            Some(task) => Some(task.await),
            None => None,
        } {
            tracing::warn!(%err, "the job loop ended abnormally");
        }
        self.state.store().close().await;
        served
    }
}

/// Loads the vision engine as `settings.vision` asks: `off`, `auto` (warn and go on without it)
/// or `required`.
pub fn load_vision(settings: &Settings, data_dir: &Path) -> anyhow::Result<Option<Vision>> {
    if settings.vision == "off" {
        return Ok(None);
    }
    let models = settings.models_dir(data_dir);
    let config =
        heshen_vision::EngineConfig::new(heshen_vision::runtime::RuntimeConfig::new(&models));
    let loaded = heshen_vision::Engine::new(config)
        .map_err(|e| e.to_string())
        .and_then(|engine| {
            Vision::new(engine, settings.vision_concurrency).map_err(|e| e.to_string())
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

/// The address a connection came from. axum only knows how to read it off its own
/// `TcpListener`; heshen's listener is bounded, so it says here.
#[derive(Debug, Clone, Copy)]
struct ClientAddr(SocketAddr);

impl
    axum::extract::connect_info::Connected<
        axum::serve::IncomingStream<'_, crate::listener::Bounded>,
    > for ClientAddr
{
    fn connect_info(stream: axum::serve::IncomingStream<'_, crate::listener::Bounded>) -> Self {
        ClientAddr(*stream.remote_addr())
    }
}

/// Hands the peer address to the front doors as the `ConnectInfo<SocketAddr>` they read.
async fn expose_peer(
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if let Some(axum::extract::ConnectInfo(ClientAddr(addr))) = request
        .extensions()
        .get::<axum::extract::ConnectInfo<ClientAddr>>()
        .copied()
    {
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(addr));
    }
    next.run(request).await
}

/// A bug must never surface as a bare 500: the SDKs only understand the envelope.
fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    heshen_api::envelope::error(
        &heshen_api::envelope::new_request_id(),
        &heshen_core::ApiError::internal("The server hit an internal error."),
    )
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
