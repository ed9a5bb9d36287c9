//! # Workshop: a sharded key-value store under failure (seed 001, Day 2)
//!
//! The store of the workshop: keys placed on **3 shards by a consistent-hash ring**, each
//! shard on **3 replicas**, quorum reads and writes with **R = W = 2**, and versions
//! (timestamp, coordinator) resolved by last writer wins. Two coordinators serve clients.
//! Node ids: shard s's replicas are `3s, 3s + 1, 3s + 2`; the coordinators are `9` and `10`.
//!
//! Three failure scenarios run on the simulator, each reporting availability during the
//! fault, stale reads and recovery time ([`ScenarioReport`]):
//!
//! 1. [`Scenario::NodeFailureDuringWrite`]: replica `n0` crashes 1 µs after a write to one of
//!    its keys was sent (the write is in flight to it) and restarts 300 ms later. W = 2 of the
//!    two live replicas still succeed: nothing becomes unavailable, no read is stale, and `n0`
//!    is repaired after its restart by new writes and read repair.
//! 2. [`Scenario::MinorityPartition`]: one replica of every shard (`n0, n3, n6`) and
//!    coordinator 1 are cut off from the rest for 400 ms. The majority side keeps serving
//!    (2 of 3 replicas per shard); coordinator 1's clients see every operation fail: that is
//!    the CAP choice of a quorum system. After the partition heals, read repair brings the
//!    isolated replicas up to date.
//! 3. [`Scenario::LongDowntime`]: replica `n0` is down for a full second while writes go on,
//!    then restarts with a stale store; writes stop at the restart and reads continue. Read
//!    repair alone repairs the keys as they are read (a coupon-collector time); catch-up on
//!    restart ([`super::ReplicationConfig::with_catch_up`]) repairs everything in one round
//!    trip. With R + W > N no read is stale, although `n0` answers reads with old versions
//!    all along: the other replica in the read quorum wins the conflict resolution.
//!
//! The student part: [`run_scenario`] takes the whole [`ReplicationConfig`], so a notebook
//! cell can plug in its own conflict-resolution function
//! ([`ReplicationConfig::with_resolver`]) or change R and W and see which scenario breaks.
//!
//! ```
//! use course_lib::replication::workshop::{run_scenario, workshop_config, Scenario};
//! let report = run_scenario(Scenario::LongDowntime, &workshop_config(), 1)?;
//! assert_eq!(report.stale_reads, 0);
//! assert!(report.recovery_ms.is_some());
//! # Ok::<(), course_lib::Error>(())
//! ```

use std::fmt;

use super::{default_network, ReplicationConfig, RunReport, Store, Workload};
use crate::error::{validate, Result};
use crate::sim::FaultSchedule;

/// Shards of the workshop store.
pub const SHARDS: usize = 3;
/// Keys of the workshop workload (about 20 per shard).
pub const KEYS: u64 = 60;
/// Ring points per shard: with 256 the three shards own 31–35 % of the ring each (with 32,
/// 22–45 %).
pub const VNODES: usize = 256;

/// The workshop's replication: N = 3, R = W = 2, read repair on, last writer wins.
pub fn workshop_config() -> ReplicationConfig {
    ReplicationConfig::quorum(3, 2, 2)
}

/// The workshop's traffic over `duration_ms`: 60 keys at 150 writes/s and 300 reads/s, open
/// loop, each operation to a coordinator chosen uniformly.
pub fn workshop_workload(duration_ms: f64) -> Workload {
    Workload::open_loop(150.0, 300.0, duration_ms).keys(KEYS)
}

/// The sharded store: `shards >= 1` shards of `config.n` replicas on a ring with [`VNODES`]
/// points per shard, two coordinators, the default network, [`workshop_workload`] for 1 s,
/// lag sampled every 5 ms.
pub fn sharded_store(config: &ReplicationConfig, shards: usize) -> Result<Store> {
    validate::at_least("shards", shards, 1)?;
    config.validate()?;
    Ok(Store::new(config.clone())
        .shards(shards)
        .vnodes(VNODES)
        .coordinators(2)
        .network(default_network())
        .workload(workshop_workload(1_000.0))
        .sample_every_ms(5.0))
}

/// The three failure scenarios of the workshop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    /// A replica crashes while a write to it is in flight.
    NodeFailureDuringWrite,
    /// A partition isolates one replica of every shard (a minority) and one coordinator.
    MinorityPartition,
    /// A replica comes back after a long downtime with a stale store.
    LongDowntime,
}

impl Scenario {
    /// All three, in workshop order.
    pub const ALL: [Scenario; 3] =
        [Scenario::NodeFailureDuringWrite, Scenario::MinorityPartition, Scenario::LongDowntime];
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scenario::NodeFailureDuringWrite => "single node failure during a write",
            Scenario::MinorityPartition => "partition isolating minority replicas",
            Scenario::LongDowntime => "replica recovering after long downtime",
        })
    }
}

/// What one scenario measured.
#[derive(Clone, Debug)]
pub struct ScenarioReport {
    /// Which scenario.
    pub scenario: Scenario,
    /// The fault, as a readable schedule.
    pub faults: String,
    /// The fault lasts over `[from, to)` ms.
    pub fault_window_ms: (f64, f64),
    /// Fraction of operations issued during the fault that succeeded.
    pub availability: f64,
    /// The same, writes only.
    pub write_availability: f64,
    /// The same, reads only.
    pub read_availability: f64,
    /// The same, per coordinator.
    pub availability_by_coordinator: Vec<f64>,
    /// Successful reads over the whole run.
    pub reads: usize,
    /// Stale reads over the whole run.
    pub stale_reads: usize,
    /// The replicas the fault hit.
    pub affected: Vec<usize>,
    /// Time from the end of the fault until every affected replica was up to date on every
    /// key (ms, at the 5 ms sampling resolution); `None` if that did not happen in the run.
    pub recovery_ms: Option<f64>,
    /// The full run.
    pub run: RunReport,
}

/// Run one scenario with `config` (the workshop's, or a variation) and `seed`.
pub fn run_scenario(
    scenario: Scenario,
    config: &ReplicationConfig,
    seed: u64,
) -> Result<ScenarioReport> {
    let base = sharded_store(config, SHARDS)?;
    let n = config.n;
    let coordinator0 = base.coordinator_id(0);
    let coordinator1 = base.coordinator_id(1);
    let placement = base.placement()?;
    let (store, window, affected) = match scenario {
        Scenario::NodeFailureDuringWrite => {
            // a key of shard 0, written at 300 ms; n0 crashes 1 µs later, before it arrives
            let key = (0..KEYS as i64).find(|&k| placement.shard_of(k) == 0).unwrap_or(0);
            let faults = FaultSchedule::new().crash(0, 300.001).restart(0, 600.0);
            let wl = workshop_workload(2_000.0).write_at(300.0, coordinator0, key);
            (base.faults(faults).workload(wl), (300.0, 600.0), vec![0])
        }
        Scenario::MinorityPartition => {
            let mut minority: Vec<usize> = (0..SHARDS).map(|s| s * n).collect();
            let affected = minority.clone();
            minority.push(coordinator1);
            let faults = FaultSchedule::new().partition(vec![minority], 300.0, 700.0);
            (base.faults(faults).workload(workshop_workload(2_000.0)), (300.0, 700.0), affected)
        }
        Scenario::LongDowntime => {
            let faults = FaultSchedule::new().crash(0, 200.0).restart(0, 1_200.0);
            let wl = workshop_workload(3_000.0).writes_until_ms(1_200.0);
            (base.faults(faults).workload(wl), (200.0, 1_200.0), vec![0])
        }
    };
    let faults = store.fault_schedule().to_string();
    let run = store.run(seed)?;
    let (from, to) = window;
    let recovery_ms = affected
        .iter()
        .map(|&node| run.recovery_ms(node, to))
        .try_fold(0.0f64, |acc, r| r.map(|r| acc.max(r)));
    Ok(ScenarioReport {
        scenario,
        faults,
        fault_window_ms: window,
        availability: run.availability(from, to),
        write_availability: run.write_availability(from, to),
        read_availability: run.read_availability(from, to),
        availability_by_coordinator: run.availability_by_coordinator(from, to),
        reads: run.successful_reads(),
        stale_reads: run.stale_reads(),
        affected,
        recovery_ms,
        run,
    })
}

/// Run all three scenarios with the same configuration and seed.
pub fn run_all(config: &ReplicationConfig, seed: u64) -> Result<Vec<ScenarioReport>> {
    Scenario::ALL.iter().map(|&s| run_scenario(s, config, seed)).collect()
}
