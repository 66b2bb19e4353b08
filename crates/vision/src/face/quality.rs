//! Image-quality measurements of one detected face, and the thresholds that turn them into
//! FaceID refusals.

use serde::Serialize;

use super::align::{AlignedFace, ALIGNED_SIZE};
use super::geometry::{BoundingBox, Point};
use super::sampling::to_grey;
use crate::error::QualityIssue;

#[derive(Debug, Clone, Serialize)]
pub struct QualityThresholds {
    /// Shorter side of the face box, in pixels of the original image.
    pub min_face_px: f32,
    /// Laplacian variance of the aligned grey face; sharp photos measure in the hundreds.
    pub min_sharpness: f32,
    pub max_abs_yaw_deg: f32,
    pub max_abs_pitch_deg: f32,
    pub min_brightness: f32,
    pub max_brightness: f32,
    /// Share of the face box allowed outside the image.
    pub max_outside: f32,
    /// Mean landmark-to-template distance (template pixels) above which the five points do
    /// not look like an uncovered face.
    pub max_alignment_residual: f32,
    /// Lower-face/eye edge-energy ratio below which the mouth area counts as covered. Uncovered
    /// faces in our photos measure 0.63–1.88; a flat cover measures ~0.
    pub min_lower_face_texture: f32,
}

impl Default for QualityThresholds {
    fn default() -> Self {
        QualityThresholds {
            min_face_px: 40.0,
            min_sharpness: 25.0,
            max_abs_yaw_deg: 45.0,
            max_abs_pitch_deg: 40.0,
            min_brightness: 45.0,
            max_brightness: 225.0,
            max_outside: 0.15,
            max_alignment_residual: 9.0,
            min_lower_face_texture: 0.3,
        }
    }
}

/// Measured quality of one face.
#[derive(Debug, Clone, Serialize)]
pub struct FaceQuality {
    pub face_px: f32,
    pub sharpness: f32,
    pub yaw_deg: f32,
    pub pitch_deg: f32,
    pub roll_deg: f32,
    pub brightness: f32,
    pub outside_fraction: f32,
    pub alignment_residual: f32,
    /// Edge energy around the mouth relative to around the eyes, in the aligned face. Lips,
    /// teeth and nostrils make the lower face about as busy as the eyes; a mask, scarf or hand
    /// makes it flat.
    pub lower_face_texture: f32,
    /// Problems found, most serious first.
    pub issues: Vec<QualityIssue>,
}

impl FaceQuality {
    pub fn is_acceptable(&self) -> bool {
        self.issues.is_empty()
    }
}

/// Head pose in degrees from the five MTCNN landmarks (rough, ±10°): yaw from the nose's
/// offset from the eye midline, pitch from the nose's height between eyes and mouth, roll from
/// the eye line.
pub fn pose_from_landmarks(landmarks: &[Point; 5]) -> (f32, f32, f32) {
    let [left_eye, right_eye, nose, mouth_left, mouth_right] = *landmarks;
    let roll = (right_eye.y - left_eye.y).atan2(right_eye.x - left_eye.x);
    // Undo roll so yaw and pitch are measured along the face's own axes.
    let (sin, cos) = (-roll).sin_cos();
    let eyes = left_eye.midpoint(right_eye);
    let rotate = |p: Point| {
        let (dx, dy) = (p.x - eyes.x, p.y - eyes.y);
        Point::new(dx * cos - dy * sin, dx * sin + dy * cos)
    };
    let eye_span = left_eye.distance(right_eye).max(1.0);
    let nose_r = rotate(nose);
    let mouth_r = rotate(mouth_left.midpoint(mouth_right));
    // A frontal nose tip protrudes about 0.6 eye-spans; its sideways shift is depth·sin(yaw).
    let yaw = (nose_r.x / (0.6 * eye_span)).clamp(-1.0, 1.0).asin();
    // In the alignment template the nose sits 0.494 of the way from eyes to mouth.
    let face_height = mouth_r.y.max(1.0);
    let pitch = ((nose_r.y / face_height - 0.494) / 0.6)
        .clamp(-1.0, 1.0)
        .asin();
    (yaw.to_degrees(), pitch.to_degrees(), roll.to_degrees())
}

/// Variance of the 4-neighbour Laplacian over the central part of the aligned face (the
/// border holds background and warp padding).
pub fn sharpness(grey: &[f32], size: usize) -> f32 {
    let margin = size / 6;
    let mut values = Vec::with_capacity(size * size);
    for y in margin.max(1)..size - margin.max(1) {
        for x in margin.max(1)..size - margin.max(1) {
            let c = grey[y * size + x];
            let lap = grey[(y - 1) * size + x]
                + grey[(y + 1) * size + x]
                + grey[y * size + x - 1]
                + grey[y * size + x + 1]
                - 4.0 * c;
            values.push(lap);
        }
    }
    variance(&values)
}

fn variance(values: &[f32]) -> f32 {
    if values.is_empty() {
        return 0.0;
    }
    let n = values.len() as f32;
    let mean = values.iter().sum::<f32>() / n;
    values.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / n
}

/// Mean absolute horizontal+vertical gradient over a rectangle of the aligned grey face.
fn edge_energy(grey: &[f32], size: usize, x: (usize, usize), y: (usize, usize)) -> f32 {
    let mut sum = 0.0f32;
    let mut n = 0.0f32;
    for row in y.0..y.1 {
        for col in x.0..x.1 {
            let c = grey[row * size + col];
            sum +=
                (grey[row * size + col + 1] - c).abs() + (grey[(row + 1) * size + col] - c).abs();
            n += 1.0;
        }
    }
    sum / n.max(1.0)
}

/// Lower-face edge energy over eye-region edge energy. Regions follow the alignment template:
/// eyes around y≈52, nose tip y≈72, mouth y≈92.
fn lower_face_texture(grey: &[f32], size: usize) -> f32 {
    let eyes = edge_energy(grey, size, (28, 84), (42, 62));
    let mouth = edge_energy(grey, size, (34, 78), (78, 104));
    mouth / eyes.max(1e-3)
}

/// Mean grey level over the centre of the aligned face (skin, eyes, mouth).
fn brightness(grey: &[f32], size: usize) -> f32 {
    let (lo, hi) = (size / 4, size * 3 / 4);
    let mut sum = 0.0;
    let mut n = 0.0;
    for y in lo..hi {
        for x in lo..hi {
            sum += grey[y * size + x];
            n += 1.0;
        }
    }
    sum / n
}

pub fn assess(
    bbox: &BoundingBox,
    landmarks: &[Point; 5],
    aligned: &AlignedFace,
    image_size: (u32, u32),
    limits: &QualityThresholds,
) -> FaceQuality {
    let grey = to_grey(&aligned.pixels);
    let (yaw, pitch, roll) = pose_from_landmarks(landmarks);
    let mut quality = FaceQuality {
        face_px: bbox.width().min(bbox.height()),
        sharpness: sharpness(&grey, ALIGNED_SIZE),
        yaw_deg: yaw,
        pitch_deg: pitch,
        roll_deg: roll,
        brightness: brightness(&grey, ALIGNED_SIZE),
        outside_fraction: bbox.fraction_outside(image_size.0, image_size.1),
        alignment_residual: aligned.residual,
        lower_face_texture: lower_face_texture(&grey, ALIGNED_SIZE),
        issues: Vec::new(),
    };
    let q = &quality;
    let mut issues = Vec::new();
    if q.outside_fraction > limits.max_outside {
        issues.push(QualityIssue::FaceIncomplete);
    }
    if q.face_px < limits.min_face_px {
        issues.push(QualityIssue::FaceTooSmall);
    }
    if q.yaw_deg.abs() > limits.max_abs_yaw_deg || q.pitch_deg.abs() > limits.max_abs_pitch_deg {
        issues.push(QualityIssue::PoseTooLarge);
    } else if q.alignment_residual > limits.max_alignment_residual
        || q.lower_face_texture < limits.min_lower_face_texture
    {
        // Landmarks that fit no face shape at moderate pose are usually guesses around a
        // covered region; a featureless mouth area is a mask, scarf or hand.
        issues.push(QualityIssue::Occluded);
    }
    if q.brightness < limits.min_brightness {
        issues.push(QualityIssue::TooDark);
    } else if q.brightness > limits.max_brightness {
        issues.push(QualityIssue::TooBright);
    }
    if q.sharpness < limits.min_sharpness {
        issues.push(QualityIssue::Blurry);
    }
    quality.issues = issues;
    quality
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::face::align::TEMPLATE_112;

    #[test]
    fn template_landmarks_are_frontal() {
        let (yaw, pitch, roll) = pose_from_landmarks(&TEMPLATE_112);
        assert!(yaw.abs() < 3.0 && pitch.abs() < 3.0 && roll.abs() < 1.0);
    }

    #[test]
    fn nose_shifted_sideways_reads_as_yaw() {
        let mut turned = TEMPLATE_112;
        turned[2].x += 15.0;
        let (yaw, _, _) = pose_from_landmarks(&turned);
        assert!(yaw > 30.0, "yaw {yaw}");
    }

    #[test]
    fn flat_image_has_no_sharpness() {
        let flat = vec![128.0; ALIGNED_SIZE * ALIGNED_SIZE];
        assert_eq!(sharpness(&flat, ALIGNED_SIZE), 0.0);
        let checker: Vec<f32> = (0..ALIGNED_SIZE * ALIGNED_SIZE)
            .map(|i| {
                if (i / ALIGNED_SIZE + i % ALIGNED_SIZE) % 2 == 0 {
                    0.0
                } else {
                    255.0
                }
            })
            .collect();
        assert!(sharpness(&checker, ALIGNED_SIZE) > 1000.0);
    }
}
