//! 468-point face mesh (MediaPipe FaceMesh) on a roll-corrected square crop around a detected
//! face.

use image::RgbImage;

use crate::error::Result;
use crate::face::geometry::{BoundingBox, Point, Similarity};
use crate::face::sampling::warp_bilinear;
use crate::runtime::{Model, TensorF32};

pub const MESH_INPUT: usize = 192;
pub const MESH_POINTS: usize = 468;
/// The mesh model expects the face to fill about two thirds of its crop.
const CROP_MARGIN: f32 = 1.5;

/// A mesh point in image pixels; `z` is depth on the same scale (smaller = nearer the camera).
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct MeshPoint {
    pub x: f32,
    pub y: f32,
    pub z: f32,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct FaceMesh {
    pub points: Vec<MeshPoint>,
    /// The model's own "a face is in the crop" probability.
    pub presence: f32,
}

/// Runs the mesh model on the crop defined by a face box and its eye landmarks.
pub fn face_mesh(
    model: &Model,
    image: &RgbImage,
    bbox: &BoundingBox,
    left_eye: Point,
    right_eye: Point,
) -> Result<FaceMesh> {
    let roll = (right_eye.y - left_eye.y).atan2(right_eye.x - left_eye.x);
    let side = bbox.width().max(bbox.height()) * CROP_MARGIN;
    let centre = bbox.center();
    let scale = side / MESH_INPUT as f32;
    let (sin, cos) = roll.sin_cos();
    let half = MESH_INPUT as f32 / 2.0;
    // crop (u,v) → image: centre + R(roll)·scale·((u,v) − half)
    let crop_to_image = Similarity {
        a: scale * cos,
        b: scale * sin,
        tx: centre.x - scale * (cos * half - sin * half),
        ty: centre.y - scale * (sin * half + cos * half),
    };
    let pixels = warp_bilinear(image, &crop_to_image, MESH_INPUT, MESH_INPUT);
    let input = TensorF32::new(
        vec![1, MESH_INPUT, MESH_INPUT, 3],
        pixels.iter().map(|v| v / 255.0).collect(),
    );
    let outputs = model.run(&[input])?;
    let raw = &outputs[0].data;
    let presence = 1.0 / (1.0 + (-outputs[1].data[0]).exp());
    let points = raw
        .chunks_exact(3)
        .take(MESH_POINTS)
        .map(|p| {
            let q = crop_to_image.apply(Point::new(p[0], p[1]));
            MeshPoint {
                x: q.x,
                y: q.y,
                z: p[2] * scale,
            }
        })
        .collect();
    Ok(FaceMesh { points, presence })
}
