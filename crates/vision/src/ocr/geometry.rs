//! Quadrilaterals for text boxes and card outlines, and rectifying them out of an image.

use image::{Rgb, RgbImage};
use imageproc::geometric_transformations::{warp_into, Interpolation, Projection};
use serde::Serialize;

/// A point in image pixels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Point {
    pub x: f32,
    pub y: f32,
}

impl Point {
    pub fn new(x: f32, y: f32) -> Self {
        Point { x, y }
    }

    pub fn distance(self, other: Point) -> f32 {
        (self.x - other.x).hypot(self.y - other.y)
    }
}

/// Four corners in reading order: top-left, top-right, bottom-right, bottom-left.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Quad {
    pub corners: [Point; 4],
}

impl Quad {
    /// Orders four arbitrary corners of a roughly upright box: the two left-most points become
    /// the left edge (upper one first), the two right-most the right edge.
    pub fn from_unordered(mut points: [Point; 4]) -> Self {
        points.sort_by(|a, b| a.x.total_cmp(&b.x));
        let (top_left, bottom_left) = if points[0].y <= points[1].y {
            (points[0], points[1])
        } else {
            (points[1], points[0])
        };
        let (top_right, bottom_right) = if points[2].y <= points[3].y {
            (points[2], points[3])
        } else {
            (points[3], points[2])
        };
        Quad {
            corners: [top_left, top_right, bottom_right, bottom_left],
        }
    }

    /// Width along the reading direction (the longer of top and bottom edges).
    pub fn width(&self) -> f32 {
        let [tl, tr, br, bl] = self.corners;
        tl.distance(tr).max(bl.distance(br))
    }

    /// Height across the reading direction (the longer of left and right edges).
    pub fn height(&self) -> f32 {
        let [tl, tr, br, bl] = self.corners;
        tl.distance(bl).max(tr.distance(br))
    }

    pub fn centre(&self) -> Point {
        let sum = self
            .corners
            .iter()
            .fold((0.0, 0.0), |acc, p| (acc.0 + p.x, acc.1 + p.y));
        Point::new(sum.0 / 4.0, sum.1 / 4.0)
    }

    /// Angle of the reading direction (top-left → top-right), radians, y pointing down.
    pub fn angle(&self) -> f32 {
        let [tl, tr, br, bl] = self.corners;
        let dx = (tr.x - tl.x) + (br.x - bl.x);
        let dy = (tr.y - tl.y) + (br.y - bl.y);
        dy.atan2(dx)
    }

    /// The same rectangle grown outwards by `distance` on every side. Used to undo the
    /// shrinking that DB applies to text regions during training.
    pub fn grown(&self, distance: f32) -> Quad {
        let [tl, tr, _, bl] = self.corners;
        let centre = self.centre();
        let along = unit(tl, tr);
        let across = unit(tl, bl);
        let half_w = tl.distance(tr) / 2.0 + distance;
        let half_h = tl.distance(bl) / 2.0 + distance;
        let corner = |sa: f32, sc: f32| {
            Point::new(
                centre.x + sa * half_w * along.0 + sc * half_h * across.0,
                centre.y + sa * half_w * along.1 + sc * half_h * across.1,
            )
        };
        Quad {
            corners: [
                corner(-1.0, -1.0),
                corner(1.0, -1.0),
                corner(1.0, 1.0),
                corner(-1.0, 1.0),
            ],
        }
    }

    /// Maps every corner through `f`.
    pub fn map(&self, f: impl Fn(Point) -> Point) -> Quad {
        Quad {
            corners: self.corners.map(f),
        }
    }

    /// The quad seen from the opposite side: reading order turned by 180 degrees.
    pub fn turned_half(&self) -> Quad {
        let [tl, tr, br, bl] = self.corners;
        Quad {
            corners: [br, bl, tl, tr],
        }
    }

    /// Whether `p` lies inside (ray casting; the quad may be any simple polygon).
    pub fn contains(&self, p: Point) -> bool {
        let mut inside = false;
        let mut j = 3;
        for i in 0..4 {
            let (a, b) = (self.corners[i], self.corners[j]);
            if (a.y > p.y) != (b.y > p.y) && p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x {
                inside = !inside;
            }
            j = i;
        }
        inside
    }
}

fn unit(from: Point, to: Point) -> (f32, f32) {
    let length = from.distance(to).max(f32::EPSILON);
    ((to.x - from.x) / length, (to.y - from.y) / length)
}

/// Cuts the quad out of `image` and warps it to an upright `width × height` rectangle.
pub fn rectify(image: &RgbImage, quad: &Quad, width: u32, height: u32) -> RgbImage {
    let width = width.max(1);
    let height = height.max(1);
    let mut out = RgbImage::new(width, height);
    let from = quad.corners.map(|p| (p.x, p.y));
    let (w, h) = (width as f32, height as f32);
    let to = [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)];
    if let Some(projection) = Projection::from_control_points(from, to) {
        warp_into(
            image,
            &projection,
            Interpolation::Bilinear,
            Rgb([0, 0, 0]),
            &mut out,
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quad(points: [(f32, f32); 4]) -> Quad {
        Quad {
            corners: points.map(|(x, y)| Point::new(x, y)),
        }
    }

    #[test]
    fn orders_corners_of_an_upright_box() {
        let shuffled =
            [(10.0, 5.0), (0.0, 0.0), (0.0, 5.0), (10.0, 0.0)].map(|(x, y)| Point::new(x, y));
        let ordered = Quad::from_unordered(shuffled);
        assert_eq!(
            ordered,
            quad([(0.0, 0.0), (10.0, 0.0), (10.0, 5.0), (0.0, 5.0)])
        );
        assert_eq!(ordered.width(), 10.0);
        assert_eq!(ordered.height(), 5.0);
    }

    #[test]
    fn growing_moves_every_side_out() {
        let grown = quad([(0.0, 0.0), (10.0, 0.0), (10.0, 4.0), (0.0, 4.0)]).grown(1.0);
        let expected = quad([(-1.0, -1.0), (11.0, -1.0), (11.0, 5.0), (-1.0, 5.0)]);
        for (a, b) in grown.corners.iter().zip(expected.corners) {
            assert!(a.distance(b) < 1e-4, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn containment_and_angle() {
        let q = quad([(0.0, 0.0), (10.0, 10.0), (5.0, 15.0), (-5.0, 5.0)]);
        assert!(q.contains(Point::new(2.0, 6.0)));
        assert!(!q.contains(Point::new(9.0, 2.0)));
        assert!((q.angle() - std::f32::consts::FRAC_PI_4).abs() < 1e-5);
    }

    #[test]
    fn rectify_copies_an_axis_aligned_region() {
        let image = RgbImage::from_fn(20, 10, |x, _| Rgb([x as u8 * 10, 0, 0]));
        let crop = rectify(
            &image,
            &quad([(5.0, 2.0), (15.0, 2.0), (15.0, 8.0), (5.0, 8.0)]),
            10,
            6,
        );
        assert_eq!(crop.dimensions(), (10, 6));
        assert_eq!(crop.get_pixel(0, 0)[0], 50);
        assert_eq!(crop.get_pixel(9, 5)[0], 140);
    }
}
