//! Video decoding and liveness signals on real clips.

mod face_support;

use face_support::{engine, testdata};
use heshen_vision::liveness::{ActionThresholds, LivenessAction};
use heshen_vision::video::{decode_video_bytes, decode_video_file, VideoOptions};
use heshen_vision::VisionError;

#[test]
fn carphone_shows_mouth_opening_and_head_turning() {
    let video = decode_video_file(
        &testdata("videos/carphone_pristine.mp4"),
        &VideoOptions::default(),
    )
    .expect("carphone decodes");
    assert!(video.frames.len() >= 25, "{} frames", video.frames.len());
    assert!(
        matches!(video.audio(), Err(VisionError::VideoNoAudio)),
        "clip has no audio track"
    );
    let analysis = engine()
        .analyse_frames(&video.frames, &ActionThresholds::default())
        .unwrap();
    let a = &analysis.actions;
    println!("{}", serde_json::to_string(a).unwrap());
    assert_eq!(
        a.frames_with_face,
        video.frames.len(),
        "the talker is in every frame"
    );
    assert!(a.mouth_opened, "mouth opens wide in this clip");
    assert!(a.max_mouth_open_ratio > 0.3 && a.min_mouth_open_ratio < 0.08);
    assert!(a.turned_head, "head turns: yaw range {}", a.yaw_range_deg);
    assert!(a.performed_in_order(&[LivenessAction::OpenMouth]));
    assert_eq!(analysis.max_faces, 1);
    assert!(analysis.best_frame.is_some());
}

#[test]
fn still_frames_show_no_action() {
    // The same frame repeated is what a held-up photo looks like: nothing may be detected.
    let video = decode_video_file(
        &testdata("videos/carphone_pristine.mp4"),
        &VideoOptions::default(),
    )
    .unwrap();
    let still = vec![video.frames[0].clone(); 12];
    let a = engine()
        .analyse_frames(&still, &ActionThresholds::default())
        .unwrap()
        .actions;
    assert!(
        !a.blinked && !a.mouth_opened && !a.turned_head && !a.nodded,
        "{a:?}"
    );
}

#[test]
fn cartoon_video_yields_no_faces() {
    let video =
        decode_video_file(&testdata("videos/no_face.mp4"), &VideoOptions::default()).unwrap();
    assert!(!video.frames.is_empty());
    let analysis = engine()
        .analyse_frames(&video.frames, &ActionThresholds::default())
        .unwrap();
    assert_eq!(
        analysis.max_faces,
        0,
        "{:?}",
        analysis.frames.iter().map(|f| f.faces).collect::<Vec<_>>()
    );
    assert_eq!(analysis.actions.frames_with_face, 0);
    assert!(analysis.best_frame.is_none());
}

#[test]
fn single_face_video_has_one_face_throughout() {
    let video = decode_video_file(
        &testdata("videos/single_face.mp4"),
        &VideoOptions::default(),
    )
    .unwrap();
    let analysis = engine()
        .analyse_frames(&video.frames, &ActionThresholds::default())
        .unwrap();
    assert_eq!(analysis.max_faces, 1);
    assert!(analysis.actions.frames_with_face * 10 >= video.frames.len() * 9);
}

#[test]
fn video_errors_are_classified() {
    let opts = VideoOptions::default();
    assert!(matches!(
        decode_video_bytes(&[], &opts),
        Err(VisionError::VideoNoFrames)
    ));
    let garbage = decode_video_bytes(b"this is not a video at all", &opts).unwrap_err();
    assert!(matches!(garbage, VisionError::VideoDecode(_)), "{garbage}");

    let full = std::fs::read(testdata("videos/carphone_pristine.mp4")).unwrap();
    let truncated = decode_video_bytes(&full[..full.len() / 10], &opts);
    match truncated {
        Err(e) => assert!(
            matches!(e, VisionError::VideoDecode(_) | VisionError::VideoNoFrames),
            "{e}"
        ),
        Ok(v) => assert!(
            v.frames.len() < 32,
            "a tenth of the file cannot hold every frame"
        ),
    }

    // A PNG is an image, not a video with frames over time; whatever ffmpeg makes of it must
    // not panic, and an audio request must say there is no audio.
    let png = std::fs::read(testdata("faces/Tom_Hanks_54745.png")).unwrap();
    if let Ok(v) = decode_video_bytes(&png, &opts) {
        assert!(matches!(v.audio(), Err(VisionError::VideoNoAudio)));
    }
}

#[test]
fn overlong_video_is_refused_when_asked() {
    let opts = VideoOptions {
        reject_longer_than_s: Some(2.0),
        ..VideoOptions::default()
    };
    let err = decode_video_file(&testdata("videos/carphone_pristine.mp4"), &opts).unwrap_err();
    assert!(matches!(err, VisionError::VideoTooLong { .. }), "{err}");
}

#[test]
fn audio_track_is_decoded_to_16k_mono() {
    // Build a clip with a tone so the audio path is exercised on real ffmpeg output.
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("tone.mp4");
    let status = std::process::Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=160x120:rate=10:duration=1",
        ])
        .args([
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:duration=1",
            "-shortest",
        ])
        .args(["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac"])
        .arg(&clip)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success());
    let v = decode_video_file(&clip, &VideoOptions::default()).unwrap();
    let audio = v.audio().unwrap();
    let seconds = audio.len() as f32 / 16_000.0;
    assert!((0.8..1.3).contains(&seconds), "{seconds} s of audio");
    let peak = audio.iter().map(|s| s.unsigned_abs()).max().unwrap();
    assert!(peak > 1000, "tone is audible: peak {peak}");
    assert_eq!(v.frames[0].dimensions(), (160, 120));
}
