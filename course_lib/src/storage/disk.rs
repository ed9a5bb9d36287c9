//! A simulated disk: an append-only log file whose unsynced suffix a crash can cut at any byte
//! (and garble), plus checkpoint files installed atomically.

use crate::error::{validate, Error, Result};
use crate::rng::SimRng;

use super::wal::Lsn;

/// Whether a checkpoint holds the whole state or only what changed since the previous one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CheckpointKind {
    /// Every key of the state (a snapshot).
    Full,
    /// Only the keys written since the previous checkpoint (a delta).
    Delta,
}

/// A checkpoint: the state (or its change) as of LSN `lsn`, so recovery replays only the log
/// after it. Installed atomically (write a new file, fsync it, rename it over the old one):
/// a crash leaves either the old checkpoint set or the new one, never half of one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// Full snapshot or delta.
    pub kind: CheckpointKind,
    /// The last log record it covers.
    pub lsn: Lsn,
    /// `(key, value)` pairs, ascending by key.
    pub entries: Vec<(u32, i64)>,
}

impl Checkpoint {
    /// Bytes on disk: a 16-byte header (kind, lsn, count, crc) and 12 bytes per entry.
    pub fn bytes(&self) -> usize {
        16 + 12 * self.entries.len()
    }
}

/// What a crash did to the log's unsynced suffix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CrashReport {
    /// Log bytes that were synced (all survive).
    pub synced: usize,
    /// Log bytes written but not synced at the crash.
    pub unsynced: usize,
    /// Of the unsynced bytes, how many reached the disk (the cut: 0 ..= unsynced).
    pub kept: usize,
    /// Byte offset in the log of a byte the crash garbled (always in the kept unsynced part).
    pub garbled: Option<usize>,
}

/// Counters of what a disk has done.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DiskStats {
    /// Log bytes written.
    pub log_bytes_written: u64,
    /// fsync calls on the log.
    pub syncs: u64,
    /// Checkpoint bytes written.
    pub checkpoint_bytes_written: u64,
    /// Checkpoints installed.
    pub checkpoints: u64,
}

/// A disk holding one log file and a set of checkpoint files.
///
/// * [`Disk::write`] appends to the log; the bytes are in the page cache, **not durable**.
/// * [`Disk::sync`] (fsync) makes every byte written so far durable.
/// * [`Disk::crash`] returns the disk as it is after power loss: the synced prefix intact, the
///   unsynced suffix cut at a uniformly random byte (a torn write) and, with probability
///   `garble`, one of the surviving unsynced bytes changed (a sector written half-way).
/// * [`Disk::install_checkpoint`] is atomic and durable, and drops the log prefix it covers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Disk {
    log: Vec<u8>,
    synced: usize,
    log_start: Lsn,
    checkpoints: Vec<Checkpoint>,
    stats: DiskStats,
}

impl Disk {
    /// An empty disk (the first log record will have LSN 1).
    pub fn new() -> Disk {
        Disk { log_start: 1, ..Disk::default() }
    }

    /// Append bytes to the log (not yet durable).
    pub fn write(&mut self, bytes: &[u8]) {
        self.log.extend_from_slice(bytes);
        self.stats.log_bytes_written += bytes.len() as u64;
    }

    /// fsync: every byte written so far becomes durable.
    pub fn sync(&mut self) {
        self.synced = self.log.len();
        self.stats.syncs += 1;
    }

    /// The log's bytes as they are now (synced and unsynced).
    pub fn log(&self) -> &[u8] {
        &self.log
    }

    /// The synced prefix of the log: what survives any crash.
    pub fn synced_log(&self) -> &[u8] {
        &self.log[..self.synced]
    }

    /// Bytes of the log that are durable.
    pub fn synced_len(&self) -> usize {
        self.synced
    }

    /// Bytes of the log written but not yet durable.
    pub fn unsynced_len(&self) -> usize {
        self.log.len() - self.synced
    }

    /// The LSN of the first record in the log (one past the newest checkpoint's).
    pub fn log_start_lsn(&self) -> Lsn {
        self.log_start.max(1)
    }

    /// The checkpoint files, oldest first.
    pub fn checkpoints(&self) -> &[Checkpoint] {
        &self.checkpoints
    }

    /// Bytes stored in checkpoint files.
    pub fn checkpoint_bytes(&self) -> usize {
        self.checkpoints.iter().map(Checkpoint::bytes).sum()
    }

    /// What the disk has done so far.
    pub fn stats(&self) -> DiskStats {
        self.stats
    }

    /// Install a checkpoint atomically and durably. `replace` drops the older checkpoint files
    /// (a full snapshot makes them useless); otherwise the new one joins the chain. The log
    /// records up to `cp.lsn` are dropped (the log must be synced through them and `cp.lsn`
    /// must lie within it).
    pub fn install_checkpoint(&mut self, cp: Checkpoint, replace: bool) -> Result<()> {
        let first = self.log_start_lsn();
        let records = (self.synced / super::wal::RECORD_BYTES) as u64;
        if cp.lsn + 1 < first || cp.lsn >= first + records {
            return Err(Error::invalid(
                "checkpoint",
                format!(
                    "it covers LSN {}, but the synced log holds LSNs {first}..{}; checkpoint only a synced record",
                    cp.lsn,
                    first + records
                ),
            ));
        }
        if cp.kind == CheckpointKind::Delta && self.checkpoints.is_empty() {
            return Err(Error::invalid("checkpoint", "a delta needs a full checkpoint before it"));
        }
        let drop_bytes = ((cp.lsn + 1 - first) as usize) * super::wal::RECORD_BYTES;
        self.log.drain(..drop_bytes);
        self.synced -= drop_bytes;
        self.log_start = cp.lsn + 1;
        self.stats.checkpoint_bytes_written += cp.bytes() as u64;
        self.stats.checkpoints += 1;
        if replace {
            self.checkpoints.clear();
        }
        self.checkpoints.push(cp);
        Ok(())
    }

    /// Cut the log to its first `len` bytes, durably (recovery drops a torn tail this way
    /// before appending again).
    pub fn truncate(&mut self, len: usize) {
        self.log.truncate(len);
        self.synced = self.synced.min(self.log.len());
    }

    /// The disk after a power loss, drawn from `seed`: the unsynced suffix is cut at a
    /// uniformly random byte (0 ..= all of it), and with probability `garble` one surviving
    /// unsynced byte is changed. Errors if `garble` is not a probability.
    pub fn crash(&self, seed: u64, garble: f64) -> Result<(Disk, CrashReport)> {
        validate::probability("garble", garble)?;
        let mut rng = SimRng::new(seed);
        let unsynced = self.unsynced_len();
        let kept = rng.below(unsynced as u64 + 1) as usize;
        let garbled = if kept > 0 && rng.bernoulli(garble) {
            let at = self.synced + rng.below(kept as u64) as usize;
            Some((at, 1 + rng.below(255) as u8))
        } else {
            None
        };
        self.crash_at(kept, garbled)
    }

    /// The disk after a power loss with a chosen outcome: `kept` of the unsynced bytes
    /// survive, and `garbled = Some((offset, xor))` changes the byte at log offset `offset`
    /// (which must be a surviving unsynced byte; `xor` must be non-zero).
    pub fn crash_at(
        &self,
        kept: usize,
        garbled: Option<(usize, u8)>,
    ) -> Result<(Disk, CrashReport)> {
        let unsynced = self.unsynced_len();
        if kept > unsynced {
            return Err(Error::out_of_range(
                "kept",
                kept,
                format!("at most the {unsynced} unsynced bytes can survive"),
            ));
        }
        let mut after = self.clone();
        after.log.truncate(self.synced + kept);
        if let Some((at, xor)) = garbled {
            if at < self.synced || at >= self.synced + kept || xor == 0 {
                return Err(Error::invalid(
                    "garbled byte",
                    format!(
                        "offset {at} with xor {xor}: only a surviving unsynced byte ({}..{}) can be garbled, by a non-zero xor",
                        self.synced,
                        self.synced + kept
                    ),
                ));
            }
            after.log[at] ^= xor;
        }
        // what survived is what the platter holds: all of it is durable now
        after.synced = after.log.len();
        let report =
            CrashReport { synced: self.synced, unsynced, kept, garbled: garbled.map(|g| g.0) };
        Ok((after, report))
    }
}
