//! Tests of the distributed-transaction modules: 2PC, sagas, distributed deadlock.

use crate::dist::Dist;
use crate::sim::{Bugs, KvRequest, Network, Sweep};

use super::deadlock::{self, Detection};
use super::saga::{self, SagaConfig};
use super::twopc::{self, Bug, Decision, Logged, Recovery, TwoPcConfig, Variant};

fn lossy_crashy() -> TwoPcConfig {
    TwoPcConfig::new(3)
        .vote_no(0.1)
        .random_crashes(3, 50.0)
        .random_partitions(1)
        .network(Network::new(Dist::Uniform { lo: 0.5, hi: 1.5 }).with_loss(0.02))
}

// ---- 2PC -------------------------------------------------------------------------------------

/// The blocking scenario (BHG 1987 §7.3: 2PC blocks while the coordinator is down). With 1 ms
/// delays and 2 ms forces: votes sent at 4 ms, crash at 6 ms, restart at 6 + D; `Recovered`,
/// `Inquire` and the `Abort` answer take 3 delays and the basic-2PC abort record a 2 ms force,
/// so each participant is in doubt D + (6 − 4) + 3 + 2 = D + 7 ms: its downtime plus a constant,
/// asserted within one message delay (1 ms).
#[test]
fn in_doubt_time_is_the_coordinators_downtime_plus_a_constant() {
    let cfg = TwoPcConfig::new(3);
    for d in [10.0, 50.0, 200.0, 800.0] {
        let p = twopc::blocking_run(&cfg, d).unwrap();
        assert!(p.resolved, "{p:?}");
        assert!((p.in_doubt_ms - (d + 7.0)).abs() <= 1.0, "{p:?}");
        // the lock is taken at PREPARE (2 ms), 2 ms before the vote
        assert!((p.lock_held_ms - p.in_doubt_ms - 2.0).abs() <= 1.0, "{p:?}");
    }
}

#[test]
fn termination_protocol_cannot_help_when_all_voted_yes() {
    let plain = twopc::blocking_run(&TwoPcConfig::new(3), 300.0).unwrap();
    let coop = twopc::blocking_run(&TwoPcConfig::new(3).termination(true), 300.0).unwrap();
    assert_eq!(plain.in_doubt_ms, coop.in_doubt_ms);
}

#[test]
fn termination_protocol_helps_when_a_participant_has_not_voted() {
    // n3 never gets PREPARE (its link from n0 is down): n1 and n2 ask it, it aborts, they abort
    let faults = crate::sim::FaultSchedule::new().link_down(0, 3, 0.0, 100.0);
    let coop = TwoPcConfig::new(3).termination(true).faults(faults.clone());
    let p = twopc::blocking_run(&coop, 300.0).unwrap();
    // only n1 and n2 were in doubt; both resolved at their first retry (20 ms), long before 300
    assert!(p.in_doubt_ms < 40.0, "{p:?}");
    let alone = twopc::blocking_run(&TwoPcConfig::new(3).faults(faults), 300.0).unwrap();
    assert!(alone.in_doubt_ms > 200.0, "{alone:?}");
}

#[test]
fn correct_2pc_is_atomic_under_crashes_partitions_and_loss() {
    for v in [Variant::Basic, Variant::PresumedAbort] {
        let cfg = lossy_crashy().variant(v).termination(v == Variant::Basic);
        let r = twopc::experiment(&cfg, twopc::workload(3, 15))
            .unwrap()
            .sweep(0..60, Sweep::StopAtFirst)
            .unwrap();
        assert!(r.passed(), "{v:?}: {r}");
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]
    #[test]
    fn atomicity_holds_for_any_parameters(
        seed in 0u64..10_000, n in 1usize..5, no in 0.0f64..0.5, loss in 0.0f64..0.1,
        crashes in 0usize..5, pa: bool, term: bool,
    ) {
        let cfg = TwoPcConfig::new(n)
            .variant(if pa { Variant::PresumedAbort } else { Variant::Basic })
            .termination(term)
            .vote_no(no)
            .random_crashes(crashes, 40.0)
            .network(Network::new(Dist::Uniform { lo: 0.5, hi: 2.0 }).with_loss(loss))
            .horizon_ms(600.0);
        let report = twopc::experiment(&cfg, twopc::workload(2, 8)).unwrap().run(seed).unwrap();
        proptest::prop_assert!(report.passed(), "{}", report);
    }
}

#[test]
fn every_planted_bug_is_caught() {
    for b in [Bug::VoteBeforeForce, Bug::CommitBeforeForce, Bug::InDoubtTimeoutAborts] {
        let cfg = lossy_crashy().bugs(b);
        let r = twopc::experiment(&cfg, twopc::workload(3, 15))
            .unwrap()
            .sweep(0..60, Sweep::StopAtFirst)
            .unwrap();
        assert!(!r.passed(), "{b:?} not caught");
    }
}

/// The write-ahead bug breaks atomicity itself, not only the write-ahead invariant: n1 votes
/// yes at 2 ms before its 2 ms force, crashes at 3 ms, restarts knowing nothing; the
/// coordinator commits; n1 cannot (its work is gone).
#[test]
fn vote_before_force_then_crash_breaks_atomicity() {
    let run = |bugs: Bugs<Bug>| {
        let cfg = TwoPcConfig::new(2).bugs(bugs);
        let exp = twopc::experiment(&cfg, twopc::workload(1, 1)).unwrap();
        let faults = crate::sim::FaultSchedule::new().crash(1, 3.0).restart(1, 10.0);
        let mut sim = exp.faults(faults).simulation(1).unwrap();
        sim.request_at(1.0, 0, KvRequest::Put { key: 0, value: 1 }).unwrap();
        sim.run_until_ms(200.0);
        twopc::check_atomicity(sim.nodes())
    };
    assert!(run(Bugs::none()).is_ok());
    let err = run(Bugs::one(Bug::VoteBeforeForce)).unwrap_err();
    assert!(err.contains("committed at n0") || err.contains("aborted at n1"), "{err}");
}

/// Mohan, Lindsay & Obermarck 1986, §2: exact counts (no tolerance: they are counts).
#[test]
fn forced_writes_and_messages_match_mohan_1986() {
    for v in [Variant::Basic, Variant::PresumedAbort] {
        for c in twopc::log_costs(3, v).unwrap() {
            let p = twopc::MOHAN_1986.iter().find(|p| p.0 == v && p.1 == c.decision).unwrap();
            assert_eq!(
                (c.coordinator_forced, c.participant_forced, c.messages_per_participant),
                (p.2, p.3, p.4),
                "{c}"
            );
        }
    }
    let [_, abort] = twopc::log_costs(3, Variant::PresumedAbort).unwrap();
    assert_eq!(abort.decision, Decision::Abort);
}

#[test]
fn the_recovery_judge_accepts_the_rule_and_rejects_wrong_ones() {
    assert_eq!(twopc::judge_recovery(twopc::standard_recovery), Ok(()));
    fn abort_prepared(l: Logged) -> Recovery {
        match l {
            Logged::Committed => Recovery::Commit,
            _ => Recovery::Abort,
        }
    }
    fn commit_prepared(l: Logged) -> Recovery {
        match l {
            Logged::Aborted => Recovery::Abort,
            _ => Recovery::Commit,
        }
    }
    fn forget_commits(l: Logged) -> Recovery {
        match l {
            Logged::Prepared => Recovery::InDoubt,
            _ => Recovery::Abort,
        }
    }
    for (name, rule) in [
        ("abort prepared", abort_prepared as twopc::RecoveryRule),
        ("commit prepared", commit_prepared),
        ("forget commits", forget_commits),
    ] {
        assert!(twopc::judge_recovery(rule).is_err(), "{name} passed the judge");
    }
}

#[test]
fn bad_2pc_configs_are_errors() {
    let wl = twopc::workload(1, 1);
    assert!(twopc::experiment(&TwoPcConfig::new(0), wl.clone()).is_err());
    assert!(twopc::experiment(&TwoPcConfig::new(2).no_voter(3), wl.clone()).is_err());
    let mut c = TwoPcConfig::new(2);
    c.force_ms = -1.0;
    assert!(twopc::experiment(&c, wl).is_err());
    assert!(twopc::blocking_run(&TwoPcConfig::new(2), -5.0).is_err());
    assert!(twopc::blocking_sweep(&TwoPcConfig::new(2), &[]).is_err());
    assert!(twopc::log_costs(1, Variant::Basic).is_err());
}

// ---- sagas -----------------------------------------------------------------------------------

fn dup_net() -> Network {
    Network::new(Dist::Uniform { lo: 1.0, hi: 3.0 }).with_duplicate(0.2)
}

#[test]
fn sagas_keep_seats_and_all_or_nothing_with_duplicates() {
    let cfg = SagaConfig::new(3).network(dup_net());
    let r = saga::experiment(&cfg).unwrap().sweep(0..30, Sweep::StopAtFirst).unwrap();
    assert!(r.passed(), "{r}");
}

#[test]
fn a_non_idempotent_compensation_is_caught_under_duplication() {
    let cfg = SagaConfig::new(3).network(dup_net()).bugs(saga::Bug::NonIdempotentCompensation);
    let r = saga::experiment(&cfg).unwrap().sweep(0..30, Sweep::StopAtFirst).unwrap();
    assert!(!r.passed());
    assert!(r.violations()[0].property == "seats conserved");
    // and without duplicates it hides (resends happen only for late answers)
    let quiet = SagaConfig::new(3)
        .network(Network::new(Dist::Constant { value: 1.0 }))
        .bugs(saga::Bug::NonIdempotentCompensation);
    assert!(saga::experiment(&quiet).unwrap().run(1).unwrap().passed());
}

#[test]
fn skipping_compensation_is_caught() {
    let cfg = SagaConfig::new(3).bugs(saga::Bug::NoCompensation);
    assert!(!saga::experiment(&cfg).unwrap().sweep(0..10, Sweep::StopAtFirst).unwrap().passed());
}

#[test]
fn sagas_expose_bookings_that_are_later_compensated() {
    let rows = saga::dirty_read_sweep(&SagaConfig::new(3), 0..10).unwrap();
    assert!(rows.iter().all(|r| r.2 <= r.1));
    assert!(rows.iter().map(|r| r.2).sum::<usize>() > 0);
    let none = saga::dirty_read_sweep(&SagaConfig::new(3).fail_last(0.0), 0..5).unwrap();
    assert!(none.iter().all(|r| r.1 == 0 && r.2 == 0));
}

#[test]
fn bad_saga_configs_are_errors() {
    assert!(saga::experiment(&SagaConfig::new(0)).is_err());
    assert!(saga::experiment(&SagaConfig::new(2).fail_last(1.5)).is_err());
}

// ---- distributed deadlock ---------------------------------------------------------------------

#[test]
fn the_cross_site_cycle_is_invisible_locally_and_found_globally() {
    for d in [Detection::EdgeChasing, Detection::GlobalGraph { period_ms: 20.0 }] {
        let out = deadlock::cross_site_cycle(d).unwrap();
        assert!(out.local_graphs_acyclic, "{d:?}");
        assert!(out.union_has_cycle, "{d:?}");
        assert_eq!(out.analysis.true_aborts, 1, "{d:?}: one victim");
        assert_eq!(out.analysis.false_aborts, 0, "{d:?}");
        assert_eq!(out.analysis.committed, 1, "{d:?}: the other proceeds");
        assert_eq!(out.analysis.unresolved_cycles, 0);
    }
    // with no detection at all (a timeout longer than the run) the cycle stands
    let stuck = deadlock::cross_site_cycle(Detection::Timeout { timeout_ms: 10_000.0 }).unwrap();
    assert_eq!(stuck.analysis.unresolved_cycles, 1);
    assert_eq!(stuck.analysis.committed, 0);
}

#[test]
fn find_cycle_finds_cycles_and_only_cycles() {
    assert_eq!(deadlock::find_cycle(&[(0, 1), (1, 2)]), None);
    let c = deadlock::find_cycle(&[(0, 1), (1, 2), (2, 0)]).unwrap();
    assert_eq!(c.len(), 3);
    assert!(deadlock::find_cycle(&[(5, 5)]).is_some());
}

#[test]
fn short_timeouts_abort_slow_transactions_long_ones_detect_late() {
    let base = deadlock::DeadlockConfig::new(3, 8, Detection::EdgeChasing);
    let ds = [
        Detection::Timeout { timeout_ms: 5.0 },
        Detection::Timeout { timeout_ms: 200.0 },
        Detection::EdgeChasing,
    ];
    let p = deadlock::timeout_sweep(&base, &ds, 0..20).unwrap();
    assert!(p[0].false_aborts > 4 * p[1].false_aborts, "{p:?}");
    assert!(p[1].mean_detection_ms > 100.0, "{p:?}");
    assert_eq!(p[2].false_aborts, 0, "{p:?}");
    assert!(p[2].mean_detection_ms < 20.0, "{p:?}");
}

#[test]
fn bad_deadlock_configs_are_errors() {
    assert!(
        deadlock::experiment(&deadlock::DeadlockConfig::new(0, 2, Detection::EdgeChasing)).is_err()
    );
    let mut c = deadlock::DeadlockConfig::new(1, 2, Detection::Timeout { timeout_ms: -1.0 });
    assert!(deadlock::experiment(&c).is_err());
    c.detection = Detection::EdgeChasing;
    c.locks_per_txn = 5;
    assert!(deadlock::experiment(&c).is_err());
}

/// Every run-dependent claim of notebooks/16_section_distributed.ipynb, with the cells' own
/// parameters and seeds.
#[test]
fn notebook_16_distributed_prose_holds() {
    let cfg = TwoPcConfig::new(3);
    // "the wait is the downtime plus a constant … 7 ms, whatever the downtime"
    for p in twopc::blocking_sweep(&cfg, &[10.0, 50.0, 100.0, 200.0, 400.0, 800.0]).unwrap() {
        assert!((p.in_doubt_ms - p.downtime_ms - 7.0).abs() < 1e-9, "{p:?}");
    }
    // "with the termination protocol" the all-yes case waits just as long; with one
    // participant that had not voted, the peers decide long before the coordinator is back
    let p = twopc::blocking_run(&cfg, 200.0).unwrap();
    let coop = twopc::blocking_run(&cfg.clone().termination(true), 200.0).unwrap();
    assert_eq!(p.in_doubt_ms, coop.in_doubt_ms);
    let lost = crate::sim::FaultSchedule::new().link_down(0, 3, 0.0, 100.0);
    let helped = twopc::blocking_run(&cfg.clone().termination(true).faults(lost), 200.0).unwrap();
    assert!(helped.in_doubt_ms < 40.0, "{helped:?}");
    // "presumed abort saves one forced write at each end and one message per participant, only on aborts"
    let [bc, ba] = twopc::log_costs(3, Variant::Basic).unwrap();
    let [pc, pa] = twopc::log_costs(3, Variant::PresumedAbort).unwrap();
    assert_eq!(
        (bc.coordinator_forced, bc.participant_forced, bc.messages_per_participant),
        (pc.coordinator_forced, pc.participant_forced, pc.messages_per_participant)
    );
    assert_eq!(ba.coordinator_forced - pa.coordinator_forced, 1);
    assert_eq!(ba.participant_forced - pa.participant_forced, 1);
    assert_eq!(ba.messages_per_participant - pa.messages_per_participant, 1);
    // sagas: "yes, often" — a reader saw a booking of a compensated saga in most seeds
    let rows = saga::dirty_read_sweep(&SagaConfig::new(3), 0..8).unwrap();
    assert!(rows.iter().filter(|r| r.2 > 0).count() >= 6, "{rows:?}");
    // the duplicate-message cell: idempotent passes, the bug is caught
    let dup = dup_net();
    assert!(saga::experiment(&SagaConfig::new(3).network(dup.clone()))
        .unwrap()
        .sweep(0..10, Sweep::StopAtFirst)
        .unwrap()
        .passed());
    let bad = SagaConfig::new(3).network(dup).bugs(saga::Bug::NonIdempotentCompensation);
    assert!(!saga::experiment(&bad).unwrap().sweep(0..10, Sweep::StopAtFirst).unwrap().passed());
    // deadlock: the cell's sweep
    let base = deadlock::DeadlockConfig::new(3, 8, Detection::EdgeChasing);
    let mut ds: Vec<Detection> = [5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 400.0]
        .iter()
        .map(|&t| Detection::Timeout { timeout_ms: t })
        .collect();
    ds.push(Detection::EdgeChasing);
    ds.push(Detection::GlobalGraph { period_ms: 20.0 });
    let pts = deadlock::timeout_sweep(&base, &ds, 0..20).unwrap();
    let timeouts = &pts[..7];
    // "a short timeout aborts many transactions that were merely waiting"
    assert!(timeouts[0].false_aborts > 4 * timeouts[6].false_aborts.max(1), "{pts:?}");
    // "a long one aborts far fewer of those, but leaves each deadlock standing for about the
    // timeout, and then also aborts the transactions queued behind the deadlocked ones"
    assert!(10 * timeouts[6].false_aborts < timeouts[0].false_aborts, "{pts:?}");
    assert!(timeouts[6].stuck_aborts > 0, "{pts:?}");
    assert!(timeouts[6].mean_detection_ms > 0.5 * 400.0, "{pts:?}");
    // "edge chasing aborts no transaction that was not on a cycle and finds cycles within a
    // few message delays" (delays are 1–2 ms; probes every 5 ms)
    assert_eq!(pts[7].false_aborts, 0, "{pts:?}");
    assert!(pts[7].mean_detection_ms < 15.0, "{pts:?}");
    // "the global graph is as exact but waits for its next collection round"
    assert_eq!(pts[8].false_aborts, 0, "{pts:?}");
    assert!(pts[8].mean_detection_ms > pts[7].mean_detection_ms, "{pts:?}");
}

// ---- three-phase commit ----------------------------------------------------------------------

/// Skeen 1981: 3PC does not block on a coordinator crash (synchronous model) …
#[test]
fn three_phase_commit_does_not_block_on_a_crash() {
    use super::twopc::three_phase::{crash_run, State};
    for d in [50.0, 500.0] {
        let r = crash_run(d).unwrap();
        assert!(r.atomic, "{r:?}");
        assert!(r.resolved_by_ms < 40.0, "{r:?}");
        assert!(r.states[1..].iter().all(|s| *s == State::Aborted), "{r:?}");
    }
}

/// … and breaks atomicity under a partition.
#[test]
fn three_phase_commit_breaks_under_a_partition() {
    use super::twopc::three_phase::{partition_run, State};
    let r = partition_run().unwrap();
    assert!(!r.atomic, "{r:?}");
    assert_eq!(r.states, vec![State::Committed, State::Committed, State::Aborted, State::Aborted]);
}
