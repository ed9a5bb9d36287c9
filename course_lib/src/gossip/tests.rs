//! Closed forms against simulation, the protocols' checks, planted bugs, the notebook's
//! pinned numbers.
//!
//! Monte Carlo tolerance: a simulated mean is compared with its exact or closed-form value
//! within 4 standard errors of the mean (estimated from the same runs), so a correct
//! implementation fails with probability about 6·10⁻⁵ per comparison, while a systematic
//! error larger than that is caught; where the reference itself is printed to a few digits
//! (Demers' Table 1), half a unit of its last digit is added.

use proptest::prelude::*;

use super::counter::{judge_merge, merge_add, merge_max, CounterBug, CounterConfig};
use super::swim::{judge_tuning, swim_stats, SwimBug, SwimConfig};
use super::*;
use crate::sim::{Bugs, Sweep};

fn mean_se(xs: &[f64]) -> (f64, f64) {
    let (m, sd) = mean_sd(xs);
    (m, sd / (xs.len() as f64).sqrt())
}

/// The exact expected number of push rounds for small n, by a Markov chain on the number of
/// informed nodes written independently of `push_rounds`: with i informed, each of the i
/// pushes lands on an uninformed node with probability (n − i)/(n − 1), uniformly among them;
/// the number of distinct uninformed nodes hit has the occupancy law below.
fn exact_push_rounds(n: usize) -> f64 {
    let mut e = vec![0.0f64; n + 1]; // e[i] = expected rounds from i informed
    for i in (1..n).rev() {
        let u = n - i;
        // dp[d] = P(d distinct uninformed hit) after b balls
        let mut dp = vec![0.0f64; u + 1];
        dp[0] = 1.0;
        for _ in 0..i {
            let mut nd = vec![0.0f64; u + 1];
            for d in 0..=u {
                if dp[d] == 0.0 {
                    continue;
                }
                let new = (u - d) as f64 / (n - 1) as f64;
                nd[d] += dp[d] * (1.0 - new);
                if d < u {
                    nd[d + 1] += dp[d] * new;
                }
            }
            dp = nd;
        }
        let stay = dp[0];
        let rest: f64 = (1..=u).map(|d| dp[d] * e[i + d]).sum();
        e[i] = (1.0 + rest) / (1.0 - stay);
    }
    e[1]
}

#[test]
fn push_rounds_match_the_exact_markov_chain_for_small_n() -> Result<()> {
    for n in [2usize, 3, 5, 10, 30] {
        let r: Vec<f64> =
            (0..3_000).map(|s| push_rounds(n, s).map(f64::from)).collect::<Result<_>>()?;
        let (m, se) = mean_se(&r);
        let exact = exact_push_rounds(n);
        assert!(
            (m - exact).abs() < 4.0 * se.max(1e-9),
            "n = {n}: simulated {m} ± {se}, exact {exact}"
        );
    }
    assert_eq!(exact_push_rounds(2), 1.0);
    Ok(())
}

#[test]
fn push_rounds_grow_as_log2_n_plus_ln_n_pittel_1987() -> Result<()> {
    // Pittel: log2 n + ln n + O(1). The O(1) term measured here is between 0 and 1.5; the
    // test allows (−0.5, 2).
    let r = rounds_vs_n(&[1_000, 10_000, 100_000], 30)?;
    for &(n, mean, _, pittel) in &r.rows {
        assert!(mean - pittel > -0.5 && mean - pittel < 2.0, "n = {n}: {mean} vs {pittel}");
    }
    // ten times more nodes costs log2 10 + ln 10 = 5.6 more rounds
    let step = r.rows[2].1 - r.rows[0].1;
    assert!((step - 2.0 * (10f64.log2() + 10f64.ln())).abs() < 1.5, "{step}");
    Ok(())
}

#[test]
fn rumor_residue_is_the_nontrivial_root() -> Result<()> {
    // golden values computed independently (Python bisection of s − e^{−(k+1)(1−s)})
    let golden = [0.203_187_87, 0.059_520_21, 0.019_827_40, 0.006_977_15, 0.002_516_46];
    for (k, want) in (1..=5).zip(golden) {
        let s = rumor_residue(k)?;
        assert!((s - want).abs() < 1e-8, "k = {k}: {s}");
        let a = f64::from(k) + 1.0;
        assert!((s - (-a * (1.0 - s)).exp()).abs() < 1e-12);
        // traffic m = (k + 1)(1 − s) and s = e^{−m}
        assert!((rumor_traffic(k)? + s.ln()).abs() < 1e-9);
    }
    Ok(())
}

#[test]
fn coin_simulation_matches_the_closed_form_within_4_standard_errors() -> Result<()> {
    for k in [1, 2, 3] {
        let runs: Vec<RumorRun> =
            (0..100).map(|s| rumor_mongering(20_000, k, s)).collect::<Result<_>>()?;
        let (s, se) = mean_se(&runs.iter().map(RumorRun::residue).collect::<Vec<_>>());
        let (m, mse) = mean_se(&runs.iter().map(RumorRun::traffic).collect::<Vec<_>>());
        assert!((s - rumor_residue(k)?).abs() < 4.0 * se, "k = {k}: {s} ± {se}");
        assert!((m - rumor_traffic(k)?).abs() < 4.0 * mse, "k = {k}: m {m} ± {mse}");
    }
    Ok(())
}

#[test]
fn counter_simulation_reproduces_demers_table_1() -> Result<()> {
    // Demers et al. 1987, Table 1 (1000 sites, feedback and counters)
    for (k, s_paper, m_paper) in DEMERS_TABLE_1 {
        let runs: Vec<RumorRun> = (0..400)
            .map(|s| rumor_mongering_with(1_000, k, RumorRule::Counter, s))
            .collect::<Result<_>>()?;
        let (s, se) = mean_se(&runs.iter().map(RumorRun::residue).collect::<Vec<_>>());
        let (m, mse) = mean_se(&runs.iter().map(RumorRun::traffic).collect::<Vec<_>>());
        let half_digit_s = if s_paper < 0.01 { 0.00005 } else { 0.0005 };
        assert!(
            (s - s_paper).abs() < 4.0 * se + half_digit_s,
            "k = {k}: s {s} ± {se} vs {s_paper}"
        );
        assert!((m - m_paper).abs() < 4.0 * mse + 0.005, "k = {k}: m {m} ± {mse} vs {m_paper}");
        // and the table is not the coin formula's: it lies below it
        assert!(s_paper < rumor_residue(k)?);
    }
    Ok(())
}

#[test]
fn pull_squares_the_residue_push_divides_it_by_e() -> Result<()> {
    let n = 200_000;
    let pull = anti_entropy(n, Exchange::Pull, 3)?;
    let push = anti_entropy(n, Exchange::Push, 3)?;
    let mut checked = 0;
    for w in pull.residues.windows(2) {
        let (p, q) = (w[0], w[1]);
        if p < 0.3 && p * p * n as f64 > 100.0 {
            // q ~ Binomial(pn, p)/n: 4 standard errors
            assert!((q - p * p).abs() < 4.0 * (p * p / n as f64).sqrt(), "pull {p} → {q}");
            checked += 1;
        }
    }
    assert!(checked >= 1);
    for w in push.residues.windows(2) {
        let (p, q) = (w[0], w[1]);
        if p < 0.05 && p * n as f64 > 400.0 {
            let want = p * (-(1.0 - p)).exp();
            assert!((q - want).abs() < 4.0 * (want / n as f64).sqrt(), "push {p} → {q}");
        }
    }
    let mean = |ex| -> Result<f64> {
        Ok((0..20)
            .map(|s| anti_entropy(10_000, ex, s).map(|r| r.rounds as f64))
            .sum::<Result<f64>>()?
            / 20.0)
    };
    let (push, pull, both) =
        (mean(Exchange::Push)?, mean(Exchange::Pull)?, mean(Exchange::PushPull)?);
    assert!(both < pull && pull < push, "push {push}, pull {pull}, push-pull {both}");
    Ok(())
}

#[test]
fn swim_first_detection_matches_das_et_al_section_3_1() -> Result<()> {
    for n in [3usize, 8, 16, 100] {
        let trials = 20_000;
        let m = swim_first_detection(n, trials, 5)?;
        let e = swim_first_detection_expected(n)?;
        // geometric: sd = sqrt(1 − p)/p
        let p = 1.0 / e;
        let se = (1.0 - p).sqrt() / p / (trials as f64).sqrt();
        assert!((m - e).abs() < 4.0 * se, "n = {n}: {m} vs {e} ± {se}");
    }
    let limit = std::f64::consts::E / (std::f64::consts::E - 1.0);
    assert!((swim_first_detection_expected(100_000)? - limit).abs() < 1e-4);
    assert_eq!(swim_first_detection_expected(2)?, 1.0);
    Ok(())
}

#[test]
fn bad_input_is_an_error_that_says_what_is_allowed() {
    for e in [
        push_rounds(1, 0).unwrap_err(),
        rumor_mongering(0, 2, 0).unwrap_err(),
        anti_entropy(1, Exchange::Pull, 0).unwrap_err(),
        swim_first_detection(1, 10, 0).unwrap_err(),
    ] {
        assert!(e.to_string().contains("at least 2"), "{e}");
    }
    for e in [rumor_residue(0).unwrap_err(), rumor_mongering(10, 0, 0).unwrap_err()] {
        assert!(e.to_string().contains("at least 1"), "{e}");
    }
    assert!(swim_first_detection(10, 0, 0).unwrap_err().to_string().contains("trials"));
    assert!(SwimConfig::new(2).run(0).unwrap_err().to_string().contains("at least 3"));
    assert!(SwimConfig::new(5).indirect(4).run(0).unwrap_err().to_string().contains("at most"));
    assert!(SwimConfig::new(5).loss(1.5).run(0).is_err());
    assert!(SwimConfig::new(5).crash(9, 1.0).run(0).is_err());
    assert!(CounterConfig::new(1).run(0).is_err());
    assert!(rounds_vs_n(&[], 3).is_err() && residue_vs_k(10, &[1], RumorRule::Coin, 0).is_err());
}

#[test]
fn correct_swim_is_accurate_and_complete_without_loss() -> Result<()> {
    for n in [5, 16] {
        let cfg = SwimConfig::new(n).crash(n - 1, 1_000.0).crash(1, 1_500.0).horizon_ms(4_000.0);
        let sweep = cfg.experiment()?.sweep(0..30, Sweep::StopAtFirst)?;
        assert!(sweep.passed(), "{sweep}");
        let run = cfg.run(4)?;
        assert_eq!(run.false_deaths, 0);
        for &(_, _, first, all) in &run.detections {
            // suspected within a few periods, dead everywhere after the 5-period timeout
            assert!(first.unwrap() < 600.0 && all.unwrap() >= 500.0 && all.unwrap() < 1_500.0);
        }
    }
    Ok(())
}

#[test]
fn a_briefly_isolated_member_refutes_its_suspicion_and_no_refute_is_caught() -> Result<()> {
    let cfg =
        SwimConfig::new(16).isolate(3, 1_000.0, 1_150.0).horizon_ms(3_000.0).suspicion(Some(8.0));
    let sweep = cfg.experiment()?.sweep(0..40, Sweep::StopAtFirst)?;
    assert!(sweep.passed(), "{sweep}");
    let sim = cfg.traced(0)?;
    assert!(sim.nodes()[3].incarnation() > 0, "n3 raised its incarnation to refute");
    let buggy =
        cfg.bugs(Bugs::one(SwimBug::NoRefute)).experiment()?.sweep(0..40, Sweep::StopAtFirst)?;
    assert!(!buggy.passed());
    assert!(buggy.violations()[0].to_string().contains("accuracy"), "{buggy}");
    Ok(())
}

#[test]
fn forgetting_to_piggyback_is_caught_by_completeness() -> Result<()> {
    let cfg = SwimConfig::new(16).crash(5, 1_000.0).horizon_ms(3_000.0);
    assert!(cfg.experiment()?.sweep(0..30, Sweep::StopAtFirst)?.passed());
    let buggy =
        cfg.bugs(Bugs::one(SwimBug::NoPiggyback)).experiment()?.sweep(0..30, Sweep::StopAtFirst)?;
    assert!(!buggy.passed());
    assert!(buggy.violations()[0].to_string().contains("completeness"), "{buggy}");
    Ok(())
}

#[test]
fn suspicion_cuts_false_deaths_under_loss_and_costs_detection_time() -> Result<()> {
    let base = SwimConfig::new(16).loss(0.1);
    let without = swim_stats(&base.clone().suspicion(None), 20)?;
    let with = swim_stats(&base.suspicion(Some(5.0)), 20)?;
    assert!(without.false_death_rate > 0.1, "{without:?}");
    assert!(with.false_death_rate < 0.02, "{with:?}");
    assert!(with.full_detection_periods > without.full_detection_periods + 3.0);
    Ok(())
}

#[test]
fn swim_messages_per_member_do_not_grow_with_n() -> Result<()> {
    let small = SwimConfig::new(8).run(1)?.messages_per_member_period();
    let large = SwimConfig::new(64).run(1)?.messages_per_member_period();
    // one ping and one ack per member per period, whatever n (all-to-all would be n − 1)
    assert!((small - 2.0).abs() < 0.1 && (large - 2.0).abs() < 0.1, "{small} {large}");
    Ok(())
}

#[test]
fn swim_runs_are_deterministic() -> Result<()> {
    let cfg = SwimConfig::new(12).loss(0.1).crash(4, 800.0);
    assert_eq!(cfg.run(9)?, cfg.run(9)?);
    assert_eq!(cfg.traced(9)?.trace().digest(), cfg.traced(9)?.trace().digest());
    Ok(())
}

#[test]
fn gossiped_counter_converges_under_loss_and_duplication_with_every_exchange() -> Result<()> {
    for ex in Exchange::ALL {
        let cfg = CounterConfig::new(12).exchange(ex).faulty(0.2, 0.2);
        let sweep = cfg.experiment()?.sweep(0..20, Sweep::StopAtFirst)?;
        assert!(sweep.passed(), "{ex:?}: {sweep}");
        let run = cfg.run(2)?;
        assert_eq!(run.true_total, 12 * 20 + 66);
        assert!(run.estimates.iter().all(|&e| e == run.true_total));
        assert!(run.converged_ms.is_some());
    }
    Ok(())
}

#[test]
fn adding_what_you_hear_double_counts_and_is_caught() -> Result<()> {
    let cfg = CounterConfig::new(12).bugs(Bugs::one(CounterBug::AddWhatYouHear));
    let sweep = cfg.experiment()?.sweep(0..5, Sweep::StopAtFirst)?;
    assert!(!sweep.passed());
    assert!(sweep.violations()[0].to_string().contains("double counting"));
    assert!(cfg.run(1)?.estimates.iter().all(|&e| e > cfg.true_total()));
    assert!(judge_merge(merge_max).is_ok());
    assert!(judge_merge(merge_add).unwrap_err().contains("double counting"));
    fn replace(mine: &mut [u64], heard: &[u64]) {
        mine.copy_from_slice(heard);
    }
    fn own_only(_: &mut [u64], _: &[u64]) {}
    assert!(judge_merge(replace).is_err());
    assert!(judge_merge(own_only).unwrap_err().contains("converged"));
    Ok(())
}

#[test]
fn notebook_17_prose_holds() -> Result<()> {
    // "a million nodes: 34 rounds; log2 + ln = 33.7"
    assert_eq!(push_rounds(1_000_000, 1)?, 34);
    assert!((pittel_rounds(1_000_000)? - 33.75).abs() < 0.05);
    // the tuning exercise: the solution passes, the two neighbours named in the prose fail
    assert!(judge_tuning(5.0, 3, 0.01, 10.0).is_ok());
    assert!(judge_tuning(2.0, 3, 0.01, 10.0).unwrap_err().contains("false deaths"));
    assert!(judge_tuning(9.0, 3, 0.01, 10.0).unwrap_err().contains("periods to be known"));
    // "without suspicion, 10 % loss kills a large share of the live members"
    let st = swim_stats(&SwimConfig::new(16).loss(0.1).suspicion(None), 10)?;
    assert!(st.false_death_rate > 0.2, "{st:?}");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn round_models_are_deterministic_and_consistent(n in 2usize..400, k in 1u32..6, seed in 0u64..10_000) {
        let r = push_rounds(n, seed).unwrap();
        prop_assert_eq!(r, push_rounds(n, seed).unwrap());
        // at least ceil(log2 n) rounds: the informed set at most doubles per round
        prop_assert!(f64::from(r) >= (n as f64).log2().ceil());
        for rule in [RumorRule::Coin, RumorRule::Counter] {
            let run = rumor_mongering_with(n, k, rule, seed).unwrap();
            prop_assert_eq!(&run, &rumor_mongering_with(n, k, rule, seed).unwrap());
            // every informed node but the first cost one necessary message
            prop_assert!(run.messages as usize >= n - run.uninformed - 1);
            prop_assert!(run.uninformed < n);
        }
        let ae = anti_entropy(n, Exchange::PushPull, seed).unwrap();
        prop_assert_eq!(ae.residues.len(), ae.rounds as usize + 1);
        prop_assert!(ae.residues.windows(2).all(|w| w[1] <= w[0]));
    }

    #[test]
    fn swim_without_loss_never_declares_a_live_member_dead(n in 3usize..12, seed in 0u64..1_000, crash in 0usize..12) {
        let cfg = SwimConfig::new(n).indirect((n - 2).min(3)).crash(crash % n, 500.0).horizon_ms(2_500.0);
        let report = cfg.experiment().unwrap().run(seed).unwrap();
        prop_assert!(report.passed(), "{}", report);
    }
}
