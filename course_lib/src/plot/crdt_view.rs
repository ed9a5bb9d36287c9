//! Views of the crdt module's plain results: convergence time vs the gossip interval, and the
//! bytes an anti-entropy exchange costs with a Merkle tree vs the full state. They live in the
//! plot layer, so `crdt` never depends on plotting.

use crate::crdt::gossip::ConvergencePoint;
use crate::crdt::merkle::SyncCost;
use crate::error::{Error, Result};
use crate::plot::{Figure, LineChart};

/// Mean convergence time (ms after the last update) against the gossip interval (ms), with
/// the line `interval · (log₂ n + ln n)` for `replicas` replicas as a guide: the rounds push
/// gossip needs to reach everyone (Pittel 1987).
pub fn convergence_chart(points: &[ConvergencePoint], replicas: usize) -> Result<Figure> {
    if points.is_empty() {
        return Err(Error::empty("the convergence points", "pass at least one interval"));
    }
    let n = replicas.max(2) as f64;
    let lg = n.log2() + n.ln();
    LineChart::new(format!("Gossip: time to agree vs interval ({replicas} replicas, G-counter)"))
        .x_label("gossip interval (ms)")
        .y_label("time to agree after the last update (ms)")
        .series(
            "measured",
            points.iter().filter(|p| p.mean_ms.is_finite()).map(|p| (p.interval_ms, p.mean_ms)),
        )
        .series(
            format!("{lg:.1} · interval"),
            points.iter().map(|p| (p.interval_ms, p.interval_ms * lg)),
        )
        .markers(true)
        .render()
}

/// Bytes exchanged to find `d` differing keys among `keys` keys: Merkle tree vs full state,
/// against `d` (both axes log scale, so every `d` must be at least 1).
pub fn merkle_cost_chart(rows: &[(usize, SyncCost)], keys: usize) -> Result<Figure> {
    if rows.is_empty() {
        return Err(Error::empty("the anti-entropy rows", "pass at least one d"));
    }
    if rows.iter().any(|(d, _)| *d == 0) {
        return Err(Error::out_of_range("d", 0, "must be at least 1 on a log axis"));
    }
    let depth = rows[0].1.depth;
    LineChart::new(format!("Anti-entropy among {keys} keys: bytes to find d differences"))
        .x_label("differing keys d (log scale)")
        .y_label("bytes sent (log scale)")
        .series(
            format!("Merkle tree (depth {depth})"),
            rows.iter().map(|(d, c)| (*d as f64, c.bytes.max(1) as f64)),
        )
        .series("full state", rows.iter().map(|(d, c)| (*d as f64, c.full_bytes as f64)))
        .log_x()
        .log_y()
        .markers(true)
        .render()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crdt::gossip::convergence_vs_interval;
    use crate::crdt::merkle::cost_vs_differences;

    #[test]
    fn the_views_render_with_their_series_and_reject_empty_input() {
        let pts = convergence_vs_interval(4, &[10.0, 20.0], 2).unwrap();
        let svg = convergence_chart(&pts, 4).unwrap().svg().to_string();
        assert!(svg.contains("measured") && svg.contains("gossip interval (ms)"));
        let rows = cost_vs_differences(2_000, &[1, 10, 100], 8, 1).unwrap();
        let svg = merkle_cost_chart(&rows, 2_000).unwrap().svg().to_string();
        assert!(svg.contains("Merkle tree (depth 8)") && svg.contains("full state"));
        assert!(convergence_chart(&[], 4).is_err() && merkle_cost_chart(&[], 10).is_err());
        let zero = cost_vs_differences(100, &[0], 8, 1).unwrap();
        assert!(merkle_cost_chart(&zero, 100).unwrap_err().to_string().contains("at least 1"));
    }
}
