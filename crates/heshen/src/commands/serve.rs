use heshen::app::{application_state, open_store, shutdown_signal, Application};
use heshen::bootstrap;
use heshen::settings::Settings;
use std::path::PathBuf;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

pub async fn run(settings: &Settings, data_dir: PathBuf) -> anyhow::Result<()> {
    let app = Application::build(settings, data_dir.clone()).await?;
    let demo = bootstrap::ensure_demo(app.state.store()).await?;
    let admin_password = bootstrap::ensure_console_admin(app.state.store()).await?;
    println!(
        "heshen is listening on {} (data dir {})",
        app.public_url,
        data_dir.display()
    );
    if let Some(password) = admin_password {
        println!("{}", bootstrap::console_banner(&password, &app.public_url));
    }
    if let Some(demo) = demo {
        println!("{}", bootstrap::demo_banner(&demo, &app.public_url));
    }
    app.run_until(shutdown_signal()).await
}

pub async fn worker(settings: &Settings, data_dir: PathBuf) -> anyhow::Result<()> {
    let (store, master) = open_store(settings, &data_dir).await?;
    // The worker serves no pages, so no public URL: it purges, and judges recordings when
    // it has the vision engine.
    let state = application_state(settings, store, &master, String::new())?;
    if let Some(vision) = heshen::app::load_vision(settings, &data_dir)? {
        state.attach_vision(vision);
    }
    let every = Duration::from_secs(settings.purge_interval_secs.max(1));
    println!(
        "heshen worker: erasing expired results every {}s{}",
        every.as_secs(),
        if state.vision().is_some() {
            ", judging recordings"
        } else {
            ""
        }
    );
    let stop = CancellationToken::new();
    let purge = tokio::spawn(heshen_service::jobs::purge_loop(
        state.clone(),
        every,
        stop.clone(),
    ));
    let judge = state.vision().is_some().then(|| {
        tokio::spawn(heshen_service::attempts::job_loop(
            state.clone(),
            heshen::app::JOB_POLL,
            stop.clone(),
        ))
    });
    shutdown_signal().await;
    stop.cancel();
    purge.await?;
    if let Some(judge) = judge {
        judge.await?;
    }
    state.store().close().await;
    Ok(())
}
