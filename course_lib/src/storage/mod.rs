//! # Storage: write-ahead logging, crash recovery, checkpoints and compaction
//!
//! A node that must remember something across a crash writes it to disk, and a disk does not
//! make a write durable when `write` returns: the bytes sit in the page cache until an
//! **fsync** forces them to the medium. Power lost before the fsync loses them, and not
//! cleanly: the last write can reach the disk in part (**torn**), and a sector written
//! half-way can come back with garbage. This module simulates such a disk and builds on it
//! the classic answer, the **write-ahead log** (WAL; ARIES, Mohan et al. 1992):
//!
//! * **Logging protocol.** Every change is appended to the log *before* it is applied to the
//!   state, and acknowledged only once the log is synced through it.
//! * **Recovery protocol.** After a crash, load the newest checkpoint and **replay** the log
//!   after it, verifying each record, and stop at the first record that does not verify: it
//!   and everything after it is the torn tail of the crash.
//! * **Checkpointing.** Periodically write the state and drop the log it covers, so recovery
//!   replays at most one checkpoint interval of records.
//!
//! ## Definitions
//! * A **record** is `[len u32][crc u32][payload]`, little-endian, with payload
//!   `[lsn u64][key u32][value i64]` (`len` = 20, `crc` = CRC-32C of the 20 payload bytes:
//!   [`Record::encode`]). The **LSN** (log sequence number) of the `i`-th record is `i`.
//! * The **durable LSN** is the last LSN synced; writes up to it are **acknowledged**.
//! * A **crash** keeps the synced prefix and a uniformly random prefix of the unsynced suffix
//!   (a torn write), and may garble one byte of that surviving suffix ([`Disk::crash`]).
//! * A recovery is **correct** if, for every crash, the state it returns is the state after
//!   exactly the first `L` writes for some `L` with durable ≤ `L` ≤ written: every
//!   acknowledged write is present (durability), nothing invented, nothing corrupt accepted
//!   (a prefix). [`CrashSweep`] checks this over thousands of seeded crash points.
//! * **Recovery time** with a checkpoint every `C` records is at most
//!   `T(load snapshot) + C · (28 B · read cost + apply cost)`: bounded by the interval, not by
//!   the history ([`recovery_vs_interval`]). The price is the time spent writing checkpoints.
//! * **Group commit** (DeWitt et al. 1984) syncs once per batch of `b` writes: throughput
//!   `1 / (t_write + t_fsync / b)` rises with `b`, and each write waits longer for its batch
//!   ([`group_commit`]).
//! * **Compaction** (seed 001 §3.3): [`Compaction::Snapshot`] (full state every checkpoint),
//!   [`Compaction::Incremental`] (deltas after one snapshot: cheap to write, a chain that
//!   grows), [`Compaction::Hybrid`] (deltas, and a full snapshot every `k` checkpoints).
//! * **Distributed storage**: [`ReplicatedLog`] runs a leader and followers on the harness
//!   ([`crate::sim::Experiment`]); a write is acknowledged once a *majority* has it synced, so
//!   a crash of a minority (even of all followers at once, a correlated failure, while the
//!   leader lives) loses no acknowledged write. Two planted [`Bug`]s break it.
//!
//! Time is modelled, not measured: [`CostModel`] gives the fsync latency and per-byte costs
//! (with sources). The disk's randomness comes from explicit seeds, so every crash replays.
//!
//! ```
//! use course_lib::storage::*;
//! let mut store = Store::new(StoreConfig::default().batch(4).checkpoint_every(10))?;
//! for i in 0..25 { store.put(i % 3, i as i64); }
//! assert_eq!(store.durable_lsn(), 24); // 25th write not yet synced (batch of 4)
//! let (crashed, _) = store.disk().crash(7, 0.5)?;
//! let r = recover(&crashed)?;
//! assert!(r.lsn >= 24 && r.replayed_records <= 10);
//! # Ok::<(), course_lib::Error>(())
//! ```
//!
//! ## Reading
//! * C. Mohan, D. Haderle, B. Lindsay, H. Pirahesh and P. Schwarz, "ARIES: A Transaction
//!   Recovery Method Supporting Fine-Granularity Locking and Partial Rollbacks Using
//!   Write-Ahead Logging", *ACM TODS* 17(1), 1992.
//! * D. J. DeWitt, R. H. Katz, F. Olken, L. D. Shapiro, M. R. Stonebraker and D. Wood,
//!   "Implementation Techniques for Main Memory Database Systems", *SIGMOD* 1984 (group commit).
//! * T. S. Pillai, V. Chidambaram, R. Alagappan, S. Al-Kiswany, A. C. Arpaci-Dusseau and
//!   R. H. Arpaci-Dusseau, "All File Systems Are Not Created Equal: On the Complexity of
//!   Crafting Crash-Consistent Applications", *OSDI* 2014.
//! * M. Kleppmann, *Designing Data-Intensive Applications*, 2017, ch. 3 and 7.

mod disk;
mod recovery;
mod replicated;
mod store;
mod sweep;
mod wal;

#[cfg(test)]
mod tests;

pub use disk::{Checkpoint, CheckpointKind, CrashReport, Disk, DiskStats};
pub use recovery::{recover, Recovered};
pub use replicated::{Bug, LogMsg, LogNode, LogTimer, ReplicatedLog};
pub use store::{Compaction, CostModel, Store, StoreConfig};
pub use sweep::{
    compare_compaction, group_commit, judge_recovery, recovery_vs_interval, torn_example,
    CommitPoint, CompactionPoint, CrashFailure, CrashPoint, CrashSweep, IntervalPoint, PointResult,
    SweepOutcome, TornExample,
};
pub use wal::{
    crc32c, scan_log, verify_log, Damage, DamageKind, Lsn, Op, Record, Scan, HEADER_BYTES,
    PAYLOAD_BYTES, RECORD_BYTES,
};
