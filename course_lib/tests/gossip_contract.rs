//! The contract for `course_lib::gossip`: `push_rounds(n, seed) -> Result<u32, Error>`,
//! `rumor_residue(k) -> Result<f64, Error>`, `rumor_mongering(n, k, seed) -> Result<RumorRun,
//! Error>` with `residue()`, `messages()` and `traffic()`, `swim_first_detection(n, trials,
//! seed) -> Result<f64, Error>`; errors for n < 2, k = 0, trials = 0; determinism.

use course_lib::gossip::{
    push_rounds, rumor_mongering, rumor_residue, swim_first_detection, RumorRun,
};
use course_lib::Error;
use proptest::prelude::*;

#[test]
fn the_signatures_and_their_values() {
    let r: Result<u32, Error> = push_rounds(100_000, 1);
    let r = r.unwrap();
    // log2 + ln of 100 000 = 28.1; the O(1) term is small
    assert!((26..=32).contains(&r), "{r}");
    let s: Result<f64, Error> = rumor_residue(1);
    // s = e^{−2(1−s)}: 0.2032
    let s = s.unwrap();
    assert!((s - (-2.0 * (1.0 - s)).exp()).abs() < 1e-12 && (s - 0.2032).abs() < 1e-4);
    let run: Result<RumorRun, Error> = rumor_mongering(5_000, 1, 3);
    let run = run.unwrap();
    let (res, msgs, m): (f64, u64, f64) = (run.residue(), run.messages(), run.traffic());
    assert!((res - 0.2032).abs() < 0.03, "{res}");
    assert!((m - msgs as f64 / 5_000.0).abs() < 1e-12);
    let e: Result<f64, Error> = swim_first_detection(50, 20_000, 2);
    // E = 1/(1 − (1 − 1/49)^49) = 1.5725; geometric sd/√trials ≈ 0.0069
    assert!((e.unwrap() - 1.5725).abs() < 0.03);
}

#[test]
fn bad_input_says_what_is_allowed() {
    for e in [
        push_rounds(0, 1).unwrap_err(),
        push_rounds(1, 1).unwrap_err(),
        rumor_mongering(1, 2, 1).unwrap_err(),
    ] {
        assert!(e.to_string().contains("n") && e.to_string().contains("at least 2"), "{e}");
    }
    assert!(rumor_residue(0).unwrap_err().to_string().contains("at least 1"));
    assert!(rumor_mongering(10, 0, 1).unwrap_err().to_string().contains("k"));
    assert!(swim_first_detection(10, 0, 1).unwrap_err().to_string().contains("trials"));
    assert!(swim_first_detection(1, 10, 1).unwrap_err().to_string().contains("at least 2"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    #[test]
    fn same_seed_same_answer(n in 2usize..2_000, k in 1u32..5, seed in 0u64..1_000_000) {
        prop_assert_eq!(push_rounds(n, seed).unwrap(), push_rounds(n, seed).unwrap());
        prop_assert_eq!(rumor_mongering(n, k, seed).unwrap(), rumor_mongering(n, k, seed).unwrap());
        let a = swim_first_detection(n.min(50), 20, seed).unwrap();
        prop_assert_eq!(a, swim_first_detection(n.min(50), 20, seed).unwrap());
        prop_assert!(a >= 1.0);
        let s = rumor_mongering(n, k, seed).unwrap().residue();
        prop_assert!((0.0..1.0).contains(&s));
    }
}
