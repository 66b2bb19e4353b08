//! MTCNN face detector: P-Net over an image pyramid proposes windows, R-Net and O-Net refine
//! them, O-Net also places five landmarks (eyes, nose tip, mouth corners).
//!
//! The ONNX files are a Keras port of the original Caffe weights, which were trained on
//! column-major (MATLAB) images: every input is fed transposed (width before height) and the
//! P-Net maps come back transposed. Normalisation is `(v − 127.5) / 128`.

use super::geometry::{non_max_suppression, BoundingBox, OverlapMetric, Point};
use super::sampling::AreaSampler;
use crate::error::Result;
use crate::runtime::{Model, TensorF32};

/// MTCNN's receptive field of one P-Net output cell, in pixels of its pyramid level.
const CELL: f32 = 12.0;
const STRIDE: f32 = 2.0;
/// Bounds memory and time on pathological images that light up every cell.
const MAX_PROPOSALS: usize = 3000;
const REFINE_BATCH: usize = 256;

#[derive(Debug, Clone)]
pub struct MtcnnConfig {
    /// Smallest face searched for, in pixels of the sampled image. The pyramid starts at the
    /// scale where such a face spans P-Net's 12-pixel window.
    pub min_face: f32,
    /// Ratio between pyramid levels.
    pub scale_factor: f32,
    /// Score floors of P-Net, R-Net and O-Net. O-Net's floor is 0.9 rather than the original
    /// 0.7: real faces in our photos and clips score ≥ 0.996, while blurred cartoon lettering
    /// reached 0.81.
    pub thresholds: [f32; 3],
}

impl Default for MtcnnConfig {
    fn default() -> Self {
        MtcnnConfig {
            min_face: 20.0,
            scale_factor: 0.709,
            thresholds: [0.6, 0.7, 0.9],
        }
    }
}

/// One detection in the coordinates of the image it was found in.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Detection {
    pub bbox: BoundingBox,
    /// Left eye, right eye (as seen in the image), nose tip, left and right mouth corner.
    pub landmarks: [Point; 5],
    pub score: f32,
}

pub struct Mtcnn<'m> {
    pub pnet: &'m Model,
    pub rnet: &'m Model,
    pub onet: &'m Model,
}

#[derive(Debug, Clone, Copy)]
struct Candidate {
    bbox: BoundingBox,
    score: f32,
    /// Box regression offsets, as fractions of the box size.
    reg: [f32; 4],
}

impl Mtcnn<'_> {
    /// Detects faces in the image behind `sampler`; coordinates are in its pixels.
    pub fn detect(&self, sampler: &AreaSampler, config: &MtcnnConfig) -> Result<Vec<Detection>> {
        let proposals = self.propose(sampler, config)?;
        if proposals.is_empty() {
            return Ok(Vec::new());
        }
        let refined = self.refine(sampler, &proposals, config.thresholds[1])?;
        if refined.is_empty() {
            return Ok(Vec::new());
        }
        self.output(sampler, &refined, config.thresholds[2])
    }

    fn pyramid_scales(width: usize, height: usize, config: &MtcnnConfig) -> Vec<f32> {
        let mut scales = Vec::new();
        let first = CELL / config.min_face.max(CELL);
        let mut min_layer = width.min(height) as f32 * first;
        let mut scale = first;
        while min_layer >= CELL {
            scales.push(scale);
            scale *= config.scale_factor;
            min_layer *= config.scale_factor;
        }
        scales
    }

    /// Stage 1: P-Net over every pyramid level.
    fn propose(&self, sampler: &AreaSampler, config: &MtcnnConfig) -> Result<Vec<BoundingBox>> {
        let (w, h) = (sampler.width(), sampler.height());
        let mut all: Vec<Candidate> = Vec::new();
        for scale in Self::pyramid_scales(w, h, config) {
            let lw = (w as f32 * scale).ceil() as usize;
            let lh = (h as f32 * scale).ceil() as usize;
            if lw < CELL as usize || lh < CELL as usize {
                continue;
            }
            let pixels = sampler.resample((0.0, 0.0, w as f32, h as f32), lw, lh);
            let input = TensorF32::new(vec![1, lw, lh, 3], transpose_normalise(&pixels, lw, lh));
            let outputs = self.pnet.run(&[input])?;
            let (reg, prob) = (&outputs[0], &outputs[1]);
            // Output maps are [1, W', H', C] (transposed like the input).
            let (gw, gh) = (prob.shape[1], prob.shape[2]);
            let mut level: Vec<Candidate> = Vec::new();
            for gx in 0..gw {
                for gy in 0..gh {
                    let cell = gx * gh + gy;
                    let score = prob.data[cell * 2 + 1];
                    if score < config.thresholds[0] {
                        continue;
                    }
                    let (fx, fy) = (gx as f32, gy as f32);
                    level.push(Candidate {
                        bbox: BoundingBox::new(
                            ((STRIDE * fx + 1.0) / scale).trunc(),
                            ((STRIDE * fy + 1.0) / scale).trunc(),
                            ((STRIDE * fx + CELL) / scale).trunc(),
                            ((STRIDE * fy + CELL) / scale).trunc(),
                        ),
                        score,
                        reg: [
                            reg.data[cell * 4],
                            reg.data[cell * 4 + 1],
                            reg.data[cell * 4 + 2],
                            reg.data[cell * 4 + 3],
                        ],
                    });
                }
            }
            let keep = nms(&level, 0.5, OverlapMetric::Iou);
            all.extend(keep.into_iter().map(|i| level[i]));
            if all.len() > MAX_PROPOSALS {
                all.sort_by(|a, b| b.score.total_cmp(&a.score));
                all.truncate(MAX_PROPOSALS);
            }
        }
        let keep = nms(&all, 0.7, OverlapMetric::Iou);
        Ok(keep
            .into_iter()
            .map(|i| {
                let c = all[i];
                let (bw, bh) = (c.bbox.width(), c.bbox.height());
                truncate(
                    BoundingBox::new(
                        c.bbox.x1 + c.reg[0] * bw,
                        c.bbox.y1 + c.reg[1] * bh,
                        c.bbox.x2 + c.reg[2] * bw,
                        c.bbox.y2 + c.reg[3] * bh,
                    )
                    .to_square(),
                )
            })
            .collect())
    }

    /// Stage 2: R-Net rescoring and box regression on 24×24 crops.
    fn refine(
        &self,
        sampler: &AreaSampler,
        boxes: &[BoundingBox],
        threshold: f32,
    ) -> Result<Vec<BoundingBox>> {
        let mut passed: Vec<Candidate> = Vec::new();
        for chunk in boxes.chunks(REFINE_BATCH) {
            let input = crops(sampler, chunk, 24);
            let outputs = self.rnet.run(&[input])?;
            let (reg, prob) = (&outputs[0], &outputs[1]);
            for (i, b) in chunk.iter().enumerate() {
                let score = prob.data[i * 2 + 1];
                if score > threshold {
                    passed.push(Candidate {
                        bbox: *b,
                        score,
                        reg: [
                            reg.data[i * 4],
                            reg.data[i * 4 + 1],
                            reg.data[i * 4 + 2],
                            reg.data[i * 4 + 3],
                        ],
                    });
                }
            }
        }
        let keep = nms(&passed, 0.7, OverlapMetric::Iou);
        Ok(keep
            .into_iter()
            .map(|i| truncate(regress(&passed[i]).to_square()))
            .collect())
    }

    /// Stage 3: O-Net final score, box and landmarks on 48×48 crops.
    fn output(
        &self,
        sampler: &AreaSampler,
        boxes: &[BoundingBox],
        threshold: f32,
    ) -> Result<Vec<Detection>> {
        let mut found: Vec<(Candidate, [Point; 5])> = Vec::new();
        for chunk in boxes.chunks(REFINE_BATCH) {
            let input = crops(sampler, chunk, 48);
            let outputs = self.onet.run(&[input])?;
            let (reg, marks, prob) = (&outputs[0], &outputs[1], &outputs[2]);
            for (i, b) in chunk.iter().enumerate() {
                let score = prob.data[i * 2 + 1];
                if score <= threshold {
                    continue;
                }
                let (bw, bh) = (b.x2 - b.x1 + 1.0, b.y2 - b.y1 + 1.0);
                let m = &marks.data[i * 10..i * 10 + 10];
                let landmarks = std::array::from_fn(|k| {
                    Point::new(bw * m[k] + b.x1 - 1.0, bh * m[k + 5] + b.y1 - 1.0)
                });
                let candidate = Candidate {
                    bbox: *b,
                    score,
                    reg: [
                        reg.data[i * 4],
                        reg.data[i * 4 + 1],
                        reg.data[i * 4 + 2],
                        reg.data[i * 4 + 3],
                    ],
                };
                found.push((candidate, landmarks));
            }
        }
        let regressed: Vec<Candidate> = found
            .iter()
            .map(|(c, _)| Candidate {
                bbox: regress(c),
                ..*c
            })
            .collect();
        let keep = nms(&regressed, 0.7, OverlapMetric::SmallerBox);
        Ok(keep
            .into_iter()
            .map(|i| Detection {
                bbox: regressed[i].bbox,
                landmarks: found[i].1,
                score: regressed[i].score,
            })
            .collect())
    }
}

fn nms(candidates: &[Candidate], threshold: f32, metric: OverlapMetric) -> Vec<usize> {
    let boxes: Vec<BoundingBox> = candidates.iter().map(|c| c.bbox).collect();
    let scores: Vec<f32> = candidates.iter().map(|c| c.score).collect();
    non_max_suppression(&boxes, &scores, threshold, metric)
}

/// R-Net/O-Net box regression; their offsets are relative to the inclusive pixel size.
fn regress(c: &Candidate) -> BoundingBox {
    let (w, h) = (c.bbox.x2 - c.bbox.x1 + 1.0, c.bbox.y2 - c.bbox.y1 + 1.0);
    BoundingBox::new(
        c.bbox.x1 + c.reg[0] * w,
        c.bbox.y1 + c.reg[1] * h,
        c.bbox.x2 + c.reg[2] * w,
        c.bbox.y2 + c.reg[3] * h,
    )
}

fn truncate(b: BoundingBox) -> BoundingBox {
    BoundingBox::new(b.x1.trunc(), b.y1.trunc(), b.x2.trunc(), b.y2.trunc())
}

/// Crops each box (pixels `x1..=x2`, zero-padded outside the image) to `size`², transposed and
/// normalised, as one batch.
fn crops(sampler: &AreaSampler, boxes: &[BoundingBox], size: usize) -> TensorF32 {
    let mut data = Vec::with_capacity(boxes.len() * size * size * 3);
    for b in boxes {
        let pixels = sampler.resample((b.x1, b.y1, b.x2 + 1.0, b.y2 + 1.0), size, size);
        data.extend(transpose_normalise(&pixels, size, size));
    }
    TensorF32::new(vec![boxes.len(), size, size, 3], data)
}

/// HWC 0..255 → WHC `(v − 127.5)/128`.
fn transpose_normalise(pixels: &[f32], width: usize, height: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; pixels.len()];
    for y in 0..height {
        for x in 0..width {
            let src = (y * width + x) * 3;
            let dst = (x * height + y) * 3;
            for c in 0..3 {
                out[dst + c] = (pixels[src + c] - 127.5) * 0.0078125;
            }
        }
    }
    out
}
