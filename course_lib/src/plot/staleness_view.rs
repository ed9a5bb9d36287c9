//! The consistency delay window figure of [`crate::staleness`]: P(consistent read) against
//! the time since the write committed, one curve per [`WindowSeries`]. It lives in the plot
//! layer, so `staleness` never depends on plotting.

use crate::error::{validate, Error, Result};
use crate::plot::{Figure, LineChart};
use crate::staleness::{consistency_curve, WindowSeries};

impl WindowSeries {
    /// The **consistency delay window** figure: P(consistent read) against the time t since the
    /// write committed, one curve per series, from `trials` trials each (seeded). `t_max_ms` > 0
    /// sets the right end; with `log_t` the time axis is logarithmic from `t_max_ms` / 10⁴ (t = 0
    /// cannot be shown on it; its values are in the curves' first points otherwise).
    ///
    /// # Errors
    /// No series; bad (N, R, W); `t_max_ms` not finite and > 0; `trials` = 0.
    pub fn delay_window_figure(
        title: &str,
        series: &[WindowSeries],
        t_max_ms: f64,
        log_t: bool,
        trials: usize,
        seed: u64,
    ) -> Result<Figure> {
        let (ts, mut chart) = time_axis(title, series, t_max_ms, log_t)?;
        chart = chart.y_label("P(read returns the write)").y_range(0.0, 1.0);
        for s in series {
            let ys = consistency_curve(&s.profile, s.n, s.r, s.w, &ts, trials, seed)?;
            chart = chart.series(s.label.clone(), ts.iter().copied().zip(ys));
        }
        chart.render()
    }

    /// The same curves as [`WindowSeries::delay_window_figure`] (same times, trials and seed,
    /// so the same numbers) drawn as the probability of a **stale** read, 1 − P(consistent),
    /// on a log scale, with reference lines at 1 % and 0.1 %: where a curve crosses them is
    /// the time to 99 % and to 99.9 % consistency, which a linear axis squashes against 1.
    /// A curve stops where no trial was stale (its probability is below 1/`trials`).
    ///
    /// # Errors
    /// As [`WindowSeries::delay_window_figure`].
    pub fn stale_window_figure(
        title: &str,
        series: &[WindowSeries],
        t_max_ms: f64,
        log_t: bool,
        trials: usize,
        seed: u64,
    ) -> Result<Figure> {
        let (ts, mut chart) = time_axis(title, series, t_max_ms, log_t)?;
        chart = chart
            .y_label("P(read misses the write), log scale")
            .log_y()
            .y_range((0.5 / trials.max(1) as f64).min(5e-4), 1.0)
            .hline(0.01, "99 % consistent")
            .hline(0.001, "99.9 % consistent");
        for s in series {
            let ys = consistency_curve(&s.profile, s.n, s.r, s.w, &ts, trials, seed)?;
            let stale: Vec<(f64, f64)> = ts
                .iter()
                .zip(ys)
                .map(|(&t, y)| (t, 1.0 - y))
                .take_while(|&(_, p)| p > 0.0)
                .collect();
            chart = chart.series(s.label.clone(), stale);
        }
        chart.render()
    }
}

/// The times of the delay-window figures (161 points from 0, or from `t_max_ms` / 10⁴ on a log
/// axis) and a chart with the time axis set; checks the arguments both figures share.
fn time_axis(
    title: &str,
    series: &[WindowSeries],
    t_max_ms: f64,
    log_t: bool,
) -> Result<(Vec<f64>, LineChart)> {
    let t_max = validate::positive("t_max_ms", t_max_ms)?;
    if series.is_empty() {
        return Err(Error::empty("the series list", "give at least one WindowSeries"));
    }
    let points = 160;
    let ts: Vec<f64> = (0..=points)
        .map(|i| {
            let f = i as f64 / points as f64;
            if log_t {
                t_max * 10f64.powf(-4.0 * (1.0 - f))
            } else {
                t_max * f
            }
        })
        .collect();
    let mut chart = LineChart::new(title).x_label(if log_t {
        "time since the write committed, t (ms, log scale)"
    } else {
        "time since the write committed, t (ms)"
    });
    if log_t {
        chart = chart.log_x();
    }
    Ok((ts, chart))
}
