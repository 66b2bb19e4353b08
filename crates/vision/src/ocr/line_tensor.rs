//! Packs text-line crops into the fixed-height, zero-padded batches the classifier and the
//! recogniser take.

use image::RgbImage;

use crate::image_input::resize_bilinear;
use crate::runtime::TensorF32;

/// Resizes each crop to `height` keeping its aspect ratio (at most `width` wide), scales
/// pixels to [-1, 1] in BGR order and pads on the right with zeros to `width`.
pub fn pack_lines(crops: &[&RgbImage], height: u32, width: u32) -> TensorF32 {
    let (h, w) = (height as usize, width as usize);
    let plane = h * w;
    let mut data = vec![0.0f32; crops.len() * 3 * plane];
    for (n, crop) in crops.iter().enumerate() {
        let ratio = crop.width() as f32 / crop.height().max(1) as f32;
        let scaled_w = ((height as f32 * ratio).ceil() as u32).clamp(1, width);
        let resized = resize_bilinear(crop, scaled_w, height);
        let base = n * 3 * plane;
        for (x, y, pixel) in resized.enumerate_pixels() {
            let offset = y as usize * w + x as usize;
            let bgr = [pixel[2], pixel[1], pixel[0]];
            for c in 0..3 {
                data[base + c * plane + offset] = f32::from(bgr[c]) / 127.5 - 1.0;
            }
        }
    }
    TensorF32::new(vec![crops.len(), 3, h, w], data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    #[test]
    fn keeps_aspect_and_pads_with_zero() {
        let crop = RgbImage::from_pixel(20, 10, Rgb([255, 0, 0]));
        let tensor = pack_lines(&[&crop], 4, 16);
        assert_eq!(tensor.shape, vec![1, 3, 4, 16]);
        // Blue plane first (BGR): red pixel has blue 0 → -1; the padding stays 0.
        assert_eq!(tensor.data[0], -1.0);
        assert_eq!(tensor.data[8], 0.0);
        // Red plane is the third: 255 → 1.
        assert_eq!(tensor.data[2 * 64], 1.0);
    }
}
