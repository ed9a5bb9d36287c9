//! Empirical CDFs (and complementary CDFs for tails) of one or more samples.

use super::line::LineChart;
use super::{check_samples, not_log_plottable, nothing_to_plot, Figure};
use crate::error::Result;

/// Ranks kept per series: each becomes two points of the step curve, so ≤ ~500 points.
const MAX_RANKS: usize = 240;

/// Empirical cumulative distribution functions: for every x, the fraction of samples ≤ x.
///
/// Each curve is a step function through the sorted samples, thinned to at most ~500 points
/// so the SVG stays small (the thinning keeps the extreme ranks, so the tail is exact).
///
/// ```
/// use course_lib::plot::CdfChart;
/// let fast: Vec<f64> = (1..=1000).map(|i| f64::from(i) * 0.01).collect();
/// let slow: Vec<f64> = fast.iter().map(|x| x * x * 3.0).collect();
/// let fig = CdfChart::new("Request latency")
///     .x_label("latency (ms)")
///     .series("fast path", &fast)
///     .series("slow path", &slow)
///     .render()?;
/// assert!(fig.svg().contains("fraction ≤ x"));
/// # Ok::<(), course_lib::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct CdfChart {
    title: String,
    x_label: String,
    series: Vec<(String, Vec<f64>)>,
    log_x: bool,
    ccdf: bool,
    x_range: Option<(f64, f64)>,
    size: Option<(u32, u32)>,
}

impl CdfChart {
    /// A new, empty chart titled `title`.
    pub fn new(title: impl Into<String>) -> Self {
        CdfChart {
            title: title.into(),
            x_label: String::new(),
            series: Vec::new(),
            log_x: false,
            ccdf: false,
            x_range: None,
            size: None,
        }
    }

    /// Label of the x axis, with its unit: `"latency (ms)"`.
    pub fn x_label(mut self, label: impl Into<String>) -> Self {
        self.x_label = label.into();
        self
    }

    /// Adds the empirical distribution of `samples` (any order) as a series called `name`.
    pub fn series(mut self, name: impl Into<String>, samples: &[f64]) -> Self {
        self.series.push((name.into(), samples.to_vec()));
        self
    }

    /// Logarithmic x axis (all samples must be > 0).
    pub fn log_x(mut self) -> Self {
        self.log_x = true;
        self
    }

    /// Plots the complementary CDF, the fraction of samples *greater than* x, on a log y axis:
    /// the view that shows tails (1 in 100, 1 in 1000, ... are equally spaced).
    pub fn ccdf(mut self) -> Self {
        self.ccdf = true;
        self
    }

    /// Show only `lo ≤ x ≤ hi` (the curves are clamped to the range, so each still starts and
    /// ends at its level there). Useful with `log_x` when a few tiny samples would otherwise
    /// stretch the axis over decades nobody cares about.
    pub fn x_range(mut self, lo: f64, hi: f64) -> Self {
        self.x_range = Some((lo, hi));
        self
    }

    /// Figure size in pixels (default 720×400).
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.size = Some((width, height));
        self
    }

    /// Renders the chart.
    ///
    /// # Errors
    /// No series; an empty sample; a NaN or infinite sample; a sample ≤ 0 with a log x axis.
    pub fn render(&self) -> Result<Figure> {
        if self.series.is_empty() {
            return Err(nothing_to_plot("CDF chart", ".series(name, samples)"));
        }
        if let Some((lo, hi)) = self.x_range {
            crate::error::validate::ordered("lo", lo, "hi", hi)?;
            if self.log_x && lo <= 0.0 {
                return Err(crate::Error::out_of_range("lo", lo, "must be > 0 on a log x axis"));
            }
        }
        let y_label = if self.ccdf { "fraction > x" } else { "fraction ≤ x" };
        let mut chart =
            LineChart::new(self.title.clone()).x_label(self.x_label.clone()).y_label(y_label);
        chart.kind = "CDF chart";
        let mut min_level = 1.0_f64;
        for (name, xs) in &self.series {
            check_samples(name, xs)?;
            if self.log_x {
                if let Some((i, x)) = xs.iter().enumerate().find(|(_, x)| **x <= 0.0) {
                    return Err(not_log_plottable(name, i, "x", *x));
                }
            }
            let mut sorted = xs.clone();
            sorted.sort_by(f64::total_cmp);
            let mut pts = if self.ccdf { ccdf_steps(&sorted) } else { cdf_steps(&sorted) };
            if let Some((lo, hi)) = self.x_range {
                for p in &mut pts {
                    p.0 = p.0.clamp(lo, hi);
                }
            }
            min_level = min_level.min(1.0 / sorted.len() as f64);
            chart = chart.series(name.clone(), pts);
        }
        if self.ccdf {
            let floor = 10f64.powf(min_level.log10().floor()).min(0.1);
            chart = chart.log_y().y_range(floor, 1.0);
        } else {
            chart = chart.y_range(0.0, 1.0);
        }
        if self.log_x {
            chart = chart.log_x();
        }
        if let Some((lo, hi)) = self.x_range {
            chart = chart.x_range(lo, hi);
        }
        if let Some((w, h)) = self.size {
            chart = chart.size(w, h);
        }
        chart.render()
    }
}

/// The ranks (0-based indices into the sorted sample) drawn: all of them for small samples,
/// otherwise evenly spaced ranks plus geometrically spaced ones near the top (the tail).
fn ranks(n: usize, tail: bool) -> Vec<usize> {
    if n <= MAX_RANKS {
        return (0..n).collect();
    }
    let even = if tail { MAX_RANKS / 2 } else { MAX_RANKS };
    let mut r: Vec<usize> = (0..even).map(|j| j * (n - 1) / (even - 1)).collect();
    if tail {
        let mut gap = 1.0_f64;
        while (gap as usize) < n && r.len() < MAX_RANKS {
            r.push(n - gap as usize);
            gap *= 1.12;
        }
    }
    r.sort_unstable();
    r.dedup();
    r
}

/// Step curve of the empirical CDF of a sorted sample.
fn cdf_steps(sorted: &[f64]) -> Vec<(f64, f64)> {
    let n = sorted.len() as f64;
    let mut pts = vec![(sorted[0], 0.0)];
    let mut prev = 0.0;
    for r in ranks(sorted.len(), false) {
        let x = sorted[r];
        let f = (r + 1) as f64 / n;
        pts.push((x, prev));
        pts.push((x, f));
        prev = f;
    }
    pts
}

/// Step curve of the fraction of samples greater than x, ending at the last non-zero level.
fn ccdf_steps(sorted: &[f64]) -> Vec<(f64, f64)> {
    let n = sorted.len();
    let mut pts = vec![(sorted[0], 1.0)];
    let mut prev = 1.0;
    for r in ranks(n, true) {
        let x = sorted[r];
        let s = (n - r - 1) as f64 / n as f64;
        pts.push((x, prev));
        if s > 0.0 {
            pts.push((x, s));
            prev = s;
        }
    }
    pts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x_range_clamps_curves_and_rejects_bad_ranges() {
        let xs: Vec<f64> = (1..=1000).map(|i| f64::from(i) * 1e-3).collect();
        let fig = CdfChart::new("t").series("a", &xs).log_x().ccdf().x_range(0.1, 1.0).render();
        assert!(fig.is_ok());
        assert!(CdfChart::new("t").series("a", &xs).x_range(2.0, 1.0).render().is_err());
        assert!(CdfChart::new("t").series("a", &xs).log_x().x_range(0.0, 1.0).render().is_err());
    }

    #[test]
    fn cdf_steps_are_exact_for_small_samples() {
        let pts = cdf_steps(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(pts.first(), Some(&(1.0, 0.0)));
        assert_eq!(pts.last(), Some(&(4.0, 1.0)));
        assert!(pts.contains(&(2.0, 0.5)));
    }

    #[test]
    fn large_samples_are_thinned_but_keep_the_tail() {
        let xs: Vec<f64> = (0..100_000).map(f64::from).collect();
        let cdf = cdf_steps(&xs);
        assert!(cdf.len() <= 501, "{}", cdf.len());
        let ccdf = ccdf_steps(&xs);
        assert!(ccdf.len() <= 501, "{}", ccdf.len());
        // The tail down to 1 in 100 000 is present.
        let last = ccdf.last().unwrap();
        assert_eq!(last.0, 99_999.0);
        assert!((last.1 - 1e-5).abs() < 1e-12, "{last:?}");
    }
}
