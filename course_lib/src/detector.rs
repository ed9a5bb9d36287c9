//! # Slow or dead? Timeout failure detectors
//!
//! A node that stops answering may have crashed, or its answer may just be slow: over an
//! asynchronous network the two look the same. All a process can do is wait some time `T`
//! and then *suspect* the other. Choosing `T` is a trade:
//!
//! * too short, and a slow answer is mistaken for a crash (a **false suspicion**), which may
//!   trigger a needless fail-over;
//! * too long, and a real crash goes unnoticed for a long time (slow **detection**).
//!
//! **The heartbeat detector simulated here.** A monitor `n0` pings a target `n1` every
//! `interval_ms`. Each ping expects a pong within `timeout_ms`; if none arrives in time the
//! monitor suspects the target. With one-way delays $D_1, D_2$ drawn independently from the
//! network's delay distribution and loss probability $\ell$ per message, one probe of a live
//! target is falsely suspected with probability
//!
//! $$P_{\text{false}}(T) = 1 - (1-\ell)^2\,P(D_1 + D_2 \le T).$$
//!
//! After a crash at a uniformly random moment, the first probe that goes unanswered was sent
//! at most one interval later, so the detection time is about $T + I/2$ on average
//! (between $T$ and $T + I$).
//!
//! With exponential delays of mean $m$, $D_1 + D_2$ is Gamma(2, m) and
//! $P(D_1 + D_2 > T) = e^{-T/m}(1 + T/m)$: the false-suspicion rate falls exponentially in
//! $T$. With a heavy-tailed (Pareto) delay it falls only polynomially, so for the same mean
//! delay you need a much larger timeout, and pay for it in detection time.
//!
//! ```
//! use course_lib::prelude::*;
//! use course_lib::detector::{DetectorConfig, run_detector};
//! # fn main() -> course_lib::Result<()> {
//! let cfg = DetectorConfig::new(Dist::exponential_mean(5.0)?, 30.0).with_probes(2_000);
//! let outcome = run_detector(&cfg, 1)?;
//! // closed form: e^{-30/5} (1 + 30/5) = 0.01735
//! assert!((outcome.false_suspicion_rate - 0.01735).abs() < 0.01);
//! # Ok(()) }
//! ```
//!
//! ## Reading
//! * T. D. Chandra and S. Toueg, "Unreliable Failure Detectors for Reliable Distributed
//!   Systems", JACM 43(2), 1996.
//! * W. Chen, S. Toueg, M. K. Aguilera, "On the Quality of Service of Failure Detectors",
//!   IEEE Trans. Computers 51(5), 2002 (detection time vs mistake rate).
//! * N. Hayashibara et al., "The φ Accrual Failure Detector", SRDS 2004.

use crate::dist::Dist;
use crate::error::{validate, Error, Result};
use crate::sim::{Ctx, Experiment, FaultSchedule, Network, Node, NodeId};

/// Configuration of one heartbeat failure-detector experiment. Setters never fail; a run
/// ([`run_detector`]) checks the configuration ([`DetectorConfig::validate`]) and names the
/// first bad parameter.
///
/// ```
/// use course_lib::detector::{run_detector, DetectorConfig};
/// use course_lib::dist::Dist;
/// let cfg = DetectorConfig::new(Dist::Constant { value: 1.0 }, 5.0).with_loss(1.5);
/// let e = run_detector(&cfg, 1).unwrap_err().to_string();
/// assert!(e.starts_with("loss = 1.5"), "{e}");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct DetectorConfig {
    delay: Dist,
    loss: f64,
    interval_ms: f64,
    timeout_ms: f64,
    probes: usize,
    crash_at_ms: Option<f64>,
}

impl DetectorConfig {
    /// One-way delays from `delay` (ms), a timeout of `timeout_ms` (> 0), no loss, a probe
    /// every 100 ms, 1 000 probes, no crash.
    pub fn new(delay: Dist, timeout_ms: f64) -> DetectorConfig {
        DetectorConfig {
            delay,
            loss: 0.0,
            interval_ms: 100.0,
            timeout_ms,
            probes: 1_000,
            crash_at_ms: None,
        }
    }

    /// Message loss probability per message (in `[0, 1]`).
    pub fn with_loss(mut self, loss: f64) -> Self {
        self.loss = loss;
        self
    }

    /// Time between probes (ms, > 0).
    pub fn with_interval(mut self, interval_ms: f64) -> Self {
        self.interval_ms = interval_ms;
        self
    }

    /// Number of probes the monitor sends (at least 1).
    pub fn with_probes(mut self, probes: usize) -> Self {
        self.probes = probes;
        self
    }

    /// Crash the target at `at_ms` (≥ 0) and measure how long detection takes.
    pub fn with_crash_at(mut self, at_ms: f64) -> Self {
        self.crash_at_ms = Some(at_ms);
        self
    }

    /// Checks every parameter, naming the first bad one.
    ///
    /// # Errors
    /// A timeout or probe interval that is not positive, a loss outside `[0, 1]`, no probes, a
    /// negative crash time.
    pub fn validate(&self) -> Result<()> {
        validate::positive("timeout_ms", self.timeout_ms)?;
        validate::probability("loss", self.loss)?;
        validate::positive("interval_ms", self.interval_ms)?;
        validate::at_least("probes", self.probes, 1)?;
        if let Some(at_ms) = self.crash_at_ms {
            validate::non_negative("crash_at_ms", at_ms)?;
        }
        Ok(())
    }

    /// The timeout (ms).
    pub fn timeout_ms(&self) -> f64 {
        self.timeout_ms
    }
}

/// What one experiment measured.
#[derive(Clone, Debug, PartialEq)]
pub struct DetectorOutcome {
    /// The timeout used (ms).
    pub timeout_ms: f64,
    /// Probes sent while the target was alive.
    pub probes_alive: u64,
    /// Of those, how many timed out (false suspicions).
    pub false_suspicions: u64,
    /// `false_suspicions / probes_alive` (0 when no probe was sent to a live target).
    pub false_suspicion_rate: f64,
    /// Time from the crash to the first suspicion after it (ms), if a crash was scheduled and
    /// detected.
    pub detection_ms: Option<f64>,
}

/// Messages of the heartbeat protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Heartbeat {
    /// Probe number `k`.
    Ping(u64),
    /// Answer to probe `k`.
    Pong(u64),
}

/// Timers of the monitor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DetectorTimer {
    /// Time to send the next probe.
    Probe,
    /// Probe `k`'s answer is overdue if it has not arrived.
    Deadline(u64),
}

/// The two nodes: `n0` monitors, `n1` answers.
#[derive(Clone, Debug)]
pub struct HeartbeatNode {
    interval_ms: f64,
    timeout_ms: f64,
    probes: u64,
    next: u64,
    answered: Vec<bool>,
    /// Times (ms) at which probe `k` was sent.
    pub sent_at: Vec<f64>,
    /// Times (ms) of every suspicion, with the probe number that timed out.
    pub suspicions: Vec<(f64, u64)>,
}

impl HeartbeatNode {
    fn pair(cfg: &DetectorConfig) -> Vec<HeartbeatNode> {
        let n = HeartbeatNode {
            interval_ms: cfg.interval_ms,
            timeout_ms: cfg.timeout_ms,
            probes: cfg.probes as u64,
            next: 0,
            answered: Vec::with_capacity(cfg.probes),
            sent_at: Vec::with_capacity(cfg.probes),
            suspicions: Vec::new(),
        };
        vec![n.clone(), n]
    }
}

impl Node for HeartbeatNode {
    type Msg = Heartbeat;
    type Timer = DetectorTimer;
    type Request = ();
    type Response = ();

    fn on_start(&mut self, ctx: &mut Ctx<Self>) {
        if ctx.id() == NodeId(0) {
            ctx.set_timer(0.0, DetectorTimer::Probe);
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: Heartbeat) {
        match msg {
            Heartbeat::Ping(k) => ctx.send(from, Heartbeat::Pong(k)),
            Heartbeat::Pong(k) => {
                if let Some(a) = self.answered.get_mut(k as usize) {
                    *a = true;
                }
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Self>, timer: DetectorTimer) {
        match timer {
            DetectorTimer::Probe => {
                let k = self.next;
                self.next += 1;
                self.answered.push(false);
                self.sent_at.push(ctx.now_ms());
                ctx.send(NodeId(1), Heartbeat::Ping(k));
                ctx.set_timer(self.timeout_ms, DetectorTimer::Deadline(k));
                if self.next < self.probes {
                    ctx.set_timer(self.interval_ms, DetectorTimer::Probe);
                }
            }
            DetectorTimer::Deadline(k) => {
                if !self.answered[k as usize] {
                    self.suspicions.push((ctx.now_ms(), k));
                }
            }
        }
    }

    fn restarted(&self) -> Self {
        HeartbeatNode {
            next: 0,
            answered: vec![],
            sent_at: vec![],
            suspicions: vec![],
            ..self.clone()
        }
    }
}

/// Run one heartbeat experiment on the simulator.
///
/// # Errors
/// A bad parameter of `cfg` ([`DetectorConfig::validate`] says which).
pub fn run_detector(cfg: &DetectorConfig, seed: u64) -> Result<DetectorOutcome> {
    cfg.validate()?;
    let net = Network::new(cfg.delay.clone()).with_loss(cfg.loss);
    let mut faults = FaultSchedule::new();
    if let Some(at) = cfg.crash_at_ms {
        faults = faults.crash(1, at);
    }
    let horizon = cfg.interval_ms * cfg.probes as f64 + cfg.timeout_ms + 1.0;
    let report = Experiment::new(HeartbeatNode::pair(cfg))
        .network(net)
        .faults(faults)
        .horizon_ms(horizon)
        .run(seed)?;
    let monitor = report.sim().node(0)?;
    let crash = cfg.crash_at_ms.unwrap_or(f64::INFINITY);
    // A probe "to a live target" is one whose answer was due before the crash.
    let alive = |k: u64| monitor.sent_at[k as usize] + cfg.timeout_ms < crash;
    let probes_alive = (0..monitor.sent_at.len() as u64).filter(|&k| alive(k)).count() as u64;
    let false_suspicions = monitor.suspicions.iter().filter(|&&(_, k)| alive(k)).count() as u64;
    let detection_ms = cfg
        .crash_at_ms
        .and_then(|c| monitor.suspicions.iter().map(|&(t, _)| t).find(|&t| t >= c).map(|t| t - c));
    Ok(DetectorOutcome {
        timeout_ms: cfg.timeout_ms,
        probes_alive,
        false_suspicions,
        false_suspicion_rate: if probes_alive == 0 {
            0.0
        } else {
            false_suspicions as f64 / probes_alive as f64
        },
        detection_ms,
    })
}

/// One point of a timeout sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepPoint {
    /// Timeout (ms).
    pub timeout_ms: f64,
    /// Fraction of probes of a live target that were falsely suspected.
    pub false_suspicion_rate: f64,
    /// Mean time from crash to detection over the crash trials (ms).
    pub mean_detection_ms: f64,
}

/// For each timeout: the false-suspicion rate over `probes` probes of a live target, and the
/// mean detection time over `crash_trials` runs in which the target crashes at a random
/// moment. Probes every `interval_ms`. Every run is seeded from `seed`.
pub fn sweep_timeouts(
    delay: &Dist,
    loss: f64,
    interval_ms: f64,
    timeouts_ms: &[f64],
    probes: usize,
    crash_trials: usize,
    seed: u64,
) -> Result<Vec<SweepPoint>> {
    if timeouts_ms.is_empty() {
        return Err(Error::empty("timeouts_ms", "give at least one timeout to try"));
    }
    validate::at_least("crash_trials", crash_trials, 1)?;
    let mut rng = crate::sim::Stream::Scenario("detector crash times", 0).rng(seed);
    let mut points = Vec::with_capacity(timeouts_ms.len());
    for (i, &t) in timeouts_ms.iter().enumerate() {
        let base = DetectorConfig::new(delay.clone(), t).with_loss(loss).with_interval(interval_ms);
        let live = run_detector(&base.clone().with_probes(probes), seed.wrapping_add(i as u64))?;
        let mut total = 0.0;
        for trial in 0..crash_trials {
            // crash somewhere in the middle of a short run, at a random phase of the probes
            let at = interval_ms * (2.0 + rng.uniform());
            let probes_needed = 3 + (t / interval_ms).ceil() as usize + 2;
            let cfg = base.clone().with_probes(probes_needed).with_crash_at(at);
            let run_seed = seed ^ ((i as u64) << 32) ^ trial as u64;
            let out = run_detector(&cfg, run_seed)?;
            total += out.detection_ms.unwrap_or(f64::NAN);
        }
        points.push(SweepPoint {
            timeout_ms: t,
            false_suspicion_rate: live.false_suspicion_rate,
            mean_detection_ms: total / crash_trials as f64,
        });
    }
    Ok(points)
}

/// The closed-form false-suspicion probability for exponential one-way delays with mean
/// `mean_ms`, loss `loss` per message, and timeout `timeout_ms`:
/// $1 - (1-\ell)^2 (1 - e^{-T/m}(1 + T/m))$.
pub fn false_suspicion_exponential(mean_ms: f64, loss: f64, timeout_ms: f64) -> Result<f64> {
    let m = validate::positive("mean_ms", mean_ms)?;
    let l = validate::probability("loss", loss)?;
    let t = validate::non_negative("timeout_ms", timeout_ms)?;
    let tail = (-t / m).exp() * (1.0 + t / m);
    Ok(1.0 - (1.0 - l) * (1.0 - l) * (1.0 - tail))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn false_suspicions_match_the_gamma_closed_form() {
        // Exponential one-way delays, mean 5 ms: RTT ~ Gamma(2, 5 ms).
        let delay = Dist::exponential_mean(5.0).unwrap();
        for (t, loss) in [(10.0, 0.0), (20.0, 0.0), (30.0, 0.01), (15.0, 0.05)] {
            let cfg = DetectorConfig::new(delay.clone(), t).with_loss(loss).with_probes(20_000);
            let out = run_detector(&cfg, 11).unwrap();
            let p = false_suspicion_exponential(5.0, loss, t).unwrap();
            let se = (p * (1.0 - p) / out.probes_alive as f64).sqrt();
            assert_eq!(out.probes_alive, 20_000);
            assert!(
                (out.false_suspicion_rate - p).abs() < 5.0 * se,
                "T={t} loss={loss}: simulated {} vs closed form {p}",
                out.false_suspicion_rate
            );
        }
    }

    #[test]
    fn detection_takes_between_t_and_t_plus_interval() {
        let delay = Dist::exponential_mean(1.0).unwrap();
        let pts = sweep_timeouts(&delay, 0.0, 50.0, &[20.0, 200.0], 500, 200, 5).unwrap();
        for p in &pts {
            // mean of T + U(0, I) is T + I/2 = T + 25; allow the few-ms delays and noise
            assert!(
                (p.mean_detection_ms - (p.timeout_ms + 25.0)).abs() < 6.0,
                "T = {}: mean detection {}",
                p.timeout_ms,
                p.mean_detection_ms
            );
        }
        assert_eq!(pts[1].false_suspicion_rate, 0.0);
    }

    #[test]
    fn heavy_tails_need_longer_timeouts() {
        // Same 5 ms mean: exponential vs Pareto(α = 1.5, x_m = 5/3).
        let exp = Dist::exponential_mean(5.0).unwrap();
        let pareto = Dist::pareto(5.0 / 3.0, 1.5).unwrap();
        let a = sweep_timeouts(&exp, 0.0, 100.0, &[60.0], 20_000, 1, 3).unwrap();
        let b = sweep_timeouts(&pareto, 0.0, 100.0, &[60.0], 20_000, 1, 3).unwrap();
        assert!(a[0].false_suspicion_rate < 1e-3, "{a:?}");
        assert!(b[0].false_suspicion_rate > 0.01, "{b:?}");
    }

    #[test]
    fn bad_parameters_are_errors() {
        let d = Dist::constant(1.0).unwrap();
        // setters never fail: the run names the first bad parameter
        let err = |cfg: DetectorConfig| run_detector(&cfg, 1).unwrap_err().to_string();
        let e = err(DetectorConfig::new(d.clone(), 0.0));
        assert_eq!(e, "timeout_ms = 0 is out of range: must be a finite number > 0");
        assert!(err(DetectorConfig::new(d.clone(), f64::NAN)).starts_with("timeout_ms = NaN"));
        let ok = DetectorConfig::new(d.clone(), 5.0);
        assert!(ok.validate().is_ok());
        assert!(err(ok.clone().with_loss(2.0)).starts_with("loss = 2"));
        let e = err(ok.clone().with_probes(0));
        assert_eq!(e, "probes = 0 is out of range: must be at least 1");
        assert!(err(ok.clone().with_interval(-1.0)).starts_with("interval_ms = -1"));
        let e = err(ok.clone().with_crash_at(-1.0));
        assert!(e.starts_with("crash_at_ms = -1") && e.contains(">= 0"), "{e}");
        // the sweep reports them too
        let e = sweep_timeouts(&d, 0.0, 10.0, &[5.0, -2.0], 10, 1, 0).unwrap_err();
        assert!(e.to_string().starts_with("timeout_ms = -2"), "{e}");
        let e = sweep_timeouts(&d, 1.5, 10.0, &[5.0], 10, 1, 0).unwrap_err();
        assert!(e.to_string().starts_with("loss = 1.5"), "{e}");
        assert!(sweep_timeouts(&d, 0.0, 10.0, &[], 10, 1, 0).is_err());
        assert!(false_suspicion_exponential(-1.0, 0.0, 1.0).is_err());
    }
}
