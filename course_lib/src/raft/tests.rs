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

fn first_catch(bug: Bug, seeds: u64) -> Violation {
    let p = FaultProfile::standard(RaftConfig::new(5).unwrap().with_bug(bug)).unwrap();
    let r = sweep(&p, 0..seeds).unwrap();
    let v = r.violation.unwrap_or_else(|| panic!("{bug} not caught in {seeds} seeds"));
    eprintln!("{bug}: caught at seed {} by {}: {}", v.seed, v.property, v.detail);
    v
}

#[test]
fn planted_bugs_probe() {
    let p = FaultProfile::aggressive(RaftConfig::new(5).unwrap()).unwrap();
    let r = sweep(&p, 0..300).unwrap();
    eprintln!("correct on aggressive: {r}");
    for (loss, crashes, clients) in [(0.05, 16, 3), (0.2, 16, 3), (0.1, 30, 6), (0.3, 30, 6)] {
        let mut p = FaultProfile::aggressive(RaftConfig::new(5).unwrap().with_bug(Bug::CommitPreviousTerm)).unwrap();
        p.loss = loss; p.crashes = crashes; p.workload.clients = clients;
        let r = sweep(&p, 0..300).unwrap();
        eprintln!("fig8 variant {loss} {crashes} {clients}: {r}");
    }
    for bug in Bug::ALL {
        let p = FaultProfile::aggressive(RaftConfig::new(5).unwrap().with_bug(bug)).unwrap();
        let r = sweep(&p, 0..300).unwrap();
        match r.violation {
            Some(v) => eprintln!("{bug}: seed {} {}: {}", v.seed, v.property, v.detail),
            None => eprintln!("{bug}: NOT CAUGHT"),
        }
    }
}
