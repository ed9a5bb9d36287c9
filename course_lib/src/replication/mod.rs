//! # Replication: synchronous, asynchronous and quorum replication of a key-value store
//!
//! A replicated store keeps N copies of every key. A **coordinator** (the client's front end)
//! sends each write to the key's N replicas and each read to the same N, and answers the
//! client after W write acknowledgements or R read replies. Three classic strategies are
//! points on this scale (Kleppmann, DDIA ch. 5):
//!
//! * **synchronous** replication, W = N: the client waits for every replica, so any single
//!   replica can serve a fresh read (R = 1), but one slow or dead replica stalls every write;
//! * **asynchronous** replication, W = 1: the client waits for the first replica only; the
//!   others catch up in the background and a read from one of them can be **stale**;
//! * **quorum** replication (Gifford 1979; Dynamo, DeCandia et al. 2007): any R and W with
//!   **R + W > N**, so every read set meets every write set in at least one replica.
//!
//! ## Definitions
//! * **Write latency** is the time to the W-th fastest acknowledgement: with reply times
//!   T₁, …, T_N from the N replicas, latency = T₍W₎, the W-th order statistic. For N i.i.d.
//!   exponential reply times of mean μ, E[T₍W₎] = μ · Σ_{i=0}^{W−1} 1/(N − i) (Rényi's
//!   representation); read latency is T₍R₎ in the same way.
//! * **Versions and conflict resolution.** A write carries the version (timestamp, coordinator
//!   id); replicas and coordinators merge versions with a **resolver**, a function from the
//!   versions at hand to the winner. The default, [`last_writer_wins`], keeps the largest
//!   (timestamp, node) pair, so equal timestamps are broken deterministically by node id.
//!   The resolver is a plain `fn` pointer ([`Resolver`]): a notebook cell can supply its own.
//! * **Stale read.** A read is stale if it returned a write's value (or nothing) although
//!   another write of the key was invoked after that write completed, and itself completed
//!   before the read was invoked: the read missed a write that was certainly newer
//!   ([`crate::consistency::stale_reads`] on the run's history). With R + W > N, no failures
//!   and no sloppy quorum, no read is stale: the W replicas that acknowledged the newer write
//!   have applied it, any R replies include one of them, and its version (later timestamp)
//!   wins. With R + W ≤ N, reads can miss it.
//! * **Replica lag** at time t: how many keys the replica holds an older version of than the
//!   newest acknowledged write (`stale_keys`), and how long ago the oldest such write was
//!   acknowledged (`lag_ms`).
//! * **Read repair**: after a read, the coordinator sends the resolved version to every replica
//!   that returned an older one.
//! * **Sloppy quorum and hinted handoff** (Dynamo §4.6): when home replicas do not answer
//!   within the timeout, the coordinator writes to *fallback* nodes instead, each keeping the
//!   write as a **hint** for the home replica it stands in for and handing it back when that
//!   replica is reachable again. A write that reached W replicas but missed some home
//!   replicas by the timeout also leaves hints for them (as Cassandra does; Dynamo hints only
//!   the writes it sent to fallbacks). Reads turn to the fallbacks the same way, and a fallback
//!   answers from its own store, not from its hints. Writes stay available; R + W > N no
//!   longer guarantees that a read sees them, since read and write quorums may now meet only
//!   on fallbacks that hold the write as a hint.
//! * **Catch-up on restart**: a restarted replica asks its peers for their whole store and
//!   merges it (the crudest anti-entropy; Merkle trees make it cheaper, notebook 18).
//!
//! Nodes are pure state machines ([`KvNode`]) on the course's experiment harness
//! ([`crate::sim::Experiment`]). A [`Store`] wires storage replicas, optional fallbacks and
//! coordinators, sends the harness's clients ([`Workload`], open loop by default: Poisson
//! arrivals of writes and reads) to the coordinators, and returns a [`RunReport`] of plain
//! data: the clients' Jepsen history (latency, availability and stale reads come from it) and
//! the replica lag sampled over time. Keys are placed on shards by a consistent-hash ring
//! with virtual nodes ([`HashRing`]); the workshop of seed 001, Day 2 (3 shards × 3 replicas,
//! R = W = 2, three failure scenarios) is in [`workshop`].
//!
//! ```
//! use course_lib::replication::{ReplicationConfig, Store, Workload};
//!
//! let config = ReplicationConfig::quorum(3, 2, 2);         // N = 3, R = 2, W = 2
//! let report = Store::new(config)
//!     .workload(Workload::open_loop(200.0, 400.0, 500.0).keys(20)) // writes/s, reads/s, ms
//!     .run(7)?;                                             // the seed
//! assert_eq!(report.stale_reads(), 0);                     // R + W > N: never stale
//! assert!(report.write_latency_percentile(0.5)? > 0.0);
//! # Ok::<(), course_lib::Error>(())
//! ```
//!
//! ## Reading
//! * D. K. Gifford, "Weighted Voting for Replicated Data", SOSP 1979.
//! * G. DeCandia et al., "Dynamo: Amazon's Highly Available Key-value Store", SOSP 2007
//!   (§4.2 partitioning on a ring with virtual nodes, §4.5 sloppy quorums, §4.6 hinted
//!   handoff, §4.7 anti-entropy, §5 read repair).
//! * D. Karger et al., "Consistent Hashing and Random Trees", STOC 1997.
//! * P. Bailis et al., "Probabilistically Bounded Staleness for Practical Partial Quorums",
//!   VLDB 2012 (the W-th and R-th order statistics, the WARS model: notebook 13).
//! * M. Kleppmann, *Designing Data-Intensive Applications*, ch. 5 "Replication" (2017).

mod node;
mod ring;
pub mod workshop;

pub use crate::sim::Workload;
pub use node::{Hint, KvMsg, KvNode, KvTimer, ReplicaCounters};
pub use ring::{key_position, HashRing};

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::consistency::{stale_reads, History, Operation, Outcome, F};
use crate::dist::Dist;
use crate::error::{validate, Error, Result};
use crate::sim::{
    Arrivals, Experiment, FaultSchedule, KvRequest, KvResponse, Network, SimStats, Simulation,
};
use crate::stats;
use node::Shared;

// ---------------------------------------------------------------------------------------------
// Versions and conflict resolution

/// A write's version: the coordinator's timestamp (ns of virtual time) and the coordinator's
/// node id. Ordered by timestamp, then node id, so two versions are never "equal but
/// different".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// Timestamp in nanoseconds.
    pub ts_ns: u64,
    /// Id of the node that issued it (the tie-breaker).
    pub node: u32,
}

/// A value with its version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Versioned {
    /// The value.
    pub value: i64,
    /// Its version.
    pub version: Version,
}

impl fmt::Display for Versioned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} @ ({} ns, n{})", self.value, self.version.ts_ns, self.version.node)
    }
}

/// A conflict-resolution function: given the versions of one key at hand (from replicas, or
/// the stored and the incoming one), return the one to keep; `None` for an empty slice.
/// Replicas use it to merge writes, coordinators to pick a read's answer and to repair.
pub type Resolver = fn(&[Versioned]) -> Option<Versioned>;

/// Last writer wins: the candidate with the largest (timestamp, node) version. Ties in
/// timestamp go to the larger node id, so every replica picks the same winner.
///
/// ```
/// use course_lib::replication::{last_writer_wins, Version, Versioned};
/// let a = Versioned { value: 1, version: Version { ts_ns: 10, node: 2 } };
/// let b = Versioned { value: 2, version: Version { ts_ns: 10, node: 5 } };
/// assert_eq!(last_writer_wins(&[a, b]), Some(b));
/// assert_eq!(last_writer_wins(&[]), None);
/// ```
pub fn last_writer_wins(candidates: &[Versioned]) -> Option<Versioned> {
    candidates.iter().copied().max_by_key(|v| v.version)
}

// ---------------------------------------------------------------------------------------------
// Configuration

/// How a store replicates: N, R, W, and which repair mechanisms run.
#[derive(Clone, Debug)]
pub struct ReplicationConfig {
    /// Replicas per key (N).
    pub n: usize,
    /// Read replies a coordinator waits for (R).
    pub r: usize,
    /// Write acknowledgements a coordinator waits for (W).
    pub w: usize,
    /// Fallback nodes for sloppy quorums (0: none).
    pub fallbacks: usize,
    /// Use fallbacks when home replicas miss the timeout (sloppy quorum).
    pub sloppy: bool,
    /// Repair stale replicas after reads.
    pub read_repair: bool,
    /// Fallbacks hand hinted writes back to their home replica.
    pub hinted_handoff: bool,
    /// A restarted replica fetches its peers' stores.
    pub catch_up_on_restart: bool,
    /// How long a coordinator waits for R or W answers (ms).
    pub timeout_ms: f64,
    /// How often a fallback retries delivering its hints (ms).
    pub handoff_interval_ms: f64,
    /// The conflict-resolution function.
    pub resolve: Resolver,
}

impl ReplicationConfig {
    /// Quorum replication: read repair on, no sloppy quorum, no catch-up, 100 ms timeout,
    /// last writer wins. `1 <= r, w <= n` is checked when a [`Store`] runs (or by
    /// [`ReplicationConfig::validate`]).
    pub fn quorum(n: usize, r: usize, w: usize) -> Self {
        ReplicationConfig {
            n,
            r,
            w,
            fallbacks: 0,
            sloppy: false,
            read_repair: true,
            hinted_handoff: true,
            catch_up_on_restart: false,
            timeout_ms: 100.0,
            handoff_interval_ms: 20.0,
            resolve: last_writer_wins,
        }
    }

    /// Synchronous replication: W = N, R = 1.
    pub fn synchronous(n: usize) -> Self {
        Self::quorum(n, 1, n)
    }

    /// Asynchronous replication: W = 1, R = 1.
    pub fn asynchronous(n: usize) -> Self {
        Self::quorum(n, 1, 1)
    }

    /// Sloppy quorum over `fallbacks` (≥ 1) extra nodes, with or without hinted handoff.
    pub fn with_sloppy_quorum(mut self, fallbacks: usize, hinted_handoff: bool) -> Self {
        self.fallbacks = fallbacks;
        self.sloppy = true;
        self.hinted_handoff = hinted_handoff;
        self
    }

    /// Turn read repair on or off.
    pub fn with_read_repair(mut self, on: bool) -> Self {
        self.read_repair = on;
        self
    }

    /// Turn catch-up on restart on or off.
    pub fn with_catch_up(mut self, on: bool) -> Self {
        self.catch_up_on_restart = on;
        self
    }

    /// The coordinator's timeout (ms, > 0).
    pub fn with_timeout_ms(mut self, timeout_ms: f64) -> Self {
        self.timeout_ms = timeout_ms;
        self
    }

    /// Use `resolve` for conflict resolution.
    pub fn with_resolver(mut self, resolve: Resolver) -> Self {
        self.resolve = resolve;
        self
    }

    /// R + W > N: every read quorum meets every write quorum.
    pub fn intersects(&self) -> bool {
        self.r + self.w > self.n
    }

    /// Check every field; an error names the parameter and what is allowed.
    pub fn validate(&self) -> Result<()> {
        validate::at_least("N", self.n, 1)?;
        for (name, v) in [("R", self.r), ("W", self.w)] {
            if v == 0 || v > self.n {
                return Err(Error::out_of_range(
                    name,
                    v,
                    format!("must be between 1 and N = {} replicas", self.n),
                ));
            }
        }
        if self.sloppy {
            validate::at_least("fallbacks", self.fallbacks, 1)?;
        }
        validate::positive("timeout_ms", self.timeout_ms)?;
        validate::positive("handoff_interval_ms", self.handoff_interval_ms)?;
        Ok(())
    }
}

impl fmt::Display for ReplicationConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "N = {}, R = {}, W = {}", self.n, self.r, self.w)?;
        if self.sloppy {
            write!(f, ", sloppy ({} fallbacks)", self.fallbacks)?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Placement

/// Where keys live: a ring of shards, each shard's replica group, and the fallback pool.
/// Node ids: shard s's replicas are `s·N .. (s+1)·N`, then the fallbacks, then coordinators.
#[derive(Clone, Debug, PartialEq)]
pub struct Placement {
    ring: HashRing,
    groups: Vec<Vec<usize>>,
    fallbacks: Vec<usize>,
}

impl Placement {
    /// `shards >= 1` shards on a ring with `vnodes >= 1` points each, `n` replicas per shard,
    /// `fallbacks` fallback nodes.
    pub fn new(shards: usize, vnodes: usize, n: usize, fallbacks: usize) -> Result<Self> {
        validate::at_least("shards", shards, 1)?;
        validate::at_least("N", n, 1)?;
        let ring = HashRing::new(shards, vnodes)?;
        let groups = (0..shards).map(|s| (s * n..(s + 1) * n).collect()).collect();
        let fallbacks = (shards * n..shards * n + fallbacks).collect();
        Ok(Placement { ring, groups, fallbacks })
    }

    /// Number of shards.
    pub fn shards(&self) -> usize {
        self.groups.len()
    }

    /// The shard that holds `key` (keys are the workload's, `0..keys`).
    pub fn shard_of(&self, key: i64) -> usize {
        self.ring.owner(key as u64)
    }

    /// The key's home replicas.
    pub fn replicas(&self, key: i64) -> Vec<usize> {
        self.groups[self.shard_of(key)].clone()
    }

    /// Fallback nodes for `key`, in the order a coordinator uses them.
    pub fn fallbacks(&self, _key: i64) -> Vec<usize> {
        self.fallbacks.clone()
    }

    /// The replica group `node` belongs to (empty for fallbacks and coordinators).
    pub fn group_of(&self, node: usize) -> Vec<usize> {
        self.groups.iter().find(|g| g.contains(&node)).cloned().unwrap_or_default()
    }

    /// Storage nodes, fallbacks included.
    pub fn storage_nodes(&self) -> usize {
        self.groups.iter().map(Vec::len).sum::<usize>() + self.fallbacks.len()
    }

    /// Home replicas (fallbacks excluded): ids `0..home_replicas()`.
    pub fn home_replicas(&self) -> usize {
        self.groups.iter().map(Vec::len).sum()
    }

    /// The ring.
    pub fn ring(&self) -> &HashRing {
        &self.ring
    }
}

// ---------------------------------------------------------------------------------------------
// The store on the harness

/// The default network of the replication experiments: one-way delays log-normal with a
/// median of 1 ms and a 99th percentile of 10 ms.
pub fn default_network() -> Network {
    Network::new(Dist::lognormal_from_median_p99(1.0, 10.0).expect("valid constants"))
}

/// The default traffic: 20 keys, 200 writes/s and 400 reads/s for 1 s, open loop, each
/// operation sent to a coordinator chosen uniformly at random.
pub fn default_workload() -> Workload {
    Workload::open_loop(200.0, 400.0, 1_000.0).keys(20)
}

/// A replicated store to run on the harness: configuration, placement, network, faults and
/// traffic. Build with [`Store::new`] and the chaining setters (none fails);
/// [`Store::run`] validates everything and runs one seed.
///
/// The traffic is the harness's [`Workload`], sent to the coordinators only (the store sets
/// [`Workload::entry`] to them); open loop by default ([`default_workload`]). The clients'
/// timeout ([`Workload::timeout_ms`], 1 s for an open loop) should exceed the coordinators'
/// ([`ReplicationConfig::timeout_ms`], twice that with a sloppy quorum), or operations the
/// store did answer end as `info`.
#[derive(Clone, Debug)]
pub struct Store {
    config: ReplicationConfig,
    shards: usize,
    vnodes: usize,
    coordinators: usize,
    network: Network,
    faults: FaultSchedule,
    workload: Workload,
    duration_ms: Option<f64>,
    sample_every_ms: f64,
}

impl Store {
    /// One shard, two coordinators, [`default_network`], no faults, [`default_workload`],
    /// lag sampled every 10 ms.
    pub fn new(config: ReplicationConfig) -> Self {
        Store {
            config,
            shards: 1,
            vnodes: 32,
            coordinators: 2,
            network: default_network(),
            faults: FaultSchedule::new(),
            workload: default_workload(),
            duration_ms: None,
            sample_every_ms: 10.0,
        }
    }

    /// Number of shards (`>= 1`, checked by `run`).
    pub fn shards(mut self, shards: usize) -> Self {
        self.shards = shards;
        self
    }

    /// Ring points per shard.
    pub fn vnodes(mut self, vnodes: usize) -> Self {
        self.vnodes = vnodes;
        self
    }

    /// Number of coordinators (`>= 1`).
    pub fn coordinators(mut self, coordinators: usize) -> Self {
        self.coordinators = coordinators;
        self
    }

    /// The network (node ids as in [`Placement`]; coordinators last).
    pub fn network(mut self, network: Network) -> Self {
        self.network = network;
        self
    }

    /// Faults to inject.
    pub fn faults(mut self, faults: FaultSchedule) -> Self {
        self.faults = faults;
        self
    }

    /// The client traffic. Scripted operations ([`Workload::write_at`]) name a coordinator by
    /// its node id, [`Store::coordinator_id`].
    pub fn workload(mut self, workload: Workload) -> Self {
        self.workload = workload;
        self
    }

    /// How long the traffic lasts (ms). Needed for a closed-loop workload; an open loop
    /// lasts until its last arrival time unless this is set.
    pub fn duration_ms(mut self, ms: f64) -> Self {
        self.duration_ms = Some(ms);
        self
    }

    /// Lag sampling interval (ms, > 0).
    pub fn sample_every_ms(mut self, ms: f64) -> Self {
        self.sample_every_ms = ms;
        self
    }

    /// The configuration.
    pub fn config(&self) -> &ReplicationConfig {
        &self.config
    }

    /// The fault schedule.
    pub fn fault_schedule(&self) -> &FaultSchedule {
        &self.faults
    }

    /// Replace the configuration.
    pub fn with_config(mut self, config: ReplicationConfig) -> Self {
        self.config = config;
        self
    }

    /// The placement of keys on nodes.
    pub fn placement(&self) -> Result<Placement> {
        Placement::new(self.shards, self.vnodes, self.config.n, self.config.fallbacks)
    }

    /// Node id of coordinator number `k` (coordinators follow the storage nodes).
    pub fn coordinator_id(&self, k: usize) -> usize {
        self.shards * self.config.n + self.config.fallbacks + k
    }

    /// Total number of simulated nodes.
    pub fn cluster_size(&self) -> usize {
        self.coordinator_id(self.coordinators)
    }

    /// When the traffic ends (ms).
    fn traffic_ms(&self) -> Result<f64> {
        if let Some(d) = self.duration_ms {
            validate::positive("duration_ms", d)?;
            return validate::finite("duration_ms", d);
        }
        let scripted = self.workload.script.iter().map(|s| s.at_ms).fold(0.0, f64::max);
        match self.workload.arrivals {
            Arrivals::Poisson { until_ms, writes_until_ms, .. } => {
                Ok(until_ms.max(writes_until_ms).max(scripted))
            }
            Arrivals::Closed => Err(Error::invalid(
                "Store",
                "a closed-loop workload has no natural end: set .duration_ms(…)",
            )),
        }
    }

    /// When a run ends: the traffic, then a drain of three coordinator timeouts so every
    /// operation is answered.
    pub fn end_ms(&self) -> Result<f64> {
        Ok(self.traffic_ms()? + 3.0 * self.config.timeout_ms)
    }

    /// The store as a harness [`Experiment`]: storage replicas, fallbacks and coordinators,
    /// the network, the faults and the clients (at the coordinators), until [`Store::end_ms`].
    /// Validates everything.
    pub fn experiment(&self) -> Result<Experiment<KvNode>> {
        self.config.validate()?;
        validate::at_least("coordinators", self.coordinators, 1)?;
        validate::positive("sample_every_ms", self.sample_every_ms)?;
        let end = self.end_ms()?;
        let placement = self.placement()?;
        let shared = Arc::new(Shared { config: self.config.clone(), placement: placement.clone() });
        let mut nodes: Vec<KvNode> =
            (0..placement.storage_nodes()).map(|_| KvNode::storage(Arc::clone(&shared))).collect();
        nodes.extend((0..self.coordinators).map(|_| KvNode::coordinator(Arc::clone(&shared))));
        let workload =
            self.workload.clone().entry_nodes(self.coordinator_id(0)..self.cluster_size());
        Ok(Experiment::new(nodes)
            .network(self.network.clone())
            .faults(self.faults.clone())
            .horizon_ms(end)
            .clients(workload))
    }

    /// Run the store with this seed, sampling replica lag every `sample_every_ms`. Same
    /// store, same seed, same report.
    pub fn run(&self, seed: u64) -> Result<RunReport> {
        let exp = self.experiment()?;
        let end = self.end_ms()?;
        let placement = self.placement()?;
        let home = placement.home_replicas();
        let mut run = exp.start(seed)?;
        // every acknowledged write, per key: (when, version)
        let mut acked: BTreeMap<i64, Vec<(f64, Version)>> = BTreeMap::new();
        let mut seen = 0;
        let mut lag = Vec::new();
        let mut t = 0.0;
        loop {
            run.run_until_ms(t)?;
            let sim = run.sim();
            for a in &sim.answered()[seen..] {
                if let (KvRequest::Put { key, value }, KvResponse::Written) =
                    (a.request, a.response)
                {
                    let version = sim.node(a.node.0)?.version_of(value).ok_or_else(|| {
                        Error::invalid(
                            "replication",
                            "a coordinator acknowledged a write it never issued",
                        )
                    })?;
                    acked.entry(key).or_default().push((a.answered.as_ms(), version));
                }
            }
            seen = sim.answered().len();
            lag.push(lag_sample(sim, &placement, &acked, home, t)?);
            if t >= end {
                break;
            }
            t = (t + self.sample_every_ms).min(end);
        }
        let report = run.finish()?;
        let first = self.coordinator_id(0);
        let coordinator = report.sent_to().iter().map(|&n| n.saturating_sub(first)).collect();
        let history = report.history().cloned().expect("the store's experiment has clients");
        let stale = stale_reads(&history);
        let hints_left = report.sim().nodes().iter().map(|n| n.hints().count()).sum();
        Ok(RunReport {
            history,
            coordinator,
            stale,
            lag,
            stats: report.stats().clone(),
            hints_left,
            home_replicas: home,
            coordinators: self.coordinators,
            end_ms: end,
            config: self.config.to_string(),
        })
    }
}

/// Replica lag at `t`: per home replica, the keys on which it holds an older version than the
/// newest acknowledged write, and the age of the oldest acknowledged write it is missing.
fn lag_sample(
    sim: &Simulation<KvNode>,
    placement: &Placement,
    acked: &BTreeMap<i64, Vec<(f64, Version)>>,
    home: usize,
    t: f64,
) -> Result<LagSample> {
    let mut stale_keys = vec![0usize; home];
    let mut lag_ms = vec![0.0f64; home];
    for (&key, writes) in acked {
        let newest = writes.iter().map(|w| w.1).max().expect("non-empty");
        for node in placement.replicas(key) {
            let have = sim.node(node)?.store().get(&key).map(|v| v.version);
            if have < Some(newest) {
                stale_keys[node] += 1;
                let since = writes
                    .iter()
                    .filter(|w| Some(w.1) > have)
                    .map(|w| w.0)
                    .fold(f64::INFINITY, f64::min);
                lag_ms[node] = lag_ms[node].max(t - since);
            }
        }
    }
    Ok(LagSample { t_ms: t, stale_keys, lag_ms })
}

// ---------------------------------------------------------------------------------------------
// Results

/// Replica lag at one moment: one entry per home replica (node ids `0..`).
#[derive(Clone, Debug, PartialEq)]
pub struct LagSample {
    /// Time (ms).
    pub t_ms: f64,
    /// Keys on which the replica is behind the newest acknowledged write.
    pub stale_keys: Vec<usize>,
    /// Age of the oldest acknowledged write the replica is missing (ms; 0 if none).
    pub lag_ms: Vec<f64>,
}

/// Everything a run measured: plain data to tabulate and plot.
#[derive(Clone, Debug)]
pub struct RunReport {
    /// What the clients saw: every operation, invoked and completed, as a Jepsen history
    /// (`ok`; `fail`: a read that too few replicas answered; `info`: such a write).
    pub history: History,
    /// The coordinator (number, not node id) each operation of the history was sent to.
    pub coordinator: Vec<usize>,
    /// The stale reads: indices into [`History::operations`] of the reads
    /// [`crate::consistency::stale_reads`] finds.
    pub stale: Vec<usize>,
    /// Replica lag, sampled.
    pub lag: Vec<LagSample>,
    /// The simulator's counters.
    pub stats: SimStats,
    /// Hints still held by fallbacks at the end.
    pub hints_left: usize,
    /// Number of home replicas.
    pub home_replicas: usize,
    /// Number of coordinators.
    pub coordinators: usize,
    /// When the run ended (ms).
    pub end_ms: f64,
    /// The configuration, as text.
    pub config: String,
}

impl RunReport {
    fn time_ms(&self, event: usize) -> f64 {
        self.history.events()[event].time_ns.unwrap_or(0) as f64 / 1e6
    }

    /// When operation `op` was invoked (ms).
    pub fn invoked_ms(&self, op: &Operation) -> f64 {
        self.time_ms(op.invoke)
    }

    /// Time from invocation to completion of operation `op` (ms); `None` if it never
    /// completed.
    pub fn latency_ms(&self, op: &Operation) -> Option<f64> {
        op.complete.map(|c| self.time_ms(c) - self.time_ms(op.invoke))
    }

    fn latencies(&self, f: F) -> Vec<f64> {
        self.history
            .operations()
            .iter()
            .filter(|o| o.f == f && o.outcome == Outcome::Ok)
            .filter_map(|o| self.latency_ms(o))
            .collect()
    }

    /// [`stats::quantile`] of the successful writes' (or reads') latencies, with an empty
    /// sample explained in terms of the run.
    fn latency_quantile(&self, f: F, q: f64) -> Result<f64> {
        stats::quantile(&self.latencies(f), q).map_err(|e| match e {
            Error::Empty { .. } => {
                let kind = if f == F::Write { "write" } else { "read" };
                Error::empty(
                    format!("the sample of successful {kind}s' latencies"),
                    format!("no {kind} succeeded in this run"),
                )
            }
            e => e,
        })
    }

    /// Latencies of successful writes (ms).
    pub fn write_latencies_ms(&self) -> Vec<f64> {
        self.latencies(F::Write)
    }

    /// Latencies of successful reads (ms).
    pub fn read_latencies_ms(&self) -> Vec<f64> {
        self.latencies(F::Read)
    }

    /// The `q`-quantile (0 ≤ q ≤ 1) of successful writes' latency (ms): the crate's one
    /// sample quantile, [`stats::quantile`] (Hyndman & Fan type 7, linear interpolation
    /// between order statistics, numpy's and R's default).
    ///
    /// # Errors
    /// `q` NaN or outside `[0, 1]`; no write succeeded.
    pub fn write_latency_percentile(&self, q: f64) -> Result<f64> {
        self.latency_quantile(F::Write, q)
    }

    /// The `q`-quantile of successful reads' latency (ms), as
    /// [`write_latency_percentile`](Self::write_latency_percentile).
    ///
    /// # Errors
    /// `q` NaN or outside `[0, 1]`; no read succeeded.
    pub fn read_latency_percentile(&self, q: f64) -> Result<f64> {
        self.latency_quantile(F::Read, q)
    }

    /// Successful reads.
    pub fn successful_reads(&self) -> usize {
        self.history
            .operations()
            .iter()
            .filter(|o| o.f == F::Read && o.outcome == Outcome::Ok)
            .count()
    }

    /// Stale reads: a read that returned a write's value (or nothing) although another write
    /// of the key was invoked after that write completed and itself completed before the
    /// read was invoked ([`crate::consistency::stale_reads`], "certainly stale").
    pub fn stale_reads(&self) -> usize {
        self.stale.len()
    }

    /// Stale reads / successful reads (0 when there are none).
    pub fn stale_read_rate(&self) -> f64 {
        let n = self.successful_reads();
        if n == 0 {
            0.0
        } else {
            self.stale_reads() as f64 / n as f64
        }
    }

    fn ok_fraction(&self, keep: impl Fn(usize, &Operation) -> bool) -> f64 {
        let (mut n, mut ok) = (0usize, 0usize);
        for (i, o) in self.history.operations().iter().enumerate() {
            if keep(i, o) {
                n += 1;
                ok += (o.outcome == Outcome::Ok) as usize;
            }
        }
        if n == 0 {
            1.0
        } else {
            ok as f64 / n as f64
        }
    }

    fn invoked_in(&self, o: &Operation, from_ms: f64, to_ms: f64) -> bool {
        let t = self.invoked_ms(o);
        t >= from_ms && t < to_ms
    }

    /// Fraction of operations invoked in `[from_ms, to_ms)` that succeeded (1 if none).
    pub fn availability(&self, from_ms: f64, to_ms: f64) -> f64 {
        self.ok_fraction(|_, o| self.invoked_in(o, from_ms, to_ms))
    }

    /// Like [`RunReport::availability`], writes only.
    pub fn write_availability(&self, from_ms: f64, to_ms: f64) -> f64 {
        self.ok_fraction(|_, o| o.f == F::Write && self.invoked_in(o, from_ms, to_ms))
    }

    /// Like [`RunReport::availability`], reads only.
    pub fn read_availability(&self, from_ms: f64, to_ms: f64) -> f64 {
        self.ok_fraction(|_, o| o.f == F::Read && self.invoked_in(o, from_ms, to_ms))
    }

    /// Availability seen by each coordinator's clients in `[from_ms, to_ms)`.
    pub fn availability_by_coordinator(&self, from_ms: f64, to_ms: f64) -> Vec<f64> {
        (0..self.coordinators)
            .map(|c| {
                self.ok_fraction(|i, o| {
                    self.coordinator[i] == c && self.invoked_in(o, from_ms, to_ms)
                })
            })
            .collect()
    }

    /// `(time, stale keys)` of home replica `node`, for plotting.
    pub fn stale_keys_series(&self, node: usize) -> Vec<(f64, f64)> {
        self.lag
            .iter()
            .filter_map(|s| s.stale_keys.get(node).map(|&k| (s.t_ms, k as f64)))
            .collect()
    }

    /// `(time, lag in ms)` of home replica `node`, for plotting.
    pub fn lag_ms_series(&self, node: usize) -> Vec<(f64, f64)> {
        self.lag.iter().filter_map(|s| s.lag_ms.get(node).map(|&l| (s.t_ms, l))).collect()
    }

    /// Time from `after_ms` until replica `node` was first seen behind on no key, in ms
    /// (at the resolution of the lag samples); `None` if it never caught up during the run.
    pub fn recovery_ms(&self, node: usize, after_ms: f64) -> Option<f64> {
        self.lag
            .iter()
            .find(|s| s.t_ms >= after_ms && s.stale_keys.get(node) == Some(&0))
            .map(|s| s.t_ms - after_ms)
    }
}

// ---------------------------------------------------------------------------------------------
// Sweeps

/// Latency and staleness of one (R, W) choice.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RwPoint {
    /// Read quorum.
    pub r: usize,
    /// Write quorum.
    pub w: usize,
    /// Median read latency (ms).
    pub read_p50_ms: f64,
    /// 99th-percentile read latency (ms).
    pub read_p99_ms: f64,
    /// Median write latency (ms).
    pub write_p50_ms: f64,
    /// 99th-percentile write latency (ms).
    pub write_p99_ms: f64,
    /// Fraction of reads that were stale.
    pub stale_read_rate: f64,
    /// Successful reads.
    pub reads: usize,
}

/// Run `base` once for every 1 ≤ R, W ≤ N (N from its configuration, everything else kept,
/// same seed: differences come from R and W, not from luck). Rows in order R, then W.
pub fn sweep_rw(base: &Store, seed: u64) -> Result<Vec<RwPoint>> {
    let n = base.config.n;
    let mut out = Vec::with_capacity(n * n);
    for r in 1..=n {
        for w in 1..=n {
            let mut config = base.config.clone();
            config.r = r;
            config.w = w;
            let rep = base.clone().with_config(config).run(seed)?;
            out.push(RwPoint {
                r,
                w,
                read_p50_ms: rep.read_latency_percentile(0.5)?,
                read_p99_ms: rep.read_latency_percentile(0.99)?,
                write_p50_ms: rep.write_latency_percentile(0.5)?,
                write_p99_ms: rep.write_latency_percentile(0.99)?,
                stale_read_rate: rep.stale_read_rate(),
                reads: rep.successful_reads(),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
