use super::print_json;
use base64::Engine as _;
use clap::Subcommand;
use heshen::bootstrap::DEFAULT_APP;
use heshen::settings::Settings;
use heshen_core::rule::MerchantConfig;
use heshen_service::admin::{self, Actor};
use heshen_service::keys::KeyRing;
use serde_json::json;
use std::path::Path;

#[derive(Subcommand)]
pub enum MerchantsCommand {
    /// Create an approved eID merchant. Prints its MerchantId and the MerchantKey that
    /// opens the EidInfo of its results (shown only now).
    Create {
        #[arg(long)]
        name: String,
        /// Merchant configuration as JSON, e.g. '{"return_identity":false}'; '{}' takes the defaults.
        #[arg(long = "merchant-config", default_value = "{}")]
        merchant_config: String,
        #[arg(long, default_value = DEFAULT_APP)]
        app: String,
        #[arg(long)]
        json: bool,
    },
    /// List merchants.
    List {
        #[arg(long, default_value = DEFAULT_APP)]
        app: String,
    },
}

pub async fn run(
    command: MerchantsCommand,
    settings: &Settings,
    data_dir: &Path,
) -> anyhow::Result<()> {
    let (store, master) = heshen::app::open_store(settings, data_dir).await?;
    let result = match command {
        MerchantsCommand::Create { name, merchant_config, app, json } => async {
            let config: MerchantConfig = serde_json::from_str(&merchant_config)
                .map_err(|e| anyhow::anyhow!("the merchant configuration is not valid: {e}"))?;
            let merchant_id =
                admin::create_merchant(&store, Actor::CLI, &app, &name, &config).await?;
            let key = base64::engine::general_purpose::STANDARD
                .encode(KeyRing::from_master(&master).merchant_key(&merchant_id));
            if json {
                print_json(&json!({ "MerchantId": merchant_id, "MerchantKey": key }));
            } else {
                println!("MerchantId:  {merchant_id}\nMerchantKey: {key}");
            }
            Ok(())
        }
        .await,
        MerchantsCommand::List { app } => async {
            let merchants = store.list_merchants(Some(&app)).await?;
            print_json(&json!(merchants
                .iter()
                .map(|m| json!({"MerchantId": m.merchant_id, "Name": m.name, "Status": m.status, "Config": m.config}))
                .collect::<Vec<_>>()));
            Ok(())
        }
        .await,
    };
    store.close().await;
    result
}
