//! Image-quality signals on the rectified card: FaceID's warning codes and 0–100 Quality.

use image::{GrayImage, RgbImage};
use imageproc::filter::laplacian_filter;
use rustfft::num_complex::Complex32;
use rustfft::{Fft, FftPlanner};
use serde::Serialize;

use super::card_region::CardBox;
use super::fields::CardSide;
use super::geometry::Quad;

/// FaceID ID-card warning codes this engine can raise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CardWarning {
    /// -9100: the validity period is not a real, consistent date range.
    InvalidValidityDate,
    /// -9101: part of the card lies outside the image.
    BorderIncomplete,
    /// -9102: a greyscale copy rather than the colour card.
    Photocopy,
    /// -9103: a photo of a screen showing the card rather than of the card itself.
    Reshot,
    /// -9105: something covers part of the card.
    Occluded,
    /// -9107: a glare patch washes out part of the card.
    Glare,
    /// -8001: the card is blurry (Quality below 50).
    Blurry,
}

impl CardWarning {
    pub fn code(self) -> i64 {
        match self {
            CardWarning::InvalidValidityDate => -9100,
            CardWarning::BorderIncomplete => -9101,
            CardWarning::Photocopy => -9102,
            CardWarning::Reshot => -9103,
            CardWarning::Occluded => -9105,
            CardWarning::Glare => -9107,
            CardWarning::Blurry => -8001,
        }
    }
}

/// Below this mean colourfulness (max − min channel) the card carries no colour: genuine
/// cards print blue labels on a tinted background.
const PHOTOCOPY_MAX_CHROMA: f32 = 6.0;
/// Pixels this bright in every channel are burnt out; the card's own background is darker.
const GLARE_LEVEL: u8 = 250;
/// Share of burnt-out card pixels that counts as glare.
const GLARE_MIN_SHARE: f32 = 0.01;
/// Laplacian variance at which Quality reaches 50, at the 856-pixel working width. Measured on
/// generated cards: sharp ≈ 290, Gaussian blur σ 0.9 ≈ 64, σ 1.2 ≈ 32, σ 1.5 ≈ 18, and OCR
/// starts to lose lines beyond σ ≈ 1.5; so Quality falls below 50 from about σ 1.1.
const BLUR_HALF_QUALITY_VARIANCE: f32 = 45.0;
/// A card corner this far outside the image (as a share of the card width) cuts the border.
const BORDER_TOLERANCE: f32 = 0.02;

/// Quality 0–100 from the sharpness of the card crop.
pub fn sharpness_quality(card: &RgbImage) -> f32 {
    let grey: GrayImage = image::imageops::grayscale(card);
    let laplacian = laplacian_filter(&grey);
    let values: Vec<f32> = laplacian.pixels().map(|p| f32::from(p[0])).collect();
    if values.is_empty() {
        return 0.0;
    }
    let mean = values.iter().sum::<f32>() / values.len() as f32;
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / values.len() as f32;
    (100.0 * variance / (variance + BLUR_HALF_QUALITY_VARIANCE)).clamp(0.0, 100.0)
}

pub fn looks_like_photocopy(card: &RgbImage) -> bool {
    let pixels = card.pixels().len().max(1) as f32;
    let chroma: f32 = card
        .pixels()
        .map(|p| {
            let max = p[0].max(p[1]).max(p[2]);
            let min = p[0].min(p[1]).min(p[2]);
            f32::from(max - min)
        })
        .sum();
    chroma / pixels < PHOTOCOPY_MAX_CHROMA
}

pub fn has_glare(card: &RgbImage) -> bool {
    let pixels = card.pixels().len().max(1) as f32;
    let burnt = card
        .pixels()
        .filter(|p| p[0].min(p[1]).min(p[2]) >= GLARE_LEVEL)
        .count() as f32;
    burnt / pixels > GLARE_MIN_SHARE
}

/// Whether the card outline runs outside an image of `width × height`.
pub fn border_incomplete(card: &Quad, width: u32, height: u32) -> bool {
    let margin = BORDER_TOLERANCE * card.width();
    card.corners.iter().any(|p| {
        p.x < -margin
            || p.y < -margin
            || p.x > width as f32 + margin
            || p.y > height as f32 + margin
    })
}

/// Side of the square tiles whose spectra are averaged for the re-shoot check.
const SPECTRUM_TILE: usize = 64;
/// Frequencies below this many cycles per tile are left out of the re-shoot check: they hold
/// the card's own rhythm (rows of text, the ID digits' pitch, the guilloche's waves).
const SPECTRUM_MIN_BIN: usize = 5;
/// Share of the card's width and height left out around the edges of the rectified card, where
/// the estimated outline may take in some of the background or cut into the card.
const EDGE_MARGIN: f32 = 0.07;
/// A spectral peak counts only this many times above the median of its surroundings. JPEG's
/// block edges and the resampling of the photo leave peaks up to about 40 times their
/// surroundings on generated cards, so the test is on their power, below.
const PEAK_MIN_PROMINENCE: f32 = 20.0;
/// Share of the card's high-frequency power in one sharp peak above which the card is taken
/// for a photo of a screen. Measured on rectified generated cards (see tests/ocr_warnings.rs):
/// 90 genuine photos, including blurred, noisy, glared and JPEG-45 ones, 0 to 0.003; 30 photos
/// of a screen 0.06 to 0.16.
const RESHOT_MIN_PEAK: f32 = 0.02;

/// Side of the cells whose colours are checked for occluders, in rectified-card pixels.
const OCCLUSION_CELL: u32 = 32;
/// Pixels at least this bright relative to the card's background may be background; the
/// margin leaves room for uneven light.
const BACKGROUND_MIN_LUMA: f32 = 0.6;
/// A cell with fewer such pixels than this shows no card: printed text always leaves
/// background between its strokes.
const CELL_MIN_BACKGROUND: f32 = 0.2;
/// The mean colour of a cell's light pixels, brought to the background's brightness, must be
/// within this many levels of the background in every channel.
const BACKGROUND_MAX_TINT: f32 = 25.0;
/// Share of the card area above which a connected patch of such cells is an occluder: any
/// patch holding a 2 × 2 block of cells (0.0096 of the grid). Measured on rectified generated
/// cards (see tests/ocr_warnings.rs): 120 genuine photos (glared, blurred, re-shot or not)
/// never hold such a block; 30 thumbs over an edge cover 0.014 to 0.041 of the card, 30 dark
/// objects 0.019 to 0.058.
const OCCLUSION_MIN_SHARE: f32 = 0.008;

/// How much of the card's fine detail is one narrow periodic pattern: the share of the
/// high-frequency power in the strongest sharp spectral peak (see [`RESHOT_MIN_PEAK`]).
///
/// A screen's pixel grid, photographed, folds back (aliases) into a moiré: a periodic pattern
/// laid over the whole card, which shows as a sharp, isolated peak in the spectrum. A card's
/// own print has no such regular pattern beyond its text rhythm, and blur, noise and JPEG
/// spread power smoothly. Each channel is checked, since the sub-pixel stripes beat in colour
/// more than in brightness.
pub fn reshot_score(card: &RgbImage) -> f32 {
    let n = SPECTRUM_TILE;
    let (width, height) = (card.width() as usize, card.height() as usize);
    let (x0, y0) = (
        (width as f32 * EDGE_MARGIN) as usize,
        (height as f32 * EDGE_MARGIN) as usize,
    );
    if width < 2 * x0 + n || height < 2 * y0 + n {
        return 0.0;
    }
    let starts = |from: usize, to: usize| (from..=to - n).step_by(n).collect::<Vec<_>>();
    let (xs, ys) = (starts(x0, width - x0), starts(y0, height - y0));
    let mut workspace = SpectrumWorkspace::new(n);
    (0..3)
        .map(|channel| {
            let plane: Vec<f32> = card
                .as_raw()
                .iter()
                .skip(channel)
                .step_by(3)
                .map(|&v| f32::from(v))
                .collect();
            let mut mean_spectrum = vec![0.0f32; n * n];
            let mut tiles = 0;
            for &ty in &ys {
                for &tx in &xs {
                    let tile = (tx, ty);
                    tiles +=
                        usize::from(workspace.add_tile(&plane, width, tile, &mut mean_spectrum));
                }
            }
            if tiles == 0 {
                return 0.0;
            }
            mean_spectrum.iter_mut().for_each(|p| *p /= tiles as f32);
            strongest_peak(&mean_spectrum, n)
        })
        .fold(0.0, f32::max)
}

/// Signed frequency of FFT bin `k` of `n`.
fn signed_bin(k: usize, n: usize) -> i32 {
    if k <= n / 2 {
        k as i32
    } else {
        k as i32 - n as i32
    }
}

/// The FFT plan, window and buffers for the spectra of `n × n` tiles.
struct SpectrumWorkspace {
    n: usize,
    fft: std::sync::Arc<dyn Fft<f32>>,
    window: Vec<f32>,
    /// Per bin (row by row, like the image): whether it lies in the checked band.
    in_band: Vec<bool>,
    data: Vec<Complex32>,
    transposed: Vec<Complex32>,
    scratch: Vec<Complex32>,
}

impl SpectrumWorkspace {
    fn new(n: usize) -> Self {
        let fft = FftPlanner::<f32>::new().plan_fft_forward(n);
        let window = (0..n)
            .map(|i| 0.5 - 0.5 * (std::f32::consts::TAU * i as f32 / n as f32).cos())
            .collect();
        let min = SPECTRUM_MIN_BIN as i32;
        let in_band = (0..n * n)
            .map(|i| {
                let (fx, fy) = (signed_bin(i % n, n), signed_bin(i / n, n));
                fx * fx + fy * fy >= min * min
            })
            .collect();
        let zero = Complex32::new(0.0, 0.0);
        SpectrumWorkspace {
            n,
            scratch: vec![zero; fft.get_inplace_scratch_len()],
            fft,
            window,
            in_band,
            data: vec![zero; n * n],
            transposed: vec![zero; n * n],
        }
    }

    /// Adds the windowed power spectrum of the tile at `(x0, y0)` of a `width`-wide plane to
    /// `sum`, scaled to 1 over the checked band so every tile weighs the same. A flat tile
    /// adds nothing and returns false.
    fn add_tile(
        &mut self,
        plane: &[f32],
        width: usize,
        (x0, y0): (usize, usize),
        sum: &mut [f32],
    ) -> bool {
        let n = self.n;
        let rows = || (0..n).map(|y| &plane[(y0 + y) * width + x0..][..n]);
        let mean = rows().flatten().sum::<f32>() / (n * n) as f32;
        for (y, row) in rows().enumerate() {
            for (x, v) in row.iter().enumerate() {
                let value = (v - mean) * self.window[x] * self.window[y];
                self.data[y * n + x] = Complex32::new(value, 0.0);
            }
        }
        // Rows, then columns through a transpose.
        self.fft
            .process_with_scratch(&mut self.data, &mut self.scratch);
        for y in 0..n {
            for x in 0..n {
                self.transposed[x * n + y] = self.data[y * n + x];
            }
        }
        self.fft
            .process_with_scratch(&mut self.transposed, &mut self.scratch);
        // Entry `kx * n + ky` of the transposed spectrum holds frequency (kx, ky).
        let power = |ky: usize, kx: usize| self.transposed[kx * n + ky].norm_sqr();
        let mut total = 0.0;
        for ky in 0..n {
            for kx in 0..n {
                if self.in_band[ky * n + kx] {
                    total += power(ky, kx);
                }
            }
        }
        if total <= f32::EPSILON {
            return false;
        }
        for ky in 0..n {
            for kx in 0..n {
                sum[ky * n + kx] += power(ky, kx) / total;
            }
        }
        true
    }
}

/// The largest share of the band's power that one frequency holds above its surroundings,
/// counting only frequencies that stand out sharply: at least [`PEAK_MIN_PROMINENCE`] times
/// the median of the ring of bins three away (just outside the window's main lobe).
fn strongest_peak(spectrum: &[f32], n: usize) -> f32 {
    let min = SPECTRUM_MIN_BIN as i32;
    let at = |fx: i32, fy: i32| {
        spectrum[fy.rem_euclid(n as i32) as usize * n + fx.rem_euclid(n as i32) as usize]
    };
    let half = n as i32 / 2;
    let mut best = 0.0f32;
    let mut ring = Vec::with_capacity(24);
    // A real image's spectrum is symmetric: half the plane is enough.
    for fy in 0..half {
        for fx in -half + 1..half {
            if fx * fx + fy * fy < min * min {
                continue;
            }
            ring.clear();
            for d in -3..=3 {
                ring.extend([at(fx + d, fy - 3), at(fx + d, fy + 3)]);
            }
            for d in -2..=2 {
                ring.extend([at(fx - 3, fy + d), at(fx + 3, fy + d)]);
            }
            ring.sort_by(f32::total_cmp);
            let floor = ring[ring.len() / 2];
            let power = at(fx, fy);
            if power > PEAK_MIN_PROMINENCE * floor {
                best = best.max(power - floor);
            }
        }
    }
    best
}

pub fn looks_reshot(card: &RgbImage) -> bool {
    reshot_score(card) > RESHOT_MIN_PEAK
}

/// Share of the card covered by the largest connected patch that shows none of the card's
/// background, leaving out the edges and the portrait (front) or the emblem (back), which are
/// printed in colours of their own.
///
/// The card prints dark and blue text on a light, faintly tinted background, so every part of
/// it shows some of that background between the strokes. A thumb or an object over the card
/// does not: a dark one hides the light background, a light one has a colour of its own.
/// Glare only brightens the background, so it does not count. Only patches at least two cells
/// thick count, so that a dense line of text or a sliver of the surface around a card located
/// a little off does not.
pub fn occluded_share(card: &RgbImage, side: CardSide) -> f32 {
    let (width, height) = card.dimensions();
    let cols = width / OCCLUSION_CELL;
    let rows = height / OCCLUSION_CELL;
    if cols < 2 || rows < 2 {
        return 0.0;
    }
    let whole = CardBox {
        left: 0.0,
        top: 0.0,
        width: width as f32,
        height: height as f32,
    };
    let picture = match side {
        CardSide::Front => whole.portrait(),
        CardSide::Back => whole.emblem(),
    };
    // Cells are spread over the whole card, the spare pixels shared out between them.
    let cell_x = |c: u32| c * width / cols;
    let cell_y = |r: u32| r * height / rows;
    let pixels = |c: u32, r: u32| {
        (cell_y(r)..cell_y(r + 1))
            .flat_map(move |y| (cell_x(c)..cell_x(c + 1)).map(move |x| (x, y)))
            .map(|(x, y)| card.get_pixel(x, y).0.map(f32::from))
    };
    let (mx, my) = (EDGE_MARGIN * width as f32, EDGE_MARGIN * height as f32);
    let checked: Vec<bool> = (0..rows * cols)
        .map(|i| {
            let (c, r) = (i % cols, i / cols);
            let cx = (cell_x(c) + cell_x(c + 1)) as f32 / 2.0;
            let cy = (cell_y(r) + cell_y(r + 1)) as f32 / 2.0;
            let inside = cx > mx && cx < width as f32 - mx && cy > my && cy < height as f32 - my;
            // The picture's own estimate may be off as much as the card's edges.
            let on_picture = cx > picture.left - mx
                && cx < picture.left + picture.width + mx
                && cy > picture.top - my
                && cy < picture.top + picture.height + my;
            inside && !on_picture
        })
        .collect();
    // The background is most of what is checked: its median colour.
    let mut histograms = [[0u32; 256]; 3];
    for i in (0..rows * cols).filter(|&i| checked[i as usize]) {
        for p in pixels(i % cols, i / cols) {
            for (histogram, v) in histograms.iter_mut().zip(p) {
                histogram[v as usize] += 1;
            }
        }
    }
    let background = histograms.map(|h| median(&h));
    let background_luma = luma(background);
    if background_luma < 1.0 {
        return 0.0;
    }
    let foreign: Vec<bool> = (0..rows * cols)
        .map(|i| {
            if !checked[i as usize] {
                return false;
            }
            // The light pixels of the cell, and their mean colour.
            let (mut light, mut total, mut sum) = (0u32, 0u32, [0.0f32; 3]);
            for p in pixels(i % cols, i / cols) {
                total += 1;
                if luma(p) >= BACKGROUND_MIN_LUMA * background_luma {
                    light += 1;
                    (0..3).for_each(|c| sum[c] += p[c]);
                }
            }
            if (light as f32) < CELL_MIN_BACKGROUND * total as f32 {
                return true;
            }
            // Averaged over the cell, so that fine colour fringes (a screen's moiré) cancel.
            let mean = sum.map(|v| v / light as f32);
            let scale = background_luma / luma(mean).max(1.0);
            (0..3).any(|c| (mean[c] * scale - background[c]).abs() > BACKGROUND_MAX_TINT)
        })
        .collect();
    let (cols, rows) = (cols as usize, rows as usize);
    // Keep the cells that belong to a 2 × 2 block of foreign cells.
    let mut thick = vec![false; foreign.len()];
    for r in 0..rows - 1 {
        for c in 0..cols - 1 {
            let block = [
                r * cols + c,
                r * cols + c + 1,
                (r + 1) * cols + c,
                (r + 1) * cols + c + 1,
            ];
            if block.iter().all(|&i| foreign[i]) {
                block.iter().for_each(|&i| thick[i] = true);
            }
        }
    }
    largest_region(&thick, cols, rows) as f32 / (cols * rows) as f32
}

pub fn is_occluded(card: &RgbImage, side: CardSide) -> bool {
    occluded_share(card, side) > OCCLUSION_MIN_SHARE
}

fn luma(p: [f32; 3]) -> f32 {
    0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2]
}

fn median(histogram: &[u32; 256]) -> f32 {
    let total: u32 = histogram.iter().sum();
    let mut seen = 0;
    for (value, &count) in histogram.iter().enumerate() {
        seen += count;
        if 2 * seen >= total {
            return value as f32;
        }
    }
    255.0
}

/// Size of the largest 4-connected group of `true` cells.
fn largest_region(cells: &[bool], cols: usize, rows: usize) -> usize {
    let mut seen = vec![false; cells.len()];
    let mut largest = 0;
    let mut stack = Vec::new();
    for start in 0..cells.len() {
        if !cells[start] || seen[start] {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        let mut size = 0;
        while let Some(i) = stack.pop() {
            size += 1;
            let (c, r) = (i % cols, i / cols);
            let neighbours = [
                (c > 0).then(|| i - 1),
                (c + 1 < cols).then(|| i + 1),
                (r > 0).then(|| i - cols),
                (r + 1 < rows).then(|| i + cols),
            ];
            for j in neighbours.into_iter().flatten() {
                if cells[j] && !seen[j] {
                    seen[j] = true;
                    stack.push(j);
                }
            }
        }
        largest = largest.max(size);
    }
    largest
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    #[test]
    fn colour_and_glare_signals() {
        let tinted = RgbImage::from_pixel(40, 20, Rgb([200, 210, 230]));
        let grey = RgbImage::from_pixel(40, 20, Rgb([200, 201, 200]));
        assert!(!looks_like_photocopy(&tinted));
        assert!(looks_like_photocopy(&grey));
        let mut glared = tinted.clone();
        for x in 0..10 {
            for y in 0..10 {
                glared.put_pixel(x, y, Rgb([255, 255, 255]));
            }
        }
        assert!(!has_glare(&tinted));
        assert!(has_glare(&glared));
    }

    #[test]
    fn sharp_edges_score_higher_than_flat_images() {
        let flat = RgbImage::from_pixel(64, 64, Rgb([128, 128, 128]));
        let stripes = RgbImage::from_fn(64, 64, |x, _| {
            if x % 4 < 2 {
                Rgb([0, 0, 0])
            } else {
                Rgb([255, 255, 255])
            }
        });
        assert!(sharpness_quality(&flat) < 1.0);
        assert!(sharpness_quality(&stripes) > 90.0);
    }

    /// A light card with rows of dark "text" strokes and a little pixel noise.
    fn plain_card() -> RgbImage {
        RgbImage::from_fn(856, 540, |x, y| {
            let noise = ((x.wrapping_mul(7919) ^ y.wrapping_mul(104_729)) % 7) as u8;
            let in_row = (y % 68) < 30 && (70..480).contains(&x) && (60..480).contains(&y);
            let stroke = in_row && (x % 29) < 4 || in_row && (y % 68) % 10 < 3 && (x % 29) < 20;
            if stroke {
                Rgb([25 + noise, 25 + noise, 30 + noise])
            } else {
                Rgb([218 + noise, 224 + noise, 230 + noise])
            }
        })
    }

    #[test]
    fn a_fine_periodic_pattern_reads_as_a_screen() {
        let card = plain_card();
        let mut screen = card.clone();
        for (x, y, p) in screen.enumerate_pixels_mut() {
            // A moiré of period about 4.3 pixels, slightly turned, stronger in one channel.
            let phase = (x as f32 * 0.99 + y as f32 * 0.1) / 4.3 * std::f32::consts::TAU;
            let wave = 10.0 * phase.sin();
            p[0] = (f32::from(p[0]) + wave).clamp(0.0, 255.0) as u8;
            p[2] = (f32::from(p[2]) - wave / 2.0).clamp(0.0, 255.0) as u8;
        }
        assert!(
            reshot_score(&card) < RESHOT_MIN_PEAK,
            "{}",
            reshot_score(&card)
        );
        assert!(
            reshot_score(&screen) > RESHOT_MIN_PEAK,
            "{}",
            reshot_score(&screen)
        );
        assert!(!looks_reshot(&card));
        assert!(looks_reshot(&screen));
    }

    #[test]
    fn dark_and_skin_patches_occlude_but_glare_does_not() {
        let card = plain_card();
        let paint = |colour: [u8; 3]| {
            let mut image = card.clone();
            for (x, y, p) in image.enumerate_pixels_mut() {
                if (x as f32 - 250.0).powi(2) / 120.0f32.powi(2)
                    + (y as f32 - 250.0).powi(2) / 90.0f32.powi(2)
                    < 1.0
                {
                    *p = Rgb(colour);
                }
            }
            image
        };
        assert_eq!(occluded_share(&card, CardSide::Front), 0.0);
        assert!(is_occluded(&paint([40, 40, 45]), CardSide::Front));
        assert!(is_occluded(&paint([215, 165, 135]), CardSide::Front));
        assert!(!is_occluded(&paint([255, 255, 255]), CardSide::Front));
        // The portrait is printed in colours of its own.
        let mut portrait = card.clone();
        for y in 70..330 {
            for x in 540..780 {
                portrait.put_pixel(x, y, Rgb([30, 30, 30]));
            }
        }
        assert!(!is_occluded(&portrait, CardSide::Front));
    }
}
