//! A second, targeted look at portrait-side values the first pass missed.
//!
//! Detection works on the whole photo and sometimes loses a short value that stands alone: a
//! one-character nation, or a one-digit month between the faint 年 and 月. The card's layout
//! says where such a value must be — right of the 民族 label, and along the row of the birth
//! year — so that stretch of the card is cut out and recognised as one line, skipping
//! detection. It only runs when a field came back empty, so it costs nothing on cards the
//! first pass read completely.

use super::card_region::printed;
use super::fields::NATIONS;
use super::geometry::{Point, Quad};
use super::layout::TextLine;

/// A stretch of the card to recognise as one line. Lines whose centres fall inside it are
/// fragments of the same value and are replaced by the new reading.
#[derive(Debug, Clone, PartialEq)]
pub struct Region {
    pub quad: Quad,
    pub expect: Expect,
}

/// What the region's text can be.
#[derive(Debug, Clone, PartialEq)]
pub enum Expect {
    /// Anything: read it with the recogniser's best path.
    FreeText,
    /// One of these spellings: pick the likeliest. The nation is one of 56 names, two of
    /// them (傈僳, 壮) in glyphs the recogniser's best path often misspells when they stand
    /// alone, while their spelling is still the likeliest of the 56.
    OneOf(Vec<String>),
}

/// A closed-set reading is accepted when its spelling is this many nats (×2.7) likelier than
/// the runner-up, and no more than [`MAX_BELOW_BLANK`] nats less likely than blank. Measured
/// on generated cards whose nation the first pass missed: the right name led by 1.7–3.1
/// nats and sat 3–3.5 below blank; an empty stretch of card puts every name far below.
const MIN_MARGIN: f32 = 1.0;
const MAX_BELOW_BLANK: f32 = 8.0;

/// The candidate to accept from closed-set scores, if one stands out, with its probability
/// among the candidates.
pub fn choose(candidates: &[String], scores: &[Option<f32>], blank: f32) -> Option<(String, f32)> {
    let mut ranked: Vec<(f32, &String)> = scores
        .iter()
        .zip(candidates)
        .filter_map(|(score, candidate)| score.map(|s| (s, candidate)))
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
    let (best, text) = *ranked.first()?;
    let runner_up = ranked.get(1).map_or(f32::NEG_INFINITY, |r| r.0);
    let share: f32 = ranked.iter().map(|(s, _)| (s - best).exp()).sum();
    (best - runner_up >= MIN_MARGIN && best >= blank - MAX_BELOW_BLANK)
        .then(|| (text.clone(), 1.0 / share))
}

/// Where the nation value lies relative to its label, in label heights: it starts about one
/// character after the label and the longest name (柯尔克孜) spans about four and a half.
const NATION_START: f32 = 0.2;
const NATION_END: f32 = 6.0;
/// The printed birth row (`1987 年 7 月 9 日`) is about five times as wide as its year, and
/// the portrait begins beyond six; in widths of the year box.
const BIRTH_END: f32 = 5.6;
/// Vertical margin above and below the anchor box, in its heights, so a value printed in a
/// slightly larger font than its label is not clipped.
const MARGIN: f32 = 0.15;

/// What the first pass found on a portrait side: its lines, fields and card outline.
#[derive(Debug, Clone, Copy)]
pub struct FirstPass<'a> {
    pub lines: &'a [TextLine],
    pub sex: &'a str,
    pub nation: &'a str,
    pub birth: &'a str,
    pub id_num: &'a str,
    /// The card's corners in the image, reading order, when it was located.
    pub card: Option<&'a Quad>,
}

/// Regions to look at again, given the first pass.
pub fn regions(first: &FirstPass<'_>) -> Vec<Region> {
    let FirstPass {
        lines,
        sex,
        nation,
        birth,
        id_num,
        card,
    } = *first;
    let mut regions = Vec::new();
    let with_label = |label: &str, values: &[&str]| -> Vec<String> {
        values.iter().map(|v| format!("{label}{v}")).collect()
    };
    if sex.is_empty() {
        if let Some(card) = card {
            regions.push(Region {
                quad: card_part(card, printed::SEX_CELL),
                expect: Expect::OneOf(with_label("性别", &["男", "女"])),
            });
        }
    }
    if !NATIONS.contains(&nation) {
        if let Some(label) = lines.iter().find(|l| is_nation_label(&l.text)) {
            let h = label.quad.height();
            let w = label.quad.width();
            regions.push(Region {
                quad: along(&label.quad, w + NATION_START * h, w + NATION_END * h),
                expect: Expect::OneOf(NATIONS.iter().map(|n| n.to_string()).collect()),
            });
        } else if let Some(fused) = lines.iter().find(|l| starts_with_nation_label(&l.text)) {
            // The label and the value came out as one box: score the whole box, label included.
            regions.push(Region {
                quad: fused.quad,
                expect: Expect::OneOf(with_label("民族", &NATIONS)),
            });
        } else if let Some(card) = card {
            // Neither was detected: the printed layout says where both are.
            regions.push(Region {
                quad: card_part(card, printed::NATION_CELL),
                expect: Expect::OneOf(with_label("民族", &NATIONS)),
            });
        }
    }
    if birth.is_empty() && id_num.len() == 18 {
        let year = &id_num[6..10];
        if let Some(year_line) = lines.iter().find(|l| starts_with_year(&l.text, year)) {
            let w = year_line.quad.width();
            let h = year_line.quad.height();
            regions.push(Region {
                quad: along(&year_line.quad, -MARGIN * h, BIRTH_END * w),
                expect: Expect::FreeText,
            });
        }
    }
    regions
}

/// The lines with every line inside a region replaced by that region's reading.
pub fn merge(lines: Vec<TextLine>, rereads: Vec<TextLine>) -> Vec<TextLine> {
    let mut merged: Vec<TextLine> = lines
        .into_iter()
        .filter(|line| {
            let centre = line.quad.centre();
            !rereads.iter().any(|r| r.quad.contains(centre))
        })
        .collect();
    merged.extend(rereads);
    merged
}

/// The label box alone: 民族, possibly with one of its two faint characters misread.
fn is_nation_label(text: &str) -> bool {
    let chars: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
    chars.len() == 2 && (chars[0] == '民' || chars[1] == '族')
}

/// A box holding the 民族 label followed by something else.
fn starts_with_nation_label(text: &str) -> bool {
    text.starts_with("民族") && text.chars().count() > 2
}

/// A box that begins with the birth year printed in the ID number.
fn starts_with_year(text: &str, year: &str) -> bool {
    let digits: String = text
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(char::is_ascii_digit)
        .collect();
    digits == year
}

/// The part `[x0, y0, x1, y1]` (fractions of width and height) of a card whose corners are
/// in reading order; a perspective-distorted card is interpolated bilinearly.
fn card_part(card: &Quad, [x0, y0, x1, y1]: [f32; 4]) -> Quad {
    let [tl, tr, br, bl] = card.corners;
    let at = |u: f32, v: f32| {
        let top = (tl.x + (tr.x - tl.x) * u, tl.y + (tr.y - tl.y) * u);
        let bottom = (bl.x + (br.x - bl.x) * u, bl.y + (br.y - bl.y) * u);
        Point::new(
            top.0 + (bottom.0 - top.0) * v,
            top.1 + (bottom.1 - top.1) * v,
        )
    };
    Quad {
        corners: [at(x0, y0), at(x1, y0), at(x1, y1), at(x0, y1)],
    }
}

/// A box in the same reading frame as `anchor`, from `start` to `end` pixels along its
/// reading direction (measured from its left edge), a little taller than the anchor.
fn along(anchor: &Quad, start: f32, end: f32) -> Quad {
    let [tl, tr, _, bl] = anchor.corners;
    let length = tl.distance(tr).max(f32::EPSILON);
    let along = ((tr.x - tl.x) / length, (tr.y - tl.y) / length);
    let down = (bl.x - tl.x, bl.y - tl.y);
    let point = |a: f32, k: f32| {
        Point::new(
            tl.x + along.0 * a + down.0 * k,
            tl.y + along.1 * a + down.1 * k,
        )
    };
    Quad {
        corners: [
            point(start, -MARGIN),
            point(end, -MARGIN),
            point(end, 1.0 + MARGIN),
            point(start, 1.0 + MARGIN),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str, x: f32, y: f32, w: f32, h: f32) -> TextLine {
        TextLine {
            quad: Quad {
                corners: [
                    Point::new(x, y),
                    Point::new(x + w, y),
                    Point::new(x + w, y + h),
                    Point::new(x, y + h),
                ],
            },
            text: text.into(),
            confidence: 1.0,
            char_positions: Vec::new(),
        }
    }

    fn first<'a>(lines: &'a [TextLine], nation: &'a str, birth: &'a str) -> FirstPass<'a> {
        FirstPass {
            lines,
            sex: "男",
            nation,
            birth,
            id_num: "420106195310203650",
            card: None,
        }
    }

    #[test]
    fn looks_right_of_the_nation_label_and_along_the_birth_year() {
        let lines = vec![
            line("民族", 380.0, 210.0, 66.0, 26.0),
            line("1953", 285.0, 276.0, 56.0, 27.0),
            line("年10", 380.0, 276.0, 50.0, 27.0),
        ];
        let found = regions(&first(&lines, "", ""));
        assert_eq!(found.len(), 2);
        assert!(matches!(found[0].expect, Expect::OneOf(ref names) if names.len() == 56));
        assert_eq!(found[1].expect, Expect::FreeText);
        let nation = found[0].quad;
        assert!((nation.corners[0].x - (446.0 + 0.2 * 26.0)).abs() < 0.01);
        assert!((nation.corners[1].x - (446.0 + 6.0 * 26.0)).abs() < 0.01);
        let birth = found[1].quad;
        assert!(birth.contains(Point::new(405.0, 289.0)));
        assert!(!birth.contains(Point::new(285.0 + 5.7 * 56.0, 289.0)));

        let reread = line("1953年10月20日", 281.0, 272.0, 310.0, 35.0);
        let merged = merge(lines, vec![reread.clone()]);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].text, "民族");
        assert_eq!(merged[1], reread);
    }

    #[test]
    fn a_fused_label_and_value_is_scored_whole() {
        let lines = vec![line("民族保", 269.0, 225.0, 119.0, 30.0)];
        let found = regions(&first(&lines, "保", "1964/2/25"));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].quad, lines[0].quad);
        let Expect::OneOf(candidates) = &found[0].expect else {
            panic!("a nation is one of a closed set");
        };
        assert!(candidates.contains(&"民族傈僳".to_string()));
    }

    #[test]
    fn a_closed_set_reading_needs_a_clear_winner_that_is_not_far_below_blank() {
        let names: Vec<String> = ["壮", "水", "白"].map(String::from).to_vec();
        let (name, probability) = choose(&names, &[Some(-5.6), Some(-8.7), None], -2.5).unwrap();
        assert_eq!(name, "壮");
        let expected = 1.0 / (1.0 + (-3.1f32).exp());
        assert!((probability - expected).abs() < 1e-5);
        // Two names almost equally likely: neither is read.
        assert_eq!(choose(&names, &[Some(-5.6), Some(-5.9), None], -2.5), None);
        // Background only: every name far below blank.
        assert_eq!(
            choose(&names, &[Some(-15.0), Some(-19.0), None], -0.1),
            None
        );
        assert_eq!(choose(&names, &[None, None, None], -0.1), None);
    }

    #[test]
    fn nothing_to_do_when_the_fields_were_read() {
        let lines = vec![line("民族", 380.0, 210.0, 66.0, 26.0)];
        assert!(regions(&first(&lines, "汉", "1953/10/20")).is_empty());
        // Without its anchor a value cannot be placed.
        assert!(regions(&first(&[], "", "")).is_empty());
    }

    #[test]
    fn without_labels_the_card_layout_places_sex_and_nation() {
        // An upright card 856 × 540 pixels at (100, 50).
        let card = Quad {
            corners: [
                Point::new(100.0, 50.0),
                Point::new(956.0, 50.0),
                Point::new(956.0, 590.0),
                Point::new(100.0, 590.0),
            ],
        };
        let pass = FirstPass {
            sex: "",
            card: Some(&card),
            ..first(&[], "", "1953/10/20")
        };
        let found = regions(&pass);
        assert_eq!(found.len(), 2);
        // The sex cell: 性别 at x 158, 男 at x 258, on the row at y 50 + 0.3 × 540.
        assert!(found[0].quad.contains(Point::new(258.0, 212.0)));
        assert!(!found[0].quad.contains(Point::new(400.0, 212.0)));
        assert_eq!(
            found[0].expect,
            Expect::OneOf(vec!["性别男".into(), "性别女".into()])
        );
        // The nation cell: 民族 and its value, short of the portrait at x 0.615.
        assert!(found[1].quad.contains(Point::new(450.0, 212.0)));
        assert!(!found[1]
            .quad
            .contains(Point::new(100.0 + 0.62 * 856.0, 212.0)));
        assert!(matches!(&found[1].expect, Expect::OneOf(n) if n[0] == "民族汉"));
    }
}
