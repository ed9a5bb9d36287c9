//! The public contract of the distributed-transaction modules (`txn::twopc`, `txn::saga`,
//! `txn::deadlock`) and their views, as a notebook calls them.

use course_lib::plot::{
    deadlock_detection_chart, deadlock_false_abort_chart, saga_dirty_read_table,
    twopc_blocking_chart, twopc_blocking_diagram, twopc_commit_diagram, twopc_cost_table,
};
use course_lib::sim::{Bugs, Sweep};
use course_lib::txn::deadlock::{self, DeadlockConfig, Detection};
use course_lib::txn::saga::{self, SagaConfig};
use course_lib::txn::twopc::{self, Logged, Recovery, TwoPcConfig, Variant};

#[test]
fn twopc_contract() -> course_lib::Result<()> {
    let cfg = TwoPcConfig::new(3);
    let out = twopc::run(&cfg, twopc::workload(2, 5), 1)?;
    assert!(out.violation.is_none());
    assert_eq!(out.committed + out.aborted, 10);
    let pts = twopc::blocking_sweep(&cfg, &[20.0, 60.0])?;
    assert!(pts[1].in_doubt_ms - pts[0].in_doubt_ms > 39.0);
    assert!(twopc_blocking_chart(&pts)?.svg().starts_with("<svg"));
    assert!(twopc_commit_diagram(&cfg, 14.0)?.render()?.svg().starts_with("<svg"));
    assert!(twopc_blocking_diagram(&cfg, 30.0)?.render()?.svg().starts_with("<svg"));
    let costs = twopc::log_costs(3, Variant::PresumedAbort)?;
    assert_eq!(twopc_cost_table(&costs).rows().len(), 2);
    assert_eq!(twopc::MOHAN_1986.len(), 4);
    assert_eq!(twopc::standard_recovery(Logged::Prepared), Recovery::InDoubt);
    assert!(twopc::judge_recovery(twopc::standard_recovery).is_ok());
    let buggy = cfg.bugs(Bugs::one(twopc::Bug::VoteBeforeForce));
    assert!(!twopc::experiment(&buggy, twopc::workload(1, 3))?
        .sweep(0..3, Sweep::StopAtFirst)?
        .passed());
    Ok(())
}

#[test]
fn twopc_bad_input_is_an_error_not_a_panic() {
    assert!(twopc::experiment(&TwoPcConfig::new(0), twopc::workload(1, 1)).is_err());
    assert!(twopc::blocking_run(&TwoPcConfig::new(2), f64::NAN).is_err());
    assert!(twopc::blocking_run(&TwoPcConfig::new(2), -1.0).is_err());
    assert!(twopc_blocking_chart(&[]).is_err());
}

#[test]
fn saga_contract() -> course_lib::Result<()> {
    let cfg = SagaConfig::new(3);
    let out = saga::run(&cfg, 2)?;
    assert!(out.violation.is_none());
    let rows = saga::dirty_read_sweep(&cfg, 0..3)?;
    assert_eq!(saga_dirty_read_table(&rows).rows().len(), 4);
    assert!(saga::experiment(&SagaConfig::new(0)).is_err());
    Ok(())
}

#[test]
fn deadlock_contract() -> course_lib::Result<()> {
    let out = deadlock::cross_site_cycle(Detection::EdgeChasing)?;
    assert!(out.local_graphs_acyclic && out.union_has_cycle);
    let base = DeadlockConfig::new(3, 8, Detection::EdgeChasing);
    let ds = [
        Detection::Timeout { timeout_ms: 10.0 },
        Detection::Timeout { timeout_ms: 100.0 },
        Detection::EdgeChasing,
    ];
    let pts = deadlock::timeout_sweep(&base, &ds, 0..5)?;
    assert!(deadlock_false_abort_chart(&pts)?.svg().starts_with("<svg"));
    assert!(deadlock_detection_chart(&pts)?.svg().starts_with("<svg"));
    assert!(deadlock::timeout_sweep(&base, &[], 0..5).is_err());
    assert!(deadlock_false_abort_chart(&[]).is_err());
    Ok(())
}

#[test]
fn three_phase_contract() -> course_lib::Result<()> {
    use course_lib::plot::twopc_three_phase_diagram;
    use course_lib::txn::twopc::three_phase::{crash_run, partition_run};
    assert!(crash_run(100.0)?.atomic);
    assert!(!partition_run()?.atomic);
    assert!(crash_run(-1.0).is_err());
    assert!(twopc_three_phase_diagram()?.render()?.svg().starts_with("<svg"));
    Ok(())
}
