//! Blink liveness end to end on real faces. None of the real clips contains a blink, so the
//! eyes of real photos and video frames are painted shut (face_support/eyelids.rs, guided by
//! the engine's own FaceMesh) and everything after that is the production path: MTCNN, the
//! mesh, the eye measurement, FFmpeg encoding and heshen's decoding, the sequence analyser and
//! the FaceID verdict.

mod face_support;

use std::path::Path;
use std::process::Command;

use face_support::eyelids::close_eyes;
use face_support::{engine, photo, testdata};
use heshen_vision::liveness::{
    decide, ActionThresholds, Challenge, FrameSignals, LivenessAction, LivenessFailureKind,
};
use heshen_vision::video::{decode_video_bytes, decode_video_file, VideoOptions};
use heshen_vision::{Face, SequenceAnalysis};
use image::RgbImage;

/// The principal face of an image with its liveness signals; panics when there is none.
fn signals(image: &RgbImage, what: &str) -> (Face, FrameSignals) {
    engine()
        .frame_signals(image)
        .expect("frame analysis runs")
        .unwrap_or_else(|| panic!("{what}: one face expected"))
}

/// The image with the principal face's eyes painted shut.
fn shut_eyes(image: &RgbImage, what: &str) -> RgbImage {
    let (face, _) = signals(image, what);
    let mesh = engine().face_mesh(image, &face).expect("mesh runs");
    close_eyes(image, &mesh.points)
}

fn openness(s: &FrameSignals, what: &str) -> f32 {
    s.eye_openness
        .unwrap_or_else(|| panic!("{what}: eyes large enough to measure"))
}

#[test]
fn painted_shut_eyes_read_shut_on_real_faces() {
    let t = ActionThresholds::default();
    let clip = decode_video_file(
        &testdata("videos/single_face.mp4"),
        &VideoOptions::default(),
    )
    .expect("single_face decodes");
    let mut faces: Vec<(String, RgbImage)> = ["obama.jpg", "obama2.jpg", "obama3.jpg", "biden.jpg"]
        .iter()
        .map(|name| (name.to_string(), photo(name)))
        .collect();
    faces.push(("single_face.mp4 frame 5".into(), clip.frames[5].clone()));
    faces.push(("single_face.mp4 frame 25".into(), clip.frames[25].clone()));

    let mut failures = Vec::new();
    for (what, image) in &faces {
        let (face, open) = signals(image, what);
        let closed_image = shut_eyes(image, what);
        let (closed_face, closed) = signals(&closed_image, &format!("{what} (eyes shut)"));
        let (o, c) = (openness(&open, what), openness(&closed, what));
        println!(
            "{what:26} eye openness open {o:.3} shut {c:.3} (ratio {:.2}) | landmark EAR open {:.3} \
             shut {:.3} | presence {:.2} → {:.2}",
            c / o,
            open.eye_aspect_ratio,
            closed.eye_aspect_ratio,
            open.presence,
            closed.presence
        );
        // Painting the eyes must leave the same, clearly present face.
        assert!(
            closed_face.bbox.iou(&face.bbox) > 0.8,
            "{what}: the face moved"
        );
        assert!(
            closed.presence >= t.min_presence,
            "{what}: mesh lost the face"
        );
        if o < t.min_open_eye {
            failures.push(format!(
                "{what}: open eyes read {o:.3} < {}",
                t.min_open_eye
            ));
        }
        if c > o * (1.0 - t.blink_drop) {
            failures.push(format!(
                "{what}: shut eyes read {c:.3}, not below {:.3} (a blink's drop is {} of {o:.3})",
                o * (1.0 - t.blink_drop),
                t.blink_drop
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Writes the frames as a 15 fps H.264 MP4 with the FFmpeg CLI and returns its bytes.
fn encode_mp4(frames: &[RgbImage], dir: &Path, name: &str) -> Vec<u8> {
    let frame_dir = dir.join(name);
    std::fs::create_dir_all(&frame_dir).unwrap();
    for (i, f) in frames.iter().enumerate() {
        f.save(frame_dir.join(format!("{i:04}.png"))).unwrap();
    }
    let out = dir.join(format!("{name}.mp4"));
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-framerate", "15", "-i"])
        .arg(frame_dir.join("%04d.png"))
        .args([
            "-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "20", "-r", "15",
        ])
        .arg(&out)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success(), "ffmpeg encodes {name}");
    std::fs::read(out).unwrap()
}

/// Decodes a clip through heshen's own video path and analyses it.
fn analyse_clip(bytes: &[u8], what: &str) -> (SequenceAnalysis, f32) {
    let video = decode_video_bytes(bytes, &VideoOptions::default()).expect("clip decodes");
    let duration = video
        .info
        .duration_s
        .unwrap_or(video.frames.len() as f32 / 15.0);
    let analysis = engine()
        .analyse_frames(&video.frames, &ActionThresholds::default())
        .expect("analysis runs");
    let eyes: Vec<String> = analysis
        .frames
        .iter()
        .map(|f| match f.signals.and_then(|s| s.eye_openness) {
            Some(e) => format!("{e:.2}"),
            None => "-".into(),
        })
        .collect();
    println!(
        "{what}: {} frames, {duration:.2} s, eye openness [{}]\n  {}",
        video.frames.len(),
        eyes.join(" "),
        serde_json::to_string(&analysis.actions).unwrap()
    );
    (analysis, duration)
}

/// Frames `closed` of the blink clip are painted shut; the other clip is the same footage
/// untouched. Checks both through decoding, analysis and the FaceID verdict. A `flat` clip
/// (a held photo) blinks like a print with its eyes cut out: the blink is seen, and the
/// verdict still refuses a face that moves as one plane.
fn check_blink_and_control(
    open_frames: &[RgbImage],
    closed: std::ops::Range<usize>,
    what: &str,
    flat: bool,
) {
    let mut blink_frames = open_frames.to_vec();
    for i in closed.clone() {
        blink_frames[i] = shut_eyes(&open_frames[i], &format!("{what} frame {i}"));
    }
    let dir = tempfile::tempdir().unwrap();
    let blink_clip = encode_mp4(&blink_frames, dir.path(), "blink");
    let still_clip = encode_mp4(open_frames, dir.path(), "open");
    let challenge = Challenge::Actions(vec![LivenessAction::Blink]);

    let (blink, duration) = analyse_clip(&blink_clip, &format!("{what}, with blink"));
    let a = &blink.actions;
    assert_eq!(a.frames, open_frames.len(), "every frame decoded");
    assert_eq!(a.frames_with_face, a.frames, "the face is in every frame");
    assert!(a.blinked, "{what}: blink not detected: {a:?}");
    let at = a
        .events
        .iter()
        .find(|(e, _)| *e == LivenessAction::Blink)
        .map(|(_, at)| *at)
        .expect("blink event");
    assert!(
        at >= closed.end && at <= closed.end + 3,
        "{what}: the blink completes when the eyes reopen (frame {}), not at {at}",
        closed.end
    );
    assert!(a.performed_in_order(&[LivenessAction::Blink]));
    let verdict = decide(&blink, duration, &challenge, None, None).map_err(|f| f.kind);
    if flat {
        assert_eq!(verdict, Err(LivenessFailureKind::NotLive), "{what}: {a:?}");
    } else {
        assert_eq!(verdict, Ok(()), "{what}: {a:?}");
    }

    let (open, duration) = analyse_clip(&still_clip, &format!("{what}, eyes open"));
    let a = &open.actions;
    assert_eq!(a.frames_with_face, a.frames);
    assert!(!a.blinked, "{what}: blink reported without one: {a:?}");
    assert!(
        a.min_eye_openness >= a.open_eye_level * (1.0 - ActionThresholds::default().blink_drop),
        "{what}: open eyes dipped to {} of level {}",
        a.min_eye_openness,
        a.open_eye_level
    );
    let failure = decide(&open, duration, &challenge, None, None).unwrap_err();
    assert_eq!(failure.kind, LivenessFailureKind::NoBlink);
    assert_eq!(failure.result_code, 1207);
}

#[test]
fn blink_painted_into_a_real_video_is_detected_and_absent_otherwise() {
    // single_face.mp4: 2.4 s of a man talking and smiling; at 15 fps, 36 frames. Frames 17–20
    // (0.27 s, a slow blink) get their eyes shut.
    let video = decode_video_file(
        &testdata("videos/single_face.mp4"),
        &VideoOptions::default(),
    )
    .expect("single_face decodes");
    assert_eq!(video.frames.len(), 36);
    check_blink_and_control(&video.frames, 17..21, "single_face.mp4", false);
}

/// Bilinear resample of `base` shifted by (dx, dy), scaled about its centre and with its
/// brightness multiplied by `gain`: a photo held in front of a camera by a slightly shaky hand.
fn jitter(base: &RgbImage, dx: f32, dy: f32, scale: f32, gain: f32) -> RgbImage {
    let (w, h) = base.dimensions();
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    RgbImage::from_fn(w, h, |x, y| {
        let sx = ((x as f32 - cx) / scale + cx + dx).clamp(0.0, (w - 1) as f32);
        let sy = ((y as f32 - cy) / scale + cy + dy).clamp(0.0, (h - 1) as f32);
        let (x0, y0) = (sx.floor() as u32, sy.floor() as u32);
        let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
        let (fx, fy) = (sx - x0 as f32, sy - y0 as f32);
        let px = |x: u32, y: u32, c: usize| f32::from(base.get_pixel(x, y).0[c]);
        image::Rgb([0, 1, 2].map(|c| {
            let top = px(x0, y0, c) * (1.0 - fx) + px(x1, y0, c) * fx;
            let bottom = px(x0, y1, c) * (1.0 - fx) + px(x1, y1, c) * fx;
            ((top * (1.0 - fy) + bottom * fy) * gain)
                .round()
                .clamp(0.0, 255.0) as u8
        }))
    })
}

/// A 640×480 frame around the principal face of a photo.
fn portrait_frame(image: &RgbImage, what: &str) -> RgbImage {
    let (face, _) = signals(image, what);
    let c = face.bbox.center();
    let (iw, ih) = (image.width() as f32, image.height() as f32);
    let cw = (face.bbox.width() * 2.6).min(iw).min(ih * 4.0 / 3.0);
    let ch = cw * 3.0 / 4.0;
    let x0 = (c.x - cw / 2.0).clamp(0.0, iw - cw);
    let y0 = (c.y - ch / 2.0).clamp(0.0, ih - ch);
    let crop =
        image::imageops::crop_imm(image, x0 as u32, y0 as u32, cw as u32, ch as u32).to_image();
    image::imageops::resize(&crop, 640, 480, image::imageops::FilterType::CatmullRom)
}

#[test]
fn blink_painted_into_held_photos_is_detected_and_the_flat_face_refused() {
    for name in ["biden.jpg", "obama3.jpg"] {
        let base = portrait_frame(&photo(name), name);
        let frames: Vec<RgbImage> = (0..36)
            .map(|i| {
                let t = i as f32;
                jitter(
                    &base,
                    1.2 * (1.7 * t).sin(),
                    0.9 * (2.3 * t + 1.0).sin(),
                    1.0 + 0.006 * (0.9 * t).sin(),
                    1.0 + 0.015 * (1.3 * t).sin(),
                )
            })
            .collect();
        check_blink_and_control(&frames, 15..19, name, true);
    }
}
