//! Views of the replication workshop: its scenarios as a table.

use crate::replication::workshop::ScenarioReport;
use crate::table::{fmt_sig, Table};

impl ScenarioReport {
    /// The reports as a table: availability during the fault (overall and per coordinator),
    /// stale reads, recovery time.
    pub fn table(reports: &[ScenarioReport]) -> Table {
        let mut t = Table::new([
            "scenario",
            "fault window (ms)",
            "availability",
            "by coordinator",
            "stale reads",
            "recovery (ms)",
        ])
        .caption("The sharded store under the workshop's three failures");
        for r in reports {
            let by: Vec<String> = r
                .availability_by_coordinator
                .iter()
                .map(|a| format!("{:.0}%", 100.0 * a))
                .collect();
            t = t.row([
                r.scenario.to_string(),
                format!("{:.0}–{:.0}", r.fault_window_ms.0, r.fault_window_ms.1),
                format!("{:.1}%", 100.0 * r.availability),
                by.join(" / "),
                format!("{} of {}", r.stale_reads, r.reads),
                r.recovery_ms.map_or("not in this run".to_string(), |x| fmt_sig(x, 3)),
            ]);
        }
        t
    }
}
