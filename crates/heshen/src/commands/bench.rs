//! `heshen bench api`: load-tests DetectAuth and GetDetectInfoEnhanced over HTTP.
//!
//! The server runs as a separate child process (`heshen serve`) on a fresh data
//! directory (or a fresh PostgreSQL database) with rate limits off; this process
//! only generates load. It speaks raw HTTP/1.1 over keep-alive TCP connections on
//! single-threaded Tokio runtimes, with every request signed (TC3-HMAC-SHA256) and
//! rendered to bytes before the measured phase starts, so the load generator takes
//! as little of the shared CPU as possible.
//!
//! Phases, each measured separately:
//! - closed loop: every connection sends its next request as soon as the previous
//!   answer arrives (maximum throughput); latency is from send to full answer;
//! - open loop at `--rate`: request `i` is due at `start + i / rate` whatever
//!   happened before; a free connection takes the next due request, and latency is
//!   measured from the *due* time, so a stalled server is charged for every request
//!   it delayed (no coordinated omission).
//!
//! Every answer must be HTTP 200 with a `{"Response": …}` envelope holding a
//! `RequestId` and no `Error`; anything else is counted as an error by its code.

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use hdrhistogram::Histogram;
use heshen_core::sign::tc3;
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// DetectAuth and GetDetectInfoEnhanced over HTTP against a `heshen serve` child process.
    Api(ApiArgs),
    /// Decision time of one liveness verification per mode, and verifications per minute.
    Liveness(super::bench_liveness::LivenessArgs),
}

#[derive(Args, Debug, Clone)]
pub struct ApiArgs {
    /// Seconds each measured phase runs.
    #[arg(long, default_value_t = 10)]
    pub duration: u64,
    /// Seconds of unmeasured DetectAuth load before the measured phases.
    #[arg(long, default_value_t = 2)]
    pub warmup: u64,
    /// Keep-alive connections to the server.
    #[arg(long, default_value_t = 64)]
    pub connections: usize,
    /// Requests per second of the open-loop (fixed-rate) phases.
    #[arg(long, default_value_t = 2000)]
    pub rate: u64,
    /// Load-generator threads (each a single-threaded runtime).
    #[arg(long, default_value_t = 1)]
    pub client_threads: usize,
    /// Database for the server: `postgres://…` gets a fresh database created (and
    /// dropped afterwards) on that server; default: SQLite in a fresh temp data dir.
    #[arg(long)]
    pub database_url: Option<String>,
    /// The `heshen` binary to run as the server; default: this executable.
    #[arg(long)]
    pub server_bin: Option<PathBuf>,
    /// Distinct BizTokens GetDetectInfoEnhanced cycles through.
    #[arg(long, default_value_t = 10_000)]
    pub tokens: usize,
}

pub async fn run(
    command: BenchCommand,
    settings: &heshen::settings::Settings,
    data_dir: &std::path::Path,
) -> anyhow::Result<()> {
    match command {
        BenchCommand::Api(args) => api(args).await,
        BenchCommand::Liveness(args) => {
            let mut settings = settings.clone();
            settings.vision = "required".into();
            settings.vision_concurrency = args.concurrency;
            let vision = heshen::app::load_vision(&settings, data_dir)?
                .context("the vision engine did not load")?;
            super::bench_liveness::run(args, vision).await
        }
    }
}

/// Longest phase allowed: requests are signed once per phase and the server accepts
/// a signature for 300 s by default.
const MAX_PHASE_SECS: u64 = 240;

async fn api(args: ApiArgs) -> anyhow::Result<()> {
    if args.duration == 0 || args.duration > MAX_PHASE_SECS || args.warmup > MAX_PHASE_SECS {
        bail!("--duration must be 1..={MAX_PHASE_SECS} s and --warmup at most {MAX_PHASE_SECS} s");
    }
    if args.connections == 0 || args.client_threads == 0 || args.rate == 0 {
        bail!("--connections, --client-threads and --rate must be positive");
    }
    let data_dir = std::env::temp_dir().join(format!(
        "heshen-bench-{}-{}",
        std::process::id(),
        unix_nanos()
    ));
    std::fs::create_dir_all(&data_dir)?;
    let fresh_db = match &args.database_url {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            Some(FreshPostgres::create(url).await?)
        }
        _ => None,
    };
    let database_url = match (&fresh_db, &args.database_url) {
        (Some(db), _) => Some(db.url.clone()),
        (None, Some(url)) => Some(url.clone()),
        (None, None) => None,
    };
    let result = async {
        let server = Server::start(&args, &data_dir, database_url.as_deref())?;
        let outcome = bench_against(&args, &server, database_url.as_deref()).await;
        server.stop();
        outcome
    }
    .await;
    if let Some(db) = fresh_db {
        if let Err(err) = db.drop_database().await {
            eprintln!("could not drop the benchmark database: {err:#}");
        }
    }
    let _ = std::fs::remove_dir_all(&data_dir);
    result
}

fn unix_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

fn unix_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A database created for one run on a PostgreSQL server, dropped afterwards.
struct FreshPostgres {
    admin_url: String,
    name: String,
    url: String,
}

impl FreshPostgres {
    async fn create(admin_url: &str) -> anyhow::Result<Self> {
        use sqlx::{Connection, Executor};
        let name = format!("heshen_bench_{}_{}", std::process::id(), unix_secs());
        let mut conn = sqlx::PgConnection::connect(admin_url)
            .await
            .with_context(|| format!("connecting to {admin_url}"))?;
        conn.execute(format!("CREATE DATABASE \"{name}\"").as_str())
            .await?;
        conn.close().await?;
        let mut url = url::Url::parse(admin_url)?;
        url.set_path(&format!("/{name}"));
        Ok(Self {
            admin_url: admin_url.to_string(),
            name,
            url: url.to_string(),
        })
    }

    async fn drop_database(&self) -> anyhow::Result<()> {
        use sqlx::{Connection, Executor};
        let mut conn = sqlx::PgConnection::connect(&self.admin_url).await?;
        conn.execute(format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name).as_str())
            .await?;
        conn.close().await?;
        Ok(())
    }
}

/// The `heshen serve` child process and the demo credentials it printed.
struct Server {
    child: Child,
    host: String,
    secret_id: String,
    secret_key: String,
    rule_id: String,
    log: PathBuf,
}

impl Server {
    fn start(
        args: &ApiArgs,
        data_dir: &std::path::Path,
        database_url: Option<&str>,
    ) -> anyhow::Result<Self> {
        let bin = match &args.server_bin {
            Some(bin) => bin.clone(),
            None => std::env::current_exe().context("locating the heshen executable")?,
        };
        let log = data_dir.join("server.log");
        let mut command = Command::new(&bin);
        // A clean, reproducible server: none of this shell's heshen settings leak in.
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy().into_owned();
            if key.starts_with("HESHEN_") || key == "DATABASE_URL" || key == "RUST_LOG" {
                command.env_remove(key);
            }
        }
        command
            .arg("--data-dir")
            .arg(data_dir)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("HESHEN_RATE_LIMIT_DEFAULT", "0")
            .env(
                "HESHEN_RATE_LIMITS",
                "{DetectAuth=0,GetDetectInfoEnhanced=0}",
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log)?);
        if let Some(url) = database_url {
            command.env("DATABASE_URL", url);
        }
        let mut child = command
            .spawn()
            .with_context(|| format!("starting {} serve", bin.display()))?;
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let (mut url, mut secret_id, mut secret_key, mut rule_id) = (None, None, None, None);
        // The banner ends with the RuleId line; stop reading there.
        while rule_id.is_none() {
            let Some(line) = lines.next() else {
                let _ = child.kill();
                let _ = child.wait();
                let log_text = std::fs::read_to_string(&log).unwrap_or_default();
                bail!(
                    "the server exited before printing its demo credentials; its log:\n{log_text}"
                );
            };
            let line = line?;
            let line = line.trim();
            if let Some(rest) = line.strip_prefix("heshen is listening on ") {
                url = rest.split_whitespace().next().map(str::to_string);
            } else if let Some(v) = line.strip_prefix("SecretId:") {
                secret_id = Some(v.trim().to_string());
            } else if let Some(v) = line.strip_prefix("SecretKey:") {
                secret_key = Some(v.trim().to_string());
            } else if let Some(v) = line.strip_prefix("RuleId:") {
                rule_id = Some(v.trim().to_string());
            }
        }
        // Keep draining stdout so the child can never block on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let (Some(url), Some(secret_id), Some(secret_key), Some(rule_id)) =
            (url, secret_id, secret_key, rule_id)
        else {
            let _ = child.kill();
            bail!("the server's banner lacked its URL or demo credentials");
        };
        let host = url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        Ok(Self {
            child,
            host,
            secret_id,
            secret_key,
            rule_id,
            log,
        })
    }

    /// SIGTERM (graceful: pending writes are committed), then SIGKILL after 10 s.
    fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// One signed `POST /` for `action`, rendered to the bytes that go on the wire.
    fn request(&self, action: &str, body: &[u8], timestamp: i64) -> Vec<u8> {
        let content_type = "application/json";
        let authorization = tc3::authorize_json_post(
            &self.secret_id,
            &self.secret_key,
            &self.host,
            body,
            timestamp,
        );
        let mut request = format!(
            "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\nAuthorization: {authorization}\r\n\
             X-TC-Action: {action}\r\nX-TC-Version: 2018-03-01\r\nX-TC-Timestamp: {timestamp}\r\n\
             Content-Length: {len}\r\n\r\n",
            host = self.host,
            len = body.len(),
        )
        .into_bytes();
        request.extend_from_slice(body);
        request
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// User + system CPU time of a process in clock ticks (1/100 s on Linux).
fn cpu_ticks(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

const TICKS_PER_SEC: f64 = 100.0;

async fn bench_against(
    args: &ApiArgs,
    server: &Server,
    database_url: Option<&str>,
) -> anyhow::Result<()> {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    println!("heshen bench api");
    println!(
        "  server: pid {} at http://{} ({}), log {}",
        server.child.id(),
        server.host,
        match database_url {
            Some(url) if url.starts_with("postgres") => "PostgreSQL",
            _ => "SQLite",
        },
        server.log.display()
    );
    println!(
        "  load: {} connections on {} client thread(s); {} s per phase, {} s warm-up; {} cores; load average {}",
        args.connections,
        args.client_threads,
        args.duration,
        args.warmup,
        cores,
        load_average()
    );
    let mut reports = Vec::new();
    let detect_body = serde_json::to_vec(&serde_json::json!({ "RuleId": server.rule_id }))?;
    let detect_requests = || {
        Arc::new(vec![server.request(
            "DetectAuth",
            &detect_body,
            unix_secs(),
        )])
    };
    let server_pid = server.child.id().to_string();
    let run =
        |name: &'static str, mode: Mode, requests: Arc<Vec<Vec<u8>>>, collect: usize, secs: u64| {
            let plan = Plan {
                addr: server.host.clone(),
                connections: args.connections,
                threads: args.client_threads,
                duration: Duration::from_secs(secs),
                mode,
                requests,
                collect_tokens: collect,
            };
            let server_pid = server_pid.clone();
            async move {
                let before = (cpu_ticks(&server_pid), cpu_ticks("self"));
                let outcome = tokio::task::spawn_blocking(move || plan.execute()).await??;
                let after = (cpu_ticks(&server_pid), cpu_ticks("self"));
                let cpu = |a: Option<u64>, b: Option<u64>| match (a, b) {
                    (Some(a), Some(b)) => Some((b.saturating_sub(a)) as f64 / TICKS_PER_SEC),
                    _ => None,
                };
                anyhow::Ok(Report {
                    name,
                    closed_loop: matches!(mode, Mode::Closed),
                    outcome,
                    server_cpu: cpu(before.0, after.0),
                    load_cpu: cpu(before.1, after.1),
                    load_average: load_average(),
                })
            }
        };

    let mut tokens = Vec::new();
    if args.warmup > 0 {
        let warm = run(
            "warm-up DetectAuth",
            Mode::Closed,
            detect_requests(),
            args.tokens,
            args.warmup,
        )
        .await?;
        warm.print();
        tokens.extend(warm.outcome.tokens.iter().cloned());
    }
    let closed = run(
        "DetectAuth, closed loop",
        Mode::Closed,
        detect_requests(),
        args.tokens,
        args.duration,
    )
    .await?;
    closed.print();
    tokens.extend(closed.outcome.tokens.iter().cloned());
    reports.push(closed);
    if tokens.is_empty() {
        bail!("DetectAuth created no BizToken; cannot benchmark GetDetectInfoEnhanced");
    }
    tokens.truncate(args.tokens);
    let enhanced_requests = || {
        let now = unix_secs();
        Arc::new(
            tokens
                .iter()
                .map(|token| {
                    let body = serde_json::to_vec(
                        &serde_json::json!({ "BizToken": token, "RuleId": server.rule_id }),
                    )
                    .expect("JSON");
                    server.request("GetDetectInfoEnhanced", &body, now)
                })
                .collect::<Vec<_>>(),
        )
    };
    let report = run(
        "GetDetectInfoEnhanced, closed loop",
        Mode::Closed,
        enhanced_requests(),
        0,
        args.duration,
    )
    .await?;
    report.print();
    reports.push(report);
    let report = run(
        "DetectAuth, open loop",
        Mode::Open { rate: args.rate },
        detect_requests(),
        0,
        args.duration,
    )
    .await?;
    report.print();
    reports.push(report);
    let report = run(
        "GetDetectInfoEnhanced, open loop",
        Mode::Open { rate: args.rate },
        enhanced_requests(),
        0,
        args.duration,
    )
    .await?;
    report.print();
    reports.push(report);

    println!();
    println!("| phase | requests | errors | req/s | p50 ms | p90 ms | p99 ms | max ms | server CPU (cores) | load CPU (cores) | load average |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for r in &reports {
        r.table_row();
    }
    println!();
    let detect_rps = reports[0].requests_per_sec();
    let open = &reports[2];
    println!(
        "target: DetectAuth >= 10,000 req/s closed loop: {:.0} req/s -> {}",
        detect_rps,
        if detect_rps >= 10_000.0 {
            "met"
        } else {
            "NOT met"
        }
    );
    let p99 = open.outcome.histogram.value_at_quantile(0.99) as f64 / 1000.0;
    let rate_ok = open.requests_per_sec() >= 0.98 * args.rate as f64;
    println!(
        "target: p99 <= 20 ms at {} req/s (DetectAuth open loop): p99 {:.2} ms at {:.0} req/s -> {}",
        args.rate,
        p99,
        open.requests_per_sec(),
        if p99 <= 20.0 && rate_ok { "met" } else { "NOT met" }
    );
    let errors: u64 = reports.iter().map(|r| r.outcome.error_count()).sum();
    if errors > 0 {
        bail!("{errors} request(s) did not get a success envelope");
    }
    Ok(())
}

#[derive(Clone, Copy, Debug)]
enum Mode {
    Closed,
    Open { rate: u64 },
}

struct Plan {
    addr: String,
    connections: usize,
    threads: usize,
    duration: Duration,
    mode: Mode,
    requests: Arc<Vec<Vec<u8>>>,
    /// Keep up to this many BizTokens from the answers.
    collect_tokens: usize,
}

struct Outcome {
    ok: u64,
    errors: BTreeMap<String, u64>,
    histogram: Histogram<u64>,
    tokens: Vec<String>,
    elapsed: Duration,
}

impl Outcome {
    fn new() -> Self {
        Self {
            // Microseconds, 1 µs .. 10 min, 3 significant digits.
            ok: 0,
            errors: BTreeMap::new(),
            histogram: Histogram::new_with_bounds(1, 600_000_000, 3).expect("histogram bounds"),
            tokens: Vec::new(),
            elapsed: Duration::ZERO,
        }
    }

    fn merge(&mut self, other: Outcome) {
        self.ok += other.ok;
        for (code, n) in other.errors {
            *self.errors.entry(code).or_default() += n;
        }
        self.histogram.add(&other.histogram).expect("same bounds");
        self.tokens.extend(other.tokens);
    }

    fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    fn error(&mut self, code: impl Into<String>) {
        *self.errors.entry(code.into()).or_default() += 1;
    }
}

impl Plan {
    fn execute(self) -> anyhow::Result<Outcome> {
        let plan = Arc::new(self);
        // Every connection is opened before the common start instant.
        let start = Instant::now() + Duration::from_millis(300);
        let next_slot = Arc::new(AtomicU64::new(0));
        let threads: Vec<_> = (0..plan.threads)
            .map(|t| {
                let plan = plan.clone();
                let next_slot = next_slot.clone();
                std::thread::Builder::new()
                    .name(format!("bench-load-{t}"))
                    .spawn(move || -> anyhow::Result<Outcome> {
                        let runtime = tokio::runtime::Builder::new_current_thread()
                            .enable_all()
                            .build()?;
                        runtime.block_on(async {
                            let mut tasks = Vec::new();
                            for c in (t..plan.connections).step_by(plan.threads) {
                                let plan = plan.clone();
                                let next_slot = next_slot.clone();
                                tasks.push(tokio::spawn(async move {
                                    connection_loop(&plan, c, start, &next_slot).await
                                }));
                            }
                            let mut total = Outcome::new();
                            for task in tasks {
                                total.merge(task.await??);
                            }
                            anyhow::Ok(total)
                        })
                    })
                    .expect("spawning a load thread")
            })
            .collect();
        let mut total = Outcome::new();
        for thread in threads {
            total.merge(
                thread
                    .join()
                    .map_err(|_| anyhow::anyhow!("a load thread panicked"))??,
            );
        }
        total.elapsed = plan.duration;
        Ok(total)
    }
}

/// The success envelope, read without building a JSON tree.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "Response", borrow)]
    response: EnvelopeBody<'a>,
}

#[derive(Deserialize)]
struct EnvelopeBody<'a> {
    #[serde(rename = "Error", borrow)]
    error: Option<EnvelopeError<'a>>,
    #[serde(rename = "RequestId", borrow)]
    request_id: Option<Cow<'a, str>>,
    #[serde(rename = "BizToken", borrow)]
    biz_token: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct EnvelopeError<'a> {
    #[serde(rename = "Code", borrow)]
    code: Cow<'a, str>,
}

async fn connection_loop(
    plan: &Plan,
    index: usize,
    start: Instant,
    next_slot: &AtomicU64,
) -> anyhow::Result<Outcome> {
    let mut outcome = Outcome::new();
    let per_connection_tokens = plan.collect_tokens.div_ceil(plan.connections);
    let mut conn = Connection::open(&plan.addr).await?;
    tokio::time::sleep_until(start.into()).await;
    let end = start + plan.duration;
    let mut sent: u64 = 0;
    loop {
        let (request_index, due) = match plan.mode {
            Mode::Closed => {
                let now = Instant::now();
                if now >= end {
                    break;
                }
                let i = index as u64 + sent * plan.connections as u64;
                (i, now)
            }
            Mode::Open { rate } => {
                let slot = next_slot.fetch_add(1, Ordering::Relaxed);
                let due = start + Duration::from_nanos(slot * 1_000_000_000 / rate);
                if due >= end {
                    break;
                }
                if due > Instant::now() {
                    tokio::time::sleep_until(due.into()).await;
                }
                (slot, due)
            }
        };
        sent += 1;
        let request = &plan.requests[(request_index % plan.requests.len() as u64) as usize];
        match conn.exchange(request).await {
            Ok(answer) => {
                let latency = due.elapsed();
                outcome
                    .histogram
                    .saturating_record(latency.as_micros().max(1) as u64);
                let body = &conn.buffer[answer.body.clone()];
                if answer.status != 200 {
                    outcome.error(format!("HTTP {}", answer.status));
                } else {
                    match serde_json::from_slice::<Envelope<'_>>(body) {
                        Ok(Envelope { response }) => match (response.error, response.request_id) {
                            (None, Some(_)) => {
                                outcome.ok += 1;
                                if outcome.tokens.len() < per_connection_tokens {
                                    if let Some(token) = response.biz_token {
                                        outcome.tokens.push(token.into_owned());
                                    }
                                }
                            }
                            (Some(error), _) => outcome.error(error.code.into_owned()),
                            (None, None) => outcome.error("no RequestId"),
                        },
                        Err(_) => outcome.error("not an envelope"),
                    }
                }
                conn.consume(answer.end);
                if answer.close {
                    conn = Connection::open(&plan.addr).await?;
                }
            }
            Err(err) => {
                outcome
                    .histogram
                    .saturating_record(due.elapsed().as_micros().max(1) as u64);
                outcome.error(format!("I/O: {}", err.kind()));
                conn = Connection::open(&plan.addr).await?;
            }
        }
    }
    Ok(outcome)
}

/// One keep-alive HTTP/1.1 connection; one request in flight at a time.
struct Connection {
    stream: TcpStream,
    buffer: Vec<u8>,
}

struct Answer {
    status: u16,
    body: std::ops::Range<usize>,
    end: usize,
    close: bool,
}

impl Connection {
    async fn open(addr: &str) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connecting to {addr}"))?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buffer: Vec::with_capacity(16 * 1024),
        })
    }

    async fn exchange(&mut self, request: &[u8]) -> std::io::Result<Answer> {
        self.stream.write_all(request).await?;
        loop {
            if let Some(answer) = self.parse()? {
                return Ok(answer);
            }
            if self.buffer.capacity() - self.buffer.len() < 4096 {
                self.buffer.reserve(16 * 1024);
            }
            if self.stream.read_buf(&mut self.buffer).await? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
        }
    }

    /// A complete answer at the front of the buffer, if one has arrived.
    fn parse(&self) -> std::io::Result<Option<Answer>> {
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut response = httparse::Response::new(&mut headers);
        let head = match response.parse(&self.buffer) {
            Ok(httparse::Status::Complete(n)) => n,
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(e) => return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, e)),
        };
        let mut length = None;
        let mut close = false;
        for header in response.headers.iter() {
            if header.name.eq_ignore_ascii_case("content-length") {
                length = std::str::from_utf8(header.value)
                    .ok()
                    .and_then(|v| v.trim().parse::<usize>().ok());
            } else if header.name.eq_ignore_ascii_case("connection") {
                close = header.value.eq_ignore_ascii_case(b"close");
            }
        }
        let Some(length) = length else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "answer without Content-Length",
            ));
        };
        if self.buffer.len() < head + length {
            return Ok(None);
        }
        Ok(Some(Answer {
            status: response.code.unwrap_or(0),
            body: head..head + length,
            end: head + length,
            close,
        }))
    }

    fn consume(&mut self, n: usize) {
        self.buffer.drain(..n);
    }
}

struct Report {
    name: &'static str,
    closed_loop: bool,
    outcome: Outcome,
    server_cpu: Option<f64>,
    load_cpu: Option<f64>,
    load_average: String,
}

impl Report {
    fn requests(&self) -> u64 {
        self.outcome.ok + self.outcome.error_count()
    }

    fn requests_per_sec(&self) -> f64 {
        self.requests() as f64 / self.outcome.elapsed.as_secs_f64()
    }

    fn ms(&self, quantile: f64) -> f64 {
        self.outcome.histogram.value_at_quantile(quantile) as f64 / 1000.0
    }

    fn cores(&self, cpu: Option<f64>) -> String {
        cpu.map_or("?".into(), |s| {
            format!("{:.2}", s / self.outcome.elapsed.as_secs_f64())
        })
    }

    fn print(&self) {
        let o = &self.outcome;
        let per_request = |cpu: Option<f64>| {
            cpu.filter(|_| self.requests() > 0).map_or("?".into(), |s| {
                format!("{:.0} µs/req", s * 1e6 / self.requests() as f64)
            })
        };
        println!("\n{}:", self.name);
        println!(
            "  {} requests in {:.1} s = {:.0} req/s; {} ok, {} errors",
            self.requests(),
            o.elapsed.as_secs_f64(),
            self.requests_per_sec(),
            o.ok,
            o.error_count()
        );
        println!(
            "  latency ms: p50 {:.2}  p90 {:.2}  p99 {:.2}  p99.9 {:.2}  max {:.2}",
            self.ms(0.50),
            self.ms(0.90),
            self.ms(0.99),
            self.ms(0.999),
            o.histogram.max() as f64 / 1000.0
        );
        println!(
            "  CPU: server {} cores ({}), load generator {} cores ({}); load average {}",
            self.cores(self.server_cpu),
            per_request(self.server_cpu),
            self.cores(self.load_cpu),
            per_request(self.load_cpu),
            self.load_average
        );
        if let (true, Some(server), Some(load)) = (self.closed_loop, self.server_cpu, self.load_cpu)
        {
            let cores = std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1) as f64;
            if self.requests() > 0 && server + load > 0.0 {
                let per_request = (server + load) / self.requests() as f64;
                println!(
                    "  CPU-bound ceiling: {:.0} µs of CPU per request (server + load generator) -> at most {:.0} req/s if all {cores} cores were free",
                    per_request * 1e6,
                    cores / per_request
                );
            }
        }
        for (code, n) in &o.errors {
            println!("  error {code}: {n}");
        }
    }

    fn table_row(&self) {
        println!(
            "| {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {} | {} | {} |",
            self.name,
            self.requests(),
            self.outcome.error_count(),
            self.requests_per_sec(),
            self.ms(0.50),
            self.ms(0.90),
            self.ms(0.99),
            self.outcome.histogram.max() as f64 / 1000.0,
            self.cores(self.server_cpu),
            self.cores(self.load_cpu),
            self.load_average
        );
    }
}
