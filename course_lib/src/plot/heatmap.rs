//! Heatmaps: a value for every (x, y) pair of two discrete parameters.

use plotters::style::Color;

use super::canvas::{render, text_width, truncate, Font, H, TEXT_MUTED, V};
use super::frame::{
    check_range, check_size, draw_frame, fmt_linear_tick, linear_ticks, Axis, FrameSpec, Kind,
    DEFAULT_SIZE, LABEL_PX, TICK_PX,
};
use super::style::{contrasting_text, viridis, MISSING};
use super::{fmt_sig, nothing_to_plot, Figure};
use crate::error::{Error, Result};

const BAR_W: f64 = 14.0;
const BAR_GAP: f64 = 16.0;

/// A heatmap: `values[row][col]`, row `i` at y tick `i` (row 0 at the bottom, like a y
/// axis), column `j` at x tick `j`, coloured on the viridis scale with a colour bar.
/// NaN cells mean "no value" and are drawn grey.
///
/// ```
/// use course_lib::plot::Heatmap;
/// // Rows: read quorum R = 1..=3, columns: write quorum W = 1..=3 (N = 3).
/// let v = vec![
///     vec![f64::NAN, f64::NAN, 0.97],
///     vec![f64::NAN, 0.99, 0.97],
///     vec![0.97, 0.97, 0.94],
/// ];
/// let fig = Heatmap::new("Availability of strict quorums, N = 3")
///     .x_label("write quorum W")
///     .y_label("read quorum R")
///     .x_ticks(vec!["1".into(), "2".into(), "3".into()])
///     .y_ticks(vec!["1".into(), "2".into(), "3".into()])
///     .values(v)
///     .color_label("availability")
///     .nan_label("R + W ≤ N: not a valid quorum")
///     .annotate(true)
///     .render()?;
/// assert!(fig.svg().contains("availability"));
/// # Ok::<(), course_lib::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Heatmap {
    title: String,
    x_label: String,
    y_label: String,
    x_ticks: Vec<String>,
    y_ticks: Vec<String>,
    values: Vec<Vec<f64>>,
    color_label: String,
    nan_label: String,
    annotate: bool,
    range: Option<(f64, f64)>,
    size: (u32, u32),
}

impl Heatmap {
    /// A new, empty heatmap titled `title`.
    pub fn new(title: impl Into<String>) -> Self {
        Heatmap {
            title: title.into(),
            x_label: String::new(),
            y_label: String::new(),
            x_ticks: Vec::new(),
            y_ticks: Vec::new(),
            values: Vec::new(),
            color_label: String::new(),
            nan_label: "no value".to_string(),
            annotate: false,
            range: None,
            size: DEFAULT_SIZE,
        }
    }

    /// Label of the x axis (the column parameter), with its unit.
    pub fn x_label(mut self, label: impl Into<String>) -> Self {
        self.x_label = label.into();
        self
    }

    /// Label of the y axis (the row parameter), with its unit.
    pub fn y_label(mut self, label: impl Into<String>) -> Self {
        self.y_label = label.into();
        self
    }

    /// One label per column. Default: `0, 1, 2, ...`.
    pub fn x_ticks(mut self, ticks: Vec<String>) -> Self {
        self.x_ticks = ticks;
        self
    }

    /// One label per row (row 0 at the bottom). Default: `0, 1, 2, ...`.
    pub fn y_ticks(mut self, ticks: Vec<String>) -> Self {
        self.y_ticks = ticks;
        self
    }

    /// The values, `values[row][column]`; all rows the same length. NaN = no value (grey).
    pub fn values(mut self, values: Vec<Vec<f64>>) -> Self {
        self.values = values;
        self
    }

    /// What the colour means, with its unit, written beside the colour bar.
    pub fn color_label(mut self, label: impl Into<String>) -> Self {
        self.color_label = label.into();
        self
    }

    /// What a grey (NaN) cell means, shown under the colour bar when there are any.
    /// Default: "no value".
    pub fn nan_label(mut self, label: impl Into<String>) -> Self {
        self.nan_label = label.into();
        self
    }

    /// Writes each cell's value in it (when the cells are big enough to hold the text).
    pub fn annotate(mut self, on: bool) -> Self {
        self.annotate = on;
        self
    }

    /// Fixes the colour scale to `lo..hi` (values outside get the end colours). Default: the
    /// smallest and largest value.
    pub fn range(mut self, lo: f64, hi: f64) -> Self {
        self.range = Some((lo, hi));
        self
    }

    /// Figure size in pixels (default 720×400).
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.size = (width, height);
        self
    }

    fn validate(&self) -> Result<(usize, usize)> {
        check_size(self.size.0, self.size.1)?;
        let rows = self.values.len();
        let cols = self.values.first().map_or(0, Vec::len);
        if rows == 0 || cols == 0 {
            return Err(nothing_to_plot("heatmap", ".values(vec![vec![...], ...])"));
        }
        for (i, row) in self.values.iter().enumerate() {
            if row.len() != cols {
                return Err(Error::invalid(
                    "heatmap values",
                    format!(
                        "row {i} has {} values but row 0 has {cols}; all rows need the same length",
                        row.len()
                    ),
                ));
            }
            if let Some((j, v)) = row.iter().enumerate().find(|(_, v)| v.is_infinite()) {
                return Err(Error::out_of_range(
                    format!("heatmap value [{i}][{j}]"),
                    v,
                    "must be finite (use NaN for a cell without a value)",
                ));
            }
        }
        for (name, ticks, n, what) in
            [("x_ticks", &self.x_ticks, cols, "columns"), ("y_ticks", &self.y_ticks, rows, "rows")]
        {
            if !ticks.is_empty() && ticks.len() != n {
                return Err(Error::invalid(
                    "heatmap",
                    format!("{name} has {} labels but the values have {n} {what}", ticks.len()),
                ));
            }
        }
        if let Some((lo, hi)) = self.range {
            check_range("color", lo, hi, false)?;
        }
        Ok((rows, cols))
    }

    /// Renders the heatmap.
    ///
    /// # Errors
    /// No values; rows of different lengths; tick counts that do not match the values; an
    /// infinite value; an empty or reversed range.
    pub fn render(&self) -> Result<Figure> {
        let (rows, cols) = self.validate()?;
        let finite = self.values.iter().flatten().copied().filter(|v| v.is_finite());
        let (min, max) =
            finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
        let (lo, hi) = match self.range {
            Some(r) => r,
            None if min > max => (0.0, 1.0),
            None if min == max => (min - 0.5, max + 0.5),
            None => (min, max),
        };
        let has_nan = self.values.iter().flatten().any(|v| v.is_nan());
        let ticks = |given: &Vec<String>, n: usize| {
            if given.is_empty() {
                (0..n).map(|i| i.to_string()).collect()
            } else {
                given.clone()
            }
        };
        let x_axis = Axis::new(Kind::Band(ticks(&self.x_ticks, cols)), 0.0, 0.0, &self.x_label);
        let y_axis = Axis::new(Kind::Band(ticks(&self.y_ticks, rows)), 0.0, 0.0, &self.y_label);
        let (bar_ticks, step) = linear_ticks(lo, hi, 5);
        let bar_labels: Vec<String> = bar_ticks.iter().map(|&v| fmt_linear_tick(v, step)).collect();
        let bar_text_w = bar_labels.iter().map(|l| text_width(l, TICK_PX)).fold(0.0, f64::max);
        let nan_label = truncate(&self.nan_label, 40);
        let bar_block = BAR_GAP + BAR_W + 6.0 + bar_text_w + 8.0 + LABEL_PX + 4.0;
        let nan_block = if has_nan {
            BAR_GAP + BAR_W + 6.0 + text_width(&nan_label, TICK_PX) + 4.0
        } else {
            0.0
        };
        let reserve = bar_block.max(nan_block);

        render(&self.title, self.size.0, self.size.1, |c| {
            let spec = FrameSpec {
                title: &self.title,
                x: &x_axis,
                y: &y_axis,
                legend: &[],
                right_reserve: reserve,
                top_reserve: 0.0,
                grid: false,
            };
            let plot = draw_frame(c, &spec)?;
            let t = |v: f64| (v - lo) / (hi - lo);
            let (cw, ch) = (plot.x.unit(), plot.y.unit());
            let gap = if cw > 10.0 && ch > 10.0 { 1.0 } else { 0.0 };
            for (i, row) in self.values.iter().enumerate() {
                for (j, &v) in row.iter().enumerate() {
                    let (xa, xb) = (plot.x.px(j as f64), plot.x.px(j as f64 + 1.0));
                    let (ya, yb) = (plot.y.px(i as f64 + 1.0), plot.y.px(i as f64));
                    let color = if v.is_nan() { MISSING } else { viridis(t(v)) };
                    c.fill_rect((xa + gap, ya + gap), (xb, yb), color.to_rgba())?;
                    if self.annotate && !v.is_nan() {
                        let text = fmt_sig(v, 3);
                        let px = (12.0_f64)
                            .min(ch * 0.5)
                            .min((cw - 4.0) / (text.chars().count() as f64 * 0.6));
                        if px >= 6.5 {
                            let font = Font::new(px)
                                .color(contrasting_text(color))
                                .anchor(H::Center, V::Center);
                            c.text(&text, (xa + xb + gap) / 2.0, (ya + yb + gap) / 2.0, font)?;
                        }
                    }
                }
            }
            // Colour bar.
            let bx = plot.right + BAR_GAP;
            let bar_bottom = if has_nan { plot.bottom - 30.0 } else { plot.bottom };
            let bar_top = plot.top;
            let steps = 48;
            let span = bar_bottom - bar_top;
            for k in 0..steps {
                let f0 = k as f64 / steps as f64;
                let f1 = (k + 1) as f64 / steps as f64;
                let ya = bar_bottom - f0 * span;
                let yb = bar_bottom - f1 * span;
                c.fill_rect((bx, yb), (bx + BAR_W, ya + 0.6), viridis((f0 + f1) / 2.0).to_rgba())?;
            }
            let muted = TEXT_MUTED.to_rgba();
            c.stroke_rect((bx, bar_top), (bx + BAR_W, bar_bottom), muted)?;
            let tick_font = Font::new(TICK_PX).color(TEXT_MUTED).anchor(H::Left, V::Center);
            for (v, label) in bar_ticks.iter().zip(&bar_labels) {
                let y = bar_bottom - t(*v) * span;
                c.line((bx + BAR_W, y), (bx + BAR_W + 4.0, y), muted, 1, None)?;
                c.text(label, bx + BAR_W + 6.0, y, tick_font)?;
            }
            if !self.color_label.is_empty() {
                let x = bx + BAR_W + 6.0 + bar_text_w + 8.0 + LABEL_PX / 2.0;
                let font = Font::new(LABEL_PX).anchor(H::Center, V::Center).vertical();
                c.text(&truncate(&self.color_label, 40), x, (bar_top + bar_bottom) / 2.0, font)?;
            }
            if has_nan {
                let y = plot.bottom - 8.0;
                c.fill_rect((bx, y - 7.0), (bx + BAR_W, y + 7.0), MISSING.to_rgba())?;
                c.text(&nan_label, bx + BAR_W + 6.0, y, tick_font)?;
            }
            Ok(())
        })
    }
}
