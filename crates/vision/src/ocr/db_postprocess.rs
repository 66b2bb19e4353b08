//! Turns the DB text detector's probability map into text-line quadrilaterals.
//!
//! DB is trained on text regions shrunk towards their centre line, so each connected region of
//! the thresholded map is boxed by its minimum-area rectangle, scored by the mean probability
//! inside, and grown back by an offset proportional to area / perimeter.

use image::{GrayImage, Luma};
use imageproc::contours::{find_contours, BorderType};
use imageproc::geometry::min_area_rect;
use imageproc::point::Point as PixelPoint;

use super::geometry::{Point, Quad};

/// Tunables of the post-processing, with PP-OCR's usual values as defaults.
#[derive(Debug, Clone, Copy)]
pub struct DbParams {
    /// Probability above which a pixel counts as text.
    pub binary_threshold: f32,
    /// Minimum mean probability inside a box for it to be kept.
    pub box_threshold: f32,
    /// Growth factor: offset = area × ratio / perimeter.
    pub unclip_ratio: f32,
    /// Boxes whose short side is below this many map pixels are noise.
    pub min_side: f32,
}

impl Default for DbParams {
    fn default() -> Self {
        DbParams {
            binary_threshold: 0.3,
            box_threshold: 0.5,
            unclip_ratio: 1.6,
            min_side: 3.0,
        }
    }
}

/// A probability map of `width × height` values in row-major order.
pub struct ProbabilityMap<'a> {
    pub width: usize,
    pub height: usize,
    pub values: &'a [f32],
}

/// A detected text line in original-image pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct TextBox {
    pub quad: Quad,
    pub score: f32,
}

/// Extracts text boxes, scaling map coordinates by `(scale_x, scale_y)` into the original image.
pub fn extract_boxes(
    map: &ProbabilityMap<'_>,
    params: &DbParams,
    scale_x: f32,
    scale_y: f32,
) -> Vec<TextBox> {
    let bitmap = binarise(map, params.binary_threshold);
    let mut boxes = Vec::new();
    for contour in find_contours::<i32>(&bitmap) {
        if contour.border_type != BorderType::Outer || contour.points.len() < 4 {
            continue;
        }
        let rect = Quad::from_unordered(min_area_rect(&contour.points).map(to_point));
        if short_side(&rect) < params.min_side {
            continue;
        }
        let score = mean_inside(map, &rect);
        if score < params.box_threshold {
            continue;
        }
        let grown = rect.grown(unclip_distance(&rect, params.unclip_ratio));
        if short_side(&grown) < params.min_side + 2.0 {
            continue;
        }
        let quad = grown.map(|p| {
            Point::new(
                (p.x * scale_x).clamp(0.0, map.width as f32 * scale_x),
                (p.y * scale_y).clamp(0.0, map.height as f32 * scale_y),
            )
        });
        boxes.push(TextBox { quad, score });
    }
    boxes
}

fn binarise(map: &ProbabilityMap<'_>, threshold: f32) -> GrayImage {
    GrayImage::from_fn(map.width as u32, map.height as u32, |x, y| {
        let value = map.values[y as usize * map.width + x as usize];
        Luma([if value > threshold { 255 } else { 0 }])
    })
}

fn to_point(p: PixelPoint<i32>) -> Point {
    Point::new(p.x as f32, p.y as f32)
}

fn short_side(quad: &Quad) -> f32 {
    let [tl, tr, _, bl] = quad.corners;
    tl.distance(tr).min(tl.distance(bl))
}

fn unclip_distance(rect: &Quad, ratio: f32) -> f32 {
    let [tl, tr, _, bl] = rect.corners;
    let (w, h) = (tl.distance(tr), tl.distance(bl));
    // The min-area rect lies on pixel centres; one pixel is added so a 1-pixel-wide region
    // has non-zero area.
    let (w, h) = (w + 1.0, h + 1.0);
    w * h * ratio / (2.0 * (w + h))
}

/// Mean probability over the map pixels whose centres fall inside `quad`.
fn mean_inside(map: &ProbabilityMap<'_>, quad: &Quad) -> f32 {
    let xs = quad.corners.map(|p| p.x);
    let ys = quad.corners.map(|p| p.y);
    let clamp = |v: f32, max: usize| (v.max(0.0) as usize).min(max - 1);
    let x0 = clamp(
        xs.iter().copied().fold(f32::MAX, f32::min).floor(),
        map.width,
    );
    let x1 = clamp(
        xs.iter().copied().fold(f32::MIN, f32::max).ceil(),
        map.width,
    );
    let y0 = clamp(
        ys.iter().copied().fold(f32::MAX, f32::min).floor(),
        map.height,
    );
    let y1 = clamp(
        ys.iter().copied().fold(f32::MIN, f32::max).ceil(),
        map.height,
    );
    // Grow by half a pixel so points on the rectangle's edge (contour pixels) count as inside.
    let probe = quad.grown(0.5);
    let mut sum = 0.0f64;
    let mut count = 0usize;
    for y in y0..=y1 {
        for x in x0..=x1 {
            if probe.contains(Point::new(x as f32, y as f32)) {
                sum += f64::from(map.values[y * map.width + x]);
                count += 1;
            }
        }
    }
    if count == 0 {
        0.0
    } else {
        (sum / count as f64) as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_one_box_per_blob_and_grows_it() {
        let (width, height) = (60, 30);
        let mut values = vec![0.0f32; width * height];
        // A 30×6 text blob at x 10..40, y 10..16, and a tiny speck that must be dropped.
        for y in 10..16 {
            for x in 10..40 {
                values[y * width + x] = 0.9;
            }
        }
        values[25 * width + 55] = 0.9;
        let map = ProbabilityMap {
            width,
            height,
            values: &values,
        };
        let boxes = extract_boxes(&map, &DbParams::default(), 2.0, 2.0);
        assert_eq!(boxes.len(), 1);
        let quad = boxes[0].quad;
        assert!(boxes[0].score > 0.85);
        // Grown by about 31×7×1.6/76 ≈ 4.6 map pixels, then doubled by the scale.
        assert!(
            (quad.corners[0].x - 2.0 * (10.0 - 4.6)).abs() < 1.5,
            "{quad:?}"
        );
        assert!(
            (quad.corners[2].y - 2.0 * (15.0 + 4.6)).abs() < 1.5,
            "{quad:?}"
        );
    }

    #[test]
    fn weak_regions_are_rejected() {
        let (width, height) = (40, 20);
        let mut values = vec![0.0f32; width * height];
        for y in 5..12 {
            for x in 5..30 {
                values[y * width + x] = 0.35;
            }
        }
        let map = ProbabilityMap {
            width,
            height,
            values: &values,
        };
        assert!(extract_boxes(&map, &DbParams::default(), 1.0, 1.0).is_empty());
    }
}
