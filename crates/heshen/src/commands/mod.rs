pub mod bench;
pub mod bench_liveness;
pub mod keys;
pub mod legacy;
pub mod merchants;
pub mod rules;
pub mod serve;
pub mod vision;

use heshen::settings::Settings;
use std::path::Path;

pub async fn migrate(settings: &Settings, data_dir: &Path) -> anyhow::Result<()> {
    let (store, _) = heshen::app::open_store(settings, data_dir).await?;
    store.close().await;
    println!("database is up to date");
    Ok(())
}

/// Prints a value as pretty JSON on stdout, for `--json` output.
pub fn print_json(value: &serde_json::Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}
