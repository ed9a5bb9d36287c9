//! Properties of `course_lib::clock` over random message schedules: hybrid logical clocks stay
//! within ε of physical time (Kulkarni et al. 2014, Theorem 2) and, like Lamport clocks,
//! respect happens-before (Theorem 1); vector clocks characterise happens-before exactly;
//! NTP's error bound δ/2 holds; commit wait leaves no external-consistency violation.

use course_lib::clock::*;
use course_lib::dist::Dist;
use course_lib::sim::Network;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// 0 ≤ l − pt ≤ ε at every event, whatever the offsets, drifts, delays and sends.
    #[test]
    fn hlc_stays_within_epsilon_of_physical_time(
        seed in any::<u64>(),
        nodes in 2usize..7,
        max_offset_ms in 0.0f64..50.0,
        max_drift_ppm in 0.0f64..500.0,
        mean_delay_ms in 0.1f64..30.0,
        send_probability in 0.1f64..1.0,
    ) {
        let mut cfg = ClockRunConfig::new(nodes, 400.0, max_offset_ms);
        cfg.max_drift_ppm = max_drift_ppm;
        cfg.network = Network::new(Dist::exponential_mean(mean_delay_ms).unwrap());
        cfg.send_probability = send_probability;
        cfg.mean_gap_ms = 4.0;
        let run = run_clocks(&cfg, seed).unwrap();
        prop_assert!(!run.events.is_empty());
        for e in &run.events {
            prop_assert!(e.hlc.l >= e.pt_us, "l < pt at {e:?}");
            prop_assert!(e.hlc.l - e.pt_us <= run.epsilon_us,
                "l − pt = {} > ε = {} at {e:?} (seed {seed})", e.hlc.l - e.pt_us, run.epsilon_us);
        }
    }

    /// e → f (ground truth from process order and messages) ⇔ V(e) < V(f), and
    /// e → f ⇒ L(e) < L(f) and hlc(e) < hlc(f).
    #[test]
    fn clocks_agree_with_happens_before(
        seed in any::<u64>(),
        nodes in 2usize..5,
        max_offset_ms in 0.0f64..20.0,
    ) {
        let mut cfg = ClockRunConfig::new(nodes, 150.0, max_offset_ms);
        cfg.mean_gap_ms = 5.0;
        let run = run_clocks(&cfg, seed).unwrap();
        let hb = run.ground_truth_happened_before();
        for (i, e) in run.events.iter().enumerate() {
            for (j, f) in run.events.iter().enumerate() {
                prop_assert_eq!(hb[i][j], e.vector.happened_before(&f.vector),
                    "events {} and {} (seed {})", i, j, seed);
                if hb[i][j] {
                    prop_assert!(e.lamport < f.lamport);
                    prop_assert!(e.hlc < f.hlc);
                }
                if i != j && !hb[i][j] && !hb[j][i] {
                    prop_assert!(e.vector.concurrent_with(&f.vector));
                }
            }
        }
    }

    /// |θ̂ − θ| ≤ δ/2 for any offsets and any (asymmetric) delays.
    #[test]
    fn ntp_error_within_half_the_round_trip(
        seed in any::<u64>(),
        client_offset in -1000.0f64..1000.0,
        server_offset in -1000.0f64..1000.0,
        up_mean in 0.1f64..100.0,
        down_mean in 0.1f64..100.0,
    ) {
        let client = PhysicalClock::new(client_offset, 0.0).unwrap();
        let server = PhysicalClock::new(server_offset, 0.0).unwrap();
        let up = Dist::exponential_mean(up_mean).unwrap();
        let down = Dist::exponential_mean(down_mean).unwrap();
        let path = NtpPath::new(up, down, 0.5).unwrap();
        let xs = simulate_ntp(&client, &server, &path, 50, 1000.0, seed).unwrap();
        for x in xs {
            prop_assert!(x.error_ms.abs() <= x.sample.error_bound_ms() + 1e-6, "{x:?}");
        }
    }

    /// Spanner's commit wait: no transaction that starts after another finished gets a
    /// smaller or equal timestamp, for any ε and any gaps.
    #[test]
    fn commit_wait_gives_external_consistency(
        seed in any::<u64>(), epsilon in 0.01f64..20.0, gap in 0.0f64..10.0,
    ) {
        let gaps = Dist::uniform(0.0, gap.max(1e-9)).unwrap();
        let s = commit_wait_experiment(epsilon, 2_000, &gaps, true, seed).unwrap();
        prop_assert_eq!(s.violations, 0);
        prop_assert!((s.mean_wait_ms - 2.0 * epsilon).abs() < 1e-6);
    }
}

#[test]
fn bad_clock_parameters_are_named() {
    // the constructor never fails: the run names the first bad parameter
    let err = |cfg: ClockRunConfig| run_clocks(&cfg, 1).unwrap_err().to_string();
    assert!(err(ClockRunConfig::new(1, 10.0, 1.0)).starts_with("nodes = 1"));
    let e = err(ClockRunConfig::new(3, 0.0, 1.0));
    assert_eq!(e, "duration_ms = 0 is out of range: must be a finite number > 0");
    let e = err(ClockRunConfig::new(3, 1.0, -1.0));
    assert_eq!(e, "max_offset_ms = -1 is out of range: must be a finite number >= 0");
    assert!(ClockRunConfig::new(3, 1.0, 0.0).validate().is_ok());
    let mut cfg = ClockRunConfig::new(3, 10.0, 1.0);
    cfg.send_probability = 2.0;
    assert!(run_clocks(&cfg, 1).unwrap_err().to_string().starts_with("send_probability"));
    assert!(commit_wait_experiment(-1.0, 10, &Dist::constant(1.0).unwrap(), true, 1).is_err());
    assert!(TrueTime::new(f64::NAN).is_err());
}
