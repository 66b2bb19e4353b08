//! Locates the card and its portrait photo from where the printed text sits.
//!
//! A resident ID card has a fixed layout (85.6 × 54 mm), so two recognised rows with known
//! printed positions fix the card's scale and position in the upright frame. This works on
//! any background, unlike edge-based card finding, and needs nothing the OCR has not already
//! produced.

use super::fields::{find_id_number, CardSide};
use super::geometry::{Point, Quad};
use super::layout::{PlacedLine, Row};

/// Card width / height (ISO/IEC 7810 ID-1).
pub const CARD_ASPECT: f32 = 85.6 / 54.0;

/// Printed positions as fractions of the card's width (x) and height (y), measured on the
/// layout of the real card. Text-box edges include the detector's margin around the glyphs.
pub(super) mod printed {
    /// Centre line of the name row and of the ID-number row (front).
    pub const NAME_ROW_Y: f32 = 0.170;
    pub const ID_ROW_Y: f32 = 0.873;
    /// Left edge of the ID number's digits (front).
    pub const ID_DIGITS_LEFT_X: f32 = 0.350;
    /// Centre of the ID number's first digit and the distance between digit centres (front).
    pub const ID_FIRST_DIGIT_X: f32 = 0.374;
    pub const ID_DIGIT_PITCH: f32 = 0.0273;
    /// Centre line of the title row 中华人民共和国 and of the validity row (back).
    pub const TITLE_ROW_Y: f32 = 0.160;
    pub const VALIDITY_ROW_Y: f32 = 0.865;
    /// Left edge of the 签发机关 / 有效期限 labels (back).
    pub const BACK_LABEL_LEFT_X: f32 = 0.215;
    /// The sex and nation cells of the front, each with its label, as `[x0, y0, x1, y1]`:
    /// the mock card prints that row at y 0.27–0.34, 性别 男 at x 0.07–0.23 and 民族 汉 from
    /// 0.28 to about 0.45, the longest nation (柯尔克孜) reaching 0.55.
    pub const SEX_CELL: [f32; 4] = [0.04, 0.24, 0.27, 0.36];
    pub const NATION_CELL: [f32; 4] = [0.27, 0.24, 0.60, 0.36];
    /// Portrait photo on the front.
    pub const PORTRAIT: [f32; 4] = [0.615, 0.115, 0.925, 0.615];
    /// National emblem on the back, with room for its red and gold rim.
    pub const EMBLEM: [f32; 4] = [0.04, 0.05, 0.28, 0.45];
}

/// The card in the upright frame: left, top, width, height.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CardBox {
    pub left: f32,
    pub top: f32,
    pub width: f32,
    pub height: f32,
}

impl CardBox {
    /// A sub-rectangle given in card fractions `[x0, y0, x1, y1]`.
    pub fn part(&self, fractions: [f32; 4]) -> CardBox {
        CardBox {
            left: self.left + fractions[0] * self.width,
            top: self.top + fractions[1] * self.height,
            width: (fractions[2] - fractions[0]) * self.width,
            height: (fractions[3] - fractions[1]) * self.height,
        }
    }

    pub fn portrait(&self) -> CardBox {
        self.part(printed::PORTRAIT)
    }

    pub fn emblem(&self) -> CardBox {
        self.part(printed::EMBLEM)
    }
}

/// Rotation that maps the image into the upright card frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UprightFrame {
    pub angle: f32,
    pub pivot: Point,
}

impl UprightFrame {
    /// The box's corners in image coordinates, in reading order.
    pub fn to_image(self, card: &CardBox) -> Quad {
        let (sin, cos) = self.angle.sin_cos();
        let rotate = |x: f32, y: f32| {
            let (dx, dy) = (x - self.pivot.x, y - self.pivot.y);
            Point::new(
                self.pivot.x + dx * cos - dy * sin,
                self.pivot.y + dx * sin + dy * cos,
            )
        };
        let (right, bottom) = (card.left + card.width, card.top + card.height);
        Quad {
            corners: [
                rotate(card.left, card.top),
                rotate(right, card.top),
                rotate(right, bottom),
                rotate(card.left, bottom),
            ],
        }
    }
}

/// Estimates the card from the rows of one side, or `None` without the two anchor rows.
pub fn locate_card(rows: &[Row], side: CardSide) -> Option<CardBox> {
    match side {
        CardSide::Front => locate_front(rows),
        CardSide::Back => locate_back(rows),
    }
}

fn locate_front(rows: &[Row]) -> Option<CardBox> {
    let id_index = rows
        .iter()
        .rposition(|row| find_id_number(&row.text()).is_some())?;
    let id_row = &rows[id_index];
    // The digits are the line holding the number, separate from its label when split.
    let digits = id_row
        .lines
        .iter()
        .rev()
        .find(|l| l.text.chars().filter(char::is_ascii_digit).count() >= 10)?;
    let card = from_digit_positions(digits, id_row.centre_y())
        .or_else(|| from_row_distance(rows, id_index))?;
    Some(card)
}

/// Card from the 18 digit centres of the ID number: their pitch gives the scale and the first
/// one the position. Needs every digit read on a line with character positions.
fn from_digit_positions(digits: &PlacedLine, row_y: f32) -> Option<CardBox> {
    let xs: Vec<f32> = digits
        .text
        .chars()
        .zip(&digits.char_x)
        .filter(|(c, _)| c.is_ascii_digit() || *c == 'X' || *c == 'x')
        .map(|(_, &x)| x)
        .collect();
    if xs.len() != 18 {
        return None;
    }
    let pitch = (xs[17] - xs[0]) / 17.0;
    let width = pitch / printed::ID_DIGIT_PITCH;
    let height = width / CARD_ASPECT;
    Some(CardBox {
        left: xs[0] - printed::ID_FIRST_DIGIT_X * width,
        top: row_y - printed::ID_ROW_Y * height,
        width,
        height,
    })
}

/// Card from the distance between the name row (first row) and the ID-number row.
fn from_row_distance(rows: &[Row], id_index: usize) -> Option<CardBox> {
    let id_row = &rows[id_index];
    let name_row = rows.first().filter(|_| id_index >= 3)?;
    let height =
        (id_row.centre_y() - name_row.centre_y()) / (printed::ID_ROW_Y - printed::NAME_ROW_Y);
    let width = height * CARD_ASPECT;
    let digits = id_row
        .lines
        .iter()
        .rev()
        .find(|l| l.text.chars().filter(char::is_ascii_digit).count() >= 10)?;
    let digit_count = digits.text.chars().filter(char::is_ascii_digit).count();
    let label_share = 1.0 - digit_count.min(18) as f32 / digits.text.chars().count().max(1) as f32;
    // When the label is fused into the digits' box, the box starts at the label instead.
    let digits_left = if label_share > 0.2 {
        digits.left + label_share * (digits.right - digits.left)
    } else {
        digits.left
    };
    Some(CardBox {
        left: digits_left - printed::ID_DIGITS_LEFT_X * width,
        top: id_row.centre_y() - printed::ID_ROW_Y * height,
        width,
        height,
    })
}

fn locate_back(rows: &[Row]) -> Option<CardBox> {
    let title = rows
        .iter()
        .find(|row| row.text().contains("中华人民共和国"))?;
    let validity = rows.iter().rev().find(|row| {
        let text = row.text();
        text.contains("有效期限") || text.chars().filter(char::is_ascii_digit).count() >= 8
    })?;
    let height =
        (validity.centre_y() - title.centre_y()) / (printed::VALIDITY_ROW_Y - printed::TITLE_ROW_Y);
    if height <= 0.0 {
        return None;
    }
    let width = height * CARD_ASPECT;
    let label_left = rows
        .iter()
        .filter(|row| {
            let text = row.text();
            text.starts_with("签发机关") || text.starts_with("有效期限")
        })
        .map(Row::left)
        .fold(f32::NAN, f32::min);
    let left = if label_left.is_nan() {
        // Without the labels, the validity dates start a fixed distance right of them.
        validity.left() - (printed::BACK_LABEL_LEFT_X + 0.17) * width
    } else {
        label_left - printed::BACK_LABEL_LEFT_X * width
    };
    Some(CardBox {
        left,
        top: title.centre_y() - printed::TITLE_ROW_Y * height,
        width,
        height,
    })
}
