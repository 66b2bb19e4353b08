use heshen::app::{open_store, purge_loop, shutdown_signal, Application};
use heshen::bootstrap;
use heshen::settings::Settings;
use std::path::PathBuf;
use std::time::Duration;

pub async fn run(settings: &Settings, data_dir: PathBuf) -> anyhow::Result<()> {
    let app = Application::build(settings, data_dir.clone()).await?;
    let demo = bootstrap::ensure_demo(app.state.store()).await?;
    println!(
        "heshen is listening on {} (data dir {})",
        app.public_url,
        data_dir.display()
    );
    if let Some(demo) = demo {
        println!("{}", bootstrap::demo_banner(&demo, &app.public_url));
    }
    app.run_until(shutdown_signal()).await
}

pub async fn worker(settings: &Settings, data_dir: PathBuf) -> anyhow::Result<()> {
    let (store, master) = open_store(settings, &data_dir).await?;
    let state = heshen_api::AppState::new(
        store,
        settings.api_config(String::new()),
        heshen::app::key_root(&master),
    );
    let every = Duration::from_secs(settings.purge_interval_secs.max(1));
    println!(
        "heshen worker: erasing expired results every {}s",
        every.as_secs()
    );
    tokio::select! {
        _ = purge_loop(state.clone(), every) => {}
        _ = shutdown_signal() => {}
    }
    state.store().close().await;
    Ok(())
}
