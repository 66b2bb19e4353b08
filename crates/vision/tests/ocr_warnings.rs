//! Card location, crops and FaceID warnings on generated cards with known defects.

#[path = "support/idcard_gen.rs"]
mod idcard_gen;

use heshen_vision::ocr::{occluded_share, reshot_score, CardSide, IdCardReader, IdCardReading};
use heshen_vision::runtime::{Runtime, RuntimeConfig};
use idcard_gen::{
    occlude_with_object, occlude_with_thumb, photocopy, photograph, random_identity, render_back,
    render_front, reshoot_screen, Distortion, Fonts, Photo,
};
use image::{DynamicImage, Rgb, RgbImage};
use rand::rngs::StdRng;
use rand::SeedableRng;

const BORDER_INCOMPLETE: i64 = -9101;
const PHOTOCOPY: i64 = -9102;
const RESHOT: i64 = -9103;
const OCCLUDED: i64 = -9105;
const GLARE: i64 = -9107;
const BLURRY: i64 = -8001;

fn reader() -> IdCardReader {
    let models = std::env::var("HESHEN_MODELS_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/models").into());
    let runtime = Runtime::new(RuntimeConfig::new(models))
        .expect("ONNX Runtime must load (set ORT_DYLIB_PATH)");
    IdCardReader::load(&runtime).expect("OCR models must load")
}

/// A gently photographed card: small tilt, no glare, no blur, high JPEG quality.
fn clean_photo(rng: &mut StdRng, fonts: &Fonts) -> (idcard_gen::Identity, Photo) {
    let identity = random_identity(rng);
    let card = render_front(&identity, fonts, rng);
    let gentle = Distortion {
        max_rotation_deg: 6.0,
        upside_down_chance: 0.0,
        max_perspective: 0.01,
        max_blur_sigma: 0.0,
        max_noise: 2.0,
        glare_chance: 0.0,
        jpeg_quality: 90..=95,
    };
    let photo = photograph(&card, rng, &gentle);
    (identity, photo)
}

fn read(reader: &IdCardReader, image: RgbImage) -> IdCardReading {
    reader
        .read(&DynamicImage::ImageRgb8(image), Some(CardSide::Front))
        .expect("the card must still be readable")
}

#[test]
fn clean_cards_are_located_and_raise_no_warnings() {
    let reader = reader();
    let fonts = Fonts::load();
    let mut rng = StdRng::seed_from_u64(11);
    for _ in 0..5 {
        let (identity, photo) = clean_photo(&mut rng, &fonts);
        let reading = read(&reader, photo.image);
        assert_eq!(reading.id_num, identity.id_num);
        assert!(
            reading.warnings.is_empty(),
            "warnings {:?} quality {}",
            reading.warnings,
            reading.quality
        );
        let quad = reading.card_quad.expect("card located");
        let card_width = ((photo.corners[1].0 - photo.corners[0].0).powi(2)
            + (photo.corners[1].1 - photo.corners[0].1).powi(2))
        .sqrt();
        for (found, truth) in quad.corners.iter().zip(photo.corners) {
            let error = ((found.x - truth.0).powi(2) + (found.y - truth.1).powi(2)).sqrt();
            assert!(
                error < 0.05 * card_width,
                "corner off by {error:.1}px of a {card_width:.0}px card"
            );
        }
        let card = reading.card_image.expect("card crop");
        assert_eq!(card.dimensions(), (856, 540));
        let portrait = reading.portrait.expect("portrait crop");
        // The generated photo has a black hair patch and dark clothes; the card around it has
        // no large dark areas, so a misplaced crop would miss them.
        let dark = portrait
            .pixels()
            .filter(|p| p[0].max(p[1]).max(p[2]) < 100)
            .count();
        assert!(
            dark as f32 > 0.05 * (portrait.width() * portrait.height()) as f32,
            "portrait misses the photo"
        );
    }
}

#[test]
fn greyscale_copy_is_flagged_as_photocopy() {
    let reader = reader();
    let mut rng = StdRng::seed_from_u64(12);
    let (_, photo) = clean_photo(&mut rng, &Fonts::load());
    let reading = read(&reader, photocopy(&photo.image));
    assert!(
        reading.warnings.contains(&PHOTOCOPY),
        "{:?}",
        reading.warnings
    );
}

#[test]
fn burnt_out_patch_is_flagged_as_glare() {
    let reader = reader();
    let mut rng = StdRng::seed_from_u64(13);
    let (_, photo) = clean_photo(&mut rng, &Fonts::load());
    let mut image = photo.image;
    // A white patch over the portrait, away from the text.
    let (cx, cy) = (
        (photo.corners[1].0 * 0.75 + photo.corners[0].0 * 0.25),
        (photo.corners[1].1 * 0.6 + photo.corners[2].1 * 0.4),
    );
    for (x, y, p) in image.enumerate_pixels_mut() {
        if (x as f32 - cx).powi(2) + (y as f32 - cy).powi(2) < 60.0f32.powi(2) {
            *p = Rgb([255, 255, 255]);
        }
    }
    let reading = read(&reader, image);
    assert!(reading.warnings.contains(&GLARE), "{:?}", reading.warnings);
}

#[test]
fn blurred_card_gets_low_quality() {
    let reader = reader();
    let mut rng = StdRng::seed_from_u64(14);
    let (_, photo) = clean_photo(&mut rng, &Fonts::load());
    let sharp = read(&reader, photo.image.clone());
    let blurred = read(
        &reader,
        imageproc::filter::gaussian_blur_f32(&photo.image, 1.5),
    );
    eprintln!(
        "quality sharp {} blurred {}",
        sharp.quality, blurred.quality
    );
    assert!(
        sharp.quality >= 50.0,
        "sharp card quality {}",
        sharp.quality
    );
    assert!(
        blurred.quality < 50.0,
        "blurred card quality {}",
        blurred.quality
    );
    assert!(blurred.warnings.contains(&BLURRY), "{:?}", blurred.warnings);
}

#[test]
fn card_cut_by_the_image_edge_is_flagged() {
    let reader = reader();
    let mut rng = StdRng::seed_from_u64(15);
    let (_, photo) = clean_photo(&mut rng, &Fonts::load());
    // Keep the text but cut off the card's right edge (the portrait side).
    let right_edge = photo.corners[1].0.min(photo.corners[2].0);
    let keep = (right_edge - 0.12 * (photo.corners[1].0 - photo.corners[0].0)) as u32;
    let cut = image::imageops::crop_imm(&photo.image, 0, 0, keep, photo.image.height()).to_image();
    let reading = read(&reader, cut);
    assert!(
        reading.warnings.contains(&BORDER_INCOMPLETE),
        "{:?}",
        reading.warnings
    );
}

/// The re-shoot and occlusion scores of a reading's card crop, for the record.
fn scores(reading: &IdCardReading) -> (f32, f32) {
    let card = reading.card_image.as_ref().expect("card located");
    (reshot_score(card), occluded_share(card, reading.side))
}

fn range(values: &[f32]) -> (f32, f32) {
    values
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        })
}

#[test]
fn photos_of_a_screen_are_flagged_as_reshot() {
    let reader = reader();
    let fonts = Fonts::load();
    let mut rng = StdRng::seed_from_u64(16);
    let (mut flagged, mut reshot_scores) = (0, Vec::new());
    for i in 0..10 {
        let (identity, photo) = clean_photo(&mut rng, &fonts);
        let shot = reshoot_screen(&photo, &mut rng);
        let reading = match reader.read(&DynamicImage::ImageRgb8(shot.image), Some(CardSide::Front))
        {
            Ok(reading) => reading,
            Err(e) => {
                eprintln!("re-shot card {i} unreadable: {e}");
                continue;
            }
        };
        let (reshot, occluded) = scores(&reading);
        eprintln!(
            "re-shot card {i}: {:?} reshot {reshot:.4} occluded {occluded:.4}",
            reading.warnings
        );
        assert_eq!(reading.id_num, identity.id_num);
        assert!(
            !reading.warnings.contains(&OCCLUDED),
            "a screen's moiré is not an occluder: {:?}",
            reading.warnings
        );
        flagged += usize::from(reading.warnings.contains(&RESHOT));
        reshot_scores.push(reshot);
    }
    eprintln!("re-shot scores {:?}", range(&reshot_scores));
    assert!(flagged >= 8, "only {flagged} of 10 re-shot cards flagged");
}

#[test]
fn thumbs_and_objects_over_the_card_are_flagged_as_occlusion() {
    let reader = reader();
    let fonts = Fonts::load();
    let mut rng = StdRng::seed_from_u64(17);
    let mut occluded_scores = Vec::new();
    for i in 0..12 {
        let (identity, photo) = clean_photo(&mut rng, &fonts);
        let (what, image) = if i % 2 == 0 {
            ("thumb", occlude_with_thumb(&photo, &mut rng))
        } else {
            ("object", occlude_with_object(&photo, &mut rng))
        };
        // The occluders stay clear of the ID number, so the card must still read.
        let reading = read(&reader, image);
        let (reshot, occluded) = scores(&reading);
        eprintln!(
            "{what} {i}: {:?} reshot {reshot:.4} occluded {occluded:.4}",
            reading.warnings
        );
        assert_eq!(reading.id_num, identity.id_num);
        assert!(
            reading.warnings.contains(&OCCLUDED),
            "{what} {i} not flagged: {:?}",
            reading.warnings
        );
        assert!(
            !reading.warnings.contains(&RESHOT),
            "{what} {i}: {:?}",
            reading.warnings
        );
        occluded_scores.push(occluded);
    }
    eprintln!("occluded scores {:?}", range(&occluded_scores));
}

#[test]
fn ordinary_photos_are_neither_reshot_nor_occluded() {
    let reader = reader();
    let fonts = Fonts::load();
    let mut rng = StdRng::seed_from_u64(18);
    let (mut reshot_scores, mut occluded_scores) = (Vec::new(), Vec::new());
    let mut read_count = 0;
    // Blur, noise, glare, JPEG down to quality 45, perspective and upside-down cards, on both
    // sides; glare is -9107, not occlusion.
    for i in 0..40 {
        let identity = random_identity(&mut rng);
        let (card, side) = if i % 4 == 3 {
            (render_back(&identity, &fonts, &mut rng), CardSide::Back)
        } else {
            (render_front(&identity, &fonts, &mut rng), CardSide::Front)
        };
        let photo = photograph(&card, &mut rng, &Distortion::default());
        let reading = match reader.read(&DynamicImage::ImageRgb8(photo.image), Some(side)) {
            Ok(reading) => reading,
            Err(e) => {
                eprintln!("card {i} unreadable: {e}");
                continue;
            }
        };
        read_count += 1;
        let Some(card) = reading.card_image.as_ref() else {
            continue;
        };
        let (reshot, occluded) = (reshot_score(card), occluded_share(card, side));
        eprintln!(
            "card {i} {side:?}: {:?} reshot {reshot:.4} occluded {occluded:.4}",
            reading.warnings
        );
        assert!(
            !reading.warnings.contains(&RESHOT) && !reading.warnings.contains(&OCCLUDED),
            "card {i}: {:?}",
            reading.warnings
        );
        reshot_scores.push(reshot);
        occluded_scores.push(occluded);
    }
    eprintln!(
        "genuine reshot scores {:?}, occluded scores {:?}",
        range(&reshot_scores),
        range(&occluded_scores)
    );
    assert!(
        read_count >= 34,
        "only {read_count} of 40 ordinary photos read"
    );
    assert!(
        reshot_scores.len() >= 30,
        "only {} cards located",
        reshot_scores.len()
    );
}
