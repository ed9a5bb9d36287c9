//! # A Multi-Paxos sketch: a stable leader skips phase 1
//!
//! A replicated log needs one consensus decision per slot. Running single-decree Paxos for
//! every slot costs two round trips and $4n$ messages per value ($n$ acceptors): `Prepare`,
//! `Promise`, `Accept`, `Accepted`. Lamport's observation (2001, §3): phase 1 does not depend
//! on the value, so a leader can run it **once for all slots from $s$ on** — one `Prepare(b,
//! s)` whose promises report what each acceptor accepted in any slot $\ge s$ — and then run
//! only phase 2 for each new value, as long as no other leader takes over. Per decided value
//! that is one round trip and
//!
//! $$\frac{2n + K \cdot 2n}{K} = 2n + \frac{2n}{K} \;\to\; 2n \quad (K \text{ values}),$$
//!
//! half the single-decree cost. This sketch has one leader that never crashes (leader change
//! is exactly single-decree phase 1 again); messages may be lost, and the leader retransmits.
//! Values are decided one slot at a time (no pipelining), so the latency per value is one
//! round trip with the stable leader and two without.
//!
//! ```
//! use course_lib::dist::Dist;
//! use course_lib::paxos::multi::{run, MultiConfig};
//! use course_lib::sim::Network;
//! let config = MultiConfig::new(5, 100).network(Network::new(Dist::constant(5.0)?));
//! let stable = run(&config.clone().stable_leader(true), 1)?;
//! let per_slot = run(&config.stable_leader(false), 1)?;
//! assert_eq!(stable.messages_per_value(), 2.0 * 5.0 + 2.0 * 5.0 / 100.0);
//! assert_eq!(per_slot.messages_per_value(), 4.0 * 5.0);
//! # Ok::<(), course_lib::Error>(())
//! ```
//!
//! Reading: Lamport, "Paxos Made Simple" (2001), §3; Chandra, Griesemer and Redstone, "Paxos
//! Made Live" (2007), §5.2 (master leases, skipping phase 1).

use std::collections::HashMap;
use std::fmt;

use super::{Ballot, Value};
use crate::error::{validate, Result};
use crate::sim::{Ctx, Experiment, Network, Node, NodeId};

/// Messages of the sketch; `slot` numbers the log position.
#[derive(Clone, PartialEq, Eq)]
pub enum MultiMsg {
    /// Phase 1a for every slot `≥ from_slot`.
    Prepare {
        /// The ballot.
        ballot: Ballot,
        /// First slot covered.
        from_slot: usize,
    },
    /// Phase 1b: what the acceptor accepted in slots `≥ from_slot`.
    Promise {
        /// The ballot.
        ballot: Ballot,
        /// (slot, ballot, value) accepted earlier.
        accepted: Vec<(usize, Ballot, Value)>,
    },
    /// Phase 2a for one slot.
    Accept {
        /// The ballot.
        ballot: Ballot,
        /// The slot.
        slot: usize,
        /// The value.
        value: Value,
    },
    /// Phase 2b for one slot.
    Accepted {
        /// The ballot.
        ballot: Ballot,
        /// The slot.
        slot: usize,
    },
}

impl fmt::Debug for MultiMsg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MultiMsg::Prepare { ballot, from_slot } => {
                write!(f, "Prepare {ballot} [{from_slot}..]")
            }
            MultiMsg::Promise { ballot, accepted } => {
                write!(f, "Promise {ballot} ({} accepted)", accepted.len())
            }
            MultiMsg::Accept { ballot, slot, value } => {
                write!(f, "Accept {ballot} [{slot}] v{value}")
            }
            MultiMsg::Accepted { ballot, slot } => write!(f, "Accepted {ballot} [{slot}]"),
        }
    }
}

/// Configuration of a Multi-Paxos run: `n` acceptors (nodes 1..=n) and a leader (node 0)
/// that gets `slots` values decided, `1000 + slot` in slot `slot`.
#[derive(Clone, Debug)]
pub struct MultiConfig {
    acceptors: usize,
    slots: usize,
    stable_leader: bool,
    network: Network,
    retry_ms: f64,
}

impl MultiConfig {
    /// `acceptors ≥ 1`, `slots ≥ 1` (checked when run); defaults: stable leader, the Paxos
    /// [`default_network`](super::default_network) (one-way delay uniform in 1–9 ms, no loss),
    /// retransmission after 40 ms.
    pub fn new(acceptors: usize, slots: usize) -> MultiConfig {
        MultiConfig {
            acceptors,
            slots,
            stable_leader: true,
            network: super::default_network(),
            retry_ms: 40.0,
        }
    }

    /// `true`: phase 1 once, then phase 2 per slot; `false`: both phases for every slot (as
    /// single-decree Paxos per slot).
    pub fn stable_leader(mut self, on: bool) -> Self {
        self.stable_leader = on;
        self
    }

    /// The network (delays, loss, per-link overrides).
    pub fn network(mut self, network: Network) -> Self {
        self.network = network;
        self
    }
}

/// What the leader is waiting for.
#[derive(Clone, Debug)]
pub enum LeaderPhase {
    /// Promises for its ballot.
    Preparing {
        /// Acceptors that promised.
        from: Vec<usize>,
        /// Highest accepted (ballot, value) reported per slot.
        adopted: HashMap<usize, (Ballot, Value)>,
    },
    /// `Accepted`s for one slot.
    Accepting {
        /// The slot.
        slot: usize,
        /// The value proposed in it.
        value: Value,
        /// Acceptors that accepted.
        from: Vec<usize>,
    },
    /// Every slot is decided.
    Finished,
}

/// The leader (node 0) or an acceptor.
#[derive(Clone, Debug)]
pub enum MultiNode {
    /// The leader.
    Leader {
        /// Configuration.
        stable: bool,
        /// Number of acceptors.
        acceptors: usize,
        /// Slots to fill.
        slots: usize,
        /// Retransmission timeout (ms).
        retry_ms: f64,
        /// Current ballot.
        ballot: Ballot,
        /// Phase.
        phase: LeaderPhase,
        /// Next slot to fill.
        next: usize,
        /// Values phase 1 forced on slots (slot → (ballot, value)).
        forced: HashMap<usize, (Ballot, Value)>,
        /// Decided values per slot, with the time.
        decided: Vec<(f64, Value)>,
        /// Phase-1 rounds run.
        prepares: usize,
        /// Timer generation.
        attempt: u64,
    },
    /// An acceptor: one promise for all slots, an accepted pair per slot.
    Acceptor {
        /// Highest ballot promised.
        promised: Ballot,
        /// Per slot: last accepted (ballot, value).
        accepted: HashMap<usize, (Ballot, Value)>,
    },
}

impl fmt::Debug for LeaderPhaseTimer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "retransmit")
    }
}

/// The leader's retransmission timer.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct LeaderPhaseTimer(u64);

impl MultiNode {
    fn start_prepare(&mut self, ctx: &mut Ctx<MultiNode>) {
        if let MultiNode::Leader {
            acceptors,
            ballot,
            phase,
            next,
            prepares,
            attempt,
            retry_ms,
            ..
        } = self
        {
            *ballot = Ballot::new(ballot.round + 1, 0);
            *prepares += 1;
            *phase = LeaderPhase::Preparing { from: Vec::new(), adopted: HashMap::new() };
            for a in 1..=*acceptors {
                ctx.send(NodeId(a), MultiMsg::Prepare { ballot: *ballot, from_slot: *next });
            }
            *attempt += 1;
            ctx.set_timer(*retry_ms, LeaderPhaseTimer(*attempt));
        }
    }

    fn start_accept(&mut self, ctx: &mut Ctx<MultiNode>) {
        if let MultiNode::Leader {
            acceptors,
            ballot,
            phase,
            next,
            forced,
            attempt,
            retry_ms,
            slots,
            ..
        } = self
        {
            if *next >= *slots {
                *phase = LeaderPhase::Finished;
                return;
            }
            let slot = *next;
            let value = forced.get(&slot).map_or(1000 + slot as Value, |&(_, v)| v);
            *phase = LeaderPhase::Accepting { slot, value, from: Vec::new() };
            for a in 1..=*acceptors {
                ctx.send(NodeId(a), MultiMsg::Accept { ballot: *ballot, slot, value });
            }
            *attempt += 1;
            ctx.set_timer(*retry_ms, LeaderPhaseTimer(*attempt));
        }
    }
}

impl Node for MultiNode {
    type Msg = MultiMsg;
    type Timer = LeaderPhaseTimer;
    type Request = ();
    type Response = ();

    fn on_start(&mut self, ctx: &mut Ctx<Self>) {
        if matches!(self, MultiNode::Leader { .. }) {
            self.start_prepare(ctx);
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: MultiMsg) {
        let mut next_step = None;
        match self {
            MultiNode::Acceptor { promised, accepted } => match msg {
                MultiMsg::Prepare { ballot, from_slot } if ballot > *promised => {
                    *promised = ballot;
                    let mut acc: Vec<(usize, Ballot, Value)> = accepted
                        .iter()
                        .filter(|(&s, _)| s >= from_slot)
                        .map(|(&s, &(b, v))| (s, b, v))
                        .collect();
                    acc.sort_by_key(|x| x.0);
                    ctx.send(from, MultiMsg::Promise { ballot, accepted: acc });
                }
                MultiMsg::Accept { ballot, slot, value } if ballot >= *promised => {
                    *promised = ballot;
                    accepted.insert(slot, (ballot, value));
                    ctx.send(from, MultiMsg::Accepted { ballot, slot });
                }
                _ => {}
            },
            MultiNode::Leader {
                acceptors,
                ballot,
                phase,
                next,
                forced,
                decided,
                stable,
                slots,
                ..
            } => {
                let majority = *acceptors / 2 + 1;
                match (phase, msg) {
                    (
                        LeaderPhase::Preparing { from: seen, adopted },
                        MultiMsg::Promise { ballot: b, accepted },
                    ) if b == *ballot && !seen.contains(&from.0) => {
                        seen.push(from.0);
                        for (s, b2, v) in accepted {
                            let e = adopted.entry(s).or_insert((b2, v));
                            if b2 > e.0 {
                                *e = (b2, v);
                            }
                        }
                        if seen.len() == majority {
                            forced.extend(adopted.drain());
                            next_step = Some(false);
                        }
                    }
                    (
                        LeaderPhase::Accepting { slot, value, from: seen },
                        MultiMsg::Accepted { ballot: b, slot: s },
                    ) if b == *ballot && s == *slot && !seen.contains(&from.0) => {
                        seen.push(from.0);
                        if seen.len() == majority {
                            decided.push((ctx.now_ms(), *value));
                            *next += 1;
                            // The next slot: phase 2 only with a stable leader; both phases
                            // otherwise; nothing once every slot is decided.
                            next_step = Some(!*stable && *next < *slots);
                        }
                    }
                    _ => {}
                }
            }
        }
        match next_step {
            Some(true) => self.start_prepare(ctx),
            Some(false) => self.start_accept(ctx),
            None => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Self>, LeaderPhaseTimer(t): LeaderPhaseTimer) {
        let (preparing, resend) = match self {
            MultiNode::Leader { attempt, phase, .. } if *attempt == t => match phase {
                LeaderPhase::Preparing { .. } => (true, false),
                LeaderPhase::Accepting { .. } => (false, true),
                LeaderPhase::Finished => (false, false),
            },
            _ => (false, false),
        };
        if preparing {
            self.start_prepare(ctx);
        } else if resend {
            // Retransmit the Accept with the same ballot (acceptors answer duplicates again).
            if let MultiNode::Leader {
                acceptors,
                ballot,
                phase: LeaderPhase::Accepting { slot, value, from },
                attempt,
                retry_ms,
                ..
            } = self
            {
                for a in 1..=*acceptors {
                    if !from.contains(&a) {
                        ctx.send(
                            NodeId(a),
                            MultiMsg::Accept { ballot: *ballot, slot: *slot, value: *value },
                        );
                    }
                }
                *attempt += 1;
                ctx.set_timer(*retry_ms, LeaderPhaseTimer(*attempt));
            }
        }
    }

    fn restarted(&self) -> Self {
        self.clone()
    }
}

/// What a Multi-Paxos run did.
#[derive(Clone, Debug)]
pub struct MultiRun {
    /// Values decided, in slot order, with the time (ms) each was decided.
    pub decided: Vec<(f64, Value)>,
    /// Messages sent in all.
    pub messages: u64,
    /// Phase-1 rounds the leader ran.
    pub prepares: usize,
    /// When the last value was decided (ms).
    pub end_ms: f64,
    /// Per slot: the values a majority of acceptors accepted in one ballot (the chosen values;
    /// more than one distinct value in a slot would be a violation).
    pub chosen: Vec<Vec<Value>>,
}

impl MultiRun {
    /// Messages sent per decided value.
    pub fn messages_per_value(&self) -> f64 {
        self.messages as f64 / self.decided.len().max(1) as f64
    }

    /// Mean time per decided value (ms).
    pub fn ms_per_value(&self) -> f64 {
        self.end_ms / self.decided.len().max(1) as f64
    }

    /// Every slot decided exactly the value chosen in it, and each slot has one chosen value.
    pub fn consistent(&self) -> bool {
        self.decided.len() == self.chosen.len()
            && self.decided.iter().zip(&self.chosen).all(|(&(_, v), c)| {
                let mut c = c.clone();
                c.dedup();
                c == vec![v]
            })
    }
}

/// Run the sketch until every slot is decided (or 60 s of virtual time pass).
pub fn run(config: &MultiConfig, seed: u64) -> Result<MultiRun> {
    validate::at_least("acceptors", config.acceptors, 1)?;
    validate::at_least("slots", config.slots, 1)?;
    let mut nodes = vec![MultiNode::Leader {
        stable: config.stable_leader,
        acceptors: config.acceptors,
        slots: config.slots,
        retry_ms: config.retry_ms,
        ballot: Ballot::ZERO,
        phase: LeaderPhase::Finished,
        next: 0,
        forced: HashMap::new(),
        decided: Vec::new(),
        prepares: 0,
        attempt: 0,
    }];
    for _ in 0..config.acceptors {
        nodes.push(MultiNode::Acceptor { promised: Ballot::ZERO, accepted: HashMap::new() });
    }
    let report =
        Experiment::new(nodes).network(config.network.clone()).horizon_ms(60_000.0).run(seed)?;
    let sim = report.sim();
    let (decided, prepares) = match &sim.nodes()[0] {
        MultiNode::Leader { decided, prepares, .. } => (decided.clone(), *prepares),
        MultiNode::Acceptor { .. } => unreachable!("node 0 is the leader"),
    };
    let majority = config.acceptors / 2 + 1;
    let mut chosen = vec![Vec::new(); config.slots];
    for (slot, c) in chosen.iter_mut().enumerate() {
        let mut votes: HashMap<(Ballot, Value), usize> = HashMap::new();
        for node in &sim.nodes()[1..] {
            if let MultiNode::Acceptor { accepted, .. } = node {
                if let Some(&bv) = accepted.get(&slot) {
                    *votes.entry(bv).or_default() += 1;
                }
            }
        }
        let mut vs: Vec<Value> =
            votes.into_iter().filter(|&(_, k)| k >= majority).map(|((_, v), _)| v).collect();
        vs.sort_unstable();
        *c = vs;
    }
    Ok(MultiRun {
        end_ms: decided.last().map_or(0.0, |d| d.0),
        decided,
        messages: sim.stats().sent,
        prepares,
        chosen,
    })
}
