//! Per-day summaries of an SLI frame with polars (feature `frames`), for notebook 04.
//!
//! ```text
//! let df = read_csv("../data/sli_month.csv")?;
//! let daily = course_lib::slo::frames::daily_summary(&df, &slo)?;
//! frame_table(&daily, 31)
//! ```

use polars::prelude::{Column, DataFrame, DataType, PolarsError};

use super::Slo;
use crate::error::{Error, Result};

fn pe(e: PolarsError) -> Error {
    Error::invalid("SLI frame", e.to_string())
}

fn ints(df: &DataFrame, name: &str) -> Result<Vec<i64>> {
    let c = df.column(name).map_err(pe)?.cast(&DataType::Int64).map_err(pe)?;
    Ok(c.i64().map_err(pe)?.to_vec().into_iter().map(|v| v.unwrap_or(0)).collect())
}

/// Groups a frame with columns `minute`, `good`, `total` (the format of
/// `data/sli_month.csv`) by day (minute / 1440) with polars' `group_by`, and returns one row
/// per day: `day`, `requests`, `failed`, `availability_pct`, and `budget_spent_pct`, the
/// share of the whole period's error budget (against `slo`) that the day's failures used.
///
/// # Errors
/// A missing column, or counts that are not integers.
pub fn daily_summary(df: &DataFrame, slo: &Slo) -> Result<DataFrame> {
    let days: Vec<i64> = ints(df, "minute")?.into_iter().map(|m| m / 1440).collect();
    let mut with_day = df.clone();
    with_day.with_column(Column::new("day".into(), days)).map_err(pe)?;
    // Eager `GroupBy::sum` is deprecated in favour of polars' lazy API, which the crate's
    // `frames` feature leaves out to keep the polars build small; the eager one still works.
    #[allow(deprecated)]
    let sums = with_day
        .group_by_stable(["day"])
        .map_err(pe)?
        .select(["good", "total"])
        .sum()
        .map_err(pe)?;
    let day = ints(&sums, "day")?;
    let good = ints(&sums, "good_sum")?;
    let total = ints(&sums, "total_sum")?;
    let failed: Vec<i64> = good.iter().zip(&total).map(|(g, t)| t - g).collect();
    let all: i64 = total.iter().sum();
    let budget = slo.allowed_error_ratio() * all as f64;
    let availability: Vec<f64> = good
        .iter()
        .zip(&total)
        .map(|(&g, &t)| if t == 0 { 100.0 } else { 100.0 * g as f64 / t as f64 })
        .collect();
    let spent: Vec<f64> = failed.iter().map(|&b| 100.0 * b as f64 / budget).collect();
    DataFrame::new(
        sums.height(),
        vec![
            Column::new("day".into(), day),
            Column::new("requests".into(), total),
            Column::new("failed".into(), failed),
            Column::new("availability_pct".into(), availability),
            Column::new("budget_spent_pct".into(), spent),
        ],
    )
    .map_err(pe)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slo::THIRTY_DAYS;

    #[test]
    fn daily_summary_of_the_month() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/sli_month.csv");
        let df = crate::frames::read_csv(path).unwrap();
        let slo = Slo::new(0.999, THIRTY_DAYS).unwrap();
        let d = daily_summary(&df, &slo).unwrap();
        assert_eq!(d.height(), 30);
        let spent: f64 =
            d.column("budget_spent_pct").unwrap().f64().unwrap().to_vec().iter().flatten().sum();
        let series = crate::slo::SliSeries::from_csv(path).unwrap();
        let left = 100.0 * series.budget_remaining(&slo).last().unwrap();
        assert!((spent - (100.0 - left)).abs() < 1e-6, "{spent} vs {left}");
        let e = daily_summary(&df.drop("good").unwrap(), &slo).unwrap_err();
        assert!(e.to_string().contains("good"), "{e}");
    }
}
