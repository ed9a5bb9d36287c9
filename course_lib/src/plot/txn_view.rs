//! Views of the txn module's plain results: a schedule and a run's trace as tables (one
//! column per transaction), the computed anomaly table next to Hermitage's, and the
//! concurrency-control comparison against Zipf skew.

use crate::error::{Error, Result};
use crate::plot::{Figure, LineChart};
use crate::table::{fmt_sig, Table};
use crate::txn::{
    AnomalyRow, CcPoint, HermitageRow, Isolation, Op, Outcome, Schedule, StepResult,
    HERMITAGE_ANOMALIES,
};

fn op_text(op: &Op) -> String {
    match op {
        Op::Begin => "begin".into(),
        Op::Read(k) => format!("read {k}"),
        Op::Write(k, v) => format!("write {k} = {v}"),
        Op::Insert(k, v) => format!("insert {k} = {v}"),
        Op::Delete(k) => format!("delete {k}"),
        Op::Scan(p) => format!("scan {p}"),
        Op::Commit => "commit".into(),
        Op::Abort => "abort".into(),
    }
}

/// A schedule as a table: one row per step, one column per transaction (in order of their
/// `begin`), the step in its transaction's column.
pub fn schedule_table(s: &Schedule) -> Table {
    let txns = s.txns();
    let mut headers = vec!["#".to_string()];
    headers.extend(txns.iter().cloned());
    let mut t = Table::new(headers);
    for (i, st) in s.steps().iter().enumerate() {
        let mut row = vec![i.to_string()];
        for name in &txns {
            row.push(if *name == st.txn { op_text(&st.op) } else { String::new() });
        }
        t = t.row(row);
    }
    let init: Vec<String> = s.init().iter().map(|(k, v)| format!("{k} = {v}")).collect();
    t.caption(format!(
        "initially {}",
        if init.is_empty() { "no rows".into() } else { init.join(", ") }
    ))
}

/// What a read or scan returned, as text: `x = 10, y = 20`, `no row`, or `(did not run)` for
/// `None` (the step never ran, or is not a read).
pub fn rows_text_of(rows: &Option<Vec<(String, i64)>>) -> String {
    rows.as_deref().map(rows_text).unwrap_or_else(|| "(did not run)".into())
}

fn rows_text(r: &[(String, i64)]) -> String {
    if r.is_empty() {
        "no row".into()
    } else {
        r.iter().map(|(k, v)| format!("{k} = {v}")).collect::<Vec<_>>().join(", ")
    }
}

/// A run's trace: one row per step, one column per transaction with what the step did and
/// saw; a step that waited says for whom and after which step it ran.
pub fn trace_table(o: &Outcome) -> Table {
    let txns: Vec<String> = o.txn_results().into_iter().map(|(n, _)| n).collect();
    let mut headers = vec!["#".to_string()];
    headers.extend(txns.iter().cloned());
    let mut t = Table::new(headers);
    for (i, st) in o.trace().iter().enumerate() {
        let verb = st.text.split_once(' ').map(|(_, r)| r).unwrap_or(&st.text);
        let mut cell = verb.to_string();
        if st.waited {
            let whom = if st.waited_for.is_empty() {
                "its own earlier step".to_string()
            } else {
                st.waited_for.join(", ")
            };
            match (&st.result, st.completed_after) {
                (StepResult::Failed(_) | StepResult::Skipped, _) => {
                    cell.push_str(&format!(" ⏳ waited for {whom}"))
                }
                (_, Some(a)) if a != i => {
                    cell.push_str(&format!(" ⏳ waited for {whom}, ran after #{a}"))
                }
                _ => cell.push_str(&format!(" ⏳ waited for {whom}")),
            }
        }
        match &st.result {
            StepResult::Done | StepResult::Committed | StepResult::Aborted => {}
            StepResult::Rows(r) => cell.push_str(&format!(" → {}", rows_text(r))),
            StepResult::Failed(why) => cell.push_str(&format!(" ✗ aborted: {why}")),
            StepResult::Skipped => cell = format!("({cell}: skipped, aborted)"),
        }
        let mut row = vec![i.to_string()];
        for name in &txns {
            row.push(if *name == st.txn { cell.clone() } else { String::new() });
        }
        t = t.row(row);
    }
    let fate: Vec<String> = o
        .txn_results()
        .iter()
        .map(|(n, c)| format!("{n} {}", if *c { "committed" } else { "aborted" }))
        .collect();
    t.caption(format!(
        "{}: {}; final state {}",
        o.scheme(),
        fate.join(", "),
        rows_text(&o.final_state())
    ))
}

/// The computed table: one row per anomaly, one column per level, "occurs" or "prevented".
pub fn anomaly_levels_table(rows: &[AnomalyRow]) -> Table {
    let mut headers = vec!["anomaly".to_string()];
    headers.extend(Isolation::ALL.iter().map(|l| l.name().to_string()));
    let mut t = Table::new(headers);
    for r in rows {
        let mut row = vec![r.id.to_string()];
        row.extend(
            r.occurred.iter().map(|&o| if o { "— occurs" } else { "✓ prevented" }.to_string()),
        );
        t = t.row(row);
    }
    t.caption("our engine, each anomaly's schedule run under each level")
}

fn mark(cell: &str) -> String {
    match cell {
        "prevented" => "✓".into(),
        "possible" => "—".into(),
        other => other.into(),
    }
}

/// Ours next to Hermitage's: one row per level (ours first, then the Hermitage rows whose
/// database is in `dbms`, or all if `dbms` is empty), one column per anomaly; ✓ prevented,
/// — possible (Hermitage's notation).
///
/// # Errors
/// [`Error::Invalid`] if `ours` does not have the ten anomalies in Hermitage's order.
pub fn comparison_table(
    ours: &[AnomalyRow],
    hermitage: &[HermitageRow],
    dbms: &[&str],
) -> Result<Table> {
    let ids: Vec<&str> = ours.iter().map(|r| r.id).collect();
    if ids != HERMITAGE_ANOMALIES {
        return Err(Error::invalid(
            "anomaly rows",
            "pass txn::anomaly_table()'s rows: the ten anomalies in Hermitage's order",
        ));
    }
    let mut headers = vec!["system".to_string(), "level".to_string()];
    headers.extend(HERMITAGE_ANOMALIES.iter().map(|s| s.to_string()));
    let mut t = Table::new(headers);
    for (li, l) in Isolation::ALL.iter().enumerate() {
        let mut row = vec!["this engine".to_string(), l.name().to_string()];
        row.extend(ours.iter().map(|r| if r.occurred[li] { "—" } else { "✓" }.to_string()));
        t = t.row(row);
    }
    for h in hermitage.iter().filter(|h| dbms.is_empty() || dbms.contains(&h.dbms.as_str())) {
        let mut row = vec![h.dbms.clone(), format!("\"{}\" ({})", h.level, h.actual)];
        row.extend(h.cells.iter().map(|c| mark(c)));
        t = t.row(row);
    }
    Ok(t.caption("✓ prevented, — possible; real databases from Hermitage (Kleppmann 2014, github.com/ept/hermitage, CC BY 4.0)"))
}

/// Which number of a [`CcPoint`] to plot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CcMetric {
    /// Committed transactions per 100 ticks.
    Throughput,
    /// Aborted attempts / all attempts, in %.
    AbortRate,
    /// Mean latency in ticks.
    MeanLatency,
    /// p99 latency in ticks.
    P99Latency,
}

/// One metric of the contention sweep against the Zipf exponent, a series per scheme.
///
/// # Errors
/// [`Error::Empty`] for no points.
pub fn contention_chart(points: &[CcPoint], metric: CcMetric) -> Result<Figure> {
    if points.is_empty() {
        return Err(Error::empty("the contention points", "run Contention::sweep first"));
    }
    let (title, y, f): (&str, &str, fn(&CcPoint) -> f64) = match metric {
        CcMetric::Throughput => {
            ("Throughput vs contention", "committed per 100 ticks", |p| p.throughput)
        }
        CcMetric::AbortRate => {
            ("Abort rate vs contention", "aborted attempts, %", |p| 100.0 * p.abort_rate)
        }
        CcMetric::MeanLatency => {
            ("Mean latency vs contention", "ticks from first begin to commit", |p| p.mean_latency)
        }
        CcMetric::P99Latency => {
            ("p99 latency vs contention", "p99 ticks from first begin to commit", |p| p.p99_latency)
        }
    };
    let mut names: Vec<&str> = Vec::new();
    for p in points {
        if !names.contains(&p.scheme) {
            names.push(p.scheme);
        }
    }
    let mut chart = LineChart::new(title)
        .x_label("Zipf exponent s of the key choice (0 = uniform)")
        .y_label(y)
        .markers(true);
    for n in names {
        chart = chart.series(
            n,
            points.iter().filter(|p| p.scheme == n).map(|p| (p.skew, f(p))).collect::<Vec<_>>(),
        );
    }
    chart.render()
}

/// The sweep's numbers as a table.
pub fn contention_table(points: &[CcPoint]) -> Table {
    let mut t = Table::new([
        "scheme",
        "Zipf s",
        "committed",
        "aborted",
        "ticks",
        "per 100 ticks",
        "abort rate",
        "mean latency",
        "p99 latency",
    ]);
    for p in points {
        t = t.row([
            p.scheme.to_string(),
            fmt_sig(p.skew, 2),
            p.committed.to_string(),
            p.aborted.to_string(),
            p.ticks.to_string(),
            fmt_sig(p.throughput, 3),
            format!("{:.0} %", 100.0 * p.abort_rate),
            fmt_sig(p.mean_latency, 3),
            fmt_sig(p.p99_latency, 3),
        ]);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::txn::{anomalies, anomaly_table as computed, hermitage, run, Contention};

    #[test]
    fn the_txn_views_render() {
        let a = &anomalies::ALL[6];
        let s = a.parse().unwrap();
        let st = schedule_table(&s).to_html();
        assert!(
            st.contains("T1") && st.contains("write x = 11") && st.contains("initially x = 10")
        );
        let o = run(&s, Isolation::RepeatableReadLocking).unwrap();
        let tt = trace_table(&o).to_html();
        assert!(tt.contains("deadlock") && tt.contains("waited for"), "{tt}");
        let rows = computed().unwrap();
        assert!(anomaly_levels_table(&rows).to_html().contains("prevented"));
        let c = comparison_table(&rows, &hermitage().unwrap(), &["PostgreSQL"]).unwrap();
        assert_eq!(c.rows().len(), 5 + 3);
        assert!(comparison_table(&rows[1..], &[], &[]).is_err());
        let cfg = Contention { txns: 20, ..Contention::default() };
        let pts = cfg.sweep(&[0.0, 1.0], 1).unwrap();
        for m in
            [CcMetric::Throughput, CcMetric::AbortRate, CcMetric::MeanLatency, CcMetric::P99Latency]
        {
            let svg = contention_chart(&pts, m).unwrap().svg().to_string();
            assert!(svg.contains("OCC") && svg.contains("Zipf exponent"));
        }
        assert!(contention_chart(&[], CcMetric::Throughput).is_err());
        assert_eq!(contention_table(&pts).rows().len(), 6);
    }
}
