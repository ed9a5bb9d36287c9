//! # Two-phase commit on the harness
//!
//! A distributed transaction updates data on several nodes (here: one key per *participant*)
//! and must be **atomic**: it commits everywhere or nowhere. Two-phase commit (2PC; Gray 1978;
//! Bernstein, Hadzilacos & Goodman 1987, ch. 7) gets there with a *coordinator*:
//!
//! 1. **Voting.** The coordinator sends `Prepare(t)`. A participant that can commit takes the
//!    lock on its key, **forces** a `Prepared(t)` record to its log (write-ahead: the vote must
//!    survive a crash) and only then answers `Vote { yes: true }`. A participant that cannot
//!    (here: its key is locked by another transaction) answers no and aborts at once.
//! 2. **Decision.** If every vote is yes, the coordinator **forces** `Commit(t)` and then sends
//!    `Decide(Commit)`; otherwise (a no, or a vote timeout) it decides abort. A participant
//!    that voted yes is *in doubt*: it may neither commit nor abort on its own, and keeps its
//!    lock, until it learns the decision. It logs the decision, releases the lock and acks.
//!
//! Formally, with $o_i(t) \in \{\text{commit}, \text{abort}, \bot\}$ the outcome node $i$ has
//! recorded for $t$, **atomicity** is
//! $\forall t\;\forall i, j:\; o_i(t) \ne \bot \wedge o_j(t) \ne \bot \Rightarrow o_i(t) = o_j(t)$,
//! checked after every event ([`experiment`] adds it as an invariant, with two write-ahead
//! invariants: a yes vote the coordinator holds is durable at its voter, and a commit a
//! participant applied is durable at the coordinator).
//!
//! **Blocking.** If the coordinator crashes after the votes and before participants learn the
//! decision, every participant that voted yes is stuck: its peers (the *cooperative
//! termination protocol*, [`TwoPcConfig::termination`]) can help only if one of them has the
//! decision or has not voted yet. When all voted yes and none heard the decision, nobody can
//! decide, and the participants wait, locks held, for as long as the coordinator is down, plus
//! the few message delays of its recovery ([`blocking_sweep`]).
//!
//! **Presumed abort** (Mohan, Lindsay & Obermarck 1986): a coordinator that finds no record of
//! a transaction answers "abort". Aborts then need no forced writes and no acknowledgements;
//! commits cost the same as before ([`log_costs`], checked against [`MOHAN_1986`]).
//!
//! ```
//! use course_lib::txn::twopc::{blocking_run, TwoPcConfig};
//! # fn main() -> course_lib::Result<()> {
//! let cfg = TwoPcConfig::new(3);
//! let p = blocking_run(&cfg, 200.0)?; // the coordinator is down for 200 ms after the votes
//! assert!(p.in_doubt_ms >= 200.0 && p.in_doubt_ms <= 200.0 + 10.0);
//! assert!(p.resolved);
//! # Ok(()) }
//! ```
//!
//! ## Reading
//! * J. Gray, "Notes on Data Base Operating Systems", LNCS 60, 1978 (two-phase commit).
//! * P. A. Bernstein, V. Hadzilacos, N. Goodman, *Concurrency Control and Recovery in Database
//!   Systems*, Addison-Wesley 1987, ch. 7 (2PC, termination protocol, blocking).
//! * C. Mohan, B. Lindsay, R. Obermarck, "Transaction Management in the R* Distributed Database
//!   Management System", ACM TODS 11(4), 1986 (R*'s two-phase commit, presumed abort, presumed commit).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::dist::Dist;
use crate::error::{validate, Error, Result};
use crate::sim::{
    Bugs, Ctx, Experiment, FaultSchedule, KvRequest, KvResponse, Network, Node, NodeId, RequestId,
    Simulation, Target, Workload,
};

/// A transaction id (the unique value the harness client wrote).
pub type Txn = i64;

/// Which 2PC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Variant {
    /// Basic ("presumed nothing") 2PC: every decision is forced and acknowledged.
    Basic,
    /// Presumed abort: no record means abort, so aborts are not forced and not acknowledged.
    PresumedAbort,
}

/// Planted bugs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Bug {
    /// A participant sends its yes vote before `Prepared` is durable: a crash in between
    /// forgets the vote, the participant restarts knowing nothing and cannot commit.
    VoteBeforeForce,
    /// The coordinator sends `Commit` before the commit record is durable: a crash in between
    /// restarts it with no record, and it answers "abort" to a participant's inquiry.
    CommitBeforeForce,
    /// An in-doubt participant gives up after a timeout and aborts on its own (a "heuristic"
    /// decision) while the coordinator may have committed.
    InDoubtTimeoutAborts,
}

/// A transaction's outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Decision {
    /// Commit everywhere.
    Commit,
    /// Abort everywhere.
    Abort,
}

/// A log record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Record {
    /// Participant: voted yes, can commit after a crash.
    Prepared(Txn),
    /// The transaction committed.
    Commit(Txn),
    /// The transaction aborted.
    Abort(Txn),
    /// Coordinator: every participant acknowledged; the transaction can be forgotten.
    End(Txn),
}

impl Record {
    fn txn(self) -> Txn {
        match self {
            Record::Prepared(t) | Record::Commit(t) | Record::Abort(t) | Record::End(t) => t,
        }
    }
}

/// What a participant's durable log says last about a transaction (the input of a
/// [`RecoveryRule`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Logged {
    /// `Prepared(t)` and no decision: it voted yes.
    Prepared,
    /// `Commit(t)`.
    Committed,
    /// `Abort(t)`.
    Aborted,
}

/// What a restarting participant does about a transaction its log mentions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recovery {
    /// Take the lock again, stay in doubt and ask the coordinator.
    InDoubt,
    /// Redo the commit (the transaction is committed here).
    Commit,
    /// Undo: the transaction is aborted here.
    Abort,
}

/// A participant's restart rule: its durable log's last word on a transaction → what to do.
pub type RecoveryRule = fn(Logged) -> Recovery;

/// The textbook rule (Bernstein et al. 1987, §7.4): prepared → in doubt, ask; committed →
/// redo; aborted → abort.
pub fn standard_recovery(last: Logged) -> Recovery {
    match last {
        Logged::Prepared => Recovery::InDoubt,
        Logged::Committed => Recovery::Commit,
        Logged::Aborted => Recovery::Abort,
    }
}

/// A participant's answer to a peer in the termination protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeerState {
    /// I know it committed.
    Committed,
    /// I know it aborted, or I had not voted and now abort it.
    Aborted,
    /// I voted yes and do not know the decision either.
    Uncertain,
}

/// Messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Msg {
    /// Coordinator → participant: phase 1.
    Prepare(Txn),
    /// Participant → coordinator.
    Vote {
        /// Transaction.
        txn: Txn,
        /// Yes (prepared) or no.
        yes: bool,
    },
    /// Coordinator → participant: phase 2 (also the answer to an inquiry).
    Decide {
        /// Transaction.
        txn: Txn,
        /// The outcome.
        decision: Decision,
    },
    /// Participant → coordinator: the decision is logged.
    Ack(Txn),
    /// In-doubt participant → coordinator: what was decided?
    Inquire(Txn),
    /// A restarted coordinator → participants: I am back (ask me again).
    Recovered,
    /// In-doubt participant → peer (termination protocol): do you know?
    Ask(Txn),
    /// Peer → in-doubt participant.
    Tell {
        /// Transaction.
        txn: Txn,
        /// What the peer knows.
        state: PeerState,
    },
}

impl Msg {
    fn txn(&self) -> Option<Txn> {
        match *self {
            Msg::Prepare(t) | Msg::Ack(t) | Msg::Inquire(t) | Msg::Ask(t) => Some(t),
            Msg::Vote { txn, .. } | Msg::Decide { txn, .. } | Msg::Tell { txn, .. } => Some(txn),
            Msg::Recovered => None,
        }
    }
}

/// What to do once a forced write is durable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterForce {
    /// Participant: send the yes vote.
    VoteYes(Txn),
    /// Coordinator: send the decision.
    SendDecision(Txn, Decision),
    /// Participant: the decision is logged; release the lock and ack.
    Applied(Txn, Decision),
}

/// Timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    /// A forced log write completed.
    Forced(AfterForce),
    /// Coordinator: votes not all in; abort.
    VoteTimeout(Txn),
    /// Coordinator: resend the decision to participants that have not acked.
    Resend(Txn),
    /// Participant: still in doubt; ask again.
    StillInDoubt(Txn),
}

/// A log: records are written to a volatile buffer and become durable when forced (a crash
/// loses the buffer). An unforced record becomes durable with the next force.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Log {
    durable: Vec<Record>,
    buffer: Vec<Record>,
    /// The last word of the durable records on each transaction (an index, rebuilt on flush).
    durable_word: BTreeMap<Txn, Logged>,
    /// The same over durable + buffered records.
    word: BTreeMap<Txn, Logged>,
}

fn fold_word(map: &mut BTreeMap<Txn, Logged>, r: Record) {
    match r {
        Record::Prepared(t) => {
            map.entry(t).or_insert(Logged::Prepared);
        }
        Record::Commit(t) => {
            map.insert(t, Logged::Committed);
        }
        Record::Abort(t) => {
            map.insert(t, Logged::Aborted);
        }
        Record::End(_) => {}
    }
}

impl Log {
    /// The durable records.
    pub fn durable(&self) -> &[Record] {
        &self.durable
    }
    fn write(&mut self, r: Record) {
        fold_word(&mut self.word, r);
        self.buffer.push(r);
    }
    fn flush(&mut self) {
        for r in self.buffer.drain(..) {
            fold_word(&mut self.durable_word, r);
            self.durable.push(r);
        }
    }
    fn after_crash(&self) -> Log {
        Log {
            durable: self.durable.clone(),
            buffer: Vec::new(),
            durable_word: self.durable_word.clone(),
            word: self.durable_word.clone(),
        }
    }
    /// The last word of the durable log on `t`.
    pub fn last_durable(&self, t: Txn) -> Option<Logged> {
        self.durable_word.get(&t).copied()
    }
    fn decision(&self, t: Txn) -> Option<Decision> {
        as_decision(self.word.get(&t).copied())
    }
    fn durable_decision(&self, t: Txn) -> Option<Decision> {
        as_decision(self.last_durable(t))
    }
}

fn as_decision(w: Option<Logged>) -> Option<Decision> {
    match w {
        Some(Logged::Committed) => Some(Decision::Commit),
        Some(Logged::Aborted) => Some(Decision::Abort),
        _ => None,
    }
}

/// An interval of one participant's time (in doubt, or holding its lock), ms.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    /// The transaction.
    pub txn: Txn,
    /// Start, ms.
    pub from_ms: f64,
    /// End, ms (`None`: still open at the end of the run).
    pub to_ms: Option<f64>,
}

/// Instrumentation kept across crashes (what an observer measured, not protocol state).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Meter {
    /// Forced log writes per transaction.
    pub forced: BTreeMap<Txn, u32>,
    /// All log writes per transaction.
    pub writes: BTreeMap<Txn, u32>,
    /// Protocol messages sent per (transaction, destination).
    pub sent: BTreeMap<(Txn, usize), u32>,
    /// In-doubt intervals (participants).
    pub in_doubt: Vec<Interval>,
    /// Lock-held intervals (participants).
    pub locked: Vec<Interval>,
}

impl Meter {
    fn open(list: &mut Vec<Interval>, txn: Txn, now: f64) {
        if !list.iter().any(|i| i.txn == txn && i.to_ms.is_none()) {
            list.push(Interval { txn, from_ms: now, to_ms: None });
        }
    }
    fn close(list: &mut [Interval], txn: Txn, now: f64) {
        for i in list.iter_mut().filter(|i| i.txn == txn && i.to_ms.is_none()) {
            i.to_ms = Some(now);
        }
    }
}

#[derive(Clone, Debug)]
struct Params {
    variant: Variant,
    force_ms: f64,
    vote_timeout_ms: f64,
    retry_ms: f64,
    in_doubt_timeout_ms: f64,
    termination: bool,
    vote_no: f64,
    no_voter: Option<usize>,
    recovery: RecoveryRule,
    bugs: Bugs<Bug>,
}

/// A participant's volatile view of one transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartState {
    /// Got `Prepare`, forcing `Prepared` (has not voted).
    Preparing,
    /// Voted yes, decision unknown: in doubt, lock held.
    InDoubt,
    /// Committed here.
    Committed,
    /// Aborted here.
    Aborted,
}

#[derive(Clone, Debug, PartialEq)]
struct Active {
    request: Option<RequestId>,
    yes: BTreeSet<usize>,
    no: BTreeSet<usize>,
    decided: Option<Decision>,
    acked: BTreeSet<usize>,
}

/// A node: `n0` is the coordinator, `n1..=nN` the participants.
#[derive(Clone, Debug)]
pub struct TpcNode {
    params: Params,
    coordinator: bool,
    log: Log,
    meter: Meter,
    restarts: u32,
    // coordinator (volatile)
    active: BTreeMap<Txn, Active>,
    // participant (volatile)
    lock: Option<Txn>,
    states: BTreeMap<Txn, PartState>,
}

impl TpcNode {
    fn new(params: Params, coordinator: bool) -> TpcNode {
        TpcNode {
            params,
            coordinator,
            log: Log::default(),
            meter: Meter::default(),
            restarts: 0,
            active: BTreeMap::new(),
            lock: None,
            states: BTreeMap::new(),
        }
    }

    /// Is this the coordinator?
    pub fn is_coordinator(&self) -> bool {
        self.coordinator
    }
    /// The log.
    pub fn log(&self) -> &Log {
        &self.log
    }
    /// The measurements.
    pub fn meter(&self) -> &Meter {
        &self.meter
    }
    /// Participant: the transaction holding the lock on its key.
    pub fn lock_holder(&self) -> Option<Txn> {
        self.lock
    }
    /// Participant: its volatile state for `t`.
    pub fn state(&self, t: Txn) -> Option<PartState> {
        self.states.get(&t).copied()
    }
    /// The outcome this node has recorded for `t` (coordinator: its decision; participant:
    /// committed or aborted here), from the log or, at a participant, its state.
    pub fn outcome(&self, t: Txn) -> Option<Decision> {
        if let Some(d) = self.log.decision(t) {
            return Some(d);
        }
        if self.coordinator {
            return self.active.get(&t).and_then(|a| a.decided);
        }
        match self.states.get(&t) {
            Some(PartState::Committed) => Some(Decision::Commit),
            Some(PartState::Aborted) => Some(Decision::Abort),
            _ => None,
        }
    }
    /// Every transaction this node knows of (log or volatile state).
    pub fn txns(&self) -> BTreeSet<Txn> {
        let mut s: BTreeSet<Txn> = self.log.word.keys().copied().collect();
        s.extend(self.active.keys());
        s.extend(self.states.keys());
        s
    }
    /// Participant: transactions it is in doubt about.
    pub fn in_doubt(&self) -> Vec<Txn> {
        self.states.iter().filter(|(_, s)| **s == PartState::InDoubt).map(|(t, _)| *t).collect()
    }
    /// Coordinator: the yes votes it holds for `t` (volatile).
    pub fn yes_votes(&self, t: Txn) -> Vec<usize> {
        self.active.get(&t).map(|a| a.yes.iter().copied().collect()).unwrap_or_default()
    }

    fn send(&mut self, ctx: &mut Ctx<Self>, to: usize, msg: Msg) {
        if let Some(t) = msg.txn() {
            *self.meter.sent.entry((t, to)).or_default() += 1;
        }
        ctx.send(NodeId(to), msg);
    }

    fn write(&mut self, r: Record) {
        *self.meter.writes.entry(r.txn()).or_default() += 1;
        self.log.write(r);
    }

    fn force(&mut self, ctx: &mut Ctx<Self>, r: Record, then: AfterForce) {
        self.write(r);
        *self.meter.forced.entry(r.txn()).or_default() += 1;
        ctx.set_timer(self.params.force_ms, Timer::Forced(then));
    }

    fn participants(ctx: &Ctx<Self>) -> impl Iterator<Item = usize> {
        1..ctx.cluster_size()
    }

    // ---- coordinator -----------------------------------------------------------------------

    fn begin(&mut self, ctx: &mut Ctx<Self>, id: RequestId, t: Txn) {
        if self.active.contains_key(&t) || self.log.decision(t).is_some() {
            ctx.respond(id, KvResponse::Failed);
            return;
        }
        self.active.insert(
            t,
            Active {
                request: Some(id),
                yes: BTreeSet::new(),
                no: BTreeSet::new(),
                decided: None,
                acked: BTreeSet::new(),
            },
        );
        for p in Self::participants(ctx) {
            self.send(ctx, p, Msg::Prepare(t));
        }
        ctx.set_timer(self.params.vote_timeout_ms, Timer::VoteTimeout(t));
    }

    fn decide(&mut self, ctx: &mut Ctx<Self>, t: Txn, d: Decision) {
        let Some(a) = self.active.get_mut(&t) else { return };
        if a.decided.is_some() {
            return;
        }
        a.decided = Some(d);
        match (d, self.params.variant) {
            (Decision::Commit, _) => {
                if self.params.bugs.has(Bug::CommitBeforeForce) {
                    self.write(Record::Commit(t));
                    *self.meter.forced.entry(t).or_default() += 1;
                    ctx.set_timer(
                        self.params.force_ms,
                        Timer::Forced(AfterForce::SendDecision(t, d)),
                    );
                    self.send_decision(ctx, t, d);
                } else {
                    self.force(ctx, Record::Commit(t), AfterForce::SendDecision(t, d));
                }
            }
            (Decision::Abort, Variant::Basic) => {
                self.force(ctx, Record::Abort(t), AfterForce::SendDecision(t, d))
            }
            (Decision::Abort, Variant::PresumedAbort) => {
                self.write(Record::Abort(t)); // not forced: no record also means abort
                self.send_decision(ctx, t, d);
            }
        }
    }

    fn send_decision(&mut self, ctx: &mut Ctx<Self>, t: Txn, d: Decision) {
        let Some(a) = self.active.get_mut(&t) else { return };
        if let Some(id) = a.request.take() {
            let answer = match d {
                Decision::Commit => KvResponse::Written,
                Decision::Abort => KvResponse::Failed,
            };
            ctx.respond(id, answer);
        }
        let no = a.no.clone();
        let needs_ack = d == Decision::Commit || self.params.variant == Variant::Basic;
        for p in Self::participants(ctx) {
            // a no-voter has aborted already; it needs no abort message
            if !no.contains(&p) {
                self.send(ctx, p, Msg::Decide { txn: t, decision: d });
            }
        }
        if needs_ack {
            ctx.set_timer(self.params.retry_ms, Timer::Resend(t));
        } else {
            self.active.remove(&t);
        }
    }

    fn coordinator_message(&mut self, ctx: &mut Ctx<Self>, from: usize, msg: Msg) {
        match msg {
            Msg::Vote { txn, yes } => {
                let n = ctx.cluster_size() - 1;
                let Some(a) = self.active.get_mut(&txn) else { return };
                if a.decided.is_some() {
                    return;
                }
                if !yes {
                    a.no.insert(from);
                    self.decide(ctx, txn, Decision::Abort);
                    return;
                }
                a.yes.insert(from);
                if a.yes.len() == n {
                    self.decide(ctx, txn, Decision::Commit);
                }
            }
            Msg::Ack(t) => {
                let n = ctx.cluster_size() - 1;
                let Some(a) = self.active.get_mut(&t) else { return };
                a.acked.insert(from);
                let want = n - a.no.len();
                if a.acked.len() >= want {
                    self.active.remove(&t);
                    self.write(Record::End(t)); // not forced
                }
            }
            Msg::Inquire(t) => {
                if let Some(d) = self.log.decision(t) {
                    self.send(ctx, from, Msg::Decide { txn: t, decision: d });
                } else if !self.active.contains_key(&t) {
                    // no record and not deciding: the transaction never committed
                    self.send(ctx, from, Msg::Decide { txn: t, decision: Decision::Abort });
                }
            }
            _ => {}
        }
    }

    fn coordinator_timer(&mut self, ctx: &mut Ctx<Self>, timer: Timer) {
        match timer {
            Timer::Forced(AfterForce::SendDecision(t, d)) => {
                self.log.flush();
                if !self.params.bugs.has(Bug::CommitBeforeForce) || d == Decision::Abort {
                    self.send_decision(ctx, t, d);
                }
            }
            Timer::VoteTimeout(t) if self.active.get(&t).is_some_and(|a| a.decided.is_none()) => {
                self.decide(ctx, t, Decision::Abort);
            }
            Timer::Resend(t) => {
                let Some(a) = self.active.get(&t) else { return };
                let Some(d) = a.decided else { return };
                let targets: Vec<usize> = Self::participants(ctx)
                    .filter(|p| !a.acked.contains(p))
                    .filter(|p| !a.no.contains(p))
                    .collect();
                for p in targets {
                    self.send(ctx, p, Msg::Decide { txn: t, decision: d });
                }
                ctx.set_timer(self.params.retry_ms, Timer::Resend(t));
            }
            _ => {}
        }
    }

    fn coordinator_start(&mut self, ctx: &mut Ctx<Self>) {
        if self.restarts == 0 {
            return;
        }
        // Recovery: a decision logged without End is sent again; everything else is forgotten
        // (no record: abort).
        let mut open: BTreeMap<Txn, Decision> = BTreeMap::new();
        for r in self.log.durable() {
            match *r {
                Record::Commit(t) => {
                    open.insert(t, Decision::Commit);
                }
                Record::Abort(t) if self.params.variant == Variant::Basic => {
                    open.insert(t, Decision::Abort);
                }
                Record::End(t) => {
                    open.remove(&t);
                }
                _ => {}
            }
        }
        for (t, d) in open {
            self.active.insert(
                t,
                Active {
                    request: None,
                    yes: BTreeSet::new(),
                    no: BTreeSet::new(),
                    decided: Some(d),
                    acked: BTreeSet::new(),
                },
            );
            if d == Decision::Commit {
                for p in Self::participants(ctx) {
                    self.send(ctx, p, Msg::Decide { txn: t, decision: d });
                }
                ctx.set_timer(self.params.retry_ms, Timer::Resend(t));
            } else {
                // basic 2PC abort: who voted yes is forgotten; ask everyone to ack
                self.active.remove(&t);
                self.write(Record::End(t));
            }
        }
        for p in Self::participants(ctx) {
            ctx.send(NodeId(p), Msg::Recovered);
        }
    }

    // ---- participant -----------------------------------------------------------------------

    fn release(&mut self, t: Txn, now: f64) {
        if self.lock == Some(t) {
            self.lock = None;
        }
        Meter::close(&mut self.meter.locked, t, now);
        Meter::close(&mut self.meter.in_doubt, t, now);
    }

    fn abort_here(&mut self, ctx: &mut Ctx<Self>, t: Txn, ack: bool) {
        self.states.insert(t, PartState::Aborted);
        if self.params.variant == Variant::Basic && ack {
            self.force(ctx, Record::Abort(t), AfterForce::Applied(t, Decision::Abort));
        } else {
            self.write(Record::Abort(t));
            self.release(t, ctx.now_ms());
        }
    }

    fn participant_message(&mut self, ctx: &mut Ctx<Self>, from: usize, msg: Msg) {
        let now = ctx.now_ms();
        match msg {
            Msg::Prepare(t) => {
                match self.states.get(&t) {
                    Some(PartState::Aborted) => {
                        self.send(ctx, from, Msg::Vote { txn: t, yes: false });
                        return;
                    }
                    Some(_) => return, // a duplicate
                    None => {}
                }
                let me = ctx.id().0;
                let refuse = self.params.no_voter == Some(me)
                    || (self.params.vote_no > 0.0 && ctx.rng().bernoulli(self.params.vote_no))
                    || self.lock.is_some();
                if refuse {
                    self.states.insert(t, PartState::Aborted);
                    self.write(Record::Abort(t)); // a no-voter's abort is never forced
                    self.send(ctx, from, Msg::Vote { txn: t, yes: false });
                    return;
                }
                self.lock = Some(t);
                Meter::open(&mut self.meter.locked, t, now);
                self.states.insert(t, PartState::Preparing);
                self.force(ctx, Record::Prepared(t), AfterForce::VoteYes(t));
                if self.params.bugs.has(Bug::VoteBeforeForce) {
                    self.vote_yes(ctx, t, false);
                }
            }
            Msg::Decide { txn: t, decision } => match (self.states.get(&t).copied(), decision) {
                (Some(PartState::InDoubt | PartState::Preparing), Decision::Commit) => {
                    self.states.insert(t, PartState::Committed);
                    self.force(ctx, Record::Commit(t), AfterForce::Applied(t, Decision::Commit));
                }
                (Some(PartState::InDoubt | PartState::Preparing), Decision::Abort) => {
                    self.abort_here(ctx, t, true);
                }
                (Some(PartState::Committed), Decision::Commit)
                    if self.log.durable_decision(t).is_some() =>
                {
                    self.send(ctx, from, Msg::Ack(t));
                }
                (Some(PartState::Aborted), Decision::Abort)
                    if self.params.variant == Variant::Basic =>
                {
                    self.send(ctx, from, Msg::Ack(t));
                }
                (None, Decision::Commit) => {
                    // A commit for a transaction this node never prepared (its work was
                    // volatile and is gone): it cannot commit. Only a buggy protocol gets here.
                    self.states.insert(t, PartState::Aborted);
                    self.write(Record::Abort(t));
                }
                (None, Decision::Abort) => {
                    self.states.insert(t, PartState::Aborted);
                    self.write(Record::Abort(t));
                    if self.params.variant == Variant::Basic {
                        self.send(ctx, from, Msg::Ack(t));
                    }
                }
                _ => {} // a decision contradicting ours: the atomicity invariant reports it
            },
            Msg::Recovered => {
                for t in self.in_doubt() {
                    self.send(ctx, 0, Msg::Inquire(t));
                }
            }
            Msg::Ask(t) => {
                let state = match self.states.get(&t).copied() {
                    Some(PartState::Committed) => PeerState::Committed,
                    Some(PartState::Aborted) => PeerState::Aborted,
                    Some(PartState::InDoubt) => PeerState::Uncertain,
                    Some(PartState::Preparing) | None => {
                        // not voted yet: abort unilaterally (allowed before voting)
                        if let std::collections::btree_map::Entry::Vacant(e) = self.states.entry(t)
                        {
                            e.insert(PartState::Aborted);
                            self.write(Record::Abort(t));
                        } else {
                            self.abort_here(ctx, t, false);
                        }
                        PeerState::Aborted
                    }
                };
                self.send(ctx, from, Msg::Tell { txn: t, state });
            }
            Msg::Tell { txn: t, state } => {
                if self.states.get(&t) != Some(&PartState::InDoubt) {
                    return;
                }
                match state {
                    PeerState::Committed => {
                        self.states.insert(t, PartState::Committed);
                        self.force(
                            ctx,
                            Record::Commit(t),
                            AfterForce::Applied(t, Decision::Commit),
                        );
                    }
                    PeerState::Aborted => self.abort_here(ctx, t, false),
                    PeerState::Uncertain => {}
                }
            }
            _ => {}
        }
    }

    fn vote_yes(&mut self, ctx: &mut Ctx<Self>, t: Txn, timer: bool) {
        self.states.insert(t, PartState::InDoubt);
        Meter::open(&mut self.meter.in_doubt, t, ctx.now_ms());
        self.send(ctx, 0, Msg::Vote { txn: t, yes: true });
        if timer {
            ctx.set_timer(self.params.retry_ms, Timer::StillInDoubt(t));
        }
    }

    fn participant_timer(&mut self, ctx: &mut Ctx<Self>, timer: Timer) {
        match timer {
            Timer::Forced(AfterForce::VoteYes(t)) => {
                self.log.flush();
                let bug = self.params.bugs.has(Bug::VoteBeforeForce);
                match self.states.get(&t) {
                    Some(PartState::Preparing) if !bug => self.vote_yes(ctx, t, true),
                    Some(PartState::InDoubt) if bug => {
                        ctx.set_timer(self.params.retry_ms, Timer::StillInDoubt(t));
                    }
                    _ => {}
                }
            }
            Timer::Forced(AfterForce::Applied(t, d)) => {
                self.log.flush();
                self.release(t, ctx.now_ms());
                if d == Decision::Commit || self.params.variant == Variant::Basic {
                    self.send(ctx, 0, Msg::Ack(t));
                }
            }
            Timer::StillInDoubt(t) => {
                if self.states.get(&t) != Some(&PartState::InDoubt) {
                    return;
                }
                let since = self
                    .meter
                    .in_doubt
                    .iter()
                    .find(|i| i.txn == t && i.to_ms.is_none())
                    .map_or(ctx.now_ms(), |i| i.from_ms);
                if self.params.bugs.has(Bug::InDoubtTimeoutAborts)
                    && ctx.now_ms() - since >= self.params.in_doubt_timeout_ms
                {
                    self.abort_here(ctx, t, false);
                    return;
                }
                self.send(ctx, 0, Msg::Inquire(t));
                if self.params.termination {
                    let me = ctx.id().0;
                    for p in Self::participants(ctx).filter(|&p| p != me).collect::<Vec<_>>() {
                        self.send(ctx, p, Msg::Ask(t));
                    }
                }
                ctx.set_timer(self.params.retry_ms, Timer::StillInDoubt(t));
            }
            _ => {}
        }
    }

    fn participant_start(&mut self, ctx: &mut Ctx<Self>) {
        if self.restarts == 0 {
            return;
        }
        let now = ctx.now_ms();
        let known: BTreeSet<Txn> = self.log.durable().iter().map(|r| r.txn()).collect();
        for t in known {
            let Some(last) = self.log.last_durable(t) else { continue };
            match (self.params.recovery)(last) {
                Recovery::InDoubt => {
                    self.states.insert(t, PartState::InDoubt);
                    self.lock = Some(t);
                    Meter::open(&mut self.meter.locked, t, now);
                    Meter::open(&mut self.meter.in_doubt, t, now);
                    self.send(ctx, 0, Msg::Inquire(t));
                    ctx.set_timer(self.params.retry_ms, Timer::StillInDoubt(t));
                }
                Recovery::Commit => {
                    self.states.insert(t, PartState::Committed);
                    if last != Logged::Committed {
                        self.write(Record::Commit(t));
                    }
                }
                Recovery::Abort => {
                    self.states.insert(t, PartState::Aborted);
                    if last != Logged::Aborted {
                        self.write(Record::Abort(t));
                    }
                }
            }
        }
    }
}

impl Node for TpcNode {
    type Msg = Msg;
    type Timer = Timer;
    type Request = KvRequest;
    type Response = KvResponse;

    fn on_start(&mut self, ctx: &mut Ctx<Self>) {
        if self.coordinator {
            self.coordinator_start(ctx);
        } else {
            self.participant_start(ctx);
        }
    }

    fn on_request(&mut self, ctx: &mut Ctx<Self>, id: RequestId, req: KvRequest) {
        match req {
            KvRequest::Put { value, .. } if self.coordinator => self.begin(ctx, id, value),
            KvRequest::Get { .. } => ctx.respond(id, KvResponse::Value(None)),
            _ => ctx.respond(id, KvResponse::NotLeader(Some(NodeId(0)))),
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: Msg) {
        if self.coordinator {
            self.coordinator_message(ctx, from.0, msg);
        } else {
            self.participant_message(ctx, from.0, msg);
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Self>, timer: Timer) {
        if self.coordinator {
            self.coordinator_timer(ctx, timer);
        } else {
            self.participant_timer(ctx, timer);
        }
    }

    /// Durable: the forced log (and the meter, which is the observer's, not the node's).
    /// Volatile: the log buffer, votes, locks, states, timers.
    fn restarted(&self) -> Self {
        let now_open = |list: &[Interval]| list.to_vec();
        TpcNode {
            params: self.params.clone(),
            coordinator: self.coordinator,
            log: self.log.after_crash(),
            meter: Meter {
                in_doubt: now_open(&self.meter.in_doubt),
                locked: now_open(&self.meter.locked),
                ..self.meter.clone()
            },
            restarts: self.restarts + 1,
            active: BTreeMap::new(),
            lock: None,
            states: BTreeMap::new(),
        }
    }
}

/// The configuration. Fields are public; setters never fail; [`experiment`] validates.
#[derive(Clone, Debug)]
pub struct TwoPcConfig {
    /// Participants (≥ 1); the cluster is the coordinator `n0` plus `n1..=nN`.
    pub participants: usize,
    /// Basic or presumed abort.
    pub variant: Variant,
    /// The network.
    pub network: Network,
    /// Time a forced log write takes, ms (> 0).
    pub force_ms: f64,
    /// The coordinator aborts a transaction whose votes are not all in after this, ms (> 0).
    pub vote_timeout_ms: f64,
    /// Retry period: the coordinator resends unacked decisions, an in-doubt participant
    /// inquires again, ms (> 0).
    pub retry_ms: f64,
    /// Participants in doubt also ask each other (cooperative termination protocol).
    pub termination: bool,
    /// Probability a participant votes no (in [0, 1]).
    pub vote_no: f64,
    /// This participant (1..=N) always votes no.
    pub no_voter: Option<usize>,
    /// How a restarted participant treats its log.
    pub recovery: RecoveryRule,
    /// Planted bugs.
    pub bugs: Bugs<Bug>,
    /// Planted bug `InDoubtTimeoutAborts` gives up after this, ms.
    pub in_doubt_timeout_ms: f64,
    /// Fixed faults.
    pub faults: FaultSchedule,
    /// Random crash/restart pairs per run, drawn from the harness's fault stream (0: none).
    pub random_crashes: usize,
    /// Mean downtime of a random crash, ms (> 0).
    pub mean_down_ms: f64,
    /// Random two-way partitions per run (mean length 50 ms), from the fault stream.
    pub random_partitions: usize,
    /// Simulated time, ms (> 0).
    pub horizon_ms: f64,
}

impl TwoPcConfig {
    /// `participants` participants, basic 2PC, 1 ms constant delays, 2 ms forced writes, 50 ms
    /// vote timeout, 20 ms retries, no termination protocol, no faults, 1 s horizon.
    pub fn new(participants: usize) -> TwoPcConfig {
        TwoPcConfig {
            participants,
            variant: Variant::Basic,
            network: Network::new(Dist::Constant { value: 1.0 }),
            force_ms: 2.0,
            vote_timeout_ms: 50.0,
            retry_ms: 20.0,
            termination: false,
            vote_no: 0.0,
            no_voter: None,
            recovery: standard_recovery,
            bugs: Bugs::none(),
            in_doubt_timeout_ms: 30.0,
            faults: FaultSchedule::new(),
            random_crashes: 0,
            mean_down_ms: 50.0,
            random_partitions: 0,
            horizon_ms: 1_000.0,
        }
    }
    /// Set the variant.
    pub fn variant(mut self, v: Variant) -> Self {
        self.variant = v;
        self
    }
    /// Set the network.
    pub fn network(mut self, n: Network) -> Self {
        self.network = n;
        self
    }
    /// Turn the termination protocol on or off.
    pub fn termination(mut self, on: bool) -> Self {
        self.termination = on;
        self
    }
    /// Set the probability of a no vote.
    pub fn vote_no(mut self, p: f64) -> Self {
        self.vote_no = p;
        self
    }
    /// Participant `p` always votes no.
    pub fn no_voter(mut self, p: usize) -> Self {
        self.no_voter = Some(p);
        self
    }
    /// Set the participants' recovery rule.
    pub fn recovery(mut self, rule: RecoveryRule) -> Self {
        self.recovery = rule;
        self
    }
    /// Plant bugs.
    pub fn bugs(mut self, bugs: impl Into<Bugs<Bug>>) -> Self {
        self.bugs = bugs.into();
        self
    }
    /// Set the fixed faults.
    pub fn faults(mut self, f: FaultSchedule) -> Self {
        self.faults = f;
        self
    }
    /// Random crash/restart pairs per run.
    pub fn random_crashes(mut self, k: usize, mean_down_ms: f64) -> Self {
        self.random_crashes = k;
        self.mean_down_ms = mean_down_ms;
        self
    }
    /// Random partitions per run.
    pub fn random_partitions(mut self, k: usize) -> Self {
        self.random_partitions = k;
        self
    }
    /// Set the horizon.
    pub fn horizon_ms(mut self, ms: f64) -> Self {
        self.horizon_ms = ms;
        self
    }

    fn validate(&self) -> Result<()> {
        validate::at_least("participants", self.participants, 1)?;
        if self.participants > 64 {
            return Err(Error::out_of_range("participants", self.participants, "at most 64"));
        }
        for (name, v) in [
            ("force_ms", self.force_ms),
            ("vote_timeout_ms", self.vote_timeout_ms),
            ("retry_ms", self.retry_ms),
            ("in_doubt_timeout_ms", self.in_doubt_timeout_ms),
            ("mean_down_ms", self.mean_down_ms),
            ("horizon_ms", self.horizon_ms),
        ] {
            validate::positive(name, v)?;
            validate::finite(name, v)?;
        }
        validate::probability("vote_no", self.vote_no)?;
        if let Some(p) = self.no_voter {
            if p == 0 || p > self.participants {
                return Err(Error::out_of_range(
                    "no_voter",
                    p,
                    format!("must be a participant, 1..={}", self.participants),
                ));
            }
        }
        self.network.validate(self.participants + 1)?;
        Ok(())
    }

    fn nodes(&self) -> Vec<TpcNode> {
        let params = Params {
            variant: self.variant,
            force_ms: self.force_ms,
            vote_timeout_ms: self.vote_timeout_ms,
            retry_ms: self.retry_ms,
            in_doubt_timeout_ms: self.in_doubt_timeout_ms,
            termination: self.termination,
            vote_no: self.vote_no,
            no_voter: self.no_voter,
            recovery: self.recovery,
            bugs: self.bugs.clone(),
        };
        (0..=self.participants).map(|i| TpcNode::new(params.clone(), i == 0)).collect()
    }
}

/// Atomicity: no transaction is committed at one node and aborted at another.
pub fn check_atomicity(nodes: &[TpcNode]) -> std::result::Result<(), String> {
    // txn → (first node that committed it, first node that aborted it)
    let mut seen: BTreeMap<Txn, (Option<usize>, Option<usize>)> = BTreeMap::new();
    for (i, n) in nodes.iter().enumerate() {
        for t in n.txns() {
            let e = seen.entry(t).or_default();
            match n.outcome(t) {
                Some(Decision::Commit) => e.0 = e.0.or(Some(i)),
                Some(Decision::Abort) => e.1 = e.1.or(Some(i)),
                None => {}
            }
        }
    }
    for (t, (c, a)) in seen {
        if let (Some(c), Some(a)) = (c, a) {
            return Err(format!("txn {t} committed at n{c} and aborted at n{a}"));
        }
    }
    Ok(())
}

/// Write-ahead, both ways: a yes vote the coordinator holds is durable at its voter, and a
/// participant that committed has the commit durable at the coordinator.
pub fn check_durable_decisions(nodes: &[TpcNode]) -> std::result::Result<(), String> {
    let Some(coord) = nodes.first() else { return Ok(()) };
    for (&t, a) in &coord.active {
        for &p in &a.yes {
            if let Some(n) = nodes.get(p) {
                if n.log.last_durable(t).is_none() {
                    return Err(format!(
                        "n0 counts n{p}'s yes vote on txn {t}, not durable at n{p}"
                    ));
                }
            }
        }
    }
    for (i, n) in nodes.iter().enumerate().skip(1) {
        for (&t, s) in &n.states {
            if *s == PartState::Committed && coord.log.durable_decision(t) != Some(Decision::Commit)
            {
                return Err(format!(
                    "n{i} committed txn {t}, but n0's commit record is not durable"
                ));
            }
        }
    }
    Ok(())
}

/// The experiment: the config's nodes and faults, the atomicity and write-ahead invariants,
/// the workload's clients talking to the coordinator, and a liveness property (when every
/// node is up at the end and the last fault was 200 ms before it, nobody is in doubt).
pub fn experiment(cfg: &TwoPcConfig, workload: Workload) -> Result<Experiment<TpcNode>> {
    cfg.validate()?;
    let n = cfg.participants + 1;
    let fixed = cfg.faults.clone();
    let (k, mean_down, horizon) = (cfg.random_crashes, cfg.mean_down_ms, cfg.horizon_ms);
    let parts = cfg.random_partitions;
    let workload = workload.entry_nodes(0..1).target(Target::Node(0));
    let exp = Experiment::new(cfg.nodes())
        .network(cfg.network.clone())
        .horizon_ms(cfg.horizon_ms)
        .clients(workload)
        .invariant("atomicity", |sim: &Simulation<TpcNode>| check_atomicity(sim.nodes()))
        .invariant("durable decisions", |sim: &Simulation<TpcNode>| {
            check_durable_decisions(sim.nodes())
        })
        .property("no one left in doubt", move |sim: &Simulation<TpcNode>| {
            let last_fault = sim
                .faults()
                .faults()
                .iter()
                .map(|f| match f {
                    crate::sim::Fault::Partition { until_ms, .. }
                    | crate::sim::Fault::LinkDown { until_ms, .. } => *until_ms,
                    other => other.start_ms(),
                })
                .fold(0.0, f64::max);
            let all_up = (0..n).all(|i| sim.is_up(i));
            if !all_up || last_fault > horizon - 200.0 {
                return Ok(());
            }
            for (i, node) in sim.nodes().iter().enumerate() {
                if let Some(t) = node.in_doubt().first() {
                    return Err(format!("n{i} still in doubt about txn {t}"));
                }
            }
            Ok(())
        });
    Ok(if k == 0 && parts == 0 {
        exp.faults(fixed)
    } else {
        exp.faults_from(move |rng, nodes| {
            // crashes stay inside the first 60 % of the run so recovery can finish
            let random =
                FaultSchedule::random(nodes, horizon * 0.6, k, parts, mean_down, 50.0, rng)?;
            Ok(random.faults().iter().cloned().fold(fixed.clone(), |s, f| s.with(f)))
        })
    })
}

/// The default workload: `clients` closed-loop clients, `txns` transactions each, 5 ms think
/// time (exponential), 200 ms timeout.
pub fn workload(clients: usize, txns: usize) -> Workload {
    Workload::new(clients, txns)
        .read_fraction(0.0)
        .think_ms(Dist::Exponential { rate: 0.2 })
        .timeout_ms(200.0)
}

/// What one run did.
#[derive(Clone, Debug, PartialEq)]
pub struct TwoPcOutcome {
    /// Transactions the coordinator committed.
    pub committed: usize,
    /// Transactions it aborted.
    pub aborted: usize,
    /// Transactions some participant is still in doubt about at the end.
    pub in_doubt_at_end: usize,
    /// The first violation, if any.
    pub violation: Option<String>,
}

/// Run `cfg` with `workload` for one seed.
pub fn run(cfg: &TwoPcConfig, workload: Workload, seed: u64) -> Result<TwoPcOutcome> {
    let report = experiment(cfg, workload)?.run(seed)?;
    let nodes = report.sim().nodes();
    let coord = &nodes[0];
    let decided: Vec<Decision> = coord.txns().iter().filter_map(|&t| coord.outcome(t)).collect();
    let mut doubt = BTreeSet::new();
    for n in &nodes[1..] {
        doubt.extend(n.in_doubt());
    }
    Ok(TwoPcOutcome {
        committed: decided.iter().filter(|d| **d == Decision::Commit).count(),
        aborted: decided.iter().filter(|d| **d == Decision::Abort).count(),
        in_doubt_at_end: doubt.len(),
        violation: report.violation().map(|v| v.to_string()),
    })
}

/// The blocking scenario's fixed times, ms: one transaction invoked at `TXN_AT_MS`; with the
/// default 1 ms delays and 2 ms forces the votes reach the coordinator at 5 ms, while it
/// forces the commit record (5–7 ms); it crashes at `CRASH_AT_MS`, before the record is
/// durable, so no one knows the decision.
pub const TXN_AT_MS: f64 = 1.0;
/// See [`TXN_AT_MS`].
pub const CRASH_AT_MS: f64 = 6.0;

/// One point of the blocking sweep.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BlockingPoint {
    /// How long the coordinator was down, ms.
    pub downtime_ms: f64,
    /// Mean over participants of the time they were in doubt, ms.
    pub in_doubt_ms: f64,
    /// Mean over participants of the time they held their lock, ms.
    pub lock_held_ms: f64,
    /// Did every participant learn the outcome before the horizon?
    pub resolved: bool,
}

/// The traced blocking run's experiment: one transaction at [`TXN_AT_MS`], the coordinator
/// crashes at [`CRASH_AT_MS`] and restarts `downtime_ms` later.
pub fn blocking_experiment(cfg: &TwoPcConfig, downtime_ms: f64) -> Result<Experiment<TpcNode>> {
    validate::positive("downtime_ms", downtime_ms)?;
    validate::finite("downtime_ms", downtime_ms)?;
    let mut cfg = cfg.clone();
    cfg.faults = cfg.faults.clone().crash(0, CRASH_AT_MS).restart(0, CRASH_AT_MS + downtime_ms);
    cfg.horizon_ms = cfg.horizon_ms.max(CRASH_AT_MS + downtime_ms + 200.0);
    cfg.vote_timeout_ms = cfg.vote_timeout_ms.max(1.0);
    let wl = Workload::new(1, 0).timeout_ms(cfg.horizon_ms).write_at(TXN_AT_MS, 0, 0);
    experiment(&cfg, wl)
}

/// Run the blocking scenario once (seed 1).
pub fn blocking_run(cfg: &TwoPcConfig, downtime_ms: f64) -> Result<BlockingPoint> {
    let report = blocking_experiment(cfg, downtime_ms)?.run(1)?;
    let nodes = report.sim().nodes();
    let end = report.sim().now_ms();
    let mean = |pick: fn(&Meter) -> &Vec<Interval>| -> f64 {
        let parts = &nodes[1..];
        let total: f64 = parts
            .iter()
            .map(|n| pick(&n.meter).iter().map(|i| i.to_ms.unwrap_or(end) - i.from_ms).sum::<f64>())
            .sum();
        total / parts.len() as f64
    };
    let resolved = nodes[1..].iter().all(|n| n.in_doubt().is_empty() && n.lock.is_none());
    Ok(BlockingPoint {
        downtime_ms,
        in_doubt_ms: mean(|m| &m.in_doubt),
        lock_held_ms: mean(|m| &m.locked),
        resolved,
    })
}

/// The blocking scenario for each downtime.
pub fn blocking_sweep(cfg: &TwoPcConfig, downtimes_ms: &[f64]) -> Result<Vec<BlockingPoint>> {
    if downtimes_ms.is_empty() {
        return Err(Error::empty("downtimes_ms", "give at least one downtime"));
    }
    downtimes_ms.iter().map(|&d| blocking_run(cfg, d)).collect()
}

/// Log writes and messages of one transaction, from a fault-free run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogCost {
    /// Which protocol.
    pub variant: Variant,
    /// What happened to the transaction.
    pub decision: Decision,
    /// Coordinator: forced log writes.
    pub coordinator_forced: u32,
    /// Coordinator: all log writes.
    pub coordinator_writes: u32,
    /// One participant that voted yes: forced log writes.
    pub participant_forced: u32,
    /// The same participant: all log writes.
    pub participant_writes: u32,
    /// Messages between the coordinator and that participant (both directions).
    pub messages_per_participant: u32,
}

impl fmt::Display for LogCost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} {:?}: coordinator {} writes ({} forced), participant {} writes ({} forced), {} messages",
            self.variant,
            self.decision,
            self.coordinator_writes,
            self.coordinator_forced,
            self.participant_writes,
            self.participant_forced,
            self.messages_per_participant
        )
    }
}

/// Measure one committing and one aborting transaction (participant `N` votes no; `n1`
/// votes yes and is the one counted) for `variant`, with `participants` participants (≥ 2).
pub fn log_costs(participants: usize, variant: Variant) -> Result<[LogCost; 2]> {
    validate::at_least("participants", participants, 2)?;
    let one = |decision: Decision| -> Result<LogCost> {
        let mut cfg = TwoPcConfig::new(participants).variant(variant).horizon_ms(200.0);
        if decision == Decision::Abort {
            cfg = cfg.no_voter(participants);
        }
        let wl = Workload::new(1, 0).write_at(TXN_AT_MS, 0, 0);
        let report = experiment(&cfg, wl)?.run(1)?;
        if let Some(v) = report.violation() {
            return Err(Error::invalid("log_costs", v.to_string()));
        }
        let nodes = report.sim().nodes();
        let t = *nodes[0]
            .txns()
            .iter()
            .next()
            .ok_or_else(|| Error::invalid("log_costs", "no transaction ran"))?;
        let get = |m: &BTreeMap<Txn, u32>| m.get(&t).copied().unwrap_or(0);
        let sent = |from: &TpcNode, to: usize| from.meter.sent.get(&(t, to)).copied().unwrap_or(0);
        Ok(LogCost {
            variant,
            decision,
            coordinator_forced: get(&nodes[0].meter.forced),
            coordinator_writes: get(&nodes[0].meter.writes),
            participant_forced: get(&nodes[1].meter.forced),
            participant_writes: get(&nodes[1].meter.writes),
            messages_per_participant: sent(&nodes[0], 1) + sent(&nodes[1], 0),
        })
    };
    Ok([one(Decision::Commit)?, one(Decision::Abort)?])
}

/// Mohan, Lindsay & Obermarck (1986) (R*'s 2P and PA protocols; costs per subordinate that
/// voted yes):
/// `(variant, decision, coordinator forced writes, subordinate forced writes, messages)`.
/// Basic 2PC forces the decision at both ends and acknowledges it (4 messages: prepare, vote,
/// decision, ack); presumed abort commits the same way but aborts with no forced write at the
/// coordinator, one (the prepare record) at the subordinate, and no ack (3 messages).
pub const MOHAN_1986: [(Variant, Decision, u32, u32, u32); 4] = [
    (Variant::Basic, Decision::Commit, 1, 2, 4),
    (Variant::Basic, Decision::Abort, 1, 2, 4),
    (Variant::PresumedAbort, Decision::Commit, 1, 2, 4),
    (Variant::PresumedAbort, Decision::Abort, 0, 1, 3),
];

/// The exercise's judge: run 3-participant 2PC with `rule` as every participant's recovery
/// rule, participants crashing at random points (4 crash/restart pairs per run, some votes no)
/// over 40 seeds; `Ok` if atomicity held and every participant resolved, else why not.
pub fn judge_recovery(rule: RecoveryRule) -> std::result::Result<(), String> {
    let cfg =
        TwoPcConfig::new(3).vote_no(0.2).recovery(rule).random_crashes(4, 30.0).horizon_ms(800.0);
    let exp = experiment(&cfg, workload(2, 15)).map_err(|e| e.to_string())?;
    let sweep = exp.sweep(0..40, crate::sim::Sweep::StopAtFirst).map_err(|e| e.to_string())?;
    match sweep.violations().first() {
        None => Ok(()),
        Some(v) => Err(v.to_string()),
    }
}

/// # Three-phase commit, and the partition that breaks it
///
/// Skeen (1981) adds a round between the votes and the decision: after all yes votes the
/// coordinator sends `PreCommit`, collects acks, and only then `Commit`. No participant can
/// then be *uncertain* while another has committed, so when the coordinator is gone the
/// participants can finish among themselves ([`three_phase::ThreePcNode`]'s termination rule: ask the
/// peers; anyone committed or pre-committed → commit; anyone aborted, or everyone uncertain →
/// abort). That is non-blocking **if delays are bounded and a silent node is crashed**. With a
/// partition, a silent node may be alive and deciding on the other side:
/// [`three_phase::partition_run`] cuts `{n0, n1}` from `{n2, n3}` while the `PreCommit`s are in flight;
/// `n0` and `n1` commit, `n2` and `n3`, both uncertain, abort.
///
/// ```
/// use course_lib::txn::twopc::three_phase::{crash_run, partition_run};
/// # fn main() -> course_lib::Result<()> {
/// let crash = crash_run(500.0)?; // coordinator down 500 ms: participants do not wait for it
/// assert!(crash.atomic && crash.resolved_by_ms < 100.0);
/// let split = partition_run()?;
/// assert!(!split.atomic); // committed on one side, aborted on the other
/// # Ok(()) }
/// ```
pub mod three_phase {
    use std::collections::BTreeMap;

    use crate::error::Result;
    use crate::sim::{Ctx, Experiment, FaultSchedule, Node, NodeId, Simulation};

    /// A participant's state.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
    pub enum State {
        /// Has not voted.
        Initial,
        /// Voted yes.
        Uncertain,
        /// Got `PreCommit`.
        PreCommitted,
        /// Committed.
        Committed,
        /// Aborted.
        Aborted,
    }

    /// Messages.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Msg3 {
        /// Coordinator: phase 1.
        Prepare,
        /// Participant: yes.
        Yes,
        /// Coordinator: phase 2.
        PreCommit,
        /// Participant: got it.
        Ack,
        /// Coordinator: phase 3.
        Commit,
        /// Termination: what is your state?
        StateReq,
        /// Termination: my state.
        StateIs(State),
    }

    /// Timers.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Timer3 {
        /// Coordinator: begin the transaction.
        Begin,
        /// Coordinator: stop waiting for acks and commit.
        AckTimeout,
        /// Participant: the coordinator is silent; run the termination protocol.
        Silent,
        /// Participant: decide with the states heard.
        Decide,
    }

    /// A 3PC node (`n0` coordinates one transaction at 1 ms).
    #[derive(Clone, Debug)]
    pub struct ThreePcNode {
        state: State,
        acks: usize,
        heard: BTreeMap<usize, State>,
        decided_at: Option<f64>,
        timeout_ms: f64,
    }

    impl ThreePcNode {
        /// Its state.
        pub fn state(&self) -> State {
            self.state
        }
        fn finish(&mut self, ctx: &mut Ctx<Self>, s: State) {
            if !matches!(self.state, State::Committed | State::Aborted) {
                self.state = s;
                self.decided_at = Some(ctx.now_ms());
                ctx.note(format!("{s:?}"));
            }
        }
    }

    impl Node for ThreePcNode {
        type Msg = Msg3;
        type Timer = Timer3;
        type Request = ();
        type Response = ();

        fn on_start(&mut self, ctx: &mut Ctx<Self>) {
            if ctx.id().0 == 0 && self.state == State::Initial {
                ctx.set_timer(1.0, Timer3::Begin);
            }
        }

        fn on_message(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: Msg3) {
            let coordinator = ctx.id().0 == 0;
            match msg {
                Msg3::Prepare if self.state == State::Initial => {
                    self.state = State::Uncertain;
                    ctx.send(from, Msg3::Yes);
                    ctx.set_timer(self.timeout_ms, Timer3::Silent);
                }
                Msg3::Yes if coordinator => {
                    self.acks += 1;
                    if self.acks == ctx.cluster_size() - 1 {
                        self.acks = 0;
                        self.state = State::PreCommitted;
                        ctx.broadcast(Msg3::PreCommit);
                        ctx.set_timer(self.timeout_ms / 2.0, Timer3::AckTimeout);
                    }
                }
                Msg3::PreCommit if self.state == State::Uncertain => {
                    self.state = State::PreCommitted;
                    ctx.send(from, Msg3::Ack);
                }
                Msg3::Ack if coordinator && self.state == State::PreCommitted => {
                    self.acks += 1;
                    if self.acks == ctx.cluster_size() - 1 {
                        self.finish(ctx, State::Committed);
                        ctx.broadcast(Msg3::Commit);
                    }
                }
                Msg3::Commit => self.finish(ctx, State::Committed),
                Msg3::StateReq => ctx.send(from, Msg3::StateIs(self.state)),
                Msg3::StateIs(s) => {
                    self.heard.insert(from.0, s);
                }
                _ => {}
            }
        }

        fn on_timer(&mut self, ctx: &mut Ctx<Self>, timer: Timer3) {
            match timer {
                Timer3::Begin => ctx.broadcast(Msg3::Prepare),
                Timer3::AckTimeout if self.state == State::PreCommitted => {
                    // Skeen: a participant that did not ack is presumed crashed; commit
                    self.finish(ctx, State::Committed);
                    ctx.broadcast(Msg3::Commit);
                }
                Timer3::Silent if !matches!(self.state, State::Committed | State::Aborted) => {
                    let me = ctx.id().0;
                    self.heard.clear();
                    self.heard.insert(me, self.state);
                    for p in (1..ctx.cluster_size()).filter(|&p| p != me) {
                        ctx.send(NodeId(p), Msg3::StateReq);
                    }
                    ctx.set_timer(5.0, Timer3::Decide);
                }
                Timer3::Decide if !matches!(self.state, State::Committed | State::Aborted) => {
                    let states: Vec<State> = self.heard.values().copied().collect();
                    let commit =
                        states.iter().any(|s| matches!(s, State::Committed | State::PreCommitted));
                    let abort = states.contains(&State::Aborted);
                    self.finish(
                        ctx,
                        if commit && !abort { State::Committed } else { State::Aborted },
                    );
                }
                _ => {}
            }
        }

        fn restarted(&self) -> Self {
            // the coordinator restarts having given up (it never committed: abort)
            ThreePcNode { state: State::Aborted, ..self.clone() }
        }
    }

    /// What a 3PC scenario ended with.
    #[derive(Clone, Debug, PartialEq)]
    pub struct ThreePcRun {
        /// Each node's final state.
        pub states: Vec<State>,
        /// No node committed while another aborted (the restarted coordinator excluded: it
        /// takes the participants' outcome in the full protocol).
        pub atomic: bool,
        /// When the last participant decided, ms (∞: some never did).
        pub resolved_by_ms: f64,
    }

    fn experiment(faults: FaultSchedule) -> Experiment<ThreePcNode> {
        let node = ThreePcNode {
            state: State::Initial,
            acks: 0,
            heard: BTreeMap::new(),
            decided_at: None,
            timeout_ms: 20.0,
        };
        Experiment::new(vec![node; 4]).faults(faults).horizon_ms(1_000.0)
    }

    fn outcome(sim: &Simulation<ThreePcNode>, coordinator_counts: bool) -> ThreePcRun {
        let nodes = sim.nodes();
        let states: Vec<State> = nodes.iter().map(|n| n.state).collect();
        let counted = if coordinator_counts { &states[..] } else { &states[1..] };
        let atomic = !(counted.contains(&State::Committed) && counted.contains(&State::Aborted));
        let resolved_by_ms =
            nodes[1..].iter().map(|n| n.decided_at.unwrap_or(f64::INFINITY)).fold(0.0, f64::max);
        ThreePcRun { states, atomic, resolved_by_ms }
    }

    /// The coordinator crashes at 2.5 ms (the votes are on their way) and stays down
    /// `downtime_ms`: the participants, all uncertain, abort after their 20 ms timeout, however
    /// long it is down (2PC would block for the whole downtime).
    pub fn crash_run(downtime_ms: f64) -> Result<ThreePcRun> {
        crate::error::validate::positive("downtime_ms", downtime_ms)?;
        let faults = FaultSchedule::new().crash(0, 2.5).restart(0, 2.5 + downtime_ms);
        let report = experiment(faults).run(1)?;
        Ok(outcome(report.sim(), false))
    }

    /// The partition `{n0, n1} | {n2, n3}` from 3.5 ms, while the `PreCommit`s sent at 3 ms are
    /// in flight: `n1` gets its copy, `n2` and `n3` lose theirs (module docs).
    pub fn partition_run() -> Result<ThreePcRun> {
        let faults =
            FaultSchedule::new().partition(vec![vec![0, 1], vec![2, 3]], 3.5, f64::INFINITY);
        let report = experiment(faults).run(1)?;
        Ok(outcome(report.sim(), true))
    }

    /// The traced partition run's experiment (for a sequence diagram).
    pub fn partition_experiment() -> Experiment<ThreePcNode> {
        experiment(FaultSchedule::new().partition(vec![vec![0, 1], vec![2, 3]], 3.5, f64::INFINITY))
    }
}
