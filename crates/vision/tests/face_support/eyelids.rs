//! "Closes the eyes" of a real face photo: paints a closed eyelid over each eye opening found by
//! the FaceMesh eye contours, so that blink liveness can be exercised on real faces (none of
//! the real test clips contains a blink).
//!
//! Each eye is handled in its own frame: `s` runs along the corner-to-corner axis (0 at the
//! image-left corner, `width` at the image-right one) and `n` across it, positive downwards.
//! Upper and lower lid contours become two profiles `n_upper(s)`, `n_lower(s)`; the opening
//! between them (slightly grown, then feathered) is filled with eyelid skin sampled from just
//! above the upper lid, blending into cheek skin sampled from just below the lower lid, shaded
//! like a rounded lid, with a thin dark lash line where the lids meet.

use heshen_vision::liveness::eyes::EYE_CONTOURS;
use heshen_vision::liveness::mesh::MeshPoint;
use image::RgbImage;

/// How far past the mesh contour the lid is fully opaque, as a share of the eye width: the
/// mesh contour runs along the lid margins, and the lashes and the wet line just outside it
/// must be covered too.
const COVER_MARGIN: f32 = 0.03;
/// Width of the feathered edge beyond that, as a share of the eye width.
const FEATHER: f32 = 0.06;
/// Bands (shares of the eye width, measured away from the lid contour) whose skin colour is
/// sampled above the upper lid and below the lower lid.
const UPPER_BAND: (f32, f32) = (0.07, 0.16);
const LOWER_BAND: (f32, f32) = (0.08, 0.20);
/// Where the closed lids meet, as a share of the way from the upper to the lower contour: the
/// upper lid comes down, so the lash line sits low.
const CLOSE_LINE: f32 = 0.85;
/// Darkest a painted lid may be relative to the cheek below the eye.
const LID_SHADE: f32 = 0.85;
/// Columns in which the skin colours are sampled along the eye.
const BINS: usize = 10;

struct EyeFrame {
    origin: (f32, f32),
    axis: (f32, f32),
    normal: (f32, f32),
    width: f32,
    /// `(s, n)` of the upper and lower contour points, sorted by `s`.
    upper: Vec<(f32, f32)>,
    lower: Vec<(f32, f32)>,
}

impl EyeFrame {
    fn new(points: &[MeshPoint], upper: &[usize; 9], lower: &[usize; 9]) -> Self {
        let (a, b) = (points[upper[0]], points[upper[8]]);
        let (left, right) = if a.x <= b.x { (a, b) } else { (b, a) };
        let (dx, dy) = (right.x - left.x, right.y - left.y);
        let width = (dx * dx + dy * dy).sqrt().max(1.0);
        let axis = (dx / width, dy / width);
        let normal = (-axis.1, axis.0);
        let mut frame = EyeFrame {
            origin: (left.x, left.y),
            axis,
            normal,
            width,
            upper: Vec::new(),
            lower: Vec::new(),
        };
        let profile = |ids: &[usize; 9]| {
            let mut v: Vec<(f32, f32)> = ids
                .iter()
                .map(|&i| frame.to_eye(points[i].x, points[i].y))
                .collect();
            v.sort_by(|p, q| p.0.total_cmp(&q.0));
            v
        };
        let (mut up, mut lo) = (profile(upper), profile(lower));
        // Upper is whichever lid lies above (smaller n) on average.
        let mean = |v: &[(f32, f32)]| v.iter().map(|p| p.1).sum::<f32>() / v.len() as f32;
        if mean(&up) > mean(&lo) {
            std::mem::swap(&mut up, &mut lo);
        }
        frame.upper = up;
        frame.lower = lo;
        frame
    }

    fn to_eye(&self, x: f32, y: f32) -> (f32, f32) {
        let (rx, ry) = (x - self.origin.0, y - self.origin.1);
        (
            rx * self.axis.0 + ry * self.axis.1,
            rx * self.normal.0 + ry * self.normal.1,
        )
    }

    fn to_image(&self, s: f32, n: f32) -> (f32, f32) {
        (
            self.origin.0 + s * self.axis.0 + n * self.normal.0,
            self.origin.1 + s * self.axis.1 + n * self.normal.1,
        )
    }

    /// Upper and lower contour offsets at `s` (clamped to the eye), upper ≤ lower.
    fn lids(&self, s: f32) -> (f32, f32) {
        let (u, l) = (interp(&self.upper, s), interp(&self.lower, s));
        (u.min(l), u.max(l))
    }
}

fn interp(profile: &[(f32, f32)], s: f32) -> f32 {
    let first = profile[0];
    let last = profile[profile.len() - 1];
    if s <= first.0 {
        return first.1;
    }
    if s >= last.0 {
        return last.1;
    }
    for w in profile.windows(2) {
        let (p, q) = (w[0], w[1]);
        if s <= q.0 {
            let span = (q.0 - p.0).max(1e-6);
            return p.1 + (q.1 - p.1) * (s - p.0) / span;
        }
    }
    last.1
}

fn luma(c: &[f32; 3]) -> f32 {
    0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]
}

fn smoothstep(e0: f32, e1: f32, x: f32) -> f32 {
    let t = ((x - e0) / (e1 - e0)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// A skin colour from the image pixels whose eye-frame position lies in the column `[s0, s1]`
/// at offsets `[n0, n1]` from the lid profile given by `lid`: the pixel at the 65th
/// luminance percentile, which skips lashes, brow hairs and crease shadow (all darker than
/// skin) without picking up specular highlights.
fn sample_band(
    image: &RgbImage,
    eye: &EyeFrame,
    (s0, s1): (f32, f32),
    (n0, n1): (f32, f32),
    lid: impl Fn(f32) -> f32,
) -> Option<[f32; 3]> {
    let mut pixels: Vec<(f32, [f32; 3])> = Vec::new();
    let step = 0.5f32;
    let mut s = s0;
    while s <= s1 {
        let base = lid(s);
        let mut n = n0.min(n1);
        while n <= n0.max(n1) {
            let (x, y) = eye.to_image(s, base + n);
            let (xi, yi) = (x.round(), y.round());
            if xi >= 0.0 && yi >= 0.0 && (xi as u32) < image.width() && (yi as u32) < image.height()
            {
                let p = image.get_pixel(xi as u32, yi as u32).0.map(f32::from);
                let luma = 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
                pixels.push((luma, p));
            }
            n += step;
        }
        s += step;
    }
    if pixels.is_empty() {
        return None;
    }
    pixels.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Average a few neighbours of the chosen rank so one noisy pixel does not set the colour.
    let at = (pixels.len() as f32 * 0.65) as usize;
    let lo = at.saturating_sub(pixels.len() / 20);
    let hi = (at + pixels.len() / 20 + 1).min(pixels.len());
    let chosen = &pixels[lo..hi];
    let mut acc = [0.0f32; 3];
    for (_, p) in chosen {
        for c in 0..3 {
            acc[c] += p[c];
        }
    }
    Some(acc.map(|v| v / chosen.len() as f32))
}

/// Skin colour profile along the eye: one colour per column, lightly smoothed.
fn skin_profile(image: &RgbImage, eye: &EyeFrame, above: bool) -> Vec<[f32; 3]> {
    let w = eye.width;
    let bin = w / BINS as f32;
    let mut colours: Vec<Option<[f32; 3]>> = (0..BINS)
        .map(|i| {
            let centre = (i as f32 + 0.5) * bin;
            let cols = (centre - bin, centre + bin);
            if above {
                let (a, b) = UPPER_BAND;
                sample_band(image, eye, cols, (-b * w, -a * w), |s| eye.lids(s).0)
            } else {
                let (a, b) = LOWER_BAND;
                sample_band(image, eye, cols, (a * w, b * w), |s| eye.lids(s).1)
            }
        })
        .collect();
    // Fill columns that fell outside the image from their neighbours.
    let fallback = colours
        .iter()
        .flatten()
        .copied()
        .next()
        .unwrap_or([128.0; 3]);
    for c in colours.iter_mut() {
        if c.is_none() {
            *c = Some(fallback);
        }
    }
    let raw: Vec<[f32; 3]> = colours.into_iter().flatten().collect();
    (0..BINS)
        .map(|i| {
            let lo = i.saturating_sub(1);
            let hi = (i + 1).min(BINS - 1);
            let mut acc = [0.0f32; 3];
            let mut weight = 0.0;
            for (j, colour) in raw.iter().enumerate().take(hi + 1).skip(lo) {
                let k = if j == i { 2.0 } else { 1.0 };
                for c in 0..3 {
                    acc[c] += colour[c] * k;
                }
                weight += k;
            }
            acc.map(|v| v / weight)
        })
        .collect()
}

fn profile_at(profile: &[[f32; 3]], s: f32, width: f32) -> [f32; 3] {
    let pos = (s / width * profile.len() as f32 - 0.5).clamp(0.0, (profile.len() - 1) as f32);
    let i = pos.floor() as usize;
    let j = (i + 1).min(profile.len() - 1);
    let f = pos - i as f32;
    [0, 1, 2].map(|c| profile[i][c] * (1.0 - f) + profile[j][c] * f)
}

/// A small deterministic per-pixel grain so the painted lid is not unnaturally flat.
fn grain(x: u32, y: u32) -> f32 {
    let mut h = x.wrapping_mul(0x9E37_79B1) ^ y.wrapping_mul(0x85EB_CA77);
    h ^= h >> 15;
    h = h.wrapping_mul(0x2C1B_3C6D);
    h ^= h >> 12;
    (h & 0xFFFF) as f32 / 65535.0 - 0.5
}

fn paint_eye(image: &mut RgbImage, original: &RgbImage, eye: &EyeFrame) {
    let w = eye.width;
    let lower_skin = skin_profile(original, eye, false);
    // The lid takes the cheek's colour at the brightness of the skin above the eye, but no
    // darker than LID_SHADE of the cheek: the band above the eye often holds crease shadow,
    // lashes or brow hairs, and a lid painted that dark reads as a hole, not a closed eye.
    let upper_skin: Vec<[f32; 3]> = skin_profile(original, eye, true)
        .iter()
        .zip(&lower_skin)
        .map(|(up, lo)| {
            let gain = (luma(up) / luma(lo).max(1.0)).clamp(LID_SHADE, 1.0);
            lo.map(|c| c * gain)
        })
        .collect();
    let cover = (COVER_MARGIN * w).max(1.0);
    let feather = (FEATHER * w).max(1.5);
    let reach = cover + feather;
    let lash_sigma = (0.015 * w).max(0.6);

    // Pixel bounding box of the painted area.
    let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
    for &(s, n) in eye.upper.iter().chain(eye.lower.iter()) {
        for (ds, dn) in [
            (-reach, -reach),
            (reach, reach),
            (-reach, reach),
            (reach, -reach),
        ] {
            let (x, y) = eye.to_image(s + ds, n + dn);
            x0 = x0.min(x);
            y0 = y0.min(y);
            x1 = x1.max(x);
            y1 = y1.max(y);
        }
    }
    let xs = (x0.floor().max(0.0) as u32)..=(x1.ceil().min(image.width() as f32 - 1.0) as u32);
    let ys = (y0.floor().max(0.0) as u32)..=(y1.ceil().min(image.height() as f32 - 1.0) as u32);
    for y in ys {
        for x in xs.clone() {
            let (s, n) = eye.to_eye(x as f32, y as f32);
            let sc = s.clamp(0.0, w);
            let (nu, nl) = eye.lids(sc);
            // Distance outside the opening (negative inside), along n and past the corners.
            let outside = (nu - n).max(n - nl).max(-s).max(s - w);
            let alpha = 1.0 - smoothstep(cover, reach, outside);
            if alpha <= 0.0 {
                continue;
            }
            let gap = (nl - nu).max(1e-3);
            let t = (n - nu) / gap;
            let up = profile_at(&upper_skin, sc, w);
            let lo = profile_at(&lower_skin, sc, w);
            // Upper-lid skin down to the closing line, cheek skin below it.
            let mix = smoothstep(CLOSE_LINE - 0.1, CLOSE_LINE + 0.25, t);
            let mut colour = [0, 1, 2].map(|c| up[c] * (1.0 - mix) + lo[c] * mix);
            // The closed lid is a rounded bulge: a soft highlight across its middle, a little
            // shade towards the crease above it.
            let along = (std::f32::consts::PI * sc / w).sin().max(0.0);
            let bulge = (std::f32::consts::PI * (t / CLOSE_LINE).clamp(0.0, 1.0)).sin();
            let crease = (-((t + 0.05) / 0.18).powi(2)).exp();
            let shade = 1.0 + 0.06 * bulge * along - 0.07 * crease;
            // The lash line where the lids meet, fading towards the corners.
            let line = nu + CLOSE_LINE * gap;
            let lash = 0.55 * along.powf(0.4) * (-((n - line) / lash_sigma).powi(2) / 2.0).exp();
            let noise = 3.0 * grain(x, y);
            for c in colour.iter_mut() {
                *c = (*c * shade + noise) * (1.0 - lash) + 25.0 * lash;
            }
            let p = image.get_pixel_mut(x, y);
            for (channel, paint) in p.0.iter_mut().zip(colour) {
                let v = f32::from(*channel) * (1.0 - alpha) + paint * alpha;
                *channel = v.round().clamp(0.0, 255.0) as u8;
            }
        }
    }
}

/// The image with both eyes painted shut, guided by the 468 mesh points of one face.
pub fn close_eyes(image: &RgbImage, mesh_points: &[MeshPoint]) -> RgbImage {
    assert!(mesh_points.len() >= 468, "need the full FaceMesh");
    let mut out = image.clone();
    for (upper, lower) in &EYE_CONTOURS {
        let eye = EyeFrame::new(mesh_points, upper, lower);
        paint_eye(&mut out, image, &eye);
    }
    out
}
