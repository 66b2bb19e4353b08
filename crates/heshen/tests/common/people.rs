//! The people the vision tests film and enrol: a real face video, the frame of it the
//! authority registry holds, and someone else's photo; the server that knows them.

use super::browser::repo_root;
use super::Server;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The person filmed in carphone_pristine.mp4, enrolled with a frame of that video.
pub const FILMED_ID: &str = "110105196108040013";
pub const FILMED_NAME: &str = "车载男";
/// Someone else: enrolled with another person's photo.
pub const OTHER_ID: &str = "11010519491231002X";
pub const OTHER_NAME: &str = "韦小宝";

pub fn testdata(rel: &str) -> PathBuf {
    repo_root().join("../shared/testdata").join(rel)
}

pub fn models_dir() -> PathBuf {
    std::env::var_os("HESHEN_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared/models"))
}

pub fn ffmpeg(args: &[&str]) {
    let status = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y"])
        .args(args)
        .status()
        .expect("ffmpeg must be installed (scripts/setup_vision_deps.sh)");
    assert!(status.success(), "ffmpeg {args:?}");
}

/// The camera's feed: the video as y4m, which Chromium's fake capture device plays in a loop.
pub fn camera_feed(video: &Path, work: &Path) -> PathBuf {
    let out = work.join(format!(
        "{}.y4m",
        video.file_stem().unwrap().to_string_lossy()
    ));
    if !out.exists() {
        ffmpeg(&[
            "-i",
            video.to_str().unwrap(),
            "-pix_fmt",
            "yuv420p",
            out.to_str().unwrap(),
        ]);
    }
    out
}

pub fn frame_of(video: &Path, at: &str, out: &Path) -> Vec<u8> {
    ffmpeg(&[
        "-ss",
        at,
        "-i",
        video.to_str().unwrap(),
        "-frames:v",
        "1",
        out.to_str().unwrap(),
    ]);
    std::fs::read(out).unwrap()
}

pub async fn server_with_people(work: &Path) -> Server {
    let server = Server::start_with(|s| {
        s.models_dir = Some(models_dir());
        s.vision = "required".into();
        s.rate_limit_default = 0;
        // Small parts, so every recording the browser sends goes up in several.
        s.recording_part_bytes = 16 * 1024;
    })
    .await;
    let engine = server
        .state
        .vision()
        .expect("vision loaded")
        .engine()
        .clone();
    let store = server.state.store();
    let filmed = frame_of(
        &testdata("videos/carphone_pristine.mp4"),
        "1.5",
        &work.join("filmed.jpg"),
    );
    heshen_service::admin::enroll_identity(store, &engine, FILMED_ID, FILMED_NAME, filmed, "test")
        .await
        .unwrap();
    let other = std::fs::read(testdata("faces/biden.jpg")).unwrap();
    heshen_service::admin::enroll_identity(store, &engine, OTHER_ID, OTHER_NAME, other, "test")
        .await
        .unwrap();
    server
}
