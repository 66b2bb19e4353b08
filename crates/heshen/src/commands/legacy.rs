use super::print_json;
use clap::Subcommand;
use heshen::bootstrap::DEFAULT_APP;
use heshen::settings::Settings;
use heshen_core::rule::LegacyConfig;
use heshen_service::admin::Actor;
use heshen_service::keys::KeyRing;
use heshen_service::legacy;
use serde_json::json;
use std::path::Path;

#[derive(Subcommand)]
pub enum LegacyCommand {
    /// Create an appid of the legacy real-name mini-program protocol (seed 003). Prints its
    /// AppId and the SecretKey its signatures are made with (shown only now).
    Create {
        #[arg(long)]
        name: String,
        /// Configuration as JSON, e.g. '{"identity_source":"manual","liveness":"silent"}';
        /// '{}' takes the defaults (card OCR, read-aloud digits).
        #[arg(long = "legacy-config", default_value = "{}")]
        legacy_config: String,
        #[arg(long, default_value = DEFAULT_APP)]
        app: String,
        #[arg(long)]
        json: bool,
    },
    /// List the legacy appids of an app.
    List {
        #[arg(long, default_value = DEFAULT_APP)]
        app: String,
    },
    /// Disable a legacy appid: its signatures are refused from now on.
    Disable {
        app_id: String,
        #[arg(long, default_value = DEFAULT_APP)]
        app: String,
    },
}

pub async fn run(
    command: LegacyCommand,
    settings: &Settings,
    data_dir: &Path,
) -> anyhow::Result<()> {
    let (store, master) = heshen::app::open_store(settings, data_dir).await?;
    let result = match command {
        LegacyCommand::Create {
            name,
            legacy_config,
            app,
            json,
        } => async {
            let config: LegacyConfig = serde_json::from_str(&legacy_config)
                .map_err(|e| anyhow::anyhow!("the legacy configuration is not valid: {e}"))?;
            let app_id = legacy::create(&store, Actor::CLI, &app, &name, &config).await?;
            let secret = legacy::secret_key(&KeyRing::from_master(&master), &app_id);
            if json {
                print_json(&json!({ "AppId": app_id, "SecretKey": secret }));
            } else {
                println!("AppId:     {app_id}\nSecretKey: {secret}");
            }
            Ok(())
        }
        .await,
        LegacyCommand::List { app } => async {
            let apps = store.list_legacy_apps(Some(&app)).await?;
            print_json(&json!(apps
                .iter()
                .map(|a| json!({"AppId": a.legacy_app_id, "Name": a.name, "Status": a.status, "Config": a.config}))
                .collect::<Vec<_>>()));
            Ok(())
        }
        .await,
        LegacyCommand::Disable { app_id, app } => async {
            if !legacy::disable(&store, Actor::CLI, &app, &app_id).await? {
                anyhow::bail!("no legacy appid `{app_id}` in app `{app}`");
            }
            println!("disabled {app_id}");
            Ok(())
        }
        .await,
    };
    store.close().await;
    result
}
