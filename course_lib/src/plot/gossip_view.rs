//! Views of the gossip module's plain results: push rounds vs N against Pittel's
//! log₂ N + ln N, rumor-mongering residue and traffic vs k against Demers' closed form,
//! anti-entropy residue per round (push vs pull vs push-pull), SWIM's false deaths and
//! detection time vs loss and suspicion timeout, the gossiped counter's estimates over time.
//! They live in the plot layer, so `gossip` never depends on plotting.

use crate::error::{Error, Result};
use crate::gossip::counter::CounterRun;
use crate::gossip::swim::SwimStats;
use crate::gossip::{AntiEntropyRun, ResidueVsK, RoundsVsN, RumorRule, DEMERS_TABLE_1};
use crate::plot::{Figure, LineChart};
use crate::table::Table;

impl RoundsVsN {
    /// Mean rounds (markers) and log₂ N + ln N (line) against N, log x axis.
    pub fn chart(&self) -> Result<Figure> {
        LineChart::new(format!(
            "Push gossip: rounds until all N know ({} seeds) vs Pittel",
            self.seeds
        ))
        .x_label("N (nodes, log scale)")
        .y_label("rounds")
        .log_x()
        .markers(true)
        .series("simulated", self.rows.iter().map(|r| (r.0 as f64, r.1)))
        .series("log₂ N + ln N", self.rows.iter().map(|r| (r.0 as f64, r.3)))
        .render()
    }

    /// The numbers.
    pub fn table(&self) -> Table {
        let mut t = Table::new(["N", "mean rounds", "sd", "log₂ N + ln N", "difference"])
            .caption(format!("push gossip, {} seeds per N", self.seeds));
        for &(n, m, sd, p) in &self.rows {
            t = t.row([
                n.to_string(),
                format!("{m:.2}"),
                format!("{sd:.2}"),
                format!("{p:.2}"),
                format!("{:+.2}", m - p),
            ]);
        }
        t
    }
}

impl ResidueVsK {
    /// Residue vs k (log y): the simulation, the coin closed form and, for the counter rule,
    /// Demers' Table 1.
    pub fn chart(&self) -> Result<Figure> {
        let mut c = LineChart::new(format!(
            "Rumor mongering ({:?}), N = {}: residue vs k ({} seeds)",
            self.rule, self.n, self.seeds
        ))
        .x_label("k")
        .y_label("residue s (fraction never informed, log scale)")
        .log_y()
        .integer_x()
        .markers(true)
        .series("simulated", self.rows.iter().map(|r| (f64::from(r.0), r.1.max(1e-6))))
        .series("coin formula", self.rows.iter().map(|r| (f64::from(r.0), r.4)));
        if self.rule == RumorRule::Counter {
            c = c.series(
                "Demers Table 1",
                DEMERS_TABLE_1.iter().map(|&(k, s, _)| (f64::from(k), s)),
            );
        }
        c.render()
    }

    /// Residue against traffic m, with s = e^{−m}.
    pub fn traffic_chart(&self) -> Result<Figure> {
        let hi = self.rows.iter().map(|r| r.3).fold(1.0_f64, f64::max) + 0.5;
        let curve: Vec<(f64, f64)> =
            (0..=40).map(|i| 1.0 + (hi - 1.0) * i as f64 / 40.0).map(|m| (m, (-m).exp())).collect();
        LineChart::new(format!(
            "Residue vs traffic, N = {} ({:?}): every message per node buys a factor e",
            self.n, self.rule
        ))
        .x_label("traffic m (messages per node)")
        .y_label("residue s (log scale)")
        .log_y()
        .markers(true)
        .series("simulated, k = 1…5", self.rows.iter().map(|r| (r.3, r.1.max(1e-6))))
        .series("s = e^{−m}", curve)
        .render()
    }

    /// The numbers.
    pub fn table(&self) -> Table {
        let mut t =
            Table::new(["k", "residue s", "± se", "traffic m", "coin formula s", "coin formula m"])
                .caption(format!("{:?} rule, N = {}, {} seeds", self.rule, self.n, self.seeds));
        for r in &self.rows {
            t = t.row([
                r.0.to_string(),
                format!("{:.4}", r.1),
                format!("{:.4}", r.2),
                format!("{:.3}", r.3),
                format!("{:.4}", r.4),
                format!("{:.3}", r.5),
            ]);
        }
        t
    }
}

/// Residue per round for each anti-entropy run (log y; rounds after full convergence are
/// left out, residue 0 has no logarithm).
pub fn anti_entropy_chart(runs: &[AntiEntropyRun]) -> Result<Figure> {
    let Some(first) = runs.first() else {
        return Err(Error::empty("runs", "give at least one anti-entropy run"));
    };
    let mut c = LineChart::new(format!(
        "Anti-entropy, N = {}: fraction without the update after each round",
        first.n
    ))
    .x_label("round")
    .y_label("residue (log scale)")
    .log_y()
    .integer_x()
    .markers(true);
    for r in runs {
        let pts: Vec<(f64, f64)> = r
            .residues
            .iter()
            .enumerate()
            .filter(|(_, &p)| p > 0.0)
            .map(|(i, &p)| (i as f64, p))
            .collect();
        c = c.series(format!("{:?} ({} rounds)", r.exchange, r.rounds), pts);
    }
    c.render()
}

fn suspicion_name(s: Option<f64>) -> String {
    match s {
        None => "no suspicion".to_string(),
        Some(p) => format!("suspicion {p} periods"),
    }
}

type Series = Vec<(f64, f64)>;

fn by_suspicion(stats: &[SwimStats], y: impl Fn(&SwimStats) -> f64) -> Vec<(String, Series)> {
    let mut out: Vec<(Option<f64>, Series)> = Vec::new();
    for s in stats {
        let v = y(s);
        if !v.is_finite() {
            continue;
        }
        match out.iter_mut().find(|(k, _)| *k == s.suspicion_periods) {
            Some((_, pts)) => pts.push((s.loss, v)),
            None => out.push((s.suspicion_periods, vec![(s.loss, v)])),
        }
    }
    out.into_iter().map(|(k, pts)| (suspicion_name(k), pts)).collect()
}

/// SWIM's false deaths (fraction of live members declared dead per run) vs message loss, one
/// line per suspicion setting (from [`crate::gossip::swim::swim_sweep`]).
pub fn swim_false_deaths_chart(stats: &[SwimStats]) -> Result<Figure> {
    let mut c = LineChart::new("SWIM: live members falsely declared dead vs message loss")
        .x_label("message loss probability")
        .y_label("fraction of live members declared dead")
        .markers(true);
    for (name, pts) in by_suspicion(stats, |s| s.false_death_rate) {
        c = c.series(name, pts);
    }
    c.render()
}

/// SWIM's time until a crash is known at every live member, in protocol periods, vs loss.
pub fn swim_detection_chart(stats: &[SwimStats]) -> Result<Figure> {
    let mut c = LineChart::new("SWIM: time until every live member has the crashed member dead")
        .x_label("message loss probability")
        .y_label("protocol periods after the crash")
        .markers(true);
    for (name, pts) in by_suspicion(stats, |s| s.full_detection_periods) {
        c = c.series(name, pts);
    }
    c.render()
}

/// The sweep as a table.
pub fn swim_table(stats: &[SwimStats]) -> Table {
    let mut t = Table::new([
        "suspicion",
        "k",
        "loss",
        "false deaths",
        "detected everywhere after (periods)",
        "never detected",
        "messages / member / period",
    ]);
    for s in stats {
        t = t.row([
            suspicion_name(s.suspicion_periods),
            s.indirect.to_string(),
            format!("{:.2}", s.loss),
            format!("{:.3}", s.false_death_rate),
            format!("{:.1}", s.full_detection_periods),
            format!("{} of {}", s.undetected, s.seeds),
            format!("{:.2}", s.messages_per_member_period),
        ]);
    }
    t
}

impl CounterRun {
    /// The lowest and highest estimate over time, with the true total.
    pub fn chart(&self, title: &str) -> Result<Figure> {
        LineChart::new(title)
            .x_label("virtual time (ms)")
            .y_label("estimate of the global count")
            .series("lowest estimate", self.spread.iter().map(|&(t, lo, _)| (t, lo as f64)))
            .series("highest estimate", self.spread.iter().map(|&(t, _, hi)| (t, hi as f64)))
            .hline(self.true_total as f64, "true total")
            .render()
    }
}
