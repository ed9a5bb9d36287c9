//! # SLIs, SLOs and error budgets: how reliable is reliable enough, and when to wake someone
//!
//! A **service level indicator** (SLI) is a measured ratio of good events to valid events:
//! requests answered successfully, requests answered within 300 ms, chat messages delivered.
//! A **service level objective** (SLO) is a target for an SLI over a window: "99.9 % of
//! requests succeed, measured over a rolling 30 days". A **service level agreement** (SLA) is
//! a contract that says what happens (refunds, credits) when a looser objective is missed.
//!
//! ## Definitions
//! For an SLO with target $T$ (e.g. 0.999) over a window of length $W$ (e.g. 30 days):
//!
//! * **Error budget**: the unreliability the SLO allows, a fraction $1 - T$ of the events, or,
//!   for a time-based SLI, a time $(1 - T)\,W$: 43.2 minutes per 30 days at 99.9 %
//!   ([`error_budget`]).
//! * **Burn rate** over an alert window: the observed error ratio divided by the allowed one,
//!   $b = e / (1 - T)$ ([`burn_rate`]). A burn rate of 1 spends exactly the whole budget in
//!   the SLO window; 2 spends it in half the window.
//! * Burning at rate $b$ for a time $w$ consumes a fraction $b\,w / W$ of the budget
//!   ([`budget_consumed`]); to alert when a fraction $f$ has been spent within $w$, alert on
//!   $b > f\,W / w$ ([`burn_rate_threshold`]); at rate $b$ the budget lasts $W / b$
//!   ([`time_to_exhaustion`]).
//!
//! ## Alerting (The Site Reliability Workbook, ch. 5)
//! An alert policy turns an SLI time series into alert intervals ([`alert`]). The workbook
//! walks through the candidates and their trade-offs; with a 99.9 % SLO over 30 days:
//!
//! | policy | fires when | weakness |
//! |---|---|---|
//! | threshold | error ratio over 10 min > 0.1 % | pages on blips that spend almost no budget (low precision) |
//! | single-window burn rate | burn rate over 1 h > 14.4 | resets only an hour after the incident ends |
//! | multiwindow, multi-burn-rate | (1 h > 14.4 and 5 min > 14.4) or (6 h > 6 and 30 min > 6) page; (3 d > 1 and 6 h > 1) ticket | more rules to maintain |
//!
//! The multiwindow table pairs every long window with a short window 1/12 of its length, so
//! an alert stops firing minutes after the errors stop ([`alert::AlertPolicy::workbook_multiwindow`]):
//!
//! | severity | long window | short window | burn rate | budget consumed |
//! |---|---|---|---|---|
//! | page | 1 h | 5 min | 14.4 | 2 % |
//! | page | 6 h | 30 min | 6 | 5 % |
//! | ticket | 3 days | 6 h | 1 | 10 % |
//!
//! ```
//! use std::time::Duration;
//! use course_lib::slo::{burn_rate_threshold, error_budget, time_to_exhaustion};
//! const HOUR: Duration = Duration::from_secs(3600);
//! let month = 30 * 24 * HOUR;
//! // 99.9 % over 30 days allows 43.2 minutes of full outage
//! let budget = error_budget(0.999, month)?;
//! assert!((budget.as_secs_f64() - 43.2 * 60.0).abs() < 1e-6);
//! // 2 % of the budget in one hour is a burn rate of 14.4 …
//! assert!((burn_rate_threshold(0.02, HOUR, month) - 14.4).abs() < 1e-12);
//! // … which would exhaust the whole budget in 50 hours
//! assert_eq!(time_to_exhaustion(14.4, month).as_secs(), 50 * 3600);
//! # Ok::<(), course_lib::Error>(())
//! ```
//!
//! ## Data
//! [`SliSeries`] holds good/total counts per interval and answers window questions in O(1)
//! from prefix sums; [`synth`] generates the month of one-minute data with labelled incidents
//! that ships as `data/sli_month.csv` and `data/sli_incidents.csv`.
//!
//! ## Reading
//! * B. Beyer, C. Jones, J. Petoff and N. R. Murphy (eds.), *Site Reliability Engineering*,
//!   O'Reilly 2016, ch. 4 "Service Level Objectives".
//! * B. Beyer, N. R. Murphy, D. K. Rensin, K. Kawahara and S. Thorne (eds.), *The Site
//!   Reliability Workbook*, O'Reilly 2018, ch. 2 "Implementing SLOs" and ch. 5 "Alerting on
//!   SLOs" (S. Thurgood): burn rates, the time-to-exhaustion table (burn rate 1 → 30 days,
//!   2 → 15 days, 10 → 3 days, 1000 → 43 minutes) and the multiwindow, multi-burn-rate
//!   parameters above.
//! * A. Hidalgo, *Implementing Service Level Objectives*, O'Reilly 2020.

pub mod alert;
#[cfg(feature = "frames")]
pub mod frames;
pub mod synth;

use std::fmt;
use std::path::Path;
use std::time::Duration;

use crate::error::{validate, Error, Result};

pub use alert::{
    Alert, AlertPolicy, AlertRule, Evaluation, IncidentOutcome, PolicyMetrics, Severity,
};

/// One hour, for writing windows (`6 * HOUR`).
pub const HOUR: Duration = Duration::from_secs(3600);
/// One minute.
pub const MINUTE: Duration = Duration::from_secs(60);
/// One day.
pub const DAY: Duration = Duration::from_secs(86_400);
/// The usual SLO window: 30 days.
pub const THIRTY_DAYS: Duration = Duration::from_secs(30 * 86_400);

// ---------------------------------------------------------------------------------------------
// Checks

/// `target` is an SLO target strictly between 0 and 1.
pub(crate) fn check_target(name: &str, target: f64) -> Result<f64> {
    if target.is_finite() && target > 0.0 && target < 1.0 {
        Ok(target)
    } else {
        Err(Error::out_of_range(
            name,
            target,
            "an SLO target must be strictly between 0 and 1 (e.g. 0.999 for 99.9 %)",
        ))
    }
}

/// `window` is a positive duration.
pub(crate) fn check_window(name: &str, window: Duration) -> Result<Duration> {
    if window.is_zero() {
        Err(Error::out_of_range(name, "0 s", "a window must be a positive duration"))
    } else {
        Ok(window)
    }
}

/// `alert_window` is positive and no longer than `slo_window` (which is positive).
pub(crate) fn check_alert_window(alert_window: Duration, slo_window: Duration) -> Result<()> {
    check_window("slo_window", slo_window)?;
    check_window("alert_window", alert_window)?;
    if alert_window > slo_window {
        return Err(Error::out_of_range(
            "alert_window",
            fmt_duration(alert_window),
            format!(
                "an alert window cannot be longer than the SLO window ({})",
                fmt_duration(slo_window)
            ),
        ));
    }
    Ok(())
}

/// A duration as a short human string: `43.2 min`, `6 h`, `3 d`, `52 s`.
pub fn fmt_duration(d: Duration) -> String {
    let s = d.as_secs_f64();
    let sig = |x: f64| crate::numfmt::fmt_sig(x, 3);
    if s >= 86_400.0 {
        format!("{} d", sig(s / 86_400.0))
    } else if s >= 3600.0 {
        format!("{} h", sig(s / 3600.0))
    } else if s >= 60.0 {
        format!("{} min", sig(s / 60.0))
    } else {
        format!("{} s", sig(s))
    }
}

// ---------------------------------------------------------------------------------------------
// The contract functions

/// The unreliability an SLO with `target` over `window` allows: $(1 - T)\,W$ of time (for a
/// time-based SLI), equivalently the fraction $1 - T$ of the window's events.
///
/// # Errors
/// `target` not strictly between 0 and 1; a zero `window`.
///
/// ```
/// # use course_lib::slo::{error_budget, THIRTY_DAYS};
/// let b = error_budget(0.9999, THIRTY_DAYS)?;
/// assert!((b.as_secs_f64() - 259.2).abs() < 1e-6); // 4.32 minutes a month at four nines
/// assert!(error_budget(1.0, THIRTY_DAYS).unwrap_err().to_string().starts_with("target = 1"));
/// # Ok::<(), course_lib::Error>(())
/// ```
pub fn error_budget(target: f64, window: Duration) -> Result<Duration> {
    let target = check_target("target", target)?;
    let window = check_window("window", window)?;
    Ok(Duration::from_secs_f64((1.0 - target) * window.as_secs_f64()))
}

/// Burn rate $b = e / (1 - T)$: how many times faster than "exactly on budget" an error ratio
/// `error_ratio` spends the budget of an SLO with `target`.
///
/// # Errors
/// `error_ratio` outside `[0, 1]`; `target` not strictly between 0 and 1.
///
/// ```
/// # use course_lib::slo::burn_rate;
/// assert!((burn_rate(0.001, 0.999)? - 1.0).abs() < 1e-9);
/// assert!((burn_rate(1.0, 0.999)? - 1000.0).abs() < 1e-6); // a full outage
/// # Ok::<(), course_lib::Error>(())
/// ```
pub fn burn_rate(error_ratio: f64, target: f64) -> Result<f64> {
    let e = validate::probability("error_ratio", error_ratio)?;
    let target = check_target("target", target)?;
    Ok(e / (1.0 - target))
}

/// Fraction of the whole error budget consumed by burning at `burn_rate` for `alert_window`
/// out of an SLO window `slo_window`: $b\,w / W$.
///
/// Returns NaN for bad input (negative or NaN burn rate, a zero window, an alert window
/// longer than the SLO window); [`checked_budget_consumed`] says what was wrong instead.
///
/// ```
/// # use course_lib::slo::{budget_consumed, HOUR, THIRTY_DAYS};
/// assert!((budget_consumed(14.4, HOUR, THIRTY_DAYS) - 0.02).abs() < 1e-12);
/// assert!(budget_consumed(14.4, 2 * THIRTY_DAYS, THIRTY_DAYS).is_nan());
/// ```
pub fn budget_consumed(burn_rate: f64, alert_window: Duration, slo_window: Duration) -> f64 {
    checked_budget_consumed(burn_rate, alert_window, slo_window).unwrap_or(f64::NAN)
}

/// [`budget_consumed`] with an [`Error`] naming the bad parameter.
pub fn checked_budget_consumed(
    burn_rate: f64,
    alert_window: Duration,
    slo_window: Duration,
) -> Result<f64> {
    let b = validate::non_negative("burn_rate", burn_rate)?;
    check_alert_window(alert_window, slo_window)?;
    Ok(b * alert_window.as_secs_f64() / slo_window.as_secs_f64())
}

/// The burn rate at which a fraction `budget_fraction` of the budget is consumed within
/// `alert_window`: $f\,W / w$. Alert when the burn rate over `alert_window` exceeds it.
///
/// Returns NaN for bad input (fraction outside `(0, 1]`, a zero window, an alert window
/// longer than the SLO window); [`checked_burn_rate_threshold`] says what was wrong instead.
///
/// ```
/// # use course_lib::slo::{burn_rate_threshold, DAY, HOUR, THIRTY_DAYS};
/// // The Site Reliability Workbook, ch. 5: 2 % in 1 h, 5 % in 6 h, 10 % in 3 days
/// assert!((burn_rate_threshold(0.02, HOUR, THIRTY_DAYS) - 14.4).abs() < 1e-12);
/// assert!((burn_rate_threshold(0.05, 6 * HOUR, THIRTY_DAYS) - 6.0).abs() < 1e-12);
/// assert!((burn_rate_threshold(0.10, 3 * DAY, THIRTY_DAYS) - 1.0).abs() < 1e-12);
/// ```
pub fn burn_rate_threshold(
    budget_fraction: f64,
    alert_window: Duration,
    slo_window: Duration,
) -> f64 {
    checked_burn_rate_threshold(budget_fraction, alert_window, slo_window).unwrap_or(f64::NAN)
}

/// [`burn_rate_threshold`] with an [`Error`] naming the bad parameter.
pub fn checked_burn_rate_threshold(
    budget_fraction: f64,
    alert_window: Duration,
    slo_window: Duration,
) -> Result<f64> {
    let f = validate::probability("budget_fraction", budget_fraction)?;
    if f == 0.0 {
        return Err(Error::out_of_range(
            "budget_fraction",
            f,
            "must be greater than 0 (an alert on spending nothing fires always)",
        ));
    }
    check_alert_window(alert_window, slo_window)?;
    Ok(f * slo_window.as_secs_f64() / alert_window.as_secs_f64())
}

/// How long the whole budget of an SLO window `slo_window` lasts at a constant burn rate:
/// $W / b$. A burn rate of 0 (or less, or NaN) never exhausts it: [`Duration::MAX`].
///
/// ```
/// # use course_lib::slo::{time_to_exhaustion, THIRTY_DAYS};
/// // The Site Reliability Workbook, ch. 5: at burn rate 1000 (a full outage of a 99.9 % SLO)
/// // a 30-day budget is gone in 43 minutes
/// assert_eq!(time_to_exhaustion(1000.0, THIRTY_DAYS).as_secs(), 2592); // 43.2 min
/// assert_eq!(time_to_exhaustion(0.0, THIRTY_DAYS), std::time::Duration::MAX);
/// ```
pub fn time_to_exhaustion(burn_rate: f64, slo_window: Duration) -> Duration {
    if burn_rate.is_nan() || burn_rate <= 0.0 {
        return Duration::MAX;
    }
    Duration::try_from_secs_f64(slo_window.as_secs_f64() / burn_rate).unwrap_or(Duration::MAX)
}

/// [`time_to_exhaustion`] with an [`Error`] for a NaN or negative burn rate or a zero window.
pub fn checked_time_to_exhaustion(burn_rate: f64, slo_window: Duration) -> Result<Duration> {
    validate::non_negative("burn_rate", burn_rate)?;
    check_window("slo_window", slo_window)?;
    Ok(time_to_exhaustion(burn_rate, slo_window))
}

// ---------------------------------------------------------------------------------------------
// An SLO

/// A service level objective: a `target` fraction of good events over a rolling `window`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Slo {
    target: f64,
    window: Duration,
}

impl Slo {
    /// `target` strictly between 0 and 1, `window` positive.
    ///
    /// ```
    /// # use course_lib::slo::{Slo, THIRTY_DAYS};
    /// let slo = Slo::new(0.999, THIRTY_DAYS)?;
    /// assert!((slo.allowed_error_ratio() - 0.001).abs() < 1e-15);
    /// assert!(Slo::new(0.0, THIRTY_DAYS).is_err());
    /// # Ok::<(), course_lib::Error>(())
    /// ```
    pub fn new(target: f64, window: Duration) -> Result<Slo> {
        Ok(Slo { target: check_target("target", target)?, window: check_window("window", window)? })
    }

    /// The target T.
    pub fn target(&self) -> f64 {
        self.target
    }

    /// The SLO window W.
    pub fn window(&self) -> Duration {
        self.window
    }

    /// 1 − T: the error ratio that burns the budget at rate exactly 1.
    pub fn allowed_error_ratio(&self) -> f64 {
        1.0 - self.target
    }

    /// The budget as time: (1 − T) W.
    pub fn error_budget(&self) -> Duration {
        Duration::from_secs_f64(self.allowed_error_ratio() * self.window.as_secs_f64())
    }

    /// Burn rate of an error ratio against this SLO (the ratio is clamped to `[0, 1]`).
    pub fn burn_rate(&self, error_ratio: f64) -> f64 {
        error_ratio.clamp(0.0, 1.0) / self.allowed_error_ratio()
    }
}

impl fmt::Display for Slo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}% over {}", self.target * 100.0, fmt_duration(self.window))
    }
}

// ---------------------------------------------------------------------------------------------
// SLI time series

/// An SLI as a time series: for every interval of fixed length, how many events were good
/// and how many there were in total.
///
/// Window sums come from prefix sums, so the error ratio over any trailing window at any
/// point costs O(1) and a whole series O(n) ([`SliSeries::error_ratio_over`]).
#[derive(Clone, Debug, PartialEq)]
pub struct SliSeries {
    interval: Duration,
    good: Vec<u64>,
    total: Vec<u64>,
    /// cum_bad[i] = bad events in intervals 0..i (length n + 1).
    cum_bad: Vec<u64>,
    /// cum_total[i] = events in intervals 0..i (length n + 1).
    cum_total: Vec<u64>,
}

impl SliSeries {
    /// A series of `good` and `total` counts per `interval`.
    ///
    /// # Errors
    /// A zero interval; `good` and `total` of different lengths or empty; a negative count;
    /// `good > total` in some interval (the error names the interval).
    ///
    /// ```
    /// # use course_lib::slo::{SliSeries, MINUTE};
    /// let s = SliSeries::new(MINUTE, vec![99, 100, 50], vec![100, 100, 100])?;
    /// assert_eq!(s.len(), 3);
    /// let e = SliSeries::new(MINUTE, vec![101], vec![100]).unwrap_err();
    /// assert!(e.to_string().starts_with("good[0] = 101 is out of range"), "{e}");
    /// # Ok::<(), course_lib::Error>(())
    /// ```
    pub fn new(interval: Duration, good: Vec<i64>, total: Vec<i64>) -> Result<SliSeries> {
        check_window("interval", interval)?;
        if good.len() != total.len() {
            return Err(Error::invalid(
                "SLI series",
                format!(
                    "good has {} intervals but total has {}: they must be the same length",
                    good.len(),
                    total.len()
                ),
            ));
        }
        if good.is_empty() {
            return Err(Error::empty("the SLI series", "give at least one interval"));
        }
        let mut g = Vec::with_capacity(good.len());
        let mut t = Vec::with_capacity(total.len());
        for (i, (&gi, &ti)) in good.iter().zip(&total).enumerate() {
            if ti < 0 {
                return Err(Error::out_of_range(
                    format!("total[{i}]"),
                    ti,
                    "an event count cannot be negative",
                ));
            }
            if gi < 0 {
                return Err(Error::out_of_range(
                    format!("good[{i}]"),
                    gi,
                    "an event count cannot be negative",
                ));
            }
            if gi > ti {
                return Err(Error::out_of_range(
                    format!("good[{i}]"),
                    gi,
                    format!("good events cannot exceed total[{i}] = {ti}"),
                ));
            }
            g.push(gi as u64);
            t.push(ti as u64);
        }
        Ok(Self::from_checked(interval, g, t))
    }

    /// Builds the prefix sums; the caller has checked good ≤ total.
    pub(crate) fn from_checked(interval: Duration, good: Vec<u64>, total: Vec<u64>) -> SliSeries {
        let n = good.len();
        let mut cum_bad = Vec::with_capacity(n + 1);
        let mut cum_total = Vec::with_capacity(n + 1);
        let (mut b, mut t) = (0u64, 0u64);
        cum_bad.push(0);
        cum_total.push(0);
        for (g, tot) in good.iter().zip(&total) {
            b += tot - g;
            t += tot;
            cum_bad.push(b);
            cum_total.push(t);
        }
        SliSeries { interval, good, total, cum_bad, cum_total }
    }

    /// Parses the CSV format of `data/sli_month.csv`: a header `minute,good,total`, then one
    /// row per minute, minutes consecutive from 0. Lines starting with `#` are comments.
    pub fn parse_csv(text: &str, source_name: &str) -> Result<SliSeries> {
        let mut good = Vec::new();
        let mut total = Vec::new();
        for (line, fields) in csv_records(text, source_name, "minute,good,total")? {
            let err = |message: String| parse_error(source_name, line, message);
            let num = |s: &str, what: &str| -> Result<i64> {
                s.trim().parse::<i64>().map_err(|_| err(format!("{what} `{s}` is not an integer")))
            };
            let minute = num(fields[0], "minute")?;
            if minute != good.len() as i64 {
                return Err(err(format!("minute {minute} out of order: expected {}", good.len())));
            }
            good.push(num(fields[1], "good")?);
            total.push(num(fields[2], "total")?);
        }
        SliSeries::new(MINUTE, good, total)
    }

    /// Reads [`SliSeries::parse_csv`]'s format from a file.
    pub fn from_csv(path: impl AsRef<Path>) -> Result<SliSeries> {
        let (text, name) = read_text(path.as_ref())?;
        SliSeries::parse_csv(&text, &name)
    }

    /// The series as CSV (`minute,good,total`), the inverse of [`SliSeries::parse_csv`] for
    /// one-minute series.
    pub fn to_csv(&self) -> String {
        let mut out = String::with_capacity(self.len() * 16 + 32);
        out.push_str("minute,good,total\n");
        for (i, (g, t)) in self.good.iter().zip(&self.total).enumerate() {
            use std::fmt::Write as _;
            let _ = writeln!(out, "{i},{g},{t}");
        }
        out
    }

    /// Number of intervals.
    pub fn len(&self) -> usize {
        self.good.len()
    }

    /// Never true: a series has at least one interval.
    pub fn is_empty(&self) -> bool {
        self.good.is_empty()
    }

    /// Length of one interval.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// Time covered: `len × interval`.
    pub fn duration(&self) -> Duration {
        self.interval * self.len() as u32
    }

    /// Good events per interval.
    pub fn good(&self) -> &[u64] {
        &self.good
    }

    /// Total events per interval.
    pub fn total(&self) -> &[u64] {
        &self.total
    }

    /// Bad events (total − good) in intervals `start..end` (clamped to the series).
    pub fn bad_between(&self, start: usize, end: usize) -> u64 {
        let end = end.min(self.len());
        let start = start.min(end);
        self.cum_bad[end] - self.cum_bad[start]
    }

    /// All events in intervals `start..end` (clamped to the series).
    pub fn total_between(&self, start: usize, end: usize) -> u64 {
        let end = end.min(self.len());
        let start = start.min(end);
        self.cum_total[end] - self.cum_total[start]
    }

    /// Error ratio (bad / total) over intervals `start..end`; 0 when there were no events.
    pub fn error_ratio_between(&self, start: usize, end: usize) -> f64 {
        let t = self.total_between(start, end);
        if t == 0 {
            0.0
        } else {
            self.bad_between(start, end) as f64 / t as f64
        }
    }

    /// Error ratio of the whole series.
    pub fn error_ratio(&self) -> f64 {
        self.error_ratio_between(0, self.len())
    }

    /// How many intervals a window spans (rounded to the nearest whole interval).
    ///
    /// # Errors
    /// A zero window, or one shorter than half an interval; `name` is the parameter named.
    pub fn window_intervals(&self, name: &str, window: Duration) -> Result<usize> {
        check_window(name, window)?;
        let k = (window.as_secs_f64() / self.interval.as_secs_f64()).round() as usize;
        if k == 0 {
            return Err(Error::out_of_range(
                name,
                fmt_duration(window),
                format!(
                    "a window must span at least one interval ({})",
                    fmt_duration(self.interval)
                ),
            ));
        }
        Ok(k)
    }

    /// The error ratio over the trailing `window` at the end of every interval (at the start
    /// of the series the window holds what there is so far).
    pub fn error_ratio_over(&self, window: Duration) -> Result<Vec<f64>> {
        let k = self.window_intervals("window", window)?;
        Ok((0..self.len())
            .map(|i| self.error_ratio_between((i + 1).saturating_sub(k), i + 1))
            .collect())
    }

    /// The burn rate over the trailing `window` at the end of every interval, against `slo`.
    ///
    /// # Errors
    /// A zero window or one longer than the SLO window.
    pub fn burn_rate_over(&self, window: Duration, slo: &Slo) -> Result<Vec<f64>> {
        check_alert_window(window, slo.window())
            .map_err(|e| rename(e, "alert_window", "window"))?;
        let ratios = self.error_ratio_over(window)?;
        Ok(ratios.into_iter().map(|e| e / slo.allowed_error_ratio()).collect())
    }

    /// The budget allowed over this series: (1 − T) × events, scaled to the SLO window when
    /// the series is shorter or longer than it (events expected in the SLO window are
    /// estimated from the series' average rate).
    pub fn budget_events(&self, slo: &Slo) -> f64 {
        let events = self.total_between(0, self.len()) as f64;
        let scale = slo.window().as_secs_f64() / self.duration().as_secs_f64();
        slo.allowed_error_ratio() * events * scale
    }

    /// Fraction of the error budget still unspent at the end of every interval, counting
    /// from the start of the series: $1 - \text{bad}(0..i] / \text{budget}$, where the budget
    /// is [`SliSeries::budget_events`]. Goes below 0 when the SLO is missed.
    pub fn budget_remaining(&self, slo: &Slo) -> Vec<f64> {
        let budget = self.budget_events(slo);
        self.cum_bad[1..].iter().map(|&b| 1.0 - b as f64 / budget).collect()
    }

    /// Fraction of the budget spent in intervals `start..end`.
    pub fn budget_spent_between(&self, start: usize, end: usize, slo: &Slo) -> f64 {
        self.bad_between(start, end) as f64 / self.budget_events(slo)
    }

    /// Prefix sums of bad events (length n + 1), for the alert evaluator.
    pub(crate) fn cum_bad(&self) -> &[u64] {
        &self.cum_bad
    }

    /// Prefix sums of all events (length n + 1).
    pub(crate) fn cum_total(&self) -> &[u64] {
        &self.cum_total
    }
}

fn parse_error(source_name: &str, line: usize, message: String) -> Error {
    Error::Parse { source_name: source_name.to_string(), line, message }
}

/// The records of a small CSV text: comment (`#`) and blank lines skipped, the first line
/// checked against `header`, every record split on commas into as many fields as the header
/// has. Returns (1-based line number, fields).
fn csv_records<'a>(
    text: &'a str,
    source_name: &str,
    header: &str,
) -> Result<Vec<(usize, Vec<&'a str>)>> {
    let width = header.split(',').count();
    let mut out = Vec::new();
    let mut header_seen = false;
    for (k, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if !header_seen {
            if line != header {
                let msg = format!("expected the header `{header}`, found `{line}`");
                return Err(parse_error(source_name, k + 1, msg));
            }
            header_seen = true;
            continue;
        }
        let fields: Vec<&str> = line.split(',').collect();
        if fields.len() != width {
            let msg = format!("expected {width} fields, found {}", fields.len());
            return Err(parse_error(source_name, k + 1, msg));
        }
        out.push((k + 1, fields));
    }
    Ok(out)
}

/// A file's text and its name for messages.
fn read_text(path: &Path) -> Result<(String, String)> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Io { path: name.clone(), message: e.to_string() })?;
    Ok((text, name))
}

/// Renames the parameter of an out-of-range error (`alert_window` → `window`).
pub(crate) fn rename(e: Error, from: &str, to: &str) -> Error {
    match e {
        Error::OutOfRange { name, value, allowed } if name == from => {
            Error::OutOfRange { name: to.to_string(), value, allowed }
        }
        other => other,
    }
}

// ---------------------------------------------------------------------------------------------
// Labelled incidents

/// A labelled incident: intervals `start..end` (end exclusive) of a series, with a name and
/// the kind of failure ("outage", "slow burn", "flapping").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Incident {
    /// Short identifier ("A").
    pub id: String,
    /// The shape of the failure.
    pub kind: String,
    /// First interval affected.
    pub start: usize,
    /// One past the last interval affected.
    pub end: usize,
    /// One-line description.
    pub description: String,
}

impl Incident {
    /// Parses `data/sli_incidents.csv`: header `id,kind,start_minute,end_minute,description`
    /// (the description may contain no commas). Lines starting with `#` are comments.
    pub fn parse_csv(text: &str, source_name: &str) -> Result<Vec<Incident>> {
        let mut out = Vec::new();
        let header = "id,kind,start_minute,end_minute,description";
        for (line, f) in csv_records(text, source_name, header)? {
            let err = |message: String| parse_error(source_name, line, message);
            let num = |s: &str| {
                s.trim().parse::<usize>().map_err(|_| err(format!("`{s}` is not a minute")))
            };
            let (start, end) = (num(f[2])?, num(f[3])?);
            if end <= start {
                return Err(err(format!("end_minute {end} must be after start_minute {start}")));
            }
            out.push(Incident {
                id: f[0].to_string(),
                kind: f[1].to_string(),
                start,
                end,
                description: f[4].to_string(),
            });
        }
        Ok(out)
    }

    /// Reads [`Incident::parse_csv`]'s format from a file.
    pub fn from_csv(path: impl AsRef<Path>) -> Result<Vec<Incident>> {
        let (text, name) = read_text(path.as_ref())?;
        Incident::parse_csv(&text, &name)
    }

    /// Incidents as CSV, the inverse of [`Incident::parse_csv`].
    pub fn to_csv(incidents: &[Incident]) -> String {
        let mut out = String::from("id,kind,start_minute,end_minute,description\n");
        for i in incidents {
            out.push_str(&format!("{},{},{},{},{}\n", i.id, i.kind, i.start, i.end, i.description));
        }
        out
    }
}

#[cfg(test)]
mod tests;
