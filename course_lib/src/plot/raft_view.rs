//! Views of a Raft [`Cluster`]: the per-server log table, the leadership timeline and the
//! sequence diagram. They live in the plot layer, so the protocol never depends on plotting.

use crate::error::{validate, Error, Result};
use crate::plot::{Bar, BarStyle, Figure, SequenceDiagram, Timeline};
use crate::raft::{Cluster, Entry};
use crate::sim::Fault;
use crate::table::Table;

impl Cluster {
    /// The per-server log table of group `g` (HTML): role, term, vote, commit and applied
    /// index, and the last `max_entries` log entries as `term:command`, uncommitted entries in
    /// parentheses.
    pub fn log_table(&self, g: usize, max_entries: usize) -> Result<Table> {
        if g >= self.groups() {
            return Err(Error::out_of_range(
                "group",
                g,
                format!("must be below the number of groups, {}", self.groups()),
            ));
        }
        validate::at_least("max_entries", max_entries, 1)?;
        let s = self.servers();
        let nodes = &self.sim().nodes()[g * s..(g + 1) * s];
        let longest = nodes.iter().map(|n| n.log().len()).max().unwrap_or(0);
        let first = longest.saturating_sub(max_entries) + 1;
        let mut headers: Vec<String> =
            ["server", "role", "term", "voted for", "commit", "applied"].map(String::from).to_vec();
        headers.extend((first..=longest).map(|i| format!("{i}")));
        let mut t = Table::new(headers);
        for (k, n) in nodes.iter().enumerate() {
            let id = g * s + k;
            let role = if !self.sim().is_up(id) {
                "crashed".to_string()
            } else {
                format!("{:?}", n.role()).to_lowercase()
            };
            let mut row = vec![
                format!("n{id}"),
                role,
                n.term().to_string(),
                n.state().voted_for.map_or("–".into(), |v| format!("n{}", g * s + v)),
                n.commit_index().to_string(),
                n.last_applied().to_string(),
            ];
            for i in first..=longest {
                row.push(match n.log().get(i - 1) {
                    None => String::new(),
                    Some(e) if i <= n.commit_index() => cell(e),
                    Some(e) => format!("({})", cell(e)),
                });
            }
            t = t.row(row);
        }
        Ok(t.caption(format!(
            "group {g} at t = {:.1} ms: log entries as term:command; (…) = not known committed by that server",
            self.sim().now_ms()
        )))
    }

    /// Leadership over time: one row per server, a bar per term it led, and a hollow bar
    /// while it was crashed (from the fault schedule).
    pub fn leadership_timeline(&self, title: &str) -> Result<Figure> {
        let lanes = (0..self.sim().cluster_size()).map(|i| format!("n{i}")).collect();
        let now = self.sim().now_ms();
        let mut bars: Vec<Bar> = self
            .leader_spans()
            .into_iter()
            .map(|sp| Bar {
                lane: sp.node,
                start: sp.from_ms,
                end: Some(sp.to_ms.max(sp.from_ms + 1e-3)),
                label: format!("term {}", sp.term),
                style: BarStyle::Ok,
            })
            .collect();
        let mut down: Vec<Option<f64>> = vec![None; self.sim().cluster_size()];
        let mut faults: Vec<&Fault> = self.sim().faults().faults().iter().collect();
        faults.sort_by(|a, b| a.start_ms().total_cmp(&b.start_ms()));
        for f in faults {
            match *f {
                Fault::Crash { node, at_ms } if at_ms <= now && down[node].is_none() => {
                    down[node] = Some(at_ms);
                }
                Fault::Restart { node, at_ms } if at_ms <= now => {
                    if let Some(from) = down[node].take() {
                        bars.push(Bar {
                            lane: node,
                            start: from,
                            end: Some(at_ms),
                            label: String::new(),
                            style: BarStyle::Fail,
                        });
                    }
                }
                _ => {}
            }
        }
        for (node, d) in down.iter().enumerate() {
            if let Some(from) = d {
                bars.push(Bar {
                    lane: node,
                    start: *from,
                    end: Some(now),
                    label: String::new(),
                    style: BarStyle::Fail,
                });
            }
        }
        Timeline::new(title)
            .x_label("time (ms)")
            .lanes(lanes)
            .bars(bars)
            .key_label(BarStyle::Ok, "leader (bar label: its term)")
            .key_label(BarStyle::Fail, "crashed")
            .render()
    }

    /// A message sequence diagram of the run between `from_ms` and `to_ms` (needs a trace).
    pub fn sequence_diagram(
        &self,
        title: &str,
        from_ms: f64,
        to_ms: f64,
    ) -> Result<SequenceDiagram> {
        self.sim().sequence_diagram(title, from_ms, to_ms)
    }
}

fn cell(e: &Entry) -> String {
    format!("{}:{}", e.term, e.command)
}
