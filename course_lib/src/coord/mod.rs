//! # Coordination: leases, locks, leader election and fencing tokens
//!
//! Many distributed systems need *one* node to do something at a time: one leader of a
//! database partition, one writer of a file, one worker processing a job. A **lock service**
//! (Chubby, ZooKeeper, etcd) grants that right, and since the holder may crash while holding
//! it, the right is a **lease** (Gray & Cheriton 1989): a lock that expires by itself after a
//! duration L unless renewed. Leader election is the same thing with a different name: the
//! holder of the lease "leader" is the leader, for as long as it keeps renewing.
//!
//! Leases make two assumptions that a real machine can break:
//!
//! * **Clocks run at about the right rate.** The server measures L on its clock; the client
//!   must stop acting before the server's L is over, measured on *its* clock. If every clock's
//!   rate error is at most ρ (drift, in ppm), a client that sent its request at local time
//!   t₀ may trust the lease until local time t₀ + L′ with
//!
//!   **L′ = L · (1 − ρ) / (1 + ρ)**   ([`safe_validity_ms`]),
//!
//!   because the server's L takes at least L / (1 + ρ) of real time, and L′ local
//!   milliseconds take at most L′ / (1 − ρ) of real time, counted from t₀, which is before the
//!   server granted. With drift within the bound the client's belief always ends before the
//!   server's lease ([`CoordReport::lease_safety_violations`] is 0); beyond it, it can fail.
//! * **A process does not stop between checking its lease and acting.** It can: a
//!   stop-the-world garbage-collection pause, a VM migration, a page fault, a `SIGSTOP`, or
//!   simply a write that waits in a network queue. Kleppmann's example (2016; DDIA ch. 8):
//!   client 1 gets the lease, checks it is valid, pauses for longer than the lease; the lease
//!   expires, client 2 gets it and writes; client 1 wakes up, still believing it holds the
//!   lease, and writes too. Two writers in one "exclusive" period: a lost update.
//!
//! **Fencing tokens** fix the second problem without any timing assumption. The lock service
//! numbers every lease it grants with a strictly increasing token (Chubby's *sequencer*,
//! ZooKeeper's `zxid`/`czxid`, etcd's revision); the client sends its token with every
//! request; the storage remembers the highest token it has seen, τ_max, and rejects a request
//! with token τ < τ_max. Then the operations the storage accepts carry non-decreasing tokens,
//! so the storage never sees an old holder after a new one. (Reads must be fenced too: a
//! read-modify-write whose read was fenced but whose write was not can still lose an update.)
//!
//! ## The simulation
//! One run ([`run`]) simulates, on [`crate::sim`], a lock server (`n0`), a storage service
//! (`n1`) holding one counter, and clients `c0, c1, …` (`n2, n3, …`) with their own
//! [`PhysicalClock`]s. A client acquires the lock, then repeats *check the lease (local clock)
//! → read the counter → work for `work_ms` → write counter + 1*, renews when a third of its
//! lease is left, and releases after `ops_per_hold` operations. A client can be **paused** (stop the
//! world: it handles nothing, and everything that arrived meanwhile is handled when it
//! wakes). The [`CoordReport`] holds the storage's log (who read/wrote what, when, with which
//! token, accepted or not), the server's grants (the lease *terms*, i.e. leadership), the
//! clients' beliefs, and verdicts: stale operations accepted, lost updates, lease-safety
//! violations.
//!
//! ```
//! use course_lib::coord::{run, CoordConfig};
//! // Kleppmann's scenario: c0 pauses 1.5 s with a 1 s lease while c1 takes over.
//! let unsafe_run = run(&CoordConfig::kleppmann(false), 1)?;
//! assert!(unsafe_run.violated());          // c0's stale write was accepted: c1's updates lost
//! let fenced = run(&CoordConfig::kleppmann(true), 1)?;
//! assert!(!fenced.violated() && fenced.rejected() > 0);   // the stale write was rejected
//! # Ok::<(), course_lib::Error>(())
//! ```
//!
//! ## Reading
//! * C. Gray and D. Cheriton, "Leases: An Efficient Fault-Tolerant Mechanism for Distributed
//!   File Cache Consistency", SOSP 1989 (leases, and the clock-rate assumption, §2 and §5).
//! * M. Burrows, "The Chubby lock service for loosely-coupled distributed systems", OSDI 2006
//!   (§2.4 sequencers and lock-delay; §2.8 sessions, KeepAlives and the conservative local lease).
//! * P. Hunt, M. Konar, F. P. Junqueira and B. Reed, "ZooKeeper: Wait-free coordination for
//!   Internet-scale systems", USENIX ATC 2010 (§2.4 recipes: locks with ephemeral sequential
//!   znodes, leader election).
//! * M. Kleppmann, "How to do distributed locking", blog post, 8 February 2016; and
//!   *Designing Data-Intensive Applications*, O'Reilly 2017, ch. 8, "The leader and the lock",
//!   "Fencing tokens".
//! * etcd documentation: leases (`LeaseGrant`, `LeaseKeepAlive`) and the `concurrency`
//!   package's `Mutex` / `Election`, whose key revision serves as a fencing token.

mod node;
mod sweep;
#[cfg(test)]
mod tests;

pub use sweep::{pause_lease_sweep, PauseLeaseSweep};

use std::collections::BTreeMap;

use crate::clock::PhysicalClock;
use crate::dist::Dist;
use crate::error::{validate, Error, Result};
use crate::sim::{Experiment, Network, Simulation};
use node::{Client, CoordNode, LockServer, Storage};

/// The largest clock drift a configuration accepts, in ppm (10 %: far beyond any quartz, so a
/// "clock that runs slow" can be dramatised; real clocks drift tens of ppm).
pub const MAX_DRIFT_PPM: f64 = 100_000.0;

fn check_drift(name: &str, ppm: f64) -> Result<f64> {
    if ppm.is_finite() && ppm.abs() < MAX_DRIFT_PPM {
        Ok(ppm)
    } else {
        Err(Error::out_of_range(
            name,
            ppm,
            "a clock drift must be a finite number strictly between -100000 and 100000 ppm",
        ))
    }
}

/// How long a client may trust a lease of `lease_ms` (on the server's clock), counted on its
/// own clock from the moment it *sent* the request, when every clock's rate error is at most
/// `max_drift_ppm`: L · (1 − ρ) / (1 + ρ).
///
/// ```
/// # use course_lib::coord::safe_validity_ms;
/// assert_eq!(safe_validity_ms(10_000.0, 0.0)?, 10_000.0);
/// // 1000 ppm (0.1 %) on both sides costs about 2 × 0.1 % of the lease
/// assert!((safe_validity_ms(10_000.0, 1_000.0)? - 9_980.02).abs() < 0.01);
/// # Ok::<(), course_lib::Error>(())
/// ```
///
/// # Errors
/// `lease_ms` not positive; `max_drift_ppm` negative or not below [`MAX_DRIFT_PPM`].
pub fn safe_validity_ms(lease_ms: f64, max_drift_ppm: f64) -> Result<f64> {
    let lease = validate::positive("lease_ms", lease_ms)?;
    let rho = check_drift("max_drift_ppm", max_drift_ppm)?;
    if rho < 0.0 {
        return Err(Error::out_of_range(
            "max_drift_ppm",
            rho,
            "a drift bound must be >= 0 (it bounds |drift|) and below 100000 ppm",
        ));
    }
    let rho = rho * 1e-6;
    Ok(lease * (1.0 - rho) / (1.0 + rho))
}

/// A stop-the-world pause of one client (a GC pause, a VM migration, `SIGSTOP`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pause {
    /// Client index (`0` is `c0`, node `n2`).
    pub client: usize,
    /// When the pause starts (true time, ms).
    pub at_ms: f64,
    /// How long it lasts (ms).
    pub length_ms: f64,
}

/// The parameters of one coordination run. Build with [`CoordConfig::new`] or a preset
/// ([`CoordConfig::kleppmann`], [`CoordConfig::kleppmann_drift`],
/// [`CoordConfig::leader_election`]) and change it with the setters. Setters never fail: they
/// store what they are given, and [`CoordConfig::validate`] (called by [`run`],
/// [`pause_lease_sweep`] and every view that runs the scenario) checks everything and names
/// the first bad parameter.
///
/// ```
/// use course_lib::coord::{run, CoordConfig};
/// let cfg = CoordConfig::new(2, 1_000.0).pause(9, 100.0, 50.0); // there is no client 9
/// let e = run(&cfg, 1).unwrap_err().to_string();
/// assert!(e.starts_with("client in a pause = 9"), "{e}");
/// ```
#[derive(Clone, Debug)]
pub struct CoordConfig {
    clients: usize,
    lease_ms: f64,
    pub(crate) fencing: bool,
    assumed_drift_ppm: f64,
    server_drift_ppm: f64,
    /// Per-client clock drift overrides (client index → ppm; the others run perfectly),
    /// checked against the number of clients by [`CoordConfig::validate`].
    client_drift_ppm: BTreeMap<usize, f64>,
    pauses: Vec<Pause>,
    work_ms: f64,
    renew: bool,
    ops_per_hold: u32,
    think_ms: f64,
    retry_ms: f64,
    /// Per-client start-time overrides (client index → ms; the others start at `10·i` ms).
    start_ms: BTreeMap<usize, f64>,
    network: Network,
    duration_ms: f64,
}

impl CoordConfig {
    /// `clients` clients (1 to 16, checked when run) contending for a lock whose leases last
    /// `lease_ms` (> 0). Defaults: fencing on, perfect clocks, margin for 100 ppm of drift, no
    /// pauses, 20 ms of work per operation, 4 operations per hold, up to 50 ms of thinking
    /// between holds, 50 ms retry/request timeout, client `i` starting at `10·i` ms, FIFO links
    /// (like the TCP connections real clients hold to these services) with 1–3 ms uniform
    /// delays and no loss, 5 leases of simulated time.
    pub fn new(clients: usize, lease_ms: f64) -> CoordConfig {
        CoordConfig {
            clients,
            lease_ms,
            fencing: true,
            assumed_drift_ppm: 100.0,
            server_drift_ppm: 0.0,
            client_drift_ppm: BTreeMap::new(),
            pauses: Vec::new(),
            work_ms: 20.0,
            renew: true,
            ops_per_hold: 4,
            think_ms: 50.0,
            retry_ms: 50.0,
            start_ms: BTreeMap::new(),
            network: Network::new(Dist::Uniform { lo: 1.0, hi: 3.0 }).with_fifo(true),
            duration_ms: 5.0 * lease_ms,
        }
    }

    /// Kleppmann's scenario (2016; DDIA ch. 8, Figures 8-4 and 8-5): two clients, a 1000 ms
    /// lease, 5 ms network delay, 100 ms of work; `c0` takes the lease first and, in the middle
    /// of its second operation (after reading, before writing), pauses for 1500 ms; `c1`
    /// retries every 100 ms, gets the lease when it expires, does 4 operations and releases it;
    /// then `c0` wakes up and writes.
    pub fn kleppmann(fencing: bool) -> CoordConfig {
        CoordConfig::new(2, 1_000.0)
            .fencing(fencing)
            .work_ms(100.0)
            .ops_per_hold(4)
            .retry_ms(100.0)
            .think_ms(200.0)
            .start_ms(1, 50.0)
            .network(Network::new(Dist::Constant { value: 5.0 }).with_fifo(true))
            .pause(0, 150.0, 1_500.0)
            .duration_ms(2_500.0)
    }

    /// The clock-drift variant: no pause, but `c0`'s clock runs 5 % slow (−50 000 ppm) while
    /// the lease margin assumes at most 100 ppm. `c0` uses its lease to the end without renewing
    /// (a batch job), so it goes on writing after the server has given the lease to `c1` (who
    /// asks every 10 ms).
    pub fn kleppmann_drift(fencing: bool) -> CoordConfig {
        CoordConfig::new(2, 1_000.0)
            .fencing(fencing)
            .work_ms(30.0)
            .ops_per_hold(1_000)
            .renew(false)
            .retry_ms(10.0)
            .think_ms(200.0)
            .start_ms(1, 50.0)
            .network(Network::new(Dist::Constant { value: 2.0 }).with_fifo(true))
            .client_drift_ppm(0, -50_000.0)
            .duration_ms(2_000.0)
    }

    /// Leader election by lease: `candidates` clients all try to become leader; the leader
    /// renews forever (it never releases), so leadership changes only when a leader stops
    /// renewing in time, here because leader `c0` pauses for two leases at `2·lease_ms`.
    pub fn leader_election(candidates: usize, lease_ms: f64) -> CoordConfig {
        CoordConfig::new(candidates, lease_ms)
            .ops_per_hold(u32::MAX)
            .work_ms(lease_ms / 20.0)
            .retry_ms(lease_ms / 10.0)
            .pause(0, 2.0 * lease_ms, 2.0 * lease_ms)
            .duration_ms(6.0 * lease_ms)
    }

    fn check_client(&self, client: usize, context: &str) -> Result<usize> {
        if client < self.clients {
            Ok(client)
        } else {
            Err(Error::out_of_range(
                format!("client in {context}"),
                client,
                format!(
                    "no such client: the configuration has {} client(s), indices 0..={}",
                    self.clients,
                    self.clients - 1
                ),
            ))
        }
    }

    /// Fencing on (the storage rejects tokens below the highest seen) or off.
    pub fn fencing(mut self, on: bool) -> CoordConfig {
        self.fencing = on;
        self
    }

    /// Lease duration (ms, > 0), on the server's clock. (The simulated time stays what it
    /// was: set it with [`CoordConfig::duration_ms`].)
    pub fn lease_ms(mut self, lease_ms: f64) -> CoordConfig {
        self.lease_ms = lease_ms;
        self
    }

    /// The drift bound the clients' lease margin assumes (ppm, 0 ≤ ρ < 100 000); see
    /// [`safe_validity_ms`].
    pub fn assumed_drift_ppm(mut self, ppm: f64) -> CoordConfig {
        self.assumed_drift_ppm = ppm;
        self
    }

    /// The lock server's clock drift (ppm, |ρ| < 100 000; positive runs fast).
    pub fn server_drift_ppm(mut self, ppm: f64) -> CoordConfig {
        self.server_drift_ppm = ppm;
        self
    }

    /// Client `client`'s clock drift (ppm, |ρ| < 100 000; negative runs slow). A client index
    /// the configuration does not have is reported when it runs.
    pub fn client_drift_ppm(mut self, client: usize, ppm: f64) -> CoordConfig {
        self.client_drift_ppm.insert(client, ppm);
        self
    }

    /// Adds a stop-the-world pause of `client` from `at_ms` (≥ 0, true time) for `length_ms`
    /// (≥ 0). A client index the configuration does not have is reported when it runs.
    pub fn pause(mut self, client: usize, at_ms: f64, length_ms: f64) -> CoordConfig {
        self.pauses.push(Pause { client, at_ms, length_ms });
        self
    }

    /// Time a client works between reading and writing (ms, ≥ 0).
    pub fn work_ms(mut self, ms: f64) -> CoordConfig {
        self.work_ms = ms;
        self
    }

    /// Do clients renew their lease when a third of it is left (default), or use it up and
    /// release it?
    pub fn renew(mut self, on: bool) -> CoordConfig {
        self.renew = on;
        self
    }

    /// Operations a client does per lease before releasing it (≥ 1; `u32::MAX`: never release).
    pub fn ops_per_hold(mut self, ops: u32) -> CoordConfig {
        self.ops_per_hold = ops;
        self
    }

    /// Longest random wait between releasing and asking again (ms, ≥ 0).
    pub fn think_ms(mut self, ms: f64) -> CoordConfig {
        self.think_ms = ms;
        self
    }

    /// How long a client waits for an answer before asking again (ms, > 0); also the period at
    /// which a denied client retries.
    pub fn retry_ms(mut self, ms: f64) -> CoordConfig {
        self.retry_ms = ms;
        self
    }

    /// When `client` first asks for the lock (ms, ≥ 0). A client index the configuration does
    /// not have is reported when it runs.
    pub fn start_ms(mut self, client: usize, at_ms: f64) -> CoordConfig {
        self.start_ms.insert(client, at_ms);
        self
    }

    /// The network between the lock server (`n0`), the storage (`n1`) and the clients
    /// (`n2…`), used as given (say `.with_fifo(true)` for TCP-like links; per-link overrides
    /// give one client a slow path). Every delay must be non-negative (checked when run).
    pub fn network(mut self, network: Network) -> CoordConfig {
        self.network = network;
        self
    }

    /// Simulated time (ms, > 0).
    pub fn duration_ms(mut self, ms: f64) -> CoordConfig {
        self.duration_ms = ms;
        self
    }

    /// Checks every parameter, naming the first bad one and what is allowed (the number of
    /// clients and the lease first, then the clocks, the pauses, the clients' behaviour, the
    /// start times, the network and the duration).
    ///
    /// # Errors
    /// `clients` outside 1..=16; a lease, retry period or duration that is not positive; a
    /// negative work, think, start or pause time; `ops_per_hold` of 0; a drift outside
    /// ±[`MAX_DRIFT_PPM`] (or a negative assumed bound); a client index the configuration does
    /// not have; a network for another number of nodes or with a delay that can be negative.
    pub fn validate(&self) -> Result<()> {
        if !(1..=16).contains(&self.clients) {
            return Err(Error::out_of_range("clients", self.clients, "must be between 1 and 16"));
        }
        validate::positive("lease_ms", self.lease_ms)?;
        safe_validity_ms(1.0, self.assumed_drift_ppm)?;
        check_drift("server_drift_ppm", self.server_drift_ppm)?;
        for (&client, &ppm) in &self.client_drift_ppm {
            self.check_client(client, "client_drift_ppm")?;
            check_drift("client_drift_ppm", ppm)?;
        }
        for p in &self.pauses {
            self.check_client(p.client, "a pause")?;
            validate::non_negative("pause at_ms", p.at_ms)?;
            validate::non_negative("pause length_ms", p.length_ms)?;
        }
        validate::non_negative("work_ms", self.work_ms)?;
        validate::at_least("ops_per_hold", self.ops_per_hold as usize, 1)?;
        validate::non_negative("think_ms", self.think_ms)?;
        validate::positive("retry_ms", self.retry_ms)?;
        for (&client, &at_ms) in &self.start_ms {
            self.check_client(client, "start_ms")?;
            validate::non_negative("start_ms", at_ms)?;
        }
        self.network.validate(2 + self.clients)?;
        if !self.network.default_link().delay().is_non_negative() {
            return Err(Error::invalid("delay", "a network delay distribution must be >= 0"));
        }
        validate::positive("duration_ms", self.duration_ms)?;
        Ok(())
    }

    /// Number of clients.
    pub fn clients(&self) -> usize {
        self.clients
    }

    /// Lease duration (ms).
    pub fn lease(&self) -> f64 {
        self.lease_ms
    }

    /// Is fencing on?
    pub fn fenced(&self) -> bool {
        self.fencing
    }

    /// The pauses.
    pub fn pauses(&self) -> &[Pause] {
        &self.pauses
    }

    /// Simulated time (ms).
    pub fn duration(&self) -> f64 {
        self.duration_ms
    }

    /// The scenario as an experiment of the harness (the servers, the clients, the network,
    /// the duration), once [`CoordConfig::validate`] passes; [`run`] reads the report off its
    /// run.
    pub(crate) fn experiment(&self) -> Result<Experiment<CoordNode>> {
        self.validate()?;
        let validity = safe_validity_ms(self.lease_ms, self.assumed_drift_ppm)?;
        let mut nodes = vec![
            CoordNode::Server(LockServer {
                clock: PhysicalClock::new(0.0, self.server_drift_ppm)?,
                lease_ms: self.lease_ms,
                holder: None,
                next_token: 1,
                grants: Vec::new(),
            }),
            CoordNode::Storage(Storage {
                fencing: self.fencing,
                max_token: 0,
                value: 0,
                version: 0,
                log: Vec::new(),
            }),
        ];
        for c in 0..self.clients {
            let pauses = self
                .pauses
                .iter()
                .filter(|p| p.client == c)
                .map(|p| (p.at_ms, p.length_ms))
                .collect();
            nodes.push(CoordNode::Client(Box::new(Client::new(
                c,
                PhysicalClock::new(0.0, self.client_drift_ppm.get(&c).copied().unwrap_or(0.0))?,
                validity,
                self.work_ms,
                self.renew,
                self.ops_per_hold,
                self.think_ms,
                self.retry_ms,
                self.start_ms.get(&c).copied().unwrap_or(10.0 * c as f64),
                pauses,
            ))));
        }
        Ok(Experiment::new(nodes).network(self.network.clone()).horizon_ms(self.duration_ms))
    }
}

/// One lease as the lock server saw it: a *term* of leadership.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Grant {
    /// The holder (client index).
    pub client: usize,
    /// Its fencing token (= the term number).
    pub token: u64,
    /// Granted at (true time, ms).
    pub from_ms: f64,
    /// Expired (by the server's clock, converted to true time) or released at (ms).
    pub until_ms: f64,
    /// How many times the holder renewed it.
    pub renewals: u32,
    /// Released by the holder (rather than expired).
    pub released: bool,
}

/// An interval during which a client believed, by its own clock, that it held the lease.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Belief {
    /// The client.
    pub client: usize,
    /// The token of the lease it believed it held.
    pub token: u64,
    /// From (true time, ms): when the grant arrived.
    pub from_ms: f64,
    /// Until (true time, ms): when its clock reached the end of its safe validity, or it
    /// released or learnt that it had lost the lease.
    pub until_ms: f64,
}

/// A stop-the-world pause that happened.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PauseRecord {
    /// The client.
    pub client: usize,
    /// Start (true time, ms).
    pub from_ms: f64,
    /// End (ms).
    pub until_ms: f64,
}

/// What a request to the storage asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StorageOpKind {
    /// Read the counter.
    Read,
    /// Write `value`, computed from the value the client read at version `read_version`.
    Write {
        /// The value written (read value + 1).
        value: u64,
        /// The storage version the client's read returned.
        read_version: u64,
    },
}

/// One request as the storage saw it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StorageOp {
    /// Arrival (true time, ms).
    pub at_ms: f64,
    /// The client that sent it.
    pub client: usize,
    /// Its fencing token.
    pub token: u64,
    /// Read or write.
    pub kind: StorageOpKind,
    /// Did the storage carry it out?
    pub accepted: bool,
    /// Was its token lower than the highest token seen before it?
    pub stale: bool,
    /// The storage's version (number of accepted writes) before it.
    pub version_before: u64,
    /// The counter's value before it.
    pub value_before: u64,
}

impl StorageOp {
    /// An accepted write computed from a read that is no longer the latest version: it
    /// overwrites someone else's update (a lost update).
    pub fn is_lost_update(&self) -> bool {
        match self.kind {
            StorageOpKind::Write { read_version, .. } => {
                self.accepted && read_version != self.version_before
            }
            StorageOpKind::Read => false,
        }
    }
}

/// Everything one run produced, and its verdicts.
#[derive(Clone, Debug)]
pub struct CoordReport {
    seed: u64,
    pub(crate) clients: usize,
    fencing: bool,
    duration_ms: f64,
    pub(crate) grants: Vec<Grant>,
    pub(crate) beliefs: Vec<Belief>,
    pub(crate) pauses: Vec<PauseRecord>,
    pub(crate) storage: Vec<StorageOp>,
    final_value: u64,
    acknowledged_writes: u64,
}

/// Runs one scenario for `seed` and reports what the storage, the lock server and the clients
/// saw.
///
/// # Errors
/// A bad parameter of `config` ([`CoordConfig::validate`] says which).
pub fn run(config: &CoordConfig, seed: u64) -> Result<CoordReport> {
    let done = config.experiment()?.run(seed)?;
    Ok(report(config, done.sim(), seed))
}

fn report(config: &CoordConfig, sim: &Simulation<CoordNode>, seed: u64) -> CoordReport {
    let end = config.duration_ms;
    let mut r = CoordReport {
        seed,
        clients: config.clients,
        fencing: config.fencing,
        duration_ms: end,
        grants: Vec::new(),
        beliefs: Vec::new(),
        pauses: Vec::new(),
        storage: Vec::new(),
        final_value: 0,
        acknowledged_writes: 0,
    };
    for node in sim.nodes() {
        match node {
            CoordNode::Server(s) => r.grants = s.grants.clone(),
            CoordNode::Storage(s) => {
                r.storage = s.log.clone();
                r.final_value = s.value;
            }
            CoordNode::Client(c) => {
                r.beliefs.extend(c.beliefs.iter().copied());
                r.pauses.extend(c.pause_log.iter().copied());
                if let Some(&(at, len)) =
                    c.pauses.iter().find(|&&(at, len)| at < end && at + len > end)
                {
                    // a pause still going on at the end of the run
                    r.pauses.push(PauseRecord { client: c.index, from_ms: at, until_ms: at + len });
                }
                r.acknowledged_writes += c.acknowledged_writes;
            }
        }
    }
    r.beliefs.sort_by(|a, b| a.from_ms.total_cmp(&b.from_ms));
    r
}

impl CoordReport {
    /// The seed of the run.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Was fencing on?
    pub fn fencing(&self) -> bool {
        self.fencing
    }

    /// Simulated time (ms).
    pub fn duration_ms(&self) -> f64 {
        self.duration_ms
    }

    /// The leases the server granted, in order: the terms of leadership.
    pub fn grants(&self) -> &[Grant] {
        &self.grants
    }

    /// The intervals during which each client believed it held the lease.
    pub fn beliefs(&self) -> &[Belief] {
        &self.beliefs
    }

    /// The pauses that happened.
    pub fn pauses(&self) -> &[PauseRecord] {
        &self.pauses
    }

    /// Every request the storage received, in arrival order.
    pub fn storage_log(&self) -> &[StorageOp] {
        &self.storage
    }

    /// The counter's final value.
    pub fn final_value(&self) -> u64 {
        self.final_value
    }

    /// Writes acknowledged to clients (each one an increment the client believes happened).
    pub fn acknowledged_writes(&self) -> u64 {
        self.acknowledged_writes
    }

    /// Requests the storage rejected (fencing).
    pub fn rejected(&self) -> usize {
        self.storage.iter().filter(|o| !o.accepted).count()
    }

    /// Accepted requests whose token was older than one the storage had already seen: an old
    /// lease holder acting after a newer one, i.e. mutual exclusion broken as seen by the
    /// storage.
    pub fn stale_accepted(&self) -> usize {
        self.storage.iter().filter(|o| o.accepted && o.stale).count()
    }

    /// Accepted writes that overwrote an update they had not read (lost updates).
    pub fn lost_updates(&self) -> usize {
        self.storage.iter().filter(|o| o.is_lost_update()).count()
    }

    /// Acknowledged increments missing from the final value (0 when nothing was lost).
    pub fn missing_increments(&self) -> u64 {
        self.acknowledged_writes.saturating_sub(self.final_value)
    }

    /// Was mutual exclusion violated as the storage saw it (a stale request accepted) or data
    /// corrupted (a lost update)?
    pub fn violated(&self) -> bool {
        self.stale_accepted() > 0 || self.lost_updates() > 0
    }

    /// Beliefs that outlasted the server's lease with the same token (the client trusted a
    /// lease the server considered expired), with a 1 µs tolerance. Zero when every clock's
    /// drift is within the bound the margin assumes.
    pub fn lease_safety_violations(&self) -> usize {
        self.beliefs
            .iter()
            .filter(|b| {
                match self.grants.iter().find(|g| g.token == b.token && g.client == b.client) {
                    Some(g) => b.from_ms < g.from_ms - 1e-3 || b.until_ms > g.until_ms + 1e-3,
                    None => true,
                }
            })
            .count()
    }

    /// Pairs of beliefs of different clients that overlap in time: two clients each sure they
    /// hold the lock at the same moment.
    pub fn belief_overlaps(&self) -> usize {
        let b = &self.beliefs;
        let mut n = 0;
        for i in 0..b.len() {
            for j in i + 1..b.len() {
                if b[j].from_ms >= b[i].until_ms {
                    continue;
                }
                if b[i].client != b[j].client && b[j].from_ms < b[i].until_ms - 1e-3 {
                    n += 1;
                }
            }
        }
        n
    }

    /// Do the server's leases overlap, or do tokens fail to increase? (Never, by construction:
    /// the server grants one lease at a time. Checked by the tests.)
    pub fn terms_overlap(&self) -> bool {
        self.grants.windows(2).any(|w| w[1].token <= w[0].token || w[1].from_ms < w[0].until_ms)
    }

    /// A one-paragraph summary.
    pub fn summary(&self) -> String {
        format!(
            "fencing {}: {} leases granted, {} storage requests ({} rejected, {} stale accepted), \
             {} lost updates; counter = {} after {} acknowledged increments ({} missing); \
             lease-safety violations {}, overlapping beliefs {}",
            if self.fencing { "on" } else { "off" },
            self.grants.len(),
            self.storage.len(),
            self.rejected(),
            self.stale_accepted(),
            self.lost_updates(),
            self.final_value,
            self.acknowledged_writes,
            self.missing_increments(),
            self.lease_safety_violations(),
            self.belief_overlaps()
        )
    }
}
