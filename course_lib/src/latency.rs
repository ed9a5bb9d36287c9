//! # Latency: the ladder, the speed of light, and the tail at scale
//!
//! **The ladder.** Operations a program does span nine orders of magnitude: an L1 cache hit
//! takes half a nanosecond, a round trip inside a datacenter half a millisecond, a packet to
//! Europe and back from California 150 ms. A distributed system is a program whose function
//! calls sometimes cost a million times more than it looks like, and sometimes never return.
//! [`ladder`] returns the classic table (Dean 2009; see `data/README.md`).
//!
//! **The physics floor.** Light in optical fibre travels at about $c / 1.47 \approx$
//! 204 000 km/s, so a round trip over a great-circle distance $d$ takes at least
//! $2d / v$; [`fiber_rtt_ms`] computes it. California–Netherlands (about 8 800 km) cannot be
//! faster than about 86 ms, whatever the engineering.
//!
//! **The tail at scale.** If one server is slow on a fraction $p$ of requests and a user
//! request fans out to $n$ servers and waits for all, the user request is slow with
//! probability
//!
//! $$P(\text{slow}) = 1 - (1 - p)^n .$$
//!
//! Dean and Barroso's example: with $p = 1\%$ and $n = 100$, 63% of user requests are slow.
//!
//! ```
//! use course_lib::latency::tail_at_scale;
//! let p = tail_at_scale(0.01, 100).unwrap();
//! assert!((p - 0.634).abs() < 0.001);
//! ```
//!
//! ## Reading
//! * J. Dean, L. A. Barroso, "The Tail at Scale", CACM 56(2), 2013.
//! * J. Dean, "Designs, Lessons and Advice from Building Large Distributed Systems", LADIS
//!   2009 keynote.

use crate::error::{validate, Error, Result};

/// The ladder's CSV, compiled in (see `data/README.md`).
const LADDER_CSV: &str = include_str!("../../data/latency_ladder.csv");

/// Speed of light in optical fibre, km per ms (c / 1.47).
pub const FIBER_KM_PER_MS: f64 = 299_792.458 / 1.47 / 1000.0;

/// One rung of the latency ladder.
#[derive(Clone, Debug, PartialEq)]
pub struct Rung {
    /// What is timed.
    pub operation: String,
    /// Typical latency, ns.
    pub latency_ns: f64,
    /// Citation key (see `data/README.md`).
    pub source: String,
}

/// The latency ladder, fastest first.
pub fn ladder() -> Vec<Rung> {
    parse_ladder(LADDER_CSV, "data/latency_ladder.csv").expect("the bundled ladder CSV is valid")
}

fn parse_ladder(text: &str, source_name: &str) -> Result<Vec<Rung>> {
    let mut rungs = Vec::new();
    let mut header_seen = false;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if !header_seen {
            header_seen = true;
            continue;
        }
        let parse_err = |message: String| Error::Parse {
            source_name: source_name.to_string(),
            line: i + 1,
            message,
        };
        let fields: Vec<&str> = line.split(',').collect();
        if fields.len() != 3 {
            return Err(parse_err(format!("expected 3 fields, found {}", fields.len())));
        }
        let latency_ns: f64 = fields[1]
            .trim()
            .parse()
            .map_err(|_| parse_err(format!("latency_ns {:?} is not a number", fields[1])))?;
        rungs.push(Rung {
            operation: fields[0].trim().to_string(),
            latency_ns,
            source: fields[2].trim().to_string(),
        });
    }
    rungs.sort_by(|a, b| a.latency_ns.total_cmp(&b.latency_ns));
    Ok(rungs)
}

/// Minimum round-trip time (ms) over `distance_km` of optical fibre, at the speed of light in
/// glass.
pub fn fiber_rtt_ms(distance_km: f64) -> Result<f64> {
    let d = validate::non_negative("distance_km", distance_km)?;
    Ok(2.0 * d / FIBER_KM_PER_MS)
}

/// Probability that a request fanned out to `fanout` servers, each independently slow with
/// probability `p_slow`, waits for at least one slow server: $1 - (1-p)^n$.
pub fn tail_at_scale(p_slow: f64, fanout: u32) -> Result<f64> {
    let p = validate::probability("p_slow", p_slow)?;
    if fanout == 0 {
        return Err(Error::out_of_range("fanout", 0, "must be at least 1 server"));
    }
    // 1 - (1-p)^n computed as -expm1(n·ln1p(-p)) to stay accurate for tiny p
    Ok(-libm::expm1(fanout as f64 * libm::log1p(-p)))
}

/// The `q`-quantile of the slowest of `fanout` independent responses whose individual
/// latency has CDF `cdf`: the value `x` with $F(x)^n = q$, found by bisection on
/// `[lo, hi]`. Used to show how fan-out moves the median of the whole request into the tail
/// of each part.
pub fn fanout_quantile(
    cdf: impl Fn(f64) -> f64,
    fanout: u32,
    q: f64,
    lo: f64,
    hi: f64,
) -> Result<f64> {
    let q = validate::probability("q", q)?;
    if fanout == 0 {
        return Err(Error::out_of_range("fanout", 0, "must be at least 1 server"));
    }
    let (mut lo, mut hi) = validate::ordered("lo", lo, "hi", hi)?;
    let target = libm::pow(q, 1.0 / fanout as f64); // F(x) must reach q^(1/n)
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if cdf(mid) < target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(0.5 * (lo + hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ladder_spans_nine_orders_of_magnitude() {
        let l = ladder();
        assert_eq!(l.len(), 14);
        assert_eq!(l[0].operation, "L1 cache reference");
        assert_eq!(l[0].latency_ns, 0.5);
        let last = l.last().unwrap();
        assert_eq!(last.latency_ns, 150e6);
        assert!(last.latency_ns / l[0].latency_ns >= 1e8);
        assert!(l.windows(2).all(|w| w[0].latency_ns <= w[1].latency_ns));
    }

    #[test]
    fn notebook_01_prose_holds() {
        // §2: "a step can be less than 2× … or 30× …, on average a few times the one above".
        let l = ladder();
        let steps: Vec<f64> = l.windows(2).map(|w| w[1].latency_ns / w[0].latency_ns).collect();
        let (lo, hi) = steps.iter().fold((f64::MAX, 0f64), |(lo, hi), &r| (lo.min(r), hi.max(r)));
        assert!((lo - 1.4).abs() < 1e-9 && (hi - 30.0).abs() < 1e-9, "{lo} {hi}");
        let mean = (l[13].latency_ns / l[0].latency_ns).powf(1.0 / 13.0);
        assert!((3.0..6.0).contains(&mean), "{mean}");
        // Fallacy 1: "at 20% loss a round costs about 1.6 attempts" (the cell's run: seed 1,
        // 2 s, 20 ms timeout, exponential delays of mean 2 ms; 1/0.8² = 1.56).
        use crate::prelude::*;
        use crate::sim::demo::PingPong;
        let net = Network::new(Dist::exponential_mean(2.0).unwrap()).with_loss(0.2);
        let mut sim = SimBuilder::new(1)
            .network(net)
            .build(PingPong::pair_with_timeout(1_000, 20.0))
            .unwrap();
        sim.run_until_ms(2_000.0);
        let n0 = sim.node(0).unwrap();
        let attempts = (n0.completed() + n0.retries()) as f64 / n0.completed() as f64;
        assert!((1.45..1.75).contains(&attempts), "{attempts}");
    }

    #[test]
    fn ladder_parse_errors_name_the_line() {
        let e = parse_ladder("op,ns,src\nx,fast,y\n", "t.csv").unwrap_err();
        assert_eq!(e.to_string(), "t.csv, line 2: latency_ns \"fast\" is not a number");
        assert!(parse_ladder("op,ns,src\nx,1\n", "t.csv").is_err());
    }

    /// Dean & Barroso, "The Tail at Scale", CACM 2013: "If a user request must collect
    /// responses from 100 such servers in parallel, then 63% of user requests will take more
    /// than one second" (p = 1%), and "a service with 2,000 such servers will see almost one
    /// in five user requests taking more than one second" (p = 1 in 10,000).
    #[test]
    fn reproduces_the_tail_at_scale_numbers() {
        let p = tail_at_scale(0.01, 100).unwrap();
        assert!((p - 0.63).abs() < 0.005, "{p}");
        let p = tail_at_scale(1e-4, 2000).unwrap();
        assert!((p - 0.18).abs() < 0.005, "{p}"); // "almost one in five"
        assert_eq!(tail_at_scale(0.01, 1).unwrap(), 0.01);
        assert!(tail_at_scale(1.5, 10).is_err());
        assert!(tail_at_scale(0.1, 0).is_err());
    }

    #[test]
    fn speed_of_light_floor() {
        // California–Netherlands ≈ 8 800 km: at least ~86 ms, the ladder's 150 ms is above it.
        let rtt = fiber_rtt_ms(8_800.0).unwrap();
        assert!((rtt - 86.3).abs() < 0.5, "{rtt}");
        assert!(fiber_rtt_ms(-1.0).is_err());
    }

    #[test]
    fn fanout_moves_the_median_into_the_tail() {
        // Exponential(1) parts: median of the max of n is -ln(1 - 0.5^(1/n)).
        let cdf = |x: f64| 1.0 - (-x).exp();
        for n in [1u32, 10, 100] {
            let got = fanout_quantile(cdf, n, 0.5, 0.0, 100.0).unwrap();
            let want = -(1.0 - 0.5f64.powf(1.0 / n as f64)).ln();
            assert!((got - want).abs() < 1e-9, "n={n}: {got} vs {want}");
        }
    }
}
