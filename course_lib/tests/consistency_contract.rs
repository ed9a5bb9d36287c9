//! The names and signatures issue 5 promises to other modules (the consensus notebooks export
//! Jepsen histories and call the checker; notebooks call the staleness functions).

use course_lib::consistency::{check_cas_register, History, Verdict};
use course_lib::error::Error;
use course_lib::staleness::{prob_stale, t_visibility, time_to_visibility, LatencyProfile};

const LINEARIZABLE: &str = r#"
{"process": 0, "type": "invoke", "f": "write", "value": 1}
{"process": 1, "type": "invoke", "f": "read", "value": null}
{"process": 0, "type": "ok", "f": "write", "value": 1}
{"process": 1, "type": "ok", "f": "read", "value": 1}
{"process": 2, "type": "invoke", "f": "cas", "value": [1, 2]}
{"process": 2, "type": "info", "f": "cas", "value": [1, 2]}
{"process": 1, "type": "invoke", "f": "read", "value": null}
{"process": 1, "type": "ok", "f": "read", "value": 2}
"#;

#[test]
fn history_and_checker_contract() {
    let h: Result<History, Error> = History::from_jsonl(LINEARIZABLE);
    let v: Verdict = check_cas_register(&h.unwrap());
    let ok: bool = v.is_linearizable();
    assert!(ok, "{}", v.explanation());

    // the same history with a read that goes back in time
    let bad = format!(
        "{LINEARIZABLE}{}",
        r#"{"process": 1, "type": "invoke", "f": "read", "value": null}
{"process": 1, "type": "ok", "f": "read", "value": 1}"#
    );
    let v = check_cas_register(&History::from_jsonl(&bad).unwrap());
    assert!(!v.is_linearizable());
    assert!(v.explanation().contains("p1 read → 1"), "{}", v.explanation());
    assert!(v.plot().unwrap().svg().contains("cannot be ordered"));
}

#[test]
fn history_errors_carry_line_numbers() {
    let cases = [
        ("{\"process\": 0, \"type\": \"invoke\", \"f\": \"read\"}\nnot json", 2),
        (r#"{"process": 0, "type": "ok", "f": "read", "value": 1}"#, 1),
        (r#"{"process": 0, "type": "invoke", "f": "incr", "value": 1}"#, 1),
        (r#"{"process": 0, "type": "started", "f": "read", "value": null}"#, 1),
    ];
    for (text, line) in cases {
        match History::from_jsonl(text) {
            Err(Error::Parse { line: l, .. }) => assert_eq!(l, line, "{text}"),
            other => panic!("{text}: expected a parse error, got {other:?}"),
        }
    }
}

#[test]
fn staleness_contract() {
    let p = LatencyProfile::lnkd_ssd();
    for p in [&p, &LatencyProfile::lnkd_disk(), &LatencyProfile::ymmr(), &LatencyProfile::wan()] {
        let x: Result<f64, Error> = t_visibility(p, 3, 1, 1, 1.0, 1000, 1);
        assert!((0.0..=1.0).contains(&x.unwrap()));
    }
    let t: Result<f64, Error> = time_to_visibility(&p, 3, 1, 1, 0.99, 10_000, 1);
    assert!(t.unwrap() >= 0.0);
    let k: Result<f64, Error> = prob_stale(3, 1, 1, 2);
    assert!((k.unwrap() - 4.0 / 9.0).abs() < 1e-12);
    // bad input
    assert!(t_visibility(&p, 3, 0, 1, 0.0, 10, 1).is_err());
    assert!(t_visibility(&p, 3, 1, 4, 0.0, 10, 1).is_err());
    assert!(t_visibility(&p, 3, 1, 1, -0.5, 10, 1).is_err());
    assert!(time_to_visibility(&p, 3, 1, 1, 0.0, 10, 1).is_err());
    assert!(time_to_visibility(&p, 3, 1, 1, 1.0, 10, 1).is_err());
    assert!(prob_stale(3, 1, 0, 1).is_err());
}

/// Bailis et al., "Probabilistically Bounded Staleness for Practical Partial Quorums",
/// PVLDB 5(8), 2012, §3 (PBS k-staleness): "for N = 3, R = W = 1, the probability of returning a
/// version within 2 versions is 0.5̄ [= 5/9], within 3 versions 0.7̄0̄3̄ [repeating: 19/27],
/// within 5 versions > 0.868, and within 10 versions > 0.98". The repeating decimals are exact;
/// the last two are the paper's three-decimal lower bounds.
#[test]
fn k_staleness_reproduces_the_papers_n3_r1_w1_numbers() {
    let within = |k: u32| 1.0 - prob_stale(3, 1, 1, k).unwrap();
    assert!((within(2) - 5.0 / 9.0).abs() < 1e-12, "within 2 versions: {}", within(2));
    assert!((within(3) - 19.0 / 27.0).abs() < 1e-12, "within 3 versions: {}", within(3));
    assert!(within(5) > 0.868 && within(5) < 0.869, "within 5 versions: {}", within(5));
    assert!(within(10) > 0.98 && within(10) < 0.99, "within 10 versions: {}", within(10));
}
