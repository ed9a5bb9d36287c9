//! Tests of the PBS module.

use super::*;

/// One WARS trial drawn exactly with `Dist::sample` (slow), as in the authors' simulator.
fn exact_trial(p: &LatencyProfile, n: usize, r: usize, w: usize, t: f64, rng: &mut SimRng) -> bool {
    let mut ws = vec![0.0; n];
    let mut wl = vec![0.0; n];
    let mut rs = vec![0.0; n];
    let mut rl = vec![0.0; n];
    let (wdc, rdc) = match p.wan_ms() {
        Some(_) => (rng.below(n as u64) as usize, rng.below(n as u64) as usize),
        None => (usize::MAX, usize::MAX),
    };
    let extra = p.wan_ms().unwrap_or(0.0);
    for i in 0..n {
        let (mut wi, mut ai) = (p.w().sample(rng), p.a().sample(rng));
        let (mut ri, mut si) = (p.r().sample(rng), p.s().sample(rng));
        if wdc != usize::MAX && i != wdc {
            wi += extra;
            ai += extra;
        }
        if rdc != usize::MAX && i != rdc {
            ri += extra;
            si += extra;
        }
        ws[i] = wi;
        wl[i] = wi + ai;
        rs[i] = ri;
        rl[i] = ri + si;
    }
    let mut sorted = wl.clone();
    sorted.sort_by(f64::total_cmp);
    let w_t = sorted[w - 1];
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&a, &b| rl[a].total_cmp(&rl[b]));
    idx[..r].iter().any(|&j| w_t + rs[j] + t >= ws[j])
}

fn exact(
    p: &LatencyProfile,
    n: usize,
    r: usize,
    w: usize,
    t: f64,
    trials: usize,
    seed: u64,
) -> f64 {
    let mut rng = SimRng::new(seed);
    (0..trials).filter(|_| exact_trial(p, n, r, w, t, &mut rng)).count() as f64 / trials as f64
}

/// |a − b| within `z` standard errors of two independent estimates from `n` trials each.
fn agree(a: f64, b: f64, n: usize, z: f64) -> bool {
    let p = (a + b) / 2.0;
    let se = (2.0 * p * (1.0 - p) / n as f64).sqrt().max(1.0 / n as f64);
    (a - b).abs() <= z * se
}

#[test]
fn tabulated_sampling_agrees_with_exact_sampling() {
    let n = 100_000;
    for (p, ts) in [
        (LatencyProfile::lnkd_ssd(), [0.0, 1.0]),
        (LatencyProfile::lnkd_disk(), [0.0, 10.0]),
        (LatencyProfile::ymmr(), [0.0, 100.0]),
        (LatencyProfile::wan(), [0.0, 80.0]),
    ] {
        for (r, w) in [(1, 1), (1, 2)] {
            for t in ts {
                let fast = t_visibility(&p, 3, r, w, t, n, 11).unwrap();
                let slow = exact(&p, 3, r, w, t, n, 12);
                assert!(
                    agree(fast, slow, n, 4.5),
                    "{} R={r} W={w} t={t}: {fast} vs {slow}",
                    p.name()
                );
            }
        }
    }
}

#[test]
fn the_sampler_reproduces_distribution_quantiles() {
    let mut rng = SimRng::new(5);
    for d in [LatencyProfile::lnkd_disk().w().clone(), LatencyProfile::ymmr().a().clone()] {
        let t = InverseCdfTable::new(&d).unwrap();
        let xs: Vec<f64> = (0..400_000).map(|_| t.sample(rng.next_u64())).collect();
        let qs = [0.1, 0.5, 0.9, 0.99, 0.999];
        for (q, got) in qs.into_iter().zip(crate::stats::quantiles(&xs, &qs).unwrap()) {
            let want = d.quantile(q).unwrap();
            // the sample quantile's own noise: ~ sqrt(q(1-q)/n) / density; compare CDF values
            let f = d.cdf(got);
            assert!(
                (f - q).abs() < 4.0 * (q * (1.0 - q) / 4e5f64).sqrt() + 1e-4,
                "{d} q={q}: {got} vs {want}"
            );
        }
    }
}

#[test]
fn strict_quorums_are_always_consistent() {
    let p = LatencyProfile::ymmr();
    assert_eq!(t_visibility(&p, 3, 2, 2, 0.0, 1000, 1).unwrap(), 1.0);
    assert_eq!(t_visibility(&p, 5, 1, 5, 0.0, 1000, 1).unwrap(), 1.0);
    assert_eq!(time_to_visibility(&p, 3, 3, 1, 0.999, 1000, 1).unwrap(), 0.0);
    assert_eq!(consistency_curve(&p, 3, 2, 2, &[0.0, 1.0], 100, 1).unwrap(), vec![1.0, 1.0]);
}

#[test]
fn same_answer_for_any_thread_count() {
    let p = LatencyProfile::lnkd_disk();
    let trials = 5 * CHUNK_TRIALS + 77;
    let one = t_visibility_with_threads(&p, 3, 1, 1, 5.0, trials, 9, 1).unwrap();
    let three = t_visibility_with_threads(&p, 3, 1, 1, 5.0, trials, 9, 3).unwrap();
    assert_eq!(one, three);
    assert_eq!(one, t_visibility(&p, 3, 1, 1, 5.0, trials, 9).unwrap());
}

#[test]
fn the_curve_matches_pointwise_estimates_and_rises() {
    let p = LatencyProfile::lnkd_disk();
    let ts = [20.0, 0.0, 5.0, 100.0];
    let c = consistency_curve(&p, 3, 1, 1, &ts, 100_000, 4).unwrap();
    for (t, v) in ts.iter().zip(&c) {
        assert_eq!(*v, t_visibility(&p, 3, 1, 1, *t, 100_000, 4).unwrap(), "t = {t}");
    }
    assert!(c[1] < c[2] && c[2] < c[0] && c[0] < c[3]);
    // time_to_visibility inverts the curve
    let t90 = time_to_visibility(&p, 3, 1, 1, 0.9, 100_000, 4).unwrap();
    assert!(t_visibility(&p, 3, 1, 1, t90, 100_000, 4).unwrap() >= 0.9);
    assert!(
        t_visibility(&p, 3, 1, 1, (t90 - 0.05).max(0.0), 100_000, 4).unwrap() < 0.9 || t90 == 0.0
    );
}

#[test]
fn larger_quorums_and_more_replicas_behave_as_expected() {
    let p = LatencyProfile::lnkd_disk();
    let base = t_visibility(&p, 3, 1, 1, 0.0, 100_000, 2).unwrap();
    assert!(t_visibility(&p, 3, 1, 2, 0.0, 100_000, 2).unwrap() > base);
    assert!(t_visibility(&p, 3, 2, 1, 0.0, 100_000, 2).unwrap() > base);
    // more replicas with R = W = 1: a read is less likely to hit one that has the write
    assert!(t_visibility(&p, 10, 1, 1, 0.0, 100_000, 2).unwrap() < base);
}

#[test]
fn k_staleness_closed_form() {
    // hand-computed: C(N−W, R) / C(N, R)
    assert!((prob_stale(3, 1, 1, 1).unwrap() - 2.0 / 3.0).abs() < 1e-15);
    assert!((prob_stale(3, 1, 1, 2).unwrap() - 4.0 / 9.0).abs() < 1e-15);
    assert!((prob_stale(5, 2, 2, 1).unwrap() - 3.0 / 10.0).abs() < 1e-15);
    assert!((prob_stale(10, 3, 3, 1).unwrap() - 35.0 / 120.0).abs() < 1e-15);
    assert_eq!(prob_stale(3, 2, 2, 1).unwrap(), 0.0);
    // Malkhi et al.'s classic: N = 100, R = W = 30 — C(70,30)/C(100,30) ≈ 1.88e-6 ... ^k
    let p = prob_stale(100, 30, 30, 1).unwrap();
    assert!(p > 0.0 && p < 1e-4, "{p}");
    // Monte Carlo check of the closed form: non-expanding quorums, random replica sets
    let mut rng = SimRng::new(3);
    let (n, r, w, k) = (5usize, 2usize, 1usize, 2u32);
    let trials = 200_000;
    let mut stale = 0;
    for _ in 0..trials {
        let mut all_missed = true;
        for _ in 0..k {
            let mut reps: Vec<usize> = (0..n).collect();
            rng.shuffle(&mut reps);
            let written = &reps[..w];
            let mut reads: Vec<usize> = (0..n).collect();
            rng.shuffle(&mut reads);
            if reads[..r].iter().any(|x| written.contains(x)) {
                all_missed = false;
            }
        }
        stale += usize::from(all_missed);
    }
    let est = stale as f64 / trials as f64;
    let exact = prob_stale(n, r, w, k).unwrap();
    assert!(agree(est, exact, trials * 2, 4.5), "{est} vs {exact}");
}

#[test]
fn bad_input_is_an_error() {
    let p = LatencyProfile::lnkd_ssd();
    let msg = |e: Error| e.to_string();
    assert!(msg(t_visibility(&p, 3, 0, 1, 0.0, 10, 1).unwrap_err()).contains("R = 0"));
    assert!(msg(t_visibility(&p, 3, 4, 1, 0.0, 10, 1).unwrap_err()).contains("between 1 and N = 3"));
    assert!(msg(t_visibility(&p, 3, 1, 0, 0.0, 10, 1).unwrap_err()).contains("W = 0"));
    assert!(msg(t_visibility(&p, 3, 1, 4, 0.0, 10, 1).unwrap_err()).contains("W = 4"));
    assert!(msg(t_visibility(&p, 3, 1, 1, -1.0, 10, 1).unwrap_err()).contains("t_ms"));
    assert!(t_visibility(&p, 3, 1, 1, f64::NAN, 10, 1).is_err());
    assert!(t_visibility(&p, 3, 1, 1, 0.0, 0, 1).is_err());
    assert!(t_visibility(&p, 0, 1, 1, 0.0, 10, 1).is_err());
    assert!(t_visibility(&p, MAX_N + 1, 1, 1, 0.0, 10, 1).is_err());
    for target in [0.0, 1.0, -0.5, 1.5, f64::NAN] {
        let e = time_to_visibility(&p, 3, 1, 1, target, 10, 1).unwrap_err();
        assert!(msg(e).contains("strictly between 0 and 1"));
    }
    assert!(consistency_curve(&p, 3, 1, 1, &[1.0, -2.0], 10, 1).is_err());
    assert!(prob_stale(3, 0, 1, 1).is_err());
    assert!(prob_stale(3, 1, 4, 1).is_err());
    assert!(msg(prob_stale(3, 1, 1, 0).unwrap_err()).contains("k = 0"));
    assert!(operation_latencies(&p, 3, 5, 1, 10, 1).is_err());
    // custom profiles
    let neg = Dist::normal(1.0, 1.0).unwrap();
    let e = LatencyProfile::new("n", neg.clone(), neg.clone(), neg.clone(), neg).unwrap_err();
    assert!(msg(e).contains("negative"));
    assert!(LatencyProfile::from_csv("x", "/nonexistent.csv", "rtt_us", 0.001).is_err());
    assert!(LatencyProfile::lnkd_ssd().across_datacenters(-1.0).is_err());
}

#[test]
fn custom_profiles_from_dists_and_csv() {
    let d = Dist::exponential_mean(1.0).unwrap();
    let p = LatencyProfile::new("exp", d.clone(), d.clone(), d.clone(), d).unwrap();
    let v = t_visibility(&p, 3, 1, 1, 0.0, 50_000, 1).unwrap();
    assert!(v > 0.3 && v < 1.0, "{v}");
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/loopback_rtt_us.csv");
    let lo = LatencyProfile::from_csv("loopback", path, "rtt_us", 0.0005).unwrap();
    assert!(lo.w().median() > 0.001 && lo.w().median() < 0.05);
    assert!(t_visibility(&lo, 3, 1, 1, 1.0, 20_000, 1).unwrap() > 0.99);
    let wan = LatencyProfile::lnkd_ssd().across_datacenters(20.0).unwrap();
    assert_eq!(wan.wan_ms(), Some(20.0));
    assert!(t_visibility(&wan, 3, 1, 1, 0.0, 50_000, 1).unwrap() < 0.9);
}

#[test]
fn operation_latencies_grow_with_quorum_size() {
    let p = LatencyProfile::lnkd_disk();
    let (w1, r1) = operation_latencies(&p, 3, 1, 1, 50_000, 1).unwrap();
    let (w3, r3) = operation_latencies(&p, 3, 3, 3, 50_000, 1).unwrap();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    assert!(mean(&w3) > mean(&w1) && mean(&r3) > mean(&r1));
    assert_eq!(w1.len(), 50_000);
}

#[test]
fn consistency_under_message_loss_matches_a_simulation() {
    let (n, r, w, loss) = (5usize, 2usize, 2usize, 0.3);
    let exact = prob_consistent_with_loss(n, r, w, loss).unwrap();
    let mut rng = SimRng::new(8);
    let (mut committed, mut seen) = (0usize, 0usize);
    for _ in 0..200_000 {
        let got: Vec<bool> = (0..n).map(|_| !rng.bernoulli(loss)).collect();
        if got.iter().filter(|&&g| g).count() < w {
            continue;
        }
        committed += 1;
        let mut reps: Vec<usize> = (0..n).collect();
        rng.shuffle(&mut reps);
        seen += usize::from(reps[..r].iter().any(|&i| got[i]));
    }
    let est = seen as f64 / committed as f64;
    assert!(agree(est, exact, committed, 4.5), "{est} vs {exact}");
    assert!(prob_consistent_with_loss(3, 1, 1, 1.0).is_err());
    assert!(prob_consistent_with_loss(3, 1, 1, -0.1).is_err());
    assert!(prob_consistent_with_loss(3, 1, 4, 0.1).is_err());
}

#[test]
fn delay_window_figure_renders() {
    let series: Vec<WindowSeries> = [LatencyProfile::lnkd_ssd(), LatencyProfile::lnkd_disk()]
        .iter()
        .map(|p| WindowSeries::new(p, 3, 1, 1).unwrap())
        .collect();
    let fig = WindowSeries::delay_window_figure("window", &series, 100.0, true, 20_000, 1).unwrap();
    assert!(fig.svg().contains("LNKD-DISK N=3 R=1 W=1"));
    if let Ok(dir) = std::env::var("COURSE_FIGURES") {
        fig.save(format!("{dir}/delay_window.svg")).unwrap();
    }
    assert!(WindowSeries::delay_window_figure("x", &[], 1.0, false, 10, 1).is_err());
    assert!(WindowSeries::delay_window_figure("x", &series, 0.0, false, 10, 1).is_err());
    let stale =
        WindowSeries::stale_window_figure("stale", &series, 100.0, true, 20_000, 1).unwrap();
    for text in ["99 % consistent", "99.9 % consistent", "P(read misses the write), log scale"] {
        assert!(stale.svg().contains(text), "{text}");
    }
    if let Ok(dir) = std::env::var("COURSE_FIGURES") {
        stale.save(format!("{dir}/stale_window.svg")).unwrap();
    }
    assert!(WindowSeries::stale_window_figure("x", &[], 1.0, false, 10, 1).is_err());
}

#[test]
fn notebook_11_pacelc_frontier_is_the_w1_points() {
    // Notebook 11 §4 (LNKD-DISK, N = 3, seed 2): writes are the slow operation, so the three
    // W = 1 points are the frontier and R = 3, W = 1 (strict, P = 1) is faster than R = 1,
    // W = 2 (partial), R = 2, W = 2 and R = 1, W = 3.
    let p = LatencyProfile::lnkd_disk();
    let point = |r: usize, w: usize| {
        let (wl, rl) = operation_latencies(&p, 3, r, w, 100_000, 2).unwrap();
        let q = |x: &[f64]| crate::stats::quantile(x, 0.999).unwrap();
        (q(&wl) + q(&rl), t_visibility(&p, 3, r, w, 0.0, 100_000, 2).unwrap())
    };
    let (l31, c31) = point(3, 1);
    assert_eq!(c31, 1.0);
    for (r, w) in [(1, 2), (2, 2), (1, 3)] {
        let (l, c) = point(r, w);
        assert!(l31 < l && c <= c31, "R={r} W={w}: {l} ms, {c}; R=3 W=1: {l31} ms");
    }
    let ((l11, c11), (l21, c21)) = (point(1, 1), point(2, 1));
    assert!(l11 < l21 && l21 < l31 && c11 < c21 && c21 < c31, "{l11} {l21} {l31}; {c11} {c21}");
    assert!(point(1, 2).1 < 1.0, "R = 1, W = 2 is a partial quorum");
}
