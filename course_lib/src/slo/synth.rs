//! A month of one service's SLI at one-minute resolution, with labelled incidents: the data
//! behind notebook 04's error-budget burn-down (`data/sli_month.csv`,
//! `data/sli_incidents.csv`).
//!
//! No public per-minute SLI data set of a real service exists that this course could ship,
//! so the month is generated, from a seed, by a documented model:
//!
//! * **traffic**: requests per minute $\lambda(t) = r\,(1 + a \sin(2\pi (t/1440 - 1/4)))\,w(t)$,
//!   a daily cycle peaking at 12:00 (amplitude $a$), with weekends (days 5, 6, 12, 13, …) at a
//!   fraction $w$ of weekday traffic; the count is $\lambda$ plus Gaussian noise of standard
//!   deviation $\sqrt{\lambda}$ (the Poisson approximation), rounded;
//! * **errors**: each minute has an error ratio $e(t)$, the baseline plus whatever incident or
//!   blip is active; bad requests are Poisson with mean $e(t)$ × requests (by inversion below
//!   a mean of 30, normal approximation above), capped at the request count;
//! * **incidents** (labelled): A, a short total outage; B, a slow burn (an error ratio a few
//!   times the allowed one for most of two days); C, a flapping dependency (minutes of heavy
//!   errors alternating with minutes of none, for two hours);
//! * **blips** (not labelled): short bursts of errors, such as a bad deploy rolled back within
//!   two minutes, that cost little budget but trip a naive threshold alert.
//!
//! The same seed gives the same bytes on every machine: randomness comes from
//! [`SimRng`] and transcendental functions from `libm`.
//!
//! ```
//! use course_lib::slo::synth::{generate_month, MonthSpec};
//! // the committed month: 30 days, three labelled incidents
//! let month = generate_month(404);
//! assert_eq!(month.series.len(), 30 * 1440);
//! assert_eq!(month.incidents.len(), 3);
//! // a two-day variant with the incidents moved inside it and no blips
//! let small = MonthSpec {
//!     days: 2, outage: (600, 5), slow_burn: (900, 300, 0.0035),
//!     flapping: (1500, 60, 0.2, 3, 10), blips: 0, ..MonthSpec::default()
//! };
//! let m = course_lib::slo::synth::generate(&small, 7)?;
//! assert_eq!(m.series.len(), 2 * 1440);
//! # Ok::<(), course_lib::Error>(())
//! ```

use crate::error::{validate, Error, Result};
use crate::rng::SimRng;

/// The generator's two random streams of the seed: traffic and errors, and blip times. This
/// is a data generator, not an experiment on the harness (no nodes, no network), so it does
/// not draw from [`crate::sim::Stream`]; the numbers stay what they were because the shipped
/// `data/sli_month.csv` is their output, byte for byte (`tests/data_files.rs` regenerates it),
/// and notebook 04's figures are computed from that file.
const TRAFFIC_STREAM: u64 = 0;
/// See [`TRAFFIC_STREAM`].
const BLIP_STREAM: u64 = 1;

use super::{Incident, SliSeries, MINUTE};

/// The seed of the committed `data/sli_month.csv`.
pub const DATA_SEED: u64 = 404;

const MIN_PER_DAY: usize = 1440;

/// Parameters of the generated month. [`MonthSpec::default`] is the committed data set.
#[derive(Clone, Debug, PartialEq)]
pub struct MonthSpec {
    /// Length in days (30 for the data set).
    pub days: usize,
    /// Mean weekday requests per minute r.
    pub requests_per_minute: f64,
    /// Amplitude a of the daily cycle (0 = flat, must be < 1).
    pub daily_amplitude: f64,
    /// Weekend traffic as a fraction w of weekday traffic.
    pub weekend_factor: f64,
    /// Error ratio when nothing is wrong.
    pub baseline_error_ratio: f64,
    /// Incident A (outage): start minute, length in minutes; error ratio 1.
    pub outage: (usize, usize),
    /// Incident B (slow burn): start minute, length in minutes, error ratio.
    pub slow_burn: (usize, usize, f64),
    /// Incident C (flapping): start minute, length in minutes, error ratio when bad, minutes
    /// bad per cycle, cycle length in minutes.
    pub flapping: (usize, usize, f64, usize, usize),
    /// Number of unlabelled blips.
    pub blips: usize,
    /// Length of a blip (minutes) and its error ratio.
    pub blip: (usize, f64),
}

impl Default for MonthSpec {
    fn default() -> Self {
        MonthSpec {
            days: 30,
            requests_per_minute: 1000.0,
            daily_amplitude: 0.4,
            weekend_factor: 0.75,
            baseline_error_ratio: 0.0002,
            // day 4, 14:05, nine minutes
            outage: (4 * MIN_PER_DAY + 14 * 60 + 5, 9),
            // day 11, 09:00, forty hours at 0.35 % (burn rate 3.5 for a 99.9 % SLO)
            slow_burn: (11 * MIN_PER_DAY + 9 * 60, 40 * 60, 0.0035),
            // day 20, 19:00, two hours: 3 minutes at 20 % errors out of every 10
            flapping: (20 * MIN_PER_DAY + 19 * 60, 120, 0.20, 3, 10),
            blips: 10,
            blip: (2, 0.04),
        }
    }
}

/// A generated month: the series and its labelled incidents.
#[derive(Clone, Debug, PartialEq)]
pub struct SyntheticMonth {
    /// Good/total requests per minute.
    pub series: SliSeries,
    /// The labelled incidents A, B, C.
    pub incidents: Vec<Incident>,
    /// Start minutes of the unlabelled blips.
    pub blip_starts: Vec<usize>,
}

impl SyntheticMonth {
    /// `data/sli_month.csv`'s contents.
    pub fn series_csv(&self) -> String {
        self.series.to_csv()
    }

    /// `data/sli_incidents.csv`'s contents.
    pub fn incidents_csv(&self) -> String {
        Incident::to_csv(&self.incidents)
    }
}

/// The committed data set: [`generate`] with [`MonthSpec::default`] and [`DATA_SEED`].
pub fn generate_month(seed: u64) -> SyntheticMonth {
    generate(&MonthSpec::default(), seed).expect("the default MonthSpec is valid")
}

/// Poisson(mean) by inversion (mean < 30) or a rounded normal approximation.
fn poisson(rng: &mut SimRng, mean: f64) -> u64 {
    if mean <= 0.0 {
        return 0;
    }
    if mean < 30.0 {
        let mut k = 0u64;
        let mut p = libm::exp(-mean);
        let mut cdf = p;
        let u = rng.uniform();
        while u > cdf && k < 1000 {
            k += 1;
            p *= mean / k as f64;
            cdf += p;
        }
        k
    } else {
        let x = mean + libm::sqrt(mean) * rng.standard_normal();
        libm::round(x).max(0.0) as u64
    }
}

/// Generates a month from `spec` and `seed`.
///
/// # Errors
/// A parameter out of range (the error names it), or an incident that does not fit in the
/// month.
pub fn generate(spec: &MonthSpec, seed: u64) -> Result<SyntheticMonth> {
    validate::at_least("days", spec.days, 1)?;
    validate::positive("requests_per_minute", spec.requests_per_minute)?;
    let a = validate::probability("daily_amplitude", spec.daily_amplitude)?;
    if a >= 1.0 {
        return Err(Error::out_of_range("daily_amplitude", a, "must be below 1"));
    }
    validate::probability("weekend_factor", spec.weekend_factor)?;
    validate::probability("baseline_error_ratio", spec.baseline_error_ratio)?;
    validate::probability("slow_burn error ratio", spec.slow_burn.2)?;
    validate::probability("flapping error ratio", spec.flapping.2)?;
    validate::probability("blip error ratio", spec.blip.1)?;
    let n = spec.days * MIN_PER_DAY;
    let (fl_start, fl_len, fl_ratio, fl_bad, fl_cycle) = spec.flapping;
    validate::at_least("flapping cycle", fl_cycle, 1)?;
    let labelled = [
        ("A", "outage", spec.outage.0, spec.outage.1, "total outage: every request fails"),
        (
            "B",
            "slow burn",
            spec.slow_burn.0,
            spec.slow_burn.1,
            "a bad config raises the error ratio to a few times the allowed one",
        ),
        (
            "C",
            "flapping",
            fl_start,
            fl_len,
            "a flapping dependency: minutes of heavy errors alternating with minutes of none",
        ),
    ];
    let mut incidents = Vec::new();
    for (id, kind, start, len, description) in labelled {
        if len == 0 || start + len > n {
            return Err(Error::invalid(
                format!("incident {id} ({kind})"),
                format!(
                    "minutes {start}..{} must be a non-empty range inside the {n}-minute month",
                    start + len
                ),
            ));
        }
        incidents.push(Incident {
            id: id.into(),
            kind: kind.into(),
            start,
            end: start + len,
            description: description.into(),
        });
    }

    // error ratio per minute
    let mut err = vec![spec.baseline_error_ratio; n];
    for e in &mut err[spec.outage.0..spec.outage.0 + spec.outage.1] {
        *e = 1.0;
    }
    for e in &mut err[spec.slow_burn.0..spec.slow_burn.0 + spec.slow_burn.1] {
        *e = spec.slow_burn.2;
    }
    for (k, e) in err[fl_start..fl_start + fl_len].iter_mut().enumerate() {
        if k % fl_cycle < fl_bad {
            *e = fl_ratio;
        }
    }
    // blips: at random minutes at least a day away from every incident
    let mut rng = SimRng::stream(seed, BLIP_STREAM);
    let mut blip_starts = Vec::new();
    let mut tries = 0;
    while blip_starts.len() < spec.blips {
        tries += 1;
        if tries > 100_000 {
            return Err(Error::invalid("blips", "no room for them away from the incidents"));
        }
        let s = rng.below((n - spec.blip.0) as u64) as usize;
        let clear = incidents
            .iter()
            .all(|i| s + spec.blip.0 + MIN_PER_DAY <= i.start || s >= i.end + MIN_PER_DAY)
            && blip_starts.iter().all(|&b: &usize| s.abs_diff(b) > 6 * 60);
        if clear {
            blip_starts.push(s);
        }
    }
    blip_starts.sort_unstable();
    for &s in &blip_starts {
        for e in &mut err[s..s + spec.blip.0] {
            *e = spec.blip.1;
        }
    }

    // traffic and errors
    let mut rng = SimRng::stream(seed, TRAFFIC_STREAM);
    let mut good = Vec::with_capacity(n);
    let mut total = Vec::with_capacity(n);
    for (t, &e) in err.iter().enumerate() {
        let day = t / MIN_PER_DAY;
        let weekend = matches!(day % 7, 5 | 6);
        let phase = std::f64::consts::TAU * (t as f64 / MIN_PER_DAY as f64 - 0.25);
        let mut lambda = spec.requests_per_minute * (1.0 + a * libm::sin(phase));
        if weekend {
            lambda *= spec.weekend_factor;
        }
        let tot = libm::round(lambda + libm::sqrt(lambda) * rng.standard_normal()).max(0.0) as u64;
        let bad = if e >= 1.0 { tot } else { poisson(&mut rng, e * tot as f64).min(tot) };
        good.push(tot - bad);
        total.push(tot);
    }
    Ok(SyntheticMonth {
        series: SliSeries::from_checked(MINUTE, good, total),
        incidents,
        blip_starts,
    })
}
