//! The public contract of `course_lib::chain` as issue 7 names it, the Bitcoin paper's §11
//! numbers, and the errors a student sees.

use course_lib::chain::{
    attacker_success_probability, double_spend_monte_carlo, lab_cases, validate_chain, ChainRules,
};
use course_lib::Error;

#[test]
fn contract_signature_and_paper_values() {
    let p: Result<f64, Error> = attacker_success_probability(0.1_f64, 2_u32);
    assert!((p.unwrap() - 0.0509779).abs() < 5e-8); // Nakamoto 2008, §11, q = 0.1, z = 2
    assert!((attacker_success_probability(0.3, 10).unwrap() - 0.0416605).abs() < 5e-8);
}

#[test]
fn q_outside_unit_interval_is_an_error_naming_q() {
    for q in [-0.01, 1.01, f64::NAN, f64::INFINITY] {
        let e = attacker_success_probability(q, 6).unwrap_err();
        assert!(matches!(e, Error::OutOfRange { ref name, .. } if name == "q"), "{e}");
    }
}

#[test]
fn monte_carlo_is_near_the_paper() {
    // the block-by-block race follows the exact (negative binomial) model; at q = 0.1, z = 1
    // both it and the paper are close to 0.2
    let mc = double_spend_monte_carlo(0.1, 1, 200_000, 3).unwrap();
    assert!((mc.estimate.value - 0.2).abs() < 0.005, "{mc:?}");
    assert!((mc.estimate.value - attacker_success_probability(0.1, 1).unwrap()).abs() < 0.01);
}

#[test]
fn malformed_chains_name_the_block_and_the_fault() {
    let rules = ChainRules::new(6).unwrap();
    for case in lab_cases(6).unwrap() {
        match (validate_chain(&case.chain, &rules), case.first_bad) {
            (Ok(_), None) => {}
            (Err(e), Some(i)) => {
                assert_eq!(e.index, i, "{}", case.name);
                let as_error: Error = e.into();
                assert!(as_error.to_string().contains(&format!("block {i}")), "{as_error}");
            }
            (got, want) => panic!("{}: got {got:?}, want first bad {want:?}", case.name),
        }
    }
}
