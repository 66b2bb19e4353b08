//! Decodes a video and prints per-frame liveness signals and the detected actions.
//! Usage: cargo run --release -p heshen-vision --example video_actions -- VIDEO
use heshen_vision::liveness::ActionThresholds;
use heshen_vision::video::{decode_video_file, VideoOptions};
use heshen_vision::{Engine, EngineConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: video_actions VIDEO")?;
    let engine = Engine::new(EngineConfig::from_env())?;
    let t = std::time::Instant::now();
    let video = decode_video_file(path.as_ref(), &VideoOptions::default())?;
    println!(
        "{} frames {:?} audio {:?} decoded in {:?}",
        video.frames.len(),
        video.info,
        video.audio.as_ref().map(|a| a.len()),
        t.elapsed()
    );
    let t = std::time::Instant::now();
    let analysis = engine.analyse_frames(&video.frames, &ActionThresholds::default())?;
    for (i, f) in analysis.frames.iter().enumerate() {
        match &f.signals {
            Some(s) => println!(
                "{i:3} faces {} eyes {:.3} ear {:.3} mouth {:.3} yaw {:6.1} pitch {:6.1} presence {:.2}",
                f.faces,
                s.eye_openness.unwrap_or(f32::NAN),
                s.eye_aspect_ratio,
                s.mouth_open_ratio,
                s.yaw_deg,
                s.pitch_deg,
                s.presence
            ),
            None => println!("{i:3} faces {}", f.faces),
        }
    }
    println!("{}", serde_json::to_string(&analysis.actions)?);
    println!(
        "best frame {:?}, analysed in {:?}",
        analysis.best_frame,
        t.elapsed()
    );
    Ok(())
}
