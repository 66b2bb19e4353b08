//! Face embedding with MobileFaceNet (192-d), L2-normalised so cosine similarity is a dot
//! product.

use serde::Serialize;

use super::align::{AlignedFace, ALIGNED_SIZE};
use crate::error::{Result, VisionError};
use crate::runtime::{Model, TensorF32};

pub const EMBEDDING_DIM: usize = 192;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Embedding(pub Vec<f32>);

impl Embedding {
    /// Cosine similarity in [-1, 1].
    pub fn cosine(&self, other: &Embedding) -> f32 {
        self.0
            .iter()
            .zip(&other.0)
            .map(|(a, b)| a * b)
            .sum::<f32>()
            .clamp(-1.0, 1.0)
    }

    pub fn as_slice(&self) -> &[f32] {
        &self.0
    }

    /// Little-endian f32 bytes, for storing an embedding.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    pub fn from_bytes(bytes: &[u8]) -> Option<Embedding> {
        if bytes.len() != EMBEDDING_DIM * 4 {
            return None;
        }
        let values: Vec<f32> = bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        Some(Embedding(l2_normalise(values)?))
    }
}

fn l2_normalise(mut v: Vec<f32>) -> Option<Vec<f32>> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if !norm.is_finite() || norm <= f32::EPSILON {
        return None;
    }
    v.iter_mut().for_each(|x| *x /= norm);
    Some(v)
}

/// Embeds a batch of aligned faces in one inference.
pub fn embed_faces(model: &Model, faces: &[&AlignedFace]) -> Result<Vec<Embedding>> {
    if faces.is_empty() {
        return Ok(Vec::new());
    }
    let per_face = ALIGNED_SIZE * ALIGNED_SIZE * 3;
    let mut data = Vec::with_capacity(faces.len() * per_face);
    for face in faces {
        data.extend(face.pixels.iter().map(|v| (v - 127.5) / 128.0));
    }
    let input = TensorF32::new(vec![faces.len(), ALIGNED_SIZE, ALIGNED_SIZE, 3], data);
    let output = model.run(&[input])?.remove(0);
    output
        .data
        .chunks_exact(EMBEDDING_DIM)
        .map(|row| {
            l2_normalise(row.to_vec())
                .map(Embedding)
                .ok_or_else(|| VisionError::Inference("embedding has zero norm".into()))
        })
        .collect()
}
