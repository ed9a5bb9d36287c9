//! A log-backed key-value store: every write is logged before it is applied, group commit
//! batches the fsyncs, and checkpoints (written by one of three compaction strategies) bound
//! what recovery must replay. Time is modelled explicitly by a [`CostModel`].

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::error::{validate, Error, Result};

use super::disk::{Checkpoint, CheckpointKind, Disk};
use super::wal::{Lsn, Op, Record, RECORD_BYTES};

/// What each storage action costs in simulated time.
///
/// The two presets use the order-of-magnitude latencies of J. Dean's "Numbers everyone should
/// know" (LADIS 2009 keynote, "Designing, Lessons and Advice from Building Large Distributed
/// Systems"): a disk seek 10 ms, reading 1 MB sequentially 20 ms from disk and 1 ms from SSD,
/// a main-memory reference 100 ns. An fsync on a hard disk waits for the platter (a
/// 7200 rpm disk turns once per 8.3 ms) and is taken as one seek. The SSD fsync of 0.1 ms and
/// the per-record apply cost are **illustrative** (flash without a power-loss-protected
/// cache flushes in tens of µs to a few ms); the lessons depend on ratios, not on the values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CostModel {
    /// Latency of one fsync, ms.
    pub fsync_ms: f64,
    /// Writing one byte to the log or a checkpoint (sequential), ns.
    pub write_ns_per_byte: f64,
    /// Reading one byte back during recovery (sequential read + CRC), ns.
    pub read_ns_per_byte: f64,
    /// Applying one replayed record to the state machine, ns.
    pub apply_ns_per_record: f64,
}

impl CostModel {
    /// A hard disk: fsync 10 ms (one seek), 20 ns/byte sequential (50 MB/s).
    pub fn hdd() -> CostModel {
        CostModel {
            fsync_ms: 10.0,
            write_ns_per_byte: 20.0,
            read_ns_per_byte: 20.0,
            apply_ns_per_record: 100.0,
        }
    }

    /// A flash SSD: fsync 0.1 ms (illustrative), 1 ns/byte sequential (1 GB/s).
    pub fn ssd() -> CostModel {
        CostModel {
            fsync_ms: 0.1,
            write_ns_per_byte: 1.0,
            read_ns_per_byte: 1.0,
            apply_ns_per_record: 100.0,
        }
    }

    /// Every cost finite and non-negative.
    pub fn validate(&self) -> Result<()> {
        for (name, v) in [
            ("fsync_ms", self.fsync_ms),
            ("write_ns_per_byte", self.write_ns_per_byte),
            ("read_ns_per_byte", self.read_ns_per_byte),
            ("apply_ns_per_record", self.apply_ns_per_record),
        ] {
            validate::non_negative(name, v)?;
            validate::finite(name, v)?;
        }
        Ok(())
    }

    /// Simulated time to recover: load `checkpoint_bytes`, scan `log_bytes`, apply `records`.
    pub fn recovery_ms(&self, checkpoint_bytes: usize, log_bytes: usize, records: usize) -> f64 {
        ((checkpoint_bytes + log_bytes) as f64 * self.read_ns_per_byte
            + records as f64 * self.apply_ns_per_record)
            / 1e6
    }
}

/// How checkpoints compact the log (seed 001 §3.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Compaction {
    /// Snapshot-based: every checkpoint is a full snapshot of the state and replaces the old
    /// one. Recovery loads one file; each checkpoint writes the whole state.
    Snapshot,
    /// Incremental: one full snapshot first, then deltas of the keys written since the last
    /// checkpoint. Each checkpoint is small, but recovery loads the whole chain, which grows.
    Incremental,
    /// Hybrid: deltas, and every `full_every`-th checkpoint a full snapshot that replaces the
    /// chain. Bounds both the write per checkpoint (mostly deltas) and the chain length.
    Hybrid {
        /// A full snapshot every this many checkpoints (at least 1; 1 is `Snapshot`).
        full_every: usize,
    },
}

impl fmt::Display for Compaction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Compaction::Snapshot => write!(f, "snapshot"),
            Compaction::Incremental => write!(f, "incremental"),
            Compaction::Hybrid { full_every } => write!(f, "hybrid (full every {full_every})"),
        }
    }
}

/// Configuration of a [`Store`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StoreConfig {
    /// Group commit: fsync once every `batch` appends (at least 1; 1 = fsync every write).
    pub batch: usize,
    /// Write a checkpoint every this many records (at least 1; `usize::MAX` = never).
    pub checkpoint_every: usize,
    /// How checkpoints are written.
    pub compaction: Compaction,
    /// Simulated costs.
    pub cost: CostModel,
}

impl Default for StoreConfig {
    /// fsync every write, a snapshot every 64 records, SSD costs.
    fn default() -> Self {
        StoreConfig {
            batch: 1,
            checkpoint_every: 64,
            compaction: Compaction::Snapshot,
            cost: CostModel::ssd(),
        }
    }
}

impl StoreConfig {
    /// Set the group-commit batch.
    pub fn batch(mut self, batch: usize) -> Self {
        self.batch = batch;
        self
    }

    /// Set the checkpoint interval (records).
    pub fn checkpoint_every(mut self, records: usize) -> Self {
        self.checkpoint_every = records;
        self
    }

    /// Set the compaction strategy.
    pub fn compaction(mut self, compaction: Compaction) -> Self {
        self.compaction = compaction;
        self
    }

    /// Set the cost model.
    pub fn cost(mut self, cost: CostModel) -> Self {
        self.cost = cost;
        self
    }

    /// Check every field; the error says what is allowed.
    pub fn validate(&self) -> Result<()> {
        if self.batch == 0 {
            return Err(Error::out_of_range(
                "batch",
                0,
                "the group-commit batch must be at least 1 (1 = fsync after every write)",
            ));
        }
        if self.checkpoint_every == 0 {
            return Err(Error::out_of_range(
                "checkpoint_every",
                0,
                "the checkpoint interval must be at least 1 record (usize::MAX = never checkpoint)",
            ));
        }
        if let Compaction::Hybrid { full_every: 0 } = self.compaction {
            return Err(Error::out_of_range(
                "full_every",
                0,
                "a hybrid compaction needs a full snapshot at least every 1 checkpoints",
            ));
        }
        self.cost.validate()
    }
}

/// A key-value store on a write-ahead log. A write is *acknowledged* (durable) once its record
/// has been synced: [`Store::durable_lsn`].
#[derive(Clone, Debug)]
pub struct Store {
    cfg: StoreConfig,
    disk: Disk,
    state: BTreeMap<u32, i64>,
    last_lsn: Lsn,
    durable_lsn: Lsn,
    since_checkpoint: usize,
    checkpoints_since_full: usize,
    dirty: BTreeSet<u32>,
    clock_ms: f64,
    checkpoint_ms: f64,
    pending_since: Vec<f64>,
    commit_latency_sum_ms: f64,
}

impl Store {
    /// An empty store on an empty disk.
    pub fn new(cfg: StoreConfig) -> Result<Store> {
        cfg.validate()?;
        Ok(Store {
            cfg,
            disk: Disk::new(),
            state: BTreeMap::new(),
            last_lsn: 0,
            durable_lsn: 0,
            since_checkpoint: 0,
            checkpoints_since_full: 0,
            dirty: BTreeSet::new(),
            clock_ms: 0.0,
            checkpoint_ms: 0.0,
            pending_since: Vec::new(),
            commit_latency_sum_ms: 0.0,
        })
    }

    /// Log `key = value`, then apply it; returns its LSN. Every `batch` writes the log is
    /// synced (group commit), every `checkpoint_every` records a checkpoint is installed.
    pub fn put(&mut self, key: u32, value: i64) -> Lsn {
        let lsn = self.last_lsn + 1;
        let rec = Record { lsn, op: Op { key, value } };
        self.disk.write(&rec.encode());
        self.clock_ms += RECORD_BYTES as f64 * self.cfg.cost.write_ns_per_byte / 1e6;
        self.pending_since.push(self.clock_ms);
        self.last_lsn = lsn;
        self.state.insert(key, value);
        self.dirty.insert(key);
        if self.pending_since.len() >= self.cfg.batch {
            self.sync();
        }
        self.since_checkpoint += 1;
        if self.since_checkpoint >= self.cfg.checkpoint_every {
            self.checkpoint();
        }
        lsn
    }

    /// fsync the log: every record written so far becomes durable (acknowledged).
    pub fn sync(&mut self) {
        if self.pending_since.is_empty() {
            return;
        }
        self.disk.sync();
        self.clock_ms += self.cfg.cost.fsync_ms;
        for t in self.pending_since.drain(..) {
            self.commit_latency_sum_ms += self.clock_ms - t;
        }
        self.durable_lsn = self.last_lsn;
    }

    /// Sync the log and install a checkpoint of the state as of the last record, written by
    /// the configured compaction; the log prefix it covers is dropped.
    pub fn checkpoint(&mut self) {
        self.sync();
        self.since_checkpoint = 0;
        if self.last_lsn == 0 || self.disk.log_start_lsn() > self.last_lsn {
            return; // nothing new since the last checkpoint
        }
        let full = match self.cfg.compaction {
            Compaction::Snapshot => true,
            Compaction::Incremental => self.disk.checkpoints().is_empty(),
            Compaction::Hybrid { full_every } => {
                self.disk.checkpoints().is_empty() || self.checkpoints_since_full + 1 >= full_every
            }
        };
        let entries: Vec<(u32, i64)> = if full {
            self.state.iter().map(|(&k, &v)| (k, v)).collect()
        } else {
            self.dirty.iter().map(|k| (*k, self.state[k])).collect()
        };
        let kind = if full { CheckpointKind::Full } else { CheckpointKind::Delta };
        let cp = Checkpoint { kind, lsn: self.last_lsn, entries };
        let cost =
            cp.bytes() as f64 * self.cfg.cost.write_ns_per_byte / 1e6 + self.cfg.cost.fsync_ms;
        self.clock_ms += cost;
        self.checkpoint_ms += cost;
        self.disk
            .install_checkpoint(cp, full)
            .expect("the store checkpoints only synced records of its own log");
        self.checkpoints_since_full = if full { 0 } else { self.checkpoints_since_full + 1 };
        self.dirty.clear();
    }

    /// The LSN of the last record written (0: none).
    pub fn last_lsn(&self) -> Lsn {
        self.last_lsn
    }

    /// The LSN of the last record synced: every write up to it is acknowledged.
    pub fn durable_lsn(&self) -> Lsn {
        self.durable_lsn
    }

    /// The current state (all writes applied, durable or not).
    pub fn state(&self) -> &BTreeMap<u32, i64> {
        &self.state
    }

    /// The disk.
    pub fn disk(&self) -> &Disk {
        &self.disk
    }

    /// The configuration.
    pub fn config(&self) -> &StoreConfig {
        &self.cfg
    }

    /// Simulated time spent so far (writes, fsyncs, checkpoints), ms.
    pub fn clock_ms(&self) -> f64 {
        self.clock_ms
    }

    /// Of [`Store::clock_ms`], the time spent writing checkpoints, ms.
    pub fn checkpoint_ms(&self) -> f64 {
        self.checkpoint_ms
    }

    /// Mean time from a record's write to the fsync that made it durable, ms (over the
    /// records synced so far; 0 if none).
    pub fn mean_commit_latency_ms(&self) -> f64 {
        let synced = self.durable_lsn as f64;
        if synced == 0.0 {
            0.0
        } else {
            self.commit_latency_sum_ms / synced
        }
    }
}
