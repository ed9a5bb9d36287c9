//! Views of the partition module's plain results: imbalance vs virtual nodes (simulated against
//! the Beta closed form), keys moved per scheme, node loads before and after splitting, and
//! tables of rings, movements and range tables. They live in the plot layer, so `partition`
//! never depends on plotting.

use crate::error::Result;
use crate::partition::{
    Imbalance, ImbalanceSweep, KeyLoad, Movement, MovementSweep, RangeTable, SplitReport,
};
use crate::plot::{Figure, LineChart};
use crate::table::{fmt_sig, Table};

impl ImbalanceSweep {
    /// Load imbalance (largest share / mean share) vs tokens per node, log x: the median over
    /// the simulated rings against the closed form's median (the Gamma approximation of the
    /// largest share, [`crate::partition::RingShare::max_quantile`]).
    pub fn max_chart(&self) -> Result<Figure> {
        let sim: Vec<(f64, f64)> =
            self.points.iter().map(|p| (p.vnodes as f64, p.median_max_over_mean)).collect();
        let mut closed = Vec::with_capacity(self.points.len());
        for p in &self.points {
            closed.push((p.vnodes as f64, p.nodes as f64 * p.closed_form.max_quantile(0.5)?));
        }
        LineChart::new(format!(
            "Load imbalance of a ring, {} nodes: simulated ({} rings per point) vs closed form",
            self.nodes, self.rings
        ))
        .x_label("tokens (virtual nodes) per node k, log scale")
        .y_label("busiest node's share / mean share (median)")
        .log_x()
        .markers(true)
        .series("simulated (median)", sim)
        .series("closed form (Gamma)", closed)
        .hline(1.0, "perfect balance")
        .render()
    }

    /// The coefficient of variation of one node's share vs tokens per node, log–log: simulated
    /// against the Beta law's √((n − 1)/(nk + 1)), with ±2 standard errors of the estimate.
    pub fn cv_chart(&self) -> Result<Figure> {
        let sim: Vec<(f64, f64)> = self.points.iter().map(|p| (p.vnodes as f64, p.cv())).collect();
        let beta: Vec<(f64, f64)> =
            self.points.iter().map(|p| (p.vnodes as f64, p.closed_form.cv())).collect();
        // CV = n √var, so d CV = n · d var / (2 √var)
        let band = |sign: f64| -> Vec<(f64, f64)> {
            self.points
                .iter()
                .map(|p| {
                    let d = p.nodes as f64 * p.share_variance_se / (2.0 * p.share_variance.sqrt());
                    (p.vnodes as f64, (p.cv() + sign * 2.0 * d).max(1e-6))
                })
                .collect()
        };
        LineChart::new(format!(
            "Spread of a node's share, {} nodes: simulated vs Beta(k, (n − 1)k)",
            self.nodes
        ))
        .x_label("tokens (virtual nodes) per node k, log scale")
        .y_label("coefficient of variation of a share, log scale")
        .log_x()
        .log_y()
        .markers(true)
        .series("simulated", sim)
        .series("Beta closed form", beta)
        .series("simulated − 2 SE", band(-1.0))
        .series("simulated + 2 SE", band(1.0))
        .render()
    }

    /// One row per k: simulated and closed-form CV, median and mean imbalance.
    pub fn table(&self) -> Table {
        let mut t = Table::new([
            "tokens per node k",
            "CV simulated",
            "CV Beta",
            "max/mean simulated (median)",
            "max/mean closed form (median)",
            "max/mean simulated (mean)",
        ])
        .caption(format!("{} nodes, {} simulated rings per row", self.nodes, self.rings));
        for p in &self.points {
            let closed = p.closed_form.max_quantile(0.5).map(|m| m * p.nodes as f64);
            t = t.row([
                p.vnodes.to_string(),
                fmt_sig(p.cv(), 3),
                fmt_sig(p.closed_form.cv(), 3),
                fmt_sig(p.median_max_over_mean, 3),
                closed.map_or("–".into(), |c| fmt_sig(c, 3)),
                fmt_sig(p.mean_max_over_mean, 3),
            ]);
        }
        t
    }
}

impl MovementSweep {
    /// Fraction of keys moved vs cluster size, one series per scheme, with the two closed forms
    /// for a join: n/(n + 1) (mod N) and 1/(n + 1) (the minimum).
    pub fn chart(&self) -> Result<Figure> {
        let mut chart = LineChart::new(format!("Keys moved when {}", self.change))
            .x_label("nodes before the change n")
            .integer_x()
            .y_label(format!("fraction of {} keys that change node", self.keys))
            .markers(true);
        for (scheme, ms) in &self.series {
            chart = chart.series(
                scheme.to_string(),
                ms.iter().map(|m| (m.nodes_before as f64, m.moved_fraction())).collect::<Vec<_>>(),
            );
        }
        if let Some((_, ms)) = self.series.first() {
            let mut worst = Vec::with_capacity(ms.len());
            let mut best = Vec::with_capacity(ms.len());
            for m in ms {
                let (a, b) = (m.nodes_before as f64, m.nodes_after as f64);
                let mod_n = crate::partition::Scheme::ModN
                    .expected_moved(m.nodes_before, m.change)
                    .ok()
                    .flatten()
                    .unwrap_or(f64::NAN);
                worst.push((a, mod_n));
                best.push((a, (a - b).abs() / a.max(b)));
            }
            if worst.iter().all(|p| p.1.is_finite()) {
                chart = chart.series("closed form, mod N", worst);
            }
            chart = chart.series("minimum |a−b|/max(a, b)", best);
        }
        chart.render()
    }
}

impl Movement {
    /// One row per movement: scheme, change, moved and needless fractions against the closed
    /// form, and how many nodes received the moved keys.
    pub fn table(movements: &[Movement]) -> Table {
        let mut t = Table::new([
            "scheme",
            "change",
            "keys moved",
            "closed form",
            "needless moves",
            "nodes receiving",
        ]);
        for m in movements {
            t = t.row([
                m.scheme.to_string(),
                format!("{} ({} → {} nodes)", m.change, m.nodes_before, m.nodes_after),
                format!("{:.1}%", 100.0 * m.moved_fraction()),
                m.expected_fraction().map_or("–".into(), |e| format!("{:.1}%", 100.0 * e)),
                format!("{:.1}%", 100.0 * m.needless_fraction()),
                m.receivers().to_string(),
            ]);
        }
        t
    }
}

impl SplitReport {
    /// Every node's share of the requests before and after splitting and moving, with the mean
    /// and the hottest key's share (no placement can go below either).
    pub fn chart(&self, title: &str) -> Result<Figure> {
        let pct = |v: &[f64]| -> Vec<(f64, f64)> {
            v.iter().enumerate().map(|(i, &l)| (i as f64, 100.0 * l)).collect()
        };
        let n = self.before.len();
        let mut chart = LineChart::new(title)
            .x_label("node")
            .y_label("share of all requests (%)")
            .markers(true)
            .series("before splitting", pct(&self.before))
            .series("after splitting", pct(&self.after))
            .hline(100.0 / n as f64, "mean (perfect balance)");
        if let Some(&(key, w)) = self.hot_keys.first() {
            chart = chart.hline(100.0 * w, format!("hottest key {key} alone"));
        }
        chart.render()
    }

    /// Before and after in numbers: max/mean, CV, ranges, splits, moves, hot keys.
    pub fn table(&self) -> Result<Table> {
        let (b, a) = (Imbalance::of(&self.before)?, Imbalance::of(&self.after)?);
        let hot: Vec<String> =
            self.hot_keys.iter().map(|(k, w)| format!("key {k} ({:.1}%)", 100.0 * w)).collect();
        Ok(Table::new(["", "busiest node", "max/mean", "CV", "ranges"])
            .caption(format!(
                "Split above {:.1}% of the load: {} splits, {} moves; hot keys: {}",
                100.0 * self.max_range_load,
                self.splits.len(),
                self.moves.len(),
                if hot.is_empty() { "none".into() } else { hot.join(", ") }
            ))
            .row([
                "before".to_string(),
                format!("{:.1}%", 100.0 * b.max),
                fmt_sig(b.max_over_mean, 3),
                fmt_sig(b.cv, 3),
                String::from("–"),
            ])
            .row([
                "after".to_string(),
                format!("{:.1}%", 100.0 * a.max),
                fmt_sig(a.max_over_mean, 3),
                fmt_sig(a.cv, 3),
                self.table.range_count().to_string(),
            ]))
    }
}

impl RangeTable {
    /// The ranges (at most `max_rows`) with their node and share of `load`.
    pub fn load_table(&self, load: &KeyLoad, max_rows: usize) -> Table {
        let loads = self.range_loads(load);
        let mut t = Table::new(["range", "keys", "node", "share of requests"]);
        let ranges = self.ranges();
        for (r, l) in ranges.iter().zip(&loads).take(max_rows) {
            t = t.row([
                format!("{r}").split(" on").next().unwrap_or("").to_string(),
                r.end.map_or("…".into(), |e| (e - r.start).to_string()),
                format!("n{}", r.node),
                format!("{:.2}%", 100.0 * l),
            ]);
        }
        if ranges.len() > max_rows {
            t = t.caption(format!("first {max_rows} of {} ranges", ranges.len()));
        }
        t
    }
}
