//! Eye openness measured from the pixels between the mesh's eye contours.
//!
//! Why not the landmark eye aspect ratio alone: the FaceMesh model heshen runs
//! (`face_landmark.tflite`, the original 468-point mesh) keeps predicting open-eye lid
//! landmarks when the eyes are shut. Measured on real photos (tests/face_blink.rs): with both
//! eyes painted shut the landmark EAR of obama.jpg, obama2.jpg, obama3.jpg, biden.jpg and two
//! single_face.mp4 frames moved by at most 0.02 from its open 0.19–0.27 (e.g. biden 0.237 →
//! 0.232), and with the whole eye region painted over with flat skin it did not move in the
//! third decimal; a blink never showed in it. This is a known limitation of that model (its
//! eye landmarks follow the face, not the lids). The mesh does keep placing the eyes
//! correctly, so the pixels there are read instead.
//!
//! An open eye shows, across the middle of the opening, a tall band much darker than the skin
//! around it: iris and pupil, framed by the lash lines. A closed eye shows skin with only the
//! thin lash line where the lids meet. For columns across the middle of the eye the height of
//! the dark band containing the darkest point is measured, as a share of the eye width, so the
//! value reads like an aspect ratio: 0.16–0.30 for open eyes on the test faces (0.16 being a
//! broad smile's narrowed eyes), 0.045–0.065 painted shut.

use image::RgbImage;

use super::mesh::MeshPoint;

/// MediaPipe FaceMesh eye contours from corner to corner: (upper lid, lower lid). The first is
/// the eye on the image left of a frontal face.
pub const EYE_CONTOURS: [([usize; 9], [usize; 9]); 2] = [
    (
        [33, 246, 161, 160, 159, 158, 157, 173, 133],
        [33, 7, 163, 144, 145, 153, 154, 155, 133],
    ),
    (
        [263, 466, 388, 387, 386, 385, 384, 398, 362],
        [263, 249, 390, 373, 374, 380, 381, 382, 362],
    ),
];

/// Eyes narrower than this (corner to corner, pixels) are not measured: iris, lashes and lids
/// blur into a few pixels. On carphone_pristine.mp4 (176×144, eyes ~10 px wide, open
/// throughout) the measure swung between 0.12 and 0.27, enough to fake a blink; on
/// single_face.mp4 (eyes ~30 px wide) open eyes stay within 0.74–1.15 of their level.
pub const MIN_EYE_WIDTH_PX: f32 = 16.0;
/// Columns sampled across the middle half of the eye, where the iris is when the person looks
/// at the camera.
const COLUMNS: usize = 9;
const COLUMN_SPAN: (f32, f32) = (0.25, 0.75);
/// Each column reaches this share of the eye width beyond the upper and lower contours, so
/// lids the mesh misplaces a little are still inside; eyebrows start further up.
const REACH: f32 = 0.12;
const SAMPLES: usize = 48;
/// Columns whose darkest and bright values differ by less than this (8-bit luma) hold no dark
/// band at all.
const MIN_CONTRAST: f32 = 12.0;
/// A sample belongs to the dark band when it is below this share of the way from the darkest
/// value up to the bright (85th-percentile) one. Halfway keeps a shut lid that is in shadow
/// (typically 75–90 % of the cheek's luma) out of the band, while a dark iris is well inside.
const BAND_LEVEL: f32 = 0.45;

/// Openness averaged over the eyes that could be measured; `None` when neither could (eyes
/// too small or outside the image).
pub fn eye_openness(image: &RgbImage, points: &[MeshPoint]) -> Option<f32> {
    let eyes: Vec<f32> = EYE_CONTOURS
        .iter()
        .filter_map(|(upper, lower)| one_eye(image, points, upper, lower))
        .collect();
    (!eyes.is_empty()).then(|| eyes.iter().sum::<f32>() / eyes.len() as f32)
}

fn one_eye(
    image: &RgbImage,
    points: &[MeshPoint],
    upper: &[usize; 9],
    lower: &[usize; 9],
) -> Option<f32> {
    let (a, b) = (*points.get(upper[0])?, *points.get(upper[8])?);
    let (left, right) = if a.x <= b.x { (a, b) } else { (b, a) };
    let (dx, dy) = (right.x - left.x, right.y - left.y);
    let width = (dx * dx + dy * dy).sqrt();
    if !width.is_finite() || width < MIN_EYE_WIDTH_PX {
        return None;
    }
    let axis = (dx / width, dy / width);
    // Perpendicular to the corner line, pointing down the face.
    let normal = (-axis.1, axis.0);
    let to_eye = |p: MeshPoint| {
        let (rx, ry) = (p.x - left.x, p.y - left.y);
        (rx * axis.0 + ry * axis.1, rx * normal.0 + ry * normal.1)
    };
    let profile = |ids: &[usize; 9]| -> Option<Vec<(f32, f32)>> {
        let mut v = ids
            .iter()
            .map(|&i| points.get(i).map(|p| to_eye(*p)))
            .collect::<Option<Vec<_>>>()?;
        v.sort_by(|p, q| p.0.total_cmp(&q.0));
        Some(v)
    };
    let (up, low) = (profile(upper)?, profile(lower)?);

    let mut bands = Vec::with_capacity(COLUMNS);
    for k in 0..COLUMNS {
        let share =
            COLUMN_SPAN.0 + (COLUMN_SPAN.1 - COLUMN_SPAN.0) * k as f32 / (COLUMNS - 1) as f32;
        let s = width * share;
        let (u, l) = (interp(&up, s), interp(&low, s));
        let (top, bottom) = (u.min(l) - REACH * width, u.max(l) + REACH * width);
        let step = (bottom - top) / (SAMPLES - 1) as f32;
        let column: Option<Vec<f32>> = (0..SAMPLES)
            .map(|i| {
                let n = top + step * i as f32;
                luma_at(
                    image,
                    left.x + s * axis.0 + n * normal.0,
                    left.y + s * axis.1 + n * normal.1,
                )
            })
            .collect();
        if let Some(column) = column {
            bands.push(dark_band(&column) * step / width);
        }
    }
    // Most columns must be inside the image; the 70th percentile keeps the columns that cross
    // the iris (it covers roughly half of the sampled span) without trusting the single tallest.
    if bands.len() * 2 <= COLUMNS {
        return None;
    }
    bands.sort_by(f32::total_cmp);
    Some(bands[(bands.len() as f32 * 0.7) as usize])
}

/// Length, in samples, of the run of dark samples around the darkest one.
fn dark_band(column: &[f32]) -> f32 {
    let n = column.len();
    let smooth: Vec<f32> = (0..n)
        .map(|i| (column[i.saturating_sub(1)] + 2.0 * column[i] + column[(i + 1).min(n - 1)]) / 4.0)
        .collect();
    let mut sorted = smooth.clone();
    sorted.sort_by(f32::total_cmp);
    let bright = sorted[(n as f32 * 0.85) as usize];
    let (darkest, dark) = smooth
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, v)| (i, *v))
        .unwrap_or((0, 0.0));
    if bright - dark < MIN_CONTRAST {
        return 0.0;
    }
    let level = dark + BAND_LEVEL * (bright - dark);
    let (mut from, mut to) = (darkest, darkest);
    while from > 0 && smooth[from - 1] < level {
        from -= 1;
    }
    while to + 1 < n && smooth[to + 1] < level {
        to += 1;
    }
    (to - from + 1) as f32
}

/// Piecewise-linear `n(s)` of a contour sorted by `s`, held constant beyond its ends.
fn interp(profile: &[(f32, f32)], s: f32) -> f32 {
    let (first, last) = (profile[0], profile[profile.len() - 1]);
    if s <= first.0 {
        return first.1;
    }
    for w in profile.windows(2) {
        if s <= w[1].0 {
            let span = (w[1].0 - w[0].0).max(1e-6);
            return w[0].1 + (w[1].1 - w[0].1) * (s - w[0].0) / span;
        }
    }
    last.1
}

/// Bilinear BT.601 luma; `None` outside the image.
fn luma_at(image: &RgbImage, x: f32, y: f32) -> Option<f32> {
    let (w, h) = image.dimensions();
    if w == 0 || h == 0 || !(x >= 0.0 && y >= 0.0) || x > (w - 1) as f32 || y > (h - 1) as f32 {
        return None;
    }
    let (x0, y0) = (x.floor() as u32, y.floor() as u32);
    let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let luma = |x: u32, y: u32| {
        let p = image.get_pixel(x, y).0;
        0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2])
    };
    let top = luma(x0, y0) * (1.0 - fx) + luma(x1, y0) * fx;
    let bottom = luma(x0, y1) * (1.0 - fx) + luma(x1, y1) * fx;
    Some(top * (1.0 - fy) + bottom * fy)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    const SKIN: Rgb<u8> = Rgb([200, 160, 140]);

    /// Mesh points with both eyes' contours on ellipses of the given half-height (pixels),
    /// eyes 40 px wide centred at (60, 50) and (140, 50).
    fn eye_mesh(half_height: f32) -> Vec<MeshPoint> {
        let mut points = vec![MeshPoint::default(); 468];
        for (e, (upper, lower)) in EYE_CONTOURS.iter().enumerate() {
            let cx = 60.0 + 80.0 * e as f32;
            for k in 0..9 {
                // Corner to corner: index 0 at one corner, 8 at the other.
                let t = std::f32::consts::PI * k as f32 / 8.0;
                let x = cx - 20.0 * t.cos();
                points[upper[k]] = MeshPoint {
                    x,
                    y: 50.0 - half_height * t.sin(),
                    z: 0.0,
                };
                points[lower[k]] = MeshPoint {
                    x,
                    y: 50.0 + half_height * t.sin(),
                    z: 0.0,
                };
            }
        }
        points
    }

    fn face(open: bool) -> RgbImage {
        let mut img = RgbImage::from_pixel(200, 100, SKIN);
        for cx in [60.0f32, 140.0] {
            for y in 0..100u32 {
                for x in 0..200u32 {
                    let (dx, dy) = (x as f32 - cx, y as f32 - 50.0);
                    if open {
                        // Opening 12 px tall: sclera, with a dark iris disc clipped by the lids.
                        if (dx / 20.0).powi(2) + (dy / 6.0).powi(2) <= 1.0 {
                            let iris = dx * dx + dy * dy <= 36.0;
                            let v = if iris {
                                Rgb([50, 35, 30])
                            } else {
                                Rgb([235, 230, 225])
                            };
                            img.put_pixel(x, y, v);
                        }
                    } else if dx.abs() < 18.0 && (dy - 4.0).abs() < 1.0 {
                        // Shut: a lash line low in the former opening.
                        img.put_pixel(x, y, Rgb([40, 30, 25]));
                    }
                }
            }
        }
        img
    }

    #[test]
    fn open_eyes_read_open_and_shut_eyes_shut() {
        let mesh = eye_mesh(6.0);
        let open = eye_openness(&face(true), &mesh).unwrap();
        let shut = eye_openness(&face(false), &mesh).unwrap();
        assert!(open > 0.2, "open {open}");
        assert!(shut < 0.1, "shut {shut}");
    }

    #[test]
    fn plain_skin_has_no_dark_band_and_small_eyes_are_not_measured() {
        let blank = RgbImage::from_pixel(200, 100, SKIN);
        assert_eq!(eye_openness(&blank, &eye_mesh(6.0)), Some(0.0));
        let mut tiny = eye_mesh(2.0);
        for p in tiny.iter_mut() {
            p.x = 100.0 + (p.x - 100.0) * 0.3;
        }
        assert_eq!(eye_openness(&face(true), &tiny), None);
        assert_eq!(eye_openness(&blank, &[]), None);
    }
}
