use super::print_json;
use clap::Subcommand;
use heshen::bootstrap::DEFAULT_APP;
use heshen::settings::Settings;
use heshen_core::rule::RuleConfig;
use heshen_service::admin::{self, Actor};
use serde_json::json;
use std::path::Path;

#[derive(Subcommand)]
pub enum RulesCommand {
    /// Create an approved business flow; every field of the config has a default, so '{}' works.
    Create {
        /// Rule configuration as JSON, e.g. '{"liveness":"silent","max_attempts":5}'.
        #[arg(long, default_value = "{}")]
        json: String,
        #[arg(long, default_value = DEFAULT_APP)]
        app: String,
    },
    /// List business flows.
    List {
        #[arg(long, default_value = DEFAULT_APP)]
        app: String,
    },
}

pub async fn run(
    command: RulesCommand,
    settings: &Settings,
    data_dir: &Path,
) -> anyhow::Result<()> {
    let (store, _) = heshen::app::open_store(settings, data_dir).await?;
    let result = match command {
        RulesCommand::Create { json, app } => async {
            let config: RuleConfig = serde_json::from_str(&json)
                .map_err(|e| anyhow::anyhow!("the rule configuration is not valid: {e}"))?;
            let rule_id = admin::create_rule(&store, Actor::CLI, &app, &config).await?;
            print_json(&json!({ "RuleId": rule_id }));
            Ok(())
        }
        .await,
        RulesCommand::List { app } => async {
            let rules = store.list_rules(Some(&app)).await?;
            print_json(&json!(rules
                .iter()
                .map(|r| json!({"RuleId": r.rule_id, "Name": r.name, "Status": r.status, "Config": r.config}))
                .collect::<Vec<_>>()));
            Ok(())
        }
        .await,
    };
    store.close().await;
    result
}
