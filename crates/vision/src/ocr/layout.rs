//! Puts recognised text lines into the card's own upright frame and groups them into rows.
//!
//! Text boxes come back in image coordinates, possibly tilted or upside down. Rotating every
//! line centre by the dominant reading angle gives coordinates where the card is upright, so
//! "same row" and "left of" mean what they mean on the printed card.

use super::geometry::{Point, Quad};

/// A recognised text line in image coordinates, corners in reading order.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TextLine {
    pub quad: Quad,
    pub text: String,
    pub confidence: f32,
    /// Where each character of `text` sits along the line, as a share (0–1) of its width;
    /// empty when the recogniser did not report positions.
    #[serde(skip)]
    pub char_positions: Vec<f32>,
}

/// A text line in the upright card frame.
#[derive(Debug, Clone, PartialEq)]
pub struct PlacedLine {
    pub text: String,
    pub left: f32,
    pub right: f32,
    /// Horizontal centre of each character of `text` (empty when unknown).
    pub char_x: Vec<f32>,
    pub centre_y: f32,
    pub height: f32,
}

/// Lines sharing a baseline, left to right.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub lines: Vec<PlacedLine>,
}

impl Row {
    pub fn centre_y(&self) -> f32 {
        self.lines.iter().map(|l| l.centre_y).sum::<f32>() / self.lines.len() as f32
    }

    pub fn left(&self) -> f32 {
        self.lines.iter().map(|l| l.left).fold(f32::MAX, f32::min)
    }

    /// The row's lines joined by single spaces, so separate boxes stay separate words.
    pub fn spaced_text(&self) -> String {
        let words: Vec<String> = self
            .lines
            .iter()
            .map(|l| l.text.split_whitespace().collect())
            .collect();
        words.join(" ")
    }

    /// The row's text with every line concatenated and whitespace removed.
    pub fn text(&self) -> String {
        self.lines
            .iter()
            .flat_map(|l| l.text.chars())
            .filter(|c| !c.is_whitespace())
            .collect()
    }
}

/// Reading angle shared by most of the text (radians): the length-weighted circular mean of
/// the long lines' angles, which short one- or two-character boxes would only make noisy.
pub fn dominant_angle(lines: &[TextLine]) -> f32 {
    let long: Vec<&TextLine> = lines
        .iter()
        .filter(|l| l.quad.width() >= 2.0 * l.quad.height())
        .collect();
    let pool: Vec<&TextLine> = if long.is_empty() {
        lines.iter().collect()
    } else {
        long
    };
    let (sin, cos) = pool.iter().fold((0.0f32, 0.0f32), |(s, c), l| {
        let angle = l.quad.angle();
        let weight = l.quad.width();
        (s + weight * angle.sin(), c + weight * angle.cos())
    });
    sin.atan2(cos)
}

/// Rotates every line by `-angle` about `pivot` so the text reads left to right, horizontally.
pub fn place(lines: &[TextLine], angle: f32, pivot: Point) -> Vec<PlacedLine> {
    let (sin, cos) = (-angle).sin_cos();
    let rotate = |p: Point| {
        let (dx, dy) = (p.x - pivot.x, p.y - pivot.y);
        Point::new(pivot.x + dx * cos - dy * sin, pivot.y + dx * sin + dy * cos)
    };
    lines
        .iter()
        .map(|line| {
            let corners = line.quad.corners.map(rotate);
            let xs = corners.map(|p| p.x);
            let ys = corners.map(|p| p.y);
            let min = |v: [f32; 4]| v.iter().copied().fold(f32::MAX, f32::min);
            let max = |v: [f32; 4]| v.iter().copied().fold(f32::MIN, f32::max);
            let (left, right) = (min(xs), max(xs));
            let valid_positions = line.char_positions.len() == line.text.chars().count();
            PlacedLine {
                text: line.text.clone(),
                left,
                right,
                char_x: if valid_positions {
                    line.char_positions
                        .iter()
                        .map(|f| left + f * (right - left))
                        .collect()
                } else {
                    Vec::new()
                },
                centre_y: (min(ys) + max(ys)) / 2.0,
                height: line.quad.height(),
            }
        })
        .collect()
}

/// Groups placed lines into rows: a line joins a row when its centre lies within half a
/// typical line height of the row's centre.
pub fn group_rows(mut lines: Vec<PlacedLine>) -> Vec<Row> {
    if lines.is_empty() {
        return Vec::new();
    }
    let mut heights: Vec<f32> = lines.iter().map(|l| l.height).collect();
    heights.sort_by(f32::total_cmp);
    let tolerance = heights[heights.len() / 2] * 0.5;
    lines.sort_by(|a, b| a.centre_y.total_cmp(&b.centre_y));
    let mut rows: Vec<Row> = Vec::new();
    for line in lines {
        match rows.last_mut() {
            Some(row) if (line.centre_y - row.centre_y()).abs() <= tolerance => {
                row.lines.push(line)
            }
            _ => rows.push(Row { lines: vec![line] }),
        }
    }
    for row in &mut rows {
        row.lines.sort_by(|a, b| a.left.total_cmp(&b.left));
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str, x: f32, y: f32, w: f32, h: f32, angle: f32) -> TextLine {
        let (s, c) = angle.sin_cos();
        let at = |dx: f32, dy: f32| Point::new(x + dx * c - dy * s, y + dx * s + dy * c);
        TextLine {
            quad: Quad {
                corners: [at(0.0, 0.0), at(w, 0.0), at(w, h), at(0.0, h)],
            },
            text: text.to_string(),
            confidence: 1.0,
            char_positions: Vec::new(),
        }
    }

    #[test]
    fn upside_down_lines_are_placed_upright_and_grouped() {
        // An upright layout, then the same turned by 180 degrees about (100, 50).
        let upright = [
            line("姓名", 10.0, 10.0, 40.0, 10.0, 0.0),
            line("张三", 60.0, 11.0, 40.0, 10.0, 0.0),
            line("住址某地某号", 10.0, 40.0, 120.0, 10.0, 0.0),
        ];
        let turned: Vec<TextLine> = upright
            .iter()
            .map(|l| TextLine {
                quad: l.quad.map(|p| Point::new(200.0 - p.x, 100.0 - p.y)),
                ..l.clone()
            })
            .collect();
        let angle = dominant_angle(&turned);
        assert!((angle.abs() - std::f32::consts::PI).abs() < 1e-3);
        let rows = group_rows(place(&turned, angle, Point::new(100.0, 50.0)));
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].text(), "姓名张三");
        assert_eq!(rows[1].text(), "住址某地某号");
    }
}
