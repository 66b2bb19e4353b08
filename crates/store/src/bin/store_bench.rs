//! Flow insert throughput and latency of the store (group commit included).
//!
//! ```text
//! cargo run --release -p heshen-store --bin store_bench -- \
//!     [--backend sqlite|postgres|both] [--inserts N] [--concurrency C] [--payload-bytes B]
//!     [--console]
//! ```
//!
//! With `--console`, the inserted flows carry their statistics counters and bills (spread
//! over 60 days and 10 rules), and the queries behind the console's statistics, records and
//! reconciliation pages are timed over them afterwards.
//!
//! SQLite runs in a fresh temp directory; PostgreSQL in a fresh database
//! `heshen_bench_<random>` created through `HESHEN_BENCH_POSTGRES_URL`
//! (default `postgres://postgres@127.0.0.1:5432/postgres`) and dropped after.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use heshen_store::{Count, FlowKind, FlowSearch, NewBill, NewFlow, Store, StoreConfig};

/// The console data set: flows spread over 60 days from 2026-01-01 (Beijing).
const CONSOLE_START_MS: i64 = 1_767_196_800_000;
const CONSOLE_DAYS: i64 = 60;

/// What a flow of the data set counts as: every flow issued, most opened, some passing or
/// failing with a code, as a day of real traffic would.
fn console_counts(i: usize, created_at: i64) -> Vec<Count> {
    let day = (created_at + 8 * 3_600_000).div_euclid(86_400_000);
    let mut metrics = vec!["issued".to_string()];
    let pages = [
        "page:opened",
        "page:consent",
        "page:identity",
        "page:liveness",
        "page:upload",
    ];
    let reached = i % 7;
    metrics.extend(pages.iter().take(reached.min(5)).map(|p| p.to_string()));
    if reached >= 5 {
        let code = [0, 0, 0, 1301, 2016][i % 5];
        metrics.push("finished".into());
        if code == 0 {
            metrics.push("passed".into());
        }
        metrics.push(format!("code:{code}"));
        metrics.push(format!("mode:{}", i % 4 + 1));
        metrics.push(format!("time:{}", [30, 45, 60, 90][i % 4]));
    }
    metrics
        .into_iter()
        .map(|metric| Count { day, metric, n: 1 })
        .collect()
}

/// Times each console query `runs` times over the stored data set and prints p50 and max.
async fn bench_console_queries(store: &Store, label: &str) {
    let runs = 20;
    let first_day = (CONSOLE_START_MS + 8 * 3_600_000) / 86_400_000;
    let day_start = CONSOLE_START_MS + 30 * 86_400_000;
    let searches = [
        ("records, newest page", FlowSearch::default()),
        (
            "records, one rule",
            FlowSearch {
                scope_id: Some("3".into()),
                ..FlowSearch::default()
            },
        ),
        (
            "records, one day",
            FlowSearch {
                from_ms: Some(day_start),
                to_ms: Some(day_start + 86_400_000),
                ..FlowSearch::default()
            },
        ),
        (
            "records, by token",
            FlowSearch {
                token: Some("batched-00500000".into()),
                ..FlowSearch::default()
            },
        ),
    ];
    let report = |name: &str, mut times: Vec<Duration>| {
        times.sort();
        println!(
            "{label:<10} {name:<34} p50 {:>7.2} ms  max {:>7.2} ms",
            times[times.len() / 2].as_secs_f64() * 1e3,
            times.last().unwrap().as_secs_f64() * 1e3
        );
    };
    let mut times = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let rows = store
            .counts("bench-app", first_day + 30, first_day + 60, None)
            .await
            .expect("counts");
        assert!(!rows.is_empty());
        times.push(t.elapsed());
    }
    report("statistics, 30 days", times);
    let mut times = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        store
            .counts("bench-app", first_day - 306, first_day + 60, Some("3"))
            .await
            .expect("counts");
        times.push(t.elapsed());
    }
    report("statistics, 366 days, one rule", times);
    for (name, search) in &searches {
        let mut times = Vec::new();
        for _ in 0..runs {
            let t = Instant::now();
            let rows = store
                .search_flows("bench-app", search, 50)
                .await
                .expect("search");
            assert!(!rows.is_empty(), "{name}");
            times.push(t.elapsed());
        }
        report(name, times);
    }
    let mut times = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        store
            .charge_totals("bench-app", day_start, day_start + 86_400_000, None)
            .await
            .expect("totals");
        let bills = store
            .bills_between(
                "bench-app",
                day_start,
                day_start + 86_400_000,
                None,
                None,
                200,
            )
            .await
            .expect("bills");
        assert_eq!(bills.len(), 200);
        times.push(t.elapsed());
    }
    report("reconciliation, one day", times);
}
use rand::distributions::{Alphanumeric, DistString};
use sqlx::Connection;

struct Options {
    backends: Vec<&'static str>,
    inserts: usize,
    concurrency: usize,
    payload_bytes: usize,
    console: bool,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        backends: vec!["sqlite", "postgres"],
        inserts: 100_000,
        concurrency: 512,
        payload_bytes: 512,
        console: false,
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
            "--console" => options.console = true,
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
    console: bool,
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
                // In time order, as real traffic arrives: the days fill one after the other.
                let now = if console {
                    CONSOLE_START_MS + (i as i64 * CONSOLE_DAYS * 86_400_000) / inserts as i64
                } else {
                    1_750_000_000_000 + i as i64
                };
                let flow = NewFlow {
                    token: format!("{run}-{i:08}"),
                    kind: FlowKind::Detect,
                    app_id: "bench-app".into(),
                    scope_id: if console {
                        (i % 10 + 1).to_string()
                    } else {
                        "1".into()
                    },
                    secret_id: "AKIDbench".into(),
                    status: "created".into(),
                    created_at: now,
                    expires_at: now + 7_200_000,
                    retain_until: now + 86_400_000,
                    payload: payload.to_vec(),
                    counts: if console {
                        console_counts(i, now)
                    } else {
                        Vec::new()
                    },
                    bill: console.then(|| NewBill {
                        channel: "mobile_h5".into(),
                    }),
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
    measure(&store, "warmup", 200, 1, options.payload_bytes, false).await;
    measure(&store, "serial", serial, 1, options.payload_bytes, false)
        .await
        .print(label, 1);
    measure(
        &store,
        "batched",
        options.inserts,
        options.concurrency,
        options.payload_bytes,
        options.console,
    )
    .await
    .print(label, options.concurrency);
    if options.console {
        bench_console_queries(&store, label).await;
    }
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
            eprintln!("usage: store_bench [--backend sqlite|postgres|both] [--inserts N] [--concurrency C] [--payload-bytes B] [--console]");
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
