//! # Latency and delay distributions
//!
//! Send the same message between the same two machines a million times and you get a million
//! different delays: queueing in switches, scheduling on the receiver, a retransmission, a
//! garbage-collection pause. The *latency distribution* is the law those delays follow. A
//! protocol that is correct in a textbook with "the network delay" must be correct, and fast,
//! under the whole distribution, and most of the surprises hide in its right end, the *tail*.
//!
//! **Units.** Every value in this module (samples, means, quantiles, the arguments of
//! [`Dist::cdf`], the parameters of the constructors) is a delay in **milliseconds**, as an
//! `f64`. Rates are *per millisecond*: [`Dist::exponential`]`(0.5)` has mean 2 ms.
//!
//! ## Definitions
//! For a random delay X:
//!
//! * the **cumulative distribution function** is F(x) = P(X ≤ x). It is non-decreasing,
//!   right-continuous, tends to 0 on the left and to 1 on the right ([`Dist::cdf`]);
//! * the **quantile function** is Q(p) = inf { x : F(x) ≥ p } for 0 < p ≤ 1: the smallest
//!   delay that a fraction p of messages do not exceed. Q(0.5) is the median, Q(0.99) the
//!   "p99". Q(0) is taken to be the lower end of the support ([`Dist::quantile`]);
//! * the **tail** (survival function) is P(X > x) = 1 − F(x).
//!
//! ## Why the tail matters
//! A request that fans out to 100 servers waits for the slowest. If each server is slower than
//! its p99 one time in a hundred, the request is slow with probability 1 − 0.99¹⁰⁰ ≈ 63 %: the
//! rare event of one machine is the common event of the system (Dean & Barroso). Averages hide
//! this; quantiles show it.
//!
//! How fast the tail P(X > x) falls decides everything:
//!
//! * **Exponential** (rate λ): P(X > x) = e^(−λx). Memoryless, light-tailed; the classic
//!   queueing-theory model. Mean 1/λ.
//! * **Pareto** (scale x_m, shape α): P(X > x) = (x_m / x)^α for x ≥ x_m. The tail falls only
//!   polynomially: *heavy-tailed*. For α ≤ 2 the variance is infinite, for α ≤ 1 even the mean
//!   is; a sample mean then never settles down however many messages you send
//!   ([`Dist::mean`] returns `None`).
//! * **Log-normal** (μ, σ of ln X): ln X is normal. Every moment is finite, but with σ ≳ 1 it
//!   looks heavy-tailed over any range you can measure. Median e^μ, mean e^(μ + σ²/2);
//!   [`Dist::lognormal_from_median_p99`] builds one from the two numbers a dashboard shows.
//! * **Mixtures**, "mostly fast, sometimes slow": 0.99 × Exp(mean = 1 ms) + 0.01 ×
//!   Pareto(x_m = 10 ms, α = 1.5) is a network that usually answers in a millisecond and
//!   occasionally hits a slow path. F is the weighted sum of the components' CDFs.
//! * **Empirical**: measured delays (e.g. from a CSV file), resampled uniformly at random
//!   (the bootstrap).
//! * **Constant**, **Uniform** and **Normal** are there for calibration and comparison.
//!
//! ```
//! use course_lib::dist::Dist;
//! use course_lib::rng::SimRng;
//!
//! let fast = Dist::exponential_mean(1.0)?; // ms
//! let slow = Dist::pareto(10.0, 1.5)?; // x_m = 10 ms, α = 1.5
//! let net = Dist::mixture(vec![(0.99, fast), (0.01, slow)])?;
//! assert_eq!(
//!     net.to_string(),
//!     "Mixture[0.99 × Exp(mean = 1 ms) + 0.01 × Pareto(x_m = 10 ms, α = 1.5)]"
//! );
//!
//! // The median is fast, the p99.9 is not.
//! assert!(net.median() < 1.0);
//! assert!(net.quantile(0.999)? > 40.0);
//!
//! // Sampling agrees with the CDF: about 1 message in 100 is slower than 10 ms.
//! let mut rng = SimRng::new(7);
//! let xs = net.samples(&mut rng, 100_000);
//! let slow_fraction = xs.iter().filter(|&&x| x > 10.0).count() as f64 / 1e5;
//! assert!((slow_fraction - (1.0 - net.cdf(10.0))).abs() < 0.002);
//! # Ok::<(), course_lib::Error>(())
//! ```
//!
//! ## Negative samples
//! A delay cannot be negative, but a Normal (or a Uniform with `lo < 0`, or an Empirical
//! sample containing negative numbers) can produce negative values. [`Dist::sample`] returns
//! the raw value; [`Dist::sample_delay`] clamps it at 0 ms, and that is what the simulator uses
//! when it schedules a message. [`Dist::min_value`] and [`Dist::is_non_negative`] tell you
//! whether the clamp can ever act.
//!
//! ## Reproducibility
//! [`Dist::sample`] uses only a [`SimRng`] and the pure-Rust `libm`, so the same generator
//! state gives bit-identical samples on every platform. [`Dist::cdf`] and [`Dist::quantile`]
//! are for analysis, not for driving a simulation: the normal and log-normal quantiles use
//! `statrs`' inverse error function and may differ in the last bit between platforms.
//!
//! ## Reading
//! * J. Dean and L. A. Barroso, "The Tail at Scale", *Communications of the ACM* 56(2), 2013.
//! * P. Bailis, S. Venkataraman, M. J. Franklin, J. M. Hellerstein and I. Stoica,
//!   "Probabilistically Bounded Staleness for Practical Partial Quorums", *PVLDB* 5(8), 2012:
//!   fits mixtures of Pareto and exponential distributions to production latencies from
//!   LinkedIn and Yammer.
//! * M. Crovella and A. Bestavros, "Self-Similarity in World Wide Web Traffic: Evidence and
//!   Possible Causes", *IEEE/ACM Transactions on Networking* 5(6), 1997 (heavy tails in
//!   practice).
//! * R. J. Hyndman and Y. Fan, "Sample Quantiles in Statistical Packages", *The American
//!   Statistician* 50(4), 1996 (the "type 7" empirical quantile used here).

use std::fmt;
use std::path::Path;

use crate::error::{validate, Error, Result};
use crate::rng::SimRng;

/// The 0.99 quantile of the standard normal distribution, Φ⁻¹(0.99).
const Z_99: f64 = 2.326_347_874_040_841;

/// A probability distribution of delays, in milliseconds.
///
/// Build one with the validated constructors ([`Dist::exponential_mean`], [`Dist::pareto`],
/// [`Dist::mixture`], …), which check every parameter and return an [`Error`] naming the one
/// that is wrong. The variants' fields are public so a notebook can `match` on a distribution
/// and print its parameters; a value built directly from the variants is not checked (use
/// [`Dist::check`]). Deserialising (with the `serde` feature) checks the parameters too.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "repr::DistRepr", into = "repr::DistRepr"))]
pub enum Dist {
    /// Always the same delay. See [`Dist::constant`].
    Constant {
        /// The delay, ms.
        value: f64,
    },
    /// Uniform on `[lo, hi]`. See [`Dist::uniform`].
    Uniform {
        /// Lower end, ms.
        lo: f64,
        /// Upper end, ms.
        hi: f64,
    },
    /// Exponential: memoryless, mean `1 / rate`. See [`Dist::exponential`].
    Exponential {
        /// Events per millisecond; the mean delay is `1 / rate` ms.
        rate: f64,
    },
    /// Normal (Gaussian). Can be negative: see [`Dist::sample_delay`]. See [`Dist::normal`].
    Normal {
        /// Mean, ms.
        mean: f64,
        /// Standard deviation, ms (0 allowed: a constant).
        sd: f64,
    },
    /// Log-normal: `ln X` is normal with mean `mu` and standard deviation `sigma`.
    /// See [`Dist::lognormal`] and [`Dist::lognormal_from_median_p99`].
    LogNormal {
        /// Mean of `ln X` (X in ms), so the median is `e^mu` ms.
        mu: f64,
        /// Standard deviation of `ln X`; larger means a heavier-looking tail.
        sigma: f64,
    },
    /// Pareto (type I): `P(X > x) = (scale / x)^shape` for `x >= scale`. See [`Dist::pareto`].
    Pareto {
        /// x_m, the smallest possible delay, ms.
        scale: f64,
        /// α, the tail index: the smaller, the heavier the tail (mean infinite for α ≤ 1,
        /// variance infinite for α ≤ 2).
        shape: f64,
    },
    /// A weighted mixture of distributions. See [`Dist::mixture`].
    Mixture(Mixture),
    /// Measured delays, resampled uniformly. See [`Dist::empirical`].
    Empirical(Empirical),
}

/// A weighted mixture of distributions: with probability `wᵢ` a sample comes from component
/// `i`. Weights are normalised to sum to 1 on construction.
///
/// F(x) = Σ wᵢ Fᵢ(x); the mean is Σ wᵢ μᵢ.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "Vec<(f64, Dist)>", into = "Vec<(f64, Dist)>"))]
pub struct Mixture {
    /// `(weight, distribution)` with weights normalised to sum to 1.
    components: Vec<(f64, Dist)>,
    /// Running sums of the weights; the last positive-weight entry and all after it are
    /// exactly 1.0, so a uniform draw in `[0, 1)` always finds a component of positive weight.
    cumulative: Vec<f64>,
    /// The floating-point sum of the normalised weights in component order (1 up to
    /// rounding). The CDF divides by it, so that F(+∞) is exactly 1.
    weight_sum: f64,
}

/// An empirical distribution: a sample of measured delays, resampled uniformly at random.
///
/// The samples are kept sorted, so [`Dist::cdf`] is a binary search and [`Dist::quantile`]
/// is an index computation.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "Vec<f64>", into = "Vec<f64>"))]
pub struct Empirical {
    /// The observations, ascending. Never empty, all finite.
    sorted: Vec<f64>,
}

// ---------------------------------------------------------------------------------------------
// Constructors

impl Dist {
    /// Always `value` ms. `value` must be finite and `>= 0`.
    ///
    /// ```
    /// # use course_lib::dist::Dist;
    /// assert_eq!(Dist::constant(5.0)?.median(), 5.0);
    /// assert!(Dist::constant(-1.0).is_err());
    /// # Ok::<(), course_lib::Error>(())
    /// ```
    pub fn constant(value: f64) -> Result<Dist> {
        Ok(Dist::Constant { value: validate::non_negative("value", value)? })
    }

    /// Uniform on `[lo, hi]` ms. Both finite, `lo <= hi`; `lo == hi` is a constant. A negative
    /// `lo` is allowed (see [`Dist::sample_delay`] for how a delay is clamped).
    pub fn uniform(lo: f64, hi: f64) -> Result<Dist> {
        let (lo, hi) = validate::ordered("lo", lo, "hi", hi)?;
        if !(hi - lo).is_finite() {
            return Err(Error::invalid(
                "uniform distribution",
                format!("the width hi − lo = {hi} − ({lo}) is too large to represent"),
            ));
        }
        Ok(Dist::Uniform { lo, hi })
    }

    /// Exponential with `rate` events per ms (mean `1 / rate` ms). `rate` must be finite and
    /// `> 0`.
    pub fn exponential(rate: f64) -> Result<Dist> {
        Ok(Dist::Exponential { rate: validate::positive("rate", rate)? })
    }

    /// Exponential with the given mean in ms (finite, `> 0`): the usual way to say
    /// "about `mean` ms, memoryless".
    pub fn exponential_mean(mean: f64) -> Result<Dist> {
        let mean = validate::positive("mean", mean)?;
        let rate = 1.0 / mean;
        if rate.is_finite() {
            Ok(Dist::Exponential { rate })
        } else {
            Err(Error::out_of_range("mean", mean, "must be large enough that 1 / mean is finite"))
        }
    }

    /// Normal with `mean` and standard deviation `sd` (ms). `mean` finite, `sd` finite and
    /// `>= 0`. Samples can be negative; see [`Dist::sample_delay`].
    pub fn normal(mean: f64, sd: f64) -> Result<Dist> {
        let mean = validate::finite("mean", mean)?;
        let sd = validate::non_negative("sd", sd)?;
        Ok(Dist::Normal { mean, sd })
    }

    /// Log-normal: `ln X ~ Normal(mu, sigma)`, X in ms. `mu` finite, `sigma` finite and
    /// `>= 0`. The median is `e^mu` ms.
    pub fn lognormal(mu: f64, sigma: f64) -> Result<Dist> {
        let mu = validate::finite("mu", mu)?;
        let sigma = validate::non_negative("sigma", sigma)?;
        Ok(Dist::LogNormal { mu, sigma })
    }

    /// The log-normal with the given median and 99th percentile (ms): `mu = ln(median)`,
    /// `sigma = ln(p99 / median) / Φ⁻¹(0.99)`. Requires `0 < median <= p99`, both finite.
    ///
    /// ```
    /// # use course_lib::dist::Dist;
    /// let d = Dist::lognormal_from_median_p99(2.0, 50.0)?;
    /// assert!((d.median() - 2.0).abs() < 1e-12);
    /// assert!((d.quantile(0.99)? - 50.0).abs() < 1e-9);
    /// # Ok::<(), course_lib::Error>(())
    /// ```
    pub fn lognormal_from_median_p99(median: f64, p99: f64) -> Result<Dist> {
        let median = validate::positive("median", median)?;
        let p99 = validate::positive("p99", p99)?;
        if p99 < median {
            return Err(Error::out_of_range(
                "p99",
                p99,
                format!("must be at least median = {median}"),
            ));
        }
        let mu = libm::log(median);
        let sigma = (libm::log(p99) - mu) / Z_99;
        Ok(Dist::LogNormal { mu, sigma })
    }

    /// Pareto with scale x_m = `scale` ms (the minimum delay) and shape α = `shape`; both
    /// finite and `> 0`. `P(X > x) = (scale / x)^shape` for `x >= scale`.
    pub fn pareto(scale: f64, shape: f64) -> Result<Dist> {
        let scale = validate::positive("scale", scale)?;
        let shape = validate::positive("shape", shape)?;
        Ok(Dist::Pareto { scale, shape })
    }

    /// A mixture of `(weight, distribution)` components. Weights must be finite and `>= 0`,
    /// not all zero, and at least one component is needed; they are normalised to sum to 1.
    ///
    /// ```
    /// # use course_lib::dist::Dist;
    /// let d = Dist::mixture(vec![
    ///     (9.0, Dist::constant(1.0)?),
    ///     (1.0, Dist::constant(100.0)?),
    /// ])?;
    /// assert_eq!(d.mean(), Some(0.9 * 1.0 + 0.1 * 100.0));
    /// # Ok::<(), course_lib::Error>(())
    /// ```
    pub fn mixture(components: Vec<(f64, Dist)>) -> Result<Dist> {
        Mixture::new(components).map(Dist::Mixture)
    }

    /// The empirical distribution of `samples` (ms): non-empty, all finite.
    pub fn empirical(samples: Vec<f64>) -> Result<Dist> {
        Empirical::new(samples).map(Dist::Empirical)
    }

    /// The empirical distribution of one column of a CSV file; see [`Empirical::from_csv`].
    pub fn empirical_from_csv(path: impl AsRef<Path>, column: &str) -> Result<Dist> {
        Empirical::from_csv(path, column).map(Dist::Empirical)
    }

    /// Checks the parameters of a distribution built directly from the enum variants, with
    /// the same rules and messages as the constructors. (Mixture and Empirical values are
    /// always valid: their fields are private and checked on construction.)
    pub fn check(&self) -> Result<()> {
        match *self {
            Dist::Constant { value } => Dist::constant(value).map(drop),
            Dist::Uniform { lo, hi } => Dist::uniform(lo, hi).map(drop),
            Dist::Exponential { rate } => Dist::exponential(rate).map(drop),
            Dist::Normal { mean, sd } => Dist::normal(mean, sd).map(drop),
            Dist::LogNormal { mu, sigma } => Dist::lognormal(mu, sigma).map(drop),
            Dist::Pareto { scale, shape } => Dist::pareto(scale, shape).map(drop),
            Dist::Mixture(_) | Dist::Empirical(_) => Ok(()),
        }
    }
}

impl Mixture {
    /// A mixture of `(weight, distribution)` components; see [`Dist::mixture`] for the rules.
    pub fn new(components: Vec<(f64, Dist)>) -> Result<Mixture> {
        if components.is_empty() {
            return Err(Error::empty(
                "the mixture",
                "give at least one (weight, distribution) component",
            ));
        }
        for (i, (w, d)) in components.iter().enumerate() {
            validate::non_negative(&format!("weights[{i}]"), *w)?;
            d.check()?;
        }
        // Scale by the largest weight first so that the sum cannot overflow.
        let max = components.iter().map(|c| c.0).fold(0.0, f64::max);
        if max == 0.0 {
            return Err(Error::invalid(
                "mixture",
                "all weights are zero: at least one component needs a weight > 0",
            ));
        }
        let total: f64 = components.iter().map(|c| c.0 / max).sum();
        let components: Vec<(f64, Dist)> =
            components.into_iter().map(|(w, d)| ((w / max) / total, d)).collect();
        let last_positive = components
            .iter()
            .rposition(|c| c.0 > 0.0)
            .expect("some weight is positive, checked above");
        let mut acc = 0.0;
        let cumulative = components
            .iter()
            .enumerate()
            .map(|(i, c)| {
                acc += c.0;
                if i >= last_positive {
                    1.0
                } else {
                    acc.min(1.0)
                }
            })
            .collect();
        let weight_sum = components.iter().filter(|c| c.0 > 0.0).map(|c| c.0).sum();
        Ok(Mixture { components, cumulative, weight_sum })
    }

    /// The `(weight, distribution)` components, weights normalised to sum to 1.
    pub fn components(&self) -> &[(f64, Dist)] {
        &self.components
    }

    /// Components with a positive weight (the only ones that matter).
    fn active(&self) -> impl Iterator<Item = &(f64, Dist)> + '_ {
        self.components.iter().filter(|c| c.0 > 0.0)
    }

    /// Σ wᵢ Fᵢ(x) over the components (divided by the rounded Σ wᵢ, so F(+∞) = 1 exactly).
    fn cdf(&self, x: f64) -> f64 {
        (self.active().map(|(w, d)| w * d.cdf(x)).sum::<f64>() / self.weight_sum).min(1.0)
    }

    #[inline]
    fn sample(&self, rng: &mut SimRng) -> f64 {
        let u = rng.uniform();
        let i = self.cumulative.iter().position(|&c| u < c).unwrap_or(self.cumulative.len() - 1);
        self.components[i].1.sample(rng)
    }
}

impl TryFrom<Vec<(f64, Dist)>> for Mixture {
    type Error = Error;
    fn try_from(components: Vec<(f64, Dist)>) -> Result<Mixture> {
        Mixture::new(components)
    }
}

impl From<Mixture> for Vec<(f64, Dist)> {
    fn from(m: Mixture) -> Self {
        m.components
    }
}

impl Empirical {
    /// The empirical distribution of `samples` (ms): at least one, all finite. Negative
    /// values are allowed (see [`Dist::sample_delay`]).
    pub fn new(mut samples: Vec<f64>) -> Result<Empirical> {
        if samples.is_empty() {
            return Err(Error::empty("the empirical sample", "give at least one observed delay"));
        }
        for (i, &x) in samples.iter().enumerate() {
            validate::finite(&format!("samples[{i}]"), x)?;
        }
        samples.sort_by(f64::total_cmp);
        Ok(Empirical { sorted: samples })
    }

    /// Reads column `column` of a simple CSV file (ms) into an empirical distribution.
    ///
    /// The format is deliberately small: the first line that is not blank and does not start
    /// with `#` is the header; fields are separated by commas and trimmed; quoting is not
    /// supported; blank lines and lines starting with `#` are skipped. Every other line must
    /// have a finite number in the chosen column.
    ///
    /// # Errors
    /// * [`Error::Io`] if the file cannot be read;
    /// * [`Error::Parse`], naming the file and the 1-based line, if the header lacks `column`,
    ///   a line is too short, or a value is not a finite number;
    /// * [`Error::Empty`] if there is no header or no data line.
    ///
    /// ```
    /// # use course_lib::dist::Empirical;
    /// let path = std::env::temp_dir().join(format!("rtt_{}.csv", std::process::id()));
    /// std::fs::write(&path, "# ping results\nhost,rtt_ms\na,1.5\nb,0.5\n\nc,2.5\n").unwrap();
    /// let e = Empirical::from_csv(&path, "rtt_ms")?;
    /// assert_eq!(e.samples(), &[0.5, 1.5, 2.5]);
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), course_lib::Error>(())
    /// ```
    pub fn from_csv(path: impl AsRef<Path>, column: &str) -> Result<Empirical> {
        let path = path.as_ref();
        let source_name = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Io { path: source_name.clone(), message: e.to_string() })?;
        Empirical::parse_csv(&text, column, &source_name)
    }

    /// Parses CSV text as [`Empirical::from_csv`] does; `source_name` names the text in errors.
    pub fn parse_csv(text: &str, column: &str, source_name: &str) -> Result<Empirical> {
        let parse_error = |line: usize, message: String| Error::Parse {
            source_name: source_name.to_string(),
            line,
            message,
        };
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim()))
            .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'));
        let Some((header_line, header)) = lines.next() else {
            return Err(Error::empty(
                source_name,
                format!("expected a header row naming the column `{column}`"),
            ));
        };
        let names: Vec<&str> = header.split(',').map(str::trim).collect();
        let Some(index) = names.iter().position(|&n| n == column) else {
            return Err(parse_error(
                header_line,
                format!(
                    "the header has no column `{column}`; its columns are: {}",
                    names.join(", ")
                ),
            ));
        };
        let mut samples = Vec::new();
        for (line, row) in lines {
            let fields: Vec<&str> = row.split(',').map(str::trim).collect();
            let Some(&field) = fields.get(index) else {
                return Err(parse_error(
                    line,
                    format!(
                        "column `{column}` is field {} but this line has only {} field(s)",
                        index + 1,
                        fields.len()
                    ),
                ));
            };
            match field.parse::<f64>() {
                Ok(x) if x.is_finite() => samples.push(x),
                _ => {
                    return Err(parse_error(
                        line,
                        format!("`{field}` in column `{column}` is not a finite number"),
                    ))
                }
            }
        }
        if samples.is_empty() {
            return Err(Error::empty(
                format!("column `{column}` of {source_name}"),
                "the file has a header but no data lines",
            ));
        }
        Empirical::new(samples)
    }

    /// The observations, in ascending order.
    pub fn samples(&self) -> &[f64] {
        &self.sorted
    }

    /// The number of observations.
    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// Always `false`: an empirical distribution has at least one observation. (Here for
    /// symmetry with [`Empirical::len`].)
    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }

    /// Fraction of observations `<= x`.
    fn cdf(&self, x: f64) -> f64 {
        self.sorted.partition_point(|&s| s <= x) as f64 / self.sorted.len() as f64
    }

    /// Sample quantile with linear interpolation between order statistics: Hyndman & Fan
    /// type 7 (the default of numpy and R), the crate's one definition ([`crate::stats`]).
    /// `p` is already checked.
    fn quantile_type7(&self, p: f64) -> f64 {
        crate::stats::type7_sorted(&self.sorted, p)
    }

    /// The generalised inverse of the step CDF: the smallest observation x with F(x) ≥ p.
    fn inverse_cdf(&self, p: f64) -> f64 {
        let n = self.sorted.len();
        let k = (p * n as f64).ceil() as usize;
        self.sorted[k.clamp(1, n) - 1]
    }
}

impl TryFrom<Vec<f64>> for Empirical {
    type Error = Error;
    fn try_from(samples: Vec<f64>) -> Result<Empirical> {
        Empirical::new(samples)
    }
}

impl From<Empirical> for Vec<f64> {
    fn from(e: Empirical) -> Self {
        e.sorted
    }
}

// ---------------------------------------------------------------------------------------------
// Sampling

impl Dist {
    /// One random delay (ms). Deterministic: the same generator state gives the same value,
    /// bit for bit, on every platform.
    ///
    /// The value is *not* clamped: a Normal can return a negative number. Use
    /// [`Dist::sample_delay`] when the value is a delay.
    ///
    /// How each variant samples (useful when replaying a run by hand): Constant draws
    /// nothing; Uniform `lo + (hi − lo)·U`; Exponential `−ln(U′)/rate`; Normal `mean + sd·Z`;
    /// LogNormal `exp(mu + sigma·Z)`; Pareto `scale / U′^(1/shape)`, computed as
    /// `scale · exp(−ln(U′)/shape)`; Mixture draws one `U` to pick a component by cumulative
    /// weight, then samples it; Empirical picks an observation uniformly. Here `U` is
    /// [`SimRng::uniform`], `U′` [`SimRng::uniform_open0`] and `Z` [`SimRng::standard_normal`].
    #[inline]
    pub fn sample(&self, rng: &mut SimRng) -> f64 {
        match *self {
            Dist::Constant { value } => value,
            Dist::Uniform { lo, hi } => lo + (hi - lo) * rng.uniform(),
            Dist::Exponential { rate } => rng.exponential(rate),
            Dist::Normal { mean, sd } => mean + sd * rng.standard_normal(),
            Dist::LogNormal { mu, sigma } => libm::exp(mu + sigma * rng.standard_normal()),
            // x_m / U′^(1/α) = x_m · exp(E) with E = −ln(U′)/α ~ Exp(α): the same number up to
            // rounding, and `libm::exp` + `libm::log` is several times faster than `libm::pow`.
            Dist::Pareto { scale, shape } => scale * libm::exp(rng.exponential(shape)),
            Dist::Mixture(ref m) => m.sample(rng),
            Dist::Empirical(ref e) => e.sorted[rng.below(e.sorted.len() as u64) as usize],
        }
    }

    /// One random delay clamped at 0 ms: `max(sample, 0)`. This is what a simulator should
    /// use to schedule a message; it consumes exactly the same randomness as
    /// [`Dist::sample`]. When [`Dist::is_non_negative`] is true it equals [`Dist::sample`].
    #[inline]
    pub fn sample_delay(&self, rng: &mut SimRng) -> f64 {
        self.sample(rng).max(0.0)
    }

    /// `n` independent samples (unclamped, like [`Dist::sample`]).
    pub fn samples(&self, rng: &mut SimRng, n: usize) -> Vec<f64> {
        (0..n).map(|_| self.sample(rng)).collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Moments, CDF, quantiles

/// Standard normal CDF Φ(z), via `libm::erfc` (accurate in both tails).
fn std_normal_cdf(z: f64) -> f64 {
    0.5 * libm::erfc(-z / std::f64::consts::SQRT_2)
}

/// Standard normal quantile Φ⁻¹(p) for `p` in `[0, 1]` (±∞ at the ends).
fn std_normal_quantile(p: f64) -> f64 {
    -std::f64::consts::SQRT_2 * statrs::function::erf::erfc_inv(2.0 * p)
}

/// `Some(x)` if `x` is finite.
fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

impl Dist {
    /// The mean (ms), or `None` when it is infinite (Pareto with α ≤ 1) or too large to
    /// represent. Empirical: the sample mean. Mixture: Σ wᵢ μᵢ, `None` if any component with
    /// positive weight has no mean.
    pub fn mean(&self) -> Option<f64> {
        match *self {
            Dist::Constant { value } => Some(value),
            Dist::Uniform { lo, hi } => Some(lo + (hi - lo) / 2.0),
            Dist::Exponential { rate } => finite(1.0 / rate),
            Dist::Normal { mean, .. } => Some(mean),
            Dist::LogNormal { mu, sigma } => finite(libm::exp(mu + sigma * sigma / 2.0)),
            Dist::Pareto { scale, shape } => {
                (shape > 1.0).then(|| shape * scale / (shape - 1.0)).and_then(finite)
            }
            Dist::Mixture(ref m) => {
                let mut sum = 0.0;
                for (w, d) in m.active() {
                    sum += w * d.mean()?;
                }
                finite(sum)
            }
            Dist::Empirical(ref e) => finite(e.sorted.iter().sum::<f64>() / e.sorted.len() as f64),
        }
    }

    /// The variance (ms²), or `None` when it is infinite (Pareto with α ≤ 2) or too large to
    /// represent. Empirical: the variance of the empirical distribution itself, i.e. with
    /// divisor n (that is the variance of what [`Dist::sample`] returns). Mixture: the law
    /// of total variance, Σ wᵢ (σᵢ² + (μᵢ − μ)²).
    pub fn variance(&self) -> Option<f64> {
        match *self {
            Dist::Constant { .. } => Some(0.0),
            Dist::Uniform { lo, hi } => Some((hi - lo) * (hi - lo) / 12.0),
            Dist::Exponential { rate } => finite(1.0 / (rate * rate)),
            Dist::Normal { sd, .. } => Some(sd * sd),
            Dist::LogNormal { mu, sigma } => {
                let s2 = sigma * sigma;
                finite(libm::expm1(s2) * libm::exp(2.0 * mu + s2))
            }
            Dist::Pareto { scale, shape } => (shape > 2.0)
                .then(|| scale * scale * shape / ((shape - 1.0) * (shape - 1.0) * (shape - 2.0)))
                .and_then(finite),
            Dist::Mixture(ref m) => {
                let mean = self.mean()?;
                let mut sum = 0.0;
                for (w, d) in m.active() {
                    let dm = d.mean()? - mean;
                    sum += w * (d.variance()? + dm * dm);
                }
                finite(sum)
            }
            Dist::Empirical(ref e) => {
                let mean = self.mean()?;
                let ss: f64 = e.sorted.iter().map(|x| (x - mean) * (x - mean)).sum();
                finite(ss / e.sorted.len() as f64)
            }
        }
    }

    /// The standard deviation (ms), `None` when the variance is infinite.
    pub fn sd(&self) -> Option<f64> {
        self.variance().map(f64::sqrt)
    }

    /// F(x) = P(X ≤ x), in `[0, 1]`. `x = ±∞` is allowed; `x = NaN` gives NaN.
    /// Empirical: the fraction of observations `<= x`. Mixture: Σ wᵢ Fᵢ(x).
    pub fn cdf(&self, x: f64) -> f64 {
        if x.is_nan() {
            return f64::NAN;
        }
        let step = |at: f64| if x >= at { 1.0 } else { 0.0 };
        match *self {
            Dist::Constant { value } => step(value),
            Dist::Uniform { lo, hi } => {
                if x >= hi {
                    1.0
                } else if x <= lo {
                    0.0
                } else {
                    ((x - lo) / (hi - lo)).clamp(0.0, 1.0)
                }
            }
            Dist::Exponential { rate } => {
                if x <= 0.0 {
                    0.0
                } else {
                    -libm::expm1(-rate * x)
                }
            }
            Dist::Normal { mean, sd } => {
                if sd == 0.0 {
                    step(mean)
                } else {
                    std_normal_cdf((x - mean) / sd)
                }
            }
            Dist::LogNormal { mu, sigma } => {
                if x <= 0.0 {
                    0.0
                } else if sigma == 0.0 {
                    step(libm::exp(mu))
                } else {
                    std_normal_cdf((libm::log(x) - mu) / sigma)
                }
            }
            Dist::Pareto { scale, shape } => {
                if x <= scale {
                    0.0
                } else {
                    // 1 − (x_m/x)^α, written to stay accurate when the result is tiny.
                    -libm::expm1(shape * (libm::log(scale) - libm::log(x)))
                }
            }
            Dist::Mixture(ref m) => m.cdf(x),
            Dist::Empirical(ref e) => e.cdf(x),
        }
    }

    /// The p-quantile Q(p) = inf { x : F(x) ≥ p } in ms, for `p` in `[0, 1]`.
    ///
    /// * Closed forms for the parametric variants: Exponential −ln(1 − p)/rate, Pareto
    ///   x_m (1 − p)^(−1/α), Normal and LogNormal through Φ⁻¹.
    /// * Mixture: bisection on F, to the last bit of the `f64` (far below 1e-12 relative).
    /// * Empirical: linear interpolation between order statistics (Hyndman & Fan type 7,
    ///   numpy's and R's default), so Q(0) is the smallest and Q(1) the largest observation:
    ///   the same number as [`crate::stats::quantile`] of the samples.
    /// * `p = 0` gives the lower end of the support ([`Dist::min_value`]), `p = 1` the upper
    ///   end ([`Dist::max_value`]): `f64::INFINITY` for unbounded distributions.
    ///
    /// # Errors
    /// [`Error::OutOfRange`] naming `p` if `p` is NaN or outside `[0, 1]`.
    pub fn quantile(&self, p: f64) -> Result<f64> {
        let p = validate::probability("p", p)?;
        Ok(match *self {
            Dist::Empirical(ref e) => e.quantile_type7(p),
            _ => self.inverse_cdf(p),
        })
    }

    /// The median Q(0.5), ms.
    pub fn median(&self) -> f64 {
        self.quantile(0.5).expect("0.5 is a valid probability")
    }

    /// The smallest value the distribution can produce (the lower end of its support), ms:
    /// `-∞` for a Normal with `sd > 0`, 0 for Exponential and LogNormal, x_m for Pareto.
    pub fn min_value(&self) -> f64 {
        self.inverse_cdf(0.0)
    }

    /// The largest value the distribution can produce (the upper end of its support), ms;
    /// `f64::INFINITY` when unbounded.
    pub fn max_value(&self) -> f64 {
        self.inverse_cdf(1.0)
    }

    /// `true` when no sample can be negative, so [`Dist::sample_delay`] never needs to clamp.
    /// `false` for a Normal with `sd > 0`, a Uniform with `lo < 0`, an Empirical with a
    /// negative observation, or a mixture with such a component.
    pub fn is_non_negative(&self) -> bool {
        self.min_value() >= 0.0
    }

    /// The generalised inverse of the CDF, for a `p` already checked to be in `[0, 1]`.
    /// For Empirical this is the step inverse (not the interpolated type-7 quantile): it is
    /// what brackets a mixture's quantile.
    fn inverse_cdf(&self, p: f64) -> f64 {
        match *self {
            Dist::Constant { value } => value,
            Dist::Uniform { lo, hi } => {
                if p == 1.0 {
                    hi
                } else {
                    lo + p * (hi - lo)
                }
            }
            Dist::Exponential { rate } => -libm::log1p(-p) / rate,
            Dist::Normal { mean, sd } => {
                if sd == 0.0 {
                    mean
                } else {
                    mean + sd * std_normal_quantile(p)
                }
            }
            Dist::LogNormal { mu, sigma } => {
                if sigma == 0.0 {
                    libm::exp(mu)
                } else {
                    libm::exp(mu + sigma * std_normal_quantile(p))
                }
            }
            Dist::Pareto { scale, shape } => scale * libm::exp(-libm::log1p(-p) / shape),
            Dist::Mixture(ref m) => mixture_inverse_cdf(m, p),
            Dist::Empirical(ref e) => e.inverse_cdf(p),
        }
    }
}

/// Maps an `f64` to an `i64` whose order is the numeric order of the floats (−0.0 just below
/// +0.0). The map is its own inverse.
fn ordered_bits(x: i64) -> i64 {
    x ^ ((((x >> 63) as u64) >> 1) as i64)
}
fn to_key(x: f64) -> i64 {
    ordered_bits(x.to_bits() as i64)
}
fn from_key(k: i64) -> f64 {
    f64::from_bits(ordered_bits(k) as u64)
}

/// The mixture quantile inf { x : F(x) ≥ p }. Each component's quantile brackets it: at
/// x = maxᵢ Qᵢ(p) every Fᵢ(x) ≥ p, so F(x) ≥ p; below minᵢ Qᵢ(p) every Fᵢ(x) < p. Inside the
/// bracket, bisect on the bit patterns of the floats: at most 64 steps to the exact `f64`.
fn mixture_inverse_cdf(m: &Mixture, p: f64) -> f64 {
    let qs = m.active().map(|(_, d)| d.inverse_cdf(p));
    let (lo, hi) =
        qs.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), q| (lo.min(q), hi.max(q)));
    if p == 0.0 || p == 1.0 || lo == hi {
        // Q(0) and Q(1) are the ends of the support: the extreme component ends.
        return if p == 0.0 { lo } else { hi };
    }
    let f = |x: f64| m.cdf(x);
    if f(lo) >= p {
        return lo;
    }
    // Invariant: F(from_key(a)) < p <= F(from_key(b)) (or b is the top of the bracket).
    let (mut a, mut b) = (to_key(lo) as i128, to_key(hi) as i128);
    while b - a > 1 {
        let mid = a + (b - a) / 2;
        if f(from_key(mid as i64)) >= p {
            b = mid;
        } else {
            a = mid;
        }
    }
    from_key(b as i64)
}

// ---------------------------------------------------------------------------------------------
// Display

/// A number with at most 4 significant digits, without trailing zeros: `1.5`, `0.001234`,
/// `12350`, `1.5e-7`. Uses only Rust's (platform-independent) decimal formatting.
fn num(x: f64) -> String {
    if !x.is_finite() {
        return if x.is_nan() {
            "NaN".into()
        } else if x > 0.0 {
            "∞".into()
        } else {
            "-∞".into()
        };
    }
    if x == 0.0 {
        return "0".into();
    }
    let sci = format!("{x:.3e}");
    let (mantissa, exp) = sci.split_once('e').expect("`{:e}` always has an exponent");
    let exp: i32 = exp.parse().expect("`{:e}` exponent is an integer");
    let trim = |s: String| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    if (-4..6).contains(&exp) {
        // `rounded` has at most 4 significant digits, so printing it with enough decimals
        // shows exactly those digits.
        let rounded: f64 = sci.parse().expect("`{:e}` output parses back");
        let decimals = (3 - exp).max(0) as usize;
        trim(format!("{rounded:.decimals$}"))
    } else {
        format!("{}e{exp}", trim(mantissa.to_string()))
    }
}

impl fmt::Display for Dist {
    /// A readable one-line form, e.g. `Pareto(x_m = 1 ms, α = 1.5)`; numbers are rounded to
    /// 4 significant digits (use `{:?}` for the exact parameters).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Dist::Constant { value } => write!(f, "Const({} ms)", num(value)),
            Dist::Uniform { lo, hi } => write!(f, "Uniform({} ms, {} ms)", num(lo), num(hi)),
            Dist::Exponential { rate } => write!(f, "Exp(mean = {} ms)", num(1.0 / rate)),
            Dist::Normal { mean, sd } => {
                write!(f, "Normal(mean = {} ms, sd = {} ms)", num(mean), num(sd))
            }
            Dist::LogNormal { mu, sigma } => write!(
                f,
                "LogNormal(μ = {}, σ = {}; median = {} ms)",
                num(mu),
                num(sigma),
                num(libm::exp(mu))
            ),
            Dist::Pareto { scale, shape } => {
                write!(f, "Pareto(x_m = {} ms, α = {})", num(scale), num(shape))
            }
            Dist::Mixture(ref m) => fmt::Display::fmt(m, f),
            Dist::Empirical(ref e) => fmt::Display::fmt(e, f),
        }
    }
}

impl fmt::Display for Mixture {
    /// `Mixture[0.9 × Exp(mean = 1 ms) + 0.1 × Pareto(x_m = 10 ms, α = 1.5)]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mixture[")?;
        for (i, (w, d)) in self.components.iter().enumerate() {
            if i > 0 {
                write!(f, " + ")?;
            }
            write!(f, "{} × {d}", num(*w))?;
        }
        write!(f, "]")
    }
}

impl fmt::Display for Empirical {
    /// `Empirical(n = 500, median = 0.41 ms)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let median = self.quantile_type7(0.5);
        write!(f, "Empirical(n = {}, median = {} ms)", self.len(), num(median))
    }
}

// ---------------------------------------------------------------------------------------------
// Serde (feature `serde`): deserialisation goes through the validated constructors.

#[cfg(feature = "serde")]
mod repr {
    use super::{Dist, Empirical, Mixture};

    /// The serialised form of [`Dist`]: the same variants, unchecked.
    #[derive(serde::Serialize, serde::Deserialize)]
    #[serde(rename = "Dist")]
    pub enum DistRepr {
        Constant { value: f64 },
        Uniform { lo: f64, hi: f64 },
        Exponential { rate: f64 },
        Normal { mean: f64, sd: f64 },
        LogNormal { mu: f64, sigma: f64 },
        Pareto { scale: f64, shape: f64 },
        Mixture(Mixture),
        Empirical(Empirical),
    }

    impl From<Dist> for DistRepr {
        fn from(d: Dist) -> Self {
            match d {
                Dist::Constant { value } => DistRepr::Constant { value },
                Dist::Uniform { lo, hi } => DistRepr::Uniform { lo, hi },
                Dist::Exponential { rate } => DistRepr::Exponential { rate },
                Dist::Normal { mean, sd } => DistRepr::Normal { mean, sd },
                Dist::LogNormal { mu, sigma } => DistRepr::LogNormal { mu, sigma },
                Dist::Pareto { scale, shape } => DistRepr::Pareto { scale, shape },
                Dist::Mixture(m) => DistRepr::Mixture(m),
                Dist::Empirical(e) => DistRepr::Empirical(e),
            }
        }
    }

    impl TryFrom<DistRepr> for Dist {
        type Error = crate::Error;
        fn try_from(r: DistRepr) -> crate::Result<Dist> {
            let d = match r {
                DistRepr::Constant { value } => Dist::Constant { value },
                DistRepr::Uniform { lo, hi } => Dist::Uniform { lo, hi },
                DistRepr::Exponential { rate } => Dist::Exponential { rate },
                DistRepr::Normal { mean, sd } => Dist::Normal { mean, sd },
                DistRepr::LogNormal { mu, sigma } => Dist::LogNormal { mu, sigma },
                DistRepr::Pareto { scale, shape } => Dist::Pareto { scale, shape },
                DistRepr::Mixture(m) => Dist::Mixture(m),
                DistRepr::Empirical(e) => Dist::Empirical(e),
            };
            d.check()?;
            Ok(d)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn close(got: f64, want: f64, rel: f64) -> bool {
        got == want || (got - want).abs() <= rel * want.abs().max(f64::MIN_POSITIVE)
    }

    #[track_caller]
    fn assert_close(got: f64, want: f64, rel: f64) {
        assert!(close(got, want, rel), "got {got:e}, want {want:e} (relative tolerance {rel:e})");
    }

    /// A parametric distribution of every kind, and mixtures, for the round-trip tests.
    fn zoo() -> Vec<Dist> {
        vec![
            Dist::uniform(2.0, 7.0).unwrap(),
            Dist::exponential(0.5).unwrap(),
            Dist::normal(10.0, 3.0).unwrap(),
            Dist::lognormal(0.3, 1.2).unwrap(),
            Dist::pareto(1.5, 1.2).unwrap(),
            Dist::pareto(0.2, 4.0).unwrap(),
            Dist::mixture(vec![
                (0.9, Dist::exponential_mean(1.0).unwrap()),
                (0.1, Dist::pareto(10.0, 1.5).unwrap()),
            ])
            .unwrap(),
            Dist::mixture(vec![
                (1.0, Dist::normal(5.0, 1.0).unwrap()),
                (2.0, Dist::lognormal(2.0, 0.5).unwrap()),
                (0.5, Dist::uniform(0.0, 30.0).unwrap()),
            ])
            .unwrap(),
        ]
    }

    const PS: [f64; 13] =
        [1e-9, 1e-6, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 0.999_999, 1.0 - 1e-9];

    // ---- closed forms against the published formulas --------------------------------------------

    #[test]
    fn exponential_matches_textbook_formulas() {
        let rate = 0.25;
        let d = Dist::exponential(rate).unwrap();
        for p in PS {
            // Q(p) = −ln(1 − p)/λ, computed here with std's ln as an independent reference.
            // (ln_1p(−p) is ln(1 − p) without the cancellation in 1 − p for tiny p.)
            assert_close(d.quantile(p).unwrap(), -(-p).ln_1p() / rate, 1e-14);
        }
        for x in [0.1, 1.0, 4.0, 30.0] {
            assert_close(d.cdf(x), 1.0 - (-rate * x).exp(), 1e-14);
        }
        assert_eq!(d.mean(), Some(4.0));
        assert_eq!(d.variance(), Some(16.0));
        assert_close(d.median(), std::f64::consts::LN_2 / rate, 1e-15);
        assert_eq!(Dist::exponential_mean(2.0).unwrap(), Dist::Exponential { rate: 0.5 });
        assert_eq!(d.cdf(-1.0), 0.0);
        assert_eq!(d.quantile(0.0).unwrap(), 0.0);
        assert_eq!(d.quantile(1.0).unwrap(), f64::INFINITY);
    }

    #[test]
    fn pareto_matches_textbook_formulas() {
        // Mean α x_m / (α − 1) for α > 1; variance x_m² α / ((α − 1)² (α − 2)) for α > 2.
        let d = Dist::pareto(2.0, 3.0).unwrap();
        assert_close(d.mean().unwrap(), 3.0 * 2.0 / 2.0, 1e-15);
        assert_close(d.variance().unwrap(), 4.0 * 3.0 / (4.0 * 1.0), 1e-15);
        // Q(p) = x_m (1 − p)^(−1/α): the p99 of Pareto(1, 2) is 10.
        assert_close(Dist::pareto(1.0, 2.0).unwrap().quantile(0.99).unwrap(), 10.0, 1e-12);
        assert_close(d.cdf(4.0), 1.0 - (2.0f64 / 4.0).powi(3), 1e-15);
        assert_eq!(d.cdf(2.0), 0.0);
        assert_eq!(d.cdf(1.0), 0.0);
        assert_eq!(d.min_value(), 2.0);
        assert_eq!(d.quantile(1.0).unwrap(), f64::INFINITY);
        // Heavy tails: no mean for α ≤ 1, no variance for α ≤ 2.
        for shape in [0.5, 1.0] {
            assert_eq!(Dist::pareto(1.0, shape).unwrap().mean(), None, "α = {shape}");
        }
        for shape in [0.5, 1.5, 2.0] {
            assert_eq!(Dist::pareto(1.0, shape).unwrap().variance(), None, "α = {shape}");
        }
        assert!(Dist::pareto(1.0, 1.5).unwrap().mean().is_some());
    }

    #[test]
    fn lognormal_matches_textbook_formulas() {
        let (mu, sigma) = (1.3, 0.7);
        let d = Dist::lognormal(mu, sigma).unwrap();
        assert_close(d.median(), mu.exp(), 1e-14);
        assert_close(d.mean().unwrap(), (mu + sigma * sigma / 2.0).exp(), 1e-14);
        let var = ((sigma * sigma).exp() - 1.0) * (2.0 * mu + sigma * sigma).exp();
        assert_close(d.variance().unwrap(), var, 1e-13);
        assert_eq!(d.cdf(0.0), 0.0);
        assert_eq!(d.cdf(-3.0), 0.0);
        assert_eq!(d.quantile(0.0).unwrap(), 0.0);
        assert_eq!(d.quantile(1.0).unwrap(), f64::INFINITY);

        let d = Dist::lognormal_from_median_p99(2.0, 50.0).unwrap();
        assert_close(d.median(), 2.0, 1e-14);
        assert_close(d.quantile(0.99).unwrap(), 50.0, 1e-12);
        // median == p99 is the degenerate (constant) log-normal.
        let flat = Dist::lognormal_from_median_p99(3.0, 3.0).unwrap();
        assert!(matches!(flat, Dist::LogNormal { sigma: 0.0, .. }));
        assert_close(flat.quantile(0.9).unwrap(), 3.0, 1e-15);
        assert_eq!(flat.cdf(2.9), 0.0);
        assert_eq!(flat.cdf(3.1), 1.0);
    }

    #[test]
    fn normal_matches_published_values() {
        let z = Dist::normal(0.0, 1.0).unwrap();
        // Φ⁻¹(0.975) and Φ⁻¹(0.99) to 16 digits (Abramowitz & Stegun 26.2; NIST DLMF 7.17).
        assert!((z.quantile(0.975).unwrap() - 1.959_963_984_540_054).abs() < 1e-9);
        assert!((z.quantile(0.99).unwrap() - Z_99).abs() < 1e-9);
        assert!((z.cdf(1.959_963_984_540_054) - 0.975).abs() < 1e-12);
        assert_eq!(z.cdf(0.0), 0.5);
        assert_eq!(z.median(), 0.0);
        assert_eq!(z.quantile(0.0).unwrap(), f64::NEG_INFINITY);
        assert_eq!(z.quantile(1.0).unwrap(), f64::INFINITY);
        let d = Dist::normal(10.0, 2.0).unwrap();
        assert_close(d.quantile(0.975).unwrap(), 10.0 + 2.0 * 1.959_963_984_540_054, 1e-12);
        assert_eq!((d.mean(), d.variance(), d.sd()), (Some(10.0), Some(4.0), Some(2.0)));
        // sd = 0 is a point mass.
        let point = Dist::normal(4.0, 0.0).unwrap();
        assert_eq!((point.cdf(3.99), point.cdf(4.0)), (0.0, 1.0));
        assert_eq!(point.quantile(0.3).unwrap(), 4.0);
    }

    #[test]
    fn uniform_and_constant_closed_forms() {
        let u = Dist::uniform(2.0, 6.0).unwrap();
        assert_eq!((u.mean(), u.variance()), (Some(4.0), Some(16.0 / 12.0)));
        assert_eq!((u.cdf(1.0), u.cdf(3.0), u.cdf(6.0), u.cdf(9.0)), (0.0, 0.25, 1.0, 1.0));
        assert_eq!(u.quantile(0.75).unwrap(), 5.0);
        assert_eq!((u.min_value(), u.max_value()), (2.0, 6.0));
        let c = Dist::constant(3.0).unwrap();
        assert_eq!((c.mean(), c.variance()), (Some(3.0), Some(0.0)));
        assert_eq!((c.cdf(2.999), c.cdf(3.0)), (0.0, 1.0));
        assert_eq!((c.quantile(0.0).unwrap(), c.quantile(1.0).unwrap()), (3.0, 3.0));
        let degenerate = Dist::uniform(1.0, 1.0).unwrap();
        assert_eq!((degenerate.cdf(0.5), degenerate.cdf(1.0)), (0.0, 1.0));
        let mut rng = SimRng::new(1);
        assert_eq!(degenerate.sample(&mut rng), 1.0);
    }

    #[test]
    fn cdf_handles_infinities_and_nan() {
        for d in zoo() {
            assert_eq!(d.cdf(f64::NEG_INFINITY), 0.0, "{d}");
            assert_eq!(d.cdf(f64::INFINITY), 1.0, "{d}");
            assert!(d.cdf(f64::NAN).is_nan(), "{d}");
        }
    }

    // ---- round trips ----------------------------------------------------------------------------

    #[test]
    fn cdf_of_quantile_is_p_for_every_parametric_variant_and_mixtures() {
        for d in zoo() {
            for p in PS {
                let q = d.quantile(p).unwrap();
                assert!(q.is_finite(), "{d}: Q({p}) = {q}");
                let back = d.cdf(q);
                assert!((back - p).abs() <= 1e-12 + 1e-9 * p, "{d}: F(Q({p})) = {back}");
            }
        }
    }

    #[test]
    fn quantile_of_cdf_is_x_for_continuous_variants() {
        for d in zoo() {
            for p in [0.05, 0.3, 0.5, 0.8, 0.95] {
                let x = d.quantile(p).unwrap();
                assert_close(d.quantile(d.cdf(x)).unwrap(), x, 1e-9);
            }
        }
    }

    #[test]
    fn mixture_quantile_is_the_generalised_inverse_for_atoms() {
        // Half the messages take 1 ms, half 3 ms: Q(p) = 1 for p ≤ 0.5, 3 above.
        let d = Dist::mixture(vec![
            (1.0, Dist::constant(1.0).unwrap()),
            (1.0, Dist::constant(3.0).unwrap()),
        ])
        .unwrap();
        assert_eq!(d.quantile(0.25).unwrap(), 1.0);
        assert_eq!(d.quantile(0.5).unwrap(), 1.0);
        assert_eq!(d.quantile(0.500_001).unwrap(), 3.0);
        assert_eq!(d.quantile(1.0).unwrap(), 3.0);
        assert_eq!(d.quantile(0.0).unwrap(), 1.0);
        assert_eq!(d.mean(), Some(2.0));
        assert_eq!(d.variance(), Some(1.0));
        // An atom on top of a continuous part: F jumps by 0.5 at x = 2.
        let d = Dist::mixture(vec![
            (1.0, Dist::uniform(0.0, 4.0).unwrap()),
            (1.0, Dist::constant(2.0).unwrap()),
        ])
        .unwrap();
        assert_eq!(d.quantile(0.3).unwrap(), 2.0);
        assert_eq!(d.quantile(0.7).unwrap(), 2.0);
        assert_close(d.quantile(0.125).unwrap(), 1.0, 1e-15);
        assert_close(d.quantile(0.875).unwrap(), 3.0, 1e-15);
    }

    #[test]
    fn mixture_of_identical_components_is_that_component() {
        let e = Dist::exponential(2.0).unwrap();
        let m = Dist::mixture(vec![(0.3, e.clone()), (0.7, e.clone())]).unwrap();
        for p in PS {
            assert_close(m.quantile(p).unwrap(), e.quantile(p).unwrap(), 1e-12);
        }
        assert_close(m.mean().unwrap(), 0.5, 1e-15);
        assert_close(m.variance().unwrap(), 0.25, 1e-15);
    }

    #[test]
    fn zero_weight_components_are_never_used() {
        let d = Dist::mixture(vec![
            (0.0, Dist::pareto(1.0, 0.5).unwrap()),
            (1.0, Dist::constant(1.0).unwrap()),
            (0.0, Dist::constant(99.0).unwrap()),
        ])
        .unwrap();
        let mut rng = SimRng::new(3);
        assert!(d.samples(&mut rng, 10_000).iter().all(|&x| x == 1.0));
        assert_eq!(d.mean(), Some(1.0)); // the α = 0.5 Pareto has no mean, but weight 0
        assert_eq!(d.quantile(1.0).unwrap(), 1.0);
        assert_eq!(d.min_value(), 1.0);
        let Dist::Mixture(m) = &d else { unreachable!() };
        let weights: Vec<f64> = m.components().iter().map(|c| c.0).collect();
        assert_eq!(weights, [0.0, 1.0, 0.0]);
    }

    #[test]
    fn mixture_weights_are_normalised_and_means_weighted() {
        let d = Dist::mixture(vec![
            (3.0, Dist::exponential_mean(1.0).unwrap()),
            (1.0, Dist::pareto(10.0, 3.0).unwrap()),
        ])
        .unwrap();
        let Dist::Mixture(m) = &d else { unreachable!() };
        assert_eq!(m.components()[0].0, 0.75);
        assert_eq!(m.components()[1].0, 0.25);
        assert_close(d.mean().unwrap(), 0.75 * 1.0 + 0.25 * 15.0, 1e-15);
        let heavy = Dist::mixture(vec![
            (0.99, Dist::exponential_mean(1.0).unwrap()),
            (0.01, Dist::pareto(10.0, 1.0).unwrap()),
        ])
        .unwrap();
        assert_eq!(heavy.mean(), None, "1 % of an infinite mean is infinite");
        // Huge weights do not overflow the normalisation.
        let big = Dist::mixture(vec![
            (f64::MAX, Dist::constant(1.0).unwrap()),
            (f64::MAX, Dist::constant(2.0).unwrap()),
        ])
        .unwrap();
        assert_eq!(big.mean(), Some(1.5));
    }

    // ---- empirical ------------------------------------------------------------------------------

    #[test]
    fn empirical_matches_numpy_type7_quantiles() {
        let d = Dist::empirical(vec![10.0, 2.0, 4.0, 1.0, 3.0]).unwrap();
        // numpy.quantile([1, 2, 3, 4, 10], p) with the default method='linear'.
        for (p, want) in [(0.0, 1.0), (0.25, 2.0), (0.5, 3.0), (0.9, 7.6), (0.95, 8.8), (1.0, 10.0)]
        {
            assert_close(d.quantile(p).unwrap(), want, 1e-14);
        }
        assert_eq!((d.cdf(0.5), d.cdf(3.0), d.cdf(3.5), d.cdf(10.0)), (0.0, 0.6, 0.6, 1.0));
        assert_eq!(d.mean(), Some(4.0));
        assert_eq!(d.variance(), Some(10.0)); // (9 + 4 + 1 + 0 + 36) / 5
        assert_eq!((d.min_value(), d.max_value()), (1.0, 10.0));
        let Dist::Empirical(e) = &d else { unreachable!() };
        assert_eq!(e.samples(), &[1.0, 2.0, 3.0, 4.0, 10.0]);
        assert_eq!(e.len(), 5);
        let one = Dist::empirical(vec![7.0]).unwrap();
        assert_eq!((one.quantile(0.3).unwrap(), one.median()), (7.0, 7.0));
    }

    #[test]
    fn empirical_bootstrap_draws_observed_values_uniformly() {
        let d = Dist::empirical(vec![1.0, 2.0, 3.0, 4.0]).unwrap();
        let mut rng = SimRng::new(11);
        let n = 40_000;
        let mut counts = [0usize; 4];
        for x in d.samples(&mut rng, n) {
            assert!([1.0, 2.0, 3.0, 4.0].contains(&x));
            counts[x as usize - 1] += 1;
        }
        // each expects 10 000 with sd √(n p (1 − p)) ≈ 86.6; allow 5 sd
        for c in counts {
            assert!(c.abs_diff(10_000) < 433, "{counts:?}");
        }
    }

    #[test]
    fn empirical_inside_a_mixture() {
        let d = Dist::mixture(vec![
            (0.5, Dist::empirical(vec![1.0, 2.0]).unwrap()),
            (0.5, Dist::constant(4.0).unwrap()),
        ])
        .unwrap();
        assert_eq!(d.cdf(1.0), 0.25);
        assert_eq!(d.quantile(0.25).unwrap(), 1.0);
        assert_eq!(d.quantile(0.3).unwrap(), 2.0);
        assert_eq!(d.quantile(0.6).unwrap(), 4.0);
        assert_eq!(d.mean(), Some(0.5 * 1.5 + 0.5 * 4.0));
    }

    fn fixture(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
    }

    #[test]
    fn csv_fixture_loads_the_named_column() {
        let d = Dist::empirical_from_csv(fixture("rtt_sample.csv"), "rtt_ms").unwrap();
        let Dist::Empirical(e) = &d else { unreachable!() };
        assert_eq!(e.samples(), &[0.38, 0.40, 0.41, 0.52, 12.5]);
        assert_eq!(d.to_string(), "Empirical(n = 5, median = 0.41 ms)");
        let seq = Empirical::from_csv(fixture("rtt_sample.csv"), "seq").unwrap();
        assert_eq!(seq.samples(), &[1.0, 2.0, 3.0, 4.0, 5.0]);
    }

    #[test]
    fn csv_errors_name_the_line() {
        let parse = |text: &str, column: &str| Empirical::parse_csv(text, column, "rtt.csv");
        let err = parse("a,b\n1,2\n\n# comment\n3,x\n", "b").unwrap_err();
        assert_eq!(
            err,
            Error::Parse {
                source_name: "rtt.csv".into(),
                line: 5,
                message: "`x` in column `b` is not a finite number".into()
            }
        );
        assert_eq!(err.to_string(), "rtt.csv, line 5: `x` in column `b` is not a finite number");

        let err = parse("# header next\na,b\n1,2\n", "latency").unwrap_err();
        assert!(matches!(err, Error::Parse { line: 2, .. }), "{err:?}");
        assert!(err.to_string().contains("no column `latency`; its columns are: a, b"), "{err}");

        let err = parse("a,b\n1,2\n3\n", "b").unwrap_err();
        assert!(matches!(err, Error::Parse { line: 3, .. }), "{err:?}");
        assert!(err.to_string().contains("only 1 field"), "{err}");

        for bad in ["NaN", "inf", "1.5.2", "1 ms"] {
            let err = parse(&format!("b\n1\n{bad}\n"), "b").unwrap_err();
            assert!(matches!(err, Error::Parse { line: 3, .. }), "{bad:?}: {err:?}");
        }
        let err = parse("a,b\n1,2\n3,\n", "b").unwrap_err();
        assert!(matches!(err, Error::Parse { line: 3, .. }), "empty field: {err:?}");
        assert!(matches!(parse("a,b\n", "b").unwrap_err(), Error::Empty { .. }));
        assert!(matches!(parse("\n# nothing\n", "b").unwrap_err(), Error::Empty { .. }));
        // Windows line endings and a byte-order mark are fine.
        let e = parse("\u{feff}a,b\r\n1,2\r\n3,4\r\n", "b").unwrap();
        assert_eq!(e.samples(), &[2.0, 4.0]);
    }

    #[test]
    fn csv_file_errors_name_the_path() {
        let missing = fixture("no_such_file.csv");
        let err = Empirical::from_csv(&missing, "rtt_ms").unwrap_err();
        assert!(matches!(&err, Error::Io { path, .. } if path.ends_with("no_such_file.csv")));
        assert!(err.to_string().starts_with("could not access "), "{err}");

        let path = std::env::temp_dir()
            .join(format!("course_lib_dist_test_{}_bad.csv", std::process::id()));
        std::fs::write(&path, "rtt_ms\n1.0\noops\n").unwrap();
        let err = Dist::empirical_from_csv(&path, "rtt_ms").unwrap_err();
        std::fs::remove_file(&path).unwrap();
        let Error::Parse { source_name, line, .. } = err else { panic!("{err:?}") };
        assert_eq!((source_name, line), (path.display().to_string(), 3));
    }

    // ---- sampling agrees with the closed forms --------------------------------------------------

    const N: usize = 200_000;

    #[test]
    fn sample_means_agree_with_closed_form_means() {
        let cases = [
            Dist::uniform(2.0, 7.0).unwrap(),
            Dist::exponential(0.5).unwrap(),
            Dist::normal(10.0, 3.0).unwrap(),
            Dist::lognormal(0.3, 0.8).unwrap(),
            Dist::pareto(1.0, 4.5).unwrap(),
            Dist::mixture(vec![
                (0.9, Dist::exponential_mean(1.0).unwrap()),
                (0.1, Dist::pareto(10.0, 4.5).unwrap()),
            ])
            .unwrap(),
            Dist::empirical(vec![0.4, 0.5, 0.45, 3.0, 12.0]).unwrap(),
        ];
        for (seed, d) in cases.iter().enumerate() {
            let mut rng = SimRng::new(1000 + seed as u64);
            let xs = d.samples(&mut rng, N);
            let mean = xs.iter().sum::<f64>() / N as f64;
            let se = (d.variance().unwrap() / N as f64).sqrt();
            let want = d.mean().unwrap();
            assert!((mean - want).abs() < 5.0 * se, "{d}: sample mean {mean}, want {want} ± {se}");
            let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / N as f64;
            assert_close(var, d.variance().unwrap(), 0.05);
        }
    }

    #[test]
    fn sample_quantiles_agree_with_closed_form_quantiles() {
        // Distribution-free: the fraction of samples ≤ Q(p) is Binomial(N, p) / N.
        let mut cases = zoo();
        cases.push(Dist::pareto(1.0, 0.8).unwrap()); // no mean at all
        cases.push(Dist::lognormal_from_median_p99(1.0, 100.0).unwrap());
        for (seed, d) in cases.iter().enumerate() {
            let mut rng = SimRng::new(2000 + seed as u64);
            let xs = d.samples(&mut rng, N);
            for p in [0.01, 0.1, 0.5, 0.9, 0.99, 0.999] {
                let q = d.quantile(p).unwrap();
                let frac = xs.iter().filter(|&&x| x <= q).count() as f64 / N as f64;
                let se = (p * (1.0 - p) / N as f64).sqrt();
                assert!((frac - p).abs() < 5.0 * se, "{d}: {frac} of samples ≤ Q({p}) = {q}");
            }
        }
    }

    #[test]
    fn mixture_picks_components_in_proportion() {
        let d = Dist::mixture(vec![
            (0.3, Dist::constant(1.0).unwrap()),
            (0.7, Dist::constant(2.0).unwrap()),
        ])
        .unwrap();
        let mut rng = SimRng::new(5);
        let ones = d.samples(&mut rng, N).iter().filter(|&&x| x == 1.0).count() as f64;
        let se = (0.3 * 0.7 / N as f64).sqrt();
        assert!((ones / N as f64 - 0.3).abs() < 5.0 * se);
    }

    // ---- determinism ----------------------------------------------------------------------------

    #[test]
    fn same_seed_same_samples() {
        let mut all = zoo();
        all.push(Dist::constant(2.0).unwrap());
        all.push(Dist::empirical(vec![1.0, 5.0, 2.0]).unwrap());
        for d in all {
            let a = d.samples(&mut SimRng::new(42), 1000);
            let b = d.samples(&mut SimRng::new(42), 1000);
            assert_eq!(a, b, "{d}");
            if !matches!(d, Dist::Constant { .. }) {
                assert_ne!(a, d.samples(&mut SimRng::new(43), 1000), "{d}");
            }
        }
    }

    /// Pinned values: these samples are part of the course's reproducibility promise (the
    /// same seed draws the same network delays on every machine and every release). If this
    /// test fails, every simulated figure in the notebooks changes: that is a breaking change.
    #[test]
    fn samples_are_pinned() {
        let mixture = Dist::mixture(vec![
            (0.9, Dist::exponential_mean(1.0).unwrap()),
            (0.1, Dist::pareto(10.0, 1.5).unwrap()),
        ])
        .unwrap();
        let cases = [
            Dist::exponential(0.5).unwrap(),
            Dist::pareto(1.0, 1.5).unwrap(),
            Dist::lognormal(0.0, 1.0).unwrap(),
            Dist::normal(10.0, 2.0).unwrap(),
            mixture,
        ];
        let pinned: [[f64; 3]; 5] = [
            [0.4108402241357366, 2.286250673119644, 0.03247388075847969],
            [1.1467670716606502, 2.142736086975914, 1.010883425158285],
            [0.7644433405330904, 0.9469943328734057, 0.5606965791845315],
            [9.46278526107581, 9.891075659783699, 8.842849246312088],
            [1.143125336559822, 12.670643004965578, 0.5308608851245242],
        ];
        for (d, want) in cases.iter().zip(pinned) {
            let got = d.samples(&mut SimRng::new(42), 3);
            // Bit-for-bit, not approximately.
            let bits = |xs: &[f64]| xs.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got), bits(&want), "{d}: {got:?}");
        }
    }

    // ---- delays are non-negative ---------------------------------------------------------

    #[test]
    fn negative_samples_are_visible_and_sample_delay_clamps_them() {
        let d = Dist::normal(1.0, 2.0).unwrap();
        assert!(!d.is_non_negative());
        assert_eq!(d.min_value(), f64::NEG_INFINITY);
        let (mut r1, mut r2) = (SimRng::new(8), SimRng::new(8));
        let mut negatives = 0;
        for _ in 0..10_000 {
            let raw = d.sample(&mut r1);
            let delay = d.sample_delay(&mut r2);
            negatives += usize::from(raw < 0.0);
            assert_eq!(delay, raw.max(0.0));
        }
        assert!(negatives > 2_000, "N(1, 2) is negative about 31 % of the time");
        for d in [
            Dist::exponential(1.0).unwrap(),
            Dist::pareto(1.0, 1.0).unwrap(),
            Dist::lognormal(0.0, 2.0).unwrap(),
            Dist::uniform(0.0, 1.0).unwrap(),
            Dist::normal(3.0, 0.0).unwrap(),
        ] {
            assert!(d.is_non_negative(), "{d}");
        }
        assert!(!Dist::uniform(-1.0, 1.0).unwrap().is_non_negative());
        assert!(!Dist::empirical(vec![-0.5, 2.0]).unwrap().is_non_negative());
        let mixed = Dist::mixture(vec![
            (0.99, Dist::exponential(1.0).unwrap()),
            (0.01, Dist::normal(5.0, 1.0).unwrap()),
        ])
        .unwrap();
        assert!(!mixed.is_non_negative());
    }

    // ---- invalid parameters ---------------------------------------------------------------------

    /// Asserts an `OutOfRange` error for parameter `name`, and that the message names it.
    #[track_caller]
    fn assert_out_of_range(result: Result<Dist>, name: &str) {
        match result {
            Err(e @ Error::OutOfRange { .. }) => {
                let Error::OutOfRange { name: got, .. } = &e else { unreachable!() };
                assert_eq!(got, name, "{e}");
                assert!(e.to_string().starts_with(&format!("{name} = ")), "{e}");
            }
            other => panic!("expected OutOfRange for `{name}`, got {other:?}"),
        }
    }

    #[test]
    fn every_invalid_parameter_is_an_error_naming_it() {
        let nan = f64::NAN;
        let inf = f64::INFINITY;
        for v in [nan, inf, -1.0] {
            assert_out_of_range(Dist::constant(v), "value");
            assert_out_of_range(Dist::exponential(v), "rate");
            assert_out_of_range(Dist::exponential_mean(v), "mean");
            assert_out_of_range(Dist::normal(0.0, v), "sd");
            assert_out_of_range(Dist::lognormal(0.0, v), "sigma");
            assert_out_of_range(Dist::pareto(v, 1.0), "scale");
            assert_out_of_range(Dist::pareto(1.0, v), "shape");
            assert_out_of_range(Dist::lognormal_from_median_p99(v, 10.0), "median");
            assert_out_of_range(Dist::lognormal_from_median_p99(1.0, v), "p99");
        }
        for v in [nan, inf, -inf] {
            assert_out_of_range(Dist::uniform(v, 1.0), "lo");
            assert_out_of_range(Dist::uniform(0.0, v), "hi");
            assert_out_of_range(Dist::normal(v, 1.0), "mean");
            assert_out_of_range(Dist::lognormal(v, 1.0), "mu");
        }
        for zero_is_bad in [Dist::exponential(0.0), Dist::pareto(0.0, 1.0), Dist::pareto(1.0, 0.0)]
        {
            assert!(matches!(zero_is_bad, Err(Error::OutOfRange { .. })));
        }
        assert_out_of_range(Dist::exponential_mean(1e-320), "mean"); // 1 / mean overflows
        let e = Dist::uniform(-f64::MAX, f64::MAX).unwrap_err();
        assert!(matches!(e, Error::Invalid { .. }), "{e:?}");
        let e = Dist::uniform(5.0, 1.0).unwrap_err();
        assert_eq!(e.to_string(), "lo = 5 is out of range: must be at most hi = 1");
        let e = Dist::lognormal_from_median_p99(10.0, 5.0).unwrap_err();
        assert_eq!(e.to_string(), "p99 = 5 is out of range: must be at least median = 10");
    }

    #[test]
    fn quantile_rejects_p_outside_the_unit_interval() {
        for d in zoo() {
            for p in [-0.1, 1.000_001, f64::NAN, f64::INFINITY] {
                let e = d.quantile(p).unwrap_err();
                assert!(matches!(&e, Error::OutOfRange { name, .. } if name == "p"), "{e:?}");
                assert!(e.to_string().contains("between 0 and 1"), "{e}");
            }
        }
    }

    #[test]
    fn invalid_mixtures_and_samples_are_errors() {
        let e = Dist::mixture(vec![]).unwrap_err();
        assert!(matches!(e, Error::Empty { .. }), "{e:?}");
        assert!(e.to_string().starts_with("the mixture is empty"), "{e}");

        let zeros = vec![(0.0, Dist::constant(1.0).unwrap()), (0.0, Dist::constant(2.0).unwrap())];
        let e = Dist::mixture(zeros).unwrap_err();
        assert!(matches!(e, Error::Invalid { .. }), "{e:?}");
        assert!(e.to_string().contains("all weights are zero"), "{e}");

        for w in [-0.5, f64::NAN, f64::INFINITY] {
            let comps =
                vec![(1.0, Dist::constant(1.0).unwrap()), (w, Dist::constant(2.0).unwrap())];
            assert_out_of_range(Dist::mixture(comps), "weights[1]");
        }
        // A component built by hand with a bad parameter is caught too.
        let comps = vec![(1.0, Dist::Exponential { rate: -2.0 })];
        assert_out_of_range(Dist::mixture(comps), "rate");
        assert!(Dist::Pareto { scale: 1.0, shape: f64::NAN }.check().is_err());
        assert!(Dist::Pareto { scale: 1.0, shape: 2.0 }.check().is_ok());

        let e = Dist::empirical(vec![]).unwrap_err();
        assert!(matches!(e, Error::Empty { .. }), "{e:?}");
        assert!(e.to_string().starts_with("the empirical sample is empty"), "{e}");
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_out_of_range(Dist::empirical(vec![1.0, 2.0, bad]), "samples[2]");
        }
    }

    // ---- serde ----------------------------------------------------------------------------------

    #[cfg(feature = "serde")]
    #[test]
    fn deserialisation_goes_through_the_validated_constructors() {
        use serde::de::{value::Error as DeError, IntoDeserializer};
        use serde::Deserialize;
        let ok: std::result::Result<Empirical, DeError> =
            Empirical::deserialize(vec![3.0, 1.0, 2.0].into_deserializer());
        assert_eq!(ok.unwrap().samples(), &[1.0, 2.0, 3.0]);
        let empty: std::result::Result<Empirical, DeError> =
            Empirical::deserialize(Vec::<f64>::new().into_deserializer());
        assert!(empty.unwrap_err().to_string().contains("empirical sample is empty"));
        let bad = Dist::try_from(repr::DistRepr::Exponential { rate: -1.0 }).unwrap_err();
        assert!(bad.to_string().starts_with("rate = -1"), "{bad}");
        let good = Dist::try_from(repr::DistRepr::from(Dist::pareto(1.0, 2.0).unwrap()));
        assert_eq!(good, Dist::pareto(1.0, 2.0));
    }

    // ---- display --------------------------------------------------------------------------------

    #[test]
    fn display_is_readable() {
        let cases = [
            (Dist::constant(2.0).unwrap(), "Const(2 ms)"),
            (Dist::uniform(0.5, 1.25).unwrap(), "Uniform(0.5 ms, 1.25 ms)"),
            (Dist::exponential(0.5).unwrap(), "Exp(mean = 2 ms)"),
            (Dist::exponential_mean(0.3).unwrap(), "Exp(mean = 0.3 ms)"),
            (Dist::normal(10.0, 2.5).unwrap(), "Normal(mean = 10 ms, sd = 2.5 ms)"),
            (Dist::lognormal(0.0, 1.0).unwrap(), "LogNormal(μ = 0, σ = 1; median = 1 ms)"),
            (Dist::pareto(1.0, 1.5).unwrap(), "Pareto(x_m = 1 ms, α = 1.5)"),
            (Dist::pareto(1.0 / 3.0, 2.0).unwrap(), "Pareto(x_m = 0.3333 ms, α = 2)"),
            (Dist::constant(123_456_789.0).unwrap(), "Const(1.235e8 ms)"),
            (Dist::constant(0.000_012_34).unwrap(), "Const(1.234e-5 ms)"),
            (Dist::constant(99_999.5).unwrap(), "Const(100000 ms)"),
            (Dist::constant(123_456.0).unwrap(), "Const(123500 ms)"),
            (Dist::constant(0.000_123_456).unwrap(), "Const(0.0001235 ms)"),
            (
                Dist::mixture(vec![
                    (0.9, Dist::exponential_mean(1.0).unwrap()),
                    (0.1, Dist::pareto(10.0, 1.5).unwrap()),
                ])
                .unwrap(),
                "Mixture[0.9 × Exp(mean = 1 ms) + 0.1 × Pareto(x_m = 10 ms, α = 1.5)]",
            ),
        ];
        for (d, want) in cases {
            assert_eq!(d.to_string(), want);
        }
    }

    // ---- properties -----------------------------------------------------------------------------

    fn arb_parametric() -> impl Strategy<Value = Dist> {
        prop_oneof![
            (0.0..1e3f64).prop_map(|v| Dist::constant(v).unwrap()),
            (-1e3..1e3f64, 0.0..1e3f64).prop_map(|(lo, w)| Dist::uniform(lo, lo + w).unwrap()),
            (1e-3..1e3f64).prop_map(|r| Dist::exponential(r).unwrap()),
            (-1e3..1e3f64, 0.0..1e2f64).prop_map(|(m, s)| Dist::normal(m, s).unwrap()),
            (-5.0..5.0f64, 0.0..3.0f64).prop_map(|(m, s)| Dist::lognormal(m, s).unwrap()),
            (1e-3..1e3f64, 0.1..10.0f64).prop_map(|(x, a)| Dist::pareto(x, a).unwrap()),
        ]
    }

    fn arb_dist() -> impl Strategy<Value = Dist> {
        prop_oneof![
            3 => arb_parametric(),
            2 => proptest::collection::vec((0.0..10.0f64, arb_parametric()), 1..4)
                .prop_filter_map("all weights zero", |c| Dist::mixture(c).ok()),
            1 => proptest::collection::vec(-1e3..1e3f64, 1..50)
                .prop_map(|xs| Dist::empirical(xs).unwrap()),
        ]
    }

    proptest! {
        #[test]
        fn quantile_is_monotone_and_cdf_is_a_probability(
            d in arb_dist(),
            mut ps in proptest::collection::vec(0.0..=1.0f64, 1..20),
            xs in proptest::collection::vec(-1e4..1e4f64, 1..20),
        ) {
            ps.extend([0.0, 1.0]);
            ps.sort_by(f64::total_cmp);
            let qs: Vec<f64> = ps.iter().map(|&p| d.quantile(p).unwrap()).collect();
            for (w, p) in qs.windows(2).zip(&ps) {
                prop_assert!(
                    !w[0].is_nan() && w[0] <= w[1],
                    "{d}: Q not monotone at p = {p}: {qs:?}"
                );
            }
            for x in xs {
                let f = d.cdf(x);
                prop_assert!((0.0..=1.0).contains(&f), "{d}: F({x}) = {f}");
            }
            prop_assert!(d.min_value() <= d.median() && d.median() <= d.max_value());
        }

        #[test]
        fn sampling_stays_in_the_support(d in arb_dist(), seed in any::<u64>()) {
            let mut rng = SimRng::new(seed);
            for x in d.samples(&mut rng, 50) {
                prop_assert!(!x.is_nan());
                prop_assert!(d.min_value() <= x && x <= d.max_value(), "{d}: sample {x}");
            }
        }
    }
}
