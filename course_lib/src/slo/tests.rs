use std::time::Duration;

use super::synth::{generate, generate_month, MonthSpec, DATA_SEED};
use super::*;

/// A short month with all three incidents and no blips.
fn tiny(days: usize) -> MonthSpec {
    MonthSpec {
        days,
        outage: (1000, 5),
        slow_burn: (1500, 300, 0.0035),
        flapping: (2000, 60, 0.2, 3, 10),
        blips: 0,
        ..MonthSpec::default()
    }
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

fn err_name(e: Error) -> String {
    match e {
        Error::OutOfRange { name, .. } => name,
        other => panic!("expected OutOfRange, got {other:?}"),
    }
}

// ---- the contract formulas -------------------------------------------------------------------

#[test]
fn error_budget_is_one_minus_target_times_window() {
    // 99.9 % over 30 days: 43.2 minutes (SRE Workbook ch. 2 and 5)
    let b = error_budget(0.999, THIRTY_DAYS).unwrap();
    assert!(close(b.as_secs_f64(), 2592.0, 1e-6), "{b:?}");
    let b = error_budget(0.99, DAY).unwrap();
    assert!(close(b.as_secs_f64(), 864.0, 1e-6));
}

#[test]
fn burn_rate_is_error_ratio_over_allowed_ratio() {
    assert!(close(burn_rate(0.0144, 0.999).unwrap(), 14.4, 1e-9));
    assert!(close(burn_rate(0.0, 0.999).unwrap(), 0.0, 0.0));
    assert!(close(burn_rate(0.05, 0.99).unwrap(), 5.0, 1e-12));
}

/// The Site Reliability Workbook, ch. 5, "Multiwindow, Multi-Burn-Rate Alerts": for a 99.9 %
/// SLO over 30 days, page at 2 % of the budget in 1 h (burn rate 14.4, short window 5 min) or
/// 5 % in 6 h (burn rate 6, short window 30 min), ticket at 10 % in 3 days (burn rate 1,
/// short window 6 h). The published values are exact; we check to 1e-12.
#[test]
fn workbook_multiwindow_table() {
    let slo = Slo::new(0.999, THIRTY_DAYS).unwrap();
    let table = [
        (Severity::Page, 0.02, HOUR, 5 * MINUTE, 14.4),
        (Severity::Page, 0.05, 6 * HOUR, 30 * MINUTE, 6.0),
        (Severity::Ticket, 0.10, 3 * DAY, 6 * HOUR, 1.0),
    ];
    let policy = AlertPolicy::workbook_multiwindow(&slo).unwrap();
    assert_eq!(policy.rules.len(), 3);
    for ((sev, frac, long, short, rate), rule) in table.iter().zip(&policy.rules) {
        assert!(close(burn_rate_threshold(*frac, *long, THIRTY_DAYS), *rate, 1e-12));
        assert!(close(budget_consumed(*rate, *long, THIRTY_DAYS), *frac, 1e-12));
        assert_eq!(rule.severity, *sev);
        assert_eq!(rule.long_window, *long);
        assert_eq!(rule.short_window, Some(*short), "short window = long / 12");
        assert!(close(rule.burn_rate, *rate, 1e-12));
        assert!(close(rule.budget_fraction(&slo), *frac, 1e-12));
    }
}

/// The Site Reliability Workbook, ch. 5, "Alert on Burn Rate": time to exhaust a 30-day
/// budget at burn rates 1, 2, 10 and 1000 is 30 days, 15 days, 3 days and 43 minutes
/// (43.2 exactly; the book rounds to whole minutes).
#[test]
fn workbook_time_to_exhaustion_table() {
    assert_eq!(time_to_exhaustion(1.0, THIRTY_DAYS), 30 * DAY);
    assert_eq!(time_to_exhaustion(2.0, THIRTY_DAYS), 15 * DAY);
    assert_eq!(time_to_exhaustion(10.0, THIRTY_DAYS), 3 * DAY);
    let t = time_to_exhaustion(1000.0, THIRTY_DAYS);
    assert_eq!((t.as_secs_f64() / 60.0).round(), 43.0);
    assert!(close(t.as_secs_f64(), 2592.0, 1e-6));
    assert_eq!(time_to_exhaustion(0.0, THIRTY_DAYS), Duration::MAX);
}

#[test]
fn contract_functions_are_consistent() {
    for &(frac, w) in &[(0.02, HOUR), (0.05, 6 * HOUR), (0.5, DAY)] {
        let b = burn_rate_threshold(frac, w, THIRTY_DAYS);
        assert!(close(budget_consumed(b, w, THIRTY_DAYS), frac, 1e-12));
        // burning at b for the whole window W/b spends exactly the budget
        let t = time_to_exhaustion(b, THIRTY_DAYS);
        assert!(close(budget_consumed(b, t, THIRTY_DAYS), 1.0, 1e-9));
    }
}

// ---- bad input -------------------------------------------------------------------------------

#[test]
fn targets_outside_the_open_unit_interval_are_rejected() {
    for bad in [0.0, 1.0, 1.5, -0.1, f64::NAN] {
        assert_eq!(err_name(error_budget(bad, THIRTY_DAYS).unwrap_err()), "target");
        assert_eq!(err_name(burn_rate(0.01, bad).unwrap_err()), "target");
        assert_eq!(err_name(Slo::new(bad, THIRTY_DAYS).unwrap_err()), "target");
    }
    let msg = error_budget(1.5, THIRTY_DAYS).unwrap_err().to_string();
    assert!(msg.contains("strictly between 0 and 1"), "{msg}");
    assert_eq!(err_name(burn_rate(1.2, 0.999).unwrap_err()), "error_ratio");
}

#[test]
fn zero_windows_are_rejected() {
    assert_eq!(err_name(error_budget(0.999, Duration::ZERO).unwrap_err()), "window");
    assert_eq!(err_name(Slo::new(0.999, Duration::ZERO).unwrap_err()), "window");
    assert_eq!(
        err_name(checked_budget_consumed(1.0, Duration::ZERO, THIRTY_DAYS).unwrap_err()),
        "alert_window"
    );
    assert_eq!(
        err_name(checked_burn_rate_threshold(0.02, HOUR, Duration::ZERO).unwrap_err()),
        "slo_window"
    );
    assert_eq!(
        err_name(checked_time_to_exhaustion(1.0, Duration::ZERO).unwrap_err()),
        "slo_window"
    );
    assert!(budget_consumed(1.0, Duration::ZERO, THIRTY_DAYS).is_nan());
    assert!(burn_rate_threshold(0.02, Duration::ZERO, THIRTY_DAYS).is_nan());
    assert_eq!(
        err_name(AlertRule::new(Severity::Page, Duration::ZERO, None, 1.0).unwrap_err()),
        "long_window"
    );
    assert_eq!(
        err_name(AlertRule::new(Severity::Page, HOUR, Some(Duration::ZERO), 1.0).unwrap_err()),
        "short_window"
    );
    assert_eq!(err_name(SliSeries::new(Duration::ZERO, vec![1], vec![1]).unwrap_err()), "interval");
    let s = SliSeries::new(MINUTE, vec![1; 10], vec![1; 10]).unwrap();
    assert_eq!(err_name(s.error_ratio_over(Duration::ZERO).unwrap_err()), "window");
    assert_eq!(err_name(s.error_ratio_over(Duration::from_secs(10)).unwrap_err()), "window");
}

#[test]
fn alert_windows_longer_than_the_slo_window_are_rejected() {
    let e = checked_budget_consumed(1.0, 31 * DAY, THIRTY_DAYS).unwrap_err();
    assert!(e.to_string().contains("cannot be longer than the SLO window"), "{e}");
    assert_eq!(err_name(e), "alert_window");
    assert_eq!(
        err_name(checked_burn_rate_threshold(0.1, 31 * DAY, THIRTY_DAYS).unwrap_err()),
        "alert_window"
    );
    assert!(burn_rate_threshold(0.1, 31 * DAY, THIRTY_DAYS).is_nan());
    let slo = Slo::new(0.999, DAY).unwrap();
    let series = SliSeries::new(MINUTE, vec![10; 100], vec![10; 100]).unwrap();
    // a policy with a 3-day window against a 1-day SLO
    let long = AlertPolicy::single_window(3 * DAY, 1.0).unwrap();
    assert_eq!(err_name(long.evaluate(&series, &slo).unwrap_err()), "long_window");
    let rule = AlertRule {
        severity: Severity::Page,
        long_window: HOUR,
        short_window: Some(2 * DAY),
        burn_rate: 2.0,
    };
    let p = AlertPolicy::new("bad short", vec![rule]).unwrap();
    assert_eq!(err_name(p.evaluate(&series, &slo).unwrap_err()), "short_window");
    assert_eq!(err_name(series.burn_rate_over(2 * DAY, &slo).unwrap_err()), "window");
    assert_eq!(
        err_name(AlertRule::from_budget(Severity::Page, 0.1, 2 * DAY, &slo).unwrap_err()),
        "long_window"
    );
}

#[test]
fn negative_counts_and_good_above_total_are_rejected() {
    let e = SliSeries::new(MINUTE, vec![1, -2], vec![5, 5]).unwrap_err();
    assert_eq!(err_name(e.clone()), "good[1]");
    assert!(e.to_string().contains("cannot be negative"), "{e}");
    assert_eq!(err_name(SliSeries::new(MINUTE, vec![0, 0], vec![5, -1]).unwrap_err()), "total[1]");
    let e = SliSeries::new(MINUTE, vec![5, 7], vec![5, 6]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "good[1] = 7 is out of range: good events cannot exceed total[1] = 6"
    );
    assert!(SliSeries::new(MINUTE, vec![1], vec![1, 2]).is_err());
    assert!(SliSeries::new(MINUTE, vec![], vec![]).is_err());
    assert_eq!(err_name(checked_budget_consumed(-1.0, HOUR, DAY).unwrap_err()), "burn_rate");
    assert_eq!(
        err_name(checked_burn_rate_threshold(1.5, HOUR, DAY).unwrap_err()),
        "budget_fraction"
    );
    assert_eq!(err_name(AlertRule::new(Severity::Page, HOUR, None, 0.0).unwrap_err()), "burn_rate");
}

#[test]
fn csv_errors_name_the_line() {
    let e = SliSeries::parse_csv("minute,good,total\n0,5,5\n1,6,5\n", "x.csv").unwrap_err();
    assert!(e.to_string().contains("good[1]"), "{e}");
    let e = SliSeries::parse_csv("minute,good,total\n0,5,5\n2,5,5\n", "x.csv").unwrap_err();
    assert!(matches!(e, Error::Parse { line: 3, .. }), "{e:?}");
    let e = SliSeries::parse_csv("minute,good,total\n0,-5,5\n", "x.csv").unwrap_err();
    assert!(e.to_string().contains("negative"), "{e}");
    let e =
        Incident::parse_csv("id,kind,start_minute,end_minute,description\nA,x,5,3,d\n", "i.csv")
            .unwrap_err();
    assert!(matches!(e, Error::Parse { line: 2, .. }), "{e:?}");
}

// ---- series and evaluation -------------------------------------------------------------------

/// A day at 1000 requests a minute with a total outage of `len` minutes at `start`.
fn outage_day(start: usize, len: usize) -> SliSeries {
    let total = vec![1000i64; 1440];
    let good: Vec<i64> =
        (0..1440).map(|i| if (start..start + len).contains(&i) { 0 } else { 1000 }).collect();
    SliSeries::new(MINUTE, good, total).unwrap()
}

#[test]
fn window_sums_match_a_naive_computation() {
    let m = generate(&tiny(2), 3).unwrap();
    let s = &m.series;
    let r = s.error_ratio_over(17 * MINUTE).unwrap();
    for i in [0usize, 5, 16, 17, 100, 2879] {
        let lo = (i + 1).saturating_sub(17);
        let bad: u64 = (lo..=i).map(|k| s.total()[k] - s.good()[k]).sum();
        let tot: u64 = (lo..=i).map(|k| s.total()[k]).sum();
        assert!(close(r[i], bad as f64 / tot as f64, 1e-15), "i = {i}");
    }
}

#[test]
fn budget_remaining_falls_by_the_outage() {
    let s = outage_day(600, 10);
    let slo = Slo::new(0.99, DAY).unwrap();
    // budget: 1 % of 1 440 000 = 14 400 bad requests; the outage spends 10 000
    let rem = s.budget_remaining(&slo);
    assert!(close(rem[599], 1.0, 1e-12));
    assert!(close(rem[1439], 1.0 - 10_000.0 / 14_400.0, 1e-12));
    assert!(close(s.budget_spent_between(600, 610, &slo), 10_000.0 / 14_400.0, 1e-12));
}

/// A full outage against the 14.4 / 1 h rule: the 1-hour error ratio exceeds 1.44 % once
/// 0.864 minutes are bad, i.e. at the end of the outage's first minute; the long window
/// alone keeps firing until the outage has left the hour (60 minutes after it ends); the
/// short windows clear the multiwindow pages as soon as they are clean.
fn incident(id: &str, start: usize, end: usize) -> Incident {
    Incident { id: id.into(), kind: "test".into(), start, end, description: String::new() }
}

#[test]
fn detection_and_reset_of_a_full_outage() {
    let month = Slo::new(0.999, THIRTY_DAYS).unwrap();
    let s = outage_day(600, 10);
    let inc = incident("A", 600, 610);
    let single = AlertPolicy::single_window(HOUR, 14.4).unwrap().evaluate(&s, &month).unwrap();
    let m = single.metrics(std::slice::from_ref(&inc));
    assert_eq!(m.incidents[0].detection, Some(MINUTE));
    assert_eq!(m.incidents[0].reset, Some(60 * MINUTE));
    let multi = AlertPolicy::workbook_multiwindow(&month).unwrap().evaluate(&s, &month).unwrap();
    // ten minutes of full outage spend 23 % of the budget: the 3-day ticket fires too, and
    // stays until its 6-hour short window is clean
    let m = multi.metrics(std::slice::from_ref(&inc));
    assert_eq!(m.tickets, 1);
    assert_eq!(m.incidents[0].reset, Some(6 * HOUR));
    let m = multi.only(Severity::Page).metrics(std::slice::from_ref(&inc));
    assert_eq!(m.incidents[0].detection, Some(MINUTE));
    // the 6-hour rule fires too (10 bad minutes in 6 h is burn rate 27.8 > 6), so the page
    // lasts until its 30-minute short window is clean
    assert_eq!(m.incidents[0].reset, Some(30 * MINUTE));
    assert_eq!((m.precision, m.recall), (Some(1.0), 1.0));
    assert_eq!(m.pages, 1);
}

#[test]
fn a_missed_incident_and_a_false_alert_are_counted() {
    let slo = Slo::new(0.999, THIRTY_DAYS).unwrap();
    let s = outage_day(600, 2);
    // an incident labelled elsewhere, when nothing happened
    let inc = incident("X", 100, 200);
    let ev = AlertPolicy::threshold(10 * MINUTE).unwrap().evaluate(&s, &slo).unwrap();
    let m = ev.metrics(&[inc]);
    assert_eq!(m.recall, 0.0);
    assert_eq!(m.precision, Some(0.0));
    assert_eq!(m.false_alerts, 1);
    assert_eq!(m.incidents[0].detection, None);
    let t = PolicyMetrics::table(&[m]).to_string();
    assert!(t.contains("missed"), "{t}");
}

#[test]
fn generated_month_policies_behave_as_the_workbook_says() {
    let m = generate_month(DATA_SEED);
    let slo = Slo::new(0.999, THIRTY_DAYS).unwrap();
    assert_eq!(m.series.len(), 30 * 1440);
    assert_eq!(m.incidents.len(), 3);
    let eval = |p: AlertPolicy| p.evaluate(&m.series, &slo).unwrap().metrics(&m.incidents);
    let threshold = eval(AlertPolicy::threshold(10 * MINUTE).unwrap());
    let single = eval(AlertPolicy::single_window(HOUR, 14.4).unwrap());
    let multi = eval(AlertPolicy::workbook_multiwindow(&slo).unwrap());
    // the threshold alert catches everything but also pages on every blip
    assert_eq!(threshold.recall, 1.0);
    assert!(threshold.false_alerts >= 10, "{threshold:?}");
    // the single 1-hour window misses the slow burn (burn rate 3.5 < 14.4) ...
    assert!(single.incidents[1].detection.is_none(), "{single:?}");
    // ... the multiwindow policy catches it with a ticket, and raises no false alert
    assert_eq!(multi.recall, 1.0, "{multi:?}");
    assert_eq!(multi.false_alerts, 0, "{multi:?}");
    assert_eq!(multi.incidents[1].first_severity, Some(Severity::Ticket));
    let pages = AlertPolicy::workbook_multiwindow(&slo)
        .unwrap()
        .evaluate(&m.series, &slo)
        .unwrap()
        .only(Severity::Page)
        .metrics(&m.incidents);
    assert!(pages.incidents[0].reset.unwrap() <= 30 * MINUTE, "{pages:?}");
    assert!(single.incidents[0].reset.unwrap() >= 50 * MINUTE, "{single:?}");
    // the SLO is met, but most of the budget is gone
    let left = *m.series.budget_remaining(&slo).last().unwrap();
    assert!((0.0..0.4).contains(&left), "budget left {left}");
}

#[test]
fn generator_is_deterministic_and_seed_dependent() {
    let spec = tiny(3);
    let a = generate(&spec, 1).unwrap();
    assert_eq!(a, generate(&spec, 1).unwrap());
    assert_ne!(a.series, generate(&spec, 2).unwrap().series);
    // the CSV round-trips
    let back = SliSeries::parse_csv(&a.series_csv(), "mem").unwrap();
    assert_eq!(back, a.series);
    assert_eq!(Incident::parse_csv(&a.incidents_csv(), "mem").unwrap(), a.incidents);
}

#[test]
fn generator_rejects_bad_parameters() {
    let bad = MonthSpec { daily_amplitude: 1.0, ..MonthSpec::default() };
    assert_eq!(err_name(generate(&bad, 1).unwrap_err()), "daily_amplitude");
    let bad = MonthSpec { days: 3, ..MonthSpec::default() };
    assert!(generate(&bad, 1).unwrap_err().to_string().contains("incident"));
}

#[test]
fn burn_down_figure_renders() {
    let m = generate_month(DATA_SEED);
    let slo = Slo::new(0.999, THIRTY_DAYS).unwrap();
    let ev = AlertPolicy::workbook_multiwindow(&slo).unwrap().evaluate(&m.series, &slo).unwrap();
    let fig = m.series.burn_down_chart(&slo, &ev, &m.incidents).render().unwrap();
    for want in
        ["A: outage", "B: slow burn", "C: flapping", "page alerts firing", "ticket alerts firing"]
    {
        assert!(fig.svg().contains(want), "{want}");
    }
    if let Ok(dir) = std::env::var("SLO_FIGURE_DIR") {
        fig.save(format!("{dir}/burn_down.svg")).unwrap();
    }
}
