//! # Sagas: long transactions as steps with compensations
//!
//! Two-phase commit holds locks on every participant until the decision, which is fine for a
//! few milliseconds and not for a trip booking that spans an airline, a hotel and a car rental
//! run by different companies. A **saga** (Garcia-Molina & Salem 1987) is a sequence of local
//! transactions $T_1, \dots, T_n$, each committed at once on its own service, with a
//! **compensating** transaction $C_i$ that semantically undoes $T_i$. The saga guarantees that
//! either $T_1 \dots T_n$ all run, or, if $T_k$ fails, $T_1 \dots T_{k-1}$ and then
//! $C_{k-1} \dots C_1$ (in reverse order) run.
//!
//! **What is lost is isolation.** Each $T_i$ commits on its own, so another client can read
//! the effect of $T_1$ before $C_1$ undoes it: a booking is *seen* and then vanishes (a dirty
//! read of something that, from the saga's point of view, never happened). [`run`] counts
//! such reads ([`SagaOutcome::dirty_reads`]).
//!
//! **Compensations must be idempotent.** The orchestrator resends a step or a compensation
//! whose answer is late (at-least-once delivery), and the network may duplicate messages. A
//! compensation that adds a seat back every time it arrives ([`Bug::NonIdempotentCompensation`])
//! creates seats: the invariant "free + reserved = capacity" at every service catches it.
//!
//! Here `n0` is the orchestrator (its saga log is durable), `n1..=nK` the services; a client
//! `Put` starts a saga (answered `Written` if it completed, `Failed` if it was compensated), a
//! client `Get { key }` reads service `key + 1`'s reservations.
//!
//! ```
//! use course_lib::txn::saga::{run, SagaConfig};
//! # fn main() -> course_lib::Result<()> {
//! let out = run(&SagaConfig::new(3), 1)?;
//! assert!(out.violation.is_none());
//! assert!(out.completed + out.compensated > 0);
//! # Ok(()) }
//! ```
//!
//! ## Reading
//! * H. Garcia-Molina, K. Salem, "Sagas", SIGMOD 1987 (§1–§4: definition, backward recovery,
//!   the loss of isolation).
//! * C. Richardson, *Microservices Patterns*, Manning 2018, ch. 4 (orchestrated sagas,
//!   "countermeasures" for the lack of isolation, idempotent handlers).

use std::collections::{BTreeMap, BTreeSet};

use crate::dist::Dist;
use crate::error::{validate, Error, Result};
use crate::sim::{
    Bugs, Ctx, Experiment, KvRequest, KvResponse, Network, Node, NodeId, RequestId, Simulation,
    Target, Workload,
};

/// A saga id (the unique value its client wrote).
pub type SagaId = i64;

/// Planted bugs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Bug {
    /// A compensation gives the seat back every time it arrives, even for a duplicate.
    NonIdempotentCompensation,
    /// The orchestrator stops after the failed step and never compensates.
    NoCompensation,
}

/// Messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SagaMsg {
    /// Orchestrator → service: run your step $T_i$ for this saga.
    Step(SagaId),
    /// Orchestrator → service: run your compensation $C_i$.
    Compensate(SagaId),
    /// Service → orchestrator: the step committed (`true`) or failed.
    StepDone(SagaId, bool),
    /// Service → orchestrator: the compensation ran.
    Compensated(SagaId),
}

/// Timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SagaTimer {
    /// Orchestrator: no answer yet; resend.
    Retry(SagaId, u32),
}

/// A service's view of one saga.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepState {
    /// $T_i$ committed: a seat is reserved.
    Reserved,
    /// $T_i$ failed (nothing reserved).
    Refused,
    /// $C_i$ ran (the seat, if any, is free again).
    Compensated,
}

/// Where the orchestrator is in a saga (durable: the saga log).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Running step `i` (1-based service id).
    Forward(usize),
    /// Compensating step `i`.
    Backward(usize),
    /// Every step committed.
    Completed,
    /// Every committed step was compensated.
    Compensated,
}

#[derive(Clone, Debug)]
struct Params {
    services: usize,
    fail_last: f64,
    retry_ms: f64,
    bugs: Bugs<Bug>,
}

/// A node: the orchestrator `n0` or a service.
#[derive(Clone, Debug)]
pub struct SagaNode {
    params: Params,
    // orchestrator
    sagas: BTreeMap<SagaId, Phase>,
    requests: BTreeMap<SagaId, RequestId>,
    // service
    free: i64,
    steps: BTreeMap<SagaId, StepState>,
    /// Sagas whose reservation here a client read.
    seen: BTreeSet<SagaId>,
}

impl SagaNode {
    /// Service: free seats.
    pub fn free(&self) -> i64 {
        self.free
    }
    /// Service: seats reserved now.
    pub fn reserved(&self) -> i64 {
        self.steps.values().filter(|s| **s == StepState::Reserved).count() as i64
    }
    /// Service: its state for saga `s`.
    pub fn step(&self, s: SagaId) -> Option<StepState> {
        self.steps.get(&s).copied()
    }
    /// Service: sagas a client saw reserved here.
    pub fn seen(&self) -> &BTreeSet<SagaId> {
        &self.seen
    }
    /// Orchestrator: every saga's phase.
    pub fn sagas(&self) -> &BTreeMap<SagaId, Phase> {
        &self.sagas
    }

    fn send_phase(&mut self, ctx: &mut Ctx<Self>, s: SagaId) {
        let Some(&phase) = self.sagas.get(&s) else { return };
        let (to, msg) = match phase {
            Phase::Forward(i) => (i, SagaMsg::Step(s)),
            Phase::Backward(i) => (i, SagaMsg::Compensate(s)),
            Phase::Completed | Phase::Compensated => {
                if let Some(id) = self.requests.remove(&s) {
                    let answer = if phase == Phase::Completed {
                        KvResponse::Written
                    } else {
                        KvResponse::Failed
                    };
                    ctx.respond(id, answer);
                }
                return;
            }
        };
        ctx.send(NodeId(to), msg);
        ctx.set_timer(self.params.retry_ms, SagaTimer::Retry(s, Self::tag(phase)));
    }

    fn tag(phase: Phase) -> u32 {
        match phase {
            Phase::Forward(i) => i as u32,
            Phase::Backward(i) => 1000 + i as u32,
            _ => 0,
        }
    }

    fn backward_from(&mut self, s: SagaId, failed: usize) {
        let next = if failed > 1 && !self.params.bugs.has(Bug::NoCompensation) {
            Phase::Backward(failed - 1)
        } else {
            Phase::Compensated
        };
        self.sagas.insert(s, next);
    }
}

impl Node for SagaNode {
    type Msg = SagaMsg;
    type Timer = SagaTimer;
    type Request = KvRequest;
    type Response = KvResponse;

    fn on_start(&mut self, ctx: &mut Ctx<Self>) {
        if ctx.id().0 == 0 {
            let open: Vec<SagaId> = self.sagas.keys().copied().collect();
            for s in open {
                self.send_phase(ctx, s);
            }
        }
    }

    fn on_request(&mut self, ctx: &mut Ctx<Self>, id: RequestId, req: KvRequest) {
        let me = ctx.id().0;
        match req {
            KvRequest::Put { value, .. } if me == 0 => {
                if self.sagas.contains_key(&value) {
                    ctx.respond(id, KvResponse::Failed);
                    return;
                }
                self.sagas.insert(value, Phase::Forward(1));
                self.requests.insert(value, id);
                self.send_phase(ctx, value);
            }
            KvRequest::Put { .. } => ctx.respond(id, KvResponse::NotLeader(Some(NodeId(0)))),
            KvRequest::Get { key } => {
                let service = 1 + (key.rem_euclid(self.params.services as i64)) as usize;
                if me != service {
                    ctx.respond(id, KvResponse::NotLeader(Some(NodeId(service))));
                    return;
                }
                let held: Vec<SagaId> = self
                    .steps
                    .iter()
                    .filter(|(_, st)| **st == StepState::Reserved)
                    .map(|(s, _)| *s)
                    .collect();
                self.seen.extend(held.iter().copied());
                ctx.respond(id, KvResponse::Value(Some(held.len() as i64)));
            }
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: SagaMsg) {
        let me = ctx.id().0;
        match msg {
            SagaMsg::Step(s) => {
                let state = match self.steps.get(&s) {
                    Some(&st) => st, // a duplicate: answer as before
                    None => {
                        let last = me == self.params.services;
                        let fails = self.free <= 0
                            || (last
                                && self.params.fail_last > 0.0
                                && ctx.rng().bernoulli(self.params.fail_last));
                        let st = if fails { StepState::Refused } else { StepState::Reserved };
                        if st == StepState::Reserved {
                            self.free -= 1;
                        }
                        self.steps.insert(s, st);
                        st
                    }
                };
                ctx.send(from, SagaMsg::StepDone(s, state == StepState::Reserved));
            }
            SagaMsg::Compensate(s) => {
                let bug = self.params.bugs.has(Bug::NonIdempotentCompensation);
                match self.steps.get(&s) {
                    Some(StepState::Reserved) => self.free += 1,
                    Some(StepState::Compensated) if bug => self.free += 1,
                    _ => {}
                }
                // also covers a compensation that overtakes its step: the step is then refused
                self.steps.insert(s, StepState::Compensated);
                ctx.send(from, SagaMsg::Compensated(s));
            }
            SagaMsg::StepDone(s, ok) => {
                let k = self.params.services;
                if self.sagas.get(&s) != Some(&Phase::Forward(from.0)) {
                    return; // a late or duplicate answer
                }
                if ok {
                    let next =
                        if from.0 == k { Phase::Completed } else { Phase::Forward(from.0 + 1) };
                    self.sagas.insert(s, next);
                } else {
                    self.backward_from(s, from.0);
                }
                self.send_phase(ctx, s);
            }
            SagaMsg::Compensated(s) => {
                if self.sagas.get(&s) != Some(&Phase::Backward(from.0)) {
                    return;
                }
                self.backward_from(s, from.0);
                self.send_phase(ctx, s);
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Self>, timer: SagaTimer) {
        let SagaTimer::Retry(s, tag) = timer;
        if self.sagas.get(&s).map(|&p| Self::tag(p)) == Some(tag) {
            self.send_phase(ctx, s);
        }
    }

    /// Durable: the orchestrator's saga log, each service's seats and step states.
    fn restarted(&self) -> Self {
        SagaNode { requests: BTreeMap::new(), ..self.clone() }
    }
}

/// The configuration.
#[derive(Clone, Debug)]
pub struct SagaConfig {
    /// Services (steps) per saga, ≥ 1.
    pub services: usize,
    /// Seats per service, ≥ 1.
    pub capacity: i64,
    /// Probability the last step fails (then the saga compensates), in [0, 1].
    pub fail_last: f64,
    /// Orchestrator resend period, ms (> 0).
    pub retry_ms: f64,
    /// The network.
    pub network: Network,
    /// Clients.
    pub clients: usize,
    /// Operations per client.
    pub ops_per_client: usize,
    /// Share of client operations that are reads of a service.
    pub read_fraction: f64,
    /// Planted bugs.
    pub bugs: Bugs<Bug>,
    /// Simulated time, ms.
    pub horizon_ms: f64,
}

impl SagaConfig {
    /// `services` services with 1 000 seats each, the last step fails 30 % of the time,
    /// 1–3 ms uniform delays, 10 ms resends, 4 clients × 30 operations (half reads), 2 s.
    pub fn new(services: usize) -> SagaConfig {
        SagaConfig {
            services,
            capacity: 1_000,
            fail_last: 0.3,
            retry_ms: 10.0,
            network: Network::new(Dist::Uniform { lo: 1.0, hi: 3.0 }),
            clients: 4,
            ops_per_client: 30,
            read_fraction: 0.5,
            bugs: Bugs::none(),
            horizon_ms: 2_000.0,
        }
    }
    /// Set the network.
    pub fn network(mut self, n: Network) -> Self {
        self.network = n;
        self
    }
    /// Plant bugs.
    pub fn bugs(mut self, b: impl Into<Bugs<Bug>>) -> Self {
        self.bugs = b.into();
        self
    }
    /// Set the failure probability of the last step.
    pub fn fail_last(mut self, p: f64) -> Self {
        self.fail_last = p;
        self
    }

    fn validate(&self) -> Result<()> {
        validate::at_least("services", self.services, 1)?;
        if self.capacity < 1 {
            return Err(Error::out_of_range("capacity", self.capacity, "at least 1 seat"));
        }
        validate::probability("fail_last", self.fail_last)?;
        validate::probability("read_fraction", self.read_fraction)?;
        validate::positive("retry_ms", self.retry_ms)?;
        validate::positive("horizon_ms", self.horizon_ms)?;
        validate::at_least("clients", self.clients, 1)?;
        self.network.validate(self.services + 1)
    }
}

/// Free + reserved = capacity at every service.
pub fn check_seats(nodes: &[SagaNode], capacity: i64) -> std::result::Result<(), String> {
    for (i, n) in nodes.iter().enumerate().skip(1) {
        if n.free + n.reserved() != capacity {
            return Err(format!(
                "n{i}: {} free + {} reserved ≠ {capacity} seats",
                n.free,
                n.reserved()
            ));
        }
    }
    Ok(())
}

/// Every finished saga holds a seat at every service (completed) or at none (compensated).
pub fn check_all_or_nothing(nodes: &[SagaNode]) -> std::result::Result<(), String> {
    for (&s, &phase) in &nodes[0].sagas {
        let held = nodes[1..].iter().filter(|n| n.step(s) == Some(StepState::Reserved)).count();
        let ok = match phase {
            Phase::Completed => held == nodes.len() - 1,
            Phase::Compensated => held == 0,
            _ => true,
        };
        if !ok {
            return Err(format!("saga {s} is {phase:?} but holds {held} seats"));
        }
    }
    Ok(())
}

/// The experiment: orchestrator + services, the seat invariant after every event and the
/// all-or-nothing property at the end, clients starting sagas and reading services.
pub fn experiment(cfg: &SagaConfig) -> Result<Experiment<SagaNode>> {
    cfg.validate()?;
    let params = Params {
        services: cfg.services,
        fail_last: cfg.fail_last,
        retry_ms: cfg.retry_ms,
        bugs: cfg.bugs.clone(),
    };
    let nodes: Vec<SagaNode> = (0..=cfg.services)
        .map(|_| SagaNode {
            params: params.clone(),
            sagas: BTreeMap::new(),
            requests: BTreeMap::new(),
            free: cfg.capacity,
            steps: BTreeMap::new(),
            seen: BTreeSet::new(),
        })
        .collect();
    let capacity = cfg.capacity;
    let wl = Workload::new(cfg.clients, cfg.ops_per_client)
        .keys(cfg.services as u64)
        .read_fraction(cfg.read_fraction)
        .think_ms(Dist::Exponential { rate: 0.2 })
        .timeout_ms(500.0)
        .target(Target::Random);
    Ok(Experiment::new(nodes)
        .network(cfg.network.clone())
        .horizon_ms(cfg.horizon_ms)
        .clients(wl)
        .invariant("seats conserved", move |sim: &Simulation<SagaNode>| {
            check_seats(sim.nodes(), capacity)
        })
        .property("all or nothing", |sim: &Simulation<SagaNode>| check_all_or_nothing(sim.nodes())))
}

/// What one run did.
#[derive(Clone, Debug, PartialEq)]
pub struct SagaOutcome {
    /// Sagas that completed.
    pub completed: usize,
    /// Sagas that were compensated.
    pub compensated: usize,
    /// Compensated sagas whose reservation a client had read (the isolation anomaly).
    pub dirty_reads: usize,
    /// The violation, if any.
    pub violation: Option<String>,
}

/// Run the saga experiment for one seed.
pub fn run(cfg: &SagaConfig, seed: u64) -> Result<SagaOutcome> {
    let report = experiment(cfg)?.run(seed)?;
    let nodes = report.sim().nodes();
    let phases = &nodes[0].sagas;
    let count = |p: Phase| phases.values().filter(|x| **x == p).count();
    let mut seen = BTreeSet::new();
    for n in &nodes[1..] {
        seen.extend(n.seen.iter().copied());
    }
    let dirty = seen.iter().filter(|s| phases.get(s) == Some(&Phase::Compensated)).count();
    Ok(SagaOutcome {
        completed: count(Phase::Completed),
        compensated: count(Phase::Compensated),
        dirty_reads: dirty,
        violation: report.violation().map(|v| v.to_string()),
    })
}

/// Dirty reads per seed over `seeds`: `(seed, compensated sagas, compensated sagas seen)`.
pub fn dirty_read_sweep(
    cfg: &SagaConfig,
    seeds: std::ops::Range<u64>,
) -> Result<Vec<(u64, usize, usize)>> {
    seeds.map(|s| run(cfg, s).map(|o| (s, o.compensated, o.dirty_reads))).collect()
}
