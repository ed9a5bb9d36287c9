use super::experiment;
use super::*;
use crate::sim::FaultSchedule;

#[test]
fn elects_one_leader_and_replicates() {
    let mut c = Cluster::new(RaftConfig::new(5).unwrap(), 7).unwrap();
    c.run_until_ms(1_000.0);
    let (leader, term) = c.leader().expect("a leader");
    assert!(term >= 1);
    for k in 0..5 {
        c.put(leader, k, 10 + k).unwrap();
    }
    c.get(leader, 3).unwrap();
    c.run_until_ms(1_500.0);
    assert!(c.violation().is_none(), "{:?}", c.violation());
    let answers = c.answers();
    assert_eq!(answers.len(), 6);
    assert!(answers.iter().any(|a| a.2 == KvResponse::Value(Some(13))));
    for i in 0..5 {
        let n = c.node(i).unwrap();
        assert_eq!(n.kv().get(&4), Some(&14), "n{i}");
        assert_eq!(n.commit_index(), n.log().len());
    }
}

#[test]
fn follower_redirects_to_leader() {
    let mut c = Cluster::new(RaftConfig::new(3).unwrap(), 1).unwrap();
    c.run_until_ms(800.0);
    let (leader, _) = c.leader().unwrap();
    let other = (leader + 1) % 3;
    c.put(other, 1, 1).unwrap();
    c.run_until_ms(900.0);
    assert_eq!(c.answers()[0].2, KvResponse::NotLeader(Some(leader)));
}

#[test]
fn leader_crash_elects_a_new_leader_and_keeps_committed_entries() {
    let cfg = RaftConfig::new(5).unwrap();
    let mut c = Cluster::builder(cfg).seed(3).build().unwrap();
    c.run_until_ms(600.0);
    let (l1, t1) = c.leader().unwrap();
    c.put(l1, 1, 99).unwrap();
    c.run_until_ms(700.0);
    // crash the leader through a fresh cluster with the same seed and a crash at 700 ms
    let faults = FaultSchedule::new().crash(l1, 700.0).restart(l1, 1_500.0);
    let mut c = Cluster::builder(cfg).seed(3).faults(faults).build().unwrap();
    c.run_until_ms(600.0);
    c.put(l1, 1, 99).unwrap();
    c.run_until_ms(2_500.0);
    assert!(c.violation().is_none(), "{:?}", c.violation());
    let (l2, t2) = c.leader().unwrap();
    assert!(t2 > t1 && l2 != l1 || t2 > t1);
    for i in 0..5 {
        assert_eq!(c.node(i).unwrap().kv().get(&1), Some(&99), "n{i}");
    }
}

#[test]
fn workload_history_is_linearizable() {
    let mut c = Cluster::builder(RaftConfig::new(5).unwrap())
        .seed(11)
        .workload(Workload::new(4, 20).unwrap())
        .build()
        .unwrap();
    c.run_until_ms(3_000.0);
    assert!(c.check_history().unwrap().is_none());
    let h = c.history().unwrap();
    assert_eq!(h.len(), 80);
}

/// The CI sweep (issue 6): the correct algorithm survives 1000 seeded fault schedules (loss,
/// duplication, reordering, partitions, crashes/restarts), monitors after every step and
/// linearizability of every client history.
#[test]
fn correct_raft_survives_1000_seeded_fault_schedules() {
    let p = FaultProfile::standard(RaftConfig::new(5).unwrap()).unwrap();
    let r = sweep(&p, 0..1000).unwrap();
    assert_eq!(r.runs, 1000);
    assert!(r.passed(), "{r}");
}

fn first_catch(profile: &FaultProfile, seeds: u64) -> Violation {
    let r = sweep(profile, 0..seeds).unwrap();
    r.violation.unwrap_or_else(|| panic!("{} not caught in {seeds} seeds", profile.raft.bug))
}

fn aggressive(bug: Bug) -> FaultProfile {
    FaultProfile::aggressive(RaftConfig::new(5).unwrap().with_bug(bug)).unwrap()
}

#[test]
fn vote_twice_is_caught_by_election_safety() {
    let v = first_catch(&aggressive(Bug::VoteTwice), 20);
    assert_eq!(v.property, Property::ElectionSafety, "{v}");
    // the report carries a replayed trace tail ending at the violating step
    assert!(!v.trace.is_empty() && v.trace.len() <= experiment::TRACE_TAIL, "{v}");
    assert!(v.to_string().contains(&format!("seed {}", v.seed)));
}

#[test]
fn skipping_the_up_to_date_check_is_caught() {
    let v = first_catch(&aggressive(Bug::SkipLogCheck), 20);
    assert!(
        matches!(v.property, Property::LeaderCompleteness | Property::StateMachineSafety),
        "{v}"
    );
}

#[test]
fn applying_uncommitted_entries_is_caught_by_the_monitor_and_by_linearizability() {
    let v = first_catch(&aggressive(Bug::ApplyUncommitted), 20);
    assert_eq!(v.property, Property::StateMachineSafety, "{v}");
    // Without the monitors, the clients' history alone gives the bug away.
    let p = aggressive(Bug::ApplyUncommitted);
    let caught = (0..40).find(|&seed| {
        let mut c = p.cluster(seed).unwrap();
        c.spec.monitors = false;
        c.run_until_ms(p.duration_ms);
        c.check_history().unwrap().is_some_and(|v| v.property == Property::Linearizability)
    });
    assert!(caught.is_some(), "the linearizability checker missed it in 40 seeds");
}

/// Figure 8: counting replicas of an old-term entry commits it, and a later leader overwrites
/// it. The scenario catches the bug in most seeds and never flags the correct rule.
#[test]
fn committing_a_previous_terms_entry_is_caught_in_the_figure_8_scenario() {
    let run = |bug, seed| {
        let mut c = scenarios::figure8(bug, seed).unwrap();
        c.run_until_ms(1_500.0);
        c.violation().cloned()
    };
    let v = (0..20).find_map(|seed| run(Bug::CommitPreviousTerm, seed)).expect("caught within 20 seeds");
    assert_eq!(v.property, Property::LeaderCompleteness, "{v}");
    for seed in 0..100 {
        assert!(run(Bug::None, seed).is_none(), "correct Raft flagged at seed {seed}");
    }
}

#[test]
fn a_vote_not_persisted_is_caught_when_the_voter_crashes() {
    let run = |bug, seed| {
        let mut c = scenarios::forgotten_vote(bug, seed).unwrap();
        c.run_until_ms(2_000.0);
        c.violation().cloned()
    };
    let v = (0..50).find_map(|seed| run(Bug::ForgetVoteOnCrash, seed)).expect("caught within 50 seeds");
    assert_eq!(v.property, Property::ElectionSafety, "{v}");
    for seed in 0..100 {
        assert!(run(Bug::None, seed).is_none(), "correct Raft flagged at seed {seed}");
    }
}

#[test]
fn correct_raft_survives_the_aggressive_profile() {
    let r = sweep(&aggressive(Bug::None), 0..100).unwrap();
    assert!(r.passed(), "{r}");
}
