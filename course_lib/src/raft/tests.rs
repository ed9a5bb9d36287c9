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
