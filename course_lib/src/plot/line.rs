//! Line charts: one or more `(x, y)` series, with reference lines and shaded intervals.

use plotters::style::{Color, RGBColor, WHITE};

use super::canvas::{render, text_width, truncate, Canvas, Font, H, V};
use super::frame::{
    check_range, check_size, draw_frame, draw_legend, layout, padded, Axis, FrameSpec, Kind,
    LegendEntry, Plot, DEFAULT_SIZE,
};
use super::style::{draw_marker, series_style, REFERENCE, REFERENCE_DASH};
use super::{check_points, not_log_plottable, nothing_to_plot, Figure};
use crate::error::{Error, Result};

/// Most markers drawn per series; longer series get a marker every k-th point.
const MAX_MARKERS: usize = 40;
/// Font size of reference-line and band labels.
const NOTE_PX: f64 = 10.5;
/// Fill of shaded bands (a red not in the series palette).
const BAND_FILL: RGBColor = RGBColor(0xE0, 0x50, 0x40);
/// Text of band labels.
const BAND_TEXT: RGBColor = RGBColor(0xA0, 0x30, 0x24);

/// A row of bars: (legend name, y, spans).
pub(crate) type IntervalRow = (String, f64, Vec<(f64, f64)>);

/// A line chart of one or more `(x, y)` series.
///
/// ```
/// use course_lib::plot::LineChart;
/// let fig = LineChart::new("Error budget burn-down")
///     .x_label("time (h)")
///     .y_label("budget left (%)")
///     .series("budget", [(0.0, 100.0), (12.0, 80.0), (24.0, 35.0), (36.0, 30.0)])
///     .band(14.0, 22.0, "fast-burn alert")
///     .vline(24.0, "deploy rolled back")
///     .hline(50.0, "half spent")
///     .render()?;
/// assert!(fig.svg().contains("fast-burn alert"));
/// # Ok::<(), course_lib::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct LineChart {
    pub(crate) title: String,
    pub(crate) x_label: String,
    pub(crate) y_label: String,
    pub(crate) series: Vec<(String, Vec<(f64, f64)>)>,
    pub(crate) log_x: bool,
    pub(crate) log_y: bool,
    pub(crate) x_range: Option<(f64, f64)>,
    pub(crate) y_range: Option<(f64, f64)>,
    pub(crate) markers: bool,
    pub(crate) integer_x: bool,
    pub(crate) integer_y: bool,
    pub(crate) size: (u32, u32),
    pub(crate) hlines: Vec<(f64, String)>,
    pub(crate) vlines: Vec<(f64, String)>,
    pub(crate) bands: Vec<(f64, f64, String)>,
    /// Rows of horizontal bars: (name, y, spans), drawn in the style after the series'.
    pub(crate) intervals: Vec<IntervalRow>,
    /// Name of the chart kind in error messages.
    pub(crate) kind: &'static str,
}

impl LineChart {
    /// A new, empty chart titled `title` (720×400 px, linear axes).
    pub fn new(title: impl Into<String>) -> Self {
        LineChart {
            title: title.into(),
            x_label: String::new(),
            y_label: String::new(),
            series: Vec::new(),
            log_x: false,
            log_y: false,
            x_range: None,
            y_range: None,
            markers: false,
            integer_x: false,
            integer_y: false,
            size: DEFAULT_SIZE,
            hlines: Vec::new(),
            vlines: Vec::new(),
            bands: Vec::new(),
            intervals: Vec::new(),
            kind: "line chart",
        }
    }

    /// Label of the x axis, with its unit: `"timeout (ms)"`.
    pub fn x_label(mut self, label: impl Into<String>) -> Self {
        self.x_label = label.into();
        self
    }

    /// Label of the y axis, with its unit: `"false suspicions (%)"`.
    pub fn y_label(mut self, label: impl Into<String>) -> Self {
        self.y_label = label.into();
        self
    }

    /// Adds a series called `name` (shown in the legend when there is more than one).
    pub fn series(
        mut self,
        name: impl Into<String>,
        points: impl IntoIterator<Item = (f64, f64)>,
    ) -> Self {
        self.series.push((name.into(), points.into_iter().collect()));
        self
    }

    /// Logarithmic x axis (all x values must be > 0).
    pub fn log_x(mut self) -> Self {
        self.log_x = true;
        self
    }

    /// Logarithmic y axis (all y values must be > 0).
    pub fn log_y(mut self) -> Self {
        self.log_y = true;
        self
    }

    /// Fixes the x axis to `lo..hi` instead of the data bounds; data outside is clipped.
    pub fn x_range(mut self, lo: f64, hi: f64) -> Self {
        self.x_range = Some((lo, hi));
        self
    }

    /// Fixes the y axis to `lo..hi` instead of the data bounds; data outside is clipped.
    pub fn y_range(mut self, lo: f64, hi: f64) -> Self {
        self.y_range = Some((lo, hi));
        self
    }

    /// Ticks the x axis at whole numbers only (a count, a quorum size, a node index).
    pub fn integer_x(mut self) -> Self {
        self.integer_x = true;
        self
    }

    /// Ticks the y axis at whole numbers only.
    pub fn integer_y(mut self) -> Self {
        self.integer_y = true;
        self
    }

    /// Draws a marker at the data points (at most ~40 per series), as well as the line.
    pub fn markers(mut self, on: bool) -> Self {
        self.markers = on;
        self
    }

    /// Figure size in pixels (default 720×400).
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.size = (width, height);
        self
    }

    /// A horizontal dashed reference line at `y` (a target, an SLO), labelled at its right end.
    pub fn hline(mut self, y: f64, label: impl Into<String>) -> Self {
        self.hlines.push((y, label.into()));
        self
    }

    /// A vertical dashed line at `x` marking an event, labelled at the top.
    pub fn vline(mut self, x: f64, label: impl Into<String>) -> Self {
        self.vlines.push((x, label.into()));
        self
    }

    /// A shaded vertical band from `x0` to `x1` (an alert interval, an outage), labelled at
    /// the top.
    pub fn band(mut self, x0: f64, x1: f64, label: impl Into<String>) -> Self {
        self.bands.push((x0, x1, label.into()));
        self
    }

    /// A row of solid bars at height `y`, one from `x0` to `x1` for every span (e.g. when an
    /// alert was firing), in its own colour with a legend entry called `name`. Spans may be
    /// empty (the legend still shows the row). Bars are drawn at least 2 px wide so a short
    /// span stays visible.
    pub fn intervals(
        mut self,
        name: impl Into<String>,
        y: f64,
        spans: impl IntoIterator<Item = (f64, f64)>,
    ) -> Self {
        self.intervals.push((name.into(), y, spans.into_iter().collect()));
        self
    }

    fn validate(&self) -> Result<()> {
        check_size(self.size.0, self.size.1)?;
        if self.series.is_empty() {
            return Err(nothing_to_plot(self.kind, ".series(name, points)"));
        }
        for (name, pts) in &self.series {
            check_points(name, pts)?;
            for (i, &(x, y)) in pts.iter().enumerate() {
                if self.log_x && x <= 0.0 {
                    return Err(not_log_plottable(name, i, "x", x));
                }
                if self.log_y && y <= 0.0 {
                    return Err(not_log_plottable(name, i, "y", y));
                }
            }
        }
        let check_ref = |what: String, v: f64, log: bool, axis: &str| -> Result<()> {
            if !v.is_finite() {
                return Err(Error::out_of_range(what, v, "must be a finite number"));
            }
            if log && v <= 0.0 {
                return Err(Error::out_of_range(what, v, format!("a log {axis} axis needs > 0")));
            }
            Ok(())
        };
        for (y, label) in &self.hlines {
            check_ref(format!("hline \"{label}\""), *y, self.log_y, "y")?;
        }
        for (x, label) in &self.vlines {
            check_ref(format!("vline \"{label}\""), *x, self.log_x, "x")?;
        }
        for (x0, x1, label) in &self.bands {
            check_ref(format!("band \"{label}\" start"), *x0, self.log_x, "x")?;
            check_ref(format!("band \"{label}\" end"), *x1, self.log_x, "x")?;
        }
        for (name, y, spans) in &self.intervals {
            check_ref(format!("intervals \"{name}\" y"), *y, self.log_y, "y")?;
            for (x0, x1) in spans {
                check_ref(format!("intervals \"{name}\" start"), *x0, self.log_x, "x")?;
                check_ref(format!("intervals \"{name}\" end"), *x1, self.log_x, "x")?;
            }
        }
        if let Some((lo, hi)) = self.x_range {
            check_range("x", lo, hi, self.log_x)?;
        }
        if let Some((lo, hi)) = self.y_range {
            check_range("y", lo, hi, self.log_y)?;
        }
        Ok(())
    }

    fn bounds(&self) -> ((f64, f64), (f64, f64)) {
        let pts = self.series.iter().flat_map(|(_, p)| p.iter().copied());
        let (mut x0, mut x1, mut y0, mut y1) =
            (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
        for (x, y) in pts {
            x0 = x0.min(x);
            x1 = x1.max(x);
            y0 = y0.min(y);
            y1 = y1.max(y);
        }
        for &(x, _) in &self.vlines {
            x0 = x0.min(x);
            x1 = x1.max(x);
        }
        for &(a, b, _) in &self.bands {
            x0 = x0.min(a.min(b));
            x1 = x1.max(a.max(b));
        }
        for &(y, _) in &self.hlines {
            y0 = y0.min(y);
            y1 = y1.max(y);
        }
        for (_, y, spans) in &self.intervals {
            y0 = y0.min(*y);
            y1 = y1.max(*y);
            for &(a, b) in spans {
                x0 = x0.min(a.min(b));
                x1 = x1.max(a.max(b));
            }
        }
        let x = self.x_range.unwrap_or_else(|| padded(x0, x1, self.log_x));
        let y = self.y_range.unwrap_or_else(|| padded(y0, y1, self.log_y));
        (x, y)
    }

    /// Renders the chart.
    ///
    /// # Errors
    /// No series; a series without points or with a NaN/infinite coordinate; a value ≤ 0 on a
    /// log axis; an empty or reversed axis range; a size outside 100–4000 px.
    pub fn render(&self) -> Result<Figure> {
        self.validate()?;
        let ((x0, x1), (y0, y1)) = self.bounds();
        let kind = |log: bool| if log { Kind::Log } else { Kind::Linear };
        let mut x_axis = Axis::new(kind(self.log_x), x0, x1, &self.x_label);
        let mut y_axis = Axis::new(kind(self.log_y), y0, y1, &self.y_label);
        x_axis.integer = self.integer_x && !self.log_x;
        y_axis.integer = self.integer_y && !self.log_y;
        let mut legend: Vec<LegendEntry> = self
            .series
            .iter()
            .enumerate()
            .map(|(i, (name, _))| {
                let (color, dash, marker) = series_style(i);
                let marker = self.markers.then_some(marker);
                LegendEntry { name: name.clone(), color, dash, marker, swatch: false }
            })
            .collect();
        for (k, (name, _, _)) in self.intervals.iter().enumerate() {
            let (color, _, _) = series_style(self.series.len() + k);
            legend.push(LegendEntry {
                name: name.clone(),
                color,
                dash: None,
                marker: None,
                swatch: true,
            });
        }
        render(&self.title, self.size.0, self.size.1, |c| {
            let mut spec = FrameSpec {
                title: &self.title,
                x: &x_axis,
                y: &y_axis,
                legend: &legend,
                right_reserve: 0.0,
                top_reserve: 0.0,
                grid: true,
            };
            // Reserve rows above the plot for the band and vline labels.
            let provisional = layout(c.w, c.h, &spec).plot;
            let rows = self.top_labels(&provisional).iter().map(|l| l.row + 1).max().unwrap_or(0);
            spec.top_reserve = rows as f64 * ROW_H;
            let plot = draw_frame(c, &spec)?;
            self.draw_bands(c, &plot)?;
            self.draw_series(c, &plot)?;
            self.draw_intervals(c, &plot)?;
            self.draw_references(c, &plot, rows)?;
            draw_legend(c, &plot, &legend)
        })
    }

    fn draw_bands(&self, c: &Canvas<'_>, plot: &Plot) -> Result<()> {
        for (a, b, _) in &self.bands {
            let xa = plot.x.px(*a).clamp(plot.left, plot.right);
            let xb = plot.x.px(*b).clamp(plot.left, plot.right);
            if (xb - xa).abs() < 0.5 {
                continue;
            }
            c.fill_rect((xa, plot.top), (xb, plot.bottom), BAND_FILL.mix(0.13))?;
        }
        Ok(())
    }

    fn draw_intervals(&self, c: &Canvas<'_>, plot: &Plot) -> Result<()> {
        for (k, (_, y, spans)) in self.intervals.iter().enumerate() {
            let (color, _, _) = series_style(self.series.len() + k);
            let py = plot.y.px(*y);
            if py < plot.top - 0.5 || py > plot.bottom + 0.5 {
                continue;
            }
            for &(a, b) in spans {
                let xa = plot.x.px(a.min(b)).clamp(plot.left, plot.right);
                let xb = plot.x.px(a.max(b)).clamp(plot.left, plot.right).max(xa + 3.0);
                c.fill_rect((xa, py - 5.0), (xb, py + 5.0), color.to_rgba())?;
            }
        }
        Ok(())
    }

    fn draw_series(&self, c: &Canvas<'_>, plot: &Plot) -> Result<()> {
        let n_series = self.series.len();
        for (i, (_, pts)) in self.series.iter().enumerate() {
            let (color, dash, marker) = series_style(i);
            let pix: Vec<(f64, f64)> =
                pts.iter().map(|&(x, y)| (plot.x.px(x), plot.y.px(y))).collect();
            for piece in plot.clip(&pix) {
                c.polyline(&piece, color.to_rgba(), 2, dash)?;
            }
            if self.markers || pts.len() == 1 {
                let stride = pts.len().div_ceil(MAX_MARKERS).max(1);
                let offset = i * stride / n_series;
                for &p in pix.iter().skip(offset % stride.max(1)).step_by(stride) {
                    if plot.contains(p) {
                        draw_marker(c, marker, p, color, 3.5)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn draw_references(&self, c: &Canvas<'_>, plot: &Plot, rows: usize) -> Result<()> {
        let line = REFERENCE.to_rgba();
        let font = Font::new(NOTE_PX).color(REFERENCE);
        for (y, label) in &self.hlines {
            let py = plot.y.px(*y);
            if py < plot.top - 0.5 || py > plot.bottom + 0.5 {
                continue;
            }
            c.line((plot.left, py), (plot.right, py), line, 1, REFERENCE_DASH)?;
            let label = truncate(label, 40);
            let w = text_width(&label, NOTE_PX);
            let bg = WHITE.mix(0.8);
            c.fill_rect(
                (plot.right - 6.0 - w, py - 3.0 - NOTE_PX),
                (plot.right - 2.0, py - 2.0),
                bg,
            )?;
            c.text(&label, plot.right - 4.0, py - 3.0, font.anchor(H::Right, V::Bottom))?;
        }
        // Labels of vertical lines and bands sit in rows above the plot, never on the data.
        let row_base = |row: usize| plot.top - 3.0 - ROW_H * row.min(rows.saturating_sub(1)) as f64;
        for l in self.top_labels(plot) {
            let base = row_base(l.row);
            match l.kind {
                TopKind::Band(xa, xb) => {
                    c.line((xa, base - 1.0), (xb, base - 1.0), BAND_FILL.to_rgba(), 2, None)?;
                    c.line((xa, base - 1.0), (xa, base + 2.0), BAND_FILL.to_rgba(), 1, None)?;
                    c.line((xb, base - 1.0), (xb, base + 2.0), BAND_FILL.to_rgba(), 1, None)?;
                    let f = font.color(BAND_TEXT).anchor(H::Left, V::Bottom);
                    c.text(&l.text, l.x0, base - 3.0, f)?;
                }
                TopKind::Vline(x) => {
                    c.line((x, plot.bottom), (x, base - 4.0), line, 1, REFERENCE_DASH)?;
                    c.text(&l.text, l.x0, base - 3.0, font.anchor(H::Left, V::Bottom))?;
                }
            }
        }
        Ok(())
    }

    /// Where the labels of bands and vertical lines go: rows above the plot, first fit.
    fn top_labels(&self, plot: &Plot) -> Vec<TopLabel> {
        let mut rows: Vec<Vec<(f64, f64)>> = Vec::new();
        let mut out = Vec::new();
        let mut place = |text: String, x: f64, centred: bool, kind: TopKind| {
            let w = text_width(&text, NOTE_PX);
            let mut x0 = if centred { x - w / 2.0 } else { x };
            // Keep labels over the plot: flip to the left of a line near the right edge.
            if x0 + w > plot.right {
                x0 = if centred { plot.right - w } else { x - 4.0 - w };
            }
            let x0 = x0.max(plot.left - 20.0);
            let span = (x0 - 4.0, x0 + w + 4.0);
            let row = (0..MAX_LABEL_ROWS)
                .find(|&r| {
                    rows.get(r)
                        .map_or(true, |row| row.iter().all(|&(a, b)| span.1 < a || span.0 > b))
                })
                .unwrap_or(MAX_LABEL_ROWS - 1);
            while rows.len() <= row {
                rows.push(Vec::new());
            }
            rows[row].push(span);
            out.push(TopLabel { text, x0, row, kind });
        };
        for (a, b, label) in &self.bands {
            let xa = plot.x.px(a.min(*b)).max(plot.left);
            let xb = plot.x.px(a.max(*b)).min(plot.right);
            if xb >= xa {
                place(truncate(label, 40), (xa + xb) / 2.0, true, TopKind::Band(xa, xb));
            }
        }
        for (x, label) in &self.vlines {
            let px = plot.x.px(*x);
            if px >= plot.left - 0.5 && px <= plot.right + 0.5 {
                place(truncate(label, 40), px + 3.0, false, TopKind::Vline(px));
            }
        }
        out
    }
}

/// Height of one row of labels above the plot.
const ROW_H: f64 = NOTE_PX + 6.0;
const MAX_LABEL_ROWS: usize = 4;

enum TopKind {
    Band(f64, f64),
    Vline(f64),
}

struct TopLabel {
    text: String,
    x0: f64,
    row: usize,
    kind: TopKind,
}
