//! Per-frame liveness measurements from the face mesh: eye openness, mouth openness and head
//! orientation.

use image::RgbImage;
use serde::Serialize;

use super::eyes::eye_openness;
use super::mesh::{FaceMesh, MeshPoint};

/// MediaPipe mesh indices used here.
mod idx {
    /// Eye corners and two upper/lower lid pairs: [outer, inner, upper1, upper2, lower1, lower2],
    /// where lower1 lies below upper1 and lower2 below upper2.
    pub const LEFT_EYE: [usize; 6] = [33, 133, 160, 158, 144, 153];
    pub const RIGHT_EYE: [usize; 6] = [263, 362, 387, 385, 373, 380];
    pub const UPPER_LIP_INNER: usize = 13;
    pub const LOWER_LIP_INNER: usize = 14;
    pub const MOUTH_LEFT: usize = 61;
    pub const MOUTH_RIGHT: usize = 291;
    pub const CHEEK_LEFT: usize = 234;
    pub const CHEEK_RIGHT: usize = 454;
    pub const FOREHEAD: usize = 10;
    pub const CHIN: usize = 152;
}

/// What one frame says about the face in it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FrameSignals {
    /// Landmark eye aspect ratio averaged over both eyes (0.17–0.37 on the test photos). For
    /// diagnostics only: the mesh hardly moves its lid points when the eyes shut (see
    /// [`super::eyes`]), so blinks are judged on `eye_openness`.
    pub eye_aspect_ratio: f32,
    /// Eye openness read from the pixels between the eye contours (~0.15–0.30 open, ~0.05
    /// shut); `None` when the eyes are too small to measure.
    pub eye_openness: Option<f32>,
    /// Inner-lip gap over mouth width: under ~0.05 closed, 0.3+ wide open.
    pub mouth_open_ratio: f32,
    /// Head turn in degrees (sign: positive when the face turns towards image-left).
    pub yaw_deg: f32,
    /// Head nod in degrees (sign: positive when the chin moves towards the camera).
    pub pitch_deg: f32,
    /// The mesh model's face-presence probability.
    pub presence: f32,
}

fn dist2d(a: MeshPoint, b: MeshPoint) -> f32 {
    ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt()
}

fn eye_aspect_ratio(p: &[MeshPoint], eye: [usize; 6]) -> f32 {
    let width = dist2d(p[eye[0]], p[eye[1]]).max(1e-3);
    // Each upper-lid point with the lower-lid point below it. (Pairing them crosswise, as this
    // once did, adds a quarter of the eye width horizontally to each "height": open eyes read
    // 0.41–0.50 and a fully shut eye could not fall below ~0.25.)
    (dist2d(p[eye[2]], p[eye[4]]) + dist2d(p[eye[3]], p[eye[5]])) / (2.0 * width)
}

/// Signals of one face from its mesh and the frame the mesh was computed on.
pub fn frame_signals(mesh: &FaceMesh, frame: &RgbImage) -> FrameSignals {
    let p = &mesh.points;
    let ear = (eye_aspect_ratio(p, idx::LEFT_EYE) + eye_aspect_ratio(p, idx::RIGHT_EYE)) / 2.0;
    let mouth_width = dist2d(p[idx::MOUTH_LEFT], p[idx::MOUTH_RIGHT]).max(1e-3);
    let mouth = dist2d(p[idx::UPPER_LIP_INNER], p[idx::LOWER_LIP_INNER]) / mouth_width;
    // Rotation of the cheek-to-cheek line out of the image plane is the yaw; of the
    // forehead-to-chin line, the pitch. Depth comes from the mesh's z.
    let (l, r) = (p[idx::CHEEK_LEFT], p[idx::CHEEK_RIGHT]);
    let across = ((r.x - l.x).powi(2) + (r.y - l.y).powi(2)).sqrt();
    let yaw = (r.z - l.z).atan2(across).to_degrees();
    let (top, chin) = (p[idx::FOREHEAD], p[idx::CHIN]);
    let down = ((chin.x - top.x).powi(2) + (chin.y - top.y).powi(2)).sqrt();
    let pitch = (top.z - chin.z).atan2(down).to_degrees();
    FrameSignals {
        eye_aspect_ratio: ear,
        eye_openness: eye_openness(frame, p),
        mouth_open_ratio: mouth,
        yaw_deg: yaw,
        pitch_deg: pitch,
        presence: mesh.presence,
    }
}
