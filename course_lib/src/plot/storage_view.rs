//! Views of the storage module's plain results: recovery time against the checkpoint
//! interval, throughput and commit latency against the group-commit batch, a compaction
//! table, and a torn log tail byte by byte.

use crate::error::Result;
use crate::plot::{Figure, LineChart};
use crate::storage::{CommitPoint, CompactionPoint, IntervalPoint, TornExample, RECORD_BYTES};
use crate::table::{fmt_sig, Table};

/// Worst and mean simulated recovery time vs the checkpoint interval (log–log), with the bound
/// `load(snapshot) + C · (scan + apply)` the module claims.
pub fn recovery_time_chart(points: &[IntervalPoint]) -> Result<Figure> {
    let pick = |f: fn(&IntervalPoint) -> f64| -> Vec<(f64, f64)> {
        points.iter().map(|p| (p.interval as f64, f(p))).collect()
    };
    LineChart::new("Recovery time vs checkpoint interval (crash-point sweep)")
        .x_label("checkpoint every C records, log scale")
        .y_label("simulated recovery time, ms, log scale")
        .log_x()
        .log_y()
        .markers(true)
        .series("worst crash point", pick(|p| p.max_recovery_ms))
        .series("mean", pick(|p| p.mean_recovery_ms))
        .series("bound", pick(|p| p.bound_ms))
        .render()
}

/// Share of running time spent writing checkpoints vs the interval: the price of a short
/// recovery.
pub fn checkpoint_cost_chart(points: &[IntervalPoint]) -> Result<Figure> {
    LineChart::new("Time spent checkpointing vs checkpoint interval")
        .x_label("checkpoint every C records, log scale")
        .y_label("share of the store's time writing checkpoints, %")
        .log_x()
        .markers(true)
        .series(
            "checkpoint overhead",
            points
                .iter()
                .map(|p| (p.interval as f64, 100.0 * p.checkpoint_overhead))
                .collect::<Vec<_>>(),
        )
        .render()
}

/// Records per simulated second vs the group-commit batch, one series per named cost model
/// (log–log).
pub fn group_commit_chart(series: &[(&str, &[CommitPoint])]) -> Result<Figure> {
    let mut chart = LineChart::new("Group commit: throughput vs fsync batch")
        .x_label("records per fsync b, log scale")
        .y_label("records per simulated second, log scale")
        .log_x()
        .log_y()
        .markers(true);
    for (name, pts) in series {
        chart = chart.series(
            name.to_string(),
            pts.iter().map(|p| (p.batch as f64, p.records_per_s)).collect::<Vec<_>>(),
        );
    }
    chart.render()
}

/// One row per batch: throughput, fsyncs and the mean wait of a write for its fsync.
pub fn group_commit_table(name: &str, pts: &[CommitPoint]) -> Table {
    let mut t = Table::new(["batch b", "records / s", "fsyncs", "mean commit latency, ms"])
        .caption(format!("group commit, {name}"));
    for p in pts {
        t = t.row([
            p.batch.to_string(),
            fmt_sig(p.records_per_s, 3),
            p.syncs.to_string(),
            fmt_sig(p.mean_commit_latency_ms, 3),
        ]);
    }
    t
}

/// One row per compaction strategy: what it wrote, what it stores, what recovery loads.
pub fn compaction_table(pts: &[CompactionPoint]) -> Table {
    let mut t = Table::new([
        "strategy",
        "checkpoints",
        "checkpoint bytes written",
        "checkpoint bytes stored",
        "files recovery loads",
        "recovery, ms",
    ])
    .caption("compaction strategies over the same skewed write stream");
    for p in pts {
        t = t.row([
            p.compaction.to_string(),
            p.checkpoints.to_string(),
            p.checkpoint_bytes_written.to_string(),
            p.checkpoint_bytes_stored.to_string(),
            p.files_to_load.to_string(),
            fmt_sig(p.recovery_ms, 3),
        ]);
    }
    t
}

impl TornExample {
    /// The log after the crash, field by field: offset, record, field, bytes (hex), and what
    /// the recovery made of it.
    pub fn table(&self) -> Table {
        let log = self.after.log();
        let fields =
            [("len", 0, 4), ("crc32c", 4, 8), ("lsn", 8, 16), ("key", 16, 20), ("value", 20, 28)];
        let stop = self.recovered.stopped_at.map(|d| d.offset);
        let mut t = Table::new(["offset", "record", "field", "bytes (hex)", "verdict"]).caption(
            format!(
                "the log after the crash: {} synced bytes, {} of {} unsynced bytes kept, byte {} garbled",
                self.crash.synced,
                self.crash.kept,
                self.crash.unsynced,
                self.crash.garbled.map_or("none".into(), |g| g.to_string())
            ),
        );
        let mut start = 0;
        while start < log.len() {
            let rec = start / RECORD_BYTES + 1;
            let verdict = match stop {
                Some(s) if start == s => "first bad record: scan stops",
                Some(s) if start > s => "after the stop: ignored",
                _ => "verified, replayed",
            };
            for (name, a, b) in fields {
                let (a, b) = (start + a, (start + b).min(log.len()));
                if a >= log.len() {
                    t = t.row([
                        a.to_string(),
                        format!("#{rec}"),
                        name.to_string(),
                        "(torn: missing)".into(),
                        verdict.into(),
                    ]);
                    continue;
                }
                let hex: Vec<String> = log[a..b].iter().map(|x| format!("{x:02x}")).collect();
                let mut h = hex.join(" ");
                if self.crash.garbled.is_some_and(|g| (a..b).contains(&g)) {
                    h += "  ← garbled";
                }
                if b - a < fields.iter().find(|f| f.0 == name).map_or(0, |f| f.2 - f.1) {
                    h += "  ← torn";
                }
                t = t.row([a.to_string(), format!("#{rec}"), name.to_string(), h, verdict.into()]);
            }
            start += RECORD_BYTES;
        }
        t
    }
}
