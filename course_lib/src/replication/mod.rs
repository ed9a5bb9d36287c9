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
//! * **Stale read.** A read issued at time t is stale if it returns a version older than the
//!   newest write acknowledged to any client before t. With R + W > N, no failures and no
//!   sloppy quorum, no read is stale: the W replicas that acknowledged the write have applied
//!   it, and any R replies include one of them. With R + W ≤ N, reads can miss it.
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
//! Nodes are pure state machines ([`KvNode`]) on the course simulator ([`crate::sim`]); an
//! [`Experiment`] wires storage replicas, optional fallbacks and coordinators, drives a
//! seeded [`Workload`] through them, and returns a [`RunReport`] of plain data: every
//! operation with its latency and staleness, and the replica lag sampled over time.
//! Keys are placed on shards by a consistent-hash ring with virtual nodes ([`HashRing`]); the
//! workshop of seed 001, Day 2 (3 shards × 3 replicas, R = W = 2, three failure scenarios)
//! is in [`workshop`].
//!
//! ```
//! use course_lib::replication::{Experiment, ReplicationConfig, Workload};
//!
//! let config = ReplicationConfig::quorum(3, 2, 2)?;        // N = 3, R = 2, W = 2
//! let report = Experiment::new(config)
//!     .workload(Workload::new(20, 200.0, 400.0, 500.0)?)   // 20 keys, 200 writes/s, 400 reads/s
//!     .seed(7)
//!     .run()?;
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

pub use node::{Hint, KvMsg, KvNode, KvRequest, KvResponse, KvTimer, ReplicaCounters};
pub use ring::{key_position, HashRing};

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::dist::Dist;
use crate::error::{validate, Error, Result};
use crate::rng::SimRng;
use crate::sim::{FaultSchedule, Network, SimBuilder, SimStats};
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
    pub value: u64,
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
    /// Quorum replication with `1 <= r, w <= n`: read repair on, no sloppy quorum, no
    /// catch-up, 100 ms timeout, last writer wins.
    pub fn quorum(n: usize, r: usize, w: usize) -> Result<Self> {
        let c = ReplicationConfig {
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
        };
        c.validate()?;
        Ok(c)
    }

    /// Synchronous replication: W = N, R = 1.
    pub fn synchronous(n: usize) -> Result<Self> {
        Self::quorum(n, 1, n)
    }

    /// Asynchronous replication: W = 1, R = 1.
    pub fn asynchronous(n: usize) -> Result<Self> {
        Self::quorum(n, 1, 1)
    }

    /// Sloppy quorum over `fallbacks >= 1` extra nodes, with or without hinted handoff.
    pub fn with_sloppy_quorum(mut self, fallbacks: usize, hinted_handoff: bool) -> Result<Self> {
        validate::at_least("fallbacks", fallbacks, 1)?;
        self.fallbacks = fallbacks;
        self.sloppy = true;
        self.hinted_handoff = hinted_handoff;
        Ok(self)
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
    pub fn with_timeout_ms(mut self, timeout_ms: f64) -> Result<Self> {
        self.timeout_ms = validate::positive("timeout_ms", timeout_ms)?;
        Ok(self)
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
        if self.sloppy && self.fallbacks == 0 {
            return Err(Error::invalid("sloppy quorum", "needs at least 1 fallback node"));
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

    /// The shard that holds `key`.
    pub fn shard_of(&self, key: u64) -> usize {
        self.ring.owner(key)
    }

    /// The key's home replicas.
    pub fn replicas(&self, key: u64) -> Vec<usize> {
        self.groups[self.shard_of(key)].clone()
    }

    /// Fallback nodes for `key`, in the order a coordinator uses them.
    pub fn fallbacks(&self, _key: u64) -> Vec<usize> {
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
// Workload and experiment

/// Client traffic: Poisson arrivals of writes and reads, keys uniform on `0..keys`, each
/// operation sent to a coordinator chosen uniformly.
#[derive(Clone, Debug, PartialEq)]
pub struct Workload {
    /// Number of distinct keys (≥ 1).
    pub keys: u64,
    /// Writes per second (≥ 0).
    pub writes_per_s: f64,
    /// Reads per second (≥ 0).
    pub reads_per_s: f64,
    /// Length of the traffic (ms, > 0).
    pub duration_ms: f64,
    /// Writes are issued only before this time (ms); reads continue to `duration_ms`.
    pub writes_until_ms: f64,
}

impl Workload {
    /// `keys >= 1`, rates `>= 0`, `duration_ms > 0`.
    pub fn new(keys: u64, writes_per_s: f64, reads_per_s: f64, duration_ms: f64) -> Result<Self> {
        if keys == 0 {
            return Err(Error::out_of_range("keys", 0, "must be at least 1"));
        }
        validate::non_negative("writes_per_s", writes_per_s)?;
        validate::non_negative("reads_per_s", reads_per_s)?;
        validate::positive("duration_ms", duration_ms)?;
        Ok(Workload { keys, writes_per_s, reads_per_s, duration_ms, writes_until_ms: duration_ms })
    }

    /// Stop issuing writes at `ms` (≥ 0); reads go on.
    pub fn writes_until(mut self, ms: f64) -> Result<Self> {
        self.writes_until_ms = validate::non_negative("writes_until_ms", ms)?;
        Ok(self)
    }
}

/// The default network of the replication experiments: one-way delays log-normal with a
/// median of 1 ms and a 99th percentile of 10 ms.
pub fn default_network() -> Network {
    Network::new(Dist::lognormal_from_median_p99(1.0, 10.0).expect("valid constants"))
}

/// A replication experiment on the simulator: configuration, placement, network, faults and
/// workload. Build with [`Experiment::new`] and the chaining setters; [`Experiment::run`]
/// validates everything and runs it.
#[derive(Clone, Debug)]
pub struct Experiment {
    config: ReplicationConfig,
    shards: usize,
    vnodes: usize,
    coordinators: usize,
    network: Network,
    faults: FaultSchedule,
    workload: Workload,
    sample_every_ms: f64,
    seed: u64,
    extra: Vec<(f64, usize, KvRequest)>,
}

impl Experiment {
    /// One shard, two coordinators, [`default_network`], no faults, 20 keys at 200 writes/s
    /// and 400 reads/s for 1 s, lag sampled every 10 ms, seed 1.
    pub fn new(config: ReplicationConfig) -> Self {
        Experiment {
            config,
            shards: 1,
            vnodes: 32,
            coordinators: 2,
            network: default_network(),
            faults: FaultSchedule::new(),
            workload: Workload::new(20, 200.0, 400.0, 1_000.0).expect("valid constants"),
            sample_every_ms: 10.0,
            seed: 1,
            extra: Vec::new(),
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

    /// The client workload.
    pub fn workload(mut self, workload: Workload) -> Self {
        self.workload = workload;
        self
    }

    /// Lag sampling interval (ms, > 0).
    pub fn sample_every_ms(mut self, ms: f64) -> Self {
        self.sample_every_ms = ms;
        self
    }

    /// The seed (the simulator's and the workload's).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// One more client request, at `at_ms` to coordinator number `coordinator`.
    pub fn request(mut self, at_ms: f64, coordinator: usize, request: KvRequest) -> Self {
        self.extra.push((at_ms, coordinator, request));
        self
    }

    /// The configuration.
    pub fn config(&self) -> &ReplicationConfig {
        &self.config
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

    /// Run the experiment: traffic until `duration_ms`, then a drain of three timeouts so
    /// every operation is answered. Same experiment, same report.
    pub fn run(&self) -> Result<RunReport> {
        self.config.validate()?;
        validate::at_least("coordinators", self.coordinators, 1)?;
        validate::positive("sample_every_ms", self.sample_every_ms)?;
        let placement = self.placement()?;
        let shared = Arc::new(Shared { config: self.config.clone(), placement: placement.clone() });
        let mut nodes: Vec<KvNode> =
            (0..placement.storage_nodes()).map(|_| KvNode::storage(Arc::clone(&shared))).collect();
        nodes.extend((0..self.coordinators).map(|_| KvNode::coordinator(Arc::clone(&shared))));
        let coord0 = nodes.len() - self.coordinators;
        let mut sim = SimBuilder::new(self.seed)
            .network(self.network.clone())
            .faults(self.faults.clone())
            .build(nodes)?;

        // the traffic, drawn from its own stream of the seed
        let wl = &self.workload;
        let mut rng = SimRng::stream(self.seed, 0x776F_726B_6C6F_6164);
        let mut requests: Vec<(f64, usize, KvRequest)> = Vec::new();
        let mut value = 0u64;
        for (rate, is_write, until) in [
            (wl.writes_per_s, true, wl.writes_until_ms.min(wl.duration_ms)),
            (wl.reads_per_s, false, wl.duration_ms),
        ] {
            if rate <= 0.0 {
                continue;
            }
            let mut t = 0.0;
            loop {
                t += rng.exponential(rate / 1_000.0);
                if t >= until {
                    break;
                }
                let c = rng.below(self.coordinators as u64) as usize;
                let key = rng.below(wl.keys);
                let req = if is_write {
                    value += 1;
                    KvRequest::Put { key, value }
                } else {
                    KvRequest::Get { key }
                };
                requests.push((t, c, req));
            }
        }
        for &(at, c, req) in &self.extra {
            if c >= self.coordinators {
                return Err(Error::out_of_range(
                    "coordinator",
                    c,
                    format!("must be below the number of coordinators = {}", self.coordinators),
                ));
            }
            validate::non_negative("at_ms", at)?;
            requests.push((at, c, req));
        }
        requests.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut issued: BTreeMap<u64, (usize, KvRequest, f64)> = BTreeMap::new();
        for (at, c, req) in requests {
            let id = sim.request_at(at, coord0 + c, req)?;
            issued.insert(id.0, (c, req, at));
        }

        // run, sampling replica lag
        let end = wl.duration_ms + 3.0 * self.config.timeout_ms;
        let home = placement.home_replicas();
        let mut acked: BTreeMap<u64, Vec<(f64, Version)>> = BTreeMap::new();
        let mut seen = 0;
        let mut lag = Vec::new();
        let mut t = 0.0;
        loop {
            sim.run_until_ms(t);
            for a in &sim.answered()[seen..] {
                if let (KvRequest::Put { key, .. }, KvResponse::PutOk { version }) =
                    (a.request, a.response)
                {
                    acked.entry(key).or_default().push((a.answered.as_ms(), version));
                }
            }
            seen = sim.answered().len();
            let mut stale_keys = vec![0usize; home];
            let mut lag_ms = vec![0.0f64; home];
            for (&key, writes) in &acked {
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
            lag.push(LagSample { t_ms: t, stale_keys, lag_ms });
            if t >= end {
                break;
            }
            t = (t + self.sample_every_ms).min(end);
        }

        // every operation, answered or not
        let mut ops: Vec<OpRecord> = issued
            .iter()
            .map(|(_, &(c, req, at))| OpRecord {
                write: matches!(req, KvRequest::Put { .. }),
                key: match req {
                    KvRequest::Put { key, .. } | KvRequest::Get { key } => key,
                },
                coordinator: c,
                issued_ms: at,
                latency_ms: None,
                ok: false,
                version: None,
                stale: false,
            })
            .collect();
        let index: BTreeMap<u64, usize> = issued.keys().enumerate().map(|(i, &k)| (k, i)).collect();
        for a in sim.answered() {
            let op = &mut ops[index[&a.id.0]];
            op.latency_ms = Some(a.latency_ms());
            match a.response {
                KvResponse::PutOk { version } => {
                    op.ok = true;
                    op.version = Some(version);
                }
                KvResponse::GetOk { item } => {
                    op.ok = true;
                    op.version = item.map(|i| i.version);
                }
                KvResponse::Unavailable { .. } => {}
            }
        }
        mark_stale_reads(&mut ops, &acked);
        let hints_left = sim.nodes().iter().map(|n| n.hints().count()).sum();
        Ok(RunReport {
            ops,
            lag,
            stats: sim.stats().clone(),
            hints_left,
            home_replicas: home,
            end_ms: end,
            config: self.config.to_string(),
        })
    }
}

/// A read is stale if it returned a version older than the newest write acknowledged before
/// it was issued.
fn mark_stale_reads(ops: &mut [OpRecord], acked: &BTreeMap<u64, Vec<(f64, Version)>>) {
    // per key: acknowledgements sorted by time, with the running maximum version
    let prefix: BTreeMap<u64, Vec<(f64, Version)>> = acked
        .iter()
        .map(|(&k, w)| {
            let mut w = w.clone();
            w.sort_by(|a, b| a.0.total_cmp(&b.0));
            let mut best: Option<Version> = None;
            let run = w
                .into_iter()
                .map(|(t, v)| {
                    best = best.max(Some(v));
                    (t, best.expect("just set"))
                })
                .collect();
            (k, run)
        })
        .collect();
    for op in ops.iter_mut().filter(|o| !o.write && o.ok) {
        if let Some(run) = prefix.get(&op.key) {
            let i = run.partition_point(|&(t, _)| t < op.issued_ms);
            if i > 0 && op.version < Some(run[i - 1].1) {
                op.stale = true;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Results

/// One client operation of a run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OpRecord {
    /// A write (`true`) or a read.
    pub write: bool,
    /// The key.
    pub key: u64,
    /// Coordinator number (0-based, not the node id).
    pub coordinator: usize,
    /// When the client issued it (ms).
    pub issued_ms: f64,
    /// Time to the answer (ms); `None` if never answered.
    pub latency_ms: Option<f64>,
    /// Did it succeed (W acknowledgements or R replies)?
    pub ok: bool,
    /// Version written, or version read (`None`: a read of a never-written key).
    pub version: Option<Version>,
    /// A successful read that missed a write acknowledged before it was issued.
    pub stale: bool,
}

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
    /// Every client operation, in issue order.
    pub ops: Vec<OpRecord>,
    /// Replica lag, sampled.
    pub lag: Vec<LagSample>,
    /// The simulator's counters.
    pub stats: SimStats,
    /// Hints still held by fallbacks at the end.
    pub hints_left: usize,
    /// Number of home replicas.
    pub home_replicas: usize,
    /// When the run ended (ms).
    pub end_ms: f64,
    /// The configuration, as text.
    pub config: String,
}

impl RunReport {
    fn latencies(&self, write: bool) -> Vec<f64> {
        self.ops.iter().filter(|o| o.write == write && o.ok).filter_map(|o| o.latency_ms).collect()
    }

    /// [`stats::quantile`] of the successful writes' (or reads') latencies, with an empty
    /// sample explained in terms of the run.
    fn latency_quantile(&self, write: bool, q: f64) -> Result<f64> {
        stats::quantile(&self.latencies(write), q).map_err(|e| match e {
            Error::Empty { .. } => {
                let kind = if write { "write" } else { "read" };
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
        self.latencies(true)
    }

    /// Latencies of successful reads (ms).
    pub fn read_latencies_ms(&self) -> Vec<f64> {
        self.latencies(false)
    }

    /// The `q`-quantile (0 ≤ q ≤ 1) of successful writes' latency (ms): the crate's one
    /// sample quantile, [`stats::quantile`] (Hyndman & Fan type 7, linear interpolation
    /// between order statistics, numpy's and R's default).
    ///
    /// # Errors
    /// `q` NaN or outside `[0, 1]`; no write succeeded.
    pub fn write_latency_percentile(&self, q: f64) -> Result<f64> {
        self.latency_quantile(true, q)
    }

    /// The `q`-quantile of successful reads' latency (ms), as
    /// [`write_latency_percentile`](Self::write_latency_percentile).
    ///
    /// # Errors
    /// `q` NaN or outside `[0, 1]`; no read succeeded.
    pub fn read_latency_percentile(&self, q: f64) -> Result<f64> {
        self.latency_quantile(false, q)
    }

    /// Successful reads.
    pub fn successful_reads(&self) -> usize {
        self.ops.iter().filter(|o| !o.write && o.ok).count()
    }

    /// Stale reads.
    pub fn stale_reads(&self) -> usize {
        self.ops.iter().filter(|o| o.stale).count()
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

    fn ok_fraction(&self, keep: impl Fn(&OpRecord) -> bool) -> f64 {
        let (mut n, mut ok) = (0usize, 0usize);
        for o in self.ops.iter().filter(|o| keep(o)) {
            n += 1;
            ok += o.ok as usize;
        }
        if n == 0 {
            1.0
        } else {
            ok as f64 / n as f64
        }
    }

    /// Fraction of operations issued in `[from_ms, to_ms)` that succeeded (1 if none).
    pub fn availability(&self, from_ms: f64, to_ms: f64) -> f64 {
        self.ok_fraction(|o| o.issued_ms >= from_ms && o.issued_ms < to_ms)
    }

    /// Like [`RunReport::availability`], writes only.
    pub fn write_availability(&self, from_ms: f64, to_ms: f64) -> f64 {
        self.ok_fraction(|o| o.write && o.issued_ms >= from_ms && o.issued_ms < to_ms)
    }

    /// Like [`RunReport::availability`], reads only.
    pub fn read_availability(&self, from_ms: f64, to_ms: f64) -> f64 {
        self.ok_fraction(|o| !o.write && o.issued_ms >= from_ms && o.issued_ms < to_ms)
    }

    /// Availability seen by each coordinator's clients in `[from_ms, to_ms)`.
    pub fn availability_by_coordinator(&self, from_ms: f64, to_ms: f64) -> Vec<f64> {
        let coords = self.ops.iter().map(|o| o.coordinator + 1).max().unwrap_or(0);
        (0..coords)
            .map(|c| {
                self.ok_fraction(|o| {
                    o.coordinator == c && o.issued_ms >= from_ms && o.issued_ms < to_ms
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
pub fn sweep_rw(base: &Experiment) -> Result<Vec<RwPoint>> {
    let n = base.config.n;
    let mut out = Vec::with_capacity(n * n);
    for r in 1..=n {
        for w in 1..=n {
            let mut config = base.config.clone();
            config.r = r;
            config.w = w;
            let rep = base.clone().with_config(config).run()?;
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
