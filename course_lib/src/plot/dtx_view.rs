//! Views of the distributed-transaction modules (`txn::twopc`, `txn::saga`, `txn::deadlock`):
//! sequence diagrams of 2PC runs, the blocking sweep, the presumed-abort cost table, the saga
//! dirty-read table and the deadlock detection charts. Built from the modules' plain results;
//! the modules never import the plot layer.

use crate::error::{Error, Result};
use crate::plot::{Figure, LineChart, SequenceDiagram};
use crate::table::{fmt_sig, Table};
use crate::txn::deadlock::{Detection, TimeoutPoint};
use crate::txn::twopc::{self, BlockingPoint, LogCost, TwoPcConfig, MOHAN_1986};

fn twopc_lanes(participants: usize) -> Vec<String> {
    std::iter::once("coordinator n0".to_string())
        .chain((1..=participants).map(|i| format!("participant n{i}")))
        .collect()
}

/// The sequence diagram of one fault-free transaction (invoked at 1 ms), 0–`to_ms`.
pub fn twopc_commit_diagram(cfg: &TwoPcConfig, to_ms: f64) -> Result<SequenceDiagram> {
    let wl = crate::sim::Workload::new(1, 0).write_at(twopc::TXN_AT_MS, 0, 0);
    let report = twopc::experiment(cfg, wl)?.trace(true).run(1)?;
    let title = format!("Two-phase commit ({:?}), one transaction", cfg.variant);
    Ok(report.sim().sequence_diagram(&title, 0.0, to_ms)?.lanes(twopc_lanes(cfg.participants)))
}

/// The sequence diagram of the blocking run: the coordinator crashes after the votes, is down
/// `downtime_ms`, and the participants wait in doubt.
pub fn twopc_blocking_diagram(cfg: &TwoPcConfig, downtime_ms: f64) -> Result<SequenceDiagram> {
    let report = twopc::blocking_experiment(cfg, downtime_ms)?.trace(true).run(1)?;
    let to = twopc::CRASH_AT_MS + downtime_ms + 10.0;
    let title = format!("2PC blocks: coordinator down {downtime_ms} ms after the votes");
    Ok(report.sim().sequence_diagram(&title, 0.0, to)?.lanes(twopc_lanes(cfg.participants)))
}

/// In-doubt time and lock-held time vs the coordinator's downtime, with the line y = x.
pub fn twopc_blocking_chart(points: &[BlockingPoint]) -> Result<Figure> {
    if points.is_empty() {
        return Err(Error::empty("points", "run twopc::blocking_sweep first"));
    }
    let pick = |f: fn(&BlockingPoint) -> f64| -> Vec<(f64, f64)> {
        points.iter().map(|p| (p.downtime_ms, f(p))).collect()
    };
    LineChart::new("2PC: participants wait as long as the coordinator is down")
        .x_label("coordinator downtime after the votes, ms")
        .y_label("time per participant, ms")
        .markers(true)
        .series("in doubt", pick(|p| p.in_doubt_ms))
        .series("lock held", pick(|p| p.lock_held_ms))
        .series("y = downtime", pick(|p| p.downtime_ms))
        .render()
}

/// Measured forced writes and messages next to Mohan, Lindsay & Obermarck's (1986).
pub fn twopc_cost_table(costs: &[LogCost]) -> Table {
    let mut t = Table::new([
        "protocol",
        "outcome",
        "coordinator forced (paper)",
        "participant forced (paper)",
        "messages per participant (paper)",
        "all log writes: coordinator / participant",
    ])
    .caption("Forced log writes and messages per transaction; the paper's counts from Mohan et al. 1986, §2");
    for c in costs {
        let paper = MOHAN_1986.iter().find(|p| p.0 == c.variant && p.1 == c.decision);
        let with = |v: u32, i: usize| match paper {
            Some(p) => format!("{v} ({})", [p.2, p.3, p.4][i]),
            None => v.to_string(),
        };
        t = t.row([
            format!("{:?}", c.variant),
            format!("{:?}", c.decision),
            with(c.coordinator_forced, 0),
            with(c.participant_forced, 1),
            with(c.messages_per_participant, 2),
            format!("{} / {}", c.coordinator_writes, c.participant_writes),
        ]);
    }
    t
}

/// The saga dirty-read sweep: `(seed, compensated, compensated and seen)` rows, with a total.
pub fn saga_dirty_read_table(rows: &[(u64, usize, usize)]) -> Table {
    let mut t = Table::new(["seed", "sagas compensated", "of which a client saw a booking"])
        .caption("Sagas: bookings seen by another client and then compensated (no isolation)");
    let (mut c, mut s) = (0, 0);
    for &(seed, comp, seen) in rows {
        t = t.row([seed.to_string(), comp.to_string(), seen.to_string()]);
        c += comp;
        s += seen;
    }
    t.row(["total".to_string(), c.to_string(), s.to_string()])
}

fn timeout_of(p: &TimeoutPoint) -> Option<f64> {
    match p.detection {
        Detection::Timeout { timeout_ms } => Some(timeout_ms),
        _ => None,
    }
}

/// Detection time vs the timeout (log x), with edge chasing and the global graph as lines.
pub fn deadlock_detection_chart(points: &[TimeoutPoint]) -> Result<Figure> {
    let series: Vec<(f64, f64)> = points
        .iter()
        .filter_map(|p| timeout_of(p).map(|t| (t, p.mean_detection_ms)))
        .filter(|(_, y)| y.is_finite())
        .collect();
    if series.is_empty() {
        return Err(Error::empty("points", "no timeout point detected a deadlock"));
    }
    let mut chart = LineChart::new("Distributed deadlock: time to break a cycle")
        .x_label("timeout, ms, log scale")
        .y_label("mean time from cycle to abort, ms")
        .log_x()
        .markers(true)
        .series("timeout", series);
    for p in points {
        let label = match p.detection {
            Detection::EdgeChasing => "edge chasing".to_string(),
            Detection::GlobalGraph { period_ms } => format!("global graph every {period_ms} ms"),
            Detection::Timeout { .. } => continue,
        };
        if p.mean_detection_ms.is_finite() {
            chart = chart.hline(
                p.mean_detection_ms,
                format!("{label}: {} ms", fmt_sig(p.mean_detection_ms, 2)),
            );
        }
    }
    chart.render()
}

/// False aborts (victims on no cycle) vs the timeout (log x).
pub fn deadlock_false_abort_chart(points: &[TimeoutPoint]) -> Result<Figure> {
    let series: Vec<(f64, f64)> =
        points.iter().filter_map(|p| timeout_of(p).map(|t| (t, p.false_aborts as f64))).collect();
    if series.is_empty() {
        return Err(Error::empty("points", "give some Detection::Timeout points"));
    }
    let series_true: Vec<(f64, f64)> =
        points.iter().filter_map(|p| timeout_of(p).map(|t| (t, p.true_aborts as f64))).collect();
    LineChart::new("Timeouts abort transactions that were only slow")
        .x_label("timeout, ms, log scale")
        .y_label("aborts over the seeds")
        .log_x()
        .markers(true)
        .series("false aborts (would have finished)", series)
        .series("true aborts (on a cycle)", series_true)
        .series(
            "stuck aborts (waiting for a cycle)",
            points
                .iter()
                .filter_map(|p| timeout_of(p).map(|t| (t, p.stuck_aborts as f64)))
                .collect::<Vec<_>>(),
        )
        .render()
}

/// The sequence diagram of three-phase commit under the partition `{n0, n1} | {n2, n3}`
/// ([`twopc::three_phase::partition_run`]): one side commits, the other aborts.
pub fn twopc_three_phase_diagram() -> Result<SequenceDiagram> {
    let report = twopc::three_phase::partition_experiment().trace(true).run(1)?;
    Ok(report
        .sim()
        .sequence_diagram("3PC under a partition {n0, n1} | {n2, n3} from 3.5 ms", 0.0, 32.0)?
        .lanes(twopc_lanes(3)))
}
