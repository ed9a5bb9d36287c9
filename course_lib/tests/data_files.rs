//! The data sets shipped in `data/` load through the public API and say what data/README.md
//! says they do.

use course_lib::dist::Dist;

const RTT_CSV: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/loopback_rtt_us.csv");

#[test]
fn loopback_rtt_sample_loads_as_an_empirical_distribution() {
    let d = Dist::empirical_from_csv(RTT_CSV, "rtt_us").expect("data/loopback_rtt_us.csv loads");
    let Dist::Empirical(e) = &d else { panic!("expected an empirical distribution, got {d}") };
    assert_eq!(e.len(), 5_000, "data/README.md promises 5 000 samples");
    assert!(e.samples().iter().all(|&x| x > 0.0 && x.is_finite()));
    // heavy-tailed, as data/README.md describes: the maximum is far beyond the median
    let median = d.median();
    let max = d.quantile(1.0).unwrap();
    assert!(max / median > 10.0, "median {median} µs, max {max} µs");
    assert!(d.quantile(0.99).unwrap() < max);
}

#[test]
fn a_missing_column_is_an_error_naming_it() {
    let e = Dist::empirical_from_csv(RTT_CSV, "latency_ms").unwrap_err();
    assert!(e.to_string().contains("latency_ms"), "{e}");
}
