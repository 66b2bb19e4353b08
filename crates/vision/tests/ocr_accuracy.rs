//! OCR accuracy over synthetic, photographed ID cards with known contents.
//!
//! `HESHEN_OCR_CARDS` sets how many identities are generated (default 200; each gives a front
//! and a back photo). Per-field exact-match rates are printed; the ID number and the name
//! carry hard floors. Run it optimised (`cargo test --release -p heshen-vision --test
//! ocr_accuracy`): 400 photos take about 7 minutes on a busy 2-core machine in release and many
//! times that in a debug build.

#[path = "support/idcard_gen.rs"]
mod idcard_gen;
#[path = "support/ocr_fields.rs"]
mod ocr_fields;

use heshen_vision::ocr::{CardSide, IdCardReader};
use heshen_vision::runtime::{Runtime, RuntimeConfig};
use idcard_gen::{photograph, random_identity, render_back, render_front, Distortion, Fonts};
use ocr_fields::FieldTally;
use rand::SeedableRng;

fn reader() -> IdCardReader {
    let models = std::env::var("HESHEN_MODELS_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/models").into());
    let runtime = Runtime::new(RuntimeConfig::new(models))
        .expect("ONNX Runtime must load (set ORT_DYLIB_PATH)");
    IdCardReader::load(&runtime).expect("OCR models must load")
}

#[test]
fn generated_cards_read_accurately() {
    let cards: usize = std::env::var("HESHEN_OCR_CARDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let reader = reader();
    let fonts = Fonts::load();
    let mut rng = rand::rngs::StdRng::seed_from_u64(20_261_122);
    let distortion = Distortion::default();
    let mut tally = FieldTally::default();
    for _ in 0..cards {
        let identity = random_identity(&mut rng);
        let front = photograph(
            &render_front(&identity, &fonts, &mut rng),
            &mut rng,
            &distortion,
        );
        let back = photograph(
            &render_back(&identity, &fonts, &mut rng),
            &mut rng,
            &distortion,
        );
        if let Ok(dir) = std::env::var("HESHEN_OCR_SAVE_DIR") {
            front
                .image
                .save(format!("{dir}/{}.png", identity.id_num))
                .unwrap();
        }
        let front_reading = reader
            .read(
                &image::DynamicImage::ImageRgb8(front.image),
                Some(CardSide::Front),
            )
            .ok();
        if std::env::var_os("HESHEN_OCR_SHOW_LINES").is_some() {
            let lines: Vec<&str> = front_reading
                .iter()
                .flat_map(|r| r.lines.iter().map(|l| l.text.as_str()))
                .collect();
            println!(
                "{} {} {} {:?}",
                identity.name, identity.sex, identity.nation, lines
            );
        }
        tally.add_front(
            &identity,
            front_reading.as_ref().map(ocr_fields::Fields::from_reading),
        );
        let back_reading = reader
            .read(
                &image::DynamicImage::ImageRgb8(back.image),
                Some(CardSide::Back),
            )
            .ok();
        tally.add_back(
            &identity,
            back_reading.as_ref().map(ocr_fields::Fields::from_reading),
        );
    }
    tally.print("heshen");
    assert!(
        tally.rate("IdNum") >= 0.99,
        "ID number accuracy {:.3}",
        tally.rate("IdNum")
    );
    assert!(
        tally.rate("Name") >= 0.97,
        "name accuracy {:.3}",
        tally.rate("Name")
    );
}
