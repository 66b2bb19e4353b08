//! Face engine timings and memory on the shared test photos.
//!
//! Run: `cargo bench -p heshen-vision --bench face_bench` (with `HESHEN_MODELS_DIR` and
//! `ORT_DYLIB_PATH` set as for the tests). Prints medians over repeated runs, after warm-up.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use heshen_vision::runtime::RuntimeConfig;
use heshen_vision::{Engine, EngineConfig};

const RUNS: usize = 25;

fn shared(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared")
        .join(rel)
}

fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

/// CPU time of the whole process (all threads), from /proc/self/stat, in milliseconds.
fn process_cpu_ms() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let after = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0)
        + fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    ticks * 10.0 // USER_HZ is 100 on Linux
}

/// Median wall time over `RUNS` runs after warm-up, and mean CPU time per run. On a shared,
/// busy machine the wall time includes waiting for a core; CPU time does not.
struct Timing {
    wall: Duration,
    cpu_ms: f64,
}

fn median<F: FnMut()>(mut f: F) -> Timing {
    for _ in 0..3 {
        f();
    }
    let cpu_start = process_cpu_ms();
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    let cpu_ms = (process_cpu_ms() - cpu_start) / RUNS as f64;
    times.sort();
    Timing {
        wall: times[RUNS / 2],
        cpu_ms,
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn show(t: &Timing) -> String {
    format!("{:>9} wall, {:>6.1} ms CPU", ms(t.wall), t.cpu_ms)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .next()
        .unwrap_or("?")
        .to_string()
}

fn main() {
    let models = std::env::var_os("HESHEN_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| shared("models"));
    let mut runtime = RuntimeConfig::new(&models);
    if runtime.ort_library.is_none() {
        runtime.ort_library = Some(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../target-vision/ort/libonnxruntime.so.1.31.1"),
        );
    }
    let rss_before = status_kb("VmRSS:");
    let t = Instant::now();
    let engine = Engine::new(EngineConfig::new(runtime)).expect("engine loads");
    let load = t.elapsed();
    let rss_loaded = status_kb("VmRSS:");

    let read = |name: &str| std::fs::read(shared(&format!("testdata/faces/{name}"))).unwrap();
    let (bytes_a, bytes_b) = (read("obama.jpg"), read("obama2.jpg"));
    let decode = median(|| {
        engine.decode(&bytes_a).unwrap();
    });
    let a = engine.decode(&bytes_a).unwrap();
    let b = engine.decode(&bytes_b).unwrap();
    let group = engine.decode(&read("t1.jpg")).unwrap();

    let embed_one = median(|| {
        engine.embed(&a).unwrap();
    });
    let group_all = median(|| {
        assert_eq!(engine.embed_all(&group).unwrap().len(), 6);
    });
    let compare = median(|| {
        assert!(engine.compare(&a, &b).unwrap().pass);
    });
    let compare_with_decode = median(|| {
        let a = engine.decode(&bytes_a).unwrap();
        let b = engine.decode(&bytes_b).unwrap();
        engine.compare(&a, &b).unwrap();
    });
    let face = engine.detect(&a).unwrap().remove(0);
    let mesh = median(|| {
        engine.face_mesh(&a, &face).unwrap();
    });
    let passive = median(|| {
        engine.passive_scores(&a, &face).unwrap();
    });
    let rss_after = status_kb("VmRSS:");
    let peak = status_kb("VmHWM:");

    println!(
        "Vision: faces benchmark ({RUNS} runs; median wall time, mean CPU time; intra threads {})",
        engine.runtime().config().intra_threads
    );
    println!("  engine load (runtime + 7 face models)     {}", ms(load));
    println!(
        "  decode obama.jpg (910x1137 JPEG)          {}",
        show(&decode)
    );
    println!(
        "  detect+align+embed, one face (obama.jpg)  {}",
        show(&embed_one)
    );
    println!(
        "  detect+align+embed, 6 faces (t1.jpg)      {}",
        show(&group_all)
    );
    println!(
        "    per face in t1.jpg                      {} wall",
        ms(group_all.wall / 6)
    );
    println!(
        "  1:1 compare, two decoded photos           {}",
        show(&compare)
    );
    println!(
        "  1:1 compare incl. JPEG decode of both     {}",
        show(&compare_with_decode)
    );
    println!(
        "  face mesh 468 on a detected face          {}",
        show(&mesh)
    );
    println!(
        "  passive anti-spoof scores                 {}",
        show(&passive)
    );
    println!(
        "  load average (1 min) at the end           {}",
        load_average()
    );
    println!(
        "  RSS before load                           {} MB",
        rss_before / 1024
    );
    println!(
        "  RSS with all face models loaded           {} MB",
        rss_loaded / 1024
    );
    println!(
        "  RSS after the runs / peak                 {} MB / {} MB",
        rss_after / 1024,
        peak / 1024
    );
}
