//! Pixel sampling into model input buffers: box-filter (area) resizing through a summed-area
//! table, and bilinear warping through a similarity transform.
//!
//! Buffers are interleaved RGB `f32` in 0..255, row-major (HWC); each model applies its own
//! normalisation afterwards.

use image::RgbImage;

use super::geometry::Similarity;

/// Largest image (in pixels) an [`AreaSampler`] accepts: its u32 sums stay below overflow
/// (16.8 MP × 255) and its table below 50 MB. Larger images are box-shrunk first.
pub const SAMPLER_MAX_PIXELS: u64 = 4_000_000;

/// Summed-area table of an RGB image, so any box average costs four lookups. MTCNN samples
/// a dozen pyramid levels and many crops from one image; this makes each cost O(output pixels)
/// and spares building a resized copy of the image first.
pub struct AreaSampler {
    width: usize,
    height: usize,
    /// `(width+1)·(height+1)·3` running sums.
    sums: Vec<u32>,
}

impl AreaSampler {
    pub fn new(image: &RgbImage) -> Self {
        let (width, height) = (image.width() as usize, image.height() as usize);
        let stride = (width + 1) * 3;
        let mut sums = vec![0u32; stride * (height + 1)];
        let raw = image.as_raw();
        for y in 0..height {
            let mut row = [0u32; 3];
            let (above, current) = sums.split_at_mut((y + 1) * stride);
            let above = &above[y * stride..];
            for x in 0..width {
                let px = &raw[(y * width + x) * 3..(y * width + x) * 3 + 3];
                for c in 0..3 {
                    // Wrapping: see `box_mean`; callers keep images under the size where a
                    // single box sum could exceed u32.
                    row[c] = row[c].wrapping_add(u32::from(px[c]));
                    let at = (x + 1) * 3 + c;
                    current[at] = above[at].wrapping_add(row[c]);
                }
            }
        }
        AreaSampler {
            width,
            height,
            sums,
        }
    }

    pub fn width(&self) -> usize {
        self.width
    }

    pub fn height(&self) -> usize {
        self.height
    }

    /// Mean of each channel over the pixel rectangle `[x0,x1)×[y0,y1)`, clipped to the image;
    /// the part outside counts as black, as zero padding does in MTCNN's crops.
    fn box_mean(&self, x0: i64, y0: i64, x1: i64, y1: i64) -> [f32; 3] {
        let full = ((x1 - x0) * (y1 - y0)).max(1) as f32;
        let cx0 = x0.clamp(0, self.width as i64) as usize;
        let cx1 = x1.clamp(0, self.width as i64) as usize;
        let cy0 = y0.clamp(0, self.height as i64) as usize;
        let cy1 = y1.clamp(0, self.height as i64) as usize;
        if cx1 <= cx0 || cy1 <= cy0 {
            return [0.0; 3];
        }
        let stride = (self.width + 1) * 3;
        let mut out = [0.0f32; 3];
        for (c, slot) in out.iter_mut().enumerate() {
            // Wrapping arithmetic: the true result is non-negative and fits, whatever order
            // the four terms are combined in.
            let s = self.sums[cy1 * stride + cx1 * 3 + c]
                .wrapping_add(self.sums[cy0 * stride + cx0 * 3 + c])
                .wrapping_sub(self.sums[cy0 * stride + cx1 * 3 + c])
                .wrapping_sub(self.sums[cy1 * stride + cx0 * 3 + c]);
            *slot = s as f32 / full;
        }
        out
    }

    /// Resamples the region `[x0,x1)×[y0,y1)` (may extend past the image) to `out_w`×`out_h`.
    pub fn resample(&self, region: (f32, f32, f32, f32), out_w: usize, out_h: usize) -> Vec<f32> {
        let (x0, y0, x1, y1) = region;
        let sx = (x1 - x0) / out_w as f32;
        let sy = (y1 - y0) / out_h as f32;
        let mut out = Vec::with_capacity(out_w * out_h * 3);
        for oy in 0..out_h {
            let ya = (y0 + oy as f32 * sy).floor() as i64;
            let yb = ((y0 + (oy + 1) as f32 * sy).floor() as i64).max(ya + 1);
            for ox in 0..out_w {
                let xa = (x0 + ox as f32 * sx).floor() as i64;
                let xb = ((x0 + (ox + 1) as f32 * sx).floor() as i64).max(xa + 1);
                out.extend_from_slice(&self.box_mean(xa, ya, xb, yb));
            }
        }
        out
    }
}

/// Averages `factor`×`factor` blocks: a cheap, alias-free shrink of very large photos before
/// a summed-area table is built over them.
pub fn shrink_by_blocks(image: &RgbImage, factor: u32) -> RgbImage {
    let factor = factor.max(1);
    let (w, h) = (image.width() / factor, image.height() / factor);
    let area = factor * factor;
    let raw = image.as_raw();
    let stride = image.width() as usize * 3;
    let mut out = RgbImage::new(w.max(1), h.max(1));
    for (ox, oy, px) in out.enumerate_pixels_mut() {
        let mut acc = [0u32; 3];
        for dy in 0..factor {
            let row = (oy * factor + dy) as usize * stride;
            for dx in 0..factor {
                let at = row + (ox * factor + dx) as usize * 3;
                for c in 0..3 {
                    acc[c] += u32::from(raw[at + c]);
                }
            }
        }
        *px = image::Rgb(acc.map(|v| (v / area) as u8));
    }
    out
}

/// Samples `out_w`×`out_h` pixels where output pixel `(u,v)` takes the image value at
/// `dst_to_src(u,v)`, bilinearly interpolated; outside the image is black.
pub fn warp_bilinear(
    image: &RgbImage,
    dst_to_src: &Similarity,
    out_w: usize,
    out_h: usize,
) -> Vec<f32> {
    let (w, h) = (image.width() as i64, image.height() as i64);
    let raw = image.as_raw();
    let pixel = |x: i64, y: i64, c: usize| -> f32 {
        if x < 0 || y < 0 || x >= w || y >= h {
            0.0
        } else {
            f32::from(raw[((y * w + x) * 3) as usize + c])
        }
    };
    let mut out = Vec::with_capacity(out_w * out_h * 3);
    for v in 0..out_h {
        for u in 0..out_w {
            let p = dst_to_src.apply(super::geometry::Point::new(u as f32, v as f32));
            let (fx, fy) = (p.x.floor(), p.y.floor());
            let (ax, ay) = (p.x - fx, p.y - fy);
            let (x, y) = (fx as i64, fy as i64);
            for c in 0..3 {
                let top = pixel(x, y, c) * (1.0 - ax) + pixel(x + 1, y, c) * ax;
                let bottom = pixel(x, y + 1, c) * (1.0 - ax) + pixel(x + 1, y + 1, c) * ax;
                out.push(top * (1.0 - ay) + bottom * ay);
            }
        }
    }
    out
}

/// Converts an HWC RGB buffer to 8-bit grey (BT.601 luma).
pub fn to_grey(rgb: &[f32]) -> Vec<f32> {
    rgb.chunks_exact(3)
        .map(|p| 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn area_resample_averages_blocks() {
        let mut img = RgbImage::new(4, 2);
        for (x, _, p) in img.enumerate_pixels_mut() {
            let v = if x < 2 { 100 } else { 200 };
            *p = image::Rgb([v, v, v]);
        }
        let sampler = AreaSampler::new(&img);
        let out = sampler.resample((0.0, 0.0, 4.0, 2.0), 2, 1);
        assert_eq!(out, vec![100.0, 100.0, 100.0, 200.0, 200.0, 200.0]);
        // half outside the image on the left: black padding halves the mean
        let padded = sampler.resample((-2.0, 0.0, 2.0, 2.0), 1, 1);
        assert_eq!(padded[0], 50.0);
    }

    #[test]
    fn block_shrink_averages() {
        let img = RgbImage::from_fn(4, 4, |x, _| image::Rgb([x as u8 * 10, 0, 255]));
        let small = shrink_by_blocks(&img, 2);
        assert_eq!(small.dimensions(), (2, 2));
        assert_eq!(small.get_pixel(0, 0).0, [5, 0, 255]);
        assert_eq!(small.get_pixel(1, 1).0, [25, 0, 255]);
    }
}
