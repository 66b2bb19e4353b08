//! Reading a Chinese resident ID card: text → side → fields → checks → crops and warnings.

use image::{DynamicImage, RgbImage};
use serde::Serialize;

use super::card_region::{locate_card, CardBox, UprightFrame};
use super::engine::OcrEngine;
use super::error::OcrError;
use super::fields::{
    birth_digits, detect_side, parse_back, parse_front, validity_dates, CardSide, Date, NATIONS,
};
use super::geometry::{rectify, Point, Quad};
use super::id_number::{self, IdNumberProblem};
use super::layout::{dominant_angle, group_rows, place, TextLine};
use super::quality::{
    border_incomplete, has_glare, is_occluded, looks_like_photocopy, looks_reshot,
    sharpness_quality, CardWarning,
};
use super::reread::{self, Expect};
use crate::runtime::Runtime;

/// Size of the rectified card image (10 pixels per millimetre of the 85.6 × 54 mm card).
pub const CARD_IMAGE_SIZE: (u32, u32) = (856, 540);
const PORTRAIT_HEIGHT: u32 = 320;

/// What was read from one side of an ID card. Serialises with FaceID's field names; fields of
/// the other side are empty strings.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct IdCardReading {
    pub side: CardSide,
    pub name: String,
    pub sex: String,
    pub nation: String,
    /// `YYYY/M/D`, e.g. `2015/3/8`.
    pub birth: String,
    pub address: String,
    pub id_num: String,
    pub authority: String,
    /// `YYYY.MM.DD-YYYY.MM.DD` or `YYYY.MM.DD-长期`.
    pub valid_date: String,
    /// FaceID warning codes (e.g. -9102, -8001).
    pub warnings: Vec<i64>,
    /// Sharpness 0–100; below 50 is blurry.
    pub quality: f32,
    /// Why the ID number is not acceptable (empty when it is, or on the back side).
    pub id_num_problems: Vec<IdNumberProblem>,
    /// The recognised text lines, for diagnostics.
    pub lines: Vec<TextLine>,
    /// Where the card's corners are in the image (reading order), when it could be located.
    pub card_quad: Option<Quad>,
    /// The card, rotated upright and cropped (for `IsCutIdCardImage`).
    #[serde(skip)]
    pub card_image: Option<RgbImage>,
    /// The portrait photo cut from the front (for `IsNeedIdCardAvatar` / `Portrait`).
    #[serde(skip)]
    pub portrait: Option<RgbImage>,
}

impl IdCardReading {
    /// Warnings as FaceID's `Warnings` string, e.g. `-9101|-9106`.
    pub fn warnings_string(&self) -> String {
        let codes: Vec<String> = self.warnings.iter().map(i64::to_string).collect();
        codes.join("|")
    }
}

/// Reads ID cards with a loaded [`OcrEngine`].
pub struct IdCardReader {
    engine: OcrEngine,
}

impl IdCardReader {
    pub fn new(engine: OcrEngine) -> Self {
        IdCardReader { engine }
    }

    /// Loads the OCR models through the shared runtime.
    pub fn load(runtime: &Runtime) -> Result<Self, OcrError> {
        Ok(IdCardReader::new(OcrEngine::load(runtime)?))
    }

    pub fn engine(&self) -> &OcrEngine {
        &self.engine
    }

    /// Reads one side of a card. With `side_hint`, an image of the other side is refused.
    pub fn read(
        &self,
        image: &DynamicImage,
        side_hint: Option<CardSide>,
    ) -> Result<IdCardReading, OcrError> {
        let rgb = image.to_rgb8();
        if rgb.width() == 0 || rgb.height() == 0 {
            return Err(OcrError::EmptyImage);
        }
        let lines = self.engine.read_lines(&rgb)?;
        let first = read_text(&rgb, lines, side_hint)?;
        let text = self.look_again(&rgb, first, side_hint)?;
        Ok(assess_image(&rgb, text))
    }

    /// The targeted second look (see [`reread`]) at portrait-side fields the first pass
    /// missed. It only adds what the first missed; if it confuses the layout, the first
    /// reading stands.
    fn look_again(
        &self,
        rgb: &RgbImage,
        first: TextReading,
        side_hint: Option<CardSide>,
    ) -> Result<TextReading, OcrError> {
        if first.reading.side != CardSide::Front {
            return Ok(first);
        }
        let card_quad = first.card.map(|card| first.frame.to_image(&card));
        let regions = reread::regions(&reread::FirstPass {
            lines: &first.reading.lines,
            sex: &first.reading.sex,
            nation: &first.reading.nation,
            birth: &first.reading.birth,
            id_num: &first.reading.id_num,
            card: card_quad.as_ref(),
        });
        let mut rereads = Vec::new();
        for region in &regions {
            match &region.expect {
                Expect::FreeText => {
                    rereads.extend(self.engine.read_regions(rgb, &[region.quad])?);
                }
                Expect::OneOf(candidates) => {
                    let spellings: Vec<&str> = candidates.iter().map(String::as_str).collect();
                    let scores = self.engine.score_region(rgb, &region.quad, &spellings)?;
                    if let Some((text, confidence)) =
                        reread::choose(candidates, &scores.candidates, scores.blank)
                    {
                        rereads.push(TextLine {
                            quad: region.quad,
                            text,
                            confidence,
                            char_positions: Vec::new(),
                        });
                    }
                }
            }
        }
        if rereads.is_empty() {
            return Ok(first);
        }
        let lines = reread::merge(first.reading.lines.clone(), rereads);
        Ok(match read_text(rgb, lines, side_hint) {
            Ok(second) if second.reading.id_num == first.reading.id_num => TextReading {
                reading: keep_first_where_read(first.reading, second.reading),
                ..first
            },
            _ => first,
        })
    }
}

/// The text side of a reading: fields, side and where the card is, before the image checks.
struct TextReading {
    /// Fields filled; crops, quality and image warnings still empty.
    reading: IdCardReading,
    warnings: Vec<CardWarning>,
    card: Option<CardBox>,
    frame: UprightFrame,
}

/// Everything after recognition; separate from the models so it can be tested on its own.
pub fn interpret(
    rgb: &RgbImage,
    lines: Vec<TextLine>,
    side_hint: Option<CardSide>,
) -> Result<IdCardReading, OcrError> {
    Ok(assess_image(rgb, read_text(rgb, lines, side_hint)?))
}

/// Side, fields and card position from the recognised lines.
fn read_text(
    rgb: &RgbImage,
    lines: Vec<TextLine>,
    side_hint: Option<CardSide>,
) -> Result<TextReading, OcrError> {
    if lines.is_empty() {
        return Err(OcrError::NoIdCard);
    }
    let frame = UprightFrame {
        angle: dominant_angle(&lines),
        pivot: Point::new(rgb.width() as f32 / 2.0, rgb.height() as f32 / 2.0),
    };
    // Lone punctuation or stray letters (from the photo or the guilloche) would form rows of
    // their own and shift the row order the parser relies on.
    let meaningful: Vec<TextLine> = lines
        .iter()
        .filter(|l| has_content(&l.text))
        .cloned()
        .collect();
    let rows = group_rows(place(&meaningful, frame.angle, frame.pivot));
    let side = detect_side(&rows).ok_or(OcrError::NoIdCard)?;
    if let Some(expected) = side_hint.filter(|&hint| hint != side) {
        return Err(OcrError::WrongSide {
            expected,
            found: side,
        });
    }
    let mut reading = IdCardReading {
        side,
        name: String::new(),
        sex: String::new(),
        nation: String::new(),
        birth: String::new(),
        address: String::new(),
        id_num: String::new(),
        authority: String::new(),
        valid_date: String::new(),
        warnings: Vec::new(),
        quality: 0.0,
        id_num_problems: Vec::new(),
        lines,
        card_quad: None,
        card_image: None,
        portrait: None,
    };
    let mut warnings = Vec::new();
    let card = locate_card(&rows, side);
    match side {
        CardSide::Front => {
            let fields = parse_front(&rows);
            if fields.id_num.is_empty() {
                return Err(OcrError::FieldsUnreadable("the ID number"));
            }
            reading.id_num_problems =
                id_number_problems(&fields.id_num, &fields.sex, &fields.birth);
            reading.name = fields.name;
            reading.sex = fields.sex;
            reading.nation = fields.nation;
            reading.birth = fields.birth;
            reading.address = fields.address;
            reading.id_num = fields.id_num;
        }
        CardSide::Back => {
            let fields = parse_back(&rows);
            if fields.authority.is_empty() && fields.valid_date.is_empty() {
                return Err(OcrError::FieldsUnreadable("the authority and validity"));
            }
            if !validity_is_plausible(&fields.valid_date) {
                warnings.push(CardWarning::InvalidValidityDate);
            }
            reading.authority = fields.authority;
            reading.valid_date = fields.valid_date;
        }
    }
    Ok(TextReading {
        reading,
        warnings,
        card,
        frame,
    })
}

/// Crops, quality and the image-based warnings, on the card the text located.
fn assess_image(rgb: &RgbImage, text: TextReading) -> IdCardReading {
    let TextReading {
        mut reading,
        mut warnings,
        card,
        frame,
    } = text;
    let side = reading.side;
    if let Some(card) = card {
        let quad = frame.to_image(&card);
        if border_incomplete(&quad, rgb.width(), rgb.height()) {
            warnings.push(CardWarning::BorderIncomplete);
        }
        let (w, h) = CARD_IMAGE_SIZE;
        let card_image = rectify(rgb, &quad, w, h);
        if looks_like_photocopy(&card_image) {
            warnings.push(CardWarning::Photocopy);
        }
        if looks_reshot(&card_image) {
            warnings.push(CardWarning::Reshot);
        }
        if is_occluded(&card_image, side) {
            warnings.push(CardWarning::Occluded);
        }
        if has_glare(&card_image) {
            warnings.push(CardWarning::Glare);
        }
        reading.quality = sharpness_quality(&card_image);
        if side == CardSide::Front {
            reading.portrait = Some(cut_portrait(rgb, &frame, &card));
        }
        reading.card_image = Some(card_image);
        reading.card_quad = Some(quad);
    } else {
        // Without the card outline the whole image stands in for it.
        reading.quality = sharpness_quality(rgb);
    }
    if reading.quality < 50.0 {
        warnings.push(CardWarning::Blurry);
    }
    reading.warnings = warnings.iter().map(|w| w.code()).collect();
    reading
}

/// The second reading's fields only where the first left them empty or invalid, so the
/// targeted look can fill gaps but never overrule a field the first pass read.
fn keep_first_where_read(first: IdCardReading, mut second: IdCardReading) -> IdCardReading {
    let keep = |a: &String, b: &mut String| {
        if !a.is_empty() {
            b.clone_from(a);
        }
    };
    keep(&first.name, &mut second.name);
    keep(&first.sex, &mut second.sex);
    if NATIONS.contains(&first.nation.as_str()) {
        second.nation = first.nation;
    }
    keep(&first.birth, &mut second.birth);
    keep(&first.address, &mut second.address);
    second.id_num_problems = id_number_problems(&second.id_num, &second.sex, &second.birth);
    second
}

/// Checks the ID number against itself and against the printed birth date and sex.
fn id_number_problems(id_num: &str, sex: &str, birth: &str) -> Vec<IdNumberProblem> {
    let printed_male = match sex {
        "男" => Some(true),
        "女" => Some(false),
        _ => None,
    };
    let printed_birth = birth_digits(&birth.replace('/', "年"));
    id_number::validate(id_num, printed_birth, printed_male)
}

/// Whether a line holds anything a card prints: a Chinese character or a digit.
fn has_content(text: &str) -> bool {
    text.chars()
        .any(|c| c.is_ascii_digit() || ('\u{4e00}'..='\u{9fff}').contains(&c))
}

fn cut_portrait(rgb: &RgbImage, frame: &UprightFrame, card: &CardBox) -> RgbImage {
    let portrait = card.portrait();
    let width = (PORTRAIT_HEIGHT as f32 * portrait.width / portrait.height).round() as u32;
    rectify(rgb, &frame.to_image(&portrait), width, PORTRAIT_HEIGHT)
}

/// A validity period must consist of real dates and, unless long-term, end 5, 10 or 20 years
/// after it starts on the same month and day.
fn validity_is_plausible(valid_date: &str) -> bool {
    let Some((start, end)) = validity_dates(valid_date) else {
        return false;
    };
    let real = |(y, m, d): Date| id_number::is_real_date(y, m, d);
    if !real(start) {
        return false;
    }
    match end {
        None => true,
        Some(end) => {
            let years = end.0.wrapping_sub(start.0);
            real(end) && matches!(years, 5 | 10 | 20) && (end.1, end.2) == (start.1, start.2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validity_rules() {
        assert!(validity_is_plausible("2015.03.08-2025.03.08"));
        assert!(validity_is_plausible("2001.01.05-长期"));
        assert!(!validity_is_plausible("2015.03.08-2024.03.08"));
        assert!(!validity_is_plausible("2015.02.30-2025.02.30"));
        assert!(!validity_is_plausible(""));
    }
}
