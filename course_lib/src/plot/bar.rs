//! Bar charts: one value per named category, with the value written at the end of each bar.

use plotters::style::Color;

use super::canvas::{render, text_width, Font, H, TEXT, V};
use super::frame::{check_size, draw_frame, Axis, FrameSpec, Kind, DEFAULT_SIZE, TICK_PX};
use super::style::PALETTE;
use super::{fmt_sig, nothing_to_plot, Figure};
use crate::error::{Error, Result};

const VALUE_PX: f64 = 11.0;

/// A bar chart: one bar per `(category, value)`, in the order given.
///
/// With [`log_scale`](Self::log_scale) and [`horizontal`](Self::horizontal) it draws the
/// *latency ladder*: nine orders of magnitude, from a cache hit to a cross-continent round
/// trip, each bar labelled with its value.
///
/// ```
/// use course_lib::plot::{format_duration_ns, BarChart};
/// let fig = BarChart::new("Latency ladder")
///     .value_label("latency (log scale)")
///     .bars(vec![
///         ("L1 cache reference".to_string(), 0.5),
///         ("main memory reference".to_string(), 100.0),
///         ("round trip within a datacenter".to_string(), 500_000.0),
///         ("cross-continent round trip".to_string(), 150e6),
///     ])
///     .log_scale()
///     .horizontal()
///     .value_format(format_duration_ns)
///     .render()?;
/// assert!(fig.svg().contains("150 ms"));
/// assert!(fig.svg().contains("0.5 ns"));
/// # Ok::<(), course_lib::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct BarChart {
    title: String,
    value_label: String,
    category_label: String,
    bars: Vec<(String, f64)>,
    log: bool,
    horizontal: bool,
    value_format: Option<fn(f64) -> String>,
    size: (u32, u32),
}

impl BarChart {
    /// A new, empty bar chart titled `title` (vertical bars, linear value axis).
    pub fn new(title: impl Into<String>) -> Self {
        BarChart {
            title: title.into(),
            value_label: String::new(),
            category_label: String::new(),
            bars: Vec::new(),
            log: false,
            horizontal: false,
            value_format: None,
            size: DEFAULT_SIZE,
        }
    }

    /// Label of the value axis, with its unit: `"latency (ns)"`.
    pub fn value_label(mut self, label: impl Into<String>) -> Self {
        self.value_label = label.into();
        self
    }

    /// Label of the category axis (often unnecessary: the bar names say it).
    pub fn category_label(mut self, label: impl Into<String>) -> Self {
        self.category_label = label.into();
        self
    }

    /// Sets the bars: `(category, value)` pairs, drawn in this order (left to right, or top
    /// to bottom when horizontal).
    pub fn bars(mut self, bars: Vec<(String, f64)>) -> Self {
        self.bars = bars;
        self
    }

    /// Adds one bar.
    pub fn bar(mut self, category: impl Into<String>, value: f64) -> Self {
        self.bars.push((category.into(), value));
        self
    }

    /// Logarithmic value axis (all values must be > 0); bars start at the decade below the
    /// smallest value.
    pub fn log_scale(mut self) -> Self {
        self.log = true;
        self
    }

    /// Horizontal bars (categories down the left side): best for long category names.
    pub fn horizontal(mut self) -> Self {
        self.horizontal = true;
        self
    }

    /// How values are written at the bar ends and on the value axis, e.g.
    /// [`format_duration_ns`](super::format_duration_ns) for values in nanoseconds.
    /// Default: three significant digits.
    pub fn value_format(mut self, f: fn(f64) -> String) -> Self {
        self.value_format = Some(f);
        self
    }

    /// Figure size in pixels (default 720×400).
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.size = (width, height);
        self
    }

    fn fmt(&self, v: f64) -> String {
        self.value_format.map_or_else(|| fmt_sig(v, 3), |f| f(v))
    }

    /// Renders the chart.
    ///
    /// # Errors
    /// No bars; a NaN or infinite value; a value ≤ 0 on a log scale.
    pub fn render(&self) -> Result<Figure> {
        check_size(self.size.0, self.size.1)?;
        if self.bars.is_empty() {
            return Err(nothing_to_plot("bar chart", ".bars(vec![(name, value), ...])"));
        }
        for (name, v) in &self.bars {
            if !v.is_finite() {
                return Err(Error::out_of_range(
                    format!("bar \"{name}\""),
                    v,
                    "must be a finite number",
                ));
            }
            if self.log && *v <= 0.0 {
                return Err(Error::out_of_range(
                    format!("bar \"{name}\""),
                    v,
                    "a log scale needs values > 0; drop it or use a linear scale",
                ));
            }
        }
        let min = self.bars.iter().map(|b| b.1).fold(f64::INFINITY, f64::min);
        let max = self.bars.iter().map(|b| b.1).fold(f64::NEG_INFINITY, f64::max);
        let (lo, hi, base) = if self.log {
            let lo = 10f64.powf(min.log10().floor());
            let hi = if max > lo { max * (max / lo).powf(0.03) } else { lo * 10.0 };
            (lo, hi, lo)
        } else {
            let (lo, hi) = (min.min(0.0), max.max(0.0));
            let (lo, hi) = if hi > lo { (lo, hi) } else { (0.0, 1.0) };
            let pad = (hi - lo) * 0.04;
            (if lo < 0.0 { lo - pad } else { lo }, if hi > 0.0 { hi + pad } else { hi }, 0.0)
        };
        let mut value_axis =
            Axis::new(if self.log { Kind::Log } else { Kind::Linear }, lo, hi, &self.value_label);
        value_axis.fmt = self.value_format;
        let n = self.bars.len();
        let mut names: Vec<String> = self.bars.iter().map(|b| b.0.clone()).collect();
        if self.horizontal {
            // Band index 0 is at the bottom; the first bar should be at the top.
            names.reverse();
        }
        let cat_axis = Axis::new(Kind::Band(names), 0.0, 0.0, &self.category_label);
        let texts: Vec<String> = self.bars.iter().map(|b| self.fmt(b.1)).collect();
        let text_w = texts.iter().map(|t| text_width(t, VALUE_PX)).fold(0.0, f64::max);
        let (x_axis, y_axis) =
            if self.horizontal { (&value_axis, &cat_axis) } else { (&cat_axis, &value_axis) };
        render(&self.title, self.size.0, self.size.1, |c| {
            let spec = FrameSpec {
                title: &self.title,
                x: x_axis,
                y: y_axis,
                legend: &[],
                right_reserve: if self.horizontal { text_w + 4.0 } else { 0.0 },
                top_reserve: if self.horizontal { 0.0 } else { VALUE_PX + 4.0 },
                grid: true,
            };
            let plot = draw_frame(c, &spec)?;
            let color = PALETTE[0].mix(0.85);
            let font = Font::new(VALUE_PX).color(TEXT);
            for (j, ((_, v), text)) in self.bars.iter().zip(&texts).enumerate() {
                if self.horizontal {
                    let band = (n - 1 - j) as f64;
                    let (ya, yb) = (plot.y.px(band + 0.15), plot.y.px(band + 0.85));
                    let (xa, xb) = (plot.x.px(base), plot.x.px(*v));
                    c.fill_rect((xa, ya), (xb, yb), color)?;
                    let (anchor, x) =
                        if *v >= base { (H::Left, xb + 4.0) } else { (H::Right, xb - 4.0) };
                    c.text(text, x, (ya + yb) / 2.0, font.anchor(anchor, V::Center))?;
                } else {
                    let band = j as f64;
                    let (xa, xb) = (plot.x.px(band + 0.15), plot.x.px(band + 0.85));
                    let (ya, yb) = (plot.y.px(base), plot.y.px(*v));
                    c.fill_rect((xa, ya), (xb, yb), color)?;
                    let (anchor, y) =
                        if *v >= base { (V::Bottom, yb - 3.0) } else { (V::Top, yb + 3.0) };
                    let font = if text_width(text, VALUE_PX) > (xb - xa) * 1.6 {
                        Font { px: VALUE_PX.min(TICK_PX) * 0.85, ..font }
                    } else {
                        font
                    };
                    c.text(text, (xa + xb) / 2.0, y, font.anchor(H::Center, anchor))?;
                }
            }
            Ok(())
        })
    }
}
