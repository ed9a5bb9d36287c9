//! Views of the chat lab's plain results (the SLI table of a run against its objectives).
//! They live in the plot layer, so `chat` never depends on tables or plotting.

use crate::chat::{ChatReport, ChatSlo};
use crate::table::{fmt_sig, Table};

impl ChatReport {
    /// The SLIs against `slo` as a table: SLI, measured, objective, met?
    pub fn check(&self, slo: &ChatSlo) -> Table {
        let p99 = self.p99_delivery_ms();
        let yes = |b: bool| if b { "yes" } else { "NO" };
        Table::new(["SLI", "measured", "objective", "met"])
            .row([
                "availability (posts acknowledged)".to_string(),
                format!("{}%", fmt_sig(self.availability() * 100.0, 5)),
                format!("≥ {}%", fmt_sig(slo.availability * 100.0, 5)),
                yes(self.availability() >= slo.availability).into(),
            ])
            .row([
                "p99 delivery latency".to_string(),
                p99.map_or("—".into(), |v| format!("{} ms", fmt_sig(v, 3))),
                format!("≤ {} ms", fmt_sig(slo.p99_delivery_ms, 3)),
                yes(p99.is_some_and(|v| v <= slo.p99_delivery_ms)).into(),
            ])
            .row([
                "delivered fraction".to_string(),
                format!("{}%", fmt_sig(self.delivered_fraction() * 100.0, 5)),
                format!("≥ {}%", fmt_sig(slo.delivered_fraction * 100.0, 5)),
                yes(self.delivered_fraction() >= slo.delivered_fraction).into(),
            ])
            .caption(format!("{} posts by {} users", self.posts(), self.clients))
    }
}
