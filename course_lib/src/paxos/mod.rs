//! # Paxos: agreeing on one value over a network that loses, duplicates and reorders
//!
//! **Consensus.** Processes each propose a value and must decide one, such that
//! * **agreement**: no two processes decide different values;
//! * **validity**: a decided value was proposed by someone;
//! * **termination**: every correct process eventually decides.
//!
//! Fischer, Lynch and Paterson (1985) proved that no *deterministic* protocol guarantees all
//! three in an asynchronous system where even one process may crash: whatever the protocol,
//! some schedule of message delays keeps it undecided forever. Paxos keeps agreement and
//! validity in **every** run, and gives up termination only in unlucky runs: it terminates
//! once one proposer runs undisturbed long enough, which randomized timeouts, backoff and a
//! distinguished proposer make happen with probability 1 in practice.
//!
//! **Single-decree Paxos** (Lamport, "Paxos Made Simple", 2001). Proposers, acceptors and
//! learners; ballots `b = (round, proposer)` are totally ordered and never reused; a quorum is
//! any majority of the $n$ acceptors ($\lfloor n/2 \rfloor + 1$).
//! 1. *Phase 1a* — a proposer picks a new ballot $b$ and sends `Prepare(b)` to the acceptors.
//! 2. *Phase 1b* — an acceptor that has promised nothing $\ge b$ promises $b$ and replies
//!    `Promise(b, (b', v'))` with the highest-ballot pair it accepted, if any
//!    ([`paxos_prepare`]); a repeated `Prepare(b)` for the ballot it promised gets the same
//!    promise again. It refuses (`Nack`) only a ballot below the one it promised, and only
//!    such a `Nack` makes a proposer give up its ballot.
//! 3. *Phase 2a* — with promises from a majority, the proposer sends `Accept(b, v)`, where $v$
//!    is the value of the highest $b'$ among the promises, or its own value if there is none
//!    ([`highest_accepted_or_own`]; Lamport's P2c).
//! 4. *Phase 2b* — an acceptor accepts unless it promised a ballot $> b$ ([`paxos_accept`]) and
//!    tells the proposer and the learners. A value is **chosen** when a majority accepted it in
//!    the same ballot; a learner **learns** it on receiving those majority `Accepted`s.
//!
//! Safety rests on two facts: any two majorities intersect, and an acceptor's promise and
//! accepted pair are **durable** (they survive a crash). Liveness is not guaranteed:
//! proposers that keep pre-empting each other ("dueling proposers", §2.4 of the paper) can
//! go on forever; [`Strategy::Leader`] (a distinguished proposer, backups that step in late,
//! randomized exponential backoff) is the usual fix.
//!
//! **The checker.** Every acceptor keeps a ghost log of what it accepted (an observer's
//! record that survives crashes and is not protocol state). After a run, a value counts as
//! chosen at the moment a majority has accepted it in one ballot; [`PaxosRun::breach`]
//! reports two different chosen values, learners that learned different values (or one
//! learner two values), a learned value that was never chosen, or a chosen value nobody
//! proposed. A run is an experiment of the harness ([`PaxosConfig::experiment`]: the network
//! value, crashes drawn from each seed's faults stream, [`SAFETY`] checked at the end, reported
//! as the harness's [`Violation`]); [`check_agreement`] runs many seeds with message loss,
//! duplication, reordering and acceptor crashes. The checker is trusted because it catches the planted bugs
//! ([`PlantedBug`]) within a few hundred seeds.
//!
//! **FLP in miniature** ([`flp`]): an adversarial scheduler that holds back exactly the
//! messages that would decide keeps Paxos undecided forever, safely.
//!
//! **Multi-Paxos** ([`multi`]): a stable leader runs phase 1 once for all future slots and
//! then only phase 2 per value, halving the messages per decided value.
//!
//! ```
//! use course_lib::paxos::{check_agreement, default_network, PaxosConfig, PlantedBug, Strategy};
//!
//! let config = PaxosConfig::new(3, 5, 2)             // 3 proposers, 5 acceptors, 2 learners
//!     .network(default_network().with_loss(0.1).with_duplicate(0.1)) // it reorders too
//!     .acceptor_crashes(2, 200.0, 50.0);              // 2 crash/restarts in the first 200 ms
//! let report = check_agreement(&config, 0..50)?;
//! assert!(report.violations.is_empty());
//!
//! // A proposer that ignores what the promises say breaks agreement quickly.
//! let buggy = config.clone().strategy(Strategy::Dueling { restart_ms: (0.0, 10.0) }).bug(PlantedBug::IgnoreAcceptedValue);
//! assert!(!check_agreement(&buggy, 0..200)?.violations.is_empty());
//! # Ok::<(), course_lib::Error>(())
//! ```
//!
//! ## Reading
//! * L. Lamport, "Paxos Made Simple", *ACM SIGACT News* 32(4), 2001.
//! * L. Lamport, "The Part-Time Parliament", *ACM TOCS* 16(2), 1998.
//! * M. J. Fischer, N. A. Lynch and M. S. Paterson, "Impossibility of Distributed Consensus
//!   with One Faulty Process", *JACM* 32(2), 1985.
//! * T. D. Chandra, R. Griesemer and J. Redstone, "Paxos Made Live: An Engineering
//!   Perspective", PODC 2007.
//! * H. Howard, D. Malkhi and A. Spiegelman, "Flexible Paxos: Quorum Intersection
//!   Revisited", OPODIS 2016.

pub mod flp;
pub mod multi;
mod node;
#[cfg(test)]
mod tests;

pub use node::{
    accept_always, highest_accepted_or_own, own_value_only, paxos_accept, paxos_prepare,
    AcceptRule, AcceptedPair, Acceptor, AcceptorState, Ballot, Learner, Msg, PaxosNode,
    PrepareRule, Proposer, Strategy, Timer, Value, ValueRule,
};

use std::fmt;
use std::ops::Range;

use crate::dist::Dist;
use crate::error::{validate, Error, Result};
use crate::rng::SimRng;
use crate::sim::{Experiment, FaultSchedule, Network, SimStats, Simulation, Stream, Violation};
use node::Rules;

pub use crate::sim::Bugs;

/// A classic mistake, planted on purpose so the agreement checker can be seen to catch it
/// (planted as a [`Bugs`] set: [`PaxosConfig::bug`]; the default is none).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PlantedBug {
    /// An acceptor keeps its promise in memory only: after a restart it has forgotten every
    /// ballot it promised (it still remembers what it accepted).
    VolatilePromise,
    /// A proposer proposes its own value even when a promise reports an accepted one
    /// (violates P2c).
    IgnoreAcceptedValue,
    /// An acceptor accepts every `Accept`, even for a ballot below the one it promised.
    AcceptWithoutPromise,
}

/// Configuration of a single-decree Paxos run. Node ids: proposers `0..P`, acceptors
/// `P..P+A`, learners `P+A..P+A+L` (see [`PaxosConfig::acceptor_id`] and friends).
#[derive(Clone, Debug)]
pub struct PaxosConfig {
    proposers: usize,
    acceptors: usize,
    learners: usize,
    network: Network,
    retry_ms: (f64, f64),
    strategy: Strategy,
    bugs: Bugs<PlantedBug>,
    prepare: PrepareRule,
    accept: AcceptRule,
    value: ValueRule,
    crashes: usize,
    crash_window_ms: f64,
    mean_down_ms: f64,
    faults: FaultSchedule,
    horizon_ms: f64,
}

impl PaxosConfig {
    /// `proposers ≥ 1`, `acceptors ≥ 1`, any number of learners (checked when run).
    /// Defaults: the [`default_network`] (one-way delays uniform in 1–9 ms, no loss or
    /// duplication, reordering), retry timeouts uniform in 40–80 ms, [`Strategy::Leader`] with
    /// a 100 ms takeover, correct rules, no crashes, a 2 s horizon. Setters never fail; a run
    /// checks everything and says what is wrong.
    pub fn new(proposers: usize, acceptors: usize, learners: usize) -> PaxosConfig {
        PaxosConfig {
            proposers,
            acceptors,
            learners,
            network: default_network(),
            retry_ms: (40.0, 80.0),
            strategy: Strategy::Leader { takeover_ms: 100.0 },
            bugs: Bugs::none(),
            prepare: paxos_prepare,
            accept: paxos_accept,
            value: highest_accepted_or_own,
            crashes: 0,
            crash_window_ms: 0.0,
            mean_down_ms: 1.0,
            faults: FaultSchedule::new(),
            horizon_ms: 2_000.0,
        }
    }

    /// The network the nodes talk over: delays, loss, duplication, FIFO, per-link overrides
    /// (e.g. `default_network().with_loss(0.1).with_duplicate(0.1)`, or one slow acceptor with
    /// `with_link_both`).
    pub fn network(mut self, network: Network) -> Self {
        self.network = network;
        self
    }

    /// Retry timeouts are drawn uniformly from `[lo_ms, hi_ms]` (`0 < lo_ms ≤ hi_ms`);
    /// `lo_ms` should exceed a phase-1 plus phase-2 round trip (four one-way delays), or
    /// proposers give up on ballots that would have succeeded.
    pub fn retry_timeout_ms(mut self, lo_ms: f64, hi_ms: f64) -> Self {
        self.retry_ms = (lo_ms, hi_ms);
        self
    }

    /// How proposers behave towards each other.
    pub fn strategy(mut self, strategy: Strategy) -> Self {
        self.strategy = strategy;
        self
    }

    /// Plant a bug (several may be planted).
    pub fn bug(mut self, bug: PlantedBug) -> Self {
        self.bugs = self.bugs.with(bug);
        self
    }

    /// Plant exactly these bugs.
    pub fn bugs(mut self, bugs: Bugs<PlantedBug>) -> Self {
        self.bugs = bugs;
        self
    }

    /// Replace the acceptors' prepare rule (an exercise: write your own).
    pub fn prepare_rule(mut self, rule: PrepareRule) -> Self {
        self.prepare = rule;
        self
    }

    /// Replace the acceptors' accept rule.
    pub fn accept_rule(mut self, rule: AcceptRule) -> Self {
        self.accept = rule;
        self
    }

    /// Replace the proposers' value rule.
    pub fn value_rule(mut self, rule: ValueRule) -> Self {
        self.value = rule;
        self
    }

    /// `count` random acceptor crashes, each at a uniform time in `[0, within_ms)` and lasting
    /// an exponential time of mean `mean_down_ms` (then the acceptor restarts from its durable
    /// state). Drawn from the run's seed.
    pub fn acceptor_crashes(mut self, count: usize, within_ms: f64, mean_down_ms: f64) -> Self {
        self.crashes = count;
        self.crash_window_ms = within_ms;
        self.mean_down_ms = mean_down_ms;
        self
    }

    /// Extra faults, by node id (checked against this cluster when run: an unknown id is an
    /// error).
    pub fn faults(mut self, faults: FaultSchedule) -> Self {
        self.faults = faults;
        self
    }

    /// How long a run may last (virtual ms, > 0); most runs stop earlier, once nothing is left
    /// to do.
    pub fn horizon_ms(mut self, horizon_ms: f64) -> Self {
        self.horizon_ms = horizon_ms;
        self
    }

    /// Checks every parameter, naming the first bad one.
    pub fn validate(&self) -> Result<()> {
        validate::at_least("proposers", self.proposers, 1)?;
        validate::at_least("acceptors", self.acceptors, 1)?;
        let (lo, hi) = self.retry_ms;
        validate::positive("lo_ms", lo)?;
        validate::ordered("lo_ms", lo, "hi_ms", hi)?;
        if self.crashes > 0 {
            validate::positive("within_ms", self.crash_window_ms)?;
            validate::positive("mean_down_ms", self.mean_down_ms)?;
        }
        validate::positive("horizon_ms", self.horizon_ms)?;
        self.network.validate(self.cluster_size())?;
        self.faults.validate(self.cluster_size())?;
        Ok(())
    }

    /// Total number of nodes.
    pub fn cluster_size(&self) -> usize {
        self.proposers + self.acceptors + self.learners
    }

    /// The horizon of a run (ms).
    pub fn horizon(&self) -> f64 {
        self.horizon_ms
    }

    /// Number of proposers, acceptors, learners.
    pub fn roles(&self) -> (usize, usize, usize) {
        (self.proposers, self.acceptors, self.learners)
    }

    /// Node id of acceptor `i`.
    pub fn acceptor_id(&self, i: usize) -> Result<usize> {
        if i < self.acceptors {
            Ok(self.proposers + i)
        } else {
            Err(Error::out_of_range("acceptor", i, format!("must be below {}", self.acceptors)))
        }
    }

    /// Node id of learner `i`.
    pub fn learner_id(&self, i: usize) -> Result<usize> {
        if i < self.learners {
            Ok(self.proposers + self.acceptors + i)
        } else {
            Err(Error::out_of_range("learner", i, format!("must be below {}", self.learners)))
        }
    }

    /// Lane names for diagrams: `P0`, `A0`, `L0`, ….
    pub fn lane_names(&self) -> Vec<String> {
        let p = (0..self.proposers).map(|i| format!("P{i}"));
        let a = (0..self.acceptors).map(|i| format!("A{i}"));
        let l = (0..self.learners).map(|i| format!("L{i}"));
        p.chain(a).chain(l).collect()
    }

    /// The values proposers propose: proposer `i` proposes `100 + i`.
    pub fn proposed_values(&self) -> Vec<Value> {
        (0..self.proposers as u64).map(|i| 100 + i).collect()
    }

    fn rules(&self) -> Rules {
        let has = |b| self.bugs.has(b);
        Rules {
            proposers: self.proposers,
            acceptors: self.acceptors,
            learners: self.learners,
            retry_lo_ms: self.retry_ms.0,
            retry_hi_ms: self.retry_ms.1,
            strategy: self.strategy,
            volatile_promise: has(PlantedBug::VolatilePromise),
            prepare: self.prepare,
            accept: if has(PlantedBug::AcceptWithoutPromise) { accept_always } else { self.accept },
            value: if has(PlantedBug::IgnoreAcceptedValue) { own_value_only } else { self.value },
        }
    }

    /// The fault schedule of a run with this seed: the random acceptor crashes (drawn from
    /// the run's faults stream) plus the configured faults.
    pub fn fault_schedule(&self, seed: u64) -> FaultSchedule {
        self.crash_schedule(&mut Stream::Faults.rng(seed))
    }

    fn crash_schedule(&self, rng: &mut SimRng) -> FaultSchedule {
        let mut s = self.faults.clone();
        for _ in 0..self.crashes {
            let node = self.proposers + rng.below(self.acceptors as u64) as usize;
            let at = rng.uniform_range(0.0, self.crash_window_ms);
            let down = rng.exponential(1.0 / self.mean_down_ms);
            s = s.crash(node, at).restart(node, at + down);
        }
        s
    }

    fn validated_rules(&self) -> Result<Rules> {
        self.validate()?;
        match self.strategy {
            Strategy::Leader { takeover_ms } => {
                validate::non_negative("takeover_ms", takeover_ms)?;
            }
            Strategy::Dueling { restart_ms: (lo, hi) } => {
                validate::non_negative("restart lo_ms", lo)?;
                validate::ordered("restart lo_ms", lo, "restart hi_ms", hi)?;
            }
        }
        Ok(self.rules())
    }

    /// The configuration as an experiment of the harness: the nodes, the network, the
    /// random acceptor crashes of each seed (from its faults stream) plus the fixed faults,
    /// the horizon, and agreement and validity checked when the run ends (the ghost logs make
    /// the whole run visible then).
    pub fn experiment(&self) -> Result<Experiment<PaxosNode>> {
        let rules = self.validated_rules()?;
        let crashes = self.clone();
        Ok(Experiment::new(PaxosNode::cluster(rules, &self.proposed_values()))
            .network(self.network.clone())
            .faults_from(move |rng, _| Ok(crashes.crash_schedule(rng)))
            .horizon_ms(self.horizon_ms)
            .property(SAFETY, |sim| match PaxosRun::from_simulation(sim).breach() {
                Some(b) => Err(b.to_string()),
                None => Ok(()),
            }))
    }

    /// Build the simulation for `seed` (not yet run), e.g. to step through it.
    pub fn simulation(&self, seed: u64, trace: bool) -> Result<Simulation<PaxosNode>> {
        self.experiment()?.trace(trace).simulation(seed)
    }
}

/// The name of the property every Paxos run is checked for.
pub const SAFETY: &str = "agreement and validity";

/// The default network of a Paxos run: one-way delays uniform in 1–9 ms, no loss, no
/// duplication, messages may overtake each other.
pub fn default_network() -> Network {
    Network::new(Dist::Uniform { lo: 1.0, hi: 9.0 })
}

/// A value that became chosen: a majority of acceptors accepted it in `ballot`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Chosen {
    /// The value.
    pub value: Value,
    /// The ballot in which a majority accepted it.
    pub ballot: Ballot,
    /// When the majority was reached (ms).
    pub at_ms: f64,
}

/// What broke in a run, as found by [`PaxosRun::breach`] (the harness reports it as a
/// [`Violation`] of [`SAFETY`], with this as its detail).
#[derive(Clone, Debug, PartialEq)]
pub enum Breach {
    /// Agreement: two different values were chosen.
    TwoValuesChosen {
        /// The first chosen.
        first: Chosen,
        /// A different value chosen later.
        second: Chosen,
    },
    /// Agreement: learners learned different values (`a == b` when one learner learned two).
    LearnersDisagree {
        /// A learner (index among learners).
        a: usize,
        /// Its value.
        value_a: Value,
        /// Another (or the same) learner.
        b: usize,
        /// Its different value.
        value_b: Value,
    },
    /// A learner learned a value that was never chosen.
    LearnedNotChosen {
        /// The learner (index among learners).
        learner: usize,
        /// The value.
        value: Value,
    },
    /// Validity: a chosen value that no proposer proposed.
    NotProposed {
        /// The value.
        value: Value,
    },
}

impl fmt::Display for Breach {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Breach::TwoValuesChosen { first, second } => write!(
                f,
                "agreement violated: v{} chosen in ballot {} at {:.1} ms, then v{} in ballot {} \
                 at {:.1} ms",
                first.value, first.ballot, first.at_ms, second.value, second.ballot, second.at_ms
            ),
            Breach::LearnersDisagree { a, value_a, b, value_b } => {
                write!(
                    f,
                    "agreement violated: learner L{a} learned v{value_a}, L{b} learned v{value_b}"
                )
            }
            Breach::LearnedNotChosen { learner, value } => {
                write!(f, "learner L{learner} learned v{value}, which was never chosen")
            }
            Breach::NotProposed { value } => {
                write!(f, "validity violated: v{value} was chosen but never proposed")
            }
        }
    }
}

/// What one run did: plain data for checks and plots.
#[derive(Clone, Debug)]
pub struct PaxosRun {
    /// The seed.
    pub seed: u64,
    /// Values the proposers proposed.
    pub proposed: Vec<Value>,
    /// Values chosen, in the order they became chosen (more than one distinct = a violation).
    pub chosen: Vec<Chosen>,
    /// Per learner, the values it learned with the time (ms).
    pub learned: Vec<Vec<(f64, Value)>>,
    /// Per proposer, the value it decided, if any.
    pub decisions: Vec<Option<Value>>,
    /// Times (ms) at which any proposer started a ballot, sorted.
    pub ballot_starts_ms: Vec<f64>,
    /// The simulator's counters.
    pub stats: SimStats,
    /// The end of the observed run (ms): the horizon, or the simulation's clock when it was read.
    pub end_ms: f64,
}

impl PaxosRun {
    /// Read the outcome off a simulation (after running it).
    pub fn from_simulation(sim: &Simulation<PaxosNode>) -> PaxosRun {
        PaxosRun::from_nodes(sim.nodes(), sim.seed(), sim.stats().clone(), sim.now_ms())
    }

    /// Read the outcome off the nodes of a run.
    pub(crate) fn from_nodes(
        nodes: &[PaxosNode],
        seed: u64,
        stats: SimStats,
        end_ms: f64,
    ) -> PaxosRun {
        let mut accepts: Vec<(f64, Ballot, Value, usize)> = Vec::new();
        let mut proposed = Vec::new();
        let mut decisions = Vec::new();
        let mut learned = Vec::new();
        let mut starts = Vec::new();
        let mut acceptors = 0;
        for node in nodes {
            match node {
                PaxosNode::Proposer(p) => {
                    proposed.push(p.own_value());
                    decisions.push(node.decided());
                    starts.extend_from_slice(&p.started_ms);
                }
                PaxosNode::Acceptor(a) => {
                    accepts.extend(a.accepted_log.iter().map(|&(t, b, v)| (t, b, v, acceptors)));
                    acceptors += 1;
                }
                PaxosNode::Learner(l) => learned.push(l.learned.clone()),
            }
        }
        starts.sort_by(f64::total_cmp);
        // A (ballot, value) is chosen when the majority-th distinct acceptor accepts it.
        accepts.sort_by(|x, y| x.0.total_cmp(&y.0));
        let majority = acceptors / 2 + 1;
        let mut voters: std::collections::HashMap<(Ballot, Value), Vec<usize>> =
            std::collections::HashMap::new();
        let mut chosen = Vec::new();
        for (t, b, v, a) in accepts {
            let set = voters.entry((b, v)).or_default();
            if !set.contains(&a) {
                set.push(a);
                if set.len() == majority {
                    chosen.push(Chosen { value: v, ballot: b, at_ms: t });
                }
            }
        }
        PaxosRun {
            seed,
            proposed,
            chosen,
            learned,
            decisions,
            ballot_starts_ms: starts,
            stats,
            end_ms,
        }
    }

    /// The first breach of agreement or validity in this run, if any.
    pub fn breach(&self) -> Option<Breach> {
        if let Some(first) = self.chosen.first() {
            if let Some(second) = self.chosen.iter().find(|c| c.value != first.value) {
                return Some(Breach::TwoValuesChosen { first: *first, second: *second });
            }
        }
        for c in &self.chosen {
            if !self.proposed.contains(&c.value) {
                return Some(Breach::NotProposed { value: c.value });
            }
        }
        let mut first_learned: Option<(usize, Value)> = None;
        for (i, values) in self.learned.iter().enumerate() {
            for &(_, v) in values {
                if !self.chosen.iter().any(|c| c.value == v) {
                    return Some(Breach::LearnedNotChosen { learner: i, value: v });
                }
                match first_learned {
                    None => first_learned = Some((i, v)),
                    Some((j, w)) if w != v => {
                        return Some(Breach::LearnersDisagree {
                            a: j,
                            value_a: w,
                            b: i,
                            value_b: v,
                        })
                    }
                    _ => {}
                }
            }
        }
        None
    }

    /// The value chosen first and when, if any.
    pub fn first_chosen(&self) -> Option<Chosen> {
        self.chosen.first().copied()
    }

    /// Number of ballots started before the first value was chosen (all of them if none was).
    pub fn ballots_until_chosen(&self) -> usize {
        match self.first_chosen() {
            Some(c) => self.ballot_starts_ms.iter().filter(|&&t| t <= c.at_ms).count(),
            None => self.ballot_starts_ms.len(),
        }
    }

    /// Cumulative number of ballots started, sampled every `step_ms` from 0 to the end of the
    /// run: the liveness picture (a line that keeps rising with no decision is a livelock).
    pub fn ballots_series(&self, step_ms: f64) -> Result<Vec<(f64, f64)>> {
        validate::positive("step_ms", step_ms)?;
        let steps = (self.end_ms / step_ms).ceil() as usize;
        let mut out = Vec::with_capacity(steps + 1);
        let mut k = 0;
        for i in 0..=steps {
            let t = i as f64 * step_ms;
            while k < self.ballot_starts_ms.len() && self.ballot_starts_ms[k] <= t {
                k += 1;
            }
            out.push((t, k as f64));
        }
        Ok(out)
    }
}

/// Run `config` with `seed` until the horizon (or until nothing is left to happen).
pub fn run(config: &PaxosConfig, seed: u64) -> Result<PaxosRun> {
    Ok(PaxosRun::from_simulation(config.experiment()?.run(seed)?.sim()))
}

/// What [`check_agreement`] found over many seeds: the violations (the harness's) and how
/// fast the runs decided.
#[derive(Clone, Debug)]
pub struct AgreementReport {
    /// Runs made.
    pub runs: usize,
    /// Runs in which some value was chosen before the horizon.
    pub decided: usize,
    /// Every run with a violation (its seed is in it).
    pub violations: Vec<Violation>,
    /// Mean time to the first chosen value over the decided runs (ms; NaN if none).
    pub mean_decision_ms: f64,
    /// Mean messages sent per run.
    pub mean_messages: f64,
}

impl fmt::Display for AgreementReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} runs: {} decided (mean {:.1} ms), {} with a violation, {:.0} messages per run",
            self.runs,
            self.decided,
            self.mean_decision_ms,
            self.violations.len(),
            self.mean_messages
        )?;
        if let Some(v) = self.violations.first() {
            write!(f, "; first: {v}")?;
        }
        Ok(())
    }
}

/// Run every seed of `seeds` and check agreement and validity on each.
pub fn check_agreement(config: &PaxosConfig, seeds: Range<u64>) -> Result<AgreementReport> {
    if seeds.is_empty() {
        return Err(Error::empty("the seed range", "give at least one seed, e.g. 0..100"));
    }
    let exp = config.experiment()?;
    let mut report = AgreementReport {
        runs: 0,
        decided: 0,
        violations: Vec::new(),
        mean_decision_ms: 0.0,
        mean_messages: 0.0,
    };
    let mut decision_sum = 0.0;
    let mut messages = 0u64;
    for seed in seeds {
        let done = exp.run(seed)?;
        let r = PaxosRun::from_simulation(done.sim());
        report.runs += 1;
        messages += r.stats.sent;
        if let Some(c) = r.first_chosen() {
            report.decided += 1;
            decision_sum += c.at_ms;
        }
        if let Some(v) = done.violation() {
            report.violations.push(v.clone());
        }
    }
    report.mean_decision_ms =
        if report.decided > 0 { decision_sum / report.decided as f64 } else { f64::NAN };
    report.mean_messages = messages as f64 / report.runs as f64;
    Ok(report)
}

/// The first run of `seeds` that violates agreement or validity (its seed is in the
/// violation; the sweep's replay, with the trace, is [`Experiment::sweep`]'s).
pub fn first_violation(config: &PaxosConfig, seeds: Range<u64>) -> Result<Option<Violation>> {
    if seeds.is_empty() {
        return Err(Error::empty("the seed range", "give at least one seed, e.g. 0..100"));
    }
    let sweep = config.experiment()?.sweep(seeds, crate::sim::Sweep::StopAtFirst)?;
    Ok(sweep.violations().first().cloned())
}

/// The randomness-vs-termination experiment: dueling proposers whose restart delay after a
/// pre-emption is uniform in `[0, spread_ms]`, for each spread in `spreads_ms`. Returns, per
/// spread, the number of ballots started before a value was chosen in each of `runs` seeded
/// runs (`None` when nothing was chosen by the horizon).
pub fn ballots_to_decision(
    config: &PaxosConfig,
    spreads_ms: &[f64],
    runs: u64,
) -> Result<Vec<(f64, Vec<Option<usize>>)>> {
    validate::at_least("runs", runs as usize, 1)?;
    let mut out = Vec::with_capacity(spreads_ms.len());
    for &spread in spreads_ms {
        validate::non_negative("spread_ms", spread)?;
        let c = config.clone().strategy(Strategy::Dueling { restart_ms: (0.0, spread) });
        let mut v = Vec::with_capacity(runs as usize);
        for seed in 0..runs {
            let r = run(&c, seed)?;
            v.push(r.first_chosen().map(|_| r.ballots_until_chosen()));
        }
        out.push((spread, v));
    }
    Ok(out)
}
