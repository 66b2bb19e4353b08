//! Plane geometry used by detection and alignment: points, boxes, NMS and 2-D similarity
//! transforms.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Point {
    pub x: f32,
    pub y: f32,
}

impl Point {
    pub const fn new(x: f32, y: f32) -> Self {
        Point { x, y }
    }

    pub fn distance(self, other: Point) -> f32 {
        ((self.x - other.x).powi(2) + (self.y - other.y).powi(2)).sqrt()
    }

    pub fn midpoint(self, other: Point) -> Point {
        Point::new((self.x + other.x) / 2.0, (self.y + other.y) / 2.0)
    }
}

/// Axis-aligned box in pixel coordinates, corners inclusive of `x1,y1`.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct BoundingBox {
    pub x1: f32,
    pub y1: f32,
    pub x2: f32,
    pub y2: f32,
}

impl BoundingBox {
    pub const fn new(x1: f32, y1: f32, x2: f32, y2: f32) -> Self {
        BoundingBox { x1, y1, x2, y2 }
    }

    pub fn width(&self) -> f32 {
        (self.x2 - self.x1).max(0.0)
    }

    pub fn height(&self) -> f32 {
        (self.y2 - self.y1).max(0.0)
    }

    pub fn area(&self) -> f32 {
        self.width() * self.height()
    }

    pub fn center(&self) -> Point {
        Point::new((self.x1 + self.x2) / 2.0, (self.y1 + self.y2) / 2.0)
    }

    fn intersection(&self, other: &BoundingBox) -> f32 {
        let w = (self.x2.min(other.x2) - self.x1.max(other.x1)).max(0.0);
        let h = (self.y2.min(other.y2) - self.y1.max(other.y1)).max(0.0);
        w * h
    }

    pub fn iou(&self, other: &BoundingBox) -> f32 {
        let inter = self.intersection(other);
        let union = self.area() + other.area() - inter;
        if union <= 0.0 {
            0.0
        } else {
            inter / union
        }
    }

    /// Intersection over the smaller box: suppresses a box nested inside a bigger one, which
    /// IoU alone lets through.
    pub fn overlap_of_smaller(&self, other: &BoundingBox) -> f32 {
        let smaller = self.area().min(other.area());
        if smaller <= 0.0 {
            0.0
        } else {
            self.intersection(other) / smaller
        }
    }

    /// The square with the same centre and the longer side.
    pub fn to_square(&self) -> BoundingBox {
        let side = self.width().max(self.height());
        let c = self.center();
        BoundingBox::new(
            c.x - side / 2.0,
            c.y - side / 2.0,
            c.x + side / 2.0,
            c.y + side / 2.0,
        )
    }

    pub fn scaled(&self, factor: f32) -> BoundingBox {
        BoundingBox::new(
            self.x1 * factor,
            self.y1 * factor,
            self.x2 * factor,
            self.y2 * factor,
        )
    }

    /// Share of the box area that lies outside a `width`×`height` image.
    pub fn fraction_outside(&self, width: u32, height: u32) -> f32 {
        let inside = self.intersection(&BoundingBox::new(0.0, 0.0, width as f32, height as f32));
        if self.area() <= 0.0 {
            1.0
        } else {
            1.0 - inside / self.area()
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverlapMetric {
    Iou,
    SmallerBox,
}

/// Greedy non-maximum suppression; returns the indices kept, best score first.
pub fn non_max_suppression(
    boxes: &[BoundingBox],
    scores: &[f32],
    threshold: f32,
    metric: OverlapMetric,
) -> Vec<usize> {
    let mut order: Vec<usize> = (0..boxes.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let mut keep: Vec<usize> = Vec::new();
    let mut suppressed = vec![false; boxes.len()];
    for (rank, &i) in order.iter().enumerate() {
        if suppressed[i] {
            continue;
        }
        keep.push(i);
        for &j in &order[rank + 1..] {
            if suppressed[j] {
                continue;
            }
            let overlap = match metric {
                OverlapMetric::Iou => boxes[i].iou(&boxes[j]),
                OverlapMetric::SmallerBox => boxes[i].overlap_of_smaller(&boxes[j]),
            };
            if overlap > threshold {
                suppressed[j] = true;
            }
        }
    }
    keep
}

/// A 2-D similarity transform (rotation, uniform scale, translation):
/// `x' = a·x − b·y + tx`, `y' = b·x + a·y + ty`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Similarity {
    pub a: f32,
    pub b: f32,
    pub tx: f32,
    pub ty: f32,
}

impl Similarity {
    pub fn apply(&self, p: Point) -> Point {
        Point::new(
            self.a * p.x - self.b * p.y + self.tx,
            self.b * p.x + self.a * p.y + self.ty,
        )
    }

    pub fn scale(&self) -> f32 {
        (self.a * self.a + self.b * self.b).sqrt()
    }

    /// Rotation in radians.
    pub fn angle(&self) -> f32 {
        self.b.atan2(self.a)
    }

    pub fn inverse(&self) -> Similarity {
        let det = self.a * self.a + self.b * self.b;
        let (a, b) = (self.a / det, -self.b / det);
        Similarity {
            a,
            b,
            tx: -(a * self.tx - b * self.ty),
            ty: -(b * self.tx + a * self.ty),
        }
    }

    /// Least-squares similarity mapping `src` onto `dst` (Umeyama 1991, restricted to proper
    /// rotations). In 2-D the optimum has a closed form from the centred cross-covariances.
    pub fn estimate(src: &[Point], dst: &[Point]) -> Option<Similarity> {
        if src.len() != dst.len() || src.len() < 2 {
            return None;
        }
        let n = src.len() as f32;
        let mean = |pts: &[Point]| {
            let (sx, sy) = pts
                .iter()
                .fold((0.0, 0.0), |(ax, ay), p| (ax + p.x, ay + p.y));
            Point::new(sx / n, sy / n)
        };
        let (ms, md) = (mean(src), mean(dst));
        let (mut dot, mut cross, mut var) = (0.0f32, 0.0f32, 0.0f32);
        for (s, d) in src.iter().zip(dst) {
            let (sx, sy) = (s.x - ms.x, s.y - ms.y);
            let (dx, dy) = (d.x - md.x, d.y - md.y);
            dot += sx * dx + sy * dy;
            cross += sx * dy - sy * dx;
            var += sx * sx + sy * sy;
        }
        if var <= f32::EPSILON {
            return None;
        }
        let (a, b) = (dot / var, cross / var);
        Some(Similarity {
            a,
            b,
            tx: md.x - (a * ms.x - b * ms.y),
            ty: md.y - (b * ms.x + a * ms.y),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similarity_estimate_recovers_a_known_transform() {
        let truth = Similarity {
            a: 0.8,
            b: 0.3,
            tx: 12.0,
            ty: -4.0,
        };
        let src = [
            Point::new(10.0, 20.0),
            Point::new(50.0, 22.0),
            Point::new(30.0, 40.0),
            Point::new(15.0, 60.0),
        ];
        let dst: Vec<Point> = src.iter().map(|&p| truth.apply(p)).collect();
        let est = Similarity::estimate(&src, &dst).unwrap();
        assert!((est.a - truth.a).abs() < 1e-4 && (est.b - truth.b).abs() < 1e-4);
        assert!((est.tx - truth.tx).abs() < 1e-3 && (est.ty - truth.ty).abs() < 1e-3);
        let back = est.inverse().apply(dst[2]);
        assert!(back.distance(src[2]) < 1e-3);
    }

    #[test]
    fn nms_keeps_best_of_overlapping_and_distinct_boxes() {
        let boxes = [
            BoundingBox::new(0.0, 0.0, 10.0, 10.0),
            BoundingBox::new(1.0, 1.0, 11.0, 11.0),
            BoundingBox::new(50.0, 50.0, 60.0, 60.0),
            BoundingBox::new(2.0, 2.0, 5.0, 5.0),
        ];
        let scores = [0.8, 0.9, 0.7, 0.95];
        assert_eq!(
            non_max_suppression(&boxes, &scores, 0.5, OverlapMetric::Iou),
            vec![3, 1, 2]
        );
        assert_eq!(
            non_max_suppression(&boxes, &scores, 0.5, OverlapMetric::SmallerBox),
            vec![3, 2]
        );
    }
}
