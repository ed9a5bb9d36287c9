//! Views of the quorum module's plain results: notebook 15's spine figure, a quorum's nines
//! against its zones' availability, exact and simulated ([`ZoneSweep::chart`]).

use crate::error::Result;
use crate::plot::{Figure, LineChart};
use crate::quorum::ZoneSweep;

impl ZoneSweep {
    /// System nines vs zone nines: the closed form, the Monte Carlo estimates and the two ends
    /// of their 95 % intervals, and a reference line at the nines the same nodes would have
    /// if they failed independently.
    pub fn chart(&self) -> Result<Figure> {
        let n: usize = self.zone_sizes.iter().sum();
        let zones: Vec<String> = self.zone_sizes.iter().map(|z| z.to_string()).collect();
        let nines = |unavailable: f64| -unavailable.log10();
        let pick = |f: fn(&crate::quorum::Estimate) -> f64| -> Vec<(f64, f64)> {
            self.simulated.iter().map(|(x, e)| (*x, nines(1.0 - f(e)))).collect()
        };
        LineChart::new(format!(
            "Quorum of {} out of {n} in zones {} (p = {} per node): zones cap the nines",
            self.quorum,
            zones.join(" + "),
            self.p_node
        ))
        .x_label("zone nines: −log₁₀(1 − p_zone)")
        .y_label("system nines")
        .series("exact", self.exact.clone())
        .series(format!("simulated ({} trials)", short_count(self.trials)), pick(|e| e.value))
        .series("95% CI, low end", pick(|e| e.ci_low))
        .series("95% CI, high end", pick(|e| e.ci_high))
        .hline(self.independent_nines, "independent nodes")
        .markers(true)
        .render()
    }
}

/// 2000000 → "2M", 50000 → "50k", 1234 → "1234".
fn short_count(n: u64) -> String {
    match n {
        n if n >= 1_000_000 && n % 1_000_000 == 0 => format!("{}M", n / 1_000_000),
        n if n >= 1_000 && n % 1_000 == 0 => format!("{}k", n / 1_000),
        n => n.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spine_figure_has_its_series_and_reference_line() {
        let s = ZoneSweep::run(&[2, 2, 1], 3, 0.999, 4.0, 200_000, 15).unwrap();
        let svg = s.chart().unwrap().svg().to_string();
        for text in [
            "Quorum of 3 out of 5 in zones 2 + 2 + 1",
            "simulated (200k trials)",
            "95% CI, low end",
            "independent nodes",
        ] {
            assert!(svg.contains(text), "{text}");
        }
        assert_eq!((short_count(2_000_000), short_count(1_234)), ("2M".into(), "1234".into()));
    }
}
