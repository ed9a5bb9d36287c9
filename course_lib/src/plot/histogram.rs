//! Histograms: one or more samples counted in shared bins and overlaid.

use plotters::style::Color;

use super::canvas::render;
use super::frame::{
    check_size, draw_frame, draw_legend, Axis, FrameSpec, Kind, LegendEntry, DEFAULT_SIZE,
};
use super::style::series_style;
use super::{check_samples, nothing_to_plot, Figure};
use crate::error::{Error, Result};

/// Overlaid histograms of one or more samples on shared bins.
///
/// Each series is a semi-transparent filled histogram with an outline in its colour and
/// dash pattern, so overlapping shapes stay visible.
///
/// ```
/// use course_lib::plot::Histogram;
/// let a: Vec<f64> = (0..500).map(|i| f64::from(i % 50)).collect();
/// let fig = Histogram::new("Delays").x_label("delay (ms)").bins(25).series("link A", &a).render()?;
/// assert!(fig.svg().contains("count"));
/// # Ok::<(), course_lib::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Histogram {
    title: String,
    x_label: String,
    bins: usize,
    series: Vec<(String, Vec<f64>)>,
    density: bool,
    size: (u32, u32),
}

impl Histogram {
    /// A new, empty histogram titled `title`, with 30 bins.
    pub fn new(title: impl Into<String>) -> Self {
        Histogram {
            title: title.into(),
            x_label: String::new(),
            bins: 30,
            series: Vec::new(),
            density: false,
            size: DEFAULT_SIZE,
        }
    }

    /// Label of the x axis, with its unit: `"delay (ms)"`.
    pub fn x_label(mut self, label: impl Into<String>) -> Self {
        self.x_label = label.into();
        self
    }

    /// Number of equal-width bins spanning all samples of all series (1 to 1000).
    pub fn bins(mut self, n: usize) -> Self {
        self.bins = n;
        self
    }

    /// Adds a sample called `name`.
    pub fn series(mut self, name: impl Into<String>, samples: &[f64]) -> Self {
        self.series.push((name.into(), samples.to_vec()));
        self
    }

    /// Plots a density (count / (sample size × bin width)), so samples of different sizes
    /// are comparable and each histogram has area 1.
    pub fn density(mut self) -> Self {
        self.density = true;
        self
    }

    /// Figure size in pixels (default 720×400).
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.size = (width, height);
        self
    }

    /// Bin edges and per-series heights.
    fn heights(&self) -> (Vec<f64>, Vec<Vec<f64>>) {
        let all = self.series.iter().flat_map(|(_, xs)| xs.iter().copied());
        let (lo, hi) =
            all.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(x), b.max(x)));
        let (lo, hi) = if hi > lo { (lo, hi) } else { (lo - 0.5, hi + 0.5) };
        let width = (hi - lo) / self.bins as f64;
        let edges: Vec<f64> = (0..=self.bins).map(|i| lo + width * i as f64).collect();
        let heights = self
            .series
            .iter()
            .map(|(_, xs)| {
                let mut counts = vec![0.0; self.bins];
                for &x in xs {
                    let i = (((x - lo) / width).floor() as usize).min(self.bins - 1);
                    counts[i] += 1.0;
                }
                if self.density {
                    let norm = xs.len() as f64 * width;
                    counts.iter_mut().for_each(|c| *c /= norm);
                }
                counts
            })
            .collect();
        (edges, heights)
    }

    /// Renders the histogram.
    ///
    /// # Errors
    /// No series; an empty sample; a NaN or infinite sample; bins outside 1–1000.
    pub fn render(&self) -> Result<Figure> {
        check_size(self.size.0, self.size.1)?;
        if !(1..=1000).contains(&self.bins) {
            return Err(Error::out_of_range("bins", self.bins, "must be between 1 and 1000"));
        }
        if self.series.is_empty() {
            return Err(nothing_to_plot("histogram", ".series(name, samples)"));
        }
        for (name, xs) in &self.series {
            check_samples(name, xs)?;
        }
        let (edges, heights) = self.heights();
        let (lo, hi) = (edges[0], edges[self.bins]);
        let pad = (hi - lo) * 0.02;
        let top = heights.iter().flatten().copied().fold(0.0, f64::max);
        let top = if top > 0.0 { top * 1.06 } else { 1.0 };
        let x_axis = Axis::new(Kind::Linear, lo - pad, hi + pad, &self.x_label);
        let y_axis =
            Axis::new(Kind::Linear, 0.0, top, if self.density { "density" } else { "count" });
        let legend: Vec<LegendEntry> = self
            .series
            .iter()
            .enumerate()
            .map(|(i, (name, _))| {
                let (color, dash, _) = series_style(i);
                LegendEntry { name: name.clone(), color, dash, marker: None, swatch: true }
            })
            .collect();
        let alpha = if self.series.len() == 1 { 0.55 } else { 0.3 };
        render(&self.title, self.size.0, self.size.1, |c| {
            let spec = FrameSpec {
                title: &self.title,
                x: &x_axis,
                y: &y_axis,
                legend: &legend,
                right_reserve: 0.0,
                top_reserve: 0.0,
                grid: true,
            };
            let plot = draw_frame(c, &spec)?;
            let y0 = plot.y.px(0.0);
            for (i, hs) in heights.iter().enumerate() {
                let (color, _, _) = series_style(i);
                for (b, &h) in hs.iter().enumerate() {
                    if h > 0.0 {
                        let (xa, xb) = (plot.x.px(edges[b]), plot.x.px(edges[b + 1]));
                        c.fill_rect((xa, plot.y.px(h)), (xb, y0), color.mix(alpha))?;
                    }
                }
            }
            // Outlines on top of all fills, so no series hides another's shape.
            for (i, hs) in heights.iter().enumerate() {
                let (color, dash, _) = series_style(i);
                let mut outline = vec![(plot.x.px(edges[0]), y0)];
                for (b, &h) in hs.iter().enumerate() {
                    outline.push((plot.x.px(edges[b]), plot.y.px(h)));
                    outline.push((plot.x.px(edges[b + 1]), plot.y.px(h)));
                }
                outline.push((plot.x.px(edges[self.bins]), y0));
                c.polyline(&outline, color.to_rgba(), 2, dash)?;
            }
            draw_legend(c, &plot, &legend)
        })
    }
}
