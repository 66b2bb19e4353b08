//! Flow insert throughput and latency of the store (group commit included).
//!
//! ```text
//! cargo run --release -p heshen-store --bin store_bench -- \
//!     [--backend sqlite|postgres|both] [--inserts N] [--concurrency C] [--payload-bytes B]
//! ```
//!
//! SQLite runs in a fresh temp directory; PostgreSQL in a fresh database
//! `heshen_bench_<random>` created through `HESHEN_BENCH_POSTGRES_URL`
//! (default `postgres://postgres@127.0.0.1:5432/postgres`) and dropped after.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use heshen_store::{FlowKind, NewFlow, Store, StoreConfig};
use rand::distributions::{Alphanumeric, DistString};
use sqlx::Connection;

struct Options {
    backends: Vec<&'static str>,
    inserts: usize,
    concurrency: usize,
    payload_bytes: usize,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        backends: vec!["sqlite", "postgres"],
        inserts: 100_000,
        concurrency: 512,
        payload_bytes: 512,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        let number = |v: String| v.parse::<usize>().map_err(|e| format!("{v}: {e}"));
        match flag.as_str() {
            "--backend" => {
                options.backends = match value()?.as_str() {
                    "sqlite" => vec!["sqlite"],
                    "postgres" => vec!["postgres"],
                    "both" => vec!["sqlite", "postgres"],
                    other => return Err(format!("unknown backend {other}")),
                }
            }
            "--inserts" => options.inserts = number(value()?)?,
            "--concurrency" => options.concurrency = number(value()?)?.max(1),
            "--payload-bytes" => options.payload_bytes = number(value()?)?,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(options)
}

fn random_suffix() -> String {
    Alphanumeric
        .sample_string(&mut rand::thread_rng(), 10)
        .to_lowercase()
}

fn media_url(dir: &std::path::Path) -> String {
    url::Url::from_directory_path(dir.join("media"))
        .expect("absolute temp dir")
        .to_string()
}

struct Measurement {
    elapsed: Duration,
    /// Process CPU time (all threads) spent during the run.
    cpu: Option<Duration>,
    latencies: Vec<Duration>,
}

/// User + system CPU time of this process from `/proc/self/stat`, whose
/// fields 14 and 15 are in USER_HZ (100 per second on Linux).
fn process_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may contain spaces; fields after it don't.
    let after_name = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}

impl Measurement {
    fn percentile(&self, p: f64) -> Duration {
        let index = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies[index]
    }

    fn print(&self, label: &str, concurrency: usize) {
        let count = self.latencies.len();
        println!(
            "{label:<10} concurrency {concurrency:>4}: {count:>7} inserts in {:>6.2}s = {:>8.0} inserts/s | p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms | CPU {} µs/insert",
            self.elapsed.as_secs_f64(),
            count as f64 / self.elapsed.as_secs_f64(),
            self.percentile(0.50).as_secs_f64() * 1e3,
            self.percentile(0.99).as_secs_f64() * 1e3,
            self.latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
            self.cpu
                .map(|cpu| format!("{:.1}", cpu.as_secs_f64() * 1e6 / count as f64))
                .unwrap_or_else(|| "?".into()),
        );
    }
}

async fn measure(
    store: &Store,
    run: &str,
    inserts: usize,
    concurrency: usize,
    payload_bytes: usize,
) -> Measurement {
    let cpu_before = process_cpu_time();
    let next = Arc::new(AtomicUsize::new(0));
    let payload = Arc::new(vec![b'x'; payload_bytes]);
    let started = Instant::now();
    let mut workers = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let (store, next, payload, run) = (
            store.clone(),
            next.clone(),
            payload.clone(),
            run.to_string(),
        );
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= inserts {
                    break;
                }
                let now = 1_750_000_000_000 + i as i64;
                let flow = NewFlow {
                    token: format!("{run}-{i:08}"),
                    kind: FlowKind::Detect,
                    app_id: "bench-app".into(),
                    scope_id: "1".into(),
                    secret_id: "AKIDbench".into(),
                    status: "created".into(),
                    created_at: now,
                    expires_at: now + 7_200_000,
                    retain_until: now + 86_400_000,
                    payload: payload.to_vec(),
                    counts: Vec::new(),
                    bill: None,
                };
                let t = Instant::now();
                store.insert_flow(flow).await.expect("insert flow");
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    let mut latencies = Vec::with_capacity(inserts);
    for worker in workers {
        latencies.extend(worker.await.expect("bench worker"));
    }
    let elapsed = started.elapsed();
    let cpu = process_cpu_time()
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    latencies.sort();
    Measurement {
        elapsed,
        cpu,
        latencies,
    }
}

async fn bench_store(label: &str, config: StoreConfig, options: &Options) {
    let store = Store::open(config).await.expect("open store");
    store.migrate().await.expect("migrate");
    // Unbatched baseline: one caller, so every insert is its own commit.
    let serial = options.inserts.min(2_000);
    measure(&store, "warmup", 200, 1, options.payload_bytes).await;
    measure(&store, "serial", serial, 1, options.payload_bytes)
        .await
        .print(label, 1);
    measure(
        &store,
        "batched",
        options.inserts,
        options.concurrency,
        options.payload_bytes,
    )
    .await
    .print(label, options.concurrency);
    store.close().await;
}

async fn bench_sqlite(options: &Options) {
    let dir = std::env::temp_dir().join(format!("heshen-store-bench-{}", random_suffix()));
    std::fs::create_dir_all(&dir).expect("bench dir");
    let config = StoreConfig {
        database_url: format!("sqlite://{}?mode=rwc", dir.join("bench.db").display()),
        media_url: media_url(&dir),
        master_key: [7; 32],
    };
    bench_store("sqlite", config, options).await;
    let _ = std::fs::remove_dir_all(&dir);
}

async fn bench_postgres(options: &Options) {
    let admin_url = std::env::var("HESHEN_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let name = format!("heshen_bench_{}", random_suffix());
    let mut admin = sqlx::PgConnection::connect(&admin_url)
        .await
        .expect("connect to PostgreSQL");
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&mut admin)
        .await
        .expect("create bench database");
    let mut url = url::Url::parse(&admin_url).expect("postgres URL");
    url.set_path(&format!("/{name}"));
    let dir = std::env::temp_dir().join(format!("heshen-store-bench-{}", random_suffix()));
    let config = StoreConfig {
        database_url: url.to_string(),
        media_url: media_url(&dir),
        master_key: [7; 32],
    };
    bench_store("postgres", config, options).await;
    sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .expect("drop bench database");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::main]
async fn main() {
    let options = match parse_options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("store_bench: {message}");
            eprintln!("usage: store_bench [--backend sqlite|postgres|both] [--inserts N] [--concurrency C] [--payload-bytes B]");
            std::process::exit(2);
        }
    };
    println!(
        "flow inserts: {} per run, payload {} bytes, {} CPU(s), load average {}",
        options.inserts,
        options.payload_bytes,
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        // Other work on the machine skews the figures; record it with them.
        std::fs::read_to_string("/proc/loadavg")
            .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|_| "unknown".into())
    );
    for backend in &options.backends {
        match *backend {
            "sqlite" => bench_sqlite(&options).await,
            _ => bench_postgres(&options).await,
        }
    }
}
