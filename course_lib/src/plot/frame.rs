//! Axes, ticks, title and legend: the frame every x–y chart is drawn in.

use plotters::style::{Color, RGBColor};

use super::canvas::{text_width, truncate, Canvas, Font, AXIS, GRID, H, TEXT_MUTED, V};
use super::fmt_sig;
use super::style::{draw_marker, Marker};
use crate::error::{validate, Error, Result};

/// Default figure size in pixels: wide enough for a notebook column, short enough to see the
/// cell above it.
pub(crate) const DEFAULT_SIZE: (u32, u32) = (720, 400);

/// Font sizes (CSS px).
pub(crate) const TITLE_PX: f64 = 16.0;
pub(crate) const LABEL_PX: f64 = 13.0;
pub(crate) const TICK_PX: f64 = 11.0;
pub(crate) const LEGEND_PX: f64 = 12.0;

/// Checks a figure size: both sides between 100 and 4000 pixels.
pub(crate) fn check_size(w: u32, h: u32) -> Result<()> {
    for (name, v) in [("width", w), ("height", h)] {
        if !(100..=4000).contains(&v) {
            return Err(Error::out_of_range(name, v, "a figure side must be 100 to 4000 pixels"));
        }
    }
    Ok(())
}

/// What kind of axis.
#[derive(Clone, Debug)]
pub(crate) enum Kind {
    Linear,
    Log,
    /// Categories, one band each; the domain is `0..n` and label `i` sits at `i + 0.5`.
    Band(Vec<String>),
}

/// One axis: its kind, domain and label.
#[derive(Clone, Debug)]
pub(crate) struct Axis {
    pub kind: Kind,
    pub lo: f64,
    pub hi: f64,
    pub label: String,
    /// Custom tick-label formatter (e.g. durations).
    pub fmt: Option<fn(f64) -> String>,
    /// Ticks only at whole numbers (a count, a quorum size): no 1.5 on the axis.
    pub integer: bool,
}

impl Axis {
    pub(crate) fn new(kind: Kind, lo: f64, hi: f64, label: &str) -> Self {
        let (lo, hi) = match &kind {
            Kind::Band(c) => (0.0, c.len().max(1) as f64),
            _ => (lo, hi),
        };
        Axis { kind, lo, hi, label: label.to_string(), fmt: None, integer: false }
    }
    fn is_log(&self) -> bool {
        matches!(self.kind, Kind::Log)
    }

    /// Major ticks (value, label) and unlabelled minor ticks for an axis `len_px` long.
    fn ticks(&self, len_px: f64, spacing: f64) -> (Vec<(f64, String)>, Vec<f64>) {
        let max_n = ((len_px / spacing).floor() as usize).clamp(2, 12);
        match &self.kind {
            Kind::Band(cats) => (
                cats.iter().enumerate().map(|(i, c)| (i as f64 + 0.5, truncate(c, 28))).collect(),
                Vec::new(),
            ),
            Kind::Linear => {
                let (vals, step) = if self.integer {
                    integer_ticks(self.lo, self.hi, max_n)
                } else {
                    linear_ticks(self.lo, self.hi, max_n)
                };
                let f = self.fmt;
                let labels = vals
                    .into_iter()
                    .map(|v| (v, f.map_or_else(|| fmt_linear_tick(v, step), |f| f(v))))
                    .collect();
                (labels, Vec::new())
            }
            Kind::Log => {
                let (major, minor) = log_ticks(self.lo, self.hi, max_n);
                let f = self.fmt;
                let labels =
                    major.into_iter().map(|v| (v, f.map_or_else(|| fmt_log_tick(v), |f| f(v))));
                (labels.collect(), minor)
            }
        }
    }
}

/// Maps a data value to a pixel along one axis.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Scale {
    lo: f64,
    hi: f64,
    log: bool,
    p0: f64,
    p1: f64,
}

impl Scale {
    pub(crate) fn new(lo: f64, hi: f64, log: bool, p0: f64, p1: f64) -> Self {
        Scale { lo, hi, log, p0, p1 }
    }
    /// Pixel coordinate of data value `v` (may lie outside the plot for out-of-range data).
    pub(crate) fn px(&self, v: f64) -> f64 {
        let f = if self.log {
            let (a, b) = (self.lo.log10(), self.hi.log10());
            if v <= 0.0 {
                -1.0
            } else {
                (v.log10() - a) / (b - a)
            }
        } else {
            (v - self.lo) / (self.hi - self.lo)
        };
        self.p0 + f * (self.p1 - self.p0)
    }
    /// Pixels per unit of data (linear scales; for bands: per category).
    pub(crate) fn unit(&self) -> f64 {
        (self.p1 - self.p0).abs() / (self.hi - self.lo)
    }
}

/// The plot rectangle in pixels and the two scales.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Plot {
    pub x: Scale,
    pub y: Scale,
    pub left: f64,
    pub top: f64,
    pub right: f64,
    pub bottom: f64,
}

impl Plot {
    /// Clips a polyline given in pixels to the plot rectangle; may split it in pieces.
    pub(crate) fn clip(&self, pts: &[(f64, f64)]) -> Vec<Vec<(f64, f64)>> {
        let (x0, x1, y0, y1) =
            (self.left - 0.5, self.right + 0.5, self.top - 0.5, self.bottom + 0.5);
        let mut pieces: Vec<Vec<(f64, f64)>> = Vec::new();
        let mut cur: Vec<(f64, f64)> = Vec::new();
        for w in pts.windows(2) {
            match clip_segment(w[0], w[1], x0, x1, y0, y1) {
                Some((a, b)) => {
                    if cur
                        .last()
                        .map_or(true, |&l| (l.0 - a.0).abs() > 1e-9 || (l.1 - a.1).abs() > 1e-9)
                    {
                        if cur.len() > 1 {
                            pieces.push(std::mem::take(&mut cur));
                        }
                        cur.clear();
                        cur.push(a);
                    }
                    cur.push(b);
                }
                None => {
                    if cur.len() > 1 {
                        pieces.push(std::mem::take(&mut cur));
                    }
                    cur.clear();
                }
            }
        }
        if cur.len() > 1 {
            pieces.push(cur);
        }
        pieces
    }

    /// Whether a pixel point lies inside the plot rectangle.
    pub(crate) fn contains(&self, p: (f64, f64)) -> bool {
        p.0 >= self.left - 0.5
            && p.0 <= self.right + 0.5
            && p.1 >= self.top - 0.5
            && p.1 <= self.bottom + 0.5
    }
}

/// Liang–Barsky clipping of segment `a`–`b` to a rectangle.
fn clip_segment(
    a: (f64, f64),
    b: (f64, f64),
    x0: f64,
    x1: f64,
    y0: f64,
    y1: f64,
) -> Option<((f64, f64), (f64, f64))> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut t0, mut t1) = (0.0_f64, 1.0_f64);
    for (p, q) in [(-dx, a.0 - x0), (dx, x1 - a.0), (-dy, a.1 - y0), (dy, y1 - a.1)] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let r = q / p;
            if p < 0.0 {
                t0 = t0.max(r);
            } else {
                t1 = t1.min(r);
            }
        }
    }
    if t0 > t1 {
        return None;
    }
    Some(((a.0 + t0 * dx, a.1 + t0 * dy), (a.0 + t1 * dx, a.1 + t1 * dy)))
}

/// One legend row.
#[derive(Clone, Debug)]
pub(crate) struct LegendEntry {
    pub name: String,
    pub color: RGBColor,
    pub dash: Option<&'static str>,
    pub marker: Option<Marker>,
    /// Draw a filled swatch (histograms, bars) instead of a line sample.
    pub swatch: bool,
}

/// Everything the frame needs to lay itself out.
pub(crate) struct FrameSpec<'a> {
    pub title: &'a str,
    pub x: &'a Axis,
    pub y: &'a Axis,
    pub legend: &'a [LegendEntry],
    /// Extra space to keep free right of the plot (colour bar, value labels), px.
    pub right_reserve: f64,
    /// Extra space to keep free above the plot (value labels), px.
    pub top_reserve: f64,
    /// Draw grid lines at major ticks.
    pub grid: bool,
}

/// Minimum pixels between labelled ticks.
const X_TICK_SPACING: f64 = 75.0;
const Y_TICK_SPACING: f64 = 42.0;

const LEGEND_MAX_CHARS: usize = 24;
const LEGEND_SAMPLE: f64 = 30.0;
const LEGEND_ROW: f64 = 18.0;

fn legend_width(entries: &[LegendEntry]) -> f64 {
    if entries.len() < 2 {
        return 0.0;
    }
    let text = entries
        .iter()
        .map(|e| text_width(&truncate(&e.name, LEGEND_MAX_CHARS), LEGEND_PX))
        .fold(0.0, f64::max);
    LEGEND_SAMPLE + 8.0 + text + 16.0
}

/// Where everything of a frame goes, computed without drawing.
pub(crate) struct Layout {
    pub plot: Plot,
    yticks: Vec<(f64, String)>,
    yminor: Vec<f64>,
    xticks: Vec<(f64, String)>,
    xminor: Vec<f64>,
    x_vertical: bool,
}

/// Lays out a `w`×`h` frame: margins from the tick labels, axis labels, legend and reserves.
pub(crate) fn layout(w: f64, h: f64, spec: &FrameSpec<'_>) -> Layout {
    let top = if spec.title.is_empty() { 14.0 } else { 14.0 + TITLE_PX + 14.0 } + spec.top_reserve;
    // First pass with a guessed plot size to get tick labels, then measure margins.
    let guess_h = h - top - 60.0;
    let (yticks, yminor) = spec.y.ticks(guess_h.max(50.0), Y_TICK_SPACING);
    let ytick_w = yticks.iter().map(|(_, l)| text_width(l, TICK_PX)).fold(0.0, f64::max);
    let ylabel_w = if spec.y.label.is_empty() { 0.0 } else { LABEL_PX + 10.0 };
    let left = 10.0 + ylabel_w + ytick_w + 8.0;
    let right_margin = 18.0 + legend_width(spec.legend) + spec.right_reserve;
    let right = (w - right_margin).max(left + 40.0);
    let plot_w = right - left;
    let (xticks, xminor) = spec.x.ticks(plot_w, X_TICK_SPACING);
    // Band labels that do not fit their slot are drawn vertically.
    let slot = match &spec.x.kind {
        Kind::Band(cats) => plot_w / cats.len().max(1) as f64,
        _ => f64::INFINITY,
    };
    let xtick_max_w = xticks.iter().map(|(_, l)| text_width(l, TICK_PX)).fold(0.0, f64::max);
    let x_vertical = xtick_max_w > slot * 0.92;
    let xtick_h = if x_vertical { xtick_max_w + 4.0 } else { TICK_PX + 4.0 };
    let xlabel_h = if spec.x.label.is_empty() { 0.0 } else { LABEL_PX + 10.0 };
    let bottom = (h - (8.0 + xtick_h + 6.0 + xlabel_h)).max(top + 40.0);
    let (xlog, ylog) = (spec.x.is_log(), spec.y.is_log());
    let plot = Plot {
        x: Scale::new(spec.x.lo, spec.x.hi, xlog, left, right),
        y: Scale::new(spec.y.lo, spec.y.hi, ylog, bottom, top),
        left,
        top,
        right,
        bottom,
    };
    // The final y ticks for the real height (the width estimate above used a guess).
    let (yticks, yminor) = if (bottom - top - guess_h).abs() > 1.0 {
        spec.y.ticks(bottom - top, Y_TICK_SPACING)
    } else {
        (yticks, yminor)
    };
    Layout { plot, yticks, yminor, xticks, xminor, x_vertical }
}

/// Bold text is wider than the layout estimate of [`text_width`]: this factor covers it.
const BOLD_WIDTH: f64 = 1.08;

/// The title's text and font size: the full title at [`TITLE_PX`] when it fits in a canvas
/// `w` wide (10 px margins), else a smaller size down to 11 px, and only then cut with an
/// ellipsis. A long title is smaller, never clipped at the edges of the figure.
pub(crate) fn fit_title(title: &str, w: f64) -> (String, f64) {
    let room = (w - 20.0).max(40.0);
    let at_full = text_width(title, TITLE_PX) * BOLD_WIDTH;
    let px = if at_full <= room { TITLE_PX } else { (TITLE_PX * room / at_full).max(11.0) };
    let max_chars = (room / (px * BOLD_WIDTH * text_width("x", 1.0))).floor() as usize;
    (truncate(title, max_chars.max(8)), px)
}

/// Draws a chart title centred at the top of the canvas, shrunk to fit ([`fit_title`]).
pub(crate) fn draw_title(c: &Canvas<'_>, title: &str) -> Result<()> {
    let (text, px) = fit_title(title, c.w);
    c.text(
        &text,
        c.w / 2.0,
        12.0 + (TITLE_PX - px) / 2.0,
        Font::new(px).bold().anchor(H::Center, V::Top),
    )
}

/// Lays out and draws title, grid, ticks and axis labels; returns where the data goes.
/// The legend is drawn by [`draw_legend`] after the data so it stays on top.
pub(crate) fn draw_frame(c: &Canvas<'_>, spec: &FrameSpec<'_>) -> Result<Plot> {
    let Layout { plot, yticks, yminor, xticks, xminor, x_vertical } = layout(c.w, c.h, spec);
    let Plot { left, top, right, bottom, .. } = plot;
    if !spec.title.is_empty() {
        draw_title(c, spec.title)?;
    }
    let grid = GRID.to_rgba();
    let axis = AXIS.to_rgba();
    let tick_font = Font::new(TICK_PX).color(TEXT_MUTED);
    let band_x = matches!(spec.x.kind, Kind::Band(_));
    let band_y = matches!(spec.y.kind, Kind::Band(_));

    // Grid and ticks, y.
    for (v, label) in &yticks {
        let y = plot.y.px(*v);
        if spec.grid && !band_y {
            c.line((left, y), (right, y), grid, 1, None)?;
        }
        c.line((left - 4.0, y), (left, y), axis, 1, None)?;
        c.text(label, left - 7.0, y, tick_font.anchor(H::Right, V::Center))?;
    }
    for v in &yminor {
        let y = plot.y.px(*v);
        c.line((left - 2.5, y), (left, y), axis, 1, None)?;
    }
    // Grid and ticks, x.
    for (v, label) in &xticks {
        let x = plot.x.px(*v);
        if spec.grid && !band_x {
            c.line((x, top), (x, bottom), grid, 1, None)?;
        }
        c.line((x, bottom), (x, bottom + 4.0), axis, 1, None)?;
        if x_vertical {
            c.text(label, x, bottom + 7.0, tick_font.anchor(H::Right, V::Center).vertical())?;
        } else {
            c.text(label, x, bottom + 7.0, tick_font.anchor(H::Center, V::Top))?;
        }
    }
    for v in &xminor {
        let x = plot.x.px(*v);
        c.line((x, bottom), (x, bottom + 2.5), axis, 1, None)?;
    }
    // Axis lines.
    c.line((left, top), (left, bottom), axis, 1, None)?;
    c.line((left, bottom), (right, bottom), axis, 1, None)?;
    // Axis labels.
    if !spec.x.label.is_empty() {
        let font = Font::new(LABEL_PX).anchor(H::Center, V::Bottom);
        c.text(&truncate(&spec.x.label, 80), (left + right) / 2.0, c.h - 8.0, font)?;
    }
    if !spec.y.label.is_empty() {
        let font = Font::new(LABEL_PX).anchor(H::Center, V::Center).vertical();
        c.text(&truncate(&spec.y.label, 50), 10.0 + LABEL_PX / 2.0, (top + bottom) / 2.0, font)?;
    }
    Ok(plot)
}

/// Draws the legend right of the plot (outside it, so it never covers data). Nothing is drawn
/// for a single entry: the title says what the one series is.
pub(crate) fn draw_legend(c: &Canvas<'_>, plot: &Plot, entries: &[LegendEntry]) -> Result<()> {
    if entries.len() < 2 {
        return Ok(());
    }
    let x0 = plot.right + 16.0;
    let mut y = plot.top + 6.0;
    let font = Font::new(LEGEND_PX).anchor(H::Left, V::Center);
    for e in entries {
        let color = e.color.to_rgba();
        if e.swatch {
            c.fill_rect(
                (x0 + 4.0, y - 6.0),
                (x0 + LEGEND_SAMPLE - 4.0, y + 6.0),
                e.color.mix(0.45),
            )?;
            c.line((x0 + 4.0, y - 6.0), (x0 + LEGEND_SAMPLE - 4.0, y - 6.0), color, 2, e.dash)?;
        } else {
            c.line((x0, y), (x0 + LEGEND_SAMPLE, y), color, 2, e.dash)?;
        }
        if let Some(m) = e.marker {
            draw_marker(c, m, (x0 + LEGEND_SAMPLE / 2.0, y), e.color, 4.0)?;
        }
        c.text(&truncate(&e.name, LEGEND_MAX_CHARS), x0 + LEGEND_SAMPLE + 8.0, y, font)?;
        y += LEGEND_ROW;
        if y > c.h - 10.0 {
            break;
        }
    }
    Ok(())
}

/// "Nice" linear ticks (steps of 1, 2, 2.5 or 5 × 10^k) covering `lo..=hi`, at most ~`max_n`.
pub(crate) fn linear_ticks(lo: f64, hi: f64, max_n: usize) -> (Vec<f64>, f64) {
    let span = hi - lo;
    if span.is_nan() || span <= 0.0 || !span.is_finite() {
        return (vec![lo], 1.0);
    }
    let raw = span / max_n.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw * 0.999)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).ceil();
    let last = (hi / step).floor();
    let n = ((last - first) as i64).clamp(0, 100);
    let ticks = (0..=n)
        .map(|i| {
            let v = (first + i as f64) * step;
            if v.abs() < step * 1e-9 {
                0.0
            } else {
                v
            }
        })
        .collect();
    (ticks, step)
}

/// Linear ticks at whole numbers only: a step of 1, 2 or 5 × 10^k with k ≥ 0, at most `max_n`
/// ticks (none when the axis spans no whole number).
pub(crate) fn integer_ticks(lo: f64, hi: f64, max_n: usize) -> (Vec<f64>, f64) {
    if !(lo.is_finite() && hi.is_finite()) || hi < lo {
        return (vec![lo], 1.0);
    }
    let mut step = 1.0;
    for k in 0..18 {
        let mag = 10f64.powi(k);
        if let Some(s) = [1.0, 2.0, 5.0]
            .iter()
            .map(|m| m * mag)
            .find(|s| ((hi / s).floor() - (lo / s).ceil()) < max_n.max(1) as f64)
        {
            step = s;
            break;
        }
    }
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    ((first..=last).map(|i| i as f64 * step).collect(), step)
}

/// Log ticks: decades (thinned to at most `max_n`), with 2× and 5× when there are few decades;
/// minor ticks at 2..9 × each decade when there are not too many.
pub(crate) fn log_ticks(lo: f64, hi: f64, max_n: usize) -> (Vec<f64>, Vec<f64>) {
    let (a, b) = (lo.log10(), hi.log10());
    // f64 spans decades -324..=308: never iterate beyond them, whatever lo and hi are
    let (k0, k1) = (a.floor().clamp(-324.0, 308.0) as i32, b.ceil().clamp(-324.0, 308.0) as i32);
    let within = |v: f64| v >= lo * (1.0 - 1e-9) && v <= hi * (1.0 + 1e-9);
    let decades: Vec<i32> = (k0..=k1).filter(|k| within(10f64.powi(*k))).collect();
    let mut major: Vec<f64>;
    if decades.len() >= 3 {
        let stride = decades.len().div_ceil(max_n.max(2)).max(1);
        // Keep decades divisible by the stride so labels read 10^0, 10^3, 10^6 ...
        major = decades
            .iter()
            .filter(|k| k.rem_euclid(stride as i32) == 0)
            .map(|k| 10f64.powi(*k))
            .collect();
        if major.len() < 2 {
            major = decades.iter().step_by(stride).map(|k| 10f64.powi(*k)).collect();
        }
    } else {
        let mults: &[f64] =
            if decades.len() == 2 { &[1.0, 2.0, 5.0] } else { &[1.0, 2.0, 3.0, 5.0] };
        major = (k0..=k1)
            .flat_map(|k| mults.iter().map(move |m| m * 10f64.powi(k)))
            .filter(|v| within(*v))
            .collect();
        if major.len() < 2 {
            major = (k0..=k1)
                .flat_map(|k| (1..10).map(move |m| f64::from(m) * 10f64.powi(k)))
                .filter(|v| within(*v))
                .collect();
        }
        if major.len() < 2 {
            major = linear_ticks(lo, hi, 4).0.into_iter().filter(|v| *v > 0.0).collect();
        }
    }
    let minor = if k1 - k0 <= 8 {
        (k0..=k1)
            .flat_map(|k| (2..10).map(move |m| f64::from(m) * 10f64.powi(k)))
            .filter(|v| within(*v) && !major.iter().any(|m| (m - v).abs() <= v * 1e-9))
            .collect()
    } else {
        Vec::new()
    };
    (major, minor)
}

pub(crate) fn fmt_linear_tick(v: f64, step: f64) -> String {
    if v == 0.0 {
        return "0".to_string();
    }
    let big = v.abs().max(step);
    if big >= 1e6 || step < 1e-5 {
        return fmt_sig(v, 3);
    }
    let k = step.log10().floor() as i32;
    // 2.5 × 10^k steps need one more decimal than other steps of the same magnitude.
    let quarter = ((step / 10f64.powi(k)) - 2.5).abs() < 1e-9;
    let decimals = (if quarter { 1 - k } else { -k }).clamp(0, 8) as usize;
    format!("{v:.decimals$}")
}

const SUPERSCRIPTS: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];

/// `10⁻⁹`-style power of ten.
fn pow10_label(k: i32) -> String {
    let mut s = String::from("10");
    if k < 0 {
        s.push('⁻');
    }
    for d in k.unsigned_abs().to_string().bytes() {
        s.push(SUPERSCRIPTS[usize::from(d - b'0')]);
    }
    s
}

fn fmt_log_tick(v: f64) -> String {
    let k = v.log10().floor() as i32;
    if (-3..=5).contains(&k) {
        fmt_sig(v, 2)
    } else {
        let m = (v / 10f64.powi(k)).round();
        if m == 1.0 {
            pow10_label(k)
        } else {
            format!("{m}×{}", pow10_label(k))
        }
    }
}

/// Data bounds padded by a few percent (linear) or a fraction of a decade (log).
/// Linear ranges of non-negative data do not go below zero because of the padding.
/// The result is always finite: padding data near ±`f64::MAX` (or down to subnormals on a
/// log axis) stops at the largest (smallest positive) representable value.
pub(crate) fn padded(min: f64, max: f64, log: bool) -> (f64, f64) {
    let (lo, hi) = padded_unclamped(min, max, log);
    if log {
        (lo.clamp(f64::MIN_POSITIVE, f64::MAX), hi.clamp(f64::MIN_POSITIVE, f64::MAX))
    } else {
        (lo.clamp(f64::MIN, f64::MAX), hi.clamp(f64::MIN, f64::MAX))
    }
}

fn padded_unclamped(min: f64, max: f64, log: bool) -> (f64, f64) {
    if log {
        if max <= min {
            return (min / 2.0, max * 2.0);
        }
        let (a, b) = (min.log10(), max.log10());
        let pad = ((b - a) * 0.04).max(0.02);
        (10f64.powf(a - pad), 10f64.powf(b + pad))
    } else {
        if max <= min {
            let d = if min == 0.0 { 1.0 } else { min.abs() * 0.1 };
            return (min - d, max + d);
        }
        let pad = (max - min) * 0.04;
        let lo = if min >= 0.0 && min - pad < 0.0 { 0.0 } else { min - pad };
        (lo, max + pad)
    }
}

/// A user-given axis range: finite, `lo < hi`, and positive on a log axis.
pub(crate) fn check_range(axis: &str, lo: f64, hi: f64, log: bool) -> Result<(f64, f64)> {
    let lo_name = format!("{axis}_range lo");
    let hi_name = format!("{axis}_range hi");
    validate::ordered(&lo_name, lo, &hi_name, hi)?;
    if lo == hi {
        return Err(Error::out_of_range(lo_name, lo, format!("must be less than hi = {hi}")));
    }
    if log && lo <= 0.0 {
        return Err(Error::out_of_range(lo_name, lo, "a log axis needs a range above 0"));
    }
    Ok((lo, hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_title_shrinks_to_fit_before_it_is_cut() {
        let short = "Keys moved when a node joins";
        assert_eq!(fit_title(short, 720.0), (short.to_string(), TITLE_PX));
        let long =
            "Load imbalance of a ring, 10 nodes: simulated (200 rings per point) vs closed form";
        let (text, px) = fit_title(long, 720.0);
        assert_eq!(text, long, "shrunk, not cut");
        assert!(
            (11.0..TITLE_PX).contains(&px) && text_width(&text, px) * BOLD_WIDTH <= 700.0,
            "{px}"
        );
        let (cut, px) = fit_title(&long.repeat(3), 720.0);
        assert!(px == 11.0 && cut.ends_with('…') && text_width(&cut, px) * BOLD_WIDTH <= 700.0);
    }

    #[test]
    fn integer_ticks_are_whole_numbers_within_the_budget() {
        // A quorum-size axis padded to 0.9..3.1: 1, 2, 3 and never 1.5.
        assert_eq!(integer_ticks(0.9, 3.1, 8), (vec![1.0, 2.0, 3.0], 1.0));
        // Too many for a step of 1: 2, then 5, then 10.
        assert_eq!(integer_ticks(0.0, 9.0, 6).1, 2.0);
        assert_eq!(integer_ticks(0.0, 20.0, 6).1, 5.0);
        assert_eq!(integer_ticks(0.0, 100.0, 6), (vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0], 20.0));
        // A span with no whole number inside has no ticks rather than fractional ones.
        assert!(integer_ticks(0.2, 0.8, 5).0.is_empty());
        for (lo, hi, n) in [(0.0, 7.0, 3), (-3.5, 12.2, 5), (1.0, 1000.0, 12)] {
            let (t, _) = integer_ticks(lo, hi, n);
            assert!(t.len() <= n && t.len() >= 2, "{lo}..{hi}: {t:?}");
            assert!(t.iter().all(|v| v.fract() == 0.0 && *v >= lo && *v <= hi), "{t:?}");
        }
    }

    #[test]
    fn linear_ticks_are_round_numbers() {
        let (t, step) = linear_ticks(0.0, 100.0, 5);
        assert_eq!(step, 20.0);
        assert_eq!(t, vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
        let (t, _) = linear_ticks(-0.03, 0.27, 6);
        assert_eq!(t.first().copied(), Some(0.0));
    }

    #[test]
    fn extreme_ranges_stay_finite_and_small() {
        // data up to 1.4e308 on a log axis once padded to infinity and asked for 2^31 decades
        let (lo, hi) = padded(5.3e-8, 1.39e308, true);
        assert!(lo > 0.0 && hi.is_finite(), "{lo} {hi}");
        let (major, minor) = log_ticks(lo, hi, 8);
        assert!(major.len() <= 20 && minor.len() <= 200, "{} {}", major.len(), minor.len());
        let (lo, hi) = padded(-1.7e308, 1.7e308, false);
        assert!(lo.is_finite() && hi.is_finite());
        assert!(log_ticks(f64::MIN_POSITIVE, f64::INFINITY, 8).0.len() <= 20);
    }

    #[test]
    fn log_ticks_thin_out_many_decades() {
        let (major, minor) = log_ticks(0.1, 1e9, 6);
        assert!(major.len() <= 6 && major.len() >= 3, "{major:?}");
        assert!(minor.is_empty());
        let (major, _) = log_ticks(3.0, 40.0, 6);
        assert_eq!(major, vec![3.0, 5.0, 10.0, 20.0, 30.0]);
    }

    #[test]
    fn log_tick_labels() {
        assert_eq!(fmt_log_tick(1e-9), "10⁻⁹");
        assert_eq!(fmt_log_tick(1000.0), "1000");
        assert_eq!(fmt_log_tick(2e7), "2×10⁷");
        assert_eq!(fmt_linear_tick(0.25, 0.05), "0.25");
        assert_eq!(fmt_linear_tick(2.5, 2.5), "2.5");
        assert_eq!(fmt_linear_tick(75.0, 25.0), "75");
        assert_eq!(fmt_linear_tick(0.75, 0.25), "0.75");
        assert_eq!(fmt_linear_tick(0.4, 0.2), "0.4");
    }

    #[test]
    fn clipping_splits_a_line_leaving_the_plot() {
        let plot = Plot {
            x: Scale::new(0.0, 1.0, false, 0.0, 100.0),
            y: Scale::new(0.0, 1.0, false, 100.0, 0.0),
            left: 0.0,
            top: 0.0,
            right: 100.0,
            bottom: 100.0,
        };
        let pieces = plot.clip(&[(10.0, 50.0), (50.0, 200.0), (90.0, 50.0)]);
        assert_eq!(pieces.len(), 2);
    }
}
