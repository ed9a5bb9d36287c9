//! Who decides what happens next: pluggable schedulers.
//!
//! By default the simulator is a *timed* model: every message gets a delay from its link, every
//! timer a deadline, and the earliest event happens next. That is how a real network behaves
//! on average, and it is what most lessons want.
//!
//! An *asynchronous* system makes no such promise: a message may take arbitrarily long, a
//! timeout may fire before a slow reply arrives. To study that model (FLP's theorem, or a
//! search over every interleaving), a [`Scheduler`] takes over the choice: at every step it
//! sees every pending event (messages in flight, timers set, client requests, fault events)
//! and the nodes' states, and picks which one happens next, in any order. Virtual time never
//! runs backwards: an event picked "early" happens at its own time, one picked "late" happens
//! now, as if its message had been slow. The nodes' handlers are the same ones the timed
//! model runs; only the order changes.
//!
//! Schedulers here:
//! * [`EarliestFirst`]: the timed model, as a scheduler (the simulator's fast default does the
//!   same without one; this one exists to test that claim).
//! * [`RandomOrder`]: a uniformly random pending event at every step (an indifferent
//!   asynchronous network), from the experiment's [`super::Stream::Scheduler`] stream.
//!
//! A lesson writes its own by implementing [`Scheduler`] (see `paxos::flp`'s adversary). To
//! hold messages on chosen links without writing a scheduler, use
//! [`super::Simulation::hold`] and [`super::Simulation::release`].

use super::node::Node;
use super::time::{NodeId, RequestId, Time};
use crate::rng::SimRng;

/// What a pending event is, as a scheduler sees it.
#[derive(Debug)]
pub enum PendingKind<'a, N: Node> {
    /// A message in flight.
    Message {
        /// Sender.
        from: NodeId,
        /// Receiver.
        to: NodeId,
        /// The message's id in the trace.
        msg_id: u64,
        /// The message.
        msg: &'a N::Msg,
    },
    /// A timer a running node set (cancelled timers and timers of a crashed incarnation are
    /// not shown: they can no longer fire).
    Timer {
        /// The node.
        node: NodeId,
        /// Its payload.
        timer: &'a N::Timer,
    },
    /// A client request on its way to a node.
    Request {
        /// The node.
        node: NodeId,
        /// The request's id.
        id: RequestId,
    },
    /// A crash, restart, partition start or heal from the fault schedule.
    Fault {
        /// Index into the fault schedule.
        index: usize,
        /// Start (`true`) or end of the fault.
        start: bool,
    },
}

/// One pending event: when the timed model would run it, and what it is.
#[derive(Debug)]
pub struct Pending<'a, N: Node> {
    /// The time the timed model gives it (arrival time, timer deadline, …).
    pub time: Time,
    /// What it is.
    pub kind: PendingKind<'a, N>,
}

/// What a scheduler sees at each step.
pub struct SchedView<'a, N: Node> {
    /// The current virtual time.
    pub now: Time,
    /// Every pending event, in the timed model's order (time, then the order scheduled).
    pub pending: &'a [Pending<'a, N>],
    /// Every node's state (a crashed node shows its state at the crash).
    pub nodes: &'a [N],
    /// Which nodes are up.
    pub up: &'a [bool],
    /// Events processed so far.
    pub step: u64,
}

/// Picks the next event. Return an index into `view.pending`, or `None` to stop the run here
/// (the run ends as if nothing were left to happen).
pub trait Scheduler<N: Node> {
    /// The index of the event to run next, or `None` to stop.
    fn next(&mut self, view: &SchedView<'_, N>, rng: &mut SimRng) -> Option<usize>;
}

/// The timed model as a scheduler: always the first pending event.
#[derive(Clone, Copy, Debug, Default)]
pub struct EarliestFirst;

impl<N: Node> Scheduler<N> for EarliestFirst {
    fn next(&mut self, view: &SchedView<'_, N>, _rng: &mut SimRng) -> Option<usize> {
        if view.pending.is_empty() {
            None
        } else {
            Some(0)
        }
    }
}

/// A uniformly random pending event at every step.
#[derive(Clone, Copy, Debug, Default)]
pub struct RandomOrder;

impl<N: Node> Scheduler<N> for RandomOrder {
    fn next(&mut self, view: &SchedView<'_, N>, rng: &mut SimRng) -> Option<usize> {
        if view.pending.is_empty() {
            None
        } else {
            Some(rng.below(view.pending.len() as u64) as usize)
        }
    }
}

impl<N: Node, F> Scheduler<N> for F
where
    F: FnMut(&SchedView<'_, N>, &mut SimRng) -> Option<usize>,
{
    fn next(&mut self, view: &SchedView<'_, N>, rng: &mut SimRng) -> Option<usize> {
        self(view, rng)
    }
}
