//! Hostile and degenerate inputs: every case returns the right FaceID error, none panics.

mod face_support;

use face_support::{engine, photo};
use heshen_vision::image_input::decode_image;
use heshen_vision::runtime::RuntimeConfig;
use heshen_vision::{Engine, EngineConfig, QualityIssue, VisionError};
use image::{Rgb, RgbImage};

fn png_bytes(img: &RgbImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A small valid PNG whose header claims `width`×`height`: what a decompression bomb looks like
/// to a decoder that trusts the header.
fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = png_bytes(&RgbImage::new(32, 32));
    // IHDR data starts after the 8-byte signature, 4-byte length and 4-byte type.
    bytes[16..20].copy_from_slice(&width.to_be_bytes());
    bytes[20..24].copy_from_slice(&height.to_be_bytes());
    let crc = crc32(&bytes[12..29]);
    bytes[29..33].copy_from_slice(&crc.to_be_bytes());
    bytes
}

#[test]
fn fifty_megapixel_image_is_refused_before_decoding() {
    let err = engine().decode(&png_claiming(10_000, 5_000)).unwrap_err();
    assert!(matches!(err, VisionError::ImageTooLarge { .. }), "{err}");
    assert!(matches!(err, VisionError::ImageTooLarge { .. }), "{err}");
}

#[test]
fn non_image_and_empty_bytes() {
    let err = engine().decode(b"GIF89a? no, just text").unwrap_err();
    assert!(matches!(err, VisionError::ImageDecode(_)), "{err}");
    let err = engine().decode(&[]).unwrap_err();
    assert!(matches!(err, VisionError::EmptyImage), "{err}");
    let err = engine().decode_base64("!!!not base64!!!").unwrap_err();
    assert!(matches!(err, VisionError::ImageDecode(_)), "{err}");
}

#[test]
fn truncated_and_corrupted_jpeg() {
    let full = std::fs::read(face_support::testdata("faces/obama.jpg")).unwrap();
    for cut in [10, 200, full.len() / 3] {
        // A truncated JPEG may decode to a partly grey image or fail; both are fine, a panic
        // or a hang is not, and a failure must be a decode error.
        match decode_image(&full[..cut], 36_000_000) {
            Ok(img) => {
                let _ = engine().detect(&img).unwrap();
            }
            Err(e) => assert!(matches!(e, VisionError::ImageDecode(_)), "{e}"),
        }
    }
    let mut corrupted = full.clone();
    for b in corrupted.iter_mut().skip(600).step_by(7) {
        *b ^= 0x5A;
    }
    if let Ok(img) = engine().decode(&corrupted) {
        let _ = engine().detect(&img).unwrap();
    }
}

#[test]
fn tiny_image_is_refused() {
    let err = engine()
        .decode(&png_bytes(&RgbImage::new(8, 8)))
        .unwrap_err();
    assert!(matches!(err, VisionError::ImageTooSmall { .. }), "{err}");
}

#[test]
fn image_without_a_face() {
    let img = RgbImage::from_fn(640, 480, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
    assert!(engine().detect(&img).unwrap().is_empty());
    let err = engine().embed(&img).unwrap_err();
    assert!(matches!(err, VisionError::NoFace), "{err}");
    let err = engine().compare(&img, &photo("obama.jpg")).unwrap_err();
    assert!(matches!(err, VisionError::NoFace));
}

#[test]
fn thirty_faces() {
    // Tile one face 30 times (6×5): the detector must find many without blowing up, and a
    // verification call must refuse the photo as ambiguous.
    let src = photo("obama.jpg");
    let face = engine().detect(&src).unwrap()[0].bbox.to_square();
    let side = face.width() * 1.4;
    let tile = image::imageops::crop_imm(
        &src,
        (face.center().x - side / 2.0).max(0.0) as u32,
        (face.center().y - side / 2.0).max(0.0) as u32,
        side as u32,
        side as u32,
    )
    .to_image();
    let tile = image::imageops::resize(&tile, 120, 120, image::imageops::FilterType::Triangle);
    let mut grid = RgbImage::new(120 * 6, 120 * 5);
    for i in 0..30u32 {
        image::imageops::replace(
            &mut grid,
            &tile,
            i64::from(i % 6 * 120),
            i64::from(i / 6 * 120),
        );
    }
    let faces = engine().detect(&grid).unwrap();
    assert!(faces.len() >= 25, "found {} of 30 faces", faces.len());
    let err = engine().embed(&grid).unwrap_err();
    assert!(matches!(err, VisionError::MultipleFaces(_)), "{err}");
}

#[test]
fn face_cut_off_at_the_border_is_incomplete() {
    let src = photo("obama.jpg");
    let face = engine().detect(&src).unwrap()[0].bbox;
    // Keep only the left 55% of the face.
    let cut = (face.x1 + face.width() * 0.55) as u32;
    let img = image::imageops::crop_imm(&src, 0, 0, cut, src.height()).to_image();
    match engine().embed(&img) {
        Err(e) => assert!(
            matches!(
                e,
                VisionError::PoorQuality(QualityIssue::FaceIncomplete) | VisionError::NoFace
            ),
            "{e}"
        ),
        Ok(_) => panic!("half a face must not be embedded"),
    }
}

#[test]
fn missing_models_fail_loudly() {
    let empty = tempfile::tempdir().unwrap();
    let mut config = RuntimeConfig::new(empty.path());
    // Keep the runtime library the other tests use, so the failure is the models'.
    config.ort_library = Some(engine().runtime().library_path().to_path_buf());
    let err = Engine::new(EngineConfig::new(config)).unwrap_err();
    assert!(matches!(err, VisionError::ModelMissing(_)), "{err}");
    assert!(err.is_engine_fault(), "{err}");
}

#[test]
fn face_covered_below_the_nose_is_refused_as_covered() {
    let mut img = photo("obama.jpg");
    let face = engine().detect(&img).unwrap().remove(0);
    let nose_y = face.landmarks[2].y as u32;
    for y in nose_y..(face.bbox.y2 as u32).min(img.height()) {
        for x in face.bbox.x1.max(0.0) as u32..(face.bbox.x2 as u32).min(img.width()) {
            img.put_pixel(x, y, Rgb([200, 200, 210]));
        }
    }
    let err = engine().embed(&img).unwrap_err();
    assert!(
        matches!(
            err,
            VisionError::PoorQuality(QualityIssue::Occluded) | VisionError::NoFace
        ),
        "{err}"
    );
    // The uncovered photo passes the same gate.
    assert!(engine().embed(&photo("obama.jpg")).is_ok());
}

/// Inserts an EXIF APP1 segment carrying only an orientation tag right after the JPEG SOI.
fn with_exif_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    let mut tiff = Vec::new();
    tiff.extend_from_slice(b"II*\0");
    tiff.extend_from_slice(&8u32.to_le_bytes()); // first IFD right after the header
    tiff.extend_from_slice(&1u16.to_le_bytes()); // one entry
    tiff.extend_from_slice(&0x0112u16.to_le_bytes()); // Orientation
    tiff.extend_from_slice(&3u16.to_le_bytes()); // SHORT
    tiff.extend_from_slice(&1u32.to_le_bytes()); // count
    tiff.extend_from_slice(&orientation.to_le_bytes());
    tiff.extend_from_slice(&[0, 0]); // value padding to 4 bytes
    tiff.extend_from_slice(&0u32.to_le_bytes()); // no next IFD
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

#[test]
fn exif_rotated_phone_photo_is_turned_upright() {
    // Store the portrait rotated 90° clockwise with orientation 8 ("rotate 270° to display"),
    // as a phone held sideways would.
    let upright = photo("obama.jpg");
    let sideways = image::imageops::rotate90(&upright);
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 92)
        .encode_image(&sideways)
        .unwrap();
    assert!(
        engine()
            .detect(&engine().decode(&jpeg).unwrap())
            .unwrap()
            .is_empty(),
        "a sideways face is not detected without the EXIF rotation"
    );
    let tagged = with_exif_orientation(&jpeg, 8);
    let decoded = engine().decode(&tagged).unwrap();
    assert_eq!(decoded.dimensions(), upright.dimensions());
    let c = engine().compare(&decoded, &photo("obama2.jpg")).unwrap();
    assert!(c.pass, "sim {}", c.sim);
}
