//! Nodes are state machines: the [`Node`] trait and the [`Ctx`] a handler records effects in.

use std::fmt::Debug;

use super::time::{NodeId, RequestId, Time, TimerId};
use crate::rng::SimRng;

/// A node of a distributed system, written as a pure state machine.
///
/// The simulator calls one handler at a time with one input: a message from another node, a
/// timer the node set earlier, or a client request. The handler updates the node's state and
/// records *effects* in the [`Ctx`]: messages to send, timers to set or cancel, responses to
/// clients. It does not sleep, read a clock, open a socket or use global randomness (the
/// `Ctx` has the time and a seeded generator); that is what makes every run replayable.
///
/// **Crash and restart.** When a node crashes, the simulator stops calling it. When it
/// restarts, the simulator replaces it by [`Node::restarted`]: the node as it comes back up,
/// built from what it had made *durable* (written to disk) and nothing else. Writing
/// `restarted` is where a protocol states, in code, which of its fields survive a crash.
///
/// ```
/// use course_lib::sim::{Ctx, Node, NodeId};
///
/// /// Counts the pings it receives; the count is volatile (lost on a crash).
/// struct Counter { pings: u64, generation: u64 /* durable: bumped on every restart */ }
///
/// impl Node for Counter {
///     type Msg = &'static str;
///     type Timer = ();
///     type Request = ();
///     type Response = u64;
///     fn on_message(&mut self, _ctx: &mut Ctx<Self>, _from: NodeId, _msg: Self::Msg) {
///         self.pings += 1;
///     }
///     fn restarted(&self) -> Self {
///         Counter { pings: 0, generation: self.generation + 1 }
///     }
/// }
/// ```
pub trait Node: Sized {
    /// Messages nodes send each other.
    type Msg: Clone + Debug;
    /// Timer payloads (what the node wants to be reminded of).
    type Timer: Clone + Debug;
    /// Client requests (use `()` if the node takes none).
    type Request: Clone + Debug;
    /// Responses to client requests.
    type Response: Clone + Debug;

    /// Called once when the simulation starts, and again after every restart. Set initial
    /// timers here.
    fn on_start(&mut self, _ctx: &mut Ctx<Self>) {}

    /// A message from `from` arrived.
    fn on_message(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: Self::Msg);

    /// A timer set with [`Ctx::set_timer`] fired.
    fn on_timer(&mut self, _ctx: &mut Ctx<Self>, _timer: Self::Timer) {}

    /// A client request arrived; answer it (now or later) with [`Ctx::respond`].
    fn on_request(&mut self, _ctx: &mut Ctx<Self>, _id: RequestId, _request: Self::Request) {}

    /// The node as it is after a crash and restart: durable state kept, volatile state fresh.
    fn restarted(&self) -> Self;
}

/// An effect recorded by a handler, applied by the simulator when the handler returns.
pub(crate) enum Effect<N: Node> {
    Send { to: NodeId, msg: N::Msg },
    SetTimer { id: TimerId, after: Time, timer: N::Timer },
    CancelTimer { id: TimerId },
    Respond { id: RequestId, response: N::Response },
    Note { text: String },
}

/// What a handler sees and acts through: its identity, the time, a seeded random generator,
/// and the methods that record effects.
pub struct Ctx<'a, N: Node> {
    pub(crate) id: NodeId,
    pub(crate) now: Time,
    pub(crate) cluster_size: usize,
    pub(crate) rng: &'a mut SimRng,
    pub(crate) effects: &'a mut Vec<Effect<N>>,
    pub(crate) next_timer: &'a mut u64,
}

impl<N: Node> Ctx<'_, N> {
    /// This node's id.
    pub fn id(&self) -> NodeId {
        self.id
    }

    /// The current virtual time.
    pub fn now(&self) -> Time {
        self.now
    }

    /// The current virtual time in milliseconds.
    pub fn now_ms(&self) -> f64 {
        self.now.as_ms()
    }

    /// Number of nodes in the cluster (ids `0..cluster_size`).
    pub fn cluster_size(&self) -> usize {
        self.cluster_size
    }

    /// Every other node's id.
    pub fn peers(&self) -> impl Iterator<Item = NodeId> {
        let me = self.id;
        (0..self.cluster_size).map(NodeId).filter(move |&n| n != me)
    }

    /// This node's random generator (a stream of the simulation's seed, private to the node).
    pub fn rng(&mut self) -> &mut SimRng {
        self.rng
    }

    /// Send `msg` to `to`. A message to itself is delivered locally with no delay and no loss.
    pub fn send(&mut self, to: NodeId, msg: N::Msg) {
        self.effects.push(Effect::Send { to, msg });
    }

    /// Send `msg` to every other node.
    pub fn broadcast(&mut self, msg: N::Msg) {
        for to in 0..self.cluster_size {
            if to != self.id.0 {
                self.effects.push(Effect::Send { to: NodeId(to), msg: msg.clone() });
            }
        }
    }

    /// Fire `timer` after `after_ms` milliseconds (negative or NaN counts as 0). Timers are
    /// volatile: a crash forgets them.
    pub fn set_timer(&mut self, after_ms: f64, timer: N::Timer) -> TimerId {
        let id = TimerId(*self.next_timer);
        *self.next_timer += 1;
        self.effects.push(Effect::SetTimer { id, after: Time::from_ms(after_ms), timer });
        id
    }

    /// Cancel a timer (no effect if it already fired).
    pub fn cancel_timer(&mut self, id: TimerId) {
        self.effects.push(Effect::CancelTimer { id });
    }

    /// Answer client request `id`.
    pub fn respond(&mut self, id: RequestId, response: N::Response) {
        self.effects.push(Effect::Respond { id, response });
    }

    /// Write a free-text note into the trace (ignored when tracing is off).
    pub fn note(&mut self, text: impl Into<String>) {
        self.effects.push(Effect::Note { text: text.into() });
    }
}
