//! `heshen bench liveness`: how long the server takes to decide one verification of a clip in
//! each liveness mode (decoding, face analysis of every frame, the verdict, the 1:1 comparison
//! of the best frame with a reference), and how many verifications per minute the vision
//! engine sustains with `--concurrency` running at once.

use anyhow::{bail, Context};
use clap::Args;
use hdrhistogram::Histogram;
use heshen_service::verify::{self, Reference};
use heshen_service::vision::Vision;
use heshen_vision::liveness::{flash, Challenge, FlashChallenge, LivenessAction};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Args, Debug, Clone)]
pub struct LivenessArgs {
    /// The clip every verification judges (a real face video).
    #[arg(long)]
    pub clip: PathBuf,
    /// A clip with speech for the read-aloud mode (default: `--clip`).
    #[arg(long)]
    pub speech_clip: Option<PathBuf>,
    /// The code the speech clip reads; with the right one the recogniser checks every digit
    /// against its rivals, the slowest path (default: 1234, which a clip that does not read
    /// it refuses quickly).
    #[arg(long, default_value = "1234")]
    pub digits: String,
    /// Verifications timed per mode.
    #[arg(long, default_value_t = 10)]
    pub runs: usize,
    /// Verifications at once in the throughput phase (the server's `vision_concurrency`).
    #[arg(long, default_value_t = 2)]
    pub concurrency: usize,
    /// Seconds of the throughput phase.
    #[arg(long, default_value_t = 30)]
    pub duration: u64,
}

fn reference_of(clip: &std::path::Path, vision: &Vision) -> anyhow::Result<Reference> {
    // The person's reference photo: a frame of their own clip, as PNG on ffmpeg's stdout.
    let out = std::process::Command::new("ffmpeg")
        .args(["-loglevel", "error", "-ss", "1", "-i"])
        .arg(clip)
        .args(["-frames:v", "1", "-f", "image2pipe", "-vcodec", "png", "-"])
        .output()
        .context("running ffmpeg")?;
    if !out.status.success() || out.stdout.is_empty() {
        bail!("ffmpeg could not take a frame of {}", clip.display());
    }
    let photo = out.stdout;
    let engine = vision.engine();
    let image = engine.decode(&photo)?;
    Ok(Reference::Embedding(engine.embed(&image)?))
}

fn same_reference(reference: &Reference) -> Reference {
    match reference {
        Reference::Embedding(e) => Reference::Embedding(e.clone()),
        Reference::Photo(p) => Reference::Photo(p.clone()),
    }
}

pub async fn run(args: LivenessArgs, vision: Vision) -> anyhow::Result<()> {
    if args.runs == 0 || args.concurrency == 0 {
        bail!("--runs and --concurrency must be positive");
    }
    let clip =
        std::fs::read(&args.clip).with_context(|| format!("reading {}", args.clip.display()))?;
    let speech_path = args
        .speech_clip
        .clone()
        .unwrap_or_else(|| args.clip.clone());
    let speech = std::fs::read(&speech_path)?;
    let reference = reference_of(&args.clip, &vision)?;
    let speech_reference = reference_of(&speech_path, &vision)?;
    let modes: Vec<(&str, Challenge, &Vec<u8>, &Reference)> = vec![
        (
            "action (open mouth)",
            Challenge::Actions(vec![LivenessAction::OpenMouth]),
            &clip,
            &reference,
        ),
        (
            "action (blink, 30 fps)",
            Challenge::Actions(vec![LivenessAction::Blink]),
            &clip,
            &reference,
        ),
        ("silent", Challenge::Silent, &clip, &reference),
        // The clip was not filmed under a flashing screen, so its verdict is 1401 and the
        // comparison does not run: the time is decoding, analysis and the reflection measure.
        (
            "colour flash",
            Challenge::Flash(FlashChallenge {
                colours: flash::parse_sequence("rcgmbyr").unwrap_or_default(),
                onsets_s: (0..7).map(|k| 0.2 + 0.5 * k as f32).collect(),
            }),
            &clip,
            &reference,
        ),
        (
            "digits (voice, lips, ASR)",
            Challenge::Digits(args.digits.clone()),
            &speech,
            &speech_reference,
        ),
    ];
    println!(
        "decision time of one verification (decode, analysis of every frame, verdict, 1:1 comparison), {} runs each:",
        args.runs
    );
    println!(
        "{:<24} {:>8} {:>8} {:>8}  verdict",
        "mode", "p50 ms", "p95 ms", "max ms"
    );
    for (name, challenge, video, reference) in &modes {
        let mut times = Histogram::<u64>::new(3)?;
        let mut verdict = String::new();
        for _ in 0..args.runs {
            let started = Instant::now();
            let outcome = verify::verify_recording(
                &vision,
                (*video).clone(),
                challenge.clone(),
                Some(same_reference(reference)),
                70.0,
                0,
            )
            .await?;
            times.record(started.elapsed().as_millis() as u64)?;
            verdict = match &outcome.failure {
                None => format!("pass, Sim {:.1}", outcome.sim.unwrap_or(0.0)),
                Some(failure) => format!("fail {}", failure.result_code().code),
            };
        }
        println!(
            "{name:<24} {:>8} {:>8} {:>8}  {verdict}",
            times.value_at_quantile(0.5),
            times.value_at_quantile(0.95),
            times.max()
        );
    }

    let vision = Arc::new(vision);
    let reference = Arc::new(reference);
    let clip = Arc::new(clip);
    let deadline = Instant::now() + Duration::from_secs(args.duration.max(1));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..args.concurrency {
        let (vision, reference, clip) = (vision.clone(), reference.clone(), clip.clone());
        workers.push(tokio::spawn(async move {
            let mut done = 0u64;
            while Instant::now() < deadline {
                verify::verify_recording(
                    &vision,
                    (*clip).clone(),
                    Challenge::Actions(vec![LivenessAction::OpenMouth]),
                    Some(same_reference(&reference)),
                    70.0,
                    0,
                )
                .await?;
                done += 1;
            }
            anyhow::Ok(done)
        }));
    }
    let mut total = 0;
    for worker in workers {
        total += worker.await??;
    }
    let minutes = started.elapsed().as_secs_f64() / 60.0;
    println!(
        "throughput: {total} action verifications in {:.1} s with {} at once = {:.0} verifications/minute",
        minutes * 60.0,
        args.concurrency,
        total as f64 / minutes
    );
    Ok(())
}
