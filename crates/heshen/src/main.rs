//! `heshen`: serve the API, run background work, and administer keys, rules and merchants.

mod commands;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "heshen", version, about = "Self-hosted real-name face verification, wire-compatible with Tencent Cloud FaceID")]
struct Cli {
    /// Directory holding the database, media, master key and models.
    #[arg(long, global = true, env = "HESHEN_DATA_DIR", default_value = "data")]
    data_dir: PathBuf,
    /// Configuration file (TOML); defaults to <data dir>/heshen.toml when present.
    #[arg(long, global = true, env = "HESHEN_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the API server (and the retention purge).
    Serve {
        /// Address to listen on, e.g. 0.0.0.0:8080.
        #[arg(long)]
        listen: Option<String>,
    },
    /// Run only the background work (retention purge), for deployments with several API nodes.
    Worker,
    /// Create or upgrade the database schema.
    Migrate,
    /// API keys (SecretId / SecretKey).
    Keys {
        #[command(subcommand)]
        command: commands::keys::KeysCommand,
    },
    /// Business flows (RuleId).
    Rules {
        #[command(subcommand)]
        command: commands::rules::RulesCommand,
    },
    /// eID merchants (MerchantId).
    Merchants {
        #[command(subcommand)]
        command: commands::merchants::MerchantsCommand,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let mut settings = heshen::settings::Settings::load(&cli.data_dir, cli.config.as_deref())?;
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("RUST_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&settings.log)),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Serve { listen } => {
                if let Some(listen) = listen {
                    settings.listen = listen;
                }
                commands::serve::run(&settings, cli.data_dir).await
            }
            Command::Worker => commands::serve::worker(&settings, cli.data_dir).await,
            Command::Migrate => commands::migrate(&settings, &cli.data_dir).await,
            Command::Keys { command } => commands::keys::run(command, &settings, &cli.data_dir).await,
            Command::Rules { command } => commands::rules::run(command, &settings, &cli.data_dir).await,
            Command::Merchants { command } => commands::merchants::run(command, &settings, &cli.data_dir).await,
        }
    })
}
