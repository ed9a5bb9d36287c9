//! Recovery: load the checkpoints, replay the log after them, stop at the first record that
//! does not verify.

use std::collections::BTreeMap;

use crate::error::{Error, Result};

use super::disk::{CheckpointKind, Disk};
use super::store::CostModel;
use super::wal::{scan_log, Damage, Lsn, RECORD_BYTES};

/// The state rebuilt by a recovery, and what it read to rebuild it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recovered {
    /// The key-value state.
    pub state: BTreeMap<u32, i64>,
    /// The last LSN applied (from a checkpoint or the log; 0: nothing).
    pub lsn: Lsn,
    /// Checkpoint bytes loaded.
    pub checkpoint_bytes: usize,
    /// Checkpoint files loaded.
    pub checkpoints_loaded: usize,
    /// Log records replayed after the checkpoints.
    pub replayed_records: usize,
    /// Log bytes that verified (the rest of the log is the torn tail to truncate).
    pub valid_log_bytes: usize,
    /// Where the scan stopped on a record that did not verify (`None`: clean end).
    pub stopped_at: Option<Damage>,
}

impl Recovered {
    /// A recovery result with only the state and LSN (what an exercise returns).
    pub fn new(state: BTreeMap<u32, i64>, lsn: Lsn) -> Recovered {
        Recovered { state, lsn, ..Recovered::default() }
    }

    /// Simulated recovery time under `cost`: checkpoint bytes and log bytes read (the whole
    /// log, the torn tail included, is scanned) plus one apply per replayed record.
    pub fn time_ms(&self, cost: &CostModel) -> f64 {
        let scanned = self.valid_log_bytes + usize::from(self.stopped_at.is_some()) * RECORD_BYTES;
        cost.recovery_ms(self.checkpoint_bytes, scanned, self.replayed_records)
    }
}

/// The reference recovery: start from the newest full checkpoint, apply the deltas after it
/// in order, then replay the log from [`Disk::log_start_lsn`], verifying every record's length,
/// CRC-32C and LSN, and stop at the first that fails (a crash's torn tail is not an error:
/// it is where the durable history ends). Errors only for a disk no crash of a correct store
/// produces: a delta with no full checkpoint before it, or checkpoints out of order.
pub fn recover(disk: &Disk) -> Result<Recovered> {
    let cps = disk.checkpoints();
    let mut out = Recovered::default();
    if let Some(first_full) = cps.iter().rposition(|c| c.kind == CheckpointKind::Full) {
        for cp in &cps[first_full..] {
            if cp.lsn < out.lsn {
                return Err(Error::invalid(
                    "checkpoints",
                    format!(
                        "LSN {} comes after LSN {}; checkpoints must be in LSN order",
                        cp.lsn, out.lsn
                    ),
                ));
            }
            for &(k, v) in &cp.entries {
                out.state.insert(k, v);
            }
            out.lsn = cp.lsn;
            out.checkpoint_bytes += cp.bytes();
            out.checkpoints_loaded += 1;
        }
    } else if !cps.is_empty() {
        return Err(Error::invalid(
            "checkpoints",
            "only deltas and no full checkpoint; a delta chain must start with a full snapshot",
        ));
    }
    if disk.log_start_lsn() != out.lsn + 1 {
        return Err(Error::invalid(
            "disk",
            format!(
                "the log starts at LSN {} but the checkpoints end at LSN {}; the log must continue right after them",
                disk.log_start_lsn(),
                out.lsn
            ),
        ));
    }
    let scan = scan_log(disk.log(), out.lsn + 1);
    for r in &scan.records {
        out.state.insert(r.op.key, r.op.value);
        out.lsn = r.lsn;
    }
    out.replayed_records = scan.records.len();
    out.valid_log_bytes = scan.valid_bytes;
    out.stopped_at = scan.damage;
    Ok(out)
}
