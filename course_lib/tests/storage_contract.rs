//! The contract of `course_lib::storage` as issue 16 (part 2) names it: `crc32c` and its check
//! value, a disk that tears unsynced writes, a WAL with group commit, recovery after a crash,
//! checkpoints bounding recovery time, three compaction strategies, the exercise judge, and a
//! replicated log on the harness whose planted bugs the checks catch.

use course_lib::sim::{Bugs, Sweep};
use course_lib::storage::{
    compare_compaction, crc32c, group_commit, judge_recovery, recover, recovery_vs_interval,
    verify_log, Bug, Compaction, CostModel, CrashSweep, Disk, Op, Record, ReplicatedLog, Store,
    StoreConfig, RECORD_BYTES,
};
use course_lib::Result;

#[test]
fn crc32c_check_value() {
    assert_eq!(crc32c(b"123456789"), 0xE306_9283);
}

#[test]
fn thousands_of_crash_points_keep_every_acknowledged_write_and_accept_nothing_corrupt() -> Result<()>
{
    for compaction in
        [Compaction::Snapshot, Compaction::Incremental, Compaction::Hybrid { full_every: 2 }]
    {
        let cfg = StoreConfig::default().batch(5).checkpoint_every(17).compaction(compaction);
        let out = CrashSweep::new(cfg).seed(2026).run(0..3_000, recover)?;
        assert!(out.passed(), "{compaction}: {out}");
        assert!(out.torn > 1_000 && out.garbled > 700, "{out}");
    }
    Ok(())
}

#[test]
fn a_torn_or_corrupted_record_is_an_error_with_its_offset_never_accepted() -> Result<()> {
    let mut disk = Disk::new();
    for lsn in 1..=4 {
        disk.write(&Record { lsn, op: Op { key: 1, value: lsn as i64 } }.encode());
    }
    disk.sync();
    let mut log = disk.log().to_vec();
    log[2 * RECORD_BYTES + 9] ^= 0x80;
    let e = verify_log(&log, 1).unwrap_err().to_string();
    assert!(e.contains("byte offset 56") && e.contains("checksum"), "{e}");
    let e = verify_log(&disk.log()[..3 * RECORD_BYTES + 5], 1).unwrap_err().to_string();
    assert!(e.contains("byte offset 84") && e.contains("torn"), "{e}");
    let r = recover(&disk)?;
    assert_eq!(r.lsn, 4);
    Ok(())
}

#[test]
fn recovery_time_is_bounded_by_the_checkpoint_interval() -> Result<()> {
    let sweep = CrashSweep::new(StoreConfig::default().batch(3)).keys(20).max_ops(600);
    for p in recovery_vs_interval(&sweep, &[5, 50, 500], 400)? {
        assert!(p.max_replayed < p.interval, "{p:?}");
        assert!(p.max_recovery_ms <= p.bound_ms, "{p:?}");
    }
    Ok(())
}

#[test]
fn bad_input_is_an_error_that_says_what_is_allowed() {
    let e = Store::new(StoreConfig::default().checkpoint_every(0)).unwrap_err().to_string();
    assert!(e.contains("at least 1"), "{e}");
    let e = Store::new(StoreConfig::default().batch(0)).unwrap_err().to_string();
    assert!(e.contains("at least 1"), "{e}");
}

#[test]
fn group_commit_raises_throughput_and_compaction_strategies_differ() -> Result<()> {
    let pts = group_commit(&[1, 16], CostModel::hdd(), 1_024)?;
    assert!(pts[1].records_per_s > 10.0 * pts[0].records_per_s);
    let s = [Compaction::Snapshot, Compaction::Incremental];
    let c = compare_compaction(&s, 200, 4_000, 100, CostModel::ssd())?;
    assert!(c[1].checkpoint_bytes_written < c[0].checkpoint_bytes_written);
    Ok(())
}

#[test]
fn the_judge_passes_the_reference_and_names_a_failing_crash_point() -> Result<()> {
    assert!(judge_recovery(recover, 0..500)?.passed());
    let lossy = |d: &Disk| {
        let mut d = d.clone();
        d.truncate(0); // forgets the whole log after the checkpoint
        recover(&d)
    };
    let out = judge_recovery(lossy, 0..500)?;
    let f = out.first_failure.expect("losing the log is caught");
    assert!(f.to_string().starts_with("crash point "), "{f}");
    Ok(())
}

#[test]
fn the_replicated_log_passes_and_its_planted_bugs_are_caught() -> Result<()> {
    let ok = ReplicatedLog::default().experiment(ReplicatedLog::workload())?;
    assert!(ok.sweep(0..20, Sweep::StopAtFirst)?.passed());
    for bug in [Bug::AckBeforeFsync, Bug::AckOnOne] {
        let cfg = ReplicatedLog { bugs: Bugs::one(bug), ..ReplicatedLog::default() };
        assert!(!cfg
            .experiment(ReplicatedLog::workload())?
            .sweep(0..20, Sweep::StopAtFirst)?
            .passed());
    }
    Ok(())
}
