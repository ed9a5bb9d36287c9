//! The experiment harness: one way to describe an experiment, one way to run it.
//!
//! An [`Experiment`] is a value that says everything about a run except its seed:
//!
//! * **the nodes** (a `Vec` of any [`Node`] type, cloned fresh for every run),
//! * **the network** as a value ([`Network`]: a delay distribution, loss, duplication, FIFO,
//!   per link),
//! * **the faults**: a fixed [`FaultSchedule`], or one generated per seed from the
//!   [`Stream::Faults`] stream ([`Experiment::faults_from`]),
//! * **invariants** checked after *every* event ([`Experiment::invariant`]), and **final
//!   properties** checked when the run ends ([`Experiment::property`]),
//! * optional **closed-loop clients** ([`Workload`]) whose operations become a
//!   [`History`], and **history checks** (linearizability, session guarantees …) run on it
//!   ([`Experiment::check_history`]),
//! * optionally a [`Scheduler`] that picks every next event (the asynchronous model),
//! * when to stop: a horizon in virtual ms ([`Experiment::horizon_ms`]), a step budget, or a
//!   condition ([`Experiment::stop_when`]).
//!
//! [`Experiment::run`] runs it for one seed and returns a [`Report`] (the finished
//! simulation, the history, the first violation). [`Experiment::sweep`] runs it over a range
//! of seeds, stops at the first violation or collects all of them ([`Sweep`]), and *replays
//! the first failing seed with the trace on*, so the counterexample can be drawn at once; the
//! report prints that seed, and `experiment.trace(true).run(seed)` replays it again at any
//! time. Setters never fail; everything is checked when the experiment runs, with the same
//! errors the simulator gives.
//!
//! Design anchors: Stateright's `ActorModel` (actors, a network, properties checked on every
//! state), turmoil's `Builder`/`Sim` (a simulated network with `hold`/`release`, crashes) and
//! madsim's habit of printing the seed of a failing run.
//!
//! ```
//! use course_lib::prelude::*;
//! use course_lib::sim::demo::PingPong;
//! use course_lib::sim::{Experiment, Sweep};
//!
//! # fn main() -> course_lib::Result<()> {
//! let exp = Experiment::new(PingPong::pair(10))
//!     .network(Network::new(Dist::exponential_mean(5.0)?).with_loss(0.2))
//!     .horizon_ms(2_000.0)
//!     // after every event: the pinger never has more pongs than pings sent
//!     .invariant("pongs ≤ rounds", |sim| {
//!         let p = sim.node(0).map_err(|e| e.to_string())?;
//!         if p.completed() <= 10 { Ok(()) } else { Err(format!("{} pongs", p.completed())) }
//!     })
//!     // at the end: all ten rounds done
//!     .property("all rounds complete", |sim| {
//!         let done = sim.nodes()[0].completed();
//!         if done == 10 { Ok(()) } else { Err(format!("only {done} of 10")) }
//!     });
//! let report = exp.run(7)?;
//! assert!(report.passed(), "{report}");
//! let sweep = exp.sweep(0..50, Sweep::CollectAll)?;
//! assert_eq!(sweep.runs(), 50);
//! assert!(sweep.passed(), "{sweep}");
//! # Ok(()) }
//! ```

use std::fmt;
use std::ops::Range;
use std::rc::Rc;

use super::clients::ClientDriver;
use super::{
    FaultSchedule, KvRequest, KvResponse, Network, Node, RequestId, Scheduler, SimBuilder,
    SimStats, Simulation, Stream, Time, Workload,
};
use crate::consistency::History;
use crate::error::{validate, Error, Result};
use crate::rng::SimRng;

/// A check over the simulation's state: `Ok(())`, or what is wrong.
type StateCheck<N> = Rc<dyn Fn(&Simulation<N>) -> std::result::Result<(), String>>;
/// A check over the clients' history.
type HistoryCheck = Rc<dyn Fn(&History) -> std::result::Result<(), String>>;
/// Makes the fault schedule of one run from the faults stream and the cluster size.
type FaultGen = Rc<dyn Fn(&mut SimRng, usize) -> Result<FaultSchedule>>;
/// Makes a fresh monitor for one run.
type MonitorGen<N> = Rc<dyn Fn() -> Box<dyn Monitor<N>>>;
/// Makes a fresh scheduler for one run.
type SchedulerGen<N> = Rc<dyn Fn() -> Box<dyn Scheduler<N>>>;
/// Makes the client driver of one run (only for key-value nodes).
type ClientsGen<N> = Rc<dyn Fn(&mut Simulation<N>, u64) -> Result<Box<dyn Clients<N>>>>;

/// What went wrong in a run: the property, where, and why. One type for every module.
#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    /// The property that failed (the name given to `invariant`, `property` or
    /// `check_history`).
    pub property: String,
    /// The seed of the run.
    pub seed: u64,
    /// Virtual time of the violation, ms (for a final property or a history check: the end).
    pub at_ms: f64,
    /// Events processed when it was found.
    pub step: u64,
    /// What the check said.
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "seed {}: \"{}\" violated at {:.3} ms (event {}): {}",
            self.seed, self.property, self.at_ms, self.step, self.detail
        )
    }
}

/// How [`Experiment::sweep`] treats violations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sweep {
    /// Stop at the first seed that violates a property (the fastest way to a counterexample).
    StopAtFirst,
    /// Run every seed and collect every violation (to count how often a bug shows).
    CollectAll,
}

/// The client driver as the run loop sees it.
pub(crate) trait Clients<N: Node> {
    fn next_wakeup(&self) -> Option<Time>;
    fn wake(&mut self, sim: &mut Simulation<N>) -> Result<()>;
    fn observe(&mut self, sim: &mut Simulation<N>) -> Result<()>;
    fn history(&self) -> Result<History>;
    fn redirects(&self) -> u64;
    fn sent_to(&self) -> Vec<usize>;
}

impl<N> Clients<N> for ClientDriver
where
    N: Node<Request = KvRequest, Response = KvResponse>,
{
    fn next_wakeup(&self) -> Option<Time> {
        ClientDriver::next_wakeup(self)
    }
    fn wake(&mut self, sim: &mut Simulation<N>) -> Result<()> {
        ClientDriver::wake(self, sim)
    }
    fn observe(&mut self, sim: &mut Simulation<N>) -> Result<()> {
        ClientDriver::observe(self, sim)
    }
    fn history(&self) -> Result<History> {
        ClientDriver::history(self)
    }
    fn redirects(&self) -> u64 {
        self.redirects
    }
    fn sent_to(&self) -> Vec<usize> {
        ClientDriver::sent_to(self).to_vec()
    }
}

/// Where a run's faults come from.
#[derive(Clone)]
enum Faults {
    Fixed(FaultSchedule),
    Generated(FaultGen),
}

/// An experiment: nodes, network, faults, invariants, clients, and when to stop. Build it
/// with [`Experiment::new`] and the setters (none fails), then [`Experiment::run`] or
/// [`Experiment::sweep`]. See the [module docs](crate::sim::harness).
#[derive(Clone)]
pub struct Experiment<N: Node + Clone> {
    nodes: Rc<Vec<N>>,
    network: Network,
    faults: Faults,
    horizon_ms: f64,
    max_steps: Option<u64>,
    trace: bool,
    invariants: Vec<(String, StateCheck<N>)>,
    monitors: Vec<MonitorGen<N>>,
    properties: Vec<(String, StateCheck<N>)>,
    history_checks: Vec<(String, HistoryCheck)>,
    stop_when: Option<StateCheck<N>>,
    scheduler: Option<SchedulerGen<N>>,
    clients: Option<ClientsGen<N>>,
}

impl<N: Node + Clone + 'static> Experiment<N> {
    /// An experiment over these nodes (node `i` is `n{i}`), on a reliable network with a
    /// constant 1 ms delay, no faults, a 1 s horizon, no trace.
    pub fn new(nodes: Vec<N>) -> Experiment<N> {
        Experiment {
            nodes: Rc::new(nodes),
            network: Network::new(crate::dist::Dist::Constant { value: 1.0 }),
            faults: Faults::Fixed(FaultSchedule::new()),
            horizon_ms: 1_000.0,
            max_steps: None,
            trace: false,
            invariants: Vec::new(),
            monitors: Vec::new(),
            properties: Vec::new(),
            history_checks: Vec::new(),
            stop_when: None,
            scheduler: None,
            clients: None,
        }
    }

    /// The network.
    pub fn network(mut self, network: Network) -> Self {
        self.network = network;
        self
    }

    /// A fixed fault schedule, the same for every seed.
    pub fn faults(mut self, faults: FaultSchedule) -> Self {
        self.faults = Faults::Fixed(faults);
        self
    }

    /// Faults generated for each seed by `make(rng, cluster_size)`, where `rng` is the run's
    /// [`Stream::Faults`] stream (e.g. `FaultSchedule::random`).
    pub fn faults_from(
        mut self,
        make: impl Fn(&mut SimRng, usize) -> Result<FaultSchedule> + 'static,
    ) -> Self {
        self.faults = Faults::Generated(Rc::new(make));
        self
    }

    /// Stop at this virtual time (ms; checked when run: finite and > 0).
    pub fn horizon_ms(mut self, horizon_ms: f64) -> Self {
        self.horizon_ms = horizon_ms;
        self
    }

    /// Stop after this many events (for asynchronous runs under a scheduler, where time is
    /// not the natural unit).
    pub fn max_steps(mut self, steps: u64) -> Self {
        self.max_steps = Some(steps);
        self
    }

    /// Record the trace of every run (needed for sequence diagrams; [`Experiment::sweep`]
    /// records it only when it replays a failing seed).
    pub fn trace(mut self, on: bool) -> Self {
        self.trace = on;
        self
    }

    /// An invariant, checked after every event: `Ok(())` or a description of what is wrong.
    /// The run stops at the first violation.
    pub fn invariant(
        mut self,
        name: &str,
        check: impl Fn(&Simulation<N>) -> std::result::Result<(), String> + 'static,
    ) -> Self {
        self.invariants.push((name.to_string(), Rc::new(check)));
        self
    }

    /// A monitor: a check with memory, made fresh by `make` for every run and called after
    /// every event, after the invariants (see [`Monitor`]).
    pub fn monitor<M: Monitor<N> + 'static>(mut self, make: impl Fn() -> M + 'static) -> Self {
        self.monitors.push(Rc::new(move || Box::new(make()) as Box<dyn Monitor<N>>));
        self
    }

    /// A property checked once, when the run ends (e.g. "a value was chosen": a liveness
    /// property within the horizon).
    pub fn property(
        mut self,
        name: &str,
        check: impl Fn(&Simulation<N>) -> std::result::Result<(), String> + 'static,
    ) -> Self {
        self.properties.push((name.to_string(), Rc::new(check)));
        self
    }

    /// A check of the clients' history, run when the run ends (needs [`Experiment::clients`]).
    pub fn check_history(
        mut self,
        name: &str,
        check: impl Fn(&History) -> std::result::Result<(), String> + 'static,
    ) -> Self {
        self.history_checks.push((name.to_string(), Rc::new(check)));
        self
    }

    /// End the run as soon as `done` holds after an event (e.g. "every node decided").
    pub fn stop_when(mut self, done: impl Fn(&Simulation<N>) -> bool + 'static) -> Self {
        self.stop_when = Some(Rc::new(
            move |sim: &Simulation<N>| {
                if done(sim) {
                    Err(String::new())
                } else {
                    Ok(())
                }
            },
        ));
        self
    }

    /// Let a scheduler choose every next event; `make` builds a fresh one for each run.
    pub fn scheduler<S: Scheduler<N> + 'static>(mut self, make: impl Fn() -> S + 'static) -> Self {
        self.scheduler = Some(Rc::new(move || Box::new(make()) as Box<dyn Scheduler<N>>));
        self
    }

    /// The horizon (ms).
    pub fn horizon(&self) -> f64 {
        self.horizon_ms
    }

    /// Number of nodes.
    pub fn cluster_size(&self) -> usize {
        self.nodes.len()
    }

    /// The network.
    pub fn network_ref(&self) -> &Network {
        &self.network
    }

    /// The fault schedule of the run with this seed (generated ones drawn from its
    /// [`Stream::Faults`] stream).
    pub fn fault_schedule(&self, seed: u64) -> Result<FaultSchedule> {
        match &self.faults {
            Faults::Fixed(f) => Ok(f.clone()),
            Faults::Generated(make) => make(&mut Stream::Faults.rng(seed), self.nodes.len()),
        }
    }

    /// Build the simulation of the run with this seed, started (every node's `on_start` has
    /// run) but not run: for a lesson that steps it by hand, holds messages, or pokes nodes.
    pub fn simulation(&self, seed: u64) -> Result<Simulation<N>> {
        validate::positive("horizon_ms", self.horizon_ms)?;
        validate::finite("horizon_ms", self.horizon_ms)?;
        let mut sim = SimBuilder::new(seed)
            .network(self.network.clone())
            .faults(self.fault_schedule(seed)?)
            .trace(self.trace)
            .build(self.nodes.as_ref().clone())?;
        if let Some(make) = &self.scheduler {
            sim.set_scheduler_boxed(make());
        }
        Ok(sim)
    }

    /// Run the experiment with this seed. The same seed gives the same report, event for
    /// event, on every machine.
    pub fn run(&self, seed: u64) -> Result<Report<N>> {
        let mut run = self.start(seed)?;
        let horizon = Time::from_ms(self.horizon_ms);
        while run.step_until(horizon)?.is_some() {}
        if run.violation.is_none()
            && !run.stopped
            && !run.sim.has_scheduler()
            && self.max_steps.is_none()
        {
            run.sim.advance_clock(horizon);
        }
        run.finish()
    }

    /// Start a run with this seed and hand it over to be stepped by hand
    /// ([`Run::step`], [`Run::run_until_ms`]): the same run [`Experiment::run`] makes, with the
    /// clients, invariants and monitors acting after every event, for a lesson that looks at
    /// the state between events or sends requests of its own.
    pub fn start(&self, seed: u64) -> Result<Run<N>> {
        let mut sim = self.simulation(seed)?;
        if self.clients.is_some() && self.scheduler.is_some() {
            return Err(Error::invalid(
                "Experiment",
                "closed-loop clients run in the timed model: remove .scheduler(…) or .clients(…)",
            ));
        }
        let clients = match &self.clients {
            Some(make) => Some(make(&mut sim, seed)?),
            None => None,
        };
        let monitors = self.monitors.iter().map(|make| make()).collect();
        let mut run =
            Run { exp: self.clone(), sim, clients, monitors, violation: None, stopped: false };
        run.violation = run.check_now();
        Ok(run)
    }

    /// Run every seed in `seeds`. With [`Sweep::StopAtFirst`] it stops at the first
    /// violation; with [`Sweep::CollectAll`] it runs them all. Either way the first failing
    /// seed is replayed with the trace on, and the report keeps that replay.
    pub fn sweep(&self, seeds: Range<u64>, mode: Sweep) -> Result<SweepReport<N>> {
        if seeds.is_empty() {
            return Err(Error::empty("seeds", "a sweep needs at least one seed, e.g. 0..100"));
        }
        let quiet = Experiment { trace: false, ..self.clone() };
        let mut violations = Vec::new();
        let mut runs = 0;
        for seed in seeds.clone() {
            let report = quiet.run(seed)?;
            runs += 1;
            if let Some(v) = report.violation {
                violations.push(v);
                if mode == Sweep::StopAtFirst {
                    break;
                }
            }
        }
        let replay = match violations.first() {
            Some(v) => Some(Experiment { trace: true, ..self.clone() }.run(v.seed)?),
            None => None,
        };
        Ok(SweepReport { seeds, runs, violations, replay })
    }

    fn check_invariants(&self, sim: &Simulation<N>) -> Option<Violation> {
        for (name, check) in &self.invariants {
            if let Err(detail) = check(sim) {
                return Some(Violation::now(sim, name, detail));
            }
        }
        None
    }

    fn final_checks(&self, sim: &Simulation<N>, history: Option<&History>) -> Option<Violation> {
        for (name, check) in &self.properties {
            if let Err(detail) = check(sim) {
                return Some(Violation::now(sim, name, detail));
            }
        }
        for (name, check) in &self.history_checks {
            let result =
                match history {
                    Some(h) => check(h),
                    None => Err("this experiment has no clients, so no history: add .clients(…)"
                        .to_string()),
                };
            if let Err(detail) = result {
                return Some(Violation::now(sim, name, detail));
            }
        }
        None
    }
}

impl<N> Experiment<N>
where
    N: Node<Request = KvRequest, Response = KvResponse> + Clone + 'static,
{
    /// Closed-loop clients running `workload`; their operations become the report's
    /// [`History`] (see [`Workload`] for how each operation ends).
    pub fn clients(mut self, workload: Workload) -> Self {
        self.clients = Some(Rc::new(move |sim: &mut Simulation<N>, seed: u64| {
            let driver = ClientDriver::new(&workload, seed, sim.cluster_size())?;
            Ok(Box::new(driver) as Box<dyn Clients<N>>)
        }));
        self
    }
}

/// A check that keeps state from event to event (what it has seen so far), made fresh for
/// every run by [`Experiment::monitor`]. Raft's safety monitors are one: "a leader never
/// overwrites its log" needs the log it had before.
pub trait Monitor<N: Node> {
    /// Called after every event: `Ok(())`, or the violation (make it with
    /// [`Violation::now`]).
    fn check(&mut self, sim: &Simulation<N>) -> std::result::Result<(), Violation>;
}

/// A run in progress, stepped by hand: see [`Experiment::start`]. After every event the
/// clients act, then the invariants and monitors are checked; after a violation (or when
/// `stop_when` holds) the run does not step any more. [`Run::finish`] ends it with the final
/// properties and history checks, as [`Experiment::run`] does.
pub struct Run<N: Node + Clone> {
    exp: Experiment<N>,
    sim: Simulation<N>,
    clients: Option<Box<dyn Clients<N>>>,
    monitors: Vec<Box<dyn Monitor<N>>>,
    violation: Option<Violation>,
    stopped: bool,
}

impl<N: Node + Clone + 'static> Run<N> {
    /// The next thing that happens, if it happens by `until`: a client acting or one event,
    /// then the checks. Returns its time, or `None` when nothing is left before `until`, the
    /// step budget is spent, a check failed or `stop_when` held.
    pub fn step_until(&mut self, until: Time) -> Result<Option<Time>> {
        let budget = self.exp.max_steps.unwrap_or(u64::MAX);
        if self.violation.is_some() || self.stopped || self.sim.stats().events >= budget {
            return Ok(None);
        }
        if let Some(c) = self.clients.as_mut() {
            if let Some(t) = c.next_wakeup().filter(|&t| t <= until) {
                // the clients act first when their time comes before (or with) the next event
                if self.sim.next_event_time().map_or(true, |n| t <= n) {
                    self.sim.advance_clock(t);
                    c.wake(&mut self.sim)?;
                    return Ok(Some(t));
                }
            }
        }
        let Some(t) = self.sim.step_until(until) else { return Ok(None) };
        if let Some(c) = self.clients.as_mut() {
            c.observe(&mut self.sim)?;
        }
        self.violation = self.check_now();
        if let Some(done) = &self.exp.stop_when {
            if self.violation.is_none() && done(&self.sim).is_err() {
                self.stopped = true;
            }
        }
        Ok(Some(t))
    }

    /// One step, whenever it comes (see [`Run::step_until`]).
    pub fn step(&mut self) -> Result<Option<Time>> {
        self.step_until(Time::MAX)
    }

    /// Run everything up to `t_ms`, then set the clock to `t_ms` (unless the run stopped
    /// earlier at a violation or `stop_when`).
    pub fn run_until_ms(&mut self, t_ms: f64) -> Result<()> {
        validate::finite("t_ms", t_ms)?;
        let until = Time::from_ms(t_ms);
        while self.step_until(until)?.is_some() {}
        if self.violation.is_none() && !self.stopped {
            self.sim.advance_clock(until);
        }
        Ok(())
    }

    fn check_now(&mut self) -> Option<Violation> {
        if let Some(v) = self.exp.check_invariants(&self.sim) {
            return Some(v);
        }
        for m in &mut self.monitors {
            if let Err(v) = m.check(&self.sim) {
                return Some(v);
            }
        }
        None
    }

    /// Hand a request of your own to `node` now (outside the workload; its answer is in
    /// [`Simulation::answered`], not in the history).
    pub fn request(&mut self, node: usize, request: N::Request) -> Result<RequestId> {
        let now = self.sim.now_ms();
        self.sim.request_at(now, node, request)
    }

    /// The simulation so far.
    pub fn sim(&self) -> &Simulation<N> {
        &self.sim
    }

    /// The simulation, to poke by hand (hold or release messages, inject requests). Events
    /// stepped directly on it skip the clients and the checks.
    pub fn sim_mut(&mut self) -> &mut Simulation<N> {
        &mut self.sim
    }

    /// The first violation so far.
    pub fn violation(&self) -> Option<&Violation> {
        self.violation.as_ref()
    }

    /// The clients' history so far (`None` without clients; operations in flight have no
    /// completion yet).
    pub fn history(&self) -> Result<Option<History>> {
        self.clients.as_ref().map(|c| c.history()).transpose()
    }

    /// Redirects the clients followed so far.
    pub fn redirects(&self) -> u64 {
        self.clients.as_ref().map_or(0, |c| c.redirects())
    }

    /// The node each operation of the history was first sent to, in the order of
    /// [`History::operations`] (empty without clients).
    pub fn sent_to(&self) -> Vec<usize> {
        self.clients.as_ref().map_or(Vec::new(), |c| c.sent_to())
    }

    /// Run the final properties and history checks now, on the state and history so far, as
    /// if the run ended here; a failure becomes the run's violation. Returns it.
    pub fn check_final(&mut self) -> Result<Option<&Violation>> {
        if self.violation.is_none() {
            let history = self.history()?;
            self.violation = self.exp.final_checks(&self.sim, history.as_ref());
        }
        Ok(self.violation.as_ref())
    }

    /// End the run here: the final properties and history checks, and the report.
    pub fn finish(mut self) -> Result<Report<N>> {
        let history = self.history()?;
        if self.violation.is_none() {
            self.violation = self.exp.final_checks(&self.sim, history.as_ref());
        }
        let redirects = self.redirects();
        let sent_to = self.sent_to();
        Ok(Report {
            seed: self.sim.seed(),
            sim: self.sim,
            violation: self.violation,
            history,
            stopped: self.stopped,
            redirects,
            sent_to,
        })
    }
}

impl Violation {
    /// A violation of `property` found now in `sim` (its seed, time and event count).
    pub fn now<N: Node>(
        sim: &Simulation<N>,
        property: impl Into<String>,
        detail: impl Into<String>,
    ) -> Violation {
        Violation {
            property: property.into(),
            seed: sim.seed(),
            at_ms: sim.now_ms(),
            step: sim.stats().events,
            detail: detail.into(),
        }
    }
}

/// What one run of an [`Experiment`] did.
pub struct Report<N: Node> {
    /// The seed.
    pub seed: u64,
    sim: Simulation<N>,
    violation: Option<Violation>,
    history: Option<History>,
    stopped: bool,
    redirects: u64,
    sent_to: Vec<usize>,
}

impl<N: Node> Report<N> {
    /// The finished simulation: nodes, trace, answers, stats.
    pub fn sim(&self) -> &Simulation<N> {
        &self.sim
    }

    /// The finished simulation, owned.
    pub fn into_sim(self) -> Simulation<N> {
        self.sim
    }

    /// The first violation, if any.
    pub fn violation(&self) -> Option<&Violation> {
        self.violation.as_ref()
    }

    /// No invariant, property or history check failed.
    pub fn passed(&self) -> bool {
        self.violation.is_none()
    }

    /// The clients' history (`None` without clients).
    pub fn history(&self) -> Option<&History> {
        self.history.as_ref()
    }

    /// Did the run end because `stop_when` held?
    pub fn stopped_early(&self) -> bool {
        self.stopped
    }

    /// Redirects the clients followed (`NotLeader` answers; each is part of one operation).
    pub fn redirects(&self) -> u64 {
        self.redirects
    }

    /// The simulation's counters.
    pub fn stats(&self) -> &SimStats {
        self.sim.stats()
    }

    /// The node each operation of the history was first sent to, in the order of
    /// [`History::operations`] (empty without clients): to split what clients saw by the
    /// node they talked to.
    pub fn sent_to(&self) -> &[usize] {
        &self.sent_to
    }

    /// The last `n` events of the trace, as text (the events leading to a violation: the
    /// run stops at the event that broke it). Empty if the run was not traced; a sweep's
    /// [`SweepReport::replay`] is.
    pub fn trace_tail(&self, n: usize) -> Vec<String> {
        let events = self.sim.trace().events();
        events[events.len().saturating_sub(n)..].iter().map(|e| e.to_string()).collect()
    }
}

impl<N: Node> fmt::Display for Report<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "seed {}: {} events to {:.3} ms",
            self.seed,
            self.stats().events,
            self.sim.now_ms()
        )?;
        if let Some(h) = &self.history {
            write!(f, ", {} client operations", h.len())?;
        }
        match &self.violation {
            Some(v) => write!(f, "; VIOLATION {v}"),
            None => write!(f, "; every check passed"),
        }
    }
}

impl<N: Node> fmt::Debug for Report<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// What [`Experiment::sweep`] found.
pub struct SweepReport<N: Node> {
    seeds: Range<u64>,
    runs: u64,
    violations: Vec<Violation>,
    replay: Option<Report<N>>,
}

impl<N: Node> SweepReport<N> {
    /// Seeds run (fewer than asked if it stopped at a violation).
    pub fn runs(&self) -> u64 {
        self.runs
    }

    /// The seeds asked for.
    pub fn seeds(&self) -> Range<u64> {
        self.seeds.clone()
    }

    /// Every violation found, in seed order (at most one per seed).
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// No seed violated anything.
    pub fn passed(&self) -> bool {
        self.violations.is_empty()
    }

    /// The first failing seed.
    pub fn failing_seed(&self) -> Option<u64> {
        self.violations.first().map(|v| v.seed)
    }

    /// The first failing seed, replayed with the trace on.
    pub fn replay(&self) -> Option<&Report<N>> {
        self.replay.as_ref()
    }

    /// Fraction of the seeds run that violated something.
    pub fn failure_rate(&self) -> f64 {
        self.violations.len() as f64 / self.runs.max(1) as f64
    }
}

impl<N: Node> fmt::Display for SweepReport<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} of {} seeds ({}..{}) passed",
            self.runs - self.violations.len() as u64,
            self.runs,
            self.seeds.start,
            self.seeds.end
        )?;
        if let Some(v) = self.violations.first() {
            write!(
                f,
                "; first violation: {v}\n  replay it: experiment.trace(true).run({})",
                v.seed
            )?;
            if self.violations.len() > 1 {
                write!(f, "\n  {} seeds failed in all", self.violations.len())?;
            }
        }
        Ok(())
    }
}

impl<N: Node> fmt::Debug for SweepReport<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
