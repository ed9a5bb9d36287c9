//! The `slo` contract as callers outside the crate see it (issue 4): names, signatures and
//! formulas, with `std::time::Duration` windows.

use std::time::Duration;

use course_lib::slo::{
    budget_consumed, burn_rate, burn_rate_threshold, error_budget, time_to_exhaustion,
};
use course_lib::Error;

const HOUR: Duration = Duration::from_secs(3600);
const DAYS_30: Duration = Duration::from_secs(30 * 86_400);

#[test]
fn signatures_and_formulas() {
    let budget: Result<Duration, Error> = error_budget(0.999, DAYS_30);
    assert!((budget.unwrap().as_secs_f64() - 0.001 * DAYS_30.as_secs_f64()).abs() < 1e-6);
    let b: Result<f64, Error> = burn_rate(0.002, 0.999);
    assert!((b.unwrap() - 2.0).abs() < 1e-9);
    let consumed: f64 = budget_consumed(6.0, 6 * HOUR, DAYS_30);
    assert!((consumed - 0.05).abs() < 1e-12);
    let threshold: f64 = burn_rate_threshold(0.02, HOUR, DAYS_30);
    assert!((threshold - 14.4).abs() < 1e-12);
    let t: Duration = time_to_exhaustion(2.0, DAYS_30);
    assert_eq!(t, Duration::from_secs(15 * 86_400));
}

/// The Site Reliability Workbook, ch. 5: the multiwindow, multi-burn-rate table for a 99.9 %
/// SLO over 30 days (2 % in 1 h → 14.4; 5 % in 6 h → 6; 10 % in 3 days → 1), short windows
/// 1/12 of the long ones.
#[test]
fn workbook_table() {
    use course_lib::slo::{AlertPolicy, Slo};
    let rows = [(0.02, HOUR, 14.4), (0.05, 6 * HOUR, 6.0), (0.10, 72 * HOUR, 1.0)];
    let p = AlertPolicy::workbook_multiwindow(&Slo::new(0.999, DAYS_30).unwrap()).unwrap();
    for ((frac, long, rate), rule) in rows.iter().zip(&p.rules) {
        assert!((burn_rate_threshold(*frac, *long, DAYS_30) - rate).abs() < 1e-12);
        assert!((rule.burn_rate - rate).abs() < 1e-12);
        assert_eq!(rule.short_window, Some(*long / 12));
    }
}

#[test]
fn bad_input_names_the_parameter() {
    let name = |e: Error| match e {
        Error::OutOfRange { name, .. } => name,
        other => panic!("{other:?}"),
    };
    assert_eq!(name(error_budget(1.0, DAYS_30).unwrap_err()), "target");
    assert_eq!(name(error_budget(0.999, Duration::ZERO).unwrap_err()), "window");
    assert_eq!(name(burn_rate(0.1, 0.0).unwrap_err()), "target");
    assert!(budget_consumed(1.0, 2 * DAYS_30, DAYS_30).is_nan());
    assert!(burn_rate_threshold(0.02, Duration::ZERO, DAYS_30).is_nan());
}
