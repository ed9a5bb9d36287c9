//! Crash-point sweeps: run a store, crash it at a seeded point, recover, and check the three
//! properties of a correct recovery. The same sweep judges the exercise's recovery function.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use crate::error::{validate, Result};
use crate::rng::SimRng;
use crate::sim::Stream;

use super::disk::{CrashReport, Disk};
use super::recovery::{recover, Recovered};
use super::store::{Compaction, CostModel, Store, StoreConfig};
use super::wal::{Lsn, Op, RECORD_BYTES};

/// A crash-point sweep: for each point, a store runs a seeded number of random writes, the
/// disk crashes ([`Disk::crash`]: the unsynced suffix cut at a random byte, maybe garbled),
/// and a recovery function rebuilds the state from the crashed disk.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CrashSweep {
    /// The store under test.
    pub store: StoreConfig,
    /// Writes before the crash: uniform in `0 ..= max_ops`.
    pub max_ops: usize,
    /// Keys written (uniformly random among `0..keys`, at least 1).
    pub keys: u32,
    /// Probability that a crash garbles one surviving unsynced byte.
    pub garble: f64,
    /// The sweep's seed (crash point `p` draws from stream `Scenario("storage-crash", p)`).
    pub seed: u64,
}

/// One crash point, ready to recover.
#[derive(Clone, Debug)]
pub struct CrashPoint {
    /// Which point of the sweep.
    pub point: u64,
    /// The writes issued, in order (record `i + 1` is `ops[i]`).
    pub ops: Vec<Op>,
    /// The last LSN acknowledged (synced) before the crash.
    pub durable_lsn: Lsn,
    /// The disk before the crash.
    pub before: Disk,
    /// The disk after the crash.
    pub disk: Disk,
    /// What the crash did.
    pub crash: CrashReport,
}

impl CrashPoint {
    /// The state after applying the first `lsn` writes: the oracle, computed from the writes
    /// alone (not from the log).
    pub fn state_after(&self, lsn: Lsn) -> BTreeMap<u32, i64> {
        let mut s = BTreeMap::new();
        for op in self.ops.iter().take(lsn as usize) {
            s.insert(op.key, op.value);
        }
        s
    }

    /// The crash in words.
    pub fn describe(&self) -> String {
        let c = &self.crash;
        let unsynced_records = self.ops.len() as u64 - self.durable_lsn;
        let mut s = format!(
            "{} writes, the first {} synced (acknowledged), {} unsynced ({} bytes); the crash kept {} of those bytes",
            self.ops.len(),
            self.durable_lsn,
            unsynced_records,
            c.unsynced,
            c.kept
        );
        if c.kept % RECORD_BYTES != 0 {
            s += &format!(
                " ({} whole record(s), then {} bytes of a torn one)",
                c.kept / RECORD_BYTES,
                c.kept % RECORD_BYTES
            );
        }
        if let Some(g) = c.garbled {
            let off = g - c.synced;
            s += &format!(
                " and garbled the byte at log offset {g} (byte {} of unsynced record {})",
                off % RECORD_BYTES,
                off / RECORD_BYTES + 1
            );
        }
        s
    }
}

/// One point's result.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PointResult {
    /// The point.
    pub point: u64,
    /// Writes issued.
    pub written: Lsn,
    /// Acknowledged before the crash.
    pub durable: Lsn,
    /// Recovered LSN (0 if the recovery failed).
    pub recovered: Lsn,
    /// Records the recovery replayed from the log (as it reported).
    pub replayed_records: usize,
    /// Simulated recovery time ([`Recovered::time_ms`]), ms.
    pub recovery_ms: f64,
    /// Whether the three properties held.
    pub ok: bool,
}

/// A crash point where recovery went wrong, in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrashFailure {
    /// The point.
    pub point: u64,
    /// What happened and what was wrong.
    pub description: String,
}

impl fmt::Display for CrashFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "crash point {}: {}", self.point, self.description)
    }
}

/// The result of a sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepOutcome {
    /// Crash points run.
    pub points: usize,
    /// Points where a property failed.
    pub failures: usize,
    /// The first of them, described.
    pub first_failure: Option<CrashFailure>,
    /// Every point's result, in order.
    pub results: Vec<PointResult>,
    /// Points whose crash tore a record (a partial record survived).
    pub torn: usize,
    /// Points whose crash garbled a byte.
    pub garbled: usize,
}

impl SweepOutcome {
    /// No point failed.
    pub fn passed(&self) -> bool {
        self.failures == 0
    }

    /// The largest simulated recovery time, ms.
    pub fn max_recovery_ms(&self) -> f64 {
        self.results.iter().map(|r| r.recovery_ms).fold(0.0, f64::max)
    }

    /// The mean simulated recovery time, ms.
    pub fn mean_recovery_ms(&self) -> f64 {
        if self.results.is_empty() {
            return 0.0;
        }
        self.results.iter().map(|r| r.recovery_ms).sum::<f64>() / self.results.len() as f64
    }

    /// The most records any recovery replayed.
    pub fn max_replayed(&self) -> usize {
        self.results.iter().map(|r| r.replayed_records).max().unwrap_or(0)
    }
}

impl fmt::Display for SweepOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} crash points ({} with a torn record, {} with a garbled byte): {} failed",
            self.points, self.torn, self.garbled, self.failures
        )?;
        if let Some(first) = &self.first_failure {
            write!(f, "; first: {first}")?;
        }
        Ok(())
    }
}

impl CrashSweep {
    /// A sweep of `store` with up to 200 writes over 16 keys, garbling half the crashes.
    pub fn new(store: StoreConfig) -> CrashSweep {
        CrashSweep { store, max_ops: 200, keys: 16, garble: 0.5, seed: 19 }
    }

    /// The sweep that judges the exercise: group commit of 8, a snapshot every 32 records,
    /// up to 120 writes over 8 keys, half the crashes garbled.
    pub fn exercise() -> CrashSweep {
        let store = StoreConfig::default().batch(8).checkpoint_every(32);
        CrashSweep { store, max_ops: 120, keys: 8, garble: 0.5, seed: 19 }
    }

    /// Set the largest number of writes before a crash.
    pub fn max_ops(mut self, ops: usize) -> Self {
        self.max_ops = ops;
        self
    }

    /// Set the number of keys.
    pub fn keys(mut self, keys: u32) -> Self {
        self.keys = keys;
        self
    }

    /// Set the garbling probability.
    pub fn garble(mut self, p: f64) -> Self {
        self.garble = p;
        self
    }

    /// Set the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Check every field.
    pub fn validate(&self) -> Result<()> {
        self.store.validate()?;
        validate::at_least("keys", self.keys as usize, 1)?;
        validate::probability("garble", self.garble)?;
        Ok(())
    }

    /// Build crash point `point`: run the writes, crash the disk.
    pub fn case(&self, point: u64) -> Result<CrashPoint> {
        self.validate()?;
        let mut rng = Stream::Scenario("storage-crash", point).rng(self.seed);
        let n = rng.below(self.max_ops as u64 + 1) as usize;
        let ops = random_ops(&mut rng, n, self.keys);
        let mut store = Store::new(self.store)?;
        for op in &ops {
            store.put(op.key, op.value);
        }
        let (disk, crash) = store.disk().crash(rng.next_u64(), self.garble)?;
        Ok(CrashPoint {
            point,
            ops,
            durable_lsn: store.durable_lsn(),
            before: store.disk().clone(),
            disk,
            crash,
        })
    }

    /// Run `recover_fn` on every crash point in `points` and check, at each:
    /// 1. **durability**: every acknowledged write is recovered (LSN ≥ the durable LSN);
    /// 2. **no invention**: nothing beyond what was written (LSN ≤ the last written);
    /// 3. **prefix**: the state equals the state after exactly the first LSN writes, so no
    ///    torn or garbled record was accepted.
    ///
    /// A recovery that returns an error fails the point (a crash of a correct store always
    /// leaves a recoverable disk).
    pub fn run(
        &self,
        points: Range<u64>,
        recover_fn: impl Fn(&Disk) -> Result<Recovered>,
    ) -> Result<SweepOutcome> {
        self.validate()?;
        let mut out = SweepOutcome {
            points: 0,
            failures: 0,
            first_failure: None,
            results: Vec::with_capacity((points.end.saturating_sub(points.start)) as usize),
            torn: 0,
            garbled: 0,
        };
        for point in points {
            let case = self.case(point)?;
            out.points += 1;
            out.torn += usize::from(case.crash.kept % RECORD_BYTES != 0);
            out.garbled += usize::from(case.crash.garbled.is_some());
            let written = case.ops.len() as Lsn;
            let (problem, recovered, replayed, ms) = match recover_fn(&case.disk) {
                Err(e) => (Some(format!("the recovery returned an error: {e}")), 0, 0, 0.0),
                Ok(r) => (judge(&case, &r), r.lsn, r.replayed_records, r.time_ms(&self.store.cost)),
            };
            let ok = problem.is_none();
            out.results.push(PointResult {
                point,
                written,
                durable: case.durable_lsn,
                recovered,
                replayed_records: replayed,
                recovery_ms: ms,
                ok,
            });
            if let Some(p) = problem {
                out.failures += 1;
                if out.first_failure.is_none() {
                    out.first_failure = Some(CrashFailure {
                        point,
                        description: format!("{}. {p}", case.describe()),
                    });
                }
            }
        }
        Ok(out)
    }
}

fn judge(case: &CrashPoint, r: &Recovered) -> Option<String> {
    let written = case.ops.len() as Lsn;
    if r.lsn < case.durable_lsn {
        return Some(format!(
            "Your recovery stopped at LSN {}, but LSN {} was acknowledged: {} acknowledged write(s) lost",
            r.lsn,
            case.durable_lsn,
            case.durable_lsn - r.lsn
        ));
    }
    if r.lsn > written {
        return Some(format!(
            "Your recovery claims LSN {}, but only {written} records were ever written",
            r.lsn
        ));
    }
    let expected = case.state_after(r.lsn);
    if r.state != expected {
        let key = expected
            .keys()
            .chain(r.state.keys())
            .find(|k| expected.get(k) != r.state.get(k))
            .copied()
            .unwrap_or(0);
        return Some(format!(
            "The state at LSN {} is not the state after the first {} writes: key {key} is {:?}, it should be {:?}; a torn or garbled record was accepted, or a record was applied twice or skipped",
            r.lsn,
            r.lsn,
            r.state.get(&key),
            expected.get(&key)
        ));
    }
    None
}

fn random_ops(rng: &mut SimRng, n: usize, keys: u32) -> Vec<Op> {
    (0..n)
        .map(|i| Op {
            key: rng.below(keys as u64) as u32,
            value: (i as i64 + 1) * 1000 + rng.below(1000) as i64,
        })
        .collect()
}

/// Judge a student's recovery function over the crash points `seeds` of
/// [`CrashSweep::exercise`]: a report whose first failure, if any, is described in words.
pub fn judge_recovery(
    recover_fn: impl Fn(&Disk) -> Result<Recovered>,
    seeds: Range<u64>,
) -> Result<SweepOutcome> {
    CrashSweep::exercise().run(seeds, recover_fn)
}

/// Recovery time against the checkpoint interval (one point per interval).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IntervalPoint {
    /// Checkpoint every this many records.
    pub interval: usize,
    /// Mean simulated recovery time over the crash points, ms.
    pub mean_recovery_ms: f64,
    /// Largest simulated recovery time, ms.
    pub max_recovery_ms: f64,
    /// The bound: load a full snapshot of every key + scan and apply `interval` records, ms.
    pub bound_ms: f64,
    /// Most records replayed by any recovery.
    pub max_replayed: usize,
    /// Share of the store's running time spent writing checkpoints (over the longest run).
    pub checkpoint_overhead: f64,
}

/// For each checkpoint interval, sweep `points` crash points of `sweep` (with that interval,
/// snapshot compaction) with the reference [`recover`], and measure the checkpointing cost on
/// a run of `sweep.max_ops` writes.
pub fn recovery_vs_interval(
    sweep: &CrashSweep,
    intervals: &[usize],
    points: u64,
) -> Result<Vec<IntervalPoint>> {
    let mut out = Vec::with_capacity(intervals.len());
    for &interval in intervals {
        let mut s = *sweep;
        s.store = s.store.checkpoint_every(interval).compaction(Compaction::Snapshot);
        let outcome = s.run(0..points, recover)?;
        let cost = s.store.cost;
        let snapshot = 16 + 12 * s.keys as usize;
        let bound_ms = cost.recovery_ms(
            snapshot,
            interval.min(s.max_ops) * RECORD_BYTES,
            interval.min(s.max_ops),
        );
        let mut store = Store::new(s.store)?;
        let mut rng = Stream::Scenario("storage-interval", interval as u64).rng(s.seed);
        for op in random_ops(&mut rng, s.max_ops, s.keys) {
            store.put(op.key, op.value);
        }
        out.push(IntervalPoint {
            interval,
            mean_recovery_ms: outcome.mean_recovery_ms(),
            max_recovery_ms: outcome.max_recovery_ms(),
            bound_ms,
            max_replayed: outcome.max_replayed(),
            checkpoint_overhead: if store.clock_ms() > 0.0 {
                store.checkpoint_ms() / store.clock_ms()
            } else {
                0.0
            },
        });
    }
    Ok(out)
}

/// Throughput and commit latency of one group-commit batch size.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CommitPoint {
    /// fsync every this many writes.
    pub batch: usize,
    /// Records per simulated second.
    pub records_per_s: f64,
    /// Mean time from a record's write to its fsync, ms.
    pub mean_commit_latency_ms: f64,
    /// fsyncs issued.
    pub syncs: u64,
}

/// Run `records` writes through a store with each group-commit batch (no checkpoints) and
/// measure simulated throughput and commit latency under `cost`.
pub fn group_commit(
    batches: &[usize],
    cost: CostModel,
    records: usize,
) -> Result<Vec<CommitPoint>> {
    validate::at_least("records", records, 1)?;
    let mut out = Vec::with_capacity(batches.len());
    for &batch in batches {
        let cfg = StoreConfig::default().batch(batch).checkpoint_every(usize::MAX).cost(cost);
        let mut store = Store::new(cfg)?;
        for i in 0..records {
            store.put((i % 64) as u32, i as i64);
        }
        store.sync();
        out.push(CommitPoint {
            batch,
            records_per_s: records as f64 / (store.clock_ms() / 1e3),
            mean_commit_latency_ms: store.mean_commit_latency_ms(),
            syncs: store.disk().stats().syncs,
        });
    }
    Ok(out)
}

/// What one compaction strategy cost over a run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CompactionPoint {
    /// The strategy.
    pub compaction: Compaction,
    /// Checkpoints installed.
    pub checkpoints: u64,
    /// Checkpoint bytes written over the run (the write cost of compaction).
    pub checkpoint_bytes_written: u64,
    /// Checkpoint bytes stored at the end (space).
    pub checkpoint_bytes_stored: usize,
    /// Checkpoint files recovery must load at the end.
    pub files_to_load: usize,
    /// Simulated recovery time at the end, ms.
    pub recovery_ms: f64,
}

/// Run `ops` writes over `keys` keys, 90 % of them to the hottest 10 % of keys, with a
/// checkpoint every `interval` records, once per strategy; measure what compaction wrote,
/// stores and costs recovery at the end.
pub fn compare_compaction(
    strategies: &[Compaction],
    keys: u32,
    ops: usize,
    interval: usize,
    cost: CostModel,
) -> Result<Vec<CompactionPoint>> {
    validate::at_least("keys", keys as usize, 10)?;
    let mut out = Vec::with_capacity(strategies.len());
    for &compaction in strategies {
        let cfg = StoreConfig::default()
            .batch(8)
            .checkpoint_every(interval)
            .compaction(compaction)
            .cost(cost);
        let mut store = Store::new(cfg)?;
        let mut rng = Stream::Scenario("storage-compaction", 0).rng(19);
        let hot = (keys / 10).max(1) as u64;
        for i in 0..ops {
            let key = if rng.bernoulli(0.9) { rng.below(hot) } else { rng.below(keys as u64) };
            store.put(key as u32, i as i64);
        }
        store.sync();
        let r = recover(store.disk())?;
        out.push(CompactionPoint {
            compaction,
            checkpoints: store.disk().stats().checkpoints,
            checkpoint_bytes_written: store.disk().stats().checkpoint_bytes_written,
            checkpoint_bytes_stored: store.disk().checkpoint_bytes(),
            files_to_load: r.checkpoints_loaded,
            recovery_ms: r.time_ms(&cost),
        });
    }
    Ok(out)
}

/// A small log whose last record a crash tore and garbled, to look at byte by byte.
#[derive(Clone, Debug)]
pub struct TornExample {
    /// The log before the crash (3 records, the last two unsynced).
    pub before: Disk,
    /// After the crash.
    pub after: Disk,
    /// What the crash did.
    pub crash: CrashReport,
    /// The reference recovery of `after`.
    pub recovered: Recovered,
}

/// Three writes, the first synced; a crash keeps the second whole but garbles one byte of its
/// value, and tears the third after 13 bytes.
pub fn torn_example() -> Result<TornExample> {
    let mut store =
        Store::new(StoreConfig::default().batch(usize::MAX).checkpoint_every(usize::MAX))?;
    store.put(1, 10);
    store.sync();
    store.put(2, 20);
    store.put(3, 30);
    let before = store.disk().clone();
    // byte 20 of a record is the first byte of its value
    let (after, crash) = before.crash_at(RECORD_BYTES + 13, Some((RECORD_BYTES + 20, 0x40)))?;
    let recovered = recover(&after)?;
    Ok(TornExample { before, after, crash, recovered })
}
