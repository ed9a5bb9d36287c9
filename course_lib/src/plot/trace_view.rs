//! Sequence diagrams of simulator runs: the view of a [`Trace`] lives here, in the plot layer,
//! so the simulator itself never depends on plotting.

use crate::error::{Error, Result};
use crate::plot::{Arrow, Mark, MarkKind, SequenceDiagram};
use crate::sim::{Node, Simulation, Trace, TraceKind};

impl<N: Node> Trace<N> {
    /// A message sequence diagram of the events between `from_ms` and `to_ms` for a cluster
    /// of `nodes` nodes: one lifeline per node, an arrow per message sent in the window
    /// (ending in × if it was dropped), crash/restart marks with the down time shaded, and,
    /// when `timers` is true, a mark for every timer that fired. Labels are the messages'
    /// `Debug` text. Render it with `.render()`.
    ///
    /// Keep the window small: a diagram is readable up to about a hundred messages, and
    /// `render` refuses more than 400.
    pub fn sequence_diagram(
        &self,
        title: &str,
        nodes: usize,
        from_ms: f64,
        to_ms: f64,
        timers: bool,
    ) -> crate::Result<SequenceDiagram> {
        use std::collections::HashMap;
        crate::error::validate::ordered("from_ms", from_ms, "to_ms", to_ms)?;
        crate::error::validate::at_least("nodes", nodes, 1)?;
        let in_window = |t: f64| t >= from_ms && t <= to_ms;
        // msg_id → (from, to, sent_ms, label)
        let mut sent: HashMap<u64, (usize, usize, f64, String)> = HashMap::new();
        let mut arrows = Vec::new();
        let mut marks = Vec::new();
        let mut down_since: HashMap<usize, f64> = HashMap::new();
        let mut spans = Vec::new();
        for e in &self.events {
            let t = e.time.as_ms();
            if t > to_ms && !matches!(e.kind, TraceKind::Deliver { .. } | TraceKind::Drop { .. }) {
                continue;
            }
            match &e.kind {
                TraceKind::Send { from, to, msg_id, msg } if in_window(t) => {
                    sent.insert(*msg_id, (from.0, to.0, t, format!("{msg:?}")));
                }
                TraceKind::Deliver { msg_id, .. } => {
                    if let Some((a, b, s, label)) = sent.get(msg_id) {
                        arrows.push(Arrow::delivered(*a, *b, *s, t, label.clone()));
                    }
                }
                TraceKind::Drop { msg_id, .. } => {
                    if let Some((a, b, s, label)) = sent.get(msg_id) {
                        if *b < nodes {
                            arrows.push(Arrow::lost(*a, *b, *s, label.clone()));
                        }
                    }
                }
                TraceKind::Timer { node, timer } if timers && in_window(t) => {
                    marks.push(Mark::new(node.0, t, MarkKind::Timer, format!("{timer:?}")));
                }
                TraceKind::Crash { node } => {
                    down_since.insert(node.0, t);
                    if in_window(t) {
                        marks.push(Mark::new(node.0, t, MarkKind::Crash, "crash"));
                    }
                }
                TraceKind::Restart { node } => {
                    if let Some(since) = down_since.remove(&node.0) {
                        spans.push((node.0, since.max(from_ms), t));
                    }
                    if in_window(t) {
                        marks.push(Mark::new(node.0, t, MarkKind::Restart, "restart"));
                    }
                }
                TraceKind::Note { node, text } if in_window(t) => {
                    marks.push(Mark::new(node.0, t, MarkKind::Note, text.clone()));
                }
                _ => {}
            }
        }
        for (node, since) in down_since {
            spans.push((node, since.max(from_ms), to_ms));
        }
        spans.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
        let lanes = (0..nodes).map(|i| format!("n{i}")).collect();
        let mut diagram = SequenceDiagram::new(title).lanes(lanes).arrows(arrows).marks(marks);
        for (node, a, b) in spans {
            if b > a {
                diagram = diagram.span(node, a, b, "down");
            }
        }
        Ok(diagram)
    }
}

impl<N: Node> Simulation<N> {
    /// A message sequence diagram of this run between `from_ms` and `to_ms` (see
    /// [`Trace::sequence_diagram`]); needs `.trace(true)` when building.
    pub fn sequence_diagram(
        &self,
        title: &str,
        from_ms: f64,
        to_ms: f64,
    ) -> Result<SequenceDiagram> {
        if !self.traced() {
            return Err(Error::invalid(
                "sequence diagram",
                "this simulation was built without a trace: add .trace(true) to the builder",
            ));
        }
        self.trace().sequence_diagram(title, self.cluster_size(), from_ms, to_ms, true)
    }
}
