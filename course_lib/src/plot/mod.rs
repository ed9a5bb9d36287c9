//! # Figures: reading the plots in this course
//!
//! Every chart here renders to an SVG string (plotters' SVG backend) wrapped in a [`Figure`].
//! A figure that is the last expression of a notebook cell shows inline in JupyterLab (evcxr
//! calls [`Figure::evcxr_display`]); [`Figure::save`] writes it to a `.svg` file.
//!
//! ```
//! use course_lib::plot::LineChart;
//! let fig = LineChart::new("False suspicions vs timeout")
//!     .x_label("timeout (ms)")
//!     .y_label("false suspicions (%)")
//!     .series("exponential delays", [(10.0, 40.0), (50.0, 8.0), (100.0, 0.7)])
//!     .series("Pareto delays", [(10.0, 45.0), (50.0, 15.0), (100.0, 7.0)])
//!     .log_y()
//!     .render()?;
//! assert!(fig.svg().starts_with("<svg"));
//! # Ok::<(), course_lib::Error>(())
//! ```
//!
//! ## How to read them
//! * **Axes first.** Every axis is labelled with a quantity *and its unit*. Before looking at
//!   a curve, check whether an axis is logarithmic: equal distances then mean equal *ratios*
//!   (×10 per decade), not equal differences.
//! * **Log axes make tails and ladders visible.** A latency ladder spans nine orders of
//!   magnitude (an L1 cache hit at 0.5 ns, a cross-continent round trip at 150 ms); on a linear
//!   axis everything but the last bar would be invisible. On a log-y axis an exponential tail is
//!   a straight line against linear x, and a power-law (Pareto) tail is a straight line when
//!   *both* axes are logarithmic.
//! * **CDFs beat histograms for latency.** [`CdfChart`] plots, for every x, the fraction of
//!   samples ≤ x. Read a percentile by going across from the y value (0.99) to the curve and
//!   down to the x axis. A curve further right is slower; a curve that approaches 1 slowly has a
//!   heavy tail. The complementary CDF (fraction > x) on a log-y axis stretches that tail out:
//!   1 in 100, 1 in 1000, 1 in 10 000 sit at equal distances.
//! * **Histograms show shape, and depend on their bins.** [`Histogram`] overlays series on
//!   shared bins so their shapes are comparable; try a few bin counts before you trust a bump.
//! * **Heatmaps show a function of two parameters** (e.g. availability over read and write
//!   quorum sizes). Colour follows viridis, a perceptually uniform scale: equal steps in value
//!   look like equal steps in colour, and it survives grey-scale printing. Grey cells have no
//!   value (e.g. "not a valid quorum").
//! * **Sequence diagrams show one run.** [`SequenceDiagram`] draws one vertical lifeline per
//!   node with time flowing *down*; a message is a diagonal arrow from its sender at the send
//!   time to its receiver at the receive time, so a steeper arrow is a slower message and an
//!   arrow ending in × was lost. Crashes, restarts and timers are marked on the lifelines.
//! * **Series are told apart three ways** — colour (the colour-blind-safe Okabe–Ito palette,
//!   [`PALETTE`]), dash pattern and marker shape — so a figure still works printed in black and
//!   white. The legend sits outside the plot so it never hides data.
//!
//! Bad input (no series, NaN points, a non-positive value on a log axis, heatmap rows of
//! different lengths, an arrow to a node that does not exist) is an [`Error`] naming the
//! series or parameter, never a panic.
//!
//! ## Reading list
//! * Edward Tufte, *The Visual Display of Quantitative Information* (2nd ed., 2001).
//! * Brendan Gregg, "Latency Heat Maps", ACM Queue 8(4), 2010.
//! * Gil Tene, "How NOT to Measure Latency" (talk, 2015): why percentiles, why CDFs.
//! * M. Okabe and K. Ito, "Color Universal Design" (2008), the palette used here.
//! * Leslie Lamport, "Time, Clocks, and the Ordering of Events in a Distributed System",
//!   CACM 21(7), 1978: the original space-time (sequence) diagrams.

use std::fmt;
use std::path::Path;

use crate::error::{Error, Result};

mod bar;
mod canvas;
mod cdf;
mod chat_view;
mod consistency_view;
mod coord_view;
mod crdt_view;
mod dtx_view;
mod frame;
mod gossip_view;
mod heatmap;
mod histogram;
mod line;
mod mapreduce_view;
mod partition_view;
mod paxos_view;
mod quorum_view;
mod raft_view;
mod replication_view;
mod sequence;
mod slo_view;
mod staleness_view;
mod storage_view;
mod style;
#[cfg(test)]
mod tests;
mod timeline;
mod trace_view;
mod txn_view;

pub use bar::BarChart;
pub use cdf::CdfChart;
pub use crdt_view::{convergence_chart, merkle_cost_chart};
pub use dtx_view::{
    deadlock_detection_chart, deadlock_false_abort_chart, saga_dirty_read_table,
    twopc_blocking_chart, twopc_blocking_diagram, twopc_commit_diagram, twopc_cost_table,
    twopc_three_phase_diagram,
};
pub use gossip_view::{
    anti_entropy_chart, swim_detection_chart, swim_false_deaths_chart, swim_table,
};
pub use heatmap::Heatmap;
pub use histogram::Histogram;
pub use line::LineChart;
pub use mapreduce_view::kills_chart;
pub use sequence::{Arrow, Mark, MarkKind, SequenceDiagram};
pub use storage_view::{
    checkpoint_cost_chart, compaction_table, group_commit_chart, group_commit_table,
    recovery_time_chart,
};
pub use style::PALETTE;
pub use timeline::{Bar, BarStyle, Timeline};
pub use txn_view::{
    anomaly_levels_table, comparison_table, contention_chart, contention_table, rows_text_of,
    schedule_table, trace_table, CcMetric,
};

pub(crate) use crate::table::fmt_sig;

/// A rendered chart: an SVG document plus what it shows.
///
/// Shows inline in JupyterLab when it is the last expression of an evcxr cell.
///
/// **If a figure shows as text** (`Figure "…" was not drawn …`) instead of a picture, evcxr
/// could not call [`Figure::evcxr_display`] on the cell's last expression and fell back to
/// `Debug`. That happens when the last expression moves or captures a variable defined in the
/// same cell. End the cell with a plain borrow instead: `let fig = chart.render()?; fig` or
/// `chart.render()?` where `chart` is not consumed.
#[derive(Clone, PartialEq, Eq)]
pub struct Figure {
    svg: String,
    title: String,
    width: u32,
    height: u32,
}

impl Figure {
    /// The SVG document (`<svg ...>...</svg>`).
    pub fn svg(&self) -> &str {
        &self.svg
    }

    /// The chart's title.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// Width and height in pixels.
    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// Writes the SVG to `path` (conventionally ending in `.svg`).
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        std::fs::write(path, &self.svg)
            .map_err(|e| Error::Io { path: path.display().to_string(), message: e.to_string() })
    }

    /// Prints the SVG in the format the evcxr Jupyter kernel renders inline. evcxr calls a
    /// method of this name when a value is the last expression of a cell.
    pub fn evcxr_display(&self) {
        println!("EVCXR_BEGIN_CONTENT image/svg+xml\n{}\nEVCXR_END_CONTENT", self.svg);
    }
}

/// The text evcxr shows when it cannot display a figure inline (see [`Figure`]); the notebook
/// runner fails a notebook whose output contains it.
pub const NOT_DRAWN_MARKER: &str = "was not drawn inline";

impl fmt::Debug for Figure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Figure {:?} {NOT_DRAWN_MARKER}: end the cell with a plain variable \
             (`let fig = ….render()?; fig`) so evcxr can call evcxr_display",
            self.title
        )
    }
}

impl fmt::Display for Figure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Figure: {} ({}×{} SVG)", self.title, self.width, self.height)
    }
}

/// A duration given in nanoseconds, in the largest unit that keeps the number ≥ 1, with three
/// significant digits: `0.5 ns`, `100 ns`, `2.5 µs`, `150 ms`, `3 s`.
///
/// ```
/// use course_lib::plot::format_duration_ns;
/// assert_eq!(format_duration_ns(0.5), "0.5 ns");
/// assert_eq!(format_duration_ns(2_500.0), "2.5 µs");
/// assert_eq!(format_duration_ns(150e6), "150 ms");
/// assert_eq!(format_duration_ns(3e9), "3 s");
/// ```
pub fn format_duration_ns(ns: f64) -> String {
    if !ns.is_finite() {
        return fmt_sig(ns, 3);
    }
    if ns < 0.0 {
        return format!("-{}", format_duration_ns(-ns));
    }
    // Round first so 999.99 ns becomes "1 µs", not "1000 ns".
    let (v, unit) = [(1e9, "s"), (1e6, "ms"), (1e3, "µs")]
        .into_iter()
        .find(|(scale, _)| round_sig(ns, 3) >= *scale)
        .map_or((ns, "ns"), |(scale, unit)| (ns / scale, unit));
    format!("{} {unit}", fmt_sig(v, 3))
}

fn round_sig(x: f64, sig: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let p = 10f64.powi(sig - 1 - x.abs().log10().floor() as i32);
    (x * p).round() / p
}

/// The error for a chart without any data.
pub(crate) fn nothing_to_plot(chart: &str, how: &str) -> Error {
    Error::empty(format!("the {chart}"), format!("nothing to plot; add data with {how}"))
}

/// Checks that a series has points and that all of them are finite.
pub(crate) fn check_points(series: &str, pts: &[(f64, f64)]) -> Result<()> {
    if pts.is_empty() {
        return Err(Error::empty(
            format!("series \"{series}\""),
            "nothing to plot; give it at least one point",
        ));
    }
    for (i, &(x, y)) in pts.iter().enumerate() {
        if !x.is_finite() || !y.is_finite() {
            return Err(Error::out_of_range(
                format!("series \"{series}\" point {i}"),
                format!("({x}, {y})"),
                "coordinates must be finite numbers (not NaN or infinite)",
            ));
        }
    }
    Ok(())
}

/// Checks that a sample has values and that all of them are finite.
pub(crate) fn check_samples(series: &str, xs: &[f64]) -> Result<()> {
    if xs.is_empty() {
        return Err(Error::empty(
            format!("series \"{series}\""),
            "nothing to plot; give it at least one sample",
        ));
    }
    if let Some((i, x)) = xs.iter().enumerate().find(|(_, x)| !x.is_finite()) {
        return Err(Error::out_of_range(
            format!("series \"{series}\" sample {i}"),
            x,
            "samples must be finite numbers (not NaN or infinite)",
        ));
    }
    Ok(())
}

/// The error for a non-positive value on a log axis.
pub(crate) fn not_log_plottable(series: &str, index: usize, axis: &str, v: f64) -> Error {
    Error::out_of_range(
        format!("series \"{series}\" value {index} ({axis})"),
        v,
        format!(
            "a log {axis} axis needs values > 0; drop zeros and negatives or use a linear axis"
        ),
    )
}

#[cfg(test)]
mod unit_tests {
    use super::*;

    #[test]
    fn durations_pick_a_readable_unit() {
        assert_eq!(format_duration_ns(0.5), "0.5 ns");
        assert_eq!(format_duration_ns(100.0), "100 ns");
        assert_eq!(format_duration_ns(999.9), "1 µs");
        assert_eq!(format_duration_ns(10_000.0), "10 µs");
        assert_eq!(format_duration_ns(1.5e6), "1.5 ms");
        assert_eq!(format_duration_ns(150e6), "150 ms");
        assert_eq!(format_duration_ns(-2e3), "-2 µs");
        assert_eq!(format_duration_ns(0.0), "0 ns");
    }

    #[test]
    fn figure_display_and_save() {
        let fig = LineChart::new("t").series("a", [(0.0, 1.0), (1.0, 2.0)]).render().unwrap();
        assert_eq!(fig.to_string(), "Figure: t (720×400 SVG)");
        let dir = std::env::temp_dir().join(format!("course_lib_plot_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("fig.svg");
        fig.save(&path).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), fig.svg());
        let bad = fig.save(dir.join("no/such/dir/fig.svg")).unwrap_err();
        assert!(matches!(bad, Error::Io { .. }), "{bad}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
