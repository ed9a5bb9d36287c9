//! The public contract of `course_lib::partition`, as notebook 14 calls it: jump hash against an
//! independent transcription of the paper's code, the ring's growth property, the Beta closed
//! form against simulated rings, keys moved per scheme, and the published numbers (Lamping &
//! Veach 2014; Karger et al. 1997's monotonicity; Dynamo §4.2's dispersal is in the unit tests).

use course_lib::partition::*;
use course_lib::Error;

/// A straightforward transcription of Lamping & Veach (2014), Figure 1, written independently
/// of the crate's (signed 64-bit state as in C++, unsigned shift, explicit double casts).
fn jump_reference(key: u64, num_buckets: i32) -> i32 {
    let mut key = key;
    let mut b: i64 = -1;
    let mut j: i64 = 0;
    while j < num_buckets as i64 {
        b = j;
        key = key.wrapping_mul(2862933555777941757u64).wrapping_add(1);
        let denom = ((key >> 33) + 1) as f64;
        let jump = (1u64 << 31) as f64 / denom;
        j = ((b + 1) as f64 * jump) as i64;
    }
    b as i32
}

#[test]
fn jump_hash_is_bit_exact_with_the_papers_code() {
    let mut key = 0x0123_4567_89AB_CDEFu64;
    for buckets in [1u32, 2, 3, 7, 10, 100, 1_000, 65_536, 1 << 20, i32::MAX as u32] {
        for _ in 0..2_000 {
            key =
                key.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            assert_eq!(
                jump_hash(key, buckets).unwrap() as i32,
                jump_reference(key, buckets as i32),
                "key {key}, {buckets} buckets"
            );
        }
    }
    // keys 0..: small keys too
    for k in 0..10_000u64 {
        assert_eq!(jump_hash(k, 997).unwrap() as i32, jump_reference(k, 997));
    }
    // a value published with another implementation (github.com/lithammer/go-jump-consistent-hash,
    // its package documentation: "h := jump.Hash(256, 1024) // h = 520")
    assert_eq!(jump_hash(256, 1024).unwrap(), 520);
}

#[test]
fn jump_hash_is_in_range_monotone_and_rejects_zero_buckets() {
    let e = jump_hash(1, 0).unwrap_err();
    assert!(matches!(&e, Error::OutOfRange { name, .. } if name == "buckets"), "{e}");
    for key in 0..3_000u64 {
        let h = key_hash(key);
        let mut prev = jump_hash(h, 1).unwrap();
        assert_eq!(prev, 0);
        for n in 2..=200u32 {
            let b = jump_hash(h, n).unwrap();
            assert!(b < n);
            // one bucket more: the key stays or moves to the new bucket n − 1
            assert!(b == prev || b == n - 1, "key {key}: {prev} → {b} at {n} buckets");
            prev = b;
        }
    }
}

/// Pearson's χ² of counts against equal expected counts.
fn chi_square(counts: &[u64]) -> f64 {
    let total: u64 = counts.iter().sum();
    let e = total as f64 / counts.len() as f64;
    counts.iter().map(|&c| (c as f64 - e).powi(2) / e).sum()
}

#[test]
fn jump_hash_divides_keys_as_evenly_as_sampling_allows_and_a_ring_does_not() {
    // Lamping & Veach report a standard error of the bucket sizes of 7.64e-9 for jump hash: the
    // key *space* is divided evenly. No sample can resolve that; what a sample can show is that
    // 10⁶ keys fall into 1 000 buckets exactly as into 1 000 equal bins: χ² with 999 degrees of
    // freedom (mean 999, sd √1998 ≈ 45). A ring with 100 points per bucket has a standard error
    // of ≈ 0.1 (the paper's table), i.e. χ² ≈ 999 + 10⁶ · 0.01 ≈ 11 000.
    let (n, keys) = (1_000usize, 1_000_000u64);
    let mut jump = vec![0u64; n];
    for k in 0..keys {
        jump[jump_hash(key_hash(k), n as u32).unwrap() as usize] += 1;
    }
    let chi = chi_square(&jump);
    assert!((chi - 999.0).abs() < 5.0 * 1998f64.sqrt(), "jump: χ² = {chi}");
    let ring = HashRing::new(n, 100, 14).unwrap();
    let mut counts = vec![0u64; n];
    for k in 0..keys {
        counts[ring.owner(k)] += 1;
    }
    let chi_ring = chi_square(&counts);
    assert!(chi_ring > 5_000.0, "ring: χ² = {chi_ring}");
}

#[test]
fn hash_ring_contract() {
    let e = HashRing::new(0, 4, 1).unwrap_err();
    assert!(matches!(&e, Error::OutOfRange { name, .. } if name == "nodes"), "{e}");
    let e = HashRing::new(4, 0, 1).unwrap_err();
    assert!(matches!(&e, Error::OutOfRange { name, .. } if name == "vnodes_per_node"), "{e}");
    for seed in 0..50 {
        for n in [1usize, 3, 10] {
            let small = HashRing::new(n, 20, seed).unwrap();
            let large = HashRing::new(n + 1, 20, seed).unwrap();
            let shares = small.load_shares();
            assert_eq!(shares.len(), n);
            assert!((shares.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            for i in 0..n {
                assert_eq!(small.tokens_of(i).unwrap(), large.tokens_of(i).unwrap());
            }
            let mut moved = 0;
            for key in 0..5_000u64 {
                let (a, b) = (small.owner(key), large.owner(key));
                assert!(a < n && b <= n);
                if a != b {
                    assert_eq!(b, n, "seed {seed}: key {key} moved between old nodes");
                    moved += 1;
                }
            }
            // the keys that moved are the new node's share (binomial noise on 5 000 keys)
            let new_share = large.load_shares()[n];
            let sd = (new_share * (1.0 - new_share) / 5_000.0).sqrt();
            assert!((moved as f64 / 5_000.0 - new_share).abs() < 5.0 * sd + 1e-9);
        }
    }
}

/// The Beta(k, (n − 1)k) law of a node's share, checked on simulated rings: the variance over
/// many seeds within 4 standard errors. The standard error is measured from the per-ring
/// estimates (rings are independent; one ring's nodes are not), so the tolerance adapts to the
/// heavy tail of k = 1 (Beta(1, n − 1), nearly exponential) and the near-normal k = 256; a
/// correct ring fails this with probability ≈ 6·10⁻⁵ per case, and the seeds are fixed.
#[test]
fn ring_share_variance_matches_the_beta_closed_form() {
    for (n, k) in
        [(2usize, 1usize), (5, 1), (10, 1), (10, 4), (10, 32), (10, 256), (50, 16), (200, 2)]
    {
        let m = ring_imbalance(n, k, 400, 1_000 + (n * k) as u64).unwrap();
        let law = RingShare::new(n, k).unwrap();
        let kf = k as f64;
        let nf = n as f64;
        let beta_var = kf * (nf - 1.0) * kf / ((nf * kf).powi(2) * (nf * kf + 1.0));
        assert!((law.variance() - beta_var).abs() < 1e-15 * beta_var.max(1.0));
        assert!(
            (m.share_variance - beta_var).abs() < 4.0 * m.share_variance_se,
            "n {n}, k {k}: simulated {} ± {}, Beta {beta_var}",
            m.share_variance,
            m.share_variance_se
        );
        // and the estimate is informative: its standard error is under 7 % of the value
        assert!(m.share_variance_se < 0.07 * beta_var, "n {n}, k {k}");
    }
}

#[test]
fn the_largest_share_matches_its_closed_forms() {
    // k = 1: E[largest of n arcs] = H_n / n exactly; 2 000 rings, 4 standard errors
    for n in [2usize, 10, 50] {
        let rings = 2_000;
        let seed = 7;
        let mut maxes = Vec::new();
        for r in 0..rings {
            let ring_seed = course_lib::sim::Stream::Trial(r).rng(seed).next_u64();
            let s = HashRing::new(n, 1, ring_seed).unwrap().load_shares();
            maxes.push(s.iter().copied().fold(0.0, f64::max));
        }
        let mean = maxes.iter().sum::<f64>() / rings as f64;
        let sd =
            (maxes.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (rings as f64 - 1.0)).sqrt();
        let want = expected_largest_arc(n).unwrap();
        assert!((mean - want).abs() < 4.0 * sd / (rings as f64).sqrt(), "n {n}: {mean} vs {want}");
    }
    assert!((expected_largest_arc(10).unwrap() * 10.0 - 2.928_968_253_968_254).abs() < 1e-12);
    // the median of the largest share. For one token per node it is known exactly: the largest
    // of n spacings has P(max ≤ x) = Σ_j (−1)^j C(n, j) (1 − jx)^(n−1) (Whitworth's formula),
    // median 2.785/n for n = 10. The simulation must find it (10 000 rings: the sample median's
    // noise is ≈ 0.4 %), and the Gamma approximation is 2.9 % low there, the worst case.
    let n = 10usize;
    let whitworth = |x: f64| {
        let (mut sum, mut c) = (0.0, 1.0);
        for j in 0..=n {
            if j as f64 * x >= 1.0 {
                break;
            }
            let sign = if j % 2 == 0 { 1.0 } else { -1.0 };
            sum += sign * c * (1.0 - j as f64 * x).powi(n as i32 - 1);
            c *= (n - j) as f64 / (j + 1) as f64;
        }
        sum
    };
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if whitworth(mid) < 0.5 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let exact = n as f64 * lo;
    assert!((exact - 2.785_479).abs() < 1e-5, "{exact}");
    let sim = ring_imbalance(n, 1, 10_000, 3).unwrap().median_max_over_mean;
    assert!((sim - exact).abs() < 0.015 * exact, "simulated median {sim} vs exact {exact}");
    let approx = n as f64 * RingShare::new(n, 1).unwrap().max_quantile(0.5).unwrap();
    assert!((approx - exact).abs() < 0.035 * exact, "Gamma approximation {approx} vs {exact}");
    // more tokens: against simulated rings (the sample median's noise is under 0.5 % for these
    // ring counts: the maximum's spread shrinks like 1/√k), within 2 % for k = 2–8 and 1 % from
    // k = 32 on
    for (k, rings, tol) in [
        (2usize, 4_000usize, 0.02),
        (4, 4_000, 0.02),
        (8, 4_000, 0.02),
        (32, 1_000, 0.01),
        (128, 500, 0.01),
        (1_024, 200, 0.01),
    ] {
        let m = ring_imbalance(n, k, rings, 3).unwrap();
        let approx = n as f64 * m.closed_form.max_quantile(0.5).unwrap();
        let rel = (approx - m.median_max_over_mean).abs() / m.median_max_over_mean;
        assert!(rel < tol, "k {k}: simulated {}, closed form {approx}", m.median_max_over_mean);
    }
}

/// Lamping & Veach (2014), their table comparing Karger et al.'s ring with k points per bucket:
/// standard error of the bucket sizes (as a fraction of the mean) and the 99 % confidence
/// interval of a bucket's size (as a multiple of the mean).
const LAMPING_VEACH: [(usize, f64, (f64, f64)); 4] = [
    (1, 0.997_906_0, (0.005, 5.25)),
    (10, 0.315_181_0, (0.37, 1.98)),
    (100, 0.099_699_6, (0.76, 1.28)),
    (1_000, 0.031_572_3, (0.92, 1.09)),
];

/// Half a unit of the last printed digit of `x` printed with `decimals` decimals.
fn printed(decimals: i32) -> f64 {
    0.5 * 10f64.powi(-decimals)
}

#[test]
fn lamping_veach_ring_table_from_the_closed_form() {
    // Their numbers are themselves simulated, with a bucket count the table does not give; for
    // 1 000 buckets the Beta law's CV √((n − 1)/(nk + 1)) is within 0.3 % of every standard
    // error they print (the tolerance here is 0.5 %), and its 0.5 % / 99.5 % quantiles are within
    // 2 % (or half the last printed digit) of their interval.
    for (k, se, (lo, hi)) in LAMPING_VEACH {
        let law = RingShare::new(1_000, k).unwrap();
        assert!((law.cv() - se).abs() < 0.005 * se, "k {k}: CV {} vs {se}", law.cv());
        let (qlo, qhi) =
            (1_000.0 * law.quantile(0.005).unwrap(), 1_000.0 * law.quantile(0.995).unwrap());
        let decimals = if lo < 0.01 { 3 } else { 2 };
        assert!((qlo - lo).abs() <= (0.02 * lo).max(printed(decimals)), "k {k}: low {qlo} vs {lo}");
        assert!((qhi - hi).abs() <= (0.02 * hi).max(printed(2)), "k {k}: high {qhi} vs {hi}");
    }
}

#[test]
fn lamping_veach_ring_table_from_simulated_rings() {
    // The same table measured on simulated rings of 1 000 nodes: standard errors within 2 % of
    // the paper's (our estimate's own relative noise is ≤ 0.7 % for these ring counts, theirs is
    // unknown), intervals within 4 % or 0.01 (the interval's ends are extreme quantiles, noisier).
    for (i, (k, se, (lo, hi))) in LAMPING_VEACH.into_iter().enumerate() {
        let rings = [100, 40, 12, 4][i];
        let m = ring_imbalance(1_000, k, rings, 14).unwrap();
        assert!((m.cv() - se).abs() < 0.02 * se, "k {k}: simulated CV {} vs {se}", m.cv());
        let (slo, shi) = m.size_ci99;
        assert!((slo - lo).abs() <= (0.04 * lo).max(0.01) + 0.002, "k {k}: low {slo} vs {lo}");
        assert!((shi - hi).abs() <= (0.04 * hi).max(0.01), "k {k}: high {shi} vs {hi}");
    }
}

#[test]
fn keys_moved_mod_n_vs_the_consistent_schemes() {
    // Expected: mod N moves ~ n/(n + 1) on a join, the consistent schemes ~ 1/(n + 1), and the
    // latter move no key between two old nodes (Karger et al.'s monotonicity). 40 000 keys: the
    // binomial sd is ≤ 0.0025; the ring's moved fraction is the new node's Beta(k, nk) share
    // (CV ≈ 1/√k = 0.1 for k = 100), hence its wider tolerance.
    for n in [2usize, 5, 10, 20] {
        let join_min = 1.0 / (n as f64 + 1.0);
        let m = keys_moved(Scheme::ModN, n, Change::Join, 40_000, 3).unwrap();
        assert!((m.moved_fraction() - n as f64 / (n as f64 + 1.0)).abs() < 0.0125, "{m:?}");
        for (scheme, tol) in [
            (Scheme::Jump, 0.0125),
            (Scheme::Rendezvous, 0.0125),
            (Scheme::Directory { slots: 4_096 }, 0.0125),
            (Scheme::Ring { vnodes: 100 }, 0.0125 + 0.4 * join_min),
        ] {
            let m = keys_moved(scheme, n, Change::Join, 40_000, 3).unwrap();
            assert!((m.moved_fraction() - join_min).abs() < tol, "{scheme}, n {n}: {m:?}");
            assert_eq!(m.needless, 0, "{scheme}");
            assert_eq!(m.expected_fraction(), Some(join_min));
            let l = keys_moved(scheme, n, Change::LeaveLast, 40_000, 3).unwrap();
            assert!(
                (l.moved_fraction() - 1.0 / n as f64).abs() < tol * 1.2,
                "{scheme}, n {n}: {l:?}"
            );
            assert_eq!(l.needless, 0, "{scheme}");
        }
    }
    // jump hash when a node other than the last leaves: about 2/n, half of it needless
    let m = keys_moved(Scheme::Jump, 10, Change::Leave(2), 40_000, 3).unwrap();
    assert!((m.moved_fraction() - 0.2).abs() < 0.015, "{m:?}");
    assert!((m.needless_fraction() - 0.1).abs() < 0.015, "{m:?}");
}

#[test]
fn movement_sweep_covers_every_scheme_and_size() {
    let schemes = [Scheme::ModN, Scheme::Jump];
    let s = movement_sweep(&schemes, &[2, 4, 8], Change::Join, 1_000, 1).unwrap();
    assert_eq!(s.series.len(), 2);
    assert!(s.series.iter().all(|(_, ms)| ms.len() == 3));
    assert_eq!(s.series[1].1[2].nodes_before, 8);
    assert!(movement_sweep(&[], &[2], Change::Join, 10, 1).is_err());
    assert!(movement_sweep(&schemes, &[2], Change::Leave(5), 10, 1).is_err());
}
