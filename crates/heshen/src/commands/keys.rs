use super::print_json;
use clap::Subcommand;
use heshen::bootstrap::DEFAULT_APP;
use heshen::settings::Settings;
use heshen_service::admin::{self, Actor};
use heshen_service::keys::KeyRing;
use serde_json::json;
use std::path::Path;

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Create an API key; the SecretKey is shown only now.
    Create {
        #[arg(long)]
        name: String,
        /// Application (account) the key belongs to.
        #[arg(long, default_value = DEFAULT_APP)]
        app: String,
        #[arg(long)]
        json: bool,
    },
    /// List keys (never their secrets).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Disable a key: requests signed with it are refused.
    Disable { secret_id: String },
    /// Enable a disabled key again.
    Enable { secret_id: String },
    /// Print the app's encryption key: it seals the data keys of encrypted fields
    /// (`Encryption.CiphertextBlob`) in both directions.
    EncryptionKey {
        #[arg(long, default_value = DEFAULT_APP)]
        app: String,
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(command: KeysCommand, settings: &Settings, data_dir: &Path) -> anyhow::Result<()> {
    let (store, master) = heshen::app::open_store(settings, data_dir).await?;
    let result = match command {
        KeysCommand::Create { name, app, json } => {
            let key = admin::create_api_key(&store, Actor::CLI, &app, &name).await?;
            if json {
                print_json(&json!({"SecretId": key.secret_id, "SecretKey": key.secret_key}));
            } else {
                println!(
                    "SecretId:  {}\nSecretKey: {}\n(the SecretKey is not shown again)",
                    key.secret_id, key.secret_key
                );
            }
            Ok(())
        }
        KeysCommand::List { json } => {
            let keys = store.list_api_keys().await?;
            if json {
                print_json(&json!(keys
                    .iter()
                    .map(|k| json!({"SecretId": k.secret_id, "App": k.app_id, "Name": k.name, "Enabled": k.enabled, "CreatedAt": k.created_at}))
                    .collect::<Vec<_>>()));
            } else {
                for k in keys {
                    println!(
                        "{}  {:<8}  {:<10} {}",
                        k.secret_id,
                        if k.enabled { "enabled" } else { "disabled" },
                        k.app_id,
                        k.name
                    );
                }
            }
            Ok(())
        }
        KeysCommand::Disable { secret_id } => set_enabled(&store, &secret_id, false).await,
        KeysCommand::Enable { secret_id } => set_enabled(&store, &secret_id, true).await,
        KeysCommand::EncryptionKey { app, json } => {
            use base64::Engine as _;
            let key = base64::engine::general_purpose::STANDARD
                .encode(KeyRing::from_master(&master).app_encryption_key(&app));
            admin::audit(
                &store,
                Actor::CLI,
                &app,
                "keys.encryption_key",
                &app,
                json!({}),
            )
            .await?;
            if json {
                print_json(&json!({"App": app, "EncryptionKey": key}));
            } else {
                println!("{key}");
            }
            Ok(())
        }
    };
    store.close().await;
    result
}

async fn set_enabled(
    store: &heshen_store::Store,
    secret_id: &str,
    enabled: bool,
) -> anyhow::Result<()> {
    admin::set_api_key_enabled(store, Actor::CLI, secret_id, enabled).await?;
    println!(
        "{secret_id} {}",
        if enabled { "enabled" } else { "disabled" }
    );
    Ok(())
}
