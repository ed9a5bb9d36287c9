//! Alert policies evaluated over an SLI series, and how good they are against labelled
//! incidents.
//!
//! A policy is a list of [`AlertRule`]s. A rule has a severity, a long window, an optional
//! short window and a burn-rate threshold $b^*$; at the end of every interval it **fires**
//! when the burn rate over the long window exceeds $b^*$ *and* (if there is one) the burn rate
//! over the short window does too. The three policies of the Site Reliability Workbook,
//! ch. 5 are all of this form:
//!
//! * **threshold** ([`AlertPolicy::threshold`]): one rule, burn rate > 1 over a short window
//!   (10 min): the error ratio is above what the SLO allows;
//! * **single-window burn rate** ([`AlertPolicy::single_window`]): one rule, e.g. > 14.4 over
//!   1 h (2 % of a 30-day budget);
//! * **multiwindow, multi-burn-rate** ([`AlertPolicy::workbook_multiwindow`]): three rules,
//!   each with a short window 1/12 of its long one.
//!
//! An [`Alert`] is a maximal run of intervals during which some rule of one severity fires.
//! Against labelled incidents, [`Evaluation::metrics`] measures
//!
//! * **detection time**: from the incident's start to the first alert active during it;
//! * **reset time**: from the incident's end to the end of the last alert active during it;
//! * **precision**: the fraction of alerts active during some incident;
//! * **recall**: the fraction of incidents during which some alert was active.

use std::fmt;
use std::time::Duration;

use super::{
    check_alert_window, check_window, fmt_duration, rename, Incident, SliSeries, Slo, HOUR,
};
use crate::error::{Error, Result};
use crate::numfmt::fmt_sig;

/// How urgent an alert is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Wake someone up now.
    Page,
    /// Someone should look at it within a working day.
    Ticket,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Page => "page",
            Severity::Ticket => "ticket",
        })
    }
}

/// One alerting condition: burn rate over `long_window` > `burn_rate`, and over
/// `short_window` too when there is one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AlertRule {
    /// What kind of alert it raises.
    pub severity: Severity,
    /// The window the burn rate is measured over: long enough that the alert means real
    /// budget was spent.
    pub long_window: Duration,
    /// A second, shorter window that must also be burning: it makes the alert stop soon after
    /// the errors stop (the workbook uses 1/12 of the long window).
    pub short_window: Option<Duration>,
    /// The burn-rate threshold b*.
    pub burn_rate: f64,
}

impl AlertRule {
    /// A rule; `burn_rate` must be positive, windows positive, the short window no longer
    /// than the long one.
    pub fn new(
        severity: Severity,
        long_window: Duration,
        short_window: Option<Duration>,
        burn_rate: f64,
    ) -> Result<AlertRule> {
        check_window("long_window", long_window)?;
        if let Some(s) = short_window {
            check_window("short_window", s)?;
            if s > long_window {
                return Err(Error::out_of_range(
                    "short_window",
                    fmt_duration(s),
                    format!("must not be longer than long_window = {}", fmt_duration(long_window)),
                ));
            }
        }
        crate::error::validate::positive("burn_rate", burn_rate)?;
        Ok(AlertRule { severity, long_window, short_window, burn_rate })
    }

    /// The rule that fires when `budget_fraction` of `slo`'s budget has been spent within
    /// `long_window` (burn rate f W / w), with a short window of 1/12 the long one.
    pub fn from_budget(
        severity: Severity,
        budget_fraction: f64,
        long_window: Duration,
        slo: &Slo,
    ) -> Result<AlertRule> {
        let b = super::checked_burn_rate_threshold(budget_fraction, long_window, slo.window())
            .map_err(|e| rename(e, "alert_window", "long_window"))?;
        AlertRule::new(severity, long_window, Some(long_window / 12), b)
    }

    /// Fraction of the budget this rule lets burn in its long window before it fires.
    pub fn budget_fraction(&self, slo: &Slo) -> f64 {
        self.burn_rate * self.long_window.as_secs_f64() / slo.window().as_secs_f64()
    }

    fn check_against(&self, slo: &Slo, series: &SliSeries) -> Result<(usize, Option<usize>)> {
        check_alert_window(self.long_window, slo.window())
            .map_err(|e| rename(e, "alert_window", "long_window"))?;
        let long = series.window_intervals("long_window", self.long_window)?;
        let short = match self.short_window {
            Some(s) => {
                check_alert_window(s, slo.window())
                    .map_err(|e| rename(e, "alert_window", "short_window"))?;
                Some(series.window_intervals("short_window", s)?)
            }
            None => None,
        };
        Ok((long, short))
    }
}

impl fmt::Display for AlertRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: burn rate > {} over {}",
            self.severity,
            fmt_sig(self.burn_rate, 3),
            fmt_duration(self.long_window)
        )?;
        if let Some(s) = self.short_window {
            write!(f, " and over {}", fmt_duration(s))?;
        }
        Ok(())
    }
}

/// A named set of alert rules; a severity's alert is active while any of its rules fires.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertPolicy {
    /// The name shown in tables and legends.
    pub name: String,
    /// The rules.
    pub rules: Vec<AlertRule>,
}

impl AlertPolicy {
    /// A policy from rules (at least one).
    pub fn new(name: impl Into<String>, rules: Vec<AlertRule>) -> Result<AlertPolicy> {
        if rules.is_empty() {
            return Err(Error::empty("the policy's rules", "give at least one AlertRule"));
        }
        Ok(AlertPolicy { name: name.into(), rules })
    }

    /// Page when the error ratio over `window` exceeds what the SLO allows (burn rate > 1);
    /// the workbook's first approach uses a 10-minute window.
    pub fn threshold(window: Duration) -> Result<AlertPolicy> {
        let rule = AlertRule::new(Severity::Page, window, None, 1.0)?;
        AlertPolicy::new(format!("threshold ({} > SLO)", fmt_duration(window)), vec![rule])
    }

    /// Page when the burn rate over one `window` exceeds `burn_rate`.
    pub fn single_window(window: Duration, burn_rate: f64) -> Result<AlertPolicy> {
        let rule = AlertRule::new(Severity::Page, window, None, burn_rate)?;
        AlertPolicy::new(
            format!("burn rate {} over {}", fmt_sig(burn_rate, 3), fmt_duration(window)),
            vec![rule],
        )
    }

    /// The Site Reliability Workbook's recommended policy (ch. 5, "Multiwindow, Multi-Burn-Rate
    /// Alerts"): page on 2 % of the budget in 1 h or 5 % in 6 h, ticket on 10 % in 3 days, each
    /// long window paired with a short window 1/12 as long. The burn rates follow from `slo`'s
    /// window: 14.4, 6 and 1 for 30 days.
    pub fn workbook_multiwindow(slo: &Slo) -> Result<AlertPolicy> {
        AlertPolicy::new(
            "multiwindow, multi-burn-rate",
            vec![
                AlertRule::from_budget(Severity::Page, 0.02, HOUR, slo)?,
                AlertRule::from_budget(Severity::Page, 0.05, 6 * HOUR, slo)?,
                AlertRule::from_budget(Severity::Ticket, 0.10, 72 * HOUR, slo)?,
            ],
        )
    }

    /// The same three burn rates without the short windows (the workbook's "multiple burn
    /// rates" step before adding them): shows what the short windows buy in reset time.
    pub fn workbook_multi_burn_rate(slo: &Slo) -> Result<AlertPolicy> {
        let mut p = AlertPolicy::workbook_multiwindow(slo)?;
        for r in &mut p.rules {
            r.short_window = None;
        }
        p.name = "multi-burn-rate, long windows only".into();
        Ok(p)
    }

    /// Evaluates the policy at the end of every interval of `series`.
    ///
    /// # Errors
    /// A window longer than the SLO window (`long_window`, `short_window`), or shorter than
    /// one interval of the series.
    pub fn evaluate(&self, series: &SliSeries, slo: &Slo) -> Result<Evaluation> {
        let n = series.len();
        let allowed = slo.allowed_error_ratio();
        let cb = series.cum_bad();
        let ct = series.cum_total();
        // firing[s][i]: some rule of severity s fires at the end of interval i
        let mut firing = [vec![false; n], vec![false; n]];
        for rule in &self.rules {
            let (long, short) = rule.check_against(slo, series)?;
            let limit = rule.burn_rate * allowed;
            let out = &mut firing[sev_index(rule.severity)];
            let burning = |i: usize, k: usize| -> bool {
                let lo = (i + 1).saturating_sub(k);
                let bad = cb[i + 1] - cb[lo];
                let total = ct[i + 1] - ct[lo];
                total > 0 && bad as f64 > limit * total as f64
            };
            match short {
                Some(s) => {
                    for (i, f) in out.iter_mut().enumerate() {
                        if !*f && burning(i, long) && burning(i, s) {
                            *f = true;
                        }
                    }
                }
                None => {
                    for (i, f) in out.iter_mut().enumerate() {
                        if !*f && burning(i, long) {
                            *f = true;
                        }
                    }
                }
            }
        }
        let mut alerts = Vec::new();
        for (sev, f) in [(Severity::Page, &firing[0]), (Severity::Ticket, &firing[1])] {
            let mut i = 0;
            while i < n {
                if f[i] {
                    let start = i;
                    while i < n && f[i] {
                        i += 1;
                    }
                    alerts.push(Alert { severity: sev, start, end: i });
                } else {
                    i += 1;
                }
            }
        }
        alerts.sort_by_key(|a| (a.start, a.severity));
        Ok(Evaluation { policy: self.name.clone(), interval: series.interval(), len: n, alerts })
    }
}

fn sev_index(s: Severity) -> usize {
    match s {
        Severity::Page => 0,
        Severity::Ticket => 1,
    }
}

/// An alert: some rule of `severity` fired at the end of every interval `start..end`.
///
/// In time, with Δ the series interval, the alert is raised at `(start + 1) Δ` (the end of
/// the first firing interval) and cleared at `(end + 1) Δ` (the first evaluation that no
/// longer fires).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Alert {
    /// Page or ticket.
    pub severity: Severity,
    /// First firing interval.
    pub start: usize,
    /// One past the last firing interval.
    pub end: usize,
}

impl Alert {
    /// When the alert was raised, from the start of the series.
    pub fn raised_at(&self, interval: Duration) -> Duration {
        interval * (self.start as u32 + 1)
    }

    /// When it cleared, from the start of the series.
    pub fn cleared_at(&self, interval: Duration) -> Duration {
        interval * (self.end as u32 + 1)
    }

    /// Whether the alert was active at some time during `incident`.
    pub fn overlaps(&self, incident: &Incident) -> bool {
        self.start + 1 < incident.end && self.end + 1 > incident.start
    }
}

/// The alerts a policy raised over a series.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// The policy's name.
    pub policy: String,
    /// The series' interval.
    pub interval: Duration,
    /// Number of intervals evaluated.
    pub len: usize,
    /// Every alert, in order of start.
    pub alerts: Vec<Alert>,
}

impl Evaluation {
    /// The alerts of one severity.
    pub fn alerts_of(&self, severity: Severity) -> impl Iterator<Item = &Alert> {
        self.alerts.iter().filter(move |a| a.severity == severity)
    }

    /// The same evaluation keeping only the alerts of one severity (e.g. to measure how soon
    /// pages stop, ignoring tickets).
    pub fn only(&self, severity: Severity) -> Evaluation {
        Evaluation {
            policy: format!("{} ({severity}s only)", self.policy),
            interval: self.interval,
            len: self.len,
            alerts: self.alerts_of(severity).copied().collect(),
        }
    }

    /// Alert intervals of one severity as `(raised, cleared)` in days from the start: what a
    /// burn-down plot marks ([`SliSeries::burn_down_chart`]).
    pub fn spans_days(&self, severity: Severity) -> Vec<(f64, f64)> {
        let d = 86_400.0;
        self.alerts_of(severity)
            .map(|a| {
                (
                    a.raised_at(self.interval).as_secs_f64() / d,
                    a.cleared_at(self.interval).as_secs_f64() / d,
                )
            })
            .collect()
    }

    /// Total time some alert of `severity` was active.
    pub fn time_firing(&self, severity: Severity) -> Duration {
        self.interval * self.alerts_of(severity).map(|a| (a.end - a.start) as u32).sum::<u32>()
    }

    /// Detection time, reset time, precision and recall against labelled incidents.
    pub fn metrics(&self, incidents: &[Incident]) -> PolicyMetrics {
        let dt = self.interval;
        let at = |k: usize| dt * k as u32;
        let mut outcomes = Vec::new();
        for inc in incidents {
            let hits: Vec<&Alert> = self.alerts.iter().filter(|a| a.overlaps(inc)).collect();
            let detection =
                hits.iter().map(|a| a.raised_at(dt).saturating_sub(at(inc.start))).min();
            let reset = hits.iter().map(|a| a.cleared_at(dt).saturating_sub(at(inc.end))).max();
            let page_reset = hits
                .iter()
                .filter(|a| a.severity == Severity::Page)
                .map(|a| a.cleared_at(dt).saturating_sub(at(inc.end)))
                .max();
            let first_severity = hits.iter().min_by_key(|a| a.start).map(|a| a.severity);
            outcomes.push(IncidentOutcome {
                incident: inc.id.clone(),
                kind: inc.kind.clone(),
                detection,
                reset,
                page_reset,
                alerts: hits.len(),
                first_severity,
            });
        }
        let true_alerts =
            self.alerts.iter().filter(|a| incidents.iter().any(|i| a.overlaps(i))).count();
        let precision =
            (!self.alerts.is_empty()).then(|| true_alerts as f64 / self.alerts.len() as f64);
        let detected = outcomes.iter().filter(|o| o.detection.is_some()).count();
        let recall =
            if incidents.is_empty() { 1.0 } else { detected as f64 / incidents.len() as f64 };
        PolicyMetrics {
            policy: self.policy.clone(),
            pages: self.alerts_of(Severity::Page).count(),
            tickets: self.alerts_of(Severity::Ticket).count(),
            false_alerts: self.alerts.len() - true_alerts,
            precision,
            recall,
            incidents: outcomes,
        }
    }
}

/// What one policy did about one incident.
#[derive(Clone, Debug, PartialEq)]
pub struct IncidentOutcome {
    /// The incident's id.
    pub incident: String,
    /// The incident's kind.
    pub kind: String,
    /// From the incident's start to the first alert active during it (`None`: missed).
    pub detection: Option<Duration>,
    /// From the incident's end to the end of the last alert active during it.
    pub reset: Option<Duration>,
    /// The same, counting pages only (tickets may rightly stay open longer).
    pub page_reset: Option<Duration>,
    /// How many alerts were active during it (a flapping alert counts many times).
    pub alerts: usize,
    /// Severity of the first of them.
    pub first_severity: Option<Severity>,
}

/// How good a policy is against the labelled incidents.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyMetrics {
    /// The policy's name.
    pub policy: String,
    /// Number of page alerts.
    pub pages: usize,
    /// Number of ticket alerts.
    pub tickets: usize,
    /// Alerts active during no incident.
    pub false_alerts: usize,
    /// Fraction of alerts active during some incident (`None` when there were no alerts).
    pub precision: Option<f64>,
    /// Fraction of incidents during which some alert was active.
    pub recall: f64,
    /// Per incident, in the order given.
    pub incidents: Vec<IncidentOutcome>,
}
