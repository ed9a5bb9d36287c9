//! # A deterministic discrete-event simulator for distributed systems
//!
//! Real distributed systems are hard to study because nothing repeats: delays differ on
//! every run, failures arrive when they please, and a bug seen once may never be seen again.
//! This simulator removes the accident while keeping the uncertainty:
//!
//! * **Virtual time.** The simulator keeps a queue of future events ordered by time. It takes
//!   the earliest, advances the clock to it, and hands it to a node. Nothing sleeps, so a
//!   minute of simulated traffic takes milliseconds to run.
//! * **Nodes are state machines** ([`Node`]): a handler takes one input (a message, a timer,
//!   a client request), changes the node's state and records effects in a [`Ctx`] (messages
//!   to send, timers to set, responses). The simulator turns effects into future events.
//! * **The network is data** ([`Network`], [`Link`]): every directed link has a delay
//!   distribution, a loss probability, a duplication probability and FIFO or reordering
//!   delivery.
//! * **Faults are data** ([`FaultSchedule`]): node crashes and restarts (durable state
//!   survives, volatile state does not), partitions that start and heal at given times, and
//!   one-way link failures. A schedule prints as a readable list.
//! * **Everything is recorded** ([`Trace`]) when tracing is on, and counted ([`SimStats`])
//!   always.
//! * **One seed decides everything.** The network, each node and the fault generator draw
//!   from separate streams of one seed ([`SimRng::stream`]). Same seed, same configuration →
//!   the identical trace, on any machine. Ties in time are broken by the order events were
//!   scheduled, never by chance or by memory addresses.
//!
//! Formally, a run is a sequence of events $e_1, e_2, \dots$ with non-decreasing times
//! $t_1 \le t_2 \le \dots$; the state after $e_k$ is a function of the initial state, the
//! seed and $e_1 \dots e_k$ only.
//!
//! ## Example: a ping that may be lost
//! ```
//! use course_lib::prelude::*;
//! use course_lib::sim::demo::PingPong;
//!
//! # fn main() -> course_lib::Result<()> {
//! let net = Network::new(Dist::exponential_mean(5.0)?).with_loss(0.1);
//! let mut sim = SimBuilder::new(42)
//!     .network(net)
//!     .trace(true)
//!     .build(PingPong::pair(10))?; // n0 pings n1 ten times, one at a time, retrying on timeout
//! sim.run_until_ms(1_000.0);
//! println!("{}", sim.stats());
//! assert_eq!(sim.node(0)?.completed(), 10);
//! // replaying the same seed gives the same trace, event for event
//! let mut again = SimBuilder::new(42).network(sim.network().clone()).trace(true)
//!     .build(PingPong::pair(10))?;
//! again.run_until_ms(1_000.0);
//! assert_eq!(sim.trace().digest(), again.trace().digest());
//! # Ok(()) }
//! ```
//!
//! ## Experiments: the harness every protocol module runs on
//! Stepping a [`Simulation`] by hand is fine for a first look. An *experiment* is more: the
//! nodes, the network, the faults, the invariants that must hold after every event, the
//! clients whose operations become a [`crate::consistency::History`], and what to report.
//! [`Experiment`] holds all of that as one value; [`Experiment::run`] runs it for a seed and
//! [`Experiment::sweep`] over many, replaying the first failing seed with its trace. Every
//! random choice comes from a named [`Stream`] of the seed; a [`Scheduler`] can take over the
//! order of events (the asynchronous model), and [`Simulation::hold`] keeps a link's messages
//! in the network until a lesson releases them.
//!
//! ## Writing a protocol module on the harness
//! A protocol module is **nodes + a network value + faults + invariants + clients + a report**,
//! and nothing else: no run loop, no client driver, no history recorder, no violation type
//! and no stream number of its own (the harness has one of each). Views (tables, figures,
//! sequence diagrams) are built from the plain report in the plot layer, never in the module.
//! The skeleton, which the next modules copy (it is compiled and run as a test):
//!
//! ```
//! use course_lib::consistency::check_cas_register;
//! use course_lib::prelude::*;
//! use course_lib::sim::{Bugs, Experiment, KvRequest, KvResponse, Sweep, Target, Workload};
//!
//! /// 1. Planted bugs: an enum; `Bugs::default()` is the correct protocol.
//! #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
//! pub enum Bug { ReadOwnCopy }
//!
//! /// 2. The configuration: public fields, setters that never fail, checked in `experiment`.
//! #[derive(Clone, Debug)]
//! pub struct Config { pub replicas: usize, pub network: Network, pub bugs: Bugs<Bug> }
//!
//! /// 3. The node: a state machine ([`Node`]). Nodes that serve clients speak KvRequest/KvResponse.
//! #[derive(Clone, Debug)]
//! pub struct Replica { value: Option<i64>, bugs: Bugs<Bug> }
//! impl Node for Replica {
//!     type Msg = i64; type Timer = (); type Request = KvRequest; type Response = KvResponse;
//!     fn on_message(&mut self, _: &mut Ctx<Self>, _: NodeId, v: i64) { self.value = Some(v); }
//!     fn on_request(&mut self, ctx: &mut Ctx<Self>, id: RequestId, req: KvRequest) {
//!         let primary = ctx.id() == NodeId(0);
//!         let answer = match req {
//!             KvRequest::Put { value, .. } if primary => {
//!                 self.value = Some(value);
//!                 ctx.broadcast(value); // asynchronous copies to the backups
//!                 KvResponse::Written
//!             }
//!             KvRequest::Get { .. } if primary || self.bugs.has(Bug::ReadOwnCopy) => {
//!                 KvResponse::Value(self.value)
//!             }
//!             _ => KvResponse::NotLeader(Some(NodeId(0))),
//!         };
//!         ctx.respond(id, answer);
//!     }
//!     fn restarted(&self) -> Self { self.clone() } // durable: everything
//! }
//!
//! /// 4. The experiment: nodes + network + faults + invariants + clients + checks.
//! pub fn experiment(cfg: &Config, workload: Workload) -> Result<Experiment<Replica>> {
//!     course_lib::error::validate::at_least("replicas", cfg.replicas, 1)?;
//!     let nodes = vec![Replica { value: None, bugs: cfg.bugs.clone() }; cfg.replicas];
//!     Ok(Experiment::new(nodes).network(cfg.network.clone()).horizon_ms(2_000.0)
//!         .clients(workload)
//!         .check_history("linearizable", |h| match check_cas_register(h).is_linearizable() {
//!             true => Ok(()),
//!             false => Err("no linearization exists".into()),
//!         }))
//! }
//!
//! /// 5. The report: plain numbers a notebook prints, plots or asserts.
//! pub struct Outcome { pub operations: usize, pub linearizable: bool }
//! pub fn run(cfg: &Config, workload: Workload, seed: u64) -> Result<Outcome> {
//!     let report = experiment(cfg, workload)?.run(seed)?;
//!     let operations = report.history().map_or(0, |h| h.len());
//!     Ok(Outcome { operations, linearizable: report.passed() })
//! }
//!
//! # fn main() -> course_lib::Result<()> {
//! // 6. Tests: the correct protocol passes every seed; the planted bug is caught.
//! let net = Network::new(Dist::uniform(1.0, 5.0)?);
//! let cfg = Config { replicas: 3, network: net, bugs: Bugs::none() };
//! let wl = Workload::new(3, 20).target(Target::Random);
//! assert_eq!(run(&cfg, wl.clone(), 1)?.operations, 60);
//! assert!(experiment(&cfg, wl.clone())?.sweep(0..20, Sweep::StopAtFirst)?.passed());
//! let buggy = Config { bugs: Bugs::one(Bug::ReadOwnCopy), ..cfg };
//! let found = experiment(&buggy, wl)?.sweep(0..20, Sweep::StopAtFirst)?;
//! assert!(!found.passed(), "the checker catches the planted bug");
//! println!("{found}"); // names the seed; found.replay() has the traced run
//! # Ok(()) }
//! ```
//!
//! The rules behind the skeleton:
//! * **Randomness** only from the node's [`Ctx::rng`], the network, the clients and the
//!   faults stream ([`Experiment::faults_from`]); a module never calls `SimRng::stream` with
//!   a number of its own ([`Stream`] names every stream).
//! * **Errors**: setters store, `experiment`/`run` validate, with [`crate::Error`] values that
//!   name the parameter and say what is allowed.
//! * **Invariants** are checked after every event ([`Experiment::invariant`]), liveness at the
//!   end ([`Experiment::property`]), client histories by the checkers of
//!   [`crate::consistency`] ([`Experiment::check_history`]); all fail as one [`Violation`].
//!   A check that must remember what it saw (a leader's log before this event) is a
//!   [`Monitor`], made fresh for every run ([`Experiment::monitor`]; Raft's five properties
//!   are one).
//! * **Stepping by hand**: a lesson that looks between events, or sends requests of its own,
//!   starts the run ([`Experiment::start`] → [`Run`]) and steps it; the clients, invariants and
//!   monitors act exactly as in [`Experiment::run`] (a test checks the two are the same run).
//!   A module's interactive view (Raft's `Cluster`) wraps a [`Run`], it does not loop itself.
//! * **Clients** of a leader-based store use [`Target::Leader`]; a sharded store (Multi-Raft)
//!   sets [`Workload::shards`], and key `k` goes to shard [`shard_of`]`(k, shards)`.
//! * **Tests** per module: unit tests of the node, a sweep over many seeds that must pass,
//!   each planted bug caught by a sweep, published numbers reproduced within the source's
//!   tolerance, and a pinned digest in `tests/determinism_digests.rs`.
//!
//! ## Reading
//! * M. Kleppmann, *Designing Data-Intensive Applications*, ch. 8 "The Trouble with
//!   Distributed Systems" (2017).
//! * FoundationDB's deterministic simulation testing: J. Zhou et al., "FoundationDB: A
//!   Distributed Unbundled Transactional Key Value Store", SIGMOD 2021, §4.
//! * The style follows stateright's actor model and turmoil's simulated network.

pub mod bugs;
pub mod clients;
mod faults;
pub mod harness;
mod network;
mod node;
pub mod schedule;
pub mod stream;
mod time;
mod trace;

pub mod demo;

pub use bugs::Bugs;
pub use clients::{shard_of, Arrivals, KvRequest, KvResponse, Scripted, Target, Workload};
pub use faults::{Fault, FaultSchedule};
pub use harness::{Experiment, Monitor, Report, Run, Sweep, SweepReport, Violation};
pub use network::{Link, Network};
pub use node::{Ctx, Node};
pub use schedule::{EarliestFirst, Pending, PendingKind, RandomOrder, SchedView, Scheduler};
pub use stream::Stream;
pub use time::{NodeId, RequestId, Time, TimerId};
pub use trace::{DropReason, Trace, TraceEvent, TraceKind};

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::fmt;

use crate::dist::Dist;
use crate::error::{validate, Error, Result};
use crate::rng::SimRng;
pub(crate) use node::Effect;

/// Counters kept for every run, traced or not.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SimStats {
    /// Events taken off the queue.
    pub events: u64,
    /// Messages sent by nodes.
    pub sent: u64,
    /// Messages handed to their receiver.
    pub delivered: u64,
    /// Messages dropped by link loss.
    pub lost: u64,
    /// Messages dropped by a partition or a downed link.
    pub cut: u64,
    /// Messages that arrived at a crashed node.
    pub to_crashed: u64,
    /// Messages addressed to a node that does not exist.
    pub misaddressed: u64,
    /// Extra copies made by link duplication.
    pub duplicated: u64,
    /// Timers that fired.
    pub timers_fired: u64,
    /// Client requests handed to a running node.
    pub requests: u64,
    /// Client requests that reached a crashed node.
    pub requests_lost: u64,
    /// Responses to client requests.
    pub responses: u64,
    /// Crashes that happened (a crash of an already crashed node does not count).
    pub crashes: u64,
    /// Restarts that happened.
    pub restarts: u64,
}

impl fmt::Display for SimStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "events {}, sent {}, delivered {}, lost {}, cut {}, to crashed {}, duplicated {}, \
             timers {}, requests {} (lost {}), responses {}, crashes {}, restarts {}",
            self.events,
            self.sent,
            self.delivered,
            self.lost,
            self.cut,
            self.to_crashed,
            self.duplicated,
            self.timers_fired,
            self.requests,
            self.requests_lost,
            self.responses,
            self.crashes,
            self.restarts
        )
    }
}

/// A client request that was answered.
pub struct Answered<N: Node> {
    /// The request's id.
    pub id: RequestId,
    /// The node that received it.
    pub node: NodeId,
    /// What was asked.
    pub request: N::Request,
    /// What was answered.
    pub response: N::Response,
    /// When the request reached the node.
    pub issued: Time,
    /// When the node answered.
    pub answered: Time,
}

impl<N: Node> Answered<N> {
    /// Time from request to answer, in ms.
    pub fn latency_ms(&self) -> f64 {
        (self.answered - self.issued).as_ms()
    }
}

impl<N: Node> fmt::Debug for Answered<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at {}: {:?} → {:?} ({:.3} ms)",
            self.id,
            self.node,
            self.request,
            self.response,
            self.latency_ms()
        )
    }
}

enum Ev<N: Node> {
    Deliver { from: usize, to: usize, msg_id: u64, msg: N::Msg },
    Timer { node: usize, id: TimerId, incarnation: u32, timer: N::Timer },
    Request { node: usize, id: RequestId, request: N::Request },
    Fault { index: usize, start: bool },
}

/// A queue entry: when, the tie-breaking sequence number, and the slab slot holding the event.
/// The heap moves only these 24-byte keys; events stay put in the slab.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Key {
    time: Time,
    seq: u64,
    slot: u32,
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Key {
    /// Reversed, so that `BinaryHeap` (a max-heap) pops the earliest event first; equal
    /// times pop in the order they were scheduled (`seq` is unique, so `slot` never decides).
    fn cmp(&self, other: &Self) -> Ordering {
        other.time.cmp(&self.time).then_with(|| other.seq.cmp(&self.seq))
    }
}

/// The future-event list: a binary heap of [`Key`]s over a slab of events.
struct EventQueue<N: Node> {
    heap: BinaryHeap<Key>,
    slab: Vec<Option<Ev<N>>>,
    free: Vec<u32>,
}

impl<N: Node> EventQueue<N> {
    fn new() -> Self {
        EventQueue { heap: BinaryHeap::new(), slab: Vec::new(), free: Vec::new() }
    }

    #[inline]
    fn push(&mut self, time: Time, seq: u64, ev: Ev<N>) {
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slab[slot as usize] = Some(ev);
                slot
            }
            None => {
                self.slab.push(Some(ev));
                (self.slab.len() - 1) as u32
            }
        };
        self.heap.push(Key { time, seq, slot });
    }

    #[inline]
    fn pop(&mut self) -> Option<(Time, Ev<N>)> {
        let key = self.heap.pop()?;
        let ev = self.slab[key.slot as usize].take().expect("a queued slot holds its event");
        self.free.push(key.slot);
        Some((key.time, ev))
    }

    #[inline]
    fn peek_time(&self) -> Option<Time> {
        self.heap.peek().map(|k| k.time)
    }

    fn len(&self) -> usize {
        self.heap.len()
    }

    /// Take one queued event out of order (schedulers only; linear in the queue's length).
    fn remove(&mut self, key: Key) -> Option<Ev<N>> {
        let before = self.heap.len();
        self.heap.retain(|k| k.seq != key.seq);
        if self.heap.len() == before {
            return None;
        }
        let ev = self.slab[key.slot as usize].take();
        self.free.push(key.slot);
        ev
    }
}

/// Configures a [`Simulation`]: seed, network, faults, tracing. Start with
/// [`SimBuilder::new`].
#[derive(Clone, Debug)]
pub struct SimBuilder {
    seed: u64,
    network: Option<Network>,
    faults: FaultSchedule,
    trace: bool,
}

impl SimBuilder {
    /// Start configuring a simulation with this seed.
    pub fn new(seed: u64) -> SimBuilder {
        SimBuilder { seed, network: None, faults: FaultSchedule::new(), trace: false }
    }

    /// The network (default: every link reliable with a constant 1 ms delay).
    pub fn network(mut self, network: Network) -> SimBuilder {
        self.network = Some(network);
        self
    }

    /// Faults to inject.
    pub fn faults(mut self, faults: FaultSchedule) -> SimBuilder {
        self.faults = faults;
        self
    }

    /// Record every event in a [`Trace`] (default off: tracing costs memory and time).
    pub fn trace(mut self, on: bool) -> SimBuilder {
        self.trace = on;
        self
    }

    /// Build the simulation over `nodes` (node `i` gets id `n{i}`), check the network and
    /// fault schedule against the cluster, and start every node (`on_start` at time 0, in
    /// id order).
    pub fn build<N: Node>(self, nodes: Vec<N>) -> Result<Simulation<N>> {
        let n = nodes.len();
        if n == 0 {
            return Err(Error::empty("the cluster", "a simulation needs at least one node"));
        }
        let network = match self.network {
            Some(net) => net,
            None => Network::new(Dist::constant(1.0)?),
        };
        network.validate(n)?;
        self.faults.validate(n)?;
        let (links, link_index) = network.dense(n);
        let mut sim = Simulation {
            seed: self.seed,
            now: Time::ZERO,
            up: vec![true; n],
            incarnation: vec![0; n],
            node_rngs: (0..n).map(|i| Stream::Node(i).rng(self.seed)).collect(),
            net_rng: Stream::Network.rng(self.seed),
            links,
            link_index,
            last_arrival: vec![Time::ZERO; n * n],
            cut: vec![0; n * n],
            held: vec![false; n * n],
            holds: 0,
            parked: Vec::new(),
            scheduler: None,
            sched_rng: Stream::Scheduler.rng(self.seed),
            queue: EventQueue::new(),
            seq: 0,
            next_msg: 0,
            next_timer: 0,
            next_request: 0,
            cancelled: HashSet::new(),
            pending: HashMap::new(),
            answered: Vec::new(),
            effects: Vec::new(),
            tracing: self.trace,
            trace: Trace::default(),
            stats: SimStats::default(),
            network,
            faults: self.faults,
            nodes,
        };
        let faults = sim.faults.faults().to_vec();
        for (index, fault) in faults.iter().enumerate() {
            match fault {
                Fault::Crash { at_ms, .. } | Fault::Restart { at_ms, .. } => {
                    sim.push(Time::from_ms(*at_ms), Ev::Fault { index, start: true });
                }
                Fault::Partition { from_ms, until_ms, .. }
                | Fault::LinkDown { from_ms, until_ms, .. } => {
                    sim.push(Time::from_ms(*from_ms), Ev::Fault { index, start: true });
                    if until_ms.is_finite() {
                        sim.push(Time::from_ms(*until_ms), Ev::Fault { index, start: false });
                    }
                }
            }
        }
        for i in 0..n {
            sim.call(i, |node, ctx| node.on_start(ctx));
        }
        Ok(sim)
    }
}

/// A running simulation of a cluster of nodes of type `N`.
pub struct Simulation<N: Node> {
    seed: u64,
    now: Time,
    nodes: Vec<N>,
    up: Vec<bool>,
    incarnation: Vec<u32>,
    node_rngs: Vec<SimRng>,
    net_rng: SimRng,
    links: Vec<Link>,
    link_index: Vec<u32>,
    last_arrival: Vec<Time>,
    cut: Vec<u32>,
    held: Vec<bool>,
    holds: usize,
    parked: Vec<(usize, usize, u64, N::Msg)>,
    scheduler: Option<Box<dyn Scheduler<N>>>,
    sched_rng: SimRng,
    queue: EventQueue<N>,
    seq: u64,
    next_msg: u64,
    next_timer: u64,
    next_request: u64,
    cancelled: HashSet<TimerId>,
    pending: HashMap<RequestId, (NodeId, N::Request, Time)>,
    answered: Vec<Answered<N>>,
    effects: Vec<Effect<N>>,
    tracing: bool,
    trace: Trace<N>,
    stats: SimStats,
    network: Network,
    faults: FaultSchedule,
}

impl<N: Node> Simulation<N> {
    // ---- running ----------------------------------------------------------------------

    /// Process the next event. Returns its time, or `None` when nothing is left to happen.
    /// Use this to check an invariant after every event.
    pub fn step(&mut self) -> Option<Time> {
        if self.scheduler.is_some() {
            return self.step_scheduled(Time::MAX);
        }
        let (time, ev) = self.queue.pop()?;
        self.now = time;
        self.process(ev);
        Some(self.now)
    }

    #[inline(always)]
    fn process(&mut self, ev: Ev<N>) {
        let time = self.now;
        self.stats.events += 1;
        match ev {
            Ev::Deliver { from, to, msg_id, msg } => self.deliver(from, to, msg_id, msg),
            Ev::Timer { node, id, incarnation, timer } => {
                if !self.up[node] || incarnation != self.incarnation[node] {
                    return;
                }
                if !self.cancelled.is_empty() && self.cancelled.remove(&id) {
                    return;
                }
                self.stats.timers_fired += 1;
                if self.tracing {
                    self.record(TraceKind::Timer { node: NodeId(node), timer: timer.clone() });
                }
                self.call(node, |n, ctx| n.on_timer(ctx, timer));
            }
            Ev::Request { node, id, request } => {
                if !self.up[node] {
                    self.stats.requests_lost += 1;
                    if self.tracing {
                        self.record(TraceKind::RequestDropped { node: NodeId(node), id });
                    }
                    return;
                }
                self.stats.requests += 1;
                self.pending.insert(id, (NodeId(node), request.clone(), time));
                if self.tracing {
                    self.record(TraceKind::Request {
                        node: NodeId(node),
                        id,
                        request: request.clone(),
                    });
                }
                self.call(node, |n, ctx| n.on_request(ctx, id, request));
            }
            Ev::Fault { index, start } => self.apply_fault(index, start),
        }
    }

    /// Run every event up to and including time `t_ms`, then set the clock to `t_ms` (if it
    /// is later than now). Returns the number of events processed.
    pub fn run_until_ms(&mut self, t_ms: f64) -> u64 {
        let until = Time::from_ms(t_ms);
        let before = self.stats.events;
        if self.scheduler.is_some() {
            while self.step_scheduled(until).is_some() {}
        } else {
            // the hot loop: no scheduler to consult, so pop and process directly
            while self.queue.peek_time().is_some_and(|t| t <= until) {
                let Some((time, ev)) = self.queue.pop() else { break };
                self.now = time;
                self.process(ev);
            }
        }
        if until > self.now {
            self.now = until;
        }
        self.stats.events - before
    }

    /// Run for `dt_ms` more milliseconds of virtual time.
    pub fn run_for_ms(&mut self, dt_ms: f64) -> u64 {
        self.run_until_ms(self.now.as_ms() + dt_ms.max(0.0))
    }

    /// Run until no event is left or `max_events` have been processed; returns the number
    /// processed. Protocols with periodic timers never run dry: prefer `run_until_ms`.
    pub fn run_to_quiescence(&mut self, max_events: u64) -> u64 {
        let mut k = 0;
        while k < max_events && self.step().is_some() {
            k += 1;
        }
        k
    }

    /// Run `steps` more events (fewer if nothing is left, or a scheduler stops); returns the
    /// number run. The natural unit of an asynchronous run under a [`Scheduler`].
    pub fn run_steps(&mut self, steps: u64) -> u64 {
        self.run_to_quiescence(steps)
    }

    // ---- the scheduler, and messages held by a lesson ---------------------------------

    /// Let `scheduler` choose every next event from now on (see [`Scheduler`]); its random
    /// numbers come from the [`Stream::Scheduler`] stream of this simulation's seed.
    pub fn set_scheduler(&mut self, scheduler: impl Scheduler<N> + 'static) {
        self.scheduler = Some(Box::new(scheduler));
    }

    /// Back to the timed model: the earliest event next.
    pub fn clear_scheduler(&mut self) {
        self.scheduler = None;
    }

    /// Hold every message from `from` to `to` that would arrive from now on: it stays in the
    /// network, undelivered and not lost, until [`Simulation::release`]. Messages a node sends
    /// to itself are never held. Unknown ids are an error.
    pub fn hold(&mut self, from: usize, to: usize) -> Result<()> {
        self.check_node(from, "Simulation::hold (from)")?;
        self.check_node(to, "Simulation::hold (to)")?;
        let li = from * self.nodes.len() + to;
        if !self.held[li] {
            self.held[li] = true;
            self.holds += 1;
        }
        Ok(())
    }

    /// Stop holding messages from `from` to `to`; the ones held arrive now, in the order they
    /// would have arrived (a partition or a crash that started meanwhile still applies).
    pub fn release(&mut self, from: usize, to: usize) -> Result<()> {
        self.check_node(from, "Simulation::release (from)")?;
        self.check_node(to, "Simulation::release (to)")?;
        let li = from * self.nodes.len() + to;
        if self.held[li] {
            self.held[li] = false;
            self.holds -= 1;
        }
        let parked = std::mem::take(&mut self.parked);
        for (a, b, msg_id, msg) in parked {
            if a == from && b == to {
                self.push(self.now, Ev::Deliver { from: a, to: b, msg_id, msg });
            } else {
                self.parked.push((a, b, msg_id, msg));
            }
        }
        Ok(())
    }

    /// Messages currently held, as (from, to, message id), in arrival order.
    pub fn held_messages(&self) -> Vec<(NodeId, NodeId, u64)> {
        self.parked.iter().map(|(a, b, id, _)| (NodeId(*a), NodeId(*b), *id)).collect()
    }

    /// The next event whose timed-model time is at most `until` (chosen by the scheduler if
    /// there is one); `None` if there is none.
    pub(crate) fn step_until(&mut self, until: Time) -> Option<Time> {
        if self.scheduler.is_some() {
            return self.step_scheduled(until);
        }
        if self.queue.peek_time().is_some_and(|t| t <= until) {
            self.step()
        } else {
            None
        }
    }

    /// Set the clock forward to `t` without running anything (the harness's client driver
    /// acts at `t` next). No effect if `t` is not later than now.
    pub(crate) fn advance_clock(&mut self, t: Time) {
        if t > self.now {
            self.now = t;
        }
    }

    pub(crate) fn set_scheduler_boxed(&mut self, scheduler: Box<dyn Scheduler<N>>) {
        self.scheduler = Some(scheduler);
    }

    /// Is a scheduler choosing the events?
    pub fn has_scheduler(&self) -> bool {
        self.scheduler.is_some()
    }

    /// One event chosen by the scheduler among those the timed model would run by `until`.
    fn step_scheduled(&mut self, until: Time) -> Option<Time> {
        let mut keys: Vec<Key> =
            self.queue.heap.iter().copied().filter(|k| k.time <= until).collect();
        // Key's order is reversed (the heap pops the greatest): sort so the earliest is first.
        keys.sort_unstable_by(|a, b| b.cmp(a));
        // Timers that can no longer fire are not choices: drop them now.
        let mut dead = Vec::new();
        keys.retain(|k| match &self.queue.slab[k.slot as usize] {
            Some(Ev::Timer { node, id, incarnation, .. }) => {
                let live = self.up[*node]
                    && *incarnation == self.incarnation[*node]
                    && !self.cancelled.contains(id);
                if !live {
                    dead.push(*k);
                }
                live
            }
            _ => true,
        });
        for k in dead {
            if let Some(Ev::Timer { id, .. }) = self.queue.remove(k) {
                self.cancelled.remove(&id);
            }
        }
        if keys.is_empty() {
            return None;
        }
        let mut scheduler = self.scheduler.take().expect("step_scheduled runs with a scheduler");
        let choice = {
            let pending: Vec<Pending<'_, N>> = keys
                .iter()
                .map(|k| {
                    let kind = match self.queue.slab[k.slot as usize].as_ref().expect("queued") {
                        Ev::Deliver { from, to, msg_id, msg } => PendingKind::Message {
                            from: NodeId(*from),
                            to: NodeId(*to),
                            msg_id: *msg_id,
                            msg,
                        },
                        Ev::Timer { node, timer, .. } => {
                            PendingKind::Timer { node: NodeId(*node), timer }
                        }
                        Ev::Request { node, id, .. } => {
                            PendingKind::Request { node: NodeId(*node), id: *id }
                        }
                        Ev::Fault { index, start } => {
                            PendingKind::Fault { index: *index, start: *start }
                        }
                    };
                    Pending { time: k.time, kind }
                })
                .collect();
            let view = SchedView {
                now: self.now,
                pending: &pending,
                nodes: &self.nodes,
                up: &self.up,
                step: self.stats.events,
            };
            scheduler.next(&view, &mut self.sched_rng)
        };
        self.scheduler = Some(scheduler);
        let key = *keys.get(choice?)?;
        let ev = self.queue.remove(key).expect("the chosen event is queued");
        self.now = self.now.max(key.time);
        self.process(ev);
        Some(self.now)
    }

    /// Hand a client request to `node` at time `at_ms` (not earlier than now). The node
    /// answers through [`Ctx::respond`]; answers are in [`Simulation::answered`].
    pub fn request_at(
        &mut self,
        at_ms: f64,
        node: usize,
        request: N::Request,
    ) -> Result<RequestId> {
        validate::finite("at_ms", at_ms)?;
        if at_ms < self.now.as_ms() {
            return Err(Error::out_of_range(
                "at_ms",
                at_ms,
                format!(
                    "a request cannot be scheduled in the past: now is {} ms",
                    self.now.as_ms()
                ),
            ));
        }
        self.check_node(node, "a client request")?;
        let id = RequestId(self.next_request);
        self.next_request += 1;
        self.push(Time::from_ms(at_ms), Ev::Request { node, id, request });
        Ok(id)
    }

    // ---- looking at the state ------------------------------------------------------------

    /// The seed this simulation was built with.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Current virtual time.
    pub fn now(&self) -> Time {
        self.now
    }

    /// Current virtual time in ms.
    pub fn now_ms(&self) -> f64 {
        self.now.as_ms()
    }

    /// Number of nodes.
    pub fn cluster_size(&self) -> usize {
        self.nodes.len()
    }

    /// Node `id`'s state (a crashed node shows its state at the moment it crashed).
    pub fn node(&self, id: usize) -> Result<&N> {
        self.check_node(id, "Simulation::node")?;
        Ok(&self.nodes[id])
    }

    /// Node `id`'s state, mutably (for experiments that poke at a node between steps).
    pub fn node_mut(&mut self, id: usize) -> Result<&mut N> {
        self.check_node(id, "Simulation::node_mut")?;
        Ok(&mut self.nodes[id])
    }

    /// All nodes, in id order.
    pub fn nodes(&self) -> &[N] {
        &self.nodes
    }

    /// Is node `id` running (not crashed)? Unknown ids are not up.
    pub fn is_up(&self, id: usize) -> bool {
        self.up.get(id).copied().unwrap_or(false)
    }

    /// Are messages from `from` to `to` currently cut by a partition or link fault?
    pub fn is_cut(&self, from: usize, to: usize) -> bool {
        let n = self.nodes.len();
        from < n && to < n && self.cut[from * n + to] > 0
    }

    /// Counters for the run so far.
    pub fn stats(&self) -> &SimStats {
        &self.stats
    }

    /// The recorded trace (empty unless built with `.trace(true)`).
    pub fn trace(&self) -> &Trace<N> {
        &self.trace
    }

    /// Answered client requests, in the order they were answered.
    pub fn answered(&self) -> &[Answered<N>] {
        &self.answered
    }

    /// Ids of client requests handed to a node and not (yet) answered, sorted.
    pub fn unanswered(&self) -> Vec<RequestId> {
        let mut ids: Vec<RequestId> = self.pending.keys().copied().collect();
        ids.sort();
        ids
    }

    /// The network configuration.
    pub fn network(&self) -> &Network {
        &self.network
    }

    /// The fault schedule.
    pub fn faults(&self) -> &FaultSchedule {
        &self.faults
    }

    /// Was this simulation built with `.trace(true)`?
    pub fn traced(&self) -> bool {
        self.tracing
    }

    /// Time of the next event in the queue, if any (for drivers that step the simulation
    /// themselves and must stop at a deadline).
    pub fn next_event_time(&self) -> Option<Time> {
        self.queue.peek_time()
    }

    /// Number of events waiting in the queue.
    pub fn pending_events(&self) -> usize {
        self.queue.len()
    }

    /// Messages in flight (sent, not yet delivered or dropped; held ones included).
    pub fn messages_in_flight(&self) -> usize {
        let queued =
            self.queue.slab.iter().filter(|e| matches!(e, Some(Ev::Deliver { .. }))).count();
        queued + self.parked.len()
    }

    // ---- internals -----------------------------------------------------------------------

    fn check_node(&self, node: usize, context: &str) -> Result<()> {
        if node < self.nodes.len() {
            Ok(())
        } else {
            Err(Error::UnknownNode {
                node,
                cluster_size: self.nodes.len(),
                context: context.to_string(),
            })
        }
    }

    #[inline]
    fn push(&mut self, time: Time, ev: Ev<N>) {
        let seq = self.seq;
        self.seq += 1;
        self.queue.push(time, seq, ev);
    }

    #[inline]
    fn record(&mut self, kind: TraceKind<N>) {
        self.trace.events.push(TraceEvent { time: self.now, kind });
    }

    /// Run a handler of node `i` and apply the effects it recorded.
    fn call(&mut self, i: usize, handler: impl FnOnce(&mut N, &mut Ctx<N>)) {
        let mut effects = std::mem::take(&mut self.effects);
        {
            let mut ctx = Ctx {
                id: NodeId(i),
                now: self.now,
                cluster_size: self.nodes.len(),
                rng: &mut self.node_rngs[i],
                effects: &mut effects,
                next_timer: &mut self.next_timer,
            };
            handler(&mut self.nodes[i], &mut ctx);
        }
        for effect in effects.drain(..) {
            match effect {
                Effect::Send { to, msg } => self.send(i, to.0, msg),
                Effect::SetTimer { id, after, timer } => {
                    let incarnation = self.incarnation[i];
                    self.push(self.now + after, Ev::Timer { node: i, id, incarnation, timer });
                }
                Effect::CancelTimer { id } => {
                    self.cancelled.insert(id);
                }
                Effect::Respond { id, response } => {
                    if let Some((node, request, issued)) = self.pending.remove(&id) {
                        self.stats.responses += 1;
                        if self.tracing {
                            self.record(TraceKind::Response {
                                node: NodeId(i),
                                id,
                                response: response.clone(),
                            });
                        }
                        self.answered.push(Answered {
                            id,
                            node,
                            request,
                            response,
                            issued,
                            answered: self.now,
                        });
                    }
                }
                Effect::Note { text } => {
                    if self.tracing {
                        self.record(TraceKind::Note { node: NodeId(i), text });
                    }
                }
            }
        }
        self.effects = effects;
    }

    fn send(&mut self, from: usize, to: usize, msg: N::Msg) {
        let msg_id = self.next_msg;
        self.next_msg += 1;
        self.stats.sent += 1;
        let n = self.nodes.len();
        if self.tracing {
            self.record(TraceKind::Send {
                from: NodeId(from),
                to: NodeId(to),
                msg_id,
                msg: msg.clone(),
            });
        }
        if to >= n {
            self.stats.misaddressed += 1;
            self.drop_msg(from, to, msg_id, DropReason::UnknownDestination);
            return;
        }
        if to == from {
            self.push(self.now, Ev::Deliver { from, to, msg_id, msg });
            return;
        }
        let li = from * n + to;
        if self.cut[li] > 0 {
            self.stats.cut += 1;
            self.drop_msg(from, to, msg_id, DropReason::Partition);
            return;
        }
        let link = &self.links[self.link_index[li] as usize];
        if link.loss() > 0.0 && self.net_rng.bernoulli(link.loss()) {
            self.stats.lost += 1;
            self.drop_msg(from, to, msg_id, DropReason::Loss);
            return;
        }
        let fifo = link.fifo();
        let dup = link.duplicate() > 0.0 && self.net_rng.bernoulli(link.duplicate());
        let delay = link.delay().sample_delay(&mut self.net_rng);
        let mut arrival = self.now.plus_ms(delay);
        if fifo {
            arrival = arrival.max(self.last_arrival[li]);
            self.last_arrival[li] = arrival;
        }
        if dup {
            let link = &self.links[self.link_index[li] as usize];
            let delay2 = link.delay().sample_delay(&mut self.net_rng);
            let mut arrival2 = self.now.plus_ms(delay2);
            if fifo {
                arrival2 = arrival2.max(self.last_arrival[li]);
                self.last_arrival[li] = arrival2;
            }
            self.stats.duplicated += 1;
            if self.tracing {
                self.record(TraceKind::Duplicate { from: NodeId(from), to: NodeId(to), msg_id });
            }
            self.push(arrival2, Ev::Deliver { from, to, msg_id, msg: msg.clone() });
        }
        self.push(arrival, Ev::Deliver { from, to, msg_id, msg });
    }

    fn drop_msg(&mut self, from: usize, to: usize, msg_id: u64, reason: DropReason) {
        if self.tracing {
            self.record(TraceKind::Drop { from: NodeId(from), to: NodeId(to), msg_id, reason });
        }
    }

    #[inline(always)]
    fn deliver(&mut self, from: usize, to: usize, msg_id: u64, msg: N::Msg) {
        let n = self.nodes.len();
        if from != to && self.cut[from * n + to] > 0 {
            self.stats.cut += 1;
            self.drop_msg(from, to, msg_id, DropReason::Partition);
            return;
        }
        if self.holds > 0 && from != to && self.held[from * n + to] {
            self.parked.push((from, to, msg_id, msg));
            return;
        }
        if !self.up[to] {
            self.stats.to_crashed += 1;
            self.drop_msg(from, to, msg_id, DropReason::NodeDown);
            return;
        }
        self.stats.delivered += 1;
        if self.tracing {
            self.record(TraceKind::Deliver { from: NodeId(from), to: NodeId(to), msg_id });
        }
        self.call(to, |node, ctx| node.on_message(ctx, NodeId(from), msg));
    }

    fn apply_fault(&mut self, index: usize, start: bool) {
        let n = self.nodes.len();
        let fault = self.faults.faults()[index].clone();
        match fault {
            Fault::Crash { node, .. } => {
                if self.up[node] {
                    self.up[node] = false;
                    self.incarnation[node] += 1;
                    self.stats.crashes += 1;
                    if self.tracing {
                        self.record(TraceKind::Crash { node: NodeId(node) });
                    }
                }
            }
            Fault::Restart { node, .. } => {
                if !self.up[node] {
                    self.nodes[node] = self.nodes[node].restarted();
                    self.up[node] = true;
                    self.stats.restarts += 1;
                    if self.tracing {
                        self.record(TraceKind::Restart { node: NodeId(node) });
                    }
                    self.call(node, |nd, ctx| nd.on_start(ctx));
                }
            }
            Fault::Partition { groups, .. } => {
                let rest = groups.len();
                let mut group_of = vec![rest; n];
                for (g, members) in groups.iter().enumerate() {
                    for &m in members {
                        group_of[m] = g;
                    }
                }
                for a in 0..n {
                    for b in 0..n {
                        if group_of[a] != group_of[b] {
                            self.adjust_cut(a * n + b, start);
                        }
                    }
                }
                self.record_fault(index, start);
            }
            Fault::LinkDown { from, to, .. } => {
                self.adjust_cut(from * n + to, start);
                self.record_fault(index, start);
            }
        }
    }

    fn adjust_cut(&mut self, li: usize, start: bool) {
        if start {
            self.cut[li] += 1;
        } else {
            self.cut[li] = self.cut[li].saturating_sub(1);
        }
    }

    fn record_fault(&mut self, fault: usize, start: bool) {
        if self.tracing {
            self.record(if start {
                TraceKind::FaultStart { fault }
            } else {
                TraceKind::FaultEnd { fault }
            });
        }
    }
}
