use super::workshop::{run_all, run_scenario, sharded_store, workshop_config, Scenario};
use super::*;
use crate::sim::Link;

fn busy() -> Workload {
    // few keys, many operations: reads often follow writes closely
    Workload::new(10, 400.0, 800.0, 1_000.0).unwrap()
}

#[test]
fn intersecting_quorums_never_read_stale_and_the_checker_catches_it_when_they_do_not() {
    for (r, w) in [(2, 2), (1, 3), (3, 1)] {
        let rep = Experiment::new(ReplicationConfig::quorum(3, r, w).unwrap())
            .workload(busy())
            .seed(3)
            .run()
            .unwrap();
        assert!(rep.successful_reads() > 500);
        assert_eq!(rep.stale_reads(), 0, "R = {r}, W = {w}");
    }
    // planted bug: R + W = N. The staleness checker must see stale reads.
    let rep = Experiment::new(ReplicationConfig::quorum(3, 1, 1).unwrap())
        .workload(busy())
        .seed(3)
        .run()
        .unwrap();
    assert!(rep.stale_reads() > 10, "only {} stale reads with R = W = 1", rep.stale_reads());
    let rep = Experiment::new(ReplicationConfig::quorum(3, 1, 2).unwrap())
        .workload(busy())
        .seed(3)
        .run()
        .unwrap();
    assert!(rep.stale_reads() > 0);
}

#[test]
fn same_seed_same_report() {
    let e = Experiment::new(ReplicationConfig::quorum(3, 2, 2).unwrap()).seed(9);
    let a = e.run().unwrap();
    let b = e.run().unwrap();
    assert_eq!(a.ops, b.ops);
    assert_eq!(a.lag, b.lag);
    assert_ne!(a.ops, e.clone().seed(10).run().unwrap().ops);
}

/// Write latency is the W-th fastest acknowledgement. With instant requests and exponential
/// replies of mean 1 ms, E[T₍W₎] = Σ_{i<W} 1/(N − i) (Rényi), within 5 standard errors.
#[test]
fn write_latency_is_the_w_th_order_statistic() {
    let n = 5;
    for w in [1, 3, 5] {
        let config = ReplicationConfig::quorum(n, 1, w).unwrap();
        let base = Experiment::new(config).coordinators(1);
        let c = base.coordinator_id(0);
        let mut net = Network::new(Dist::exponential_mean(1.0).unwrap());
        for r in 0..n {
            net = net.with_link(c, r, Link::new(Dist::constant(0.0).unwrap()));
        }
        let rep = base
            .network(net)
            .workload(Workload::new(50, 2_000.0, 0.0, 2_000.0).unwrap())
            .seed(5)
            .run()
            .unwrap();
        let lat = rep.write_latencies_ms();
        assert!(lat.len() > 3_500);
        let mean = lat.iter().sum::<f64>() / lat.len() as f64;
        let expect: f64 = (0..w).map(|i| 1.0 / (n - i) as f64).sum();
        let var: f64 = (0..w).map(|i| 1.0 / ((n - i) as f64).powi(2)).sum();
        let se = (var / lat.len() as f64).sqrt();
        assert!((mean - expect).abs() < 5.0 * se, "W = {w}: mean {mean} vs {expect} ± {se}");
    }
}

#[test]
fn synchronous_writes_wait_for_the_slowest_and_async_for_the_fastest() {
    // one replica behind a slow link: synchronous writes pay for it, asynchronous do not
    let slow = |e: Experiment| {
        let c0 = e.coordinator_id(0);
        let c1 = e.coordinator_id(1);
        let slow = Link::new(Dist::constant(20.0).unwrap());
        let net = default_network().with_link_both(c0, 2, slow.clone()).with_link_both(c1, 2, slow);
        e.network(net).seed(2).run().unwrap()
    };
    let sync = slow(Experiment::new(ReplicationConfig::synchronous(3).unwrap()));
    let asy = slow(Experiment::new(ReplicationConfig::asynchronous(3).unwrap()));
    assert!(sync.write_latency_percentile(0.5).unwrap() >= 40.0);
    assert!(asy.write_latency_percentile(0.5).unwrap() < 5.0);
    // asynchronous: the slow replica lags ~20 ms behind; synchronous: nobody lags at ack time
    let max_lag = |r: &RunReport| r.lag_ms_series(2).iter().map(|p| p.1).fold(0.0, f64::max);
    assert!(max_lag(&asy) >= 15.0, "{}", max_lag(&asy));
    assert_eq!(sync.stale_reads(), 0);
}

#[test]
fn read_repair_brings_a_restarted_replica_up_to_date() {
    // n0 down 100–600 ms; writes stop at 600; only reads (and their repairs) can fix it
    let wl = Workload::new(10, 300.0, 300.0, 2_000.0).unwrap().writes_until(600.0).unwrap();
    let faults = FaultSchedule::new().crash(0, 100.0).restart(0, 600.0);
    let run = |repair: bool| {
        Experiment::new(ReplicationConfig::quorum(3, 2, 2).unwrap().with_read_repair(repair))
            .workload(wl.clone())
            .faults(faults.clone())
            .seed(4)
            .run()
            .unwrap()
    };
    let with = run(true);
    let without = run(false);
    assert!(with.stale_keys_series(0).iter().any(|p| p.0 > 600.0 && p.1 > 0.0));
    let rec = with.recovery_ms(0, 600.0).expect("read repair fixes n0");
    assert!(rec < 600.0, "{rec}");
    assert_eq!(without.recovery_ms(0, 600.0), None);
    assert_eq!(with.stale_reads(), 0);
    assert_eq!(without.stale_reads(), 0);
    // catch-up on restart: fixed within a few round trips
    let caught = Experiment::new(ReplicationConfig::quorum(3, 2, 2).unwrap().with_catch_up(true))
        .workload(wl)
        .faults(faults)
        .seed(4)
        .run()
        .unwrap();
    assert!(caught.recovery_ms(0, 600.0).unwrap() <= 30.0);
}

#[test]
fn sloppy_quorum_keeps_writes_available_and_hinted_handoff_returns_them() {
    // two of three home replicas down 200–500 ms: a strict W = 2 quorum cannot write
    let faults =
        FaultSchedule::new().crash(1, 200.0).crash(2, 200.0).restart(1, 500.0).restart(2, 500.0);
    let wl = Workload::new(10, 200.0, 200.0, 1_000.0).unwrap().writes_until(500.0).unwrap();
    let run = |config: ReplicationConfig| {
        Experiment::new(config).workload(wl.clone()).faults(faults.clone()).seed(6).run().unwrap()
    };
    let strict = run(ReplicationConfig::quorum(3, 2, 2).unwrap().with_read_repair(false));
    assert!(strict.write_availability(200.0, 400.0) < 0.05);
    let sloppy = run(ReplicationConfig::quorum(3, 2, 2)
        .unwrap()
        .with_read_repair(false)
        .with_sloppy_quorum(2, true)
        .unwrap());
    assert!(sloppy.write_availability(200.0, 400.0) > 0.95);
    assert_eq!(sloppy.hints_left, 0, "every hint handed back");
    // after handoff the restarted replicas are up to date without any read repair
    assert!(sloppy.recovery_ms(1, 500.0).unwrap() < 100.0);
    assert!(sloppy.recovery_ms(2, 500.0).unwrap() < 100.0);
    // without handoff the hints stay with the fallbacks and the replicas stay behind
    let no_handoff = run(ReplicationConfig::quorum(3, 2, 2)
        .unwrap()
        .with_read_repair(false)
        .with_sloppy_quorum(2, false)
        .unwrap());
    assert!(no_handoff.hints_left > 0);
    assert_eq!(no_handoff.recovery_ms(1, 500.0), None);
}

#[test]
fn workshop_scenarios() {
    let config = workshop_config().unwrap();
    let reports = run_all(&config, 1).unwrap();
    let [a, b, c] = [&reports[0], &reports[1], &reports[2]];

    // (a) a replica crashes with a write in flight: W = 2 of the two others still succeeds
    assert_eq!(a.scenario, Scenario::NodeFailureDuringWrite);
    assert_eq!(a.availability, 1.0);
    assert_eq!(a.stale_reads, 0);
    let probe = a.run.ops.iter().find(|o| o.write && o.issued_ms == 300.0).unwrap();
    assert!(probe.ok, "the write during the failure succeeded");
    let acked_at = 300.0 + probe.latency_ms.unwrap();
    let first_after = a.run.lag.iter().find(|s| s.t_ms >= acked_at).unwrap();
    assert!(first_after.stale_keys[0] >= 1, "n0 crashed before the write reached it");
    assert!(a.recovery_ms.is_some());

    // (b) minority partition: the majority side stays available, the isolated coordinator
    // does not; nothing stale; the isolated replicas are repaired after the heal
    assert_eq!(b.availability_by_coordinator[0], 1.0);
    assert_eq!(b.availability_by_coordinator[1], 0.0);
    assert!(b.availability > 0.3 && b.availability < 0.7);
    assert_eq!(b.stale_reads, 0);
    assert_eq!(b.affected, vec![0, 3, 6]);
    assert!(b.recovery_ms.is_some());

    // (c) long downtime: available throughout, never stale, repaired by reads
    assert_eq!(c.availability, 1.0);
    assert_eq!(c.stale_reads, 0);
    let rec = c.recovery_ms.expect("read repair fixes n0");
    assert!(rec > 20.0, "recovery by read repair takes many reads: {rec}");

    // planted bugs: R + W ≤ N gives stale reads after the long downtime; a broken resolver
    // (keep whatever is stored: writes never overwrite) gives stale reads everywhere
    let r1 = ReplicationConfig::quorum(3, 1, 2).unwrap();
    assert!(run_scenario(Scenario::LongDowntime, &r1, 1).unwrap().stale_reads > 0);
    fn first(c: &[Versioned]) -> Option<Versioned> {
        c.first().copied()
    }
    let broken = config.clone().with_resolver(first);
    for s in Scenario::ALL {
        assert!(run_scenario(s, &broken, 1).unwrap().stale_reads > 0, "{s}");
    }
    // catch-up repairs (c) within a few round trips
    let fast = run_scenario(Scenario::LongDowntime, &config.with_catch_up(true), 1).unwrap();
    assert!(fast.recovery_ms.unwrap() <= 30.0);
}

#[test]
fn workshop_ring_spreads_keys_over_three_shards() {
    let e = sharded_store(&workshop_config().unwrap(), 3, 1).unwrap();
    let p = e.placement().unwrap();
    let mut per = [0; 3];
    for k in 0..super::workshop::KEYS {
        per[p.shard_of(k)] += 1;
        assert_eq!(p.replicas(k).len(), 3);
    }
    assert!(per.iter().all(|&c| c >= 10), "{per:?}");
    // the VNODES claim: with 256 points per shard every shard owns 30–36 % of the ring
    for (_, share) in p.ring().ownership() {
        assert!((0.30..0.36).contains(&share), "{share}");
    }
    assert_eq!(e.cluster_size(), 11);
}

#[test]
fn last_writer_wins_breaks_ties_by_node() {
    let v = |ts, node, value| Versioned { value, version: Version { ts_ns: ts, node } };
    assert_eq!(last_writer_wins(&[v(5, 1, 10), v(7, 0, 20)]), Some(v(7, 0, 20)));
    assert_eq!(last_writer_wins(&[v(5, 9, 10), v(5, 3, 20)]), Some(v(5, 9, 10)));
    assert_eq!(last_writer_wins(&[v(5, 3, 20), v(5, 9, 10)]), Some(v(5, 9, 10)));
}

#[test]
fn bad_input_names_the_parameter() {
    let msg = |e: Error| e.to_string();
    assert!(msg(ReplicationConfig::quorum(3, 0, 2).unwrap_err()).starts_with("R = 0"));
    assert!(msg(ReplicationConfig::quorum(3, 4, 2).unwrap_err()).contains("N = 3"));
    assert!(msg(ReplicationConfig::quorum(3, 2, 4).unwrap_err()).starts_with("W = 4"));
    assert!(msg(ReplicationConfig::quorum(3, 2, 0).unwrap_err()).starts_with("W = 0"));
    assert!(msg(ReplicationConfig::quorum(0, 1, 1).unwrap_err()).starts_with("N = 0"));
    let c = ReplicationConfig::quorum(3, 2, 2).unwrap();
    assert!(msg(c.clone().with_timeout_ms(f64::NAN).unwrap_err()).starts_with("timeout_ms"));
    assert!(msg(c.clone().with_sloppy_quorum(0, true).unwrap_err()).starts_with("fallbacks = 0"));
    assert!(msg(sharded_store(&c, 0, 1).unwrap_err()).starts_with("shards = 0"));
    assert!(msg(Experiment::new(c.clone()).shards(0).run().unwrap_err()).starts_with("shards = 0"));
    assert!(msg(Experiment::new(c.clone()).coordinators(0).run().unwrap_err())
        .starts_with("coordinators = 0"));
    assert!(msg(Workload::new(0, 1.0, 1.0, 1.0).unwrap_err()).starts_with("keys = 0"));
    assert!(msg(Workload::new(5, -1.0, 1.0, 1.0).unwrap_err()).starts_with("writes_per_s"));
    assert!(msg(Workload::new(5, 1.0, f64::NAN, 1.0).unwrap_err()).starts_with("reads_per_s"));
    assert!(msg(Workload::new(5, 1.0, 1.0, 0.0).unwrap_err()).starts_with("duration_ms"));
    let e = Experiment::new(c.clone()).request(1.0, 5, KvRequest::Get { key: 1 });
    assert!(msg(e.run().unwrap_err()).starts_with("coordinator = 5"));
    // a config edited by hand is checked when the experiment runs
    let mut bad = c.clone();
    bad.w = 7;
    assert!(msg(Experiment::new(bad).run().unwrap_err()).starts_with("W = 7"));
    // percentiles of a run: q is checked, and an empty sample says which operations
    let no_reads = Experiment::new(c.clone())
        .workload(Workload::new(5, 100.0, 0.0, 100.0).unwrap())
        .seed(1)
        .run()
        .unwrap();
    assert!(msg(no_reads.write_latency_percentile(1.5).unwrap_err()).starts_with("q = 1.5"));
    assert!(no_reads.write_latency_percentile(0.5).is_ok());
    let e = no_reads.read_latency_percentile(0.5).unwrap_err();
    assert!(matches!(e, Error::Empty { .. }), "{e:?}");
    assert!(msg(e).contains("no read succeeded"));
}
