//! Sweeps over pause length × lease duration: how often does a pause corrupt data, with and
//! without fencing?

use super::{run, CoordConfig};
use crate::dist::Dist;
use crate::error::{validate, Error, Result};
use crate::rng::SimRng;
use crate::sim::{Network, Stream};

/// Violation rates over a grid of lease durations (rows) × pause lengths (columns).
#[derive(Clone, Debug, PartialEq)]
pub struct PauseLeaseSweep {
    /// Pause lengths (ms), the columns.
    pub pauses_ms: Vec<f64>,
    /// Lease durations (ms), the rows.
    pub leases_ms: Vec<f64>,
    /// Runs per cell.
    pub runs: usize,
    /// Fraction of runs without fencing in which mutual exclusion was violated (a stale
    /// request accepted or an update lost): `unfenced[lease][pause]`.
    pub unfenced: Vec<Vec<f64>>,
    /// The same runs (same seeds, same pauses, same clocks) with fencing on.
    pub fenced: Vec<Vec<f64>>,
    /// Fraction of fenced runs in which the storage rejected at least one stale request.
    pub fenced_rejections: Vec<Vec<f64>>,
}

/// The configuration of one random run of the sweep: two clients, lease `lease_ms`, 20 ms of
/// work per operation, delays uniform in 1–3 ms, 1 % loss, client clocks drifting randomly
/// within the ±100 ppm the margin assumes, and `c0` paused for `pause_ms` at a uniformly random
/// moment between 0.5 and 2 leases into the run.
pub(crate) fn sweep_config(
    rng: &mut SimRng,
    lease_ms: f64,
    pause_ms: f64,
    fencing: bool,
) -> CoordConfig {
    let at = rng.uniform_range(0.5 * lease_ms, 2.0 * lease_ms);
    let d0 = rng.uniform_range(-100.0, 100.0);
    let d1 = rng.uniform_range(-100.0, 100.0);
    let ds = rng.uniform_range(-100.0, 100.0);
    CoordConfig::new(2, lease_ms)
        .fencing(fencing)
        .network(Network::new(Dist::Uniform { lo: 1.0, hi: 3.0 }).with_loss(0.01).with_fifo(true))
        .client_drift_ppm(0, d0)
        .client_drift_ppm(1, d1)
        .server_drift_ppm(ds)
        .pause(0, at, pause_ms)
        .duration_ms(at + pause_ms + lease_ms + 200.0)
}

/// For every lease duration × pause length, `runs` random runs (random pause
/// start, clock drift, loss), each once without and once with fencing on the same seed; the
/// fraction of runs in which mutual exclusion was violated as the storage saw it.
///
/// ```
/// use course_lib::coord::pause_lease_sweep;
/// let s = pause_lease_sweep(&[0.0, 2_000.0], &[500.0], 20, 7)?;
/// assert_eq!(s.unfenced[0][0], 0.0);      // no pause, no violation
/// assert!(s.unfenced[0][1] > 0.0);        // a 2 s pause with a 0.5 s lease
/// assert!(s.fenced.iter().flatten().all(|&v| v == 0.0));
/// # Ok::<(), course_lib::Error>(())
/// ```
///
/// # Errors
/// An empty grid, more than 400 cells, `runs` outside 1..=10 000, a negative pause or a
/// non-positive lease.
pub fn pause_lease_sweep(
    pauses_ms: &[f64],
    leases_ms: &[f64],
    runs: usize,
    seed: u64,
) -> Result<PauseLeaseSweep> {
    if pauses_ms.is_empty() || leases_ms.is_empty() {
        return Err(Error::empty("the sweep grid", "give at least one pause and one lease"));
    }
    if pauses_ms.len() * leases_ms.len() > 400 {
        return Err(Error::out_of_range(
            "grid cells",
            pauses_ms.len() * leases_ms.len(),
            "at most 400 (pauses × leases)",
        ));
    }
    if !(1..=10_000).contains(&runs) {
        return Err(Error::out_of_range("runs", runs, "must be between 1 and 10000"));
    }
    for &p in pauses_ms {
        validate::non_negative("pause_ms", p)?;
    }
    for &l in leases_ms {
        validate::positive("lease_ms", l)?;
    }
    let mut out = PauseLeaseSweep {
        pauses_ms: pauses_ms.to_vec(),
        leases_ms: leases_ms.to_vec(),
        runs,
        unfenced: vec![vec![0.0; pauses_ms.len()]; leases_ms.len()],
        fenced: vec![vec![0.0; pauses_ms.len()]; leases_ms.len()],
        fenced_rejections: vec![vec![0.0; pauses_ms.len()]; leases_ms.len()],
    };
    for (i, &lease) in leases_ms.iter().enumerate() {
        for (j, &pause) in pauses_ms.iter().enumerate() {
            let cell = (i * pauses_ms.len() + j) as u64;
            let mut rng = Stream::Scenario("coord pause-lease cell", cell).rng(seed);
            let (mut bad_u, mut bad_f, mut rej) = (0usize, 0usize, 0usize);
            for _ in 0..runs {
                let run_seed = rng.next_u64();
                let mut cfg_rng = rng.fork();
                let unfenced = sweep_config(&mut cfg_rng.clone(), lease, pause, false);
                let fenced = sweep_config(&mut cfg_rng, lease, pause, true);
                bad_u += run(&unfenced, run_seed)?.violated() as usize;
                let f = run(&fenced, run_seed)?;
                bad_f += f.violated() as usize;
                rej += (f.rejected() > 0) as usize;
            }
            out.unfenced[i][j] = bad_u as f64 / runs as f64;
            out.fenced[i][j] = bad_f as f64 / runs as f64;
            out.fenced_rejections[i][j] = rej as f64 / runs as f64;
        }
    }
    Ok(out)
}
