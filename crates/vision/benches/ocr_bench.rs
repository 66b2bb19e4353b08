//! ID-card OCR benchmark: heshen against rapidocr-onnxruntime on the same generated cards.
//!
//! Generates `HESHEN_BENCH_CARDS` identities (default 40), photographs both sides, writes the
//! JPEGs to a temporary folder, then times (wall clock and process CPU) heshen's full
//! `IdCardReader::read` per card side and
//! rapidocr's OCR call on the same files (through `benches/ocr_rapidocr.py` in the venv given by
//! `HESHEN_RAPIDOCR_PYTHON`, default `<workspace>/.venv/bin/python`). rapidocr's text lines are
//! parsed by heshen's own field parser, so the accuracy columns compare the OCR itself.
//!
//! The runtime takes the serving defaults, adjustable as in `heshen serve` through
//! `HESHEN_INTRA_THREADS`, `HESHEN_MAX_CONCURRENT_RUNS` and `HESHEN_ORT_SPINNING`.
//!
//! Cards are not turned upside down here: rapidocr does not report which lines it flipped, so
//! its boxes carry no reading direction for the layout step.

#[path = "../tests/support/idcard_gen.rs"]
mod idcard_gen;
#[path = "../tests/support/ocr_fields.rs"]
mod ocr_fields;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use heshen_vision::ocr::{interpret, CardSide, IdCardReader, Point, Quad, TextLine};
use heshen_vision::runtime::{Runtime, RuntimeConfig};
use idcard_gen::{
    jpeg_bytes, photograph, random_identity, render_back, render_front, Distortion, Fonts, Identity,
};
use ocr_fields::{FieldTally, Fields};
use rand::{Rng, SeedableRng};

struct Sample {
    file: String,
    side: CardSide,
    identity: usize,
}

fn main() {
    let cards: usize = env_or("HESHEN_BENCH_CARDS", 40);
    let models = std::env::var("HESHEN_MODELS_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/models").into());
    // Canonical, because Python finds its venv from the literal path it was started by.
    let workspace = std::fs::canonicalize(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .expect("workspace directory");
    let python = std::env::var("HESHEN_RAPIDOCR_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|_| workspace.join(".venv/bin/python"));

    let folder = tempfile::tempdir().expect("temporary folder");
    let (identities, samples) = generate(cards, folder.path());

    let runtime = Runtime::new(RuntimeConfig {
        models_dir: models.clone().into(),
        ..RuntimeConfig::from_env()
    })
    .expect("ONNX Runtime must load (set ORT_DYLIB_PATH)");
    let reader = IdCardReader::load(&runtime).expect("OCR models must load");
    let decoded: Vec<image::DynamicImage> = samples
        .iter()
        .map(|s| image::open(folder.path().join(&s.file)).expect("our own JPEG"))
        .collect();
    // Warm-up: first runs allocate ONNX Runtime's buffers.
    for image in decoded.iter().take(2) {
        let _ = reader.read(image, None);
    }
    let mut heshen_ms: HashMap<CardSide, Vec<f64>> = HashMap::new();
    let mut heshen_cpu: HashMap<CardSide, Vec<f64>> = HashMap::new();
    let mut heshen_tally = FieldTally::default();
    for (sample, image) in samples.iter().zip(&decoded) {
        let start = Instant::now();
        let cpu_start = process_cpu_ms();
        let reading = reader.read(image, Some(sample.side)).ok();
        heshen_cpu
            .entry(sample.side)
            .or_default()
            .push(process_cpu_ms() - cpu_start);
        heshen_ms
            .entry(sample.side)
            .or_default()
            .push(start.elapsed().as_secs_f64() * 1000.0);
        record(
            &mut heshen_tally,
            &identities[sample.identity],
            sample.side,
            reading.as_ref().map(Fields::from_reading),
        );
    }

    println!(
        "Vision: ID-card OCR — {cards} generated identities, {} card-side photos",
        samples.len()
    );
    println!(
        "machine: {} cores, load average at start {}",
        cores(),
        load_average()
    );
    report_times("heshen", &heshen_ms, &heshen_cpu);
    heshen_tally.print("heshen");

    match run_rapidocr(&python, folder.path()) {
        Ok(results) => {
            let mut rapid_ms: HashMap<CardSide, Vec<f64>> = HashMap::new();
            let mut rapid_cpu: HashMap<CardSide, Vec<f64>> = HashMap::new();
            let mut rapid_tally = FieldTally::default();
            for (sample, image) in samples.iter().zip(&decoded) {
                let Some(result) = results.get(&sample.file) else {
                    panic!("rapidocr gave no result for {}", sample.file);
                };
                let lines = result.lines.clone();
                rapid_ms
                    .entry(sample.side)
                    .or_default()
                    .push(result.wall_ms);
                rapid_cpu
                    .entry(sample.side)
                    .or_default()
                    .push(result.cpu_ms);
                let reading = interpret(&image.to_rgb8(), lines, Some(sample.side)).ok();
                record(
                    &mut rapid_tally,
                    &identities[sample.identity],
                    sample.side,
                    reading.as_ref().map(Fields::from_reading),
                );
            }
            report_times("rapidocr", &rapid_ms, &rapid_cpu);
            rapid_tally.print("rapidocr");
            for side in [CardSide::Front, CardSide::Back] {
                let wall = mean(&rapid_ms[&side]) / mean(&heshen_ms[&side]);
                let cpu = mean(&rapid_cpu[&side]) / mean(&heshen_cpu[&side]);
                println!(
                    "speed ratio {side:?} (rapidocr / heshen): wall {wall:.2}x, CPU {cpu:.2}x"
                );
            }
        }
        Err(reason) => panic!("rapidocr comparison failed: {reason}"),
    }
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn generate(cards: usize, folder: &Path) -> (Vec<Identity>, Vec<Sample>) {
    let fonts = Fonts::load();
    let mut rng = rand::rngs::StdRng::seed_from_u64(7_001);
    let distortion = Distortion {
        upside_down_chance: 0.0,
        ..Distortion::default()
    };
    let mut identities = Vec::new();
    let mut samples = Vec::new();
    for index in 0..cards {
        let identity = random_identity(&mut rng);
        for side in [CardSide::Front, CardSide::Back] {
            let card = match side {
                CardSide::Front => render_front(&identity, &fonts, &mut rng),
                CardSide::Back => render_back(&identity, &fonts, &mut rng),
            };
            let photo = photograph(&card, &mut rng, &distortion);
            let file = format!("{index:04}_{side:?}.jpg");
            // The photo already went through its random JPEG quality; this save is near-lossless.
            let quality = rng.gen_range(94..=96);
            std::fs::write(folder.join(&file), jpeg_bytes(&photo.image, quality))
                .expect("writing a card");
            samples.push(Sample {
                file,
                side,
                identity: index,
            });
        }
        identities.push(identity);
    }
    (identities, samples)
}

fn record(tally: &mut FieldTally, identity: &Identity, side: CardSide, fields: Option<Fields>) {
    match side {
        CardSide::Front => tally.add_front(identity, fields),
        CardSide::Back => tally.add_back(identity, fields),
    }
}

struct RapidResult {
    wall_ms: f64,
    cpu_ms: f64,
    lines: Vec<TextLine>,
}

type RapidResults = HashMap<String, RapidResult>;

fn run_rapidocr(python: &Path, folder: &Path) -> Result<RapidResults, String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/ocr_rapidocr.py");
    let output = Command::new(python)
        .arg(&script)
        .arg(folder)
        .output()
        .map_err(|e| {
            format!(
                "cannot run {}: {e} (create the venv: see docs/benchmarks.md)",
                python.display()
            )
        })?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    let mut results = HashMap::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let value: serde_json::Value =
            serde_json::from_str(line).map_err(|e| format!("{e}: {line}"))?;
        let file = value["file"].as_str().unwrap_or_default().to_string();
        let wall_ms = value["ms"].as_f64().unwrap_or_default();
        let cpu_ms = value["cpu_ms"].as_f64().unwrap_or_default();
        let lines = value["lines"]
            .as_array()
            .map(|lines| lines.iter().filter_map(to_text_line).collect())
            .unwrap_or_default();
        results.insert(
            file,
            RapidResult {
                wall_ms,
                cpu_ms,
                lines,
            },
        );
    }
    Ok(results)
}

fn to_text_line(value: &serde_json::Value) -> Option<TextLine> {
    let points: Vec<Point> = value[0]
        .as_array()?
        .iter()
        .map(|p| {
            Point::new(
                p[0].as_f64().unwrap_or(0.0) as f32,
                p[1].as_f64().unwrap_or(0.0) as f32,
            )
        })
        .collect();
    let corners: [Point; 4] = points.try_into().ok()?;
    Some(TextLine {
        quad: Quad { corners },
        text: value[1].as_str()?.to_string(),
        confidence: value[2].as_f64()? as f32,
        // rapidocr does not report character positions; the parser falls back to text rules.
        char_positions: Vec::new(),
    })
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len().max(1) as f64
}

fn percentile(values: &[f64], share: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[((sorted.len() - 1) as f64 * share).round() as usize]
}

fn report_times(tool: &str, wall: &HashMap<CardSide, Vec<f64>>, cpu: &HashMap<CardSide, Vec<f64>>) {
    for side in [CardSide::Front, CardSide::Back] {
        let values = &wall[&side];
        println!(
            "{tool:>10} {side:?}: wall mean {:.1} ms, median {:.1} ms, p95 {:.1} ms; CPU mean {:.1} ms; {} images",
            mean(values),
            percentile(values, 0.5),
            percentile(values, 0.95),
            mean(&cpu[&side]),
            values.len()
        );
    }
}

/// CPU time of this process, all threads, from /proc (10 ms ticks; averaged over many cards).
fn process_cpu_ms() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) * 10.0
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}
