//! Running Raft: a cluster on the experiment harness, with the safety monitors after every
//! event, clients, fault sweeps, and the election-time experiment of §9.3.
//!
//! A [`Cluster`] is a run of the harness ([`crate::sim::Run`]) stepped by hand, with Raft's
//! own way of looking at it (leaders, logs, leadership spans); [`ClusterBuilder::experiment`]
//! is the same cluster as an [`Experiment`] to `run` or `sweep` over seeds. The five
//! properties of Figure 3 are one [`crate::sim::Monitor`]; the clients are the harness's
//! ([`Workload`], with [`Target::Leader`]: a client stays with the node that last answered
//! it), and their history is checked for linearizability when a run ends.

use super::monitor::Monitor;
use super::{validate_timeouts, Entry, RaftConfig, RaftNode, Role, Term};
use crate::consistency::{check_cas_register, History};
use crate::dist::Dist;
use crate::error::{validate, Error, Result};
use crate::rng::SimRng;
use crate::sim::{
    Experiment, FaultSchedule, KvRequest, Network, RequestId, Run, Simulation, Stream, Sweep,
    SweepReport, Target, Time, Violation, Workload,
};

/// A stretch of time during which a server was leader of a term.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LeaderSpan {
    /// The Raft group.
    pub group: usize,
    /// The simulation node id.
    pub node: usize,
    /// The term.
    pub term: Term,
    /// When it became leader (ms).
    pub from_ms: f64,
    /// When it stopped (stepped down, crashed, or the run ended) (ms).
    pub to_ms: f64,
}

/// A scripted starting state: (server, term, vote, log, starts as leader).
type Preload = (usize, Term, Option<usize>, Vec<Entry>, bool);

/// How a [`Cluster`] is built; see [`Cluster::builder`]. Setters never fail; `build` (or
/// `experiment`) checks everything.
#[derive(Clone, Debug)]
pub struct ClusterBuilder {
    cfg: RaftConfig,
    groups: usize,
    seed: u64,
    network: Option<Network>,
    faults: FaultSchedule,
    trace: bool,
    monitors: bool,
    workload: Option<Workload>,
    initial: Vec<Preload>,
}

impl ClusterBuilder {
    /// The seed (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// Several independent Raft groups (Multi-Raft): group g is simulation nodes
    /// `g·servers .. (g+1)·servers`; key k belongs to group [`crate::sim::shard_of`]`(k, groups)`.
    pub fn groups(mut self, groups: usize) -> Self {
        self.groups = groups;
        self
    }
    /// The network (default [`default_network`]).
    pub fn network(mut self, network: Network) -> Self {
        self.network = Some(network);
        self
    }
    /// Faults to inject (node ids are simulation node ids).
    pub fn faults(mut self, faults: FaultSchedule) -> Self {
        self.faults = faults;
        self
    }
    /// Record a trace (default on for [`Cluster::new`]; sweeps run without and replay a
    /// violating seed with a trace).
    pub fn trace(mut self, on: bool) -> Self {
        self.trace = on;
        self
    }
    /// Check the five properties after every event (default on).
    pub fn monitors(mut self, on: bool) -> Self {
        self.monitors = on;
        self
    }
    /// Clients that issue requests while the cluster runs (the cluster sets the workload's
    /// `shards` to its number of groups). Their history is checked for linearizability when
    /// the run ends, or by [`Cluster::check_history`].
    pub fn workload(mut self, workload: Workload) -> Self {
        self.workload = Some(workload);
        self
    }

    /// Start server `server` of group 0 in `term` with `log` (and as its leader if `leader`):
    /// for scripted scenarios such as Figure 8.
    pub(crate) fn preload(
        mut self,
        server: usize,
        term: Term,
        voted_for: Option<usize>,
        log: Vec<Entry>,
        leader: bool,
    ) -> Self {
        self.initial.push((server, term, voted_for, log, leader));
        self
    }

    /// This cluster as an experiment of the harness (every seed a run: `run(seed)`,
    /// `sweep(seeds, …)`): the servers, the network, the faults, the safety monitors, the
    /// clients and the linearizability check of their history. The horizon is 1 s; set
    /// another with `.horizon_ms(…)`.
    pub fn experiment(&self) -> Result<Experiment<RaftNode>> {
        self.cfg.validate()?;
        validate::at_least("groups", self.groups, 1)?;
        let s = self.cfg.servers;
        let mut nodes = Vec::with_capacity(s * self.groups);
        for g in 0..self.groups {
            nodes.extend(RaftNode::group(&self.cfg, g * s));
        }
        for (server, term, voted_for, log, leader) in &self.initial {
            if let Some(n) = nodes.get_mut(*server) {
                n.preload(*term, log.clone());
                n.set_voted_for(*voted_for);
                if *leader {
                    n.force_leader();
                }
            }
        }
        let network = self.network.clone().unwrap_or_else(default_network);
        let mut exp =
            Experiment::new(nodes).network(network).faults(self.faults.clone()).trace(self.trace);
        if self.monitors {
            let groups = self.groups;
            exp = exp.monitor(move || SafetyMonitor::new(groups, s));
        }
        if let Some(w) = &self.workload {
            exp = exp
                .clients(Workload { shards: self.groups, ..w.clone() })
                .check_history("linearizability", linearizable);
        }
        Ok(exp)
    }

    /// Build the cluster (validates everything: cluster size, timeouts, unknown node ids in the
    /// fault schedule, the workload).
    pub fn build(self) -> Result<Cluster> {
        let exp = self.experiment()?;
        Cluster::start(&exp, self.cfg.servers, self.groups, self.seed)
    }
}

/// The linearizability check of a history of registers (one per key), as a harness history
/// check: the culprit operation and why.
pub fn linearizable(h: &History) -> std::result::Result<(), String> {
    let v = check_cas_register(h);
    if v.is_linearizable() {
        return Ok(());
    }
    let culprit = v.culprit().map(|i| h.operations()[i].describe()).unwrap_or_default();
    Err(format!("{} (culprit: {culprit})", v.explanation()))
}

/// The five safety properties of every group, as one monitor of the harness.
struct SafetyMonitor {
    servers: usize,
    groups: Vec<Monitor>,
}

impl SafetyMonitor {
    fn new(groups: usize, servers: usize) -> SafetyMonitor {
        SafetyMonitor { servers, groups: (0..groups).map(|_| Monitor::new(servers)).collect() }
    }
}

impl crate::sim::Monitor<RaftNode> for SafetyMonitor {
    fn check(&mut self, sim: &Simulation<RaftNode>) -> std::result::Result<(), Violation> {
        let s = self.servers;
        let several = self.groups.len() > 1;
        for (g, m) in self.groups.iter_mut().enumerate() {
            let nodes = &sim.nodes()[g * s..(g + 1) * s];
            let up: Vec<bool> = (g * s..(g + 1) * s).map(|i| sim.is_up(i)).collect();
            if let Some((property, detail)) = m.check(nodes, &up) {
                let detail = if several { format!("group {g}: {detail}") } else { detail };
                return Err(Violation::now(sim, property.to_string(), detail));
            }
        }
        Ok(())
    }
}

/// The default network of a [`Cluster`]: one-way delays uniform in 2–6 ms, reordering
/// possible, no loss.
pub fn default_network() -> Network {
    Network::new(Dist::Uniform { lo: 2.0, hi: 6.0 })
}

/// A Raft cluster on the simulator, stepped by hand: one or more groups, an optional client
/// workload, the safety monitors after every event, leadership recorded for the timeline.
pub struct Cluster {
    run: Run<RaftNode>,
    servers: usize,
    groups: usize,
    spans: Vec<LeaderSpan>,
    open: Vec<Option<(Term, f64)>>,
}

impl Cluster {
    /// One group of `cfg.servers` servers on the default network, no faults, traced, monitored.
    pub fn new(cfg: RaftConfig, seed: u64) -> Result<Cluster> {
        Cluster::builder(cfg).seed(seed).build()
    }

    /// Configure a cluster: `.seed`, `.groups`, `.network`, `.faults`, `.trace`, `.workload`,
    /// then `.build()` (or `.experiment()` to run it over many seeds).
    pub fn builder(cfg: RaftConfig) -> ClusterBuilder {
        ClusterBuilder {
            cfg,
            groups: 1,
            seed: 0,
            network: None,
            faults: FaultSchedule::new(),
            trace: true,
            monitors: true,
            workload: None,
            initial: Vec::new(),
        }
    }

    /// Seed `seed` of `experiment` (`servers` per group, `groups` groups), to step by hand.
    pub(crate) fn start(
        experiment: &Experiment<RaftNode>,
        servers: usize,
        groups: usize,
        seed: u64,
    ) -> Result<Cluster> {
        let run = experiment.start(seed)?;
        let total = run.sim().cluster_size();
        let mut c = Cluster { run, servers, groups, spans: Vec::new(), open: vec![None; total] };
        c.record_leaders();
        Ok(c)
    }

    // ---- running ------------------------------------------------------------------------

    /// One event (or client action), then the monitors. Returns its time, or `None` when
    /// nothing is left to do or a property has been violated.
    pub fn step(&mut self) -> Result<Option<Time>> {
        let t = self.run.step()?;
        self.record_leaders();
        Ok(t)
    }

    /// Run every event up to `t_ms` (stopping early at a violation).
    pub fn run_until_ms(&mut self, t_ms: f64) -> Result<()> {
        validate::finite("t_ms", t_ms)?;
        let until = Time::from_ms(t_ms);
        while self.run.step_until(until)?.is_some() {
            self.record_leaders();
        }
        self.run.run_until_ms(t_ms) // nothing is left before t_ms: this only moves the clock
    }

    /// Hand a put to simulation node `node` now (use [`Cluster::leader`] to find the
    /// leader). The answer shows in [`Cluster::answers`].
    pub fn put(&mut self, node: usize, key: i64, value: i64) -> Result<RequestId> {
        self.run.request(node, KvRequest::Put { key, value })
    }

    /// Hand a read (through the log) to simulation node `node` now.
    pub fn get(&mut self, node: usize, key: i64) -> Result<RequestId> {
        self.run.request(node, KvRequest::Get { key })
    }

    fn record_leaders(&mut self) {
        let sim = self.run.sim();
        let now = sim.now_ms();
        for i in 0..sim.cluster_size() {
            let node = &sim.nodes()[i];
            let is = (sim.is_up(i) && node.role() == Role::Leader).then(|| node.term());
            let was = self.open[i].map(|(t, _)| t);
            if is != was {
                if let Some((term, from)) = self.open[i].take() {
                    let group = i / self.servers;
                    self.spans.push(LeaderSpan { group, node: i, term, from_ms: from, to_ms: now });
                }
                if let Some(term) = is {
                    self.open[i] = Some((term, now));
                }
            }
        }
    }

    /// The clients' history so far (Jepsen format, one register per key; operations still in
    /// flight have no completion: their outcome is unknown). Empty without a workload.
    pub fn history(&self) -> Result<History> {
        match self.run.history()? {
            Some(h) => Ok(h),
            None => History::from_events(Vec::new()),
        }
    }

    /// Check the clients' history for linearizability now; a failure becomes the cluster's
    /// violation (property `"linearizability"`) and is returned.
    pub fn check_history(&mut self) -> Result<Option<Violation>> {
        Ok(self.run.check_final()?.cloned())
    }

    // ---- looking ------------------------------------------------------------------------

    /// The first violated property, if any.
    pub fn violation(&self) -> Option<&Violation> {
        self.run.violation()
    }

    /// The leader of group 0 with the highest term among running leaders: `(node, term)`.
    pub fn leader(&self) -> Option<(usize, Term)> {
        self.group_leader(0)
    }

    /// The running leader of group `g` with the highest term: `(simulation node id, term)`.
    pub fn group_leader(&self, g: usize) -> Option<(usize, Term)> {
        let s = self.servers;
        let sim = self.run.sim();
        (g * s..((g + 1) * s).min(sim.cluster_size()))
            .filter(|&i| sim.is_up(i) && sim.nodes()[i].role() == Role::Leader)
            .map(|i| (i, sim.nodes()[i].term()))
            .max_by_key(|&(_, t)| t)
    }

    /// Server `id` (a simulation node id).
    pub fn node(&self, id: usize) -> Result<&RaftNode> {
        self.run.sim().node(id)
    }

    /// The underlying simulation (trace, stats, answered requests).
    pub fn sim(&self) -> &Simulation<RaftNode> {
        self.run.sim()
    }

    /// Client requests answered so far: `(request id, node, response, latency ms)`.
    pub fn answers(&self) -> Vec<(RequestId, usize, crate::sim::KvResponse, f64)> {
        self.sim().answered().iter().map(|a| (a.id, a.node.0, a.response, a.latency_ms())).collect()
    }

    /// Events processed so far.
    pub fn steps(&self) -> u64 {
        self.sim().stats().events
    }

    /// Servers per group.
    pub fn servers(&self) -> usize {
        self.servers
    }

    /// Number of groups.
    pub fn groups(&self) -> usize {
        self.groups
    }

    /// Redirects the clients followed so far.
    pub fn redirects(&self) -> u64 {
        self.run.redirects()
    }

    /// Every leadership span so far (open spans end now).
    pub fn leader_spans(&self) -> Vec<LeaderSpan> {
        let mut spans = self.spans.clone();
        let now = self.sim().now_ms();
        for (i, o) in self.open.iter().enumerate() {
            if let Some((term, from)) = o {
                spans.push(LeaderSpan {
                    group: i / self.servers,
                    node: i,
                    term: *term,
                    from_ms: *from,
                    to_ms: now,
                });
            }
        }
        spans.sort_by(|a, b| a.from_ms.total_cmp(&b.from_ms).then(a.node.cmp(&b.node)));
        spans
    }
}

// ---- fault sweeps -------------------------------------------------------------------------

/// A family of random fault schedules for sweeps: each seed draws its own network faults,
/// crashes and partitions from these rates (from the harness's faults stream).
#[derive(Clone, Debug)]
pub struct FaultProfile {
    /// The Raft configuration (servers, timeouts, bugs, handlers).
    pub raft: RaftConfig,
    /// Simulated time per run (ms).
    pub duration_ms: f64,
    /// The network: delays, loss, duplication.
    pub network: Network,
    /// Crash/restart pairs per run.
    pub crashes: usize,
    /// Mean time a crashed server stays down (ms).
    pub mean_down_ms: f64,
    /// Random two-way partitions per run.
    pub partitions: usize,
    /// Mean partition length (ms).
    pub mean_partition_ms: f64,
    /// The clients.
    pub workload: Workload,
    /// Check the five properties after every event (default true; false leaves only the
    /// linearizability check of the history).
    pub monitors: bool,
}

impl FaultProfile {
    /// The CI sweep: 5 servers with fast timers (elections 40–80 ms, heartbeat 15 ms, delays
    /// 1–5 ms), 2% loss, 2% duplication, reordering, 4 crash/restart pairs and 3 partitions in
    /// 1.5 s, 3 clients on 2 keys (15 ms mean think time, 200 ms per operation, following the
    /// leader).
    pub fn standard(raft: RaftConfig) -> FaultProfile {
        let raft = raft.with_election_timeout(40.0, 80.0).with_heartbeat(15.0);
        let workload = Workload::new(3, 30)
            .keys(2)
            .think_ms(Dist::Exponential { rate: 1.0 / 15.0 })
            .timeout_ms(200.0)
            .target(Target::Leader)
            .max_redirects(50);
        FaultProfile {
            raft,
            duration_ms: 1_500.0,
            network: Network::new(Dist::Uniform { lo: 1.0, hi: 5.0 })
                .with_loss(0.02)
                .with_duplicate(0.02),
            crashes: 4,
            mean_down_ms: 60.0,
            partitions: 3,
            mean_partition_ms: 150.0,
            workload,
            monitors: true,
        }
    }

    /// The bug-hunting profile: like [`FaultProfile::standard`] but with shorter timeouts
    /// (elections 25–50 ms, heartbeat 8 ms), one entry per `AppendEntries` (so that an old
    /// entry can reach a majority before the new leader's no-op does), 5% loss and
    /// duplication, 16 short crashes (mean 15 ms down) and 6 partitions in 1.5 s: many
    /// elections, many of them contested.
    pub fn aggressive(raft: RaftConfig) -> FaultProfile {
        let mut raft = raft.with_election_timeout(25.0, 50.0).with_heartbeat(8.0);
        raft.max_batch = 1;
        let mut p = FaultProfile::standard(raft.clone());
        p.raft = raft;
        p.network =
            Network::new(Dist::Uniform { lo: 1.0, hi: 5.0 }).with_loss(0.05).with_duplicate(0.05);
        p.crashes = 16;
        p.mean_down_ms = 15.0;
        p.partitions = 6;
        p.mean_partition_ms = 100.0;
        p
    }

    /// The profile as an experiment of the harness: seed `s` is one run with its own faults.
    pub fn experiment(&self) -> Result<Experiment<RaftNode>> {
        validate::positive("duration_ms", self.duration_ms)?;
        let (servers, horizon) = (self.raft.servers, self.duration_ms);
        let (crashes, partitions) = (self.crashes, self.partitions);
        let (down, cut) = (self.mean_down_ms, self.mean_partition_ms);
        let exp = Cluster::builder(self.raft.clone())
            .network(self.network.clone())
            .monitors(self.monitors)
            .trace(false)
            .workload(self.workload.clone())
            .experiment()?
            .faults_from(move |rng: &mut SimRng, _| {
                FaultSchedule::random(servers, horizon * 0.8, crashes, partitions, down, cut, rng)
            })
            .horizon_ms(horizon);
        Ok(exp)
    }

    /// Seed `seed` of the profile as a cluster to step by hand (untraced).
    pub fn cluster(&self, seed: u64) -> Result<Cluster> {
        Cluster::start(&self.experiment()?, self.raft.servers, 1, seed)
    }

    /// Run seed `seed` to the end and check the history: the violation, if any.
    pub fn run(&self, seed: u64) -> Result<Option<Violation>> {
        Ok(self.experiment()?.run(seed)?.violation().cloned())
    }
}

/// Run `profile` for each seed in `seeds`, stopping at the first violation (monitors after
/// every event, then linearizability of the clients' history); the failing seed is replayed
/// with the trace on.
pub fn sweep(profile: &FaultProfile, seeds: std::ops::Range<u64>) -> Result<SweepReport<RaftNode>> {
    profile.experiment()?.sweep(seeds, Sweep::StopAtFirst)
}

// ---- the election-time experiment (§9.3, Figure 16) ----------------------------------------

/// The setup of the paper's leader-election measurement (§9.3).
#[derive(Clone, Debug, PartialEq)]
pub struct ElectionSetup {
    /// Servers (the paper: 5; it reports 9 as similar).
    pub servers: usize,
    /// Election timeout range (ms).
    pub timeout_ms: (f64, f64),
    /// One-way message delay, uniform in this range (ms). Default 1.5–4 ms.
    pub delay_ms: (f64, f64),
    /// Stable-storage write before a server answers an RPC, uniform in this range (ms; see
    /// [`RaftConfig::persist_ms`]). Default 6–10 ms. With the default delays the broadcast
    /// time ([`ElectionSetup::broadcast_time_ms`]) is 15 ms, the paper's "roughly 15ms".
    pub persist_ms: (f64, f64),
    /// Give the followers logs of different lengths, so some candidates cannot win (the
    /// paper's worst case).
    pub unequal_logs: bool,
    /// A trial with no leader after this long counts as this long (ms; censored).
    pub horizon_ms: f64,
}

impl ElectionSetup {
    /// The paper's setup with `servers` servers and the given timeout range.
    pub fn paper(servers: usize, timeout_ms: (f64, f64)) -> Result<ElectionSetup> {
        let s = ElectionSetup {
            servers,
            timeout_ms,
            delay_ms: (1.5, 4.0),
            persist_ms: (6.0, 10.0),
            unequal_logs: true,
            horizon_ms: 10_000.0,
        };
        s.validate()?;
        Ok(s)
    }

    /// The broadcast time of this setup (§5.6: "the average time it takes a server to send
    /// RPCs in parallel to every server in the cluster and receive their responses"): the mean,
    /// over 10 000 seeded draws, of the slowest of the `servers − 1` round trips, each one way
    /// out, a stable-storage write and one way back (ms).
    pub fn broadcast_time_ms(&self) -> Result<f64> {
        self.validate()?;
        let mut rng = SimRng::new(0x0b0a_dca5);
        let draw = |rng: &mut SimRng, (lo, hi): (f64, f64)| rng.uniform_range(lo, hi);
        const DRAWS: usize = 10_000;
        let mut total = 0.0;
        for _ in 0..DRAWS {
            let mut slowest: f64 = 0.0;
            for _ in 1..self.servers {
                let rtt = draw(&mut rng, self.delay_ms)
                    + draw(&mut rng, self.persist_ms)
                    + draw(&mut rng, self.delay_ms);
                slowest = slowest.max(rtt);
            }
            total += slowest;
        }
        Ok(total / DRAWS as f64)
    }

    fn validate(&self) -> Result<()> {
        if self.servers < 3 {
            return Err(Error::out_of_range(
                "servers",
                self.servers,
                "must be at least 3: after the leader crashes the others must still form a majority",
            ));
        }
        if self.servers > 64 {
            return Err(Error::out_of_range("servers", self.servers, "must be at most 64"));
        }
        validate_timeouts(self.timeout_ms)?;
        let (lo, hi) = self.delay_ms;
        validate::non_negative("delay_ms.min", lo)?;
        validate::ordered("delay_ms.min", lo, "delay_ms.max", hi)?;
        let (lo, hi) = self.persist_ms;
        validate::non_negative("persist_ms.min", lo)?;
        validate::ordered("persist_ms.min", lo, "persist_ms.max", hi)?;
        validate::positive("horizon_ms", self.horizon_ms)?;
        Ok(())
    }
}

/// Downtime after a leader crash, in ms, for `trials` trials: the paper's §9.3 measurement
/// (Figure 16) with its setup ([`ElectionSetup::paper`]): `servers` servers, a broadcast time of
/// 15 ms (one-way delays of 1.5–4 ms and a 6–10 ms stable-storage write before every
/// answer), followers with logs of different lengths, the leader sends
/// one synchronized round of heartbeats and crashes at a uniformly random point of its
/// heartbeat interval (half the minimum election timeout); the downtime runs from the crash
/// until another server becomes leader. Trials that elect nobody within 10 s count as 10 000 ms.
///
/// Errors: `servers < 3`, a timeout range with a non-positive or non-finite end or with
/// min > max, `trials == 0`.
///
/// ```
/// let d = course_lib::raft::election_downtime_ms(5, (150.0, 300.0), 200, 1)?;
/// let mut s = d.clone();
/// s.sort_by(f64::total_cmp);
/// assert!(s[100] > 75.0 && s[100] < 300.0); // median: between half the minimum timeout and 300 ms
/// # Ok::<(), course_lib::Error>(())
/// ```
pub fn election_downtime_ms(
    servers: usize,
    timeout_ms: (f64, f64),
    trials: usize,
    seed: u64,
) -> Result<Vec<f64>> {
    election_downtime_with(&ElectionSetup::paper(servers, timeout_ms)?, trials, seed)
}

/// [`election_downtime_ms`] with any [`ElectionSetup`].
pub fn election_downtime_with(setup: &ElectionSetup, trials: usize, seed: u64) -> Result<Vec<f64>> {
    setup.validate()?;
    validate::at_least("trials", trials, 1)?;
    (0..trials as u64).map(|k| election_trial(setup, seed, k)).collect()
}

fn election_trial(setup: &ElectionSetup, seed: u64, k: u64) -> Result<f64> {
    let (lo, _) = setup.timeout_ms;
    let cfg = RaftConfig::new(setup.servers)
        .with_election_timeout(setup.timeout_ms.0, setup.timeout_ms.1)
        .with_heartbeat(lo / 2.0)
        .with_persist(setup.persist_ms.0, setup.persist_ms.1);
    let mut rng = Stream::Trial(k).rng(seed);
    let trial_seed = rng.next_u64();
    // Logs: the leader has L entries of term 1; the followers a shuffled set of shorter ones.
    let longest = setup.servers;
    let mut lengths: Vec<usize> = (0..setup.servers - 1)
        .map(|i| if setup.unequal_logs { longest - i } else { longest })
        .collect();
    rng.shuffle(&mut lengths);
    let entry =
        |i: usize| Entry { term: 1, command: super::Command::Put { key: 0, value: i as i64 } };
    let mut nodes = RaftNode::group(&cfg, 0);
    nodes[0].preload(1, (0..longest).map(entry).collect());
    nodes[0].force_leader();
    nodes[0].set_frozen(true);
    for (i, len) in lengths.into_iter().enumerate() {
        nodes[i + 1].preload(1, (0..len).map(entry).collect());
    }
    let crash_at = rng.uniform_range(0.0, lo / 2.0);
    let net = Network::new(Dist::uniform(setup.delay_ms.0, setup.delay_ms.1)?);
    let servers = setup.servers;
    let report = Experiment::new(nodes)
        .network(net)
        .faults(FaultSchedule::new().crash(0, crash_at))
        .horizon_ms(crash_at + setup.horizon_ms)
        .stop_when(move |sim| {
            sim.now_ms() >= crash_at && (1..servers).any(|i| sim.nodes()[i].role() == Role::Leader)
        })
        .run(trial_seed)?;
    Ok(if report.stopped_early() { report.sim().now_ms() - crash_at } else { setup.horizon_ms })
}
