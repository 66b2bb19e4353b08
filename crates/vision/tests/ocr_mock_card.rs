//! The mock resident ID card shipped with the test data must read back exactly.

use heshen_vision::ocr::{CardSide, IdCardReader, OcrError};
use heshen_vision::runtime::{Runtime, RuntimeConfig};

fn reader() -> IdCardReader {
    let models = std::env::var("HESHEN_MODELS_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/models").into());
    let runtime = Runtime::new(RuntimeConfig::new(models))
        .expect("ONNX Runtime must load (set ORT_DYLIB_PATH)");
    IdCardReader::load(&runtime).expect("OCR models must load")
}

fn mock_card() -> image::DynamicImage {
    let dir = std::env::var("HESHEN_TESTDATA_DIR").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/testdata").into()
    });
    image::open(format!("{dir}/idcards/idcard_mock.png")).expect("mock card image")
}

#[test]
fn mock_card_reads_every_field() {
    let reader = reader();
    let reading = reader.read(&mock_card(), Some(CardSide::Front)).unwrap();
    for line in &reading.lines {
        eprintln!(
            "{:?} {:.3} {:?}",
            line.text, line.confidence, line.quad.corners[0]
        );
    }
    assert_eq!(reading.side, CardSide::Front);
    assert_eq!(reading.name, "二哈");
    assert_eq!(reading.sex, "男");
    assert_eq!(reading.nation, "汉");
    assert_eq!(reading.birth, "2015/3/8");
    assert_eq!(reading.address, "河南省安阳市文峰区");
    assert_eq!(reading.id_num, "410502201503081234");
    assert!(
        reading.id_num_problems.is_empty(),
        "{:?}",
        reading.id_num_problems
    );
    assert!(reading.warnings.is_empty(), "{:?}", reading.warnings);
    assert!(reading.quality >= 50.0, "quality {}", reading.quality);
    let json = serde_json::to_value(&reading).unwrap();
    assert_eq!(json["IdNum"], "410502201503081234");
    assert_eq!(json["Birth"], "2015/3/8");
}

#[test]
fn mock_card_is_refused_as_the_back_side() {
    let error = reader()
        .read(&mock_card(), Some(CardSide::Back))
        .unwrap_err();
    assert!(matches!(error, OcrError::WrongSide { .. }), "{error}");
}

#[test]
fn blank_image_has_no_id_card() {
    let blank = image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
        640,
        400,
        image::Rgb([200, 200, 200]),
    ));
    let error = reader().read(&blank, None).unwrap_err();
    assert!(matches!(error, OcrError::NoIdCard), "{error}");
}
