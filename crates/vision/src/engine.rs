//! The face engine: one object holding the runtime and face models, with the operations the
//! CLI and API call (detect, embed, compare, liveness signals).

use image::RgbImage;
use serde::Serialize;

use crate::error::{Result, VisionError};
use crate::face::align::{align_face, AlignedFace};
use crate::face::embed::{embed_faces, Embedding};
use crate::face::geometry::{BoundingBox, Point};
use crate::face::mtcnn::{Mtcnn, MtcnnConfig};
use crate::face::quality::{assess, FaceQuality, QualityThresholds};
use crate::face::sampling::{shrink_by_blocks, AreaSampler, SAMPLER_MAX_PIXELS};
use crate::face::similarity::{sim_from_cosine, PASS_SIM};
use crate::image_input::{decode_image, decode_image_base64, DEFAULT_MAX_PIXELS};
use crate::models::FaceModels;
use crate::runtime::{Runtime, RuntimeConfig};

#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub runtime: RuntimeConfig,
    /// Refuse images above this many pixels before decoding them.
    pub max_pixels: u64,
    /// Faces are searched for as if the image's longer side were at most this, which bounds
    /// detector time on camera-sized photos (alignment still uses full resolution).
    pub detect_max_side: u32,
    /// Smallest face searched for by [`Engine::detect`], as a fraction of the detection
    /// image's shorter side, with an absolute floor of 20 px (MTCNN's practical minimum).
    pub min_face_fraction: f32,
    /// The same for the principal face of a verification photo. Such faces are large, and
    /// skipping the fine pyramid levels makes detection several times faster; when nothing is
    /// found this way the full search runs.
    pub principal_min_face_fraction: f32,
    pub quality: QualityThresholds,
    /// A second face whose area is at least this share of the largest one makes a photo
    /// ambiguous ("several faces"); smaller faces are background people and are ignored.
    pub competing_face_area: f32,
}

impl EngineConfig {
    pub fn new(runtime: RuntimeConfig) -> Self {
        EngineConfig {
            runtime,
            max_pixels: DEFAULT_MAX_PIXELS,
            detect_max_side: 960,
            min_face_fraction: 0.0,
            principal_min_face_fraction: 0.12,
            quality: QualityThresholds::default(),
            competing_face_area: 0.4,
        }
    }

    pub fn from_env() -> Self {
        EngineConfig::new(RuntimeConfig::from_env())
    }
}

/// A detected face in original-image coordinates, with its quality measurements.
#[derive(Debug, Clone, Serialize)]
pub struct Face {
    pub bbox: BoundingBox,
    /// Left eye, right eye, nose tip, left mouth corner, right mouth corner.
    pub landmarks: [Point; 5],
    /// Detector confidence in [0, 1].
    pub score: f32,
    pub quality: FaceQuality,
}

/// Result of a 1:1 comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// FaceID `Sim`, 0–100.
    pub sim: f32,
    /// `sim >= PASS_SIM`.
    pub pass: bool,
    pub cosine: f32,
    /// The face compared in each image (the largest one).
    pub face_a: Face,
    pub face_b: Face,
    /// Faces found in each image.
    pub faces_a: usize,
    pub faces_b: usize,
}

pub struct Engine {
    runtime: Runtime,
    models: FaceModels,
    config: EngineConfig,
    /// Loaded on first use; a failed load is kept, so every later read-aloud check refuses
    /// with the same reason until the models are fetched and the process restarts.
    speech: std::sync::OnceLock<std::result::Result<crate::speech::Speech, String>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("runtime", &self.runtime)
            .field("config", &self.config)
            .finish()
    }
}

impl Engine {
    /// Loads ONNX Runtime and every face model, checking their shapes.
    pub fn new(config: EngineConfig) -> Result<Self> {
        let runtime = Runtime::new(config.runtime.clone())?;
        let models = FaceModels::load(&runtime)?;
        Ok(Engine {
            runtime,
            models,
            config,
            speech: std::sync::OnceLock::new(),
        })
    }

    /// The speech models (voice activity and the recogniser), loading them on first use.
    pub fn speech(&self) -> Result<&crate::speech::Speech> {
        let loaded = self.speech.get_or_init(|| {
            let threads = self.config.runtime.speech_threads;
            crate::speech::Speech::load(&self.runtime, &self.config.runtime.models_dir, threads)
                .map_err(|e| e.to_string())
        });
        loaded.as_ref().map_err(|reason| VisionError::ModelInvalid {
            file: "speech models".into(),
            reason: reason.clone(),
        })
    }

    /// [`Engine::new`] with [`EngineConfig::from_env`].
    pub fn from_env() -> Result<Self> {
        Engine::new(EngineConfig::from_env())
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// Decodes image bytes with this engine's pixel limit.
    pub fn decode(&self, bytes: &[u8]) -> Result<RgbImage> {
        decode_image(bytes, self.config.max_pixels)
    }

    /// Decodes FaceID `ImageBase64` with this engine's pixel limit.
    pub fn decode_base64(&self, text: &str) -> Result<RgbImage> {
        decode_image_base64(text, self.config.max_pixels)
    }

    /// Every face in the image, largest first.
    pub fn detect(&self, image: &RgbImage) -> Result<Vec<Face>> {
        Ok(self
            .detect_aligned(image, self.config.min_face_fraction)?
            .into_iter()
            .map(|(face, _)| face)
            .collect())
    }

    fn detect_aligned(
        &self,
        image: &RgbImage,
        min_face_fraction: f32,
    ) -> Result<Vec<(Face, AlignedFace)>> {
        let (w, h) = image.dimensions();
        // Very large photos are box-shrunk by a whole factor first so the sampler's table
        // stays small; everything else is sampled at full resolution.
        let block = ((u64::from(w) * u64::from(h)) as f64 / SAMPLER_MAX_PIXELS as f64)
            .sqrt()
            .ceil()
            .max(1.0) as u32;
        let shrunk;
        let work = if block > 1 {
            shrunk = shrink_by_blocks(image, block);
            &shrunk
        } else {
            image
        };
        let sampler = AreaSampler::new(work);
        // Search as if the image were at most `detect_max_side` long: bounds P-Net's cost on
        // camera-sized photos, where a 20-pixel face is not worth looking for.
        let longer = work.width().max(work.height()) as f32;
        let detect_scale = (self.config.detect_max_side as f32 / longer).min(1.0);
        let min_side = work.width().min(work.height()) as f32 * detect_scale;
        let min_face_at_detect_scale = (min_side * min_face_fraction).max(20.0);
        let config = MtcnnConfig {
            min_face: min_face_at_detect_scale / detect_scale,
            ..MtcnnConfig::default()
        };
        let detector = Mtcnn {
            pnet: &self.models.pnet,
            rnet: &self.models.rnet,
            onet: &self.models.onet,
        };
        let (fx, fy) = (
            w as f32 / work.width() as f32,
            h as f32 / work.height() as f32,
        );
        let mut faces = Vec::new();
        for d in detector.detect(&sampler, &config)? {
            let bbox = BoundingBox::new(
                d.bbox.x1 * fx,
                d.bbox.y1 * fy,
                d.bbox.x2 * fx,
                d.bbox.y2 * fy,
            );
            let landmarks = d.landmarks.map(|p| Point::new(p.x * fx, p.y * fy));
            let Some(aligned) = align_face(image, &landmarks) else {
                continue;
            };
            let quality = assess(&bbox, &landmarks, &aligned, (w, h), &self.config.quality);
            faces.push((
                Face {
                    bbox,
                    landmarks,
                    score: d.score,
                    quality,
                },
                aligned,
            ));
        }
        faces.sort_by(|a, b| b.0.bbox.area().total_cmp(&a.0.bbox.area()));
        Ok(faces)
    }

    /// The one face a verification photo is about: the largest, provided no other face is
    /// comparable in size. Returns it with the number of faces seen.
    fn principal_face(&self, image: &RgbImage) -> Result<(Face, AlignedFace, usize)> {
        let mut faces = self.detect_aligned(image, self.config.principal_min_face_fraction)?;
        if faces.is_empty() {
            faces = self.detect_aligned(image, self.config.min_face_fraction)?;
        }
        let count = faces.len();
        if faces.is_empty() {
            return Err(VisionError::NoFace);
        }
        let largest = faces[0].0.bbox.area();
        let competing = faces
            .iter()
            .filter(|(f, _)| f.bbox.area() >= largest * self.config.competing_face_area)
            .count();
        if competing > 1 {
            return Err(VisionError::MultipleFaces(competing));
        }
        let (face, aligned) = faces.swap_remove(0);
        Ok((face, aligned, count))
    }

    /// Embedding of the image's principal face. Fails on no face, several comparable faces or
    /// a face whose quality is unusable for comparison.
    pub fn embed(&self, image: &RgbImage) -> Result<Embedding> {
        let (face, aligned, _) = self.principal_face(image)?;
        reject_poor_quality(&face)?;
        Ok(embed_faces(&self.models.embedder, &[&aligned])?.remove(0))
    }

    /// Embeddings of every face found (largest first), without quality gating.
    pub fn embed_all(&self, image: &RgbImage) -> Result<Vec<(Face, Embedding)>> {
        let faces = self.detect_aligned(image, self.config.min_face_fraction)?;
        let aligned: Vec<&AlignedFace> = faces.iter().map(|(_, a)| a).collect();
        let embeddings = embed_faces(&self.models.embedder, &aligned)?;
        Ok(faces.into_iter().map(|(f, _)| f).zip(embeddings).collect())
    }

    /// Embeds an image that is already a 112×112 face aligned to the five-point template.
    pub fn embed_aligned(&self, image: &RgbImage) -> Result<Embedding> {
        let size = crate::face::align::ALIGNED_SIZE as u32;
        let resized;
        let img = if image.dimensions() != (size, size) {
            resized =
                image::imageops::resize(image, size, size, image::imageops::FilterType::Triangle);
            &resized
        } else {
            image
        };
        let pixels: Vec<f32> = img.as_raw().iter().map(|&v| f32::from(v)).collect();
        let aligned = AlignedFace {
            pixels,
            residual: 0.0,
        };
        Ok(embed_faces(&self.models.embedder, &[&aligned])?.remove(0))
    }

    /// 1:1 comparison of the principal faces of two images. Both faces are embedded in one
    /// batch. Quality problems that make comparison meaningless (too small, incomplete,
    /// covered) fail the call; the rest are reported in each face's `quality`.
    pub fn compare(&self, a: &RgbImage, b: &RgbImage) -> Result<Comparison> {
        let (face_a, aligned_a, faces_a) = self.principal_face(a)?;
        let (face_b, aligned_b, faces_b) = self.principal_face(b)?;
        reject_poor_quality(&face_a)?;
        reject_poor_quality(&face_b)?;
        let embeddings = embed_faces(&self.models.embedder, &[&aligned_a, &aligned_b])?;
        let cosine = embeddings[0].cosine(&embeddings[1]);
        let sim = sim_from_cosine(cosine);
        Ok(Comparison {
            sim,
            pass: sim >= PASS_SIM,
            cosine,
            face_a,
            face_b,
            faces_a,
            faces_b,
        })
    }

    /// Compares a photo's principal face with a stored embedding (e.g. an enrolled ID photo).
    pub fn compare_with_embedding(
        &self,
        image: &RgbImage,
        reference: &Embedding,
    ) -> Result<(f32, Face)> {
        let (face, aligned, _) = self.principal_face(image)?;
        reject_poor_quality(&face)?;
        let embedding = embed_faces(&self.models.embedder, &[&aligned])?.remove(0);
        Ok((sim_from_cosine(embedding.cosine(reference)), face))
    }
}

/// Issues that make an embedding unreliable enough to refuse rather than score.
fn reject_poor_quality(face: &Face) -> Result<()> {
    use crate::error::QualityIssue::*;
    match face
        .quality
        .issues
        .iter()
        .find(|i| matches!(i, FaceTooSmall | FaceIncomplete | Occluded))
    {
        Some(issue) => Err(VisionError::PoorQuality(*issue)),
        None => Ok(()),
    }
}

/// Per-frame face findings for a frame series (a liveness video).
#[derive(Debug, Clone, Serialize)]
pub struct FrameFinding {
    /// Faces detected in the frame.
    pub faces: usize,
    /// The principal face, when there is exactly one usable one.
    pub face: Option<Face>,
    pub signals: Option<crate::liveness::FrameSignals>,
}

/// Face analysis of a whole frame series.
#[derive(Debug, Clone, Serialize)]
pub struct SequenceAnalysis {
    pub frames: Vec<FrameFinding>,
    pub actions: crate::liveness::ActionReport,
    /// Largest number of faces seen in one frame.
    pub max_faces: usize,
    /// Frame best suited for comparison (frontal, sharp, large), if any frame had a face.
    pub best_frame: Option<usize>,
    /// The light on the face and around it in each frame, for the colour-flash check.
    pub light: Vec<Option<crate::liveness::flash::LightSample>>,
    /// Presentation time (s) of each frame; empty when the frames came without times.
    pub frame_times: Vec<f32>,
    /// Index in the decoded video of each analysed frame.
    pub source_frames: Vec<usize>,
    /// (time s, eye openness) of every decoded frame whose eyes were read, analysed or not.
    pub eyes: Vec<(f32, f32)>,
}

impl Engine {
    /// Liveness signals of the principal face of one frame; `None` when the frame has no face.
    pub fn frame_signals(
        &self,
        frame: &RgbImage,
    ) -> Result<Option<(Face, crate::liveness::FrameSignals)>> {
        let face = match self.principal_face(frame) {
            Ok((face, _, _)) => face,
            Err(VisionError::NoFace) | Err(VisionError::MultipleFaces(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        let signals = self.signals_for(frame, &face)?;
        Ok(Some((face, signals)))
    }

    fn signals_for(&self, frame: &RgbImage, face: &Face) -> Result<crate::liveness::FrameSignals> {
        Ok(self.signals_and_points(frame, face)?.0)
    }

    /// The face's signals and its mesh landmarks in image coordinates.
    fn signals_and_points(
        &self,
        frame: &RgbImage,
        face: &Face,
    ) -> Result<(
        crate::liveness::FrameSignals,
        Vec<crate::liveness::rigidity::Point>,
    )> {
        let mesh = self.face_mesh(frame, face)?;
        let points = mesh.points.iter().map(|p| (p.x, p.y)).collect();
        Ok((
            crate::liveness::signals::frame_signals(&mesh, frame),
            points,
        ))
    }

    /// What a liveness series keeps of one frame's face: its signals, its mesh landmarks and
    /// the light on it.
    #[allow(clippy::type_complexity)]
    fn measured(
        &self,
        frame: &RgbImage,
        face: &Face,
    ) -> Result<(
        crate::liveness::FrameSignals,
        Vec<crate::liveness::rigidity::Point>,
        Option<crate::liveness::flash::LightSample>,
    )> {
        let (signals, points) = self.signals_and_points(frame, face)?;
        let light = crate::liveness::flash::light_sample(frame, &points, &face.bbox);
        Ok((signals, points, light))
    }

    /// Dense 468-point mesh of a detected face.
    pub fn face_mesh(
        &self,
        image: &RgbImage,
        face: &Face,
    ) -> Result<crate::liveness::mesh::FaceMesh> {
        crate::liveness::mesh::face_mesh(
            &self.models.mesh,
            image,
            &face.bbox,
            face.landmarks[0],
            face.landmarks[1],
        )
    }

    /// Advisory passive anti-spoof scores of a detected face (signals, not verdicts).
    pub fn passive_scores(
        &self,
        image: &RgbImage,
        face: &Face,
    ) -> Result<crate::liveness::PassiveScores> {
        crate::liveness::passive::passive_scores(
            &self.models.antispoof,
            &self.models.liveness,
            image,
            &face.bbox,
        )
    }

    /// Detects faces and liveness signals in every frame and decides which actions the series
    /// shows.
    pub fn analyse_frames(
        &self,
        frames: &[RgbImage],
        thresholds: &crate::liveness::ActionThresholds,
    ) -> Result<SequenceAnalysis> {
        let frames: Vec<&RgbImage> = frames.iter().collect();
        Ok(self.analyse_each(&frames, thresholds, DETECT_EVERY)?.0)
    }

    /// The analysis of `frames`, with each frame's mesh landmarks; one frame in `detect_every`
    /// runs the detector.
    #[allow(clippy::type_complexity)]
    fn analyse_each(
        &self,
        frames: &[&RgbImage],
        thresholds: &crate::liveness::ActionThresholds,
        detect_every: usize,
    ) -> Result<(SequenceAnalysis, Vec<Option<Vec<(f32, f32)>>>)> {
        let mut findings = Vec::with_capacity(frames.len());
        let mut landmarks: Vec<Option<Vec<(f32, f32)>>> = Vec::with_capacity(frames.len());
        let mut light = Vec::with_capacity(frames.len());
        // The last detection (its face, how many faces it saw, its mesh) while the face has
        // been followed from frame to frame since.
        let mut tracked: Option<(Face, usize, Vec<(f32, f32)>)> = None;
        for (n, frame) in frames.iter().enumerate() {
            if n % detect_every.max(1) != 0 {
                if let Some((detected, count, at_detection)) = &tracked {
                    let previous = landmarks.last().and_then(Option::as_ref);
                    if let Some(face) = previous.and_then(|p| followed(detected, at_detection, p)) {
                        let (signals, points, lit) = self.measured(frame, &face)?;
                        if signals.presence >= thresholds.min_presence {
                            light.push(lit);
                            landmarks.push(Some(points));
                            findings.push(FrameFinding {
                                faces: *count,
                                face: None,
                                signals: Some(signals),
                            });
                            continue;
                        }
                    }
                }
            }
            // A frame that runs the detector only for its own crop (a blink challenge's, between
            // the frames that count faces) looks for faces near the followed one's size: the
            // small pyramid levels are most of the detector's cost.
            let near_size = match &tracked {
                Some((detected, count, _)) if detect_every == 1 && n % DETECT_EVERY != 0 => {
                    let side = detected.bbox.width().min(detected.bbox.height());
                    let min_side = frame.width().min(frame.height()) as f32;
                    let fraction = FOLLOWED_FACE_SHARE * side / min_side.max(1.0);
                    let faces = self.detect_aligned(frame, fraction)?;
                    (!faces.is_empty()).then_some((faces, *count))
                }
                _ => None,
            };
            let (mut faces, count) = match near_size {
                Some(found) => found,
                None => {
                    let mut faces =
                        self.detect_aligned(frame, self.config.principal_min_face_fraction)?;
                    if faces.is_empty() {
                        faces = self.detect_aligned(frame, self.config.min_face_fraction)?;
                    }
                    let count = faces.len();
                    (faces, count)
                }
            };
            let largest = faces.first().map(|(f, _)| f.bbox.area()).unwrap_or(0.0);
            let competing = faces
                .iter()
                .filter(|(f, _)| f.bbox.area() >= largest * self.config.competing_face_area)
                .count();
            let (face, signals) = if competing == 1 {
                let face = faces.swap_remove(0).0;
                let (signals, points, lit) = self.measured(frame, &face)?;
                light.push(lit);
                tracked = Some((face.clone(), count, points.clone()));
                landmarks.push(Some(points));
                (Some(face), Some(signals))
            } else {
                tracked = None;
                landmarks.push(None);
                light.push(None);
                (None, None)
            };
            findings.push(FrameFinding {
                faces: count,
                face,
                signals,
            });
        }
        let series: Vec<Option<crate::liveness::FrameSignals>> =
            findings.iter().map(|f| f.signals).collect();
        let mut actions = crate::liveness::analyse_actions(&series, thresholds);
        actions.nonplanar_motion =
            crate::liveness::rigidity::nonplanar_motion(&landmarks, crate::liveness::EYE_CORNERS);
        let max_faces = findings.iter().map(|f| f.faces).max().unwrap_or(0);
        let best_frame = findings
            .iter()
            .enumerate()
            .filter_map(|(i, f)| f.face.as_ref().map(|face| (i, frame_suitability(face))))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(i, _)| i);
        let source_frames = (0..findings.len()).collect();
        let analysis = SequenceAnalysis {
            frames: findings,
            actions,
            max_faces,
            best_frame,
            light,
            frame_times: Vec::new(),
            source_frames,
            eyes: Vec::new(),
        };
        Ok((analysis, landmarks))
    }

    /// The analysis of a decoded video with its frame times. A video decoded faster than
    /// [`ANALYSIS_FPS`] (for a blink challenge) is analysed at that rate, and the frames in
    /// between are read for eye openness only, with landmarks interpolated between the analysed
    /// frames around them: blinks are shorter than the analysis rate can see, and the eyes'
    /// place changes little in 33 ms.
    pub fn analyse_video(
        &self,
        video: &crate::video::DecodedVideo,
        thresholds: &crate::liveness::ActionThresholds,
    ) -> Result<SequenceAnalysis> {
        let stride = analysis_stride(&video.frame_times);
        let picked: Vec<usize> = (0..video.frames.len()).step_by(stride).collect();
        let frames: Vec<&RgbImage> = picked.iter().map(|&i| &video.frames[i]).collect();
        // Eyes read between analysed frames need the detector's own crop on each: the eye
        // measure's blink margins are too thin for a followed face's slightly other crop.
        let detect_every = if stride > 1 { 1 } else { DETECT_EVERY };
        let (mut analysis, landmarks) = self.analyse_each(&frames, thresholds, detect_every)?;
        let time = |i: usize| {
            video
                .frame_times
                .get(i)
                .copied()
                .unwrap_or(i as f32 / crate::liveness::sequence::NOMINAL_FPS)
        };
        analysis.frame_times = picked.iter().map(|&i| time(i)).collect();
        let mut eyes = Vec::new();
        for (k, &i) in picked.iter().enumerate() {
            let signals = analysis.frames[k]
                .signals
                .filter(|s| s.presence >= thresholds.min_presence);
            let (Some(signals), Some(points)) = (signals, &landmarks[k]) else {
                continue;
            };
            if let Some(e) = signals.eye_openness {
                eyes.push((time(i), e));
            }
            // The frames in between take the landmarks moved part of the way towards the next
            // analysed frame's, when it has a face: a head in motion carries its eyes along.
            let next = landmarks.get(k + 1).and_then(Option::as_ref);
            for j in i + 1..(i + stride).min(video.frames.len()) {
                let share = (j - i) as f32 / stride as f32;
                let mesh: Vec<crate::liveness::mesh::MeshPoint> = points
                    .iter()
                    .enumerate()
                    .map(|(n, &(x, y))| {
                        let (tx, ty) = next.and_then(|p| p.get(n)).copied().unwrap_or((x, y));
                        crate::liveness::mesh::MeshPoint {
                            x: x + (tx - x) * share,
                            y: y + (ty - y) * share,
                            z: 0.0,
                        }
                    })
                    .collect();
                if let Some(e) = crate::liveness::eyes::eye_openness(&video.frames[j], &mesh) {
                    eyes.push((time(j), e));
                }
            }
        }
        analysis
            .actions
            .retime_blink(&eyes, &analysis.frame_times, thresholds);
        analysis.source_frames = picked;
        analysis.eyes = eyes;
        Ok(analysis)
    }
}

/// One frame in this many runs the face detector; the ones between follow the face by its
/// mesh. MTCNN costs about 13 ms a frame at 640×480 against FaceMesh's 5 (a 4 s clip at 15 fps
/// spends most of its decision time detecting a face it already knows). Every third frame
/// still counts the faces, so a second face is seen within 200 ms.
const DETECT_EVERY: usize = 3;

/// Between the frames that count faces, a blink challenge's detector looks for faces at least
/// this share of the followed face's side: a competing face (0.4 of its area, 0.63 of its
/// side) is still found, and a face that shrinks by a third within 70 ms is not a person.
const FOLLOWED_FACE_SHARE: f32 = 0.6;

/// The detected face moved with the mesh: its box and eye points shifted by how far the mesh
/// centre moved from the detection to the last frame, and scaled by how the mesh grew, so the
/// mesh is cropped as it is on a detected frame. `None` for a degenerate mesh.
fn followed(detected: &Face, at_detection: &[(f32, f32)], last: &[(f32, f32)]) -> Option<Face> {
    let centre_and_size = |points: &[(f32, f32)]| -> Option<((f32, f32), f32)> {
        let n = points.len() as f32;
        if points.is_empty() {
            return None;
        }
        let cx = points.iter().map(|p| p.0).sum::<f32>() / n;
        let cy = points.iter().map(|p| p.1).sum::<f32>() / n;
        let spread = points
            .iter()
            .map(|p| ((p.0 - cx).powi(2) + (p.1 - cy).powi(2)).sqrt())
            .sum::<f32>()
            / n;
        (spread.is_finite() && spread > 1.0).then_some(((cx, cy), spread))
    };
    let ((x0, y0), s0) = centre_and_size(at_detection)?;
    let ((x1, y1), s1) = centre_and_size(last)?;
    let scale = s1 / s0;
    let moved = |x: f32, y: f32| (x1 + (x - x0) * scale, y1 + (y - y0) * scale);
    let b = &detected.bbox;
    let (bx1, by1) = moved(b.x1, b.y1);
    let (bx2, by2) = moved(b.x2, b.y2);
    let mut face = detected.clone();
    face.bbox = crate::face::BoundingBox::new(bx1, by1, bx2, by2);
    for point in face.landmarks.iter_mut() {
        let (x, y) = moved(point.x, point.y);
        point.x = x;
        point.y = y;
    }
    Some(face)
}

/// Frames a second the full face analysis runs at.
pub const ANALYSIS_FPS: f32 = 15.0;

/// Every how many decoded frames one is analysed in full.
fn analysis_stride(times: &[f32]) -> usize {
    if times.len() < 3 {
        return 1;
    }
    let span = times[times.len() - 1] - times[0];
    let fps = (times.len() - 1) as f32 / span.max(1e-3);
    ((fps / ANALYSIS_FPS).round() as usize).max(1)
}

/// Higher for faces better suited to comparison: sharp, frontal, large, no quality issues.
fn frame_suitability(face: &Face) -> f32 {
    let q = &face.quality;
    let frontal = 1.0 - (q.yaw_deg.abs() + q.pitch_deg.abs()) / 90.0;
    let sharp = (q.sharpness / 200.0).min(1.0);
    let size = (q.face_px / 200.0).min(1.0);
    let penalty = q.issues.len() as f32;
    frontal + sharp + size - penalty
}
