//! Video input through the FFmpeg command-line tools (`ffprobe`, `ffmpeg`): sampled RGB frames
//! and mono 16 kHz PCM audio. Running the CLI keeps a large C library out of our process and
//! lets a crash on hostile input kill only the child.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use image::RgbImage;
use serde::Serialize;

use crate::error::{Result, VisionError};

pub const AUDIO_SAMPLE_RATE: u32 = 16_000;

#[derive(Debug, Clone)]
pub struct VideoOptions {
    /// Frames per second to sample. A blink closes the eyes for 100–150 ms, so blink
    /// detection needs at least ~12 fps; 15 leaves a margin.
    pub fps: f32,
    /// Stop after this many frames.
    pub max_frames: usize,
    /// Frames are scaled so their longer side is at most this.
    pub max_side: u32,
    /// Only this much of the input is read, in seconds.
    pub max_duration_s: f32,
    /// Also decode the audio track.
    pub with_audio: bool,
    /// Refuse inputs whose container says they are longer than this (seconds); `None` reads
    /// the first `max_duration_s` of any input.
    pub reject_longer_than_s: Option<f32>,
    /// Kill ffmpeg/ffprobe after this long: a hostile file must not hold a worker forever.
    pub tool_timeout: Duration,
}

impl Default for VideoOptions {
    fn default() -> Self {
        VideoOptions {
            fps: 15.0,
            max_frames: 180,
            max_side: 640,
            max_duration_s: 30.0,
            with_audio: true,
            reject_longer_than_s: None,
            tool_timeout: Duration::from_secs(60),
        }
    }
}

/// What `ffprobe` says about a file.
#[derive(Debug, Clone, Serialize)]
pub struct VideoInfo {
    /// Display size (after rotation metadata is applied).
    pub width: u32,
    pub height: u32,
    pub duration_s: Option<f32>,
    pub has_video: bool,
    pub has_audio: bool,
}

#[derive(Debug, Clone)]
pub struct DecodedVideo {
    pub info: VideoInfo,
    pub frames: Vec<RgbImage>,
    /// Presentation time of each frame in seconds.
    pub frame_times: Vec<f32>,
    /// Mono signed 16-bit PCM at [`AUDIO_SAMPLE_RATE`], when the file has audio and it was
    /// requested.
    pub audio: Option<Vec<i16>>,
}

impl DecodedVideo {
    /// The audio track, or the FaceID "no voice" error when the file has none.
    pub fn audio(&self) -> Result<&[i16]> {
        match &self.audio {
            Some(samples) if !samples.is_empty() => Ok(samples),
            _ => Err(VisionError::VideoNoAudio),
        }
    }
}

/// Checks that `ffmpeg` and `ffprobe` can be run.
pub fn ffmpeg_available() -> Result<()> {
    for tool in ["ffmpeg", "ffprobe"] {
        let ok = Command::new(tool)
            .arg("-version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .map_err(|e| VisionError::FfmpegMissing(format!("{tool}: {e}")))?;
        if !ok {
            return Err(VisionError::FfmpegMissing(format!(
                "{tool} -version failed"
            )));
        }
    }
    Ok(())
}

/// What the decoders may open: local files only, through the demuxers of the recordings
/// heshen accepts (MP4/MOV from iOS, WebM/Matroska from Chrome and Firefox, and a few common
/// containers). Playlist and concatenation demuxers (HLS, `concat`, image sequences), which
/// open further files or URLs named inside an upload, are not among them.
const INPUT_GUARD: [&str; 4] = [
    "-protocol_whitelist",
    "file",
    "-format_whitelist",
    "mov,matroska,webm,avi,flv,mpegts,ogg,wav,mp3,aac",
];

/// Runs a tool to completion and returns its stdout, or an error that says why without
/// echoing the tool's stderr (it names temporary paths). Both pipes are drained while the
/// child runs, so a chatty child cannot block on a full pipe; past `timeout` it is killed.
fn run_tool(command: &mut Command, timeout: Duration) -> Result<Vec<u8>> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut command = tokio::process::Command::from(std::mem::replace(command, Command::new("")));
    command.kill_on_drop(true);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let output = runtime.block_on(async {
        let child = command
            .spawn()
            .map_err(|e| VisionError::FfmpegMissing(e.to_string()))?;
        match tokio::time::timeout(timeout, child.wait_with_output()).await {
            Ok(output) => Ok(output?),
            // Dropping the child kills it (`kill_on_drop`).
            Err(_) => Err(VisionError::VideoDecode(format!(
                "decoder timed out after {} s",
                timeout.as_secs()
            ))),
        }
    })?;
    if !output.status.success() {
        let text = String::from_utf8_lossy(&output.stderr);
        tracing::debug!(stderr = %text.trim(), "decoder refused the input");
        return Err(VisionError::VideoDecode(decoder_complaint(&text)));
    }
    Ok(output.stdout)
}

/// A decoder's complaint in general words: the kind of problem, never its text.
fn decoder_complaint(stderr: &str) -> String {
    let text = stderr.to_ascii_lowercase();
    let kind = if text.contains("not on whitelist") || text.contains("protocol") {
        "the container is not one heshen accepts"
    } else if text.contains("invalid data") || text.contains("moov atom not found") {
        "the file is not a readable video"
    } else if text.contains("decoder") || text.contains("codec") {
        "the video's codec cannot be decoded"
    } else {
        "the decoder could not read it"
    };
    kind.to_string()
}

pub fn probe(path: &Path, timeout: Duration) -> Result<VideoInfo> {
    let out = run_tool(
        Command::new("ffprobe")
            .args(INPUT_GUARD)
            .args([
                "-v",
                "error",
                "-print_format",
                "json",
                "-show_format",
                "-show_streams",
            ])
            .arg(path),
        timeout,
    )?;
    let json: serde_json::Value = serde_json::from_slice(&out)
        .map_err(|e| VisionError::VideoDecode(format!("ffprobe output: {e}")))?;
    let streams = json["streams"].as_array().cloned().unwrap_or_default();
    let video = streams.iter().find(|s| s["codec_type"] == "video");
    let has_audio = streams.iter().any(|s| s["codec_type"] == "audio");
    let (mut width, mut height) = video
        .map(|v| {
            (
                v["width"].as_u64().unwrap_or(0) as u32,
                v["height"].as_u64().unwrap_or(0) as u32,
            )
        })
        .unwrap_or((0, 0));
    if let Some(v) = video {
        if rotation_degrees(v).rem_euclid(180) == 90 {
            std::mem::swap(&mut width, &mut height);
        }
    }
    let duration_s = json["format"]["duration"]
        .as_str()
        .and_then(|d| d.parse::<f32>().ok());
    Ok(VideoInfo {
        width,
        height,
        duration_s,
        has_video: video.is_some() && width > 0 && height > 0,
        has_audio,
    })
}

/// Rotation from either the legacy `rotate` tag or the display-matrix side data.
fn rotation_degrees(stream: &serde_json::Value) -> i64 {
    if let Some(r) = stream["tags"]["rotate"]
        .as_str()
        .and_then(|r| r.parse().ok())
    {
        return r;
    }
    stream["side_data_list"]
        .as_array()
        .and_then(|list| list.iter().find_map(|d| d["rotation"].as_i64()))
        .unwrap_or(0)
}

/// Decodes a video file.
pub fn decode_video_file(path: &Path, options: &VideoOptions) -> Result<DecodedVideo> {
    let info = probe(path, options.tool_timeout)?;
    if !info.has_video {
        return Err(VisionError::VideoNoFrames);
    }
    if let (Some(limit), Some(seconds)) = (options.reject_longer_than_s, info.duration_s) {
        if seconds > limit {
            return Err(VisionError::VideoTooLong { seconds, limit });
        }
    }
    let scale = (options.max_side as f32 / info.width.max(info.height) as f32).min(1.0);
    let (w, h) = (
        ((info.width as f32 * scale).round() as u32).max(2),
        ((info.height as f32 * scale).round() as u32).max(2),
    );
    let duration = format!("{}", options.max_duration_s);
    let raw = run_tool(
        Command::new("ffmpeg")
            .args(["-v", "error", "-nostdin"])
            .args(INPUT_GUARD)
            .args(["-t", &duration, "-i"])
            .arg(path)
            .args([
                "-an",
                "-vf",
                &format!("fps={},scale={w}:{h}:flags=area", options.fps),
                "-frames:v",
                &options.max_frames.to_string(),
                "-f",
                "rawvideo",
                "-pix_fmt",
                "rgb24",
                "pipe:1",
            ]),
        options.tool_timeout,
    )?;
    let frame_bytes = (w * h * 3) as usize;
    let frames: Vec<RgbImage> = raw
        .chunks_exact(frame_bytes)
        .filter_map(|chunk| RgbImage::from_raw(w, h, chunk.to_vec()))
        .collect();
    if frames.is_empty() {
        return Err(VisionError::VideoNoFrames);
    }
    let frame_times = (0..frames.len()).map(|i| i as f32 / options.fps).collect();
    let audio = if options.with_audio && info.has_audio {
        Some(decode_audio_file(
            path,
            options.max_duration_s,
            options.tool_timeout,
        )?)
    } else {
        None
    };
    Ok(DecodedVideo {
        info,
        frames,
        frame_times,
        audio,
    })
}

/// Mono 16 kHz signed 16-bit PCM of a file's audio track.
pub fn decode_audio_file(path: &Path, max_duration_s: f32, timeout: Duration) -> Result<Vec<i16>> {
    let duration = format!("{max_duration_s}");
    let raw = run_tool(
        Command::new("ffmpeg")
            .args(["-v", "error", "-nostdin"])
            .args(INPUT_GUARD)
            .args(["-t", &duration, "-i"])
            .arg(path)
            .args(["-vn", "-ac", "1", "-ar", &AUDIO_SAMPLE_RATE.to_string()])
            .args(["-f", "s16le", "pipe:1"]),
        timeout,
    )
    .map_err(|e| match e {
        // "Output file does not contain any stream" and the like.
        VisionError::VideoDecode(msg) if msg.contains("stream") => VisionError::VideoNoAudio,
        other => other,
    })?;
    if raw.is_empty() {
        return Err(VisionError::VideoNoAudio);
    }
    Ok(raw
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect())
}

/// Decodes a video held in memory (FaceID `VideoBase64`). MP4 needs seeking (its index may
/// sit at the end), so the bytes go to a private temporary file rather than a pipe.
pub fn decode_video_bytes(bytes: &[u8], options: &VideoOptions) -> Result<DecodedVideo> {
    if bytes.is_empty() {
        return Err(VisionError::VideoNoFrames);
    }
    let mut file = tempfile::Builder::new()
        .prefix("heshen-video-")
        .tempfile()?;
    file.write_all(bytes)?;
    file.flush()?;
    decode_video_file(file.path(), options)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn a_real_video() -> std::path::PathBuf {
        let here = Path::new(env!("CARGO_MANIFEST_DIR"));
        here.join("../../../shared/testdata/videos/single_face.mp4")
    }

    #[test]
    fn uploads_cannot_make_the_decoder_open_other_files() {
        let real = a_real_video();
        assert!(real.exists(), "{}", real.display());
        assert!(decode_video_file(&real, &VideoOptions::default()).is_ok());
        let concat = format!("ffconcat version 1.0\nfile '{}'\n", real.display());
        let playlist = format!(
            "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile://{}\n#EXT-X-ENDLIST\n",
            real.display()
        );
        for upload in [concat, playlist] {
            let err = decode_video_bytes(upload.as_bytes(), &VideoOptions::default())
                .expect_err("a list of other files is not a video");
            let text = err.to_string();
            assert!(matches!(err, VisionError::VideoDecode(_)), "{text}");
            assert!(!text.contains("heshen-video-"), "no temporary path: {text}");
        }
    }

    #[test]
    fn a_hanging_tool_is_killed_at_the_deadline() {
        let start = Instant::now();
        let err = run_tool(
            &mut *Command::new("sleep").arg("5"),
            Duration::from_millis(200),
        )
        .unwrap_err();
        assert!(matches!(err, VisionError::VideoDecode(ref m) if m.contains("timed out")));
        assert!(start.elapsed() < Duration::from_secs(3));
    }

    #[test]
    fn a_missing_tool_is_reported_as_missing() {
        let err = run_tool(
            &mut Command::new("/nonexistent/ffmpeg-heshen"),
            Duration::from_secs(1),
        )
        .unwrap_err();
        assert!(err.is_engine_fault(), "{err}");
    }
}
