//! Tests of the coordination scenarios: Kleppmann's pause and drift cases, fencing over many
//! random fault schedules, lease safety within and beyond the drift bound, bad input.

use super::*;
use crate::rng::SimRng;
use crate::sim::Stream;

/// A random scenario: 2–4 clients, 0–3 pauses of up to three leases, clock drift within ±ρ or
/// (when `wild`) up to ±5 % against a 100 ppm margin, 0–5 % loss, exponential delays.
fn random_config(rng: &mut SimRng, fencing: bool, wild: bool) -> CoordConfig {
    let clients = 2 + rng.below(3) as usize;
    let lease = [200.0, 500.0, 1_000.0][rng.below(3) as usize];
    let mut cfg = CoordConfig::new(clients, lease)
        .fencing(fencing)
        .assumed_drift_ppm(1_000.0)
        .work_ms(rng.uniform_range(0.0, lease / 5.0))
        .ops_per_hold(1 + rng.below(6) as u32)
        .network(
            Network::new(Dist::exponential_mean(rng.uniform_range(1.0, 10.0)).unwrap())
                .with_loss(rng.uniform_range(0.0, 0.05))
                .with_fifo(true),
        )
        .duration_ms(4.0 * lease);
    let bound = if wild { 50_000.0 } else { 1_000.0 };
    cfg = cfg.server_drift_ppm(rng.uniform_range(-bound, bound));
    for c in 0..clients {
        cfg = cfg.client_drift_ppm(c, rng.uniform_range(-bound, bound));
    }
    for _ in 0..rng.below(4) {
        let c = rng.below(clients as u64) as usize;
        let at = rng.uniform_range(0.0, 3.0 * lease);
        cfg = cfg.pause(c, at, rng.uniform_range(0.0, 3.0 * lease));
    }
    cfg
}

#[test]
fn kleppmann_pause_corrupts_data_without_fencing() {
    let r = run(&CoordConfig::kleppmann(false), 1).unwrap();
    assert!(r.violated(), "{}", r.summary());
    assert!(r.stale_accepted() >= 1 && r.lost_updates() >= 1, "{}", r.summary());
    assert_eq!(r.rejected(), 0);
    // c1's increments vanished: the counter is below the acknowledged increments
    assert!(r.missing_increments() >= 3, "{}", r.summary());
    // the stale write is c0's, with token 1, after c1 used token 2
    let stale = r.storage_log().iter().find(|o| o.stale).unwrap();
    assert_eq!((stale.client, stale.token), (0, 1));
    assert!(stale.at_ms > 1_600.0);
    // the lease itself was never unsafe: c0's belief ended long before c1's grant
    assert_eq!(r.lease_safety_violations(), 0);
    assert_eq!(r.belief_overlaps(), 0);
}

#[test]
fn kleppmann_pause_is_safe_with_fencing() {
    let r = run(&CoordConfig::kleppmann(true), 1).unwrap();
    assert!(!r.violated(), "{}", r.summary());
    assert_eq!(r.rejected(), 1);
    assert_eq!(r.missing_increments(), 0);
    assert_eq!(r.final_value(), r.acknowledged_writes());
    let rejected = r.storage_log().iter().find(|o| !o.accepted).unwrap();
    assert_eq!((rejected.client, rejected.token), (0, 1));
}

#[test]
fn slow_clock_breaks_the_lease_and_fencing_saves_the_data() {
    let u = run(&CoordConfig::kleppmann_drift(false), 1).unwrap();
    assert!(u.lease_safety_violations() > 0 && u.belief_overlaps() > 0, "{}", u.summary());
    assert!(u.violated(), "{}", u.summary());
    let f = run(&CoordConfig::kleppmann_drift(true), 1).unwrap();
    assert!(f.lease_safety_violations() > 0, "the lease is just as broken");
    assert!(!f.violated() && f.rejected() > 0, "{}", f.summary());
}

#[test]
fn fencing_never_accepts_a_stale_request_over_1000_seeds() {
    let mut unfenced_bad = 0;
    for seed in 0..1_000u64 {
        let mut rng = Stream::Scenario("coord random configs", 0).rng(seed);
        let wild = seed % 2 == 0;
        let cfg = random_config(&mut rng.clone(), true, wild);
        let r = run(&cfg, seed).unwrap();
        assert_eq!(r.stale_accepted(), 0, "seed {seed}: {}", r.summary());
        assert_eq!(r.lost_updates(), 0, "seed {seed}: {}", r.summary());
        assert_eq!(r.missing_increments(), 0, "seed {seed}: {}", r.summary());
        assert!(!r.terms_overlap(), "seed {seed}");
        let u = run(&random_config(&mut rng, false, wild), seed).unwrap();
        unfenced_bad += u.violated() as usize;
    }
    // the same schedules without fencing do go wrong, often enough to matter
    assert!(unfenced_bad >= 50, "only {unfenced_bad} unfenced violations");
}

#[test]
fn lease_is_safe_when_drift_is_within_the_margin() {
    for seed in 0..400u64 {
        let mut rng = Stream::Scenario("coord random scenarios", 0).rng(seed);
        let r = run(&random_config(&mut rng, true, false), seed).unwrap();
        assert_eq!(r.lease_safety_violations(), 0, "seed {seed}: {:?}", r.beliefs());
        assert_eq!(r.belief_overlaps(), 0, "seed {seed}");
        assert!(!r.terms_overlap(), "seed {seed}");
    }
}

#[test]
fn lease_can_fail_beyond_the_margin() {
    let broken = (0..200u64)
        .filter(|&seed| {
            let mut rng = Stream::Scenario("coord random scenarios", 0).rng(seed);
            run(&random_config(&mut rng, true, true), seed).unwrap().lease_safety_violations() > 0
        })
        .count();
    assert!(broken >= 10, "{broken}");
}

#[test]
fn leader_election_one_leader_per_term() {
    let cfg = CoordConfig::leader_election(3, 500.0);
    let r = run(&cfg, 3).unwrap();
    let g = r.grants();
    assert!(g.len() >= 2, "{g:?}");
    assert_eq!(g[0].client, 0);
    assert!(g[0].renewals >= 1, "the leader renews while it is alive");
    // c0 paused at 1000 ms for 1000 ms: another candidate took over after its lease ran out
    assert_ne!(g[1].client, 0);
    assert!(g[1].from_ms >= g[0].until_ms && g[1].from_ms < 1_700.0, "{g:?}");
    assert!(!r.terms_overlap());
    assert!(g.windows(2).all(|w| w[1].token == w[0].token + 1));
    assert_eq!(r.lease_safety_violations(), 0);
}

#[test]
fn same_seed_same_run() {
    let cfg = random_config(&mut SimRng::new(5), false, true);
    let a = run(&cfg, 11).unwrap();
    let b = run(&cfg, 11).unwrap();
    assert_eq!(a.storage_log(), b.storage_log());
    assert_eq!(a.grants(), b.grants());
    assert_eq!(a.summary(), b.summary());
}

#[test]
fn safe_validity_formula() {
    assert_eq!(safe_validity_ms(1_000.0, 0.0).unwrap(), 1_000.0);
    let v = safe_validity_ms(1_000.0, 50_000.0).unwrap();
    assert!((v - 1_000.0 * 0.95 / 1.05).abs() < 1e-9);
    // the worst case it protects against: server fast, client slow, both by ρ
    let rho = 0.05;
    assert!(v / (1.0 - rho) <= 1_000.0 / (1.0 + rho) + 1e-9);
}

#[test]
fn bad_input_is_an_error_naming_what_is_allowed() {
    // setters never fail: the run reports the first bad parameter
    let err = |cfg: CoordConfig| run(&cfg, 1).unwrap_err().to_string();
    assert!(err(CoordConfig::new(2, 0.0)).contains("lease_ms = 0"));
    assert!(err(CoordConfig::new(2, -5.0)).contains("> 0"));
    assert!(err(CoordConfig::new(0, 100.0)).contains("between 1 and 16"));
    let e = err(CoordConfig::new(17, 100.0));
    assert_eq!(e, "clients = 17 is out of range: must be between 1 and 16");
    let cfg = CoordConfig::new(2, 100.0);
    assert!(err(cfg.clone().lease_ms(f64::NAN)).contains("lease_ms"));
    let e = err(cfg.clone().pause(0, 10.0, -1.0));
    assert!(e.contains("pause length_ms = -1") && e.contains(">= 0"), "{e}");
    assert!(err(cfg.clone().pause(1, -3.0, 1.0)).starts_with("pause at_ms = -3"));
    let e = err(cfg.clone().pause(5, 10.0, 1.0));
    assert!(e.contains("client in a pause = 5") && e.contains("indices 0..=1"), "{e}");
    let e = err(cfg.clone().client_drift_ppm(2, 0.0));
    assert!(e.starts_with("client in client_drift_ppm = 2") && e.contains("2 client(s)"), "{e}");
    let e = err(cfg.clone().start_ms(usize::MAX, 0.0));
    assert!(e.starts_with(&format!("client in start_ms = {}", usize::MAX)), "{e}");
    assert!(err(cfg.clone().start_ms(1, -1.0)).starts_with("start_ms = -1"));
    let e = err(cfg.clone().client_drift_ppm(0, 200_000.0));
    assert!(e.contains("between -100000 and 100000 ppm"), "{e}");
    assert!(err(cfg.clone().server_drift_ppm(-100_000.0)).starts_with("server_drift_ppm"));
    assert!(err(cfg.clone().assumed_drift_ppm(-1.0)).contains(">= 0"));
    assert!(safe_validity_ms(0.0, 10.0).is_err());
    let e = err(cfg.clone().network(Network::new(Dist::normal(1.0, 5.0).unwrap())));
    assert!(e.contains("a network delay distribution must be >= 0"), "{e}");
    let e = err(cfg.clone().network(Network::new(Dist::constant(1.0).unwrap()).with_loss(1.5)));
    assert!(e.starts_with("loss = 1.5"), "{e}");
    assert!(err(cfg.clone().retry_ms(0.0)).starts_with("retry_ms = 0"));
    assert!(err(cfg.clone().ops_per_hold(0)).starts_with("ops_per_hold = 0"));
    assert!(err(cfg.clone().work_ms(-1.0)).starts_with("work_ms"));
    assert!(err(cfg.clone().think_ms(f64::INFINITY)).starts_with("think_ms"));
    assert!(err(cfg.clone().duration_ms(0.0)).starts_with("duration_ms = 0"));
    // a bad override of a client index is reported even if a good one follows for another
    let e = err(cfg.clone().start_ms(0, 5.0).start_ms(3, 5.0));
    assert!(e.starts_with("client in start_ms = 3"), "{e}");
    // the same check guards the views that run the scenario
    let e = cfg.clone().pause(9, 1.0, 1.0).sequence_diagram(1, 0.0, 10.0).unwrap_err();
    assert!(e.to_string().starts_with("client in a pause = 9"), "{e}");
    assert!(cfg.validate().is_ok() && CoordConfig::kleppmann(true).validate().is_ok());
    assert!(pause_lease_sweep(&[], &[100.0], 1, 0).is_err());
    assert!(pause_lease_sweep(&[-1.0], &[100.0], 1, 0)
        .unwrap_err()
        .to_string()
        .contains("pause_ms"));
    assert!(pause_lease_sweep(&[1.0], &[0.0], 1, 0).unwrap_err().to_string().contains("lease_ms"));
    assert!(pause_lease_sweep(&[1.0], &[1.0], 0, 0).is_err());
    let r = run(&CoordConfig::kleppmann(false), 1).unwrap();
    assert!(r.timeline("t", 10.0, 5.0).is_err());
}

#[test]
fn sweep_shape_and_figures() {
    let s = pause_lease_sweep(&[0.0, 100.0, 3_000.0], &[200.0, 1_000.0], 30, 3).unwrap();
    for row in &s.unfenced {
        assert_eq!(row[0], 0.0, "no pause, no violation");
    }
    assert!(s.unfenced[0][2] > 0.2, "{:?}", s.unfenced);
    assert!(s.unfenced[1][1] == 0.0, "a 100 ms pause cannot outlast a 1 s lease");
    assert!(s.fenced.iter().flatten().all(|&v| v == 0.0));
    assert!(s.fenced_rejections[0][2] > 0.0);
    s.heatmap(false).render().unwrap();
    s.heatmap(true).render().unwrap();
}

#[test]
fn timeline_table_and_diagram_render() {
    let cfg = CoordConfig::kleppmann(false);
    let r = run(&cfg, 1).unwrap();
    let fig = r.timeline("Kleppmann's pause", 0.0, 2_500.0).unwrap().render().unwrap();
    assert!(fig.svg().contains("stale write accepted"));
    assert!(fig.svg().contains("c0 (believes)"));
    let t = r.write_table(50);
    assert!(t.to_html().contains("LOST UPDATE"));
    let d = cfg.sequence_diagram(1, 0.0, 300.0).unwrap();
    assert!(d.render().unwrap().svg().contains("lock server n0"));
    if let Ok(dir) = std::env::var("COORD_FIG_DIR") {
        fig.save(format!("{dir}/timeline.svg")).unwrap();
        let rf = run(&CoordConfig::kleppmann(true), 1).unwrap();
        rf.timeline("fenced", 0.0, 2_500.0)
            .unwrap()
            .render()
            .unwrap()
            .save(format!("{dir}/timeline_f.svg"))
            .unwrap();
        let rd = run(&CoordConfig::kleppmann_drift(false), 1).unwrap();
        rd.timeline("drift", 800.0, 1_300.0)
            .unwrap()
            .render()
            .unwrap()
            .save(format!("{dir}/drift.svg"))
            .unwrap();
        let rl = run(&CoordConfig::leader_election(3, 500.0), 3).unwrap();
        rl.timeline("leader", 0.0, 3_000.0)
            .unwrap()
            .render()
            .unwrap()
            .save(format!("{dir}/leader.svg"))
            .unwrap();
        d.render().unwrap().save(format!("{dir}/seq.svg")).unwrap();
        let s = pause_lease_sweep(
            &[0.0, 50.0, 100.0, 200.0, 500.0, 1_000.0, 2_000.0, 5_000.0],
            &[100.0, 200.0, 500.0, 1_000.0, 2_000.0],
            40,
            1,
        )
        .unwrap();
        s.heatmap(false).render().unwrap().save(format!("{dir}/heat_u.svg")).unwrap();
        s.heatmap(true).render().unwrap().save(format!("{dir}/heat_f.svg")).unwrap();
    }
}
