//! The three Paxos roles as simulator nodes, and the rules a student can replace.

use std::collections::HashMap;
use std::fmt;

use crate::sim::{Ctx, Node, NodeId};

/// A proposed value. Proposer `i` proposes `100 + i` unless configured otherwise, so a chosen
/// value names the proposer it came from.
pub type Value = u64;

/// A ballot (proposal number): ordered by round first, then by the proposer's index, so two
/// proposers never use the same ballot. `Ballot::ZERO` is below every real ballot.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Ballot {
    /// The round; real ballots start at 1.
    pub round: u64,
    /// Index of the proposer that owns the ballot (tie-breaker).
    pub proposer: usize,
}

impl Ballot {
    /// Below every ballot a proposer can start.
    pub const ZERO: Ballot = Ballot { round: 0, proposer: 0 };

    /// A ballot.
    pub fn new(round: u64, proposer: usize) -> Ballot {
        Ballot { round, proposer }
    }
}

impl fmt::Debug for Ballot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.round, self.proposer)
    }
}

impl fmt::Display for Ballot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.round, self.proposer)
    }
}

/// What an acceptor reports in a promise: the ballot and value it last accepted, if any.
pub type AcceptedPair = Option<(Ballot, Value)>;

/// Paxos messages (Lamport 2001, §2.2). Their `Debug` text is the short label drawn on
/// sequence diagrams.
#[derive(Clone, PartialEq, Eq)]
pub enum Msg {
    /// Phase 1a, proposer → acceptors: "promise to ignore ballots below `ballot`".
    Prepare {
        /// The new ballot.
        ballot: Ballot,
    },
    /// Phase 1b, acceptor → proposer: the promise, with the highest-ballot value accepted so far.
    Promise {
        /// The ballot promised.
        ballot: Ballot,
        /// What this acceptor accepted before, if anything.
        accepted: AcceptedPair,
    },
    /// Phase 2a, proposer → acceptors: "accept `value` in `ballot`".
    Accept {
        /// The ballot.
        ballot: Ballot,
        /// The value the proposer chose (its own, or the one phase 1 forced on it).
        value: Value,
    },
    /// Phase 2b, acceptor → the ballot's proposer and every learner.
    Accepted {
        /// The ballot.
        ballot: Ballot,
        /// The value accepted.
        value: Value,
    },
    /// Acceptor → proposer: your `ballot` was refused because I promised `promised`, a higher
    /// ballot. Not needed for safety; it tells the proposer early that it was pre-empted.
    Nack {
        /// The refused ballot.
        ballot: Ballot,
        /// The higher ballot the acceptor promised.
        promised: Ballot,
    },
    /// Learner → proposers: a value was chosen, stop proposing.
    Decided {
        /// The value learned.
        value: Value,
    },
}

impl fmt::Debug for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Msg::Prepare { ballot } => write!(f, "Prepare {ballot}"),
            Msg::Promise { ballot, accepted: None } => write!(f, "Promise {ballot} (-)"),
            Msg::Promise { ballot, accepted: Some((b, v)) } => {
                write!(f, "Promise {ballot} ({b}: v{v})")
            }
            Msg::Accept { ballot, value } => write!(f, "Accept {ballot} v{value}"),
            Msg::Accepted { ballot, value } => write!(f, "Accepted {ballot} v{value}"),
            Msg::Nack { ballot, promised } => write!(f, "Nack {ballot} < {promised}"),
            Msg::Decided { value } => write!(f, "Decided v{value}"),
        }
    }
}

/// Timers of a proposer.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Timer {
    /// Start (or restart) proposing; `attempt` identifies the ballot it belongs to, so a timer
    /// left over from an abandoned ballot does nothing.
    Retry {
        /// The proposer's attempt counter when the timer was set.
        attempt: u64,
    },
}

impl fmt::Debug for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Timer::Retry { .. } => write!(f, "propose"),
        }
    }
}

/// The durable state of an acceptor (Lamport 2001, §2.2 and §2.3: "an acceptor must remember
/// this information even if it fails and then restarts").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AcceptorState {
    /// The highest ballot it promised (or accepted in); `Ballot::ZERO` at first.
    pub promised: Ballot,
    /// The last ballot and value it accepted.
    pub accepted: AcceptedPair,
}

/// The acceptor's rule for a `Prepare(ballot)` with a ballot it has not promised yet: update
/// the state and return `true` to promise (the reply then carries `state.accepted`), `false`
/// to refuse. A repeated `Prepare` for the ballot already promised is answered with the same
/// promise by the acceptor itself, without asking the rule.
pub type PrepareRule = fn(&mut AcceptorState, Ballot) -> bool;

/// The acceptor's rule for an `Accept(ballot, value)`: update the state and return `true` to
/// accept, `false` to refuse.
pub type AcceptRule = fn(&mut AcceptorState, Ballot, Value) -> bool;

/// The proposer's rule for picking its phase-2 value from a majority of promises (each the
/// acceptor's last accepted pair, or `None`) and its own value.
pub type ValueRule = fn(&[AcceptedPair], Value) -> Value;

/// Paxos's prepare rule (P1a): promise a ballot higher than any promised before.
pub fn paxos_prepare(state: &mut AcceptorState, ballot: Ballot) -> bool {
    if ballot > state.promised {
        state.promised = ballot;
        true
    } else {
        false
    }
}

/// Paxos's accept rule (P1a): accept unless a higher ballot was promised.
pub fn paxos_accept(state: &mut AcceptorState, ballot: Ballot, value: Value) -> bool {
    if ballot >= state.promised {
        state.promised = ballot;
        state.accepted = Some((ballot, value));
        true
    } else {
        false
    }
}

/// Paxos's value rule (P2c): the value of the highest-ballot pair reported in the promises,
/// or the proposer's own value if no acceptor of the majority has accepted anything.
pub fn highest_accepted_or_own(promises: &[AcceptedPair], own: Value) -> Value {
    promises.iter().flatten().max_by_key(|(b, _)| *b).map_or(own, |&(_, v)| v)
}

/// Planted bug: the proposer always proposes its own value, ignoring what the promises say.
pub fn own_value_only(_promises: &[AcceptedPair], own: Value) -> Value {
    own
}

/// Planted bug: the acceptor accepts every `Accept`, promised or not.
pub fn accept_always(state: &mut AcceptorState, ballot: Ballot, value: Value) -> bool {
    state.promised = state.promised.max(ballot);
    state.accepted = Some((ballot, value));
    true
}

/// How the proposers behave towards each other.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Strategy {
    /// Every proposer proposes from the start; a pre-empted (nacked) proposer starts a higher
    /// ballot after a delay drawn uniformly from `restart_ms` (a timed-out one after a retry
    /// timeout). Two or more such proposers can pre-empt each other for a long time
    /// (Lamport 2001, §2.4), the more so the less random the restart delay.
    Dueling {
        /// Range `(lo, hi)` of the restart delay after a nack (ms); `(0, 0)` restarts at once.
        restart_ms: (f64, f64),
    },
    /// A distinguished proposer (proposer 0) proposes; proposer `i > 0` waits `i ·
    /// takeover_ms` and proposes only if it has not heard of a decision by then (a crude
    /// failure detector). Every proposer backs off after a failed ballot: the k-th retry
    /// waits uniformly in `[0, lo · 2^k]` (capped at `hi · 8`).
    Leader {
        /// How long backups wait, per rank, before stepping in (ms).
        takeover_ms: f64,
    },
}

/// The fixed parameters every node of a run carries (plain `Copy` data).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rules {
    pub proposers: usize,
    pub acceptors: usize,
    pub learners: usize,
    pub retry_lo_ms: f64,
    pub retry_hi_ms: f64,
    pub strategy: Strategy,
    pub volatile_promise: bool,
    pub prepare: PrepareRule,
    pub accept: AcceptRule,
    pub value: ValueRule,
}

impl Rules {
    fn majority(&self) -> usize {
        self.acceptors / 2 + 1
    }
    fn acceptor_ids(&self) -> impl Iterator<Item = NodeId> {
        let p = self.proposers;
        (p..p + self.acceptors).map(NodeId)
    }
    fn learner_ids(&self) -> impl Iterator<Item = NodeId> {
        let s = self.proposers + self.acceptors;
        (s..s + self.learners).map(NodeId)
    }
}

#[derive(Clone, Debug)]
enum Phase {
    Idle,
    Preparing { ballot: Ballot, from: Vec<usize>, promises: Vec<AcceptedPair> },
    Accepting { ballot: Ballot, value: Value, from: Vec<usize> },
    Done,
}

/// A proposer: runs ballots until it hears that a value was chosen.
#[derive(Clone, Debug)]
pub struct Proposer {
    index: usize,
    value: Value,
    rules: Rules,
    /// Durable: the highest round this proposer used or saw (ballots are never reused).
    max_round: u64,
    /// Volatile.
    phase: Phase,
    /// Volatile: the number of the proposer's current attempt (its retry timer names it).
    pub(crate) attempt: u64,
    failures: u32,
    decided: Option<Value>,
    /// Ghost (observer's record, survives crashes): times at which it started a ballot.
    pub(crate) started_ms: Vec<f64>,
}

/// An acceptor: the fault-tolerant memory of Paxos.
#[derive(Clone, Debug)]
pub struct Acceptor {
    pub(crate) rules: Rules,
    pub(crate) state: AcceptorState,
    /// Ghost: every (time, ballot, value) it ever accepted, for the agreement checker.
    pub(crate) accepted_log: Vec<(f64, Ballot, Value)>,
}

/// A learner: learns a value once a majority of acceptors report accepting it in one ballot.
#[derive(Clone, Debug)]
pub struct Learner {
    rules: Rules,
    votes: HashMap<Ballot, (Value, Vec<usize>)>,
    /// Durable: values learned, with the time (more than one distinct value = a violation).
    pub(crate) learned: Vec<(f64, Value)>,
}

/// One node of a Paxos cluster: ids `0..P` are proposers, `P..P+A` acceptors, the rest learners.
#[derive(Clone, Debug)]
pub enum PaxosNode {
    /// A proposer.
    Proposer(Proposer),
    /// An acceptor.
    Acceptor(Acceptor),
    /// A learner.
    Learner(Learner),
}

impl PaxosNode {
    pub(crate) fn cluster(rules: Rules, values: &[Value]) -> Vec<PaxosNode> {
        let mut nodes = Vec::with_capacity(rules.proposers + rules.acceptors + rules.learners);
        for (index, &value) in values.iter().enumerate() {
            nodes.push(PaxosNode::Proposer(Proposer {
                index,
                value,
                rules,
                max_round: 0,
                phase: Phase::Idle,
                attempt: 0,
                failures: 0,
                decided: None,
                started_ms: Vec::new(),
            }));
        }
        for _ in 0..rules.acceptors {
            nodes.push(PaxosNode::Acceptor(Acceptor {
                rules,
                state: AcceptorState::default(),
                accepted_log: Vec::new(),
            }));
        }
        for _ in 0..rules.learners {
            nodes.push(PaxosNode::Learner(Learner {
                rules,
                votes: HashMap::new(),
                learned: Vec::new(),
            }));
        }
        nodes
    }

    /// The acceptor's current state, if this node is an acceptor.
    pub fn acceptor_state(&self) -> Option<AcceptorState> {
        match self {
            PaxosNode::Acceptor(a) => Some(a.state),
            _ => None,
        }
    }

    /// The value this node knows was chosen: a proposer's decision or a learner's first
    /// learned value.
    pub fn decided(&self) -> Option<Value> {
        match self {
            PaxosNode::Proposer(p) => p.decided,
            PaxosNode::Learner(l) => l.learned.first().map(|&(_, v)| v),
            PaxosNode::Acceptor(_) => None,
        }
    }
}

impl Proposer {
    /// The value this proposer proposes when nothing forces another one on it.
    pub fn own_value(&self) -> Value {
        self.value
    }

    /// Number of ballots this proposer has started (all incarnations).
    pub fn ballots_started(&self) -> usize {
        self.started_ms.len()
    }

    fn schedule_retry(&mut self, ctx: &mut Ctx<PaxosNode>, first: bool) {
        let r = self.rules;
        let wait = match (r.strategy, first) {
            // Everyone starts at once, give or take a millisecond.
            (Strategy::Dueling { .. }, true) => ctx.rng().uniform_range(0.0, 1.0),
            (Strategy::Dueling { restart_ms: (lo, hi) }, false) => {
                if hi > lo {
                    ctx.rng().uniform_range(lo, hi)
                } else {
                    lo
                }
            }
            (Strategy::Leader { takeover_ms }, true) => self.index as f64 * takeover_ms,
            (Strategy::Leader { .. }, false) => {
                let cap = (r.retry_lo_ms * 2f64.powi(self.failures.min(16) as i32))
                    .min(r.retry_hi_ms * 8.0);
                r.retry_lo_ms + ctx.rng().uniform_range(0.0, cap)
            }
        };
        self.attempt += 1;
        ctx.set_timer(wait, Timer::Retry { attempt: self.attempt });
    }

    fn start_ballot(&mut self, ctx: &mut Ctx<PaxosNode>) {
        self.max_round += 1;
        let ballot = Ballot::new(self.max_round, self.index);
        self.started_ms.push(ctx.now_ms());
        self.phase = Phase::Preparing { ballot, from: Vec::new(), promises: Vec::new() };
        for a in self.rules.acceptor_ids() {
            ctx.send(a, Msg::Prepare { ballot });
        }
        // Phase timeout: if the ballot does not finish (loss, crashes, pre-emption without a
        // nack), try again.
        self.attempt += 1;
        let r = self.rules;
        let t = ctx.rng().uniform_range(r.retry_lo_ms, r.retry_hi_ms);
        ctx.set_timer(t, Timer::Retry { attempt: self.attempt });
    }

    fn preempted(&mut self, ctx: &mut Ctx<PaxosNode>, promised: Ballot) {
        self.max_round = self.max_round.max(promised.round);
        self.failures += 1;
        self.phase = Phase::Idle;
        self.schedule_retry(ctx, false);
    }

    fn on_message(&mut self, ctx: &mut Ctx<PaxosNode>, from: NodeId, msg: Msg) {
        if let Msg::Decided { value } = msg {
            self.decided.get_or_insert(value);
            self.phase = Phase::Done;
            return;
        }
        let majority = self.rules.majority();
        match (&mut self.phase, msg) {
            (
                Phase::Preparing { ballot, from: seen, promises },
                Msg::Promise { ballot: b, accepted },
            ) if b == *ballot => {
                if seen.contains(&from.0) {
                    return; // a duplicate
                }
                seen.push(from.0);
                promises.push(accepted);
                if seen.len() == majority {
                    let ballot = *ballot;
                    let value = (self.rules.value)(promises, self.value);
                    self.phase = Phase::Accepting { ballot, value, from: Vec::new() };
                    for a in self.rules.acceptor_ids() {
                        ctx.send(a, Msg::Accept { ballot, value });
                    }
                }
            }
            (Phase::Accepting { ballot, value, from: seen }, Msg::Accepted { ballot: b, .. })
                if b == *ballot =>
            {
                if seen.contains(&from.0) {
                    return;
                }
                seen.push(from.0);
                if seen.len() == majority {
                    let v = *value;
                    self.decided.get_or_insert(v);
                    self.phase = Phase::Done;
                    ctx.note(format!("chosen v{v}"));
                }
            }
            // Only a higher promised ballot pre-empts this one. A Nack naming this ballot or a
            // lower one (a faulty or confused acceptor) says nothing against it: ignore it and
            // let the phase finish or time out.
            (
                Phase::Preparing { ballot, .. } | Phase::Accepting { ballot, .. },
                Msg::Nack { ballot: b, promised },
            ) if b == *ballot && promised > *ballot => {
                self.preempted(ctx, promised);
            }
            _ => {} // stale or duplicate answers
        }
    }
}

impl Acceptor {
    /// Tell the proposer of a refused `ballot` which higher ballot pre-empted it. A rule that
    /// refuses without having promised a higher ballot has nothing to report, so nothing is
    /// sent (the proposer's retry timeout covers it): a `Nack` always names a higher ballot.
    fn nack_if_preempted(&self, ctx: &mut Ctx<PaxosNode>, to: NodeId, ballot: Ballot) {
        if self.state.promised > ballot {
            ctx.send(to, Msg::Nack { ballot, promised: self.state.promised });
        }
    }
}

impl Node for PaxosNode {
    type Msg = Msg;
    type Timer = Timer;
    type Request = ();
    type Response = ();

    fn on_start(&mut self, ctx: &mut Ctx<Self>) {
        if let PaxosNode::Proposer(p) = self {
            if p.decided.is_none() {
                p.schedule_retry(ctx, true);
            }
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: Msg) {
        match self {
            PaxosNode::Proposer(p) => p.on_message(ctx, from, msg),
            PaxosNode::Acceptor(a) => match msg {
                Msg::Prepare { ballot } => {
                    // A Prepare for the ballot already promised (a duplicate, or the original
                    // overtaken by its own Accept) asks for a promise this acceptor has
                    // already made: it is bound to ignore ballots below `ballot` and has
                    // accepted nothing above it, so the same promise is answered again
                    // (idempotent for the proposer). It must not be refused: a refusal says
                    // a *higher* ballot was promised (Lamport 2001, §2.2).
                    let repeat = ballot != Ballot::ZERO && ballot == a.state.promised;
                    if repeat || (a.rules.prepare)(&mut a.state, ballot) {
                        ctx.send(from, Msg::Promise { ballot, accepted: a.state.accepted });
                    } else {
                        a.nack_if_preempted(ctx, from, ballot);
                    }
                }
                Msg::Accept { ballot, value } => {
                    // A duplicated Accept(b) is accepted again by P1a (`b >= promised`); the
                    // repeated `Accepted` is ignored by the proposer and the learners.
                    if (a.rules.accept)(&mut a.state, ballot, value) {
                        a.accepted_log.push((ctx.now_ms(), ballot, value));
                        ctx.send(NodeId(ballot.proposer), Msg::Accepted { ballot, value });
                        for l in a.rules.learner_ids() {
                            ctx.send(l, Msg::Accepted { ballot, value });
                        }
                    } else {
                        a.nack_if_preempted(ctx, from, ballot);
                    }
                }
                _ => {}
            },
            PaxosNode::Learner(l) => {
                if let Msg::Accepted { ballot, value } = msg {
                    let majority = l.rules.majority();
                    let entry = l.votes.entry(ballot).or_insert((value, Vec::new()));
                    if entry.1.contains(&from.0) {
                        return;
                    }
                    entry.1.push(from.0);
                    if entry.1.len() == majority && !l.learned.iter().any(|&(_, v)| v == value) {
                        let first = l.learned.is_empty();
                        l.learned.push((ctx.now_ms(), value));
                        if first {
                            ctx.note(format!("learned v{value}"));
                            for p in 0..l.rules.proposers {
                                ctx.send(NodeId(p), Msg::Decided { value });
                            }
                        }
                    }
                }
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Self>, timer: Timer) {
        if let (PaxosNode::Proposer(p), Timer::Retry { attempt }) = (self, timer) {
            if attempt == p.attempt && !matches!(p.phase, Phase::Done) {
                if !matches!(p.phase, Phase::Idle) {
                    p.failures += 1; // the ballot timed out
                }
                p.start_ballot(ctx);
            }
        }
    }

    /// Durable: a proposer's highest round (so ballots are never reused) and a learner's
    /// learned values; an acceptor's promise and accepted pair — unless the planted bug
    /// `VolatilePromise` makes it forget the promise. Ghost records survive (they are the
    /// observer's, not the node's).
    fn restarted(&self) -> Self {
        match self {
            PaxosNode::Proposer(p) => PaxosNode::Proposer(Proposer {
                phase: Phase::Idle,
                decided: None,
                failures: 0,
                ..p.clone()
            }),
            PaxosNode::Acceptor(a) => {
                let mut a = a.clone();
                if a.rules.volatile_promise {
                    a.state.promised = a.state.accepted.map_or(Ballot::ZERO, |(b, _)| b);
                }
                PaxosNode::Acceptor(a)
            }
            PaxosNode::Learner(l) => {
                PaxosNode::Learner(Learner { votes: HashMap::new(), ..l.clone() })
            }
        }
    }
}
