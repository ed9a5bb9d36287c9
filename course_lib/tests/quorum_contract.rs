//! The public contract of `course_lib::quorum`, as the notebooks call it: closed forms against
//! hand-computed formulas, Monte Carlo against closed forms, determinism, and the error
//! messages a student sees.

use course_lib::quorum::*;
use course_lib::Error;

const TOL: f64 = 1e-12;

fn assert_close(got: f64, want: f64, what: &str) {
    assert!((got - want).abs() <= TOL, "{what}: got {got}, want {want}");
}

fn ps() -> Vec<f64> {
    vec![0.0, 0.1, 0.37, 0.5, 0.9, 0.99, 0.999, 1.0]
}

#[test]
fn majority_matches_hand_computed_polynomials() {
    for p in ps() {
        let q = 1.0 - p;
        assert_close(majority_availability(1, p).unwrap(), p, "n = 1");
        assert_close(majority_availability(2, p).unwrap(), p * p, "n = 2");
        assert_close(majority_availability(3, p).unwrap(), 3.0 * p * p - 2.0 * p.powi(3), "n = 3");
        let five = 10.0 * p.powi(3) * q * q + 5.0 * p.powi(4) * q + p.powi(5);
        assert_close(majority_availability(5, p).unwrap(), five, "n = 5");
        // majority of 4 needs 3: 4p³q + p⁴
        assert_close(
            majority_availability(4, p).unwrap(),
            4.0 * p.powi(3) * q + p.powi(4),
            "n = 4",
        );
    }
}

#[test]
fn at_least_k_edge_cases() {
    for p in ps() {
        for n in 1..=12 {
            assert_eq!(at_least_k_of_n(0, n, p).unwrap(), 1.0);
            assert_close(at_least_k_of_n(n, n, p).unwrap(), p.powi(n as i32), "k = n");
            // at least one up = 1 − qⁿ
            assert_close(
                at_least_k_of_n(1, n, p).unwrap(),
                1.0 - (1.0 - p).powi(n as i32),
                "k = 1",
            );
        }
    }
}

/// Golden table: P(at least k of n up), computed by hand from the binomial sum
/// (every value is exact: checked with rational arithmetic).
#[test]
fn golden_table_at_p_09_and_099() {
    let rows: [(usize, usize, f64, f64); 8] = [
        // (k, n, p, value)
        (2, 3, 0.9, 0.972),
        (2, 3, 0.99, 0.999702),
        (3, 5, 0.9, 0.99144),
        (3, 5, 0.99, 0.9999901494),
        (4, 7, 0.9, 0.997272),
        (2, 5, 0.9, 0.99954),
        (4, 5, 0.9, 0.91854),
        (4, 5, 0.99, 0.9990198504),
    ];
    for (k, n, p, want) in rows {
        assert_close(at_least_k_of_n(k, n, p).unwrap(), want, &format!("k {k} n {n} p {p}"));
    }
}

#[test]
fn quorum_config_availability_and_intersection() {
    let q = QuorumConfig::new(5, 2, 4).unwrap();
    assert!(q.intersects());
    assert!(q.writes_intersect());
    assert_close(q.read_availability(0.9).unwrap(), 0.99954, "read");
    assert_close(q.write_availability(0.9).unwrap(), 0.91854, "write");
    assert_close(q.read_load(), 0.4, "read load");
    assert!(!QuorumConfig::new(3, 1, 2).unwrap().intersects());
    assert!(QuorumConfig::new(3, 2, 2).unwrap().intersects());
    assert!(!QuorumConfig::new(4, 1, 2).unwrap().writes_intersect());
}

fn out_of_range_message(e: Error) -> String {
    assert!(matches!(e, Error::OutOfRange { .. }), "{e:?}");
    e.to_string()
}

#[test]
fn bad_input_names_the_parameter_and_the_range() {
    let m = out_of_range_message(majority_availability(0, 0.5).unwrap_err());
    assert_eq!(m, "n = 0 is out of range: must be at least 1");
    let m = out_of_range_message(at_least_k_of_n(6, 5, 0.5).unwrap_err());
    assert_eq!(m, "k = 6 is out of range: must be between 0 and n = 5");
    for bad in [-0.01, 1.01, f64::NAN, f64::INFINITY] {
        let m = out_of_range_message(majority_availability(3, bad).unwrap_err());
        assert!(m.starts_with("p = ") && m.contains("between 0 and 1"), "{m}");
        let m = out_of_range_message(Topology::independent(3, bad).unwrap_err());
        assert!(m.starts_with("p = "), "{m}");
        let q = QuorumConfig::new(3, 2, 2).unwrap();
        assert!(q.read_availability(bad).is_err() && q.write_availability(bad).is_err());
    }
    assert_eq!(
        QuorumConfig::new(0, 1, 1).unwrap_err().to_string(),
        "N = 0 is out of range: must be at least 1"
    );
    assert_eq!(
        QuorumConfig::new(3, 4, 2).unwrap_err().to_string(),
        "R = 4 is out of range: must be between 1 and N = 3"
    );
    assert_eq!(
        QuorumConfig::new(3, 0, 2).unwrap_err().to_string(),
        "R = 0 is out of range: must be between 1 and N = 3"
    );
    assert_eq!(
        QuorumConfig::new(3, 2, 5).unwrap_err().to_string(),
        "W = 5 is out of range: must be between 1 and N = 3"
    );
    assert!(FlexibleQuorum::new(5, 6, 1).unwrap_err().to_string().starts_with("Q1 = 6"));
    assert!(GridQuorum::new(0, 3).unwrap_err().to_string().starts_with("rows = 0"));

    // topologies
    let m = Topology::zones(vec![], 0.9).unwrap_err();
    assert!(matches!(m, Error::Empty { .. }), "{m:?}");
    let m = Topology::zones(vec![Zone { nodes: 0, p_zone_up: 0.9 }], 0.9).unwrap_err();
    assert_eq!(m.to_string(), "zones[0].nodes = 0 is out of range: must be at least 1");
    let m = Topology::zones(
        vec![Zone { nodes: 2, p_zone_up: 0.9 }, Zone { nodes: 2, p_zone_up: f64::NAN }],
        0.9,
    )
    .unwrap_err();
    assert!(m.to_string().starts_with("zones[1].p_zone_up = NaN is out of range"), "{m}");
    let m = Topology::zones(vec![Zone { nodes: 2, p_zone_up: 0.9 }], -1.0).unwrap_err();
    assert!(m.to_string().starts_with("p_node_up = -1"), "{m}");
    let zones = vec![Zone { nodes: 2, p_zone_up: 0.9 }, Zone { nodes: 2, p_zone_up: 0.9 }];
    let m = Topology::zones_of_n(5, zones.clone(), 0.9).unwrap_err().to_string();
    assert!(m.contains("hold 4 node(s)") && m.contains("N = 5"), "{m}");
    let t = Topology::zones(zones, 0.9).unwrap();
    let m = monte_carlo_quorum(&QuorumConfig::new(5, 3, 3).unwrap(), &t, 100, 1).unwrap_err();
    assert!(m.to_string().contains("N = 5"), "{m}");
    let m = monte_carlo_at_least_k(5, &t, 100, 1).unwrap_err().to_string();
    assert_eq!(m, "k = 5 is out of range: must be between 0 and n = 4");
    let m = monte_carlo_at_least_k(2, &t, 0, 1).unwrap_err().to_string();
    assert_eq!(m, "trials = 0 is out of range: must be at least 1");
    assert!(t.at_least_k(5).is_err());
}

#[test]
fn independent_topology_closed_form_is_binomial() {
    for p in ps() {
        let t = Topology::independent(7, p).unwrap();
        for k in 0..=7 {
            assert_close(t.at_least_k(k).unwrap(), at_least_k_of_n(k, 7, p).unwrap(), "zone = bin");
        }
    }
}

#[test]
fn zones_by_hand() {
    // Two zones of one node each, zone up 0.9, node up 0.8: each node up w.p. 0.72, independent.
    let t = Topology::zones(
        vec![Zone { nodes: 1, p_zone_up: 0.9 }, Zone { nodes: 1, p_zone_up: 0.9 }],
        0.8,
    )
    .unwrap();
    assert_close(t.at_least_k(2).unwrap(), 0.72 * 0.72, "both");
    assert_close(t.at_least_k(1).unwrap(), 1.0 - 0.28 * 0.28, "one");
    // One zone of 3 nodes: P(majority) = p_zone · (3p² − 2p³).
    let t = Topology::zones(vec![Zone { nodes: 3, p_zone_up: 0.95 }], 0.9).unwrap();
    assert_close(t.at_least_k(2).unwrap(), 0.95 * 0.972, "zone majority");
    let pmf = t.up_count_pmf();
    assert_eq!(pmf.len(), 4);
    assert_close(pmf[0], 0.05 + 0.95 * 0.001, "nobody up");
}

#[test]
fn monte_carlo_agrees_with_closed_form() {
    let cases = vec![
        (3, Topology::independent(5, 0.9).unwrap()),
        (2, Topology::independent(3, 0.5).unwrap()),
        (
            3,
            Topology::zones(
                vec![
                    Zone { nodes: 2, p_zone_up: 0.95 },
                    Zone { nodes: 2, p_zone_up: 0.9 },
                    Zone { nodes: 1, p_zone_up: 0.99 },
                ],
                0.9,
            )
            .unwrap(),
        ),
    ];
    // Fixed seed, so the outcome is fixed; a 95 % interval misses one seed in twenty (seed 2024
    // does for the second case, at 2.5 sd), which `confidence_intervals_cover_95_percent` checks.
    for (k, t) in cases {
        let exact = t.at_least_k(k).unwrap();
        let e = monte_carlo_at_least_k(k, &t, 2_000_000, 7).unwrap();
        assert!(e.contains(exact), "k {k}: {e} vs exact {exact}");
        assert_eq!(e.trials, 2_000_000);
        assert!(e.ci_high - e.ci_low < 0.002, "{e}");
    }
    let cfg = QuorumConfig::new(5, 2, 4).unwrap();
    let t = Topology::independent(5, 0.9).unwrap();
    let est = monte_carlo_quorum(&cfg, &t, 1_000_000, 7).unwrap();
    assert!(est.read.contains(cfg.read_availability(0.9).unwrap()), "{}", est.read);
    assert!(est.write.contains(cfg.write_availability(0.9).unwrap()), "{}", est.write);
}

/// Across 200 seeds the 95 % interval must cover the true value about 95 % of the time
/// (Binomial(200, 0.95): mean 190, sd 3.1). An interval computed with the wrong z, the wrong
/// standard error or the wrong n lands far outside [180, 199].
#[test]
fn confidence_intervals_cover_95_percent() {
    for (k, t) in [
        (3, Topology::independent(5, 0.8).unwrap()),
        (
            2,
            Topology::zones(
                vec![Zone { nodes: 2, p_zone_up: 0.9 }, Zone { nodes: 2, p_zone_up: 0.8 }],
                0.85,
            )
            .unwrap(),
        ),
    ] {
        let exact = t.at_least_k(k).unwrap();
        let covered = (0..200u64)
            .filter(|&seed| monte_carlo_at_least_k(k, &t, 2_000, seed).unwrap().contains(exact))
            .count();
        assert!((180..=199).contains(&covered), "coverage {covered}/200 for exact {exact}");
    }
}

#[test]
fn same_seed_same_estimate_whatever_the_threads() {
    let t = Topology::zones(
        vec![Zone { nodes: 3, p_zone_up: 0.9 }, Zone { nodes: 2, p_zone_up: 0.99 }],
        0.95,
    )
    .unwrap();
    let trials = 700_001;
    let a = monte_carlo_at_least_k(3, &t, trials, 42).unwrap();
    assert_eq!(a, monte_carlo_at_least_k(3, &t, trials, 42).unwrap());
    for threads in [1, 2, 3, 8] {
        assert_eq!(a, monte_carlo_at_least_k_with_threads(3, &t, trials, 42, threads).unwrap());
    }
    assert_ne!(a, monte_carlo_at_least_k(3, &t, trials, 43).unwrap());
    let t = Topology::independent(5, 0.9).unwrap();
    assert_eq!(
        monte_carlo_at_least_k_with_threads(3, &t, trials, 1, 1).unwrap(),
        monte_carlo_at_least_k_with_threads(3, &t, trials, 1, 5).unwrap()
    );
}

#[test]
fn flexible_paxos_requirement() {
    // Howard, Malkhi & Spiegelman 2016, §3: Q1 + Q2 > N is sufficient.
    assert!(FlexibleQuorum::majority(5).unwrap().check_intersection().is_ok());
    let f = FlexibleQuorum::new(10, 9, 2).unwrap();
    assert!(f.is_safe() && f.check_intersection().is_ok());
    for (n, q1, q2) in [(10, 8, 2), (5, 2, 2), (4, 2, 2), (3, 1, 1)] {
        let f = FlexibleQuorum::new(n, q1, q2).unwrap();
        assert!(!f.is_safe());
        let e = f.check_intersection().unwrap_err();
        assert!(matches!(e, Error::Invalid { .. }));
        let m = e.to_string();
        assert!(m.contains("Q1 + Q2") && m.contains(&format!("N = {n}")), "{m}");
    }
    // Small phase-2 quorums buy phase-2 availability with phase-1 availability.
    let f = FlexibleQuorum::new(10, 9, 2).unwrap();
    let maj = FlexibleQuorum::majority(10).unwrap();
    assert!(f.phase2_availability(0.9).unwrap() > maj.phase2_availability(0.9).unwrap());
    assert!(f.phase1_availability(0.9).unwrap() < maj.phase1_availability(0.9).unwrap());
    assert_close(f.phase2_availability(0.9).unwrap(), at_least_k_of_n(2, 10, 0.9).unwrap(), "Q2");
    assert_close(f.phase2_load(), 0.2, "load");
    assert_close(f.phase1_load(), 0.9, "load");
}

#[test]
fn grid_closed_form_equals_enumeration() {
    for (r, c) in [(3, 3), (2, 4), (4, 2), (1, 5), (5, 1), (3, 4)] {
        let g = GridQuorum::new(r, c).unwrap();
        for p in ps() {
            let (read, write) = g.availability_by_enumeration(p).unwrap();
            assert_close(g.read_availability(p).unwrap(), read, &format!("read {r}x{c} p {p}"));
            assert_close(g.write_availability(p).unwrap(), write, &format!("write {r}x{c} p {p}"));
        }
    }
    assert!(GridQuorum::new(5, 5).unwrap().availability_by_enumeration(0.9).is_err());
}

#[test]
fn loads_match_naor_wool_formulas() {
    // Majority: (⌊n/2⌋ + 1)/n.
    assert_close(majority_load(3).unwrap(), 2.0 / 3.0, "maj 3");
    assert_close(majority_load(4).unwrap(), 0.75, "maj 4");
    assert_close(majority_load(101).unwrap(), 51.0 / 101.0, "maj 101");
    assert!(majority_load(0).is_err());
    // √n × √n grid: write load (2√n − 1)/n, read load 1/√n.
    for d in [2usize, 3, 5, 10, 32] {
        let g = GridQuorum::new(d, d).unwrap();
        let n = (d * d) as f64;
        assert_close(g.write_load(), (2.0 * d as f64 - 1.0) / n, "grid write load");
        assert_close(g.read_load(), 1.0 / d as f64, "grid read load");
        assert_eq!(g.write_quorum_size(), 2 * d - 1);
    }
    // 3 × 4: (r + c − 1)/(r c) = 6/12.
    assert_close(GridQuorum::new(3, 4).unwrap().write_load(), 0.5, "3x4");
    // The grid's load falls like 2/√n, majority's never below 1/2.
    assert!(GridQuorum::new(10, 10).unwrap().write_load() < majority_load(100).unwrap() / 2.0);
}
