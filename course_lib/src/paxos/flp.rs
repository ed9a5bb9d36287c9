//! # FLP in miniature: a scheduler that keeps Paxos from ever deciding
//!
//! Fischer, Lynch and Paterson (1985) proved that in an *asynchronous* system (no bound on
//! message delays or on relative speeds, every message eventually delivered) no
//! *deterministic* consensus protocol that tolerates one crash can guarantee termination:
//! for every such protocol there is an admissible schedule on which it never decides. The
//! theorem is about *all* protocols and allows the schedule one crash; this module shows the
//! phenomenon for one protocol, Paxos, where no crash is even needed.
//!
//! Here the network's timing is replaced by a **scheduler** ([`crate::sim::Scheduler`], over
//! the ordinary engine) that, at every step, picks the next event: the delivery of one in-flight message, or the firing of one
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
//! hostile, makes it choose two values: [`ScheduledRun::breach`] stays `None`), while its
//! termination does. Practical systems escape FLP by assuming *partial synchrony* (Dwork,
//! Lynch and Stockmeyer 1988: delays are bounded after some unknown time, so timeouts
//! eventually mean something) and by randomness (randomized timeouts make the adversarial
//! schedule improbable; Ben-Or 1983 randomizes the protocol itself). What it does not show:
//! FLP's proof itself (bivalent configurations), or that *every* protocol fails this way.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use super::{Ballot, Breach, Msg, PaxosConfig, PaxosNode, PaxosRun, Timer};
use crate::dist::Dist;
use crate::error::{validate, Result};
use crate::rng::SimRng;
use crate::sim::{Experiment, Network, PendingKind, SchedView, Scheduler as SimScheduler};

/// Who picks the next event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheduler {
    /// Holds back every message that would decide; fires timers to pre-empt.
    Adversary,
    /// Uniformly random among pending messages and live timers (seeded).
    Random,
}

/// What a scheduled run did. One step = one event.
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
    /// The first breach of agreement or validity, if any (there is none for correct Paxos,
    /// whatever the schedule).
    pub fn breach(&self) -> Option<Breach> {
        self.outcome.breach()
    }
}

/// What the scheduler saw, step by step (it is the only observer that sees every step).
#[derive(Default)]
struct Log {
    /// The step at which each message was first pending (= the step that sent it).
    sent_at: HashMap<u64, usize>,
    max_wait: usize,
    decided: Option<(usize, u64)>,
    series: Vec<(f64, f64)>,
}

/// The FLP schedulers over the ordinary engine: [`Scheduler::Adversary`] or
/// [`Scheduler::Random`], recording what they see into a shared [`Log`].
struct Flp {
    kind: Scheduler,
    majority: usize,
    every: usize,
    log: Rc<RefCell<Log>>,
}

/// Per ballot, the value and the acceptors that accepted in it.
fn votes(nodes: &[PaxosNode]) -> HashMap<Ballot, (u64, Vec<usize>)> {
    let mut votes: HashMap<Ballot, (u64, Vec<usize>)> = HashMap::new();
    for (i, node) in nodes.iter().enumerate() {
        if let PaxosNode::Acceptor(a) = node {
            for &(_, b, v) in &a.accepted_log {
                let entry = votes.entry(b).or_insert((v, Vec::new()));
                if !entry.1.contains(&i) {
                    entry.1.push(i);
                }
            }
        }
    }
    votes
}

fn ballots(nodes: &[PaxosNode]) -> usize {
    nodes
        .iter()
        .map(|n| match n {
            PaxosNode::Proposer(p) => p.ballots_started(),
            _ => 0,
        })
        .sum()
}

/// A proposer's retry timer that would start a new ballot (its current attempt, undecided).
fn live_timer(nodes: &[PaxosNode], node: usize, timer: &Timer) -> bool {
    let Timer::Retry { attempt } = *timer;
    matches!(&nodes[node], PaxosNode::Proposer(p) if p.attempt == attempt)
        && nodes[node].decided().is_none()
}

impl Flp {
    /// Would delivering `msg` to `to` make its ballot accepted by a majority?
    fn decides(
        &self,
        nodes: &[PaxosNode],
        votes: &HashMap<Ballot, (u64, Vec<usize>)>,
        to: usize,
        msg: &Msg,
    ) -> bool {
        let Msg::Accept { ballot, value } = msg else { return false };
        let PaxosNode::Acceptor(a) = &nodes[to] else { return false };
        let mut state = a.state;
        if !(a.rules.accept)(&mut state, *ballot, *value) {
            return false;
        }
        let already = votes.get(ballot).map_or(0, |(_, who)| who.len());
        already + 1 >= self.majority
    }
}

impl SimScheduler<PaxosNode> for Flp {
    fn next(&mut self, view: &SchedView<'_, PaxosNode>, rng: &mut SimRng) -> Option<usize> {
        let step = view.step as usize;
        let votes = votes(view.nodes);
        let mut log = self.log.borrow_mut();
        if log.decided.is_none() {
            if let Some((v, _)) = votes.values().find(|(_, who)| who.len() >= self.majority) {
                log.decided = Some((step, *v));
            }
        }
        if step > 0 && step % self.every == 0 {
            log.series.push((step as f64, ballots(view.nodes) as f64));
        }
        let mut messages = Vec::new();
        let mut timers = Vec::new();
        for (k, p) in view.pending.iter().enumerate() {
            match &p.kind {
                PendingKind::Message { msg_id, .. } => {
                    log.sent_at.entry(*msg_id).or_insert(step);
                    messages.push(k);
                }
                PendingKind::Timer { node, timer } if live_timer(view.nodes, node.0, timer) => {
                    timers.push(k)
                }
                _ => {}
            }
        }
        let choice = match self.kind {
            Scheduler::Adversary => {
                let safe = messages.iter().copied().find(|&k| match &view.pending[k].kind {
                    PendingKind::Message { to, msg, .. } => {
                        !self.decides(view.nodes, &votes, to.0, msg)
                    }
                    _ => false,
                });
                // else pre-empt: the lowest-numbered proposer's timer starts a higher ballot
                let timer = timers.iter().copied().min_by_key(|&k| match &view.pending[k].kind {
                    PendingKind::Timer { node, .. } => node.0,
                    _ => usize::MAX,
                });
                safe.or(timer).or(messages.first().copied())?
            }
            Scheduler::Random => {
                let total = messages.len() + timers.len();
                if total == 0 {
                    return None;
                }
                let k = rng.below(total as u64) as usize;
                if k < messages.len() {
                    messages[k]
                } else {
                    timers[k - messages.len()]
                }
            }
        };
        if let PendingKind::Message { msg_id, .. } = &view.pending[choice].kind {
            let sent = log.sent_at.remove(msg_id).unwrap_or(step);
            log.max_wait = log.max_wait.max(step + 1 - sent);
        }
        Some(choice)
    }
}

/// Run `config`'s cluster (its roles, strategy, bugs and rules; its network, faults and
/// horizon are replaced by the scheduler) for `steps` events chosen by `scheduler`, on the
/// ordinary engine: the same nodes and handlers as every other run, only the order of events
/// is the scheduler's. Virtual time never runs backwards: a message held back is delivered
/// late, as if it had been slow; the nodes' clocks are the engine's.
pub fn scheduled_run(
    config: &PaxosConfig,
    scheduler: Scheduler,
    steps: usize,
    seed: u64,
) -> Result<ScheduledRun> {
    validate::at_least("steps", steps, 1)?;
    let nodes = PaxosNode::cluster(config.validated_rules()?, &config.proposed_values());
    let (_, acceptors, _) = config.roles();
    let log = Rc::new(RefCell::new(Log::default()));
    let every = (steps / 100).max(1);
    let flp = {
        let log = log.clone();
        let majority = acceptors / 2 + 1;
        move || Flp { kind: scheduler, majority, every, log: log.clone() }
    };
    let report = Experiment::new(nodes)
        .network(Network::new(Dist::Constant { value: 1.0 }))
        .horizon_ms(1e9)
        .max_steps(steps as u64)
        .scheduler(flp)
        .run(seed)?;
    let sim = report.sim();
    let taken = sim.stats().events as usize;
    let mut log = log.borrow_mut();
    // the scheduler sees the state before each step; the state after the last is read here
    let votes = votes(sim.nodes());
    if log.decided.is_none() {
        if let Some((v, _)) = votes.values().find(|(_, who)| who.len() > acceptors / 2) {
            log.decided = Some((taken, *v));
        }
    }
    if taken % every == 0 && log.series.last().map_or(true, |&(s, _)| s as usize != taken) {
        log.series.push((taken as f64, ballots(sim.nodes()) as f64));
    }
    Ok(ScheduledRun {
        steps: taken,
        decided: log.decided,
        ballots: ballots(sim.nodes()),
        ballots_series: std::mem::take(&mut log.series),
        delivered: sim.stats().delivered as usize,
        timers_fired: sim.stats().timers_fired as usize,
        max_wait_steps: log.max_wait,
        in_flight: sim.messages_in_flight(),
        outcome: PaxosRun::from_simulation(sim),
    })
}
