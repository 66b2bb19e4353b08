//! Whether a face moves as no flat picture can. A photo, a print or a screen, however it is
//! held, tilted or waved, moves its face landmarks by one plane-to-plane mapping (a
//! homography) from frame to frame. A live face does not: speech and expressions deform it,
//! and turning a head moves the nose against the cheeks. So each frame's landmarks are mapped
//! onto a reference frame's by the best homography, and what the mapping cannot explain,
//! measured in inter-ocular distances, is motion only a three-dimensional, living face makes
//! (plus the landmark model's jitter, which the threshold sits above).

/// A landmark's image position.
pub type Point = (f32, f32);

/// Least-squares homography taking `from` onto `to` (at least 4 points), or `None` when the
/// points are degenerate. Coordinates are normalised first (Hartley), for a well-conditioned
/// system.
fn homography(from: &[Point], to: &[Point]) -> Option<[f64; 9]> {
    let n = from.len().min(to.len());
    if n < 4 {
        return None;
    }
    let normaliser = |pts: &[Point]| {
        let (mut cx, mut cy) = (0.0f64, 0.0f64);
        for p in &pts[..n] {
            cx += f64::from(p.0);
            cy += f64::from(p.1);
        }
        cx /= n as f64;
        cy /= n as f64;
        let spread = pts[..n]
            .iter()
            .map(|p| ((f64::from(p.0) - cx).powi(2) + (f64::from(p.1) - cy).powi(2)).sqrt())
            .sum::<f64>()
            / n as f64;
        let s = if spread > 1e-9 {
            std::f64::consts::SQRT_2 / spread
        } else {
            return None;
        };
        Some((cx, cy, s))
    };
    let (fx, fy, fs) = normaliser(from)?;
    let (tx, ty, ts) = normaliser(to)?;
    // Normal equations of the 8-parameter linearisation (h22 = 1).
    let mut ata = [[0.0f64; 8]; 8];
    let mut atb = [0.0f64; 8];
    for i in 0..n {
        let x = (f64::from(from[i].0) - fx) * fs;
        let y = (f64::from(from[i].1) - fy) * fs;
        let u = (f64::from(to[i].0) - tx) * ts;
        let v = (f64::from(to[i].1) - ty) * ts;
        let rows = [
            ([x, y, 1.0, 0.0, 0.0, 0.0, -x * u, -y * u], u),
            ([0.0, 0.0, 0.0, x, y, 1.0, -x * v, -y * v], v),
        ];
        for (row, rhs) in rows {
            for r in 0..8 {
                atb[r] += row[r] * rhs;
                for c in 0..8 {
                    ata[r][c] += row[r] * row[c];
                }
            }
        }
    }
    let h = solve8(ata, atb)?;
    // Undo the normalisations: H = T_to^-1 · Hn · T_from.
    let hn = [h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], 1.0];
    let t_from = [fs, 0.0, -fs * fx, 0.0, fs, -fs * fy, 0.0, 0.0, 1.0];
    let t_to_inv = [1.0 / ts, 0.0, tx, 0.0, 1.0 / ts, ty, 0.0, 0.0, 1.0];
    Some(mul3(&mul3(&t_to_inv, &hn), &t_from))
}

fn mul3(a: &[f64; 9], b: &[f64; 9]) -> [f64; 9] {
    let mut out = [0.0; 9];
    for r in 0..3 {
        for c in 0..3 {
            out[r * 3 + c] = (0..3).map(|k| a[r * 3 + k] * b[k * 3 + c]).sum();
        }
    }
    out
}

/// Gaussian elimination with partial pivoting.
fn solve8(mut a: [[f64; 8]; 8], mut b: [f64; 8]) -> Option<[f64; 8]> {
    for col in 0..8 {
        let pivot = (col..8).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        let pivot_row = a[col];
        for row in col + 1..8 {
            let f = a[row][col] / pivot_row[col];
            for (x, p) in a[row][col..].iter_mut().zip(&pivot_row[col..]) {
                *x -= f * p;
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = [0.0; 8];
    for row in (0..8).rev() {
        let s: f64 = (row + 1..8).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - s) / a[row][row];
    }
    Some(x)
}

/// RMS distance between `to` and `from` mapped by the best homography.
fn planar_residual(from: &[Point], to: &[Point]) -> Option<f64> {
    let h = homography(from, to)?;
    let n = from.len().min(to.len());
    let mut sum = 0.0;
    for i in 0..n {
        let (x, y) = (f64::from(from[i].0), f64::from(from[i].1));
        let w = h[6] * x + h[7] * y + h[8];
        if w.abs() < 1e-9 {
            return None;
        }
        let u = (h[0] * x + h[1] * y + h[2]) / w;
        let v = (h[3] * x + h[4] * y + h[5]) / w;
        sum += (u - f64::from(to[i].0)).powi(2) + (v - f64::from(to[i].1)).powi(2);
    }
    Some((sum / n as f64).sqrt())
}

/// Each frame's landmarks averaged with those of its neighbours that have the same points.
/// The landmark model's jitter is independent from frame to frame and a compressed browser
/// recording makes it larger; a face's own deformation, and a picture's motion, are smooth
/// over three frames (200 ms at the analysed rate), so averaging lowers the jitter by about
/// √3 and leaves what is measured nearly as it was.
fn smoothed_tracks(frames: &[Option<Vec<Point>>]) -> Vec<Option<Vec<Point>>> {
    (0..frames.len())
        .map(|i| {
            let centre = frames[i].as_ref()?;
            let neighbours: Vec<&Vec<Point>> = [i.checked_sub(1), Some(i + 1)]
                .into_iter()
                .flatten()
                .filter_map(|j| frames.get(j)?.as_ref())
                .filter(|points| points.len() == centre.len())
                .collect();
            let count = (neighbours.len() + 1) as f32;
            Some(
                centre
                    .iter()
                    .enumerate()
                    .map(|(k, &(x, y))| {
                        let (sx, sy) = neighbours
                            .iter()
                            .fold((x, y), |(sx, sy), n| (sx + n[k].0, sy + n[k].1));
                        (sx / count, sy / count)
                    })
                    .collect(),
            )
        })
        .collect()
}

/// How much of the landmarks' motion over a series no flat picture could make, in
/// inter-ocular distances of the reference frame: the 80th percentile over the frames of the
/// homography residual against the first frame with landmarks, on temporally smoothed tracks. `eyes` gives the two eye-centre
/// indices into each frame's points. `None` when fewer than three frames have landmarks.
pub fn nonplanar_motion(frames: &[Option<Vec<Point>>], eyes: (usize, usize)) -> Option<f32> {
    let smoothed = smoothed_tracks(frames);
    let mut with_points = smoothed.iter().flatten();
    let reference = with_points.next()?;
    let (a, b) = (*reference.get(eyes.0)?, *reference.get(eyes.1)?);
    let iod = f64::from(((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt());
    if iod < 1.0 {
        return None;
    }
    let mut residuals: Vec<f64> = with_points
        .filter_map(|points| planar_residual(points, reference))
        .map(|r| r / iod)
        .collect();
    if residuals.len() < 2 {
        return None;
    }
    residuals.sort_by(f64::total_cmp);
    let at = ((residuals.len() - 1) as f64 * 0.8).round() as usize;
    Some(residuals[at] as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A face-like 3D point cloud: an ellipse of points with a nose bump in depth.
    fn face() -> Vec<(f32, f32, f32)> {
        let mut pts = Vec::new();
        for i in 0..12 {
            for j in 0..12 {
                let x = i as f32 * 10.0 - 55.0;
                let y = j as f32 * 12.0 - 66.0;
                let z = 40.0 * (-(x * x + y * y) / 1500.0).exp();
                pts.push((x, y, z));
            }
        }
        pts
    }

    fn project(pts: &[(f32, f32, f32)], yaw: f32, scale: f32, shift: (f32, f32)) -> Vec<Point> {
        pts.iter()
            .map(|&(x, y, z)| {
                let xr = x * yaw.cos() + z * yaw.sin();
                (xr * scale + shift.0, y * scale + shift.1)
            })
            .collect()
    }

    #[test]
    fn a_picture_moved_tilted_and_in_perspective_is_planar() {
        let flat: Vec<(f32, f32, f32)> = face().into_iter().map(|(x, y, _)| (x, y, 0.0)).collect();
        let reference = project(&flat, 0.0, 1.0, (200.0, 200.0));
        let frames: Vec<Option<Vec<Point>>> = (0..10)
            .map(|k| {
                let t = k as f32 / 10.0;
                // In-plane rotation, scale, shift and a perspective tilt of the whole picture.
                let (s, c) = (0.2 * t).sin_cos();
                Some(
                    reference
                        .iter()
                        .map(|&(x, y)| {
                            let (x0, y0) = (x - 200.0, y - 200.0);
                            let w = 1.0 + 0.0008 * t * x0;
                            let xr = (c * x0 - s * y0) * (1.0 + 0.1 * t) / w;
                            let yr = (s * x0 + c * y0) * (1.0 + 0.1 * t) / w;
                            (xr + 230.0 + 20.0 * t, yr + 190.0)
                        })
                        .collect(),
                )
            })
            .collect();
        let eyes = (50, 90);
        let mut all = vec![Some(reference)];
        all.extend(frames);
        let motion = nonplanar_motion(&all, eyes).unwrap();
        assert!(motion < 0.002, "{motion}");
    }

    #[test]
    fn a_head_turning_is_not() {
        let head = face();
        let frames: Vec<Option<Vec<Point>>> = (0..10)
            .map(|k| Some(project(&head, 0.15 * k as f32 / 10.0, 1.0, (200.0, 200.0))))
            .collect();
        // An 8.6° turn of a face-like relief alone is above the verdict's threshold (0.013).
        let motion = nonplanar_motion(&frames, (50, 90)).unwrap();
        assert!(motion > 0.015, "{motion}");
    }

    #[test]
    fn too_few_frames_say_nothing() {
        assert_eq!(nonplanar_motion(&[None, None], (0, 1)), None);
        let one = Some(face().iter().map(|p| (p.0, p.1)).collect::<Vec<_>>());
        assert_eq!(nonplanar_motion(&[one.clone(), one], (0, 1)), None);
    }
}
