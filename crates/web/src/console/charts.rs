//! The statistics charts, drawn on the server as SVG with plotters: no script, no third-party
//! request, and the same picture in every browser and in a saved page.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

const INK: RGBColor = RGBColor(0x1f, 0x29, 0x37);
const GRID: RGBColor = RGBColor(0xe5, 0xe7, 0xeb);
/// Issued, finished, passed; distinct in hue and lightness so they read in grey too.
const SERIES: [RGBColor; 3] = [
    RGBColor(0x25, 0x63, 0xeb),
    RGBColor(0xd9, 0x77, 0x06),
    RGBColor(0x05, 0x96, 0x69),
];

/// One named line of a chart over days.
pub struct Line<'a> {
    pub label: &'a str,
    pub values: Vec<i64>,
}

fn nice_max(max: i64) -> i64 {
    let max = max.max(1);
    let raw = (max + 4) / 5;
    let magnitude = 10i64.pow((raw as f64).log10().floor() as u32);
    let step = [1, 2, 5, 10]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10 * magnitude);
    step * ((max + step - 1) / step)
}

/// Lines over days: `days` are the x labels (`MM-DD`), one line per series.
pub fn daily_lines(days: &[String], lines: &[Line<'_>]) -> String {
    let mut svg = String::new();
    if let Err(err) = draw_lines(&mut svg, days, lines) {
        tracing::warn!(%err, "a statistics chart failed to draw");
        return String::new();
    }
    svg
}

fn draw_lines(
    svg: &mut String,
    days: &[String],
    lines: &[Line<'_>],
) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::with_string(svg, (760, 300)).into_drawing_area();
    root.fill(&WHITE)?;
    let max = nice_max(
        lines
            .iter()
            .flat_map(|l| l.values.iter())
            .copied()
            .max()
            .unwrap_or(0),
    );
    let last = days.len().saturating_sub(1).max(1) as i64;
    let mut chart = ChartBuilder::on(&root)
        .margin(14)
        .x_label_area_size(30)
        .y_label_area_size(48)
        .build_cartesian_2d(0i64..last, 0i64..max)?;
    let label_every = (days.len() / 8).max(1);
    chart
        .configure_mesh()
        .light_line_style(GRID)
        .bold_line_style(GRID)
        .axis_style(INK)
        .label_style(("sans-serif", 13).into_font().color(&INK))
        .x_labels(days.len().min(31))
        .x_label_formatter(&|i| {
            let i = *i as usize;
            if i.is_multiple_of(label_every) {
                days.get(i).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .y_labels(6)
        .draw()?;
    for (line, color) in lines.iter().zip(SERIES.iter().cycle()) {
        let style = ShapeStyle::from(color).stroke_width(3);
        chart
            .draw_series(LineSeries::new(
                line.values.iter().enumerate().map(|(i, v)| (i as i64, *v)),
                style,
            ))?
            .label(line.label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], style));
        if line.values.len() <= 31 {
            chart.draw_series(
                line.values
                    .iter()
                    .enumerate()
                    .map(|(i, v)| Circle::new((i as i64, *v), 3, color.filled())),
            )?;
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.9))
        .border_style(GRID)
        .label_font(("sans-serif", 13).into_font().color(&INK))
        .draw()?;
    root.present()?;
    Ok(())
}

/// Horizontal bars, one per labelled value (the funnel through the flow's pages).
pub fn bars(items: &[(String, i64)]) -> String {
    let mut svg = String::new();
    if let Err(err) = draw_bars(&mut svg, items) {
        tracing::warn!(%err, "a statistics chart failed to draw");
        return String::new();
    }
    svg
}

fn draw_bars(svg: &mut String, items: &[(String, i64)]) -> Result<(), Box<dyn std::error::Error>> {
    let height = 40 + 34 * items.len() as u32;
    let root = SVGBackend::with_string(svg, (760, height)).into_drawing_area();
    root.fill(&WHITE)?;
    let max = items.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1) as f64;
    let rows = items.len().max(1) as f64;
    // The labels sit in the chart's own coordinates, left of zero, so each one is centred on
    // its bar whatever the chart's height.
    let width = max * 1.18;
    let label_span = width / 3.0;
    let mut chart = ChartBuilder::on(&root)
        .margin(10)
        .build_cartesian_2d(-label_span..width, 0f64..rows)?;
    let centred = || {
        ("sans-serif", 14)
            .into_font()
            .color(&INK)
            .pos(Pos::new(HPos::Left, VPos::Center))
    };
    for (row, (label, value)) in items.iter().enumerate() {
        let centre = rows - row as f64 - 0.5;
        let share = *value as f64 / max;
        chart.draw_series(std::iter::once(Rectangle::new(
            [(0.0, centre - 0.36), (*value as f64, centre + 0.36)],
            SERIES[0].mix(0.35 + 0.65 * share).filled(),
        )))?;
        chart.draw_series(std::iter::once(Text::new(
            value.to_string(),
            (*value as f64 + max * 0.01, centre),
            centred(),
        )))?;
        chart.draw_series(std::iter::once(Text::new(
            label.clone(),
            (-label_span, centre),
            centred(),
        )))?;
    }
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_end_on_round_numbers() {
        assert_eq!(nice_max(0), 1);
        assert_eq!(nice_max(7), 8);
        assert_eq!(nice_max(43), 50);
        assert_eq!(nice_max(1_000_001), 1_500_000);
    }

    #[test]
    fn charts_are_svg_with_their_labels() {
        let days = vec!["12-01".to_string(), "12-02".to_string()];
        let svg = daily_lines(
            &days,
            &[Line {
                label: "issued",
                values: vec![3, 5],
            }],
        );
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("12-01") && svg.contains("issued"));
        let svg = bars(&[("opened".into(), 9), ("passed".into(), 4)]);
        assert!(svg.contains("opened") && svg.contains('9'));
    }
}
