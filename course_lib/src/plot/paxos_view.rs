//! The sequence diagram of a Paxos run, in the plot layer (the protocol never depends on
//! plotting).

use crate::error::{validate, Result};
use crate::paxos::PaxosConfig;
use crate::plot::SequenceDiagram;

impl PaxosConfig {
    /// A message sequence diagram of the run with `seed` between `from_ms` and `to_ms`, lanes
    /// named `P0…`, `A0…`, `L0…`.
    pub fn sequence_diagram(
        &self,
        seed: u64,
        title: &str,
        from_ms: f64,
        to_ms: f64,
    ) -> Result<SequenceDiagram> {
        validate::ordered("from_ms", from_ms, "to_ms", to_ms)?;
        let horizon = to_ms.min(self.horizon());
        let report = self.experiment()?.trace(true).horizon_ms(horizon).run(seed)?;
        Ok(report.sim().sequence_diagram(title, from_ms, to_ms)?.lanes(self.lane_names()))
    }
}
