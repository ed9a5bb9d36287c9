//! Views of the mapreduce module's plain results: the task timeline (workers × time, map vs
//! reduce vs backup vs lost), ours against the paper's sort (Figure 3), and job time vs the
//! number of workers killed. They live in the plot layer, so `mapreduce` never depends on
//! plotting.

use crate::error::Result;
use crate::mapreduce::{paper, JobRun, PaperComparison, TaskKind, TaskOutcome};
use crate::plot::{Bar, BarChart, BarStyle, Figure, LineChart, Timeline};
use crate::table::{fmt_sig, Table};

impl JobRun {
    /// The task timeline: one lane per worker (stragglers marked), one bar per task attempt:
    /// maps blue, reduces orange, backups purple, attempts lost with their worker red,
    /// duplicates grey. Time in ms.
    pub fn timeline(&self, title: &str) -> Result<Figure> {
        let lanes: Vec<String> = (0..self.workers)
            .map(|w| {
                if self.slow_workers.contains(&w) {
                    format!("w{w} (slow)")
                } else {
                    format!("w{w}")
                }
            })
            .collect();
        let bars = self.tasks.iter().take(Timeline::MAX_BARS).map(|e| {
            let style = match (e.outcome, e.backup, e.kind) {
                (TaskOutcome::Lost, _, _) => BarStyle::Culprit,
                (TaskOutcome::Duplicate, _, _) | (TaskOutcome::Running, _, _) => BarStyle::Fail,
                (_, true, _) => BarStyle::Info,
                (_, false, TaskKind::Map) => BarStyle::Ok,
                (_, false, TaskKind::Reduce) => BarStyle::Involved,
            };
            let name = match e.kind {
                TaskKind::Map => format!("m{}", e.task),
                TaskKind::Reduce => format!("r{}", e.task),
            };
            Bar {
                lane: e.worker,
                start: e.start_ms,
                end: Some(e.end_ms.unwrap_or(self.job_ms)),
                label: if e.backup { format!("{name}′") } else { name },
                style,
            }
        });
        Timeline::new(title)
            .x_label("virtual time (ms)")
            .lanes(lanes)
            .bars(bars)
            .key_label(BarStyle::Ok, "map task")
            .key_label(BarStyle::Involved, "reduce task")
            .key_label(BarStyle::Info, "backup copy (first to finish)")
            .key_label(BarStyle::Fail, "duplicate or cut short (ignored)")
            .key_label(BarStyle::Culprit, "lost with its worker")
            .render()
    }
}

impl PaperComparison {
    /// Bars: the paper's seconds and ours for each scenario.
    pub fn chart(&self) -> Result<Figure> {
        let mut bars = Vec::new();
        for (name, paper_s, ours, _) in &self.rows {
            bars.push((format!("{name}: paper"), *paper_s));
            bars.push((format!("{name}: model"), *ours));
        }
        BarChart::new(format!(
            "Sort of 1 TB, {} workers, M = {}, R = {}: Dean & Ghemawat (2004) Fig. 3 vs our model",
            paper::WORKERS,
            paper::M,
            paper::R
        ))
        .value_label("job time (s)")
        .bars(bars)
        .horizontal()
        .render()
    }

    /// The numbers: seconds, ratio to normal, extra attempts.
    pub fn table(&self) -> Table {
        let mut t = Table::new([
            "scenario",
            "paper (s)",
            "paper / normal",
            "model (s)",
            "model / normal",
            "model extra attempts",
        ])
        .caption("Dean & Ghemawat, OSDI 2004, §5.3, Figure 3, against the sizes-only model");
        for (i, (name, p, ours, extra)) in self.rows.iter().enumerate() {
            t = t.row([
                name.clone(),
                format!("{p:.0}"),
                format!("{:.2}", self.paper_ratio(i)),
                format!("{ours:.0}"),
                format!("{:.2}", self.ratio(i)),
                format!("{}%", fmt_sig(100.0 * extra, 2)),
            ]);
        }
        t
    }
}

/// Job time vs workers killed (points from [`crate::mapreduce::sort_time_vs_kills`]), with
/// the paper's two points (0 → 891 s, 200 → 933 s).
pub fn kills_chart(points: &[(usize, f64)]) -> Result<Figure> {
    let ours: Vec<(f64, f64)> = points.iter().map(|&(k, s)| (k as f64, s)).collect();
    LineChart::new("Job time vs workers killed at 150 s (restarted 10 s later), paper-scale sort")
        .x_label("workers killed (of 1 746)")
        .y_label("job time (s)")
        .markers(true)
        .series("model", ours)
        .series(
            "paper (Fig. 3a, 3c)",
            vec![(0.0, paper::NORMAL_S), (paper::KILLED as f64, paper::KILLED_S)],
        )
        .render()
}
