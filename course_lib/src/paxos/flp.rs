//! # FLP in miniature: a scheduler that keeps Paxos from ever deciding
//!
//! Fischer, Lynch and Paterson (1985) proved that in an *asynchronous* system (no bound on
//! message delays or on relative speeds, every message eventually delivered) no
//! *deterministic* consensus protocol that tolerates one crash can guarantee termination:
//! for every such protocol there is an admissible schedule on which it never decides. The
//! theorem is about *all* protocols and allows the schedule one crash; this module shows the
//! phenomenon for one protocol, Paxos, where no crash is even needed.
//!
//! Here the network and the clocks are replaced by a **scheduler** that, at every step,
//! picks the next event: the delivery of one in-flight message, or the firing of one
//! proposer's pending timer (in an asynchronous system a timeout may fire at any moment: it
//! cannot tell a slow acceptor from a dead one). The nodes are the same [`PaxosNode`]s the
//! simulator runs, with the same handlers.
//!
//! * [`Scheduler::Adversary`] sees everything. It delivers the oldest message unless that
//!   message is an `Accept` that would give its ballot a majority — the message that would
//!   decide. Such messages are held back; when nothing else is left, it fires a proposer's
//!   timer, whose new, higher ballot makes the held `Accept`s harmless (they are refused
//!   when they finally arrive). Every message is delivered eventually, nothing crashes, and
//!   no value is ever chosen.
//! * [`Scheduler::Random`] picks the next event uniformly at random (a seeded, indifferent
//!   network): the same protocol decides within a handful of steps.
//!
//! What this shows, precisely: Paxos's safety does not depend on timing (no schedule, however
//! hostile, makes it choose two values: [`ScheduledRun::violation`] stays `None`), while its
//! termination does. Practical systems escape FLP by assuming *partial synchrony* (Dwork,
//! Lynch and Stockmeyer 1988: delays are bounded after some unknown time, so timeouts
//! eventually mean something) and by randomness (randomized timeouts make the adversarial
//! schedule improbable; Ben-Or 1983 randomizes the protocol itself). What it does not show:
//! FLP's proof itself (bivalent configurations), or that *every* protocol fails this way.

use std::collections::{HashMap, VecDeque};

use super::{Ballot, Msg, PaxosConfig, PaxosNode, PaxosRun, Timer, Violation};
use crate::error::{validate, Result};
use crate::rng::SimRng;
use crate::sim::{Ctx, Effect, Node, NodeId, SimStats, Time};

/// Who picks the next event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheduler {
    /// Holds back every message that would decide; fires timers to pre-empt.
    Adversary,
    /// Uniformly random among pending messages and timers (seeded).
    Random,
}

/// What a scheduled run did. One step = one event; the nodes see step `k` as time `k` ms.
#[derive(Clone, Debug)]
pub struct ScheduledRun {
    /// Steps taken.
    pub steps: usize,
    /// The first chosen value and the step at which it became chosen, if any.
    pub decided: Option<(usize, u64)>,
    /// Ballots started, in all.
    pub ballots: usize,
    /// Cumulative ballots started after each 1 % of the steps: (step, ballots).
    pub ballots_series: Vec<(f64, f64)>,
    /// Messages delivered.
    pub delivered: usize,
    /// Timers fired.
    pub timers_fired: usize,
    /// The longest any delivered message waited in flight, in steps (fairness: finite).
    pub max_wait_steps: usize,
    /// Messages still in flight at the end.
    pub in_flight: usize,
    /// The run as seen by the checker.
    pub outcome: PaxosRun,
}

impl ScheduledRun {
    /// The first safety violation, if any (there is none for correct Paxos, whatever the
    /// schedule).
    pub fn violation(&self) -> Option<Violation> {
        self.outcome.violation()
    }
}

struct Driver {
    nodes: Vec<PaxosNode>,
    rngs: Vec<SimRng>,
    next_timer: u64,
    /// (from, to, msg, step sent)
    flight: VecDeque<(usize, usize, Msg, usize)>,
    /// Each proposer's latest timer (a newer one supersedes older ones).
    timers: Vec<Option<Timer>>,
    step: usize,
    delivered: usize,
    timers_fired: usize,
    max_wait: usize,
    majority: usize,
    /// Per ballot, the acceptors that accepted in it (kept incrementally).
    votes: HashMap<Ballot, (u64, Vec<usize>)>,
    decided: Option<u64>,
}

impl Driver {
    fn call(&mut self, i: usize, f: impl FnOnce(&mut PaxosNode, &mut Ctx<PaxosNode>)) {
        let mut effects = Vec::new();
        {
            let mut ctx = Ctx {
                id: NodeId(i),
                now: Time::from_ms(self.step as f64),
                cluster_size: self.nodes.len(),
                rng: &mut self.rngs[i],
                effects: &mut effects,
                next_timer: &mut self.next_timer,
            };
            f(&mut self.nodes[i], &mut ctx);
        }
        for e in effects {
            match e {
                Effect::Send { to, msg } => self.flight.push_back((i, to.0, msg, self.step)),
                Effect::SetTimer { timer, .. } => self.timers[i] = Some(timer),
                _ => {}
            }
        }
    }

    /// Would delivering this message make its ballot accepted by a majority?
    fn decides(&self, to: usize, msg: &Msg) -> bool {
        let Msg::Accept { ballot, value } = msg else { return false };
        let PaxosNode::Acceptor(a) = &self.nodes[to] else { return false };
        let mut state = a.state;
        if !(a.rules.accept)(&mut state, *ballot, *value) {
            return false;
        }
        let already = self.votes.get(ballot).map_or(0, |(_, who)| who.len());
        already + 1 >= self.majority
    }

    fn deliver(&mut self, k: usize) {
        let (from, to, msg, sent) = self.flight.remove(k).expect("index in range");
        self.max_wait = self.max_wait.max(self.step - sent);
        self.delivered += 1;
        let before = self.accepts(to);
        self.call(to, |n, ctx| n.on_message(ctx, NodeId(from), msg));
        if self.accepts(to) > before {
            if let PaxosNode::Acceptor(a) = &self.nodes[to] {
                let &(_, b, v) = a.accepted_log.last().expect("it just accepted");
                let entry = self.votes.entry(b).or_insert((v, Vec::new()));
                if !entry.1.contains(&to) {
                    entry.1.push(to);
                    if entry.1.len() >= self.majority && self.decided.is_none() {
                        self.decided = Some(v);
                    }
                }
            }
        }
    }

    fn accepts(&self, i: usize) -> usize {
        match &self.nodes[i] {
            PaxosNode::Acceptor(a) => a.accepted_log.len(),
            _ => 0,
        }
    }

    fn fire(&mut self, i: usize) {
        if let Some(t) = self.timers[i].take() {
            self.timers_fired += 1;
            self.call(i, |n, ctx| n.on_timer(ctx, t));
        }
    }

    fn ballots(&self) -> usize {
        self.nodes
            .iter()
            .map(|n| match n {
                PaxosNode::Proposer(p) => p.ballots_started(),
                _ => 0,
            })
            .sum()
    }

    fn live_timers(&self) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|&i| self.timers[i].is_some() && self.nodes[i].decided().is_none())
            .collect()
    }
}

/// Run `config`'s cluster (its roles, strategy, bugs and rules; its network, faults and
/// horizon are replaced by the scheduler) for `steps` events chosen by `scheduler`.
pub fn scheduled_run(
    config: &PaxosConfig,
    scheduler: Scheduler,
    steps: usize,
    seed: u64,
) -> Result<ScheduledRun> {
    validate::at_least("steps", steps, 1)?;
    let nodes = PaxosNode::cluster(config.validated_rules()?, &config.proposed_values());
    let n = nodes.len();
    let (_, acceptors, _) = config.roles();
    let mut d = Driver {
        rngs: (0..n as u64).map(|i| SimRng::stream(seed, (1 << 32) + i)).collect(),
        nodes,
        next_timer: 0,
        flight: VecDeque::new(),
        timers: vec![None; n],
        step: 0,
        delivered: 0,
        timers_fired: 0,
        max_wait: 0,
        majority: acceptors / 2 + 1,
        votes: HashMap::new(),
        decided: None,
    };
    let mut pick_rng = SimRng::stream(seed, 11);
    for i in 0..n {
        d.call(i, |node, ctx| node.on_start(ctx));
    }
    let mut decided = None;
    let mut series = Vec::with_capacity(101);
    let every = (steps / 100).max(1);
    while d.step < steps {
        d.step += 1;
        let timers = d.live_timers();
        match scheduler {
            Scheduler::Adversary => {
                let safe = (0..d.flight.len()).find(|&k| {
                    let (_, to, msg, _) = &d.flight[k];
                    !d.decides(*to, msg)
                });
                match (safe, timers.first()) {
                    (Some(k), _) => d.deliver(k),
                    (None, Some(&i)) => d.fire(i),
                    (None, None) if !d.flight.is_empty() => d.deliver(0),
                    _ => break,
                }
            }
            Scheduler::Random => {
                let total = d.flight.len() + timers.len();
                if total == 0 {
                    break;
                }
                let k = pick_rng.below(total as u64) as usize;
                if k < d.flight.len() {
                    d.deliver(k);
                } else {
                    d.fire(timers[k - d.flight.len()]);
                }
            }
        }
        if decided.is_none() {
            if let Some(v) = d.decided {
                decided = Some((d.step, v));
            }
        }
        if d.step % every == 0 {
            series.push((d.step as f64, d.ballots() as f64));
        }
    }
    let outcome = outcome(&d, seed);
    Ok(ScheduledRun {
        steps: d.step,
        decided,
        ballots: d.ballots(),
        ballots_series: series,
        delivered: d.delivered,
        timers_fired: d.timers_fired,
        max_wait_steps: d.max_wait,
        in_flight: d.flight.len(),
        outcome,
    })
}

fn outcome(d: &Driver, seed: u64) -> PaxosRun {
    let stats = SimStats { delivered: d.delivered as u64, ..SimStats::default() };
    PaxosRun::from_nodes(&d.nodes, seed, stats, d.step as f64)
}
