//! The recorded trace: every event of a run, in the order it happened.

use std::fmt;

use super::node::Node;
use super::time::{NodeId, RequestId, Time};

/// Why a message was not delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DropReason {
    /// The link's loss probability struck.
    Loss,
    /// A partition or a downed link separated sender and receiver.
    Partition,
    /// The receiver was crashed when the message arrived.
    NodeDown,
    /// The destination is not a node of this cluster (a bug in the sending node).
    UnknownDestination,
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DropReason::Loss => "lost",
            DropReason::Partition => "cut by partition",
            DropReason::NodeDown => "receiver down",
            DropReason::UnknownDestination => "no such node",
        })
    }
}

/// What happened (one entry of a [`Trace`]).
pub enum TraceKind<N: Node> {
    /// A node sent a message (it now travels, or is dropped).
    Send {
        /// Sender.
        from: NodeId,
        /// Receiver.
        to: NodeId,
        /// Unique id of this message in the run.
        msg_id: u64,
        /// The message.
        msg: N::Msg,
    },
    /// A message arrived and was handed to its receiver.
    Deliver {
        /// Sender.
        from: NodeId,
        /// Receiver.
        to: NodeId,
        /// Id of the message (see the matching `Send`).
        msg_id: u64,
    },
    /// A message was not delivered.
    Drop {
        /// Sender.
        from: NodeId,
        /// Receiver.
        to: NodeId,
        /// Id of the message.
        msg_id: u64,
        /// Why.
        reason: DropReason,
    },
    /// The network made a second copy of a message.
    Duplicate {
        /// Sender.
        from: NodeId,
        /// Receiver.
        to: NodeId,
        /// Id of the message copied.
        msg_id: u64,
    },
    /// A timer fired at a node.
    Timer {
        /// The node.
        node: NodeId,
        /// The timer's payload.
        timer: N::Timer,
    },
    /// A client request reached a node.
    Request {
        /// The node.
        node: NodeId,
        /// The request's id.
        id: RequestId,
        /// The request.
        request: N::Request,
    },
    /// A node answered a client request.
    Response {
        /// The node.
        node: NodeId,
        /// The request's id.
        id: RequestId,
        /// The response.
        response: N::Response,
    },
    /// A client request reached a crashed node and was lost.
    RequestDropped {
        /// The node.
        node: NodeId,
        /// The request's id.
        id: RequestId,
    },
    /// A node crashed.
    Crash {
        /// The node.
        node: NodeId,
    },
    /// A node restarted from its durable state.
    Restart {
        /// The node.
        node: NodeId,
    },
    /// A partition or link fault began (its index in the fault schedule).
    FaultStart {
        /// Index into `FaultSchedule::faults()`.
        fault: usize,
    },
    /// A partition or link fault healed.
    FaultEnd {
        /// Index into `FaultSchedule::faults()`.
        fault: usize,
    },
    /// A free-text note a node wrote with `Ctx::note`.
    Note {
        /// The node.
        node: NodeId,
        /// The text.
        text: String,
    },
}

impl<N: Node> Clone for TraceKind<N> {
    fn clone(&self) -> Self {
        use TraceKind::*;
        match self {
            Send { from, to, msg_id, msg } => {
                Send { from: *from, to: *to, msg_id: *msg_id, msg: msg.clone() }
            }
            Deliver { from, to, msg_id } => Deliver { from: *from, to: *to, msg_id: *msg_id },
            Drop { from, to, msg_id, reason } => {
                Drop { from: *from, to: *to, msg_id: *msg_id, reason: *reason }
            }
            Duplicate { from, to, msg_id } => Duplicate { from: *from, to: *to, msg_id: *msg_id },
            Timer { node, timer } => Timer { node: *node, timer: timer.clone() },
            Request { node, id, request } => {
                Request { node: *node, id: *id, request: request.clone() }
            }
            Response { node, id, response } => {
                Response { node: *node, id: *id, response: response.clone() }
            }
            RequestDropped { node, id } => RequestDropped { node: *node, id: *id },
            Crash { node } => Crash { node: *node },
            Restart { node } => Restart { node: *node },
            FaultStart { fault } => FaultStart { fault: *fault },
            FaultEnd { fault } => FaultEnd { fault: *fault },
            Note { node, text } => Note { node: *node, text: text.clone() },
        }
    }
}

impl<N: Node> fmt::Display for TraceKind<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use TraceKind::*;
        match self {
            Send { from, to, msg_id, msg } => write!(f, "{from} → {to}  send #{msg_id} {msg:?}"),
            Deliver { from, to, msg_id } => write!(f, "{from} → {to}  deliver #{msg_id}"),
            Drop { from, to, msg_id, reason } => {
                write!(f, "{from} → {to}  drop #{msg_id} ({reason})")
            }
            Duplicate { from, to, msg_id } => write!(f, "{from} → {to}  duplicate #{msg_id}"),
            Timer { node, timer } => write!(f, "{node}  timer {timer:?}"),
            Request { node, id, request } => write!(f, "{node}  request {id} {request:?}"),
            Response { node, id, response } => write!(f, "{node}  response {id} {response:?}"),
            RequestDropped { node, id } => write!(f, "{node}  request {id} lost (node down)"),
            Crash { node } => write!(f, "{node}  CRASH"),
            Restart { node } => write!(f, "{node}  RESTART"),
            FaultStart { fault } => write!(f, "fault #{fault} begins"),
            FaultEnd { fault } => write!(f, "fault #{fault} heals"),
            Note { node, text } => write!(f, "{node}  note: {text}"),
        }
    }
}

impl<N: Node> fmt::Debug for TraceKind<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// One entry of a [`Trace`]: when, and what.
pub struct TraceEvent<N: Node> {
    /// Virtual time of the event.
    pub time: Time,
    /// What happened.
    pub kind: TraceKind<N>,
}

impl<N: Node> Clone for TraceEvent<N> {
    fn clone(&self) -> Self {
        TraceEvent { time: self.time, kind: self.kind.clone() }
    }
}

impl<N: Node> fmt::Display for TraceEvent<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:>12.3} ms  {}", self.time.as_ms(), self.kind)
    }
}

impl<N: Node> fmt::Debug for TraceEvent<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Every event of a run, in order. Empty when tracing was switched off.
pub struct Trace<N: Node> {
    pub(crate) events: Vec<TraceEvent<N>>,
}

impl<N: Node> Clone for Trace<N> {
    fn clone(&self) -> Self {
        Trace { events: self.events.clone() }
    }
}

impl<N: Node> Default for Trace<N> {
    fn default() -> Self {
        Trace { events: Vec::new() }
    }
}

impl<N: Node> Trace<N> {
    /// The events.
    pub fn events(&self) -> &[TraceEvent<N>] {
        &self.events
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// No events?
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The events whose time lies in `[from_ms, to_ms]`.
    pub fn window(&self, from_ms: f64, to_ms: f64) -> impl Iterator<Item = &TraceEvent<N>> {
        self.events.iter().filter(move |e| {
            let t = e.time.as_ms();
            t >= from_ms && t <= to_ms
        })
    }

    /// The text of the trace, one line per event (at most `max_lines` lines, then a count of
    /// what was left out).
    pub fn render(&self, max_lines: usize) -> String {
        let mut out = String::new();
        for e in self.events.iter().take(max_lines) {
            out.push_str(&e.to_string());
            out.push('\n');
        }
        if self.events.len() > max_lines {
            out.push_str(&format!("… and {} more events\n", self.events.len() - max_lines));
        }
        out
    }

    /// A 64-bit fingerprint of the whole trace (FNV-1a over its text). Two runs with the same
    /// seed and configuration have equal digests; this is how determinism is tested.
    pub fn digest(&self) -> u64 {
        struct Fnv(u64);
        impl fmt::Write for Fnv {
            fn write_str(&mut self, s: &str) -> fmt::Result {
                for b in s.bytes() {
                    self.0 ^= b as u64;
                    self.0 = self.0.wrapping_mul(0x0000_0100_0000_01B3);
                }
                Ok(())
            }
        }
        let mut h = Fnv(0xCBF2_9CE4_8422_2325);
        for e in &self.events {
            use fmt::Write;
            let _ = writeln!(h, "{e}");
        }
        h.0
    }
}

impl<N: Node> fmt::Display for Trace<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(200))
    }
}

impl<N: Node> fmt::Debug for Trace<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Trace({} events)", self.events.len())
    }
}
