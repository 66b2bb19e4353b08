//! Turning untrusted bytes into an RGB image without letting a hostile file exhaust memory.
//!
//! The header is read first and the pixel count checked before any pixel is decoded; the decoder
//! then runs under `image::Limits` as a second fence (e.g. for formats whose header lies).

use std::io::Cursor;

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageReader, Limits, RgbImage};

use crate::error::{Result, VisionError};

/// Largest image accepted, in pixels (about 36 MP, e.g. 7360×4912). FaceID itself caps uploads
/// far lower; this only keeps decode memory bounded (36 MP × 4 bytes ≈ 150 MB worst case).
pub const DEFAULT_MAX_PIXELS: u64 = 36_000_000;

/// Smallest side worth running a detector on.
pub const MIN_SIDE: u32 = 24;

/// Decodes JPEG/PNG/BMP/WebP bytes into RGB8, refusing anything above `max_pixels`.
pub fn decode_image(bytes: &[u8], max_pixels: u64) -> Result<RgbImage> {
    if bytes.is_empty() {
        return Err(VisionError::EmptyImage);
    }
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| VisionError::ImageDecode(e.to_string()))?;
    if reader.format().is_none() {
        return Err(VisionError::ImageDecode(
            "not a recognised image format".into(),
        ));
    }
    let (width, height) = reader
        .into_dimensions()
        .map_err(|e| VisionError::ImageDecode(e.to_string()))?;
    check_dimensions(width, height, max_pixels)?;

    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| VisionError::ImageDecode(e.to_string()))?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(width);
    limits.max_image_height = Some(height);
    // RGBA16 is the widest buffer a decoder may allocate for these formats.
    limits.max_alloc = Some(max_pixels.saturating_mul(8).max(1 << 20));
    reader.limits(limits);
    let as_decode_error = |e: image::ImageError| match e {
        image::ImageError::Limits(_) => VisionError::ImageTooLarge {
            width,
            height,
            limit: max_pixels,
        },
        other => VisionError::ImageDecode(other.to_string()),
    };
    let mut decoder = reader.into_decoder().map_err(as_decode_error)?;
    // Phone cameras store portrait shots sideways plus an EXIF rotation; the detector only
    // finds upright faces, so apply it. An unreadable orientation tag is not worth failing on.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut decoded = DynamicImage::from_decoder(decoder).map_err(as_decode_error)?;
    decoded.apply_orientation(orientation);
    Ok(decoded.to_rgb8())
}

/// Decodes a base64 string (FaceID's `ImageBase64`), tolerating a `data:` URL prefix and line
/// breaks.
pub fn decode_image_base64(text: &str, max_pixels: u64) -> Result<RgbImage> {
    let payload = match text.find(";base64,") {
        Some(i) if text.starts_with("data:") => &text[i + ";base64,".len()..],
        _ => text,
    };
    let cleaned: String = payload.chars().filter(|c| !c.is_whitespace()).collect();
    if cleaned.is_empty() {
        return Err(VisionError::EmptyImage);
    }
    let bytes =
        base64_decode(&cleaned).ok_or_else(|| VisionError::ImageDecode("invalid base64".into()))?;
    decode_image(&bytes, max_pixels)
}

/// JPEG bytes of a frame, e.g. FaceID's `BestFrameBase64` (base64 of a JPEG).
pub fn encode_jpeg(image: &RgbImage, quality: u8) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality.clamp(1, 100))
        .encode_image(image)
        .map_err(|e| VisionError::ImageDecode(format!("JPEG encoding failed: {e}")))?;
    Ok(out)
}

fn check_dimensions(width: u32, height: u32, max_pixels: u64) -> Result<()> {
    if u64::from(width) * u64::from(height) > max_pixels {
        return Err(VisionError::ImageTooLarge {
            width,
            height,
            limit: max_pixels,
        });
    }
    if width < MIN_SIDE || height < MIN_SIDE {
        return Err(VisionError::ImageTooSmall { width, height });
    }
    Ok(())
}

/// Standard-alphabet base64 (padding optional). Small and local so the engine does not pull a
/// codec crate for one call.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    fn value(c: u8) -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'+' | b'-' => Some(62),
            b'/' | b'_' => Some(63),
            _ => None,
        }
    }
    let trimmed = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(trimmed.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for &c in trimmed.as_bytes() {
        acc = (acc << 6) | value(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Resizes with a bilinear (triangle) filter through `fast_image_resize`'s SIMD kernels: the
/// `image` crate's own resize took 38 ms for a 1377×851 card photo to 960×608 on the 2-core
/// machine, a tenth of the whole OCR of one side, where this takes a few milliseconds.
pub fn resize_bilinear(image: &RgbImage, width: u32, height: u32) -> RgbImage {
    use fast_image_resize::images::{Image, ImageRef};
    use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

    let (width, height) = (width.max(1), height.max(1));
    if image.width() == 0 || image.height() == 0 {
        return RgbImage::new(width, height);
    }
    let source = ImageRef::new(
        image.width(),
        image.height(),
        image.as_raw(),
        PixelType::U8x3,
    );
    let mut target = Image::new(width, height, PixelType::U8x3);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Bilinear));
    let resized = source.map_err(|e| e.to_string()).and_then(|source| {
        Resizer::new()
            .resize(&source, &mut target, &options)
            .map_err(|e| e.to_string())
    });
    match resized {
        Ok(()) => RgbImage::from_raw(width, height, target.into_vec())
            .expect("the target buffer holds width × height RGB pixels"),
        // U8x3 buffers have no alignment requirement and the sizes match, so this cannot
        // happen; the slower resize keeps the function total anyway.
        Err(_) => {
            image::imageops::resize(image, width, height, image::imageops::FilterType::Triangle)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trip_of_known_text() {
        assert_eq!(base64_decode("aGVsbG8gd29ybGQ=").unwrap(), b"hello world");
        assert_eq!(base64_decode("aGk").unwrap(), b"hi");
        assert!(base64_decode("a*b").is_none());
    }

    #[test]
    fn non_image_bytes_are_a_decode_error() {
        let err = decode_image(b"definitely not an image", DEFAULT_MAX_PIXELS).unwrap_err();
        assert!(matches!(err, VisionError::ImageDecode(_)), "{err}");
    }

    #[test]
    fn jpeg_round_trip_keeps_size() {
        let img = RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8 * 4, y as u8 * 5, 128]));
        let bytes = encode_jpeg(&img, 90).unwrap();
        let back = decode_image(&bytes, DEFAULT_MAX_PIXELS).unwrap();
        assert_eq!(back.dimensions(), (64, 48));
    }

    #[test]
    fn empty_input_is_empty_image() {
        assert!(matches!(
            decode_image(&[], DEFAULT_MAX_PIXELS),
            Err(VisionError::EmptyImage)
        ));
        assert!(matches!(
            decode_image_base64("  ", DEFAULT_MAX_PIXELS),
            Err(VisionError::EmptyImage)
        ));
    }

    #[test]
    fn fast_resize_matches_the_image_crates_bilinear_resize() {
        let source = RgbImage::from_fn(301, 177, |x, y| {
            image::Rgb([(x % 256) as u8, (y * 3 % 256) as u8, ((x * y) % 251) as u8])
        });
        let fast = resize_bilinear(&source, 160, 96);
        let reference =
            image::imageops::resize(&source, 160, 96, image::imageops::FilterType::Triangle);
        assert_eq!(fast.dimensions(), (160, 96));
        let mean_difference = fast
            .as_raw()
            .iter()
            .zip(reference.as_raw())
            .map(|(a, b)| f64::from(a.abs_diff(*b)))
            .sum::<f64>()
            / fast.as_raw().len() as f64;
        assert!(mean_difference < 4.0, "mean difference {mean_difference}");
        assert_eq!(
            resize_bilinear(&RgbImage::new(0, 0), 4, 3).dimensions(),
            (4, 3)
        );
    }
}
