//! Unit tests, crash-point properties, planted bugs and the notebook's pinned numbers.

use std::collections::BTreeMap;

use super::*;
use crate::error::Result;
use crate::sim::{Bugs, Sweep};

#[test]
fn crc32c_matches_the_standard_check_value_and_rfc_3720_vectors() {
    // the CRC catalogue's check value for CRC-32/ISCSI
    assert_eq!(crc32c(b"123456789"), 0xE306_9283);
    // RFC 3720 (iSCSI) appendix B.4: 32 bytes of zeros, of ones, and 0x00..0x1F
    assert_eq!(crc32c(&[0u8; 32]), 0x8A91_36AA);
    assert_eq!(crc32c(&[0xFFu8; 32]), 0x62A8_AB43);
    let inc: Vec<u8> = (0..32).collect();
    assert_eq!(crc32c(&inc), 0x46DD_794E);
    assert_eq!(crc32c(b""), 0);
}

#[test]
fn a_record_round_trips_and_every_single_bit_flip_is_rejected_with_its_offset() {
    let r = Record { lsn: 7, op: Op { key: 3, value: -42 } };
    let mut log = vec![0u8; 0];
    log.extend_from_slice(&Record { lsn: 6, op: Op { key: 1, value: 1 } }.encode());
    log.extend_from_slice(&r.encode());
    assert_eq!(Record::decode_at(&log, RECORD_BYTES).unwrap(), r);
    for bit in 0..RECORD_BYTES * 8 {
        let mut bad = log.clone();
        bad[RECORD_BYTES + bit / 8] ^= 1 << (bit % 8);
        let err = Record::decode_at(&bad, RECORD_BYTES).unwrap_err().to_string();
        assert!(err.contains("byte offset 28"), "bit {bit}: {err}");
        let scan = scan_log(&bad, 6);
        assert_eq!(scan.records.len(), 1, "bit {bit}: a corrupt record was accepted");
        assert_eq!(scan.damage.unwrap().offset, RECORD_BYTES);
    }
}

#[test]
fn a_torn_record_is_never_accepted_at_any_cut() {
    let mut log = Vec::new();
    for lsn in 1..=3 {
        log.extend_from_slice(&Record { lsn, op: Op { key: lsn as u32, value: 10 } }.encode());
    }
    for cut in 0..=log.len() {
        let scan = scan_log(&log[..cut], 1);
        assert_eq!(scan.records.len(), cut / RECORD_BYTES, "cut {cut}");
        assert_eq!(scan.valid_bytes, cut / RECORD_BYTES * RECORD_BYTES);
        assert_eq!(scan.damage.is_some(), cut % RECORD_BYTES != 0, "cut {cut}");
    }
    let err = verify_log(&log[..40], 1).unwrap_err().to_string();
    assert!(err.contains("byte offset 28") && err.contains("torn"), "{err}");
    assert_eq!(verify_log(&log, 1).unwrap(), 3);
    // a valid record out of sequence stops the scan too
    let err = verify_log(&log[RECORD_BYTES..], 1).unwrap_err().to_string();
    assert!(err.contains("LSN 2 where 1 was expected"), "{err}");
}

#[test]
fn a_crash_keeps_the_synced_prefix_and_cuts_the_rest_at_a_random_byte() -> Result<()> {
    let mut d = Disk::new();
    d.write(&[1; 100]);
    d.sync();
    d.write(&[2; 50]);
    let mut kept = std::collections::BTreeSet::new();
    for seed in 0..400 {
        let (after, rep) = d.crash(seed, 1.0)?;
        assert_eq!(&after.log()[..100], &[1u8; 100][..], "synced bytes survive intact");
        assert_eq!(after.log().len(), 100 + rep.kept);
        assert!(rep.kept <= 50);
        if rep.kept > 0 {
            let g = rep.garbled.expect("garble = 1 garbles whenever a byte survived");
            assert!((100..100 + rep.kept).contains(&g));
        }
        kept.insert(rep.kept);
    }
    assert_eq!(kept.len(), 51, "every cut 0..=50 occurs in 400 crashes");
    assert!(d.crash(1, 1.5).is_err());
    assert!(d.crash_at(51, None).is_err());
    assert!(d.crash_at(10, Some((5, 1))).is_err(), "a synced byte cannot be garbled");
    Ok(())
}

#[test]
fn bad_configurations_are_errors_that_say_what_is_allowed() {
    let e = Store::new(StoreConfig::default().batch(0)).unwrap_err().to_string();
    assert!(e.contains("batch") && e.contains("at least 1"), "{e}");
    let e = Store::new(StoreConfig::default().checkpoint_every(0)).unwrap_err().to_string();
    assert!(e.contains("checkpoint_every") && e.contains("at least 1"), "{e}");
    let cfg = StoreConfig::default().compaction(Compaction::Hybrid { full_every: 0 });
    assert!(Store::new(cfg).unwrap_err().to_string().contains("full_every"));
    let mut cost = CostModel::ssd();
    cost.fsync_ms = -1.0;
    assert!(Store::new(StoreConfig::default().cost(cost)).is_err());
    assert!(group_commit(&[0], CostModel::ssd(), 10).is_err());
    assert!(recovery_vs_interval(&CrashSweep::exercise(), &[0], 10).is_err());
}

fn sweep_points() -> u64 {
    if cfg!(debug_assertions) {
        1_000
    } else {
        5_000
    }
}

#[test]
fn the_reference_recovery_passes_thousands_of_crash_points_for_every_compaction() -> Result<()> {
    for compaction in
        [Compaction::Snapshot, Compaction::Incremental, Compaction::Hybrid { full_every: 3 }]
    {
        let store = StoreConfig::default().batch(8).checkpoint_every(24).compaction(compaction);
        let out = CrashSweep::new(store).run(0..sweep_points(), recover)?;
        assert!(out.passed(), "{compaction}: {out}");
        // the sweep really exercised torn and garbled tails
        assert!(out.torn > out.points / 3, "{out}");
        assert!(out.garbled > out.points / 4, "{out}");
        assert!(
            out.results.iter().any(|r| r.recovered > r.durable),
            "some unsynced records survive"
        );
    }
    Ok(())
}

#[test]
fn recovery_replays_at_most_one_interval_and_its_time_stays_under_the_bound() -> Result<()> {
    let sweep = CrashSweep::new(StoreConfig::default().batch(4)).keys(32).max_ops(400);
    let points = recovery_vs_interval(&sweep, &[4, 16, 64, 256], sweep_points() / 4)?;
    for p in &points {
        assert!(
            p.max_replayed < p.interval,
            "interval {}: replayed {}",
            p.interval,
            p.max_replayed
        );
        assert!(p.max_recovery_ms <= p.bound_ms, "{p:?}");
        assert!(p.max_recovery_ms > 0.3 * p.bound_ms, "the bound is nearly reached: {p:?}");
    }
    for w in points.windows(2) {
        assert!(w[1].max_recovery_ms > w[0].max_recovery_ms, "longer interval, longer recovery");
        assert!(w[1].checkpoint_overhead < w[0].checkpoint_overhead, "and less checkpointing");
    }
    Ok(())
}

// ---- wrong recoveries the sweep must catch -----------------------------------------------

fn no_crc(disk: &Disk) -> Result<Recovered> {
    // trusts the length and never checks the CRC
    let mut r = Recovered::new(BTreeMap::new(), 0);
    if let Some(cp) = disk.checkpoints().last() {
        r.state = cp.entries.iter().copied().collect();
        r.lsn = cp.lsn;
    }
    let log = disk.log();
    let mut at = 0;
    while at + RECORD_BYTES <= log.len() {
        let p = &log[at + 8..at + 28];
        let key = u32::from_le_bytes(p[8..12].try_into().unwrap());
        let value = i64::from_le_bytes(p[12..20].try_into().unwrap());
        r.state.insert(key, value);
        r.lsn += 1;
        at += RECORD_BYTES;
    }
    Ok(r)
}

fn synced_only_minus_one(disk: &Disk) -> Result<Recovered> {
    let mut r = recover(disk)?;
    if r.replayed_records > 0 {
        // forget the last replayed record (an off-by-one in the scan loop)
        let lsn = r.lsn - 1;
        let mut d = disk.clone();
        d.truncate(r.valid_log_bytes - RECORD_BYTES);
        r = recover(&d)?;
        assert_eq!(r.lsn, lsn);
    }
    Ok(r)
}

fn ignores_checkpoint(disk: &Disk) -> Result<Recovered> {
    let scan = scan_log(disk.log(), disk.log_start_lsn());
    let mut r = Recovered::new(BTreeMap::new(), disk.log_start_lsn() - 1);
    for rec in scan.records {
        r.state.insert(rec.op.key, rec.op.value);
        r.lsn = rec.lsn;
    }
    Ok(r)
}

#[test]
fn the_judge_catches_wrong_recoveries_and_says_why() -> Result<()> {
    let ok = judge_recovery(recover, 0..2_000)?;
    assert!(ok.passed(), "{ok}");
    let bad = judge_recovery(no_crc, 0..2_000)?;
    let f = bad.first_failure.clone().expect("accepting garbled records is caught");
    assert!(f.description.contains("garbled"), "{f}");
    let bad = judge_recovery(synced_only_minus_one, 0..2_000)?;
    let f = bad.first_failure.expect("losing an acknowledged write is caught");
    assert!(f.description.contains("acknowledged write(s) lost"), "{f}");
    let bad = judge_recovery(ignores_checkpoint, 0..2_000)?;
    assert!(bad
        .first_failure
        .expect("ignoring the checkpoint is caught")
        .description
        .contains("should be"));
    let err = judge_recovery(|_| Err(crate::Error::invalid("x", "y")), 0..3)?;
    assert_eq!(err.failures, 3);
    Ok(())
}

#[test]
fn group_commit_throughput_follows_the_closed_form() -> Result<()> {
    let cost = CostModel::hdd();
    let pts = group_commit(&[1, 2, 8, 64], cost, 4_096)?;
    for p in &pts {
        // records / s = 1 / (28 B · write + fsync / b); exact here since 4096 is a multiple of b
        let per_record_ms = 28.0 * cost.write_ns_per_byte / 1e6 + cost.fsync_ms / p.batch as f64;
        let closed = 1e3 / per_record_ms;
        assert!((p.records_per_s - closed).abs() < 1e-6 * closed, "{p:?} vs {closed}");
        assert_eq!(p.syncs, 4_096 / p.batch as u64);
    }
    assert!(pts.windows(2).all(|w| w[1].mean_commit_latency_ms > w[0].mean_commit_latency_ms));
    Ok(())
}

#[test]
fn compaction_strategies_trade_write_cost_for_recovery_load() -> Result<()> {
    let s = [Compaction::Snapshot, Compaction::Incremental, Compaction::Hybrid { full_every: 4 }];
    let pts = compare_compaction(&s, 1_000, 20_000, 200, CostModel::ssd())?;
    let (snap, inc, hyb) = (pts[0], pts[1], pts[2]);
    assert!(inc.checkpoint_bytes_written < hyb.checkpoint_bytes_written);
    assert!(hyb.checkpoint_bytes_written < snap.checkpoint_bytes_written);
    assert_eq!(snap.files_to_load, 1);
    assert!(hyb.files_to_load <= 4);
    assert_eq!(inc.files_to_load as u64, inc.checkpoints);
    assert!(inc.recovery_ms > snap.recovery_ms);
    Ok(())
}

#[test]
fn the_torn_example_stops_at_the_garbled_record() -> Result<()> {
    let t = torn_example()?;
    assert_eq!(t.recovered.lsn, 1);
    let d = t.recovered.stopped_at.expect("damage");
    assert_eq!(d.offset, RECORD_BYTES);
    assert!(matches!(d.kind, DamageKind::Checksum { .. }));
    assert_eq!(t.after.log().len(), 2 * RECORD_BYTES + 13);
    Ok(())
}

// ---- the replicated log -----------------------------------------------------------------

#[test]
fn the_replicated_log_loses_no_acknowledged_write_across_correlated_crashes() -> Result<()> {
    let cfg = ReplicatedLog::default();
    let exp = cfg.experiment(ReplicatedLog::workload())?;
    let sweep = exp.sweep(0..40, Sweep::StopAtFirst)?;
    assert!(sweep.passed(), "{:?}", sweep.violations().first());
    let report = exp.run(3)?;
    let h = report.history().expect("clients ran");
    assert_eq!(h.len(), 160, "every write ended");
    assert!(report.stats().restarts >= 2, "followers crashed and restarted");
    let leader = &report.sim().nodes()[0];
    assert!(
        report.sim().nodes()[1..].iter().all(|n| n.last_lsn() == leader.last_lsn()),
        "caught up: {:?} {}",
        report
            .sim()
            .nodes()
            .iter()
            .map(|n| (n.last_lsn(), n.durable_lsn(), n.restarts()))
            .collect::<Vec<_>>(),
        report.sim().faults()
    );
    Ok(())
}

#[test]
fn both_planted_bugs_are_caught() -> Result<()> {
    for bug in [Bug::AckBeforeFsync, Bug::AckOnOne] {
        let cfg = ReplicatedLog { bugs: Bugs::one(bug), ..ReplicatedLog::default() };
        let found = cfg.experiment(ReplicatedLog::workload())?.sweep(0..40, Sweep::StopAtFirst)?;
        assert!(!found.passed(), "{bug:?} not caught");
        let v = &found.violations()[0];
        assert_eq!(v.property, "acknowledged ⇒ durable on a majority", "{v}");
    }
    // without the majority monitor's help, a crash in the ack–fsync window breaks a promise
    let cfg = ReplicatedLog {
        bugs: Bugs::one(Bug::AckBeforeFsync),
        check_majority: false,
        ..ReplicatedLog::default()
    };
    let sweep = cfg.experiment(ReplicatedLog::workload())?.sweep(0..40, Sweep::CollectAll)?;
    assert!(sweep
        .violations()
        .iter()
        .all(|v| v.property == "acknowledged records survive a crash"));
    assert!(!sweep.violations().is_empty(), "some crash lands in the window");
    Ok(())
}

#[test]
fn replicated_log_rejects_bad_configurations() {
    let bad = ReplicatedLog { fsync_ms: 0.0, ..ReplicatedLog::default() };
    let e = bad.experiment(ReplicatedLog::workload()).err().expect("an error").to_string();
    assert!(e.contains("fsync_ms"), "{e}");
    let bad = ReplicatedLog { nodes: 1, ..ReplicatedLog::default() };
    assert!(bad.experiment(ReplicatedLog::workload()).is_err());
}

/// Every run-dependent number the prose of notebook 19 quotes, recomputed as its cells do.
#[test]
fn notebook_19_prose_holds() -> Result<()> {
    // section 3: "2 000 crash points, 1 643 of them with a torn record and 885 with a garbled byte, and no failure"
    let out = CrashSweep::new(StoreConfig::default().batch(8).checkpoint_every(24))
        .run(0..2_000, recover)?;
    assert_eq!((out.points, out.torn, out.garbled, out.failures), (2_000, 1_643, 885, 0), "{out}");
    // section 2: the torn example stops at record 2 (offset 28) on a checksum
    let t = torn_example()?;
    assert_eq!((t.recovered.lsn, t.recovered.stopped_at.map(|d| d.offset)), (1, Some(28)));
    // section 4: the closed form at b = 1 and the bend: b* = t_fsync / (28 B · t_byte)
    let hdd = group_commit(&[1, 64, 65_536], CostModel::hdd(), 65_536)?;
    assert!((hdd[0].records_per_s - 100.0).abs() < 0.05);
    assert_eq!(hdd[1].records_per_s.round(), 6_377.0);
    assert!(hdd[2].records_per_s > 0.7 * 1e9 / 560.0, "flat near the write-only limit");
    assert_eq!((10e6 / 560.0f64).round(), 17_857.0, "about 18 000 on the HDD");
    assert_eq!((0.1e6 / 28.0f64).round(), 3_571.0, "3 600 on the SSD");
    // section 5: the worst recovery stays under the bound and follows it; overhead falls
    let sweep = CrashSweep::new(StoreConfig::default().batch(4)).keys(64).max_ops(2_000);
    let pts = recovery_vs_interval(&sweep, &[4, 16, 64, 256, 1_024], 300)?;
    for p in &pts {
        assert!(p.max_recovery_ms <= p.bound_ms && p.max_recovery_ms > 0.9 * p.bound_ms, "{p:?}");
    }
    assert!(pts.windows(2).all(|w| w[1].checkpoint_overhead < w[0].checkpoint_overhead));
    // section 6: incremental writes least and loads most; snapshot the reverse; hybrid between
    let s = [Compaction::Snapshot, Compaction::Incremental, Compaction::Hybrid { full_every: 4 }];
    let c = compare_compaction(&s, 1_000, 20_000, 200, CostModel::ssd())?;
    assert!(c[1].checkpoint_bytes_written < c[2].checkpoint_bytes_written);
    assert!(c[2].checkpoint_bytes_written < c[0].checkpoint_bytes_written);
    assert!(c[0].recovery_ms < c[2].recovery_ms && c[2].recovery_ms < c[1].recovery_ms);
    // section 7: passes 40 seeds; seed 3 has 160 writes, 4 restarts, all logs at 160
    let exp = ReplicatedLog::default().experiment(ReplicatedLog::workload())?;
    assert!(exp.sweep(0..40, Sweep::StopAtFirst)?.passed());
    let run = exp.run(3)?;
    assert_eq!(run.history().map(|h| h.len()), Some(160));
    assert_eq!(run.stats().restarts, 4);
    assert!(run.sim().nodes().iter().all(|n| n.last_lsn() == 160));
    // both bugs caught by the majority check "at the first acknowledgement", in seed 0
    for bug in [Bug::AckBeforeFsync, Bug::AckOnOne] {
        let cfg = ReplicatedLog { bugs: Bugs::one(bug), ..ReplicatedLog::default() };
        let v = cfg.experiment(ReplicatedLog::workload())?.sweep(0..40, Sweep::StopAtFirst)?;
        assert_eq!(v.failing_seed(), Some(0));
        assert!(
            v.violations()[0].detail.starts_with("put k0=1 was acknowledged"),
            "{}",
            v.violations()[0]
        );
    }
    // "in some runs, not all": 27 of 40
    let weak = ReplicatedLog {
        bugs: Bugs::one(Bug::AckBeforeFsync),
        check_majority: false,
        ..ReplicatedLog::default()
    };
    let all = weak.experiment(ReplicatedLog::workload())?.sweep(0..40, Sweep::CollectAll)?;
    assert_eq!(all.violations().len(), 27);
    Ok(())
}
