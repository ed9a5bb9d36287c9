//! Views of the SLO module's plain results: the error-budget burn-down of an SLI series with
//! its alerts, and the table comparing alert policies. They live in the plot layer, so `slo`
//! never depends on plotting or tables.

use crate::plot::LineChart;
use crate::slo::{fmt_duration, Evaluation, Incident, PolicyMetrics, Severity, SliSeries, Slo};
use crate::table::{fmt_sig, Table};

impl SliSeries {
    /// The error-budget burn-down of this series: budget remaining (%) against days, with the
    /// steady "burn rate 1" line for comparison, `incidents` shaded, and the alerts of
    /// `evaluation` as bars in two lanes under the curve (pages, tickets). Returns the chart so
    /// a cell can restyle it; call `.render()?` to draw it.
    ///
    /// ```
    /// use course_lib::slo::{AlertPolicy, Slo, THIRTY_DAYS};
    /// use course_lib::slo::synth::{generate_month, DATA_SEED};
    /// let month = generate_month(DATA_SEED);
    /// let slo = Slo::new(0.999, THIRTY_DAYS)?;
    /// let ev = AlertPolicy::workbook_multiwindow(&slo)?.evaluate(&month.series, &slo)?;
    /// let fig = month.series.burn_down_chart(&slo, &ev, &month.incidents).render()?;
    /// assert!(fig.svg().contains("page alerts firing"));
    /// # Ok::<(), course_lib::Error>(())
    /// ```
    pub fn burn_down_chart(
        &self,
        slo: &Slo,
        evaluation: &Evaluation,
        incidents: &[Incident],
    ) -> LineChart {
        let day = 86_400.0;
        let dt = self.interval().as_secs_f64();
        let remaining = self.budget_remaining(slo);
        // about one point per hour of the series (at most ~720), plus the last interval
        let step = ((3600.0 / dt).round() as usize).max(1).max(remaining.len() / 720);
        let mut pts: Vec<(f64, f64)> = vec![(0.0, 100.0)];
        let mut i = step - 1;
        while i < remaining.len() {
            pts.push(((i + 1) as f64 * dt / day, 100.0 * remaining[i]));
            i += step;
        }
        let last = remaining.len() - 1;
        if (last + 1) % step != 0 {
            pts.push(((last + 1) as f64 * dt / day, 100.0 * remaining[last]));
        }
        let end_day = self.duration().as_secs_f64() / day;
        let slo_days = slo.window().as_secs_f64() / day;
        let pace_end = end_day.min(slo_days);
        let lowest = pts.iter().map(|p| p.1).fold(0.0f64, f64::min);
        let mut chart = LineChart::new(format!(
            "Error budget of a {} SLO, alerts from: {}",
            slo, evaluation.policy
        ))
        .x_label("time (days)")
        .y_label("error budget remaining (%)")
        .series("budget remaining", pts)
        .series("burn rate 1 pace", [(0.0, 100.0), (pace_end, 100.0 * (1.0 - pace_end / slo_days))])
        // the alert lanes sit under the lowest point of the curve, so they never cover it
        .intervals("page alerts firing", lowest - 6.0, evaluation.spans_days(Severity::Page))
        .intervals("ticket alerts firing", lowest - 13.0, evaluation.spans_days(Severity::Ticket))
        .hline(0.0, "budget exhausted")
        .y_range(lowest - 18.0, 105.0)
        .x_range(0.0, end_day)
        .size(860, 460);
        for inc in incidents {
            chart = chart.band(
                inc.start as f64 * dt / day,
                inc.end as f64 * dt / day,
                format!("{}: {}", inc.id, inc.kind),
            );
        }
        chart
    }
}

impl PolicyMetrics {
    /// A comparison table, one row per policy: alerts, precision, recall and, for each
    /// incident, detection / reset time.
    pub fn table(metrics: &[PolicyMetrics]) -> Table {
        let mut headers: Vec<String> = vec![
            "policy".into(),
            "pages".into(),
            "tickets".into(),
            "false alerts".into(),
            "precision".into(),
            "recall".into(),
        ];
        if let Some(m) = metrics.first() {
            for o in &m.incidents {
                headers.push(format!("{} ({}): detect / reset", o.incident, o.kind));
            }
        }
        let mut t = Table::new(headers);
        for m in metrics {
            let mut row = vec![
                m.policy.clone(),
                m.pages.to_string(),
                m.tickets.to_string(),
                m.false_alerts.to_string(),
                m.precision.map_or("—".into(), |p| fmt_sig(p, 2)),
                fmt_sig(m.recall, 2),
            ];
            for o in &m.incidents {
                row.push(match (o.detection, o.reset, o.page_reset) {
                    (Some(d), Some(r), Some(p)) if p != r => {
                        format!(
                            "{} / {} (pages {})",
                            fmt_duration(d),
                            fmt_duration(r),
                            fmt_duration(p)
                        )
                    }
                    (Some(d), Some(r), _) => format!("{} / {}", fmt_duration(d), fmt_duration(r)),
                    _ => "missed".into(),
                });
            }
            t = t.row(row);
        }
        t.caption("Alert policies against the labelled incidents (detection: incident start → first alert; reset: incident end → last alert cleared)")
    }
}
