//! Views of the coordination module's plain results (the storage's write table, the lease
//! timeline, the pause × lease heatmap, the sequence diagram of a scenario). They live in the
//! plot layer, so `coord` never depends on plotting.

use crate::coord::{CoordConfig, CoordReport, PauseLeaseSweep, StorageOpKind};
use crate::error::{validate, Error, Result};
use crate::plot::{Bar, BarStyle, Heatmap, SequenceDiagram, Timeline};
use crate::table::Table;

impl CoordReport {
    /// The storage's writes (and rejected requests) as a table: time, client, token, what, verdict.
    pub fn write_table(&self, max_rows: usize) -> Table {
        let mut t = Table::new(vec!["time (ms)", "client", "token", "request", "storage says"]);
        for o in self
            .storage
            .iter()
            .filter(|o| !o.accepted || matches!(o.kind, StorageOpKind::Write { .. }))
            .take(max_rows)
        {
            let what = match o.kind {
                StorageOpKind::Read => "read".to_string(),
                StorageOpKind::Write { value, read_version } => {
                    format!("write {value} (read at v{read_version})")
                }
            };
            let verdict = if !o.accepted {
                "rejected: stale token".to_string()
            } else if o.is_lost_update() {
                format!("accepted — LOST UPDATE (overwrote {})", o.value_before)
            } else if o.stale {
                "accepted — stale token".to_string()
            } else {
                "accepted".to_string()
            };
            t = t.row(vec![
                format!("{:.0}", o.at_ms),
                format!("c{}", o.client),
                o.token.to_string(),
                what,
                verdict,
            ]);
        }
        t
    }

    /// A timeline of the run between `from_ms` and `to_ms`: per client, the lease it believed
    /// it held (by its clock) and its pauses; the lock server's leases (terms) with their
    /// tokens (by the server's clock); the
    /// storage's accepted writes, stale writes accepted (red) and rejected requests.
    pub fn timeline(&self, title: &str, from_ms: f64, to_ms: f64) -> Result<Timeline> {
        let (from_ms, to_ms) = validate::ordered("from_ms", from_ms, "to_ms", to_ms)?;
        let mut lanes: Vec<String> =
            (0..self.clients).map(|c| format!("c{c} (believes)")).collect();
        let server = lanes.len();
        lanes.push("lock server".into());
        let storage = lanes.len();
        lanes.push("storage".into());
        // (lane, from, until, label, style) of every interval, clipped to the window
        let intervals = self
            .beliefs
            .iter()
            .map(|b| (b.client, b.from_ms, b.until_ms, format!("token {}", b.token), BarStyle::Ok))
            .chain(
                self.pauses
                    .iter()
                    .map(|p| (p.client, p.from_ms, p.until_ms, "paused".into(), BarStyle::Fail)),
            )
            .chain(self.grants.iter().map(|g| {
                let label = format!("c{} token {}", g.client, g.token);
                (server, g.from_ms, g.until_ms, label, BarStyle::Ok)
            }));
        let mut bars = Vec::new();
        for (lane, a, b, label, style) in intervals {
            let (start, end) = (a.max(from_ms), b.min(to_ms));
            if start <= end {
                bars.push(Bar { lane, start, end: Some(end), label, style });
            }
        }
        for o in &self.storage {
            let write = matches!(o.kind, StorageOpKind::Write { .. });
            if !(o.at_ms >= from_ms && o.at_ms <= to_ms) || (o.accepted && !write) {
                continue;
            }
            let (style, label) = if !o.accepted {
                (BarStyle::Fail, format!("c{} rejected (token {})", o.client, o.token))
            } else if o.stale || o.is_lost_update() {
                (BarStyle::Culprit, format!("c{} stale write (token {})", o.client, o.token))
            } else {
                (BarStyle::Involved, String::new()) // the lease lanes above say whose it is
            };
            bars.push(Bar { lane: storage, start: o.at_ms, end: Some(o.at_ms), label, style });
        }
        if bars.len() > Timeline::MAX_BARS {
            return Err(Error::invalid(
                "timeline window",
                format!("{} bars are too many; choose a shorter window", bars.len()),
            ));
        }
        Ok(Timeline::new(title)
            .x_label("time (ms)")
            .lanes(lanes)
            .bars(bars)
            .key_label(BarStyle::Ok, "lease (believed / granted)")
            .key_label(BarStyle::Fail, "paused / rejected")
            .key_label(BarStyle::Involved, "write accepted")
            .key_label(BarStyle::Culprit, "stale write accepted"))
    }
}

impl CoordConfig {
    /// The message sequence diagram of the run with `seed` between `from_ms` and `to_ms`
    /// (`n0` lock server, `n1` storage, `n2…` clients).
    pub fn sequence_diagram(&self, seed: u64, from_ms: f64, to_ms: f64) -> Result<SequenceDiagram> {
        let done = self.experiment()?.trace(true).run(seed)?;
        let title = format!(
            "lock server n0, storage n1, clients n2… ({}fencing)",
            if self.fencing { "" } else { "no " }
        );
        done.sim().sequence_diagram(&title, from_ms, to_ms)
    }
}

fn fmt_ms(x: f64) -> String {
    if x >= 1_000.0 && (x / 1_000.0).fract() == 0.0 {
        format!("{} s", x / 1_000.0)
    } else {
        format!("{x}")
    }
}

impl PauseLeaseSweep {
    /// The heatmap of violation rates without (`fenced = false`) or with fencing.
    pub fn heatmap(&self, fenced: bool) -> Heatmap {
        let (values, what) = if fenced {
            (self.fenced.clone(), "with fencing")
        } else {
            (self.unfenced.clone(), "without fencing")
        };
        Heatmap::new(format!(
            "Runs where mutual exclusion broke, {what} ({} runs per cell)",
            self.runs
        ))
        .x_label("pause length (ms)")
        .y_label("lease duration (ms)")
        .x_ticks(self.pauses_ms.iter().map(|&p| fmt_ms(p)).collect())
        .y_ticks(self.leases_ms.iter().map(|&l| fmt_ms(l)).collect())
        .values(values)
        .color_label("fraction of runs violated")
        .range(0.0, 1.0)
        .annotate(true)
    }
}
