//! # Time and clocks: physical, logical, hybrid, and TrueTime
//!
//! Machines share no clock. Each has a quartz oscillator that runs a little fast or slow, so
//! two clocks that agree now disagree later; synchronising them over a network is limited by
//! the network's own delay; and yet distributed systems need to order events, expire leases
//! and timestamp transactions. This module implements the standard answers:
//!
//! * **Physical clocks** ([`PhysicalClock`]): a clock reads C(t) = t + offset + ρ·t, with
//!   offset in ms and drift ρ in parts per million (quartz: tens of ppm, i.e. a few seconds a
//!   day). **Skew** is the difference between two clocks' readings; two clocks that each
//!   drift at most ρ drift apart at up to 2ρ, so keeping them within δ needs a resync every
//!   δ / (2ρ) ([`resync_interval_ms`]).
//! * **Cristian's algorithm and NTP** ([`cristian`], [`NtpSample`]): ask a server for its time
//!   and time the round trip. With client send/receive times t₀, t₃ and server receive/send
//!   times t₁, t₂, NTP estimates the offset θ̂ = ((t₁ − t₀) + (t₂ − t₃)) / 2 and the delay
//!   δ = (t₃ − t₀) − (t₂ − t₁). If the one-way delays are d₁ (out) and d₂ (back), then
//!   θ̂ = θ + (d₁ − d₂)/2, so the error is at most **δ/2** (RTT/2 for Cristian), reached when
//!   the path is completely asymmetric. Picking the sample with the smallest δ tightens the
//!   bound ([`NtpSample::best`]).
//! * **Lamport clocks** ([`LamportClock`], Lamport 1978): a counter, incremented on every
//!   event and set to max(own, received) + 1 on receipt. If e happened before f (e → f) then
//!   L(e) < L(f); the converse does not hold.
//! * **Vector clocks** ([`VectorClock`], Fidge 1988, Mattern 1988): one counter per process;
//!   e → f **iff** V(e) < V(f) (componentwise ≤ and not equal), and e ∥ f (concurrent) iff
//!   neither is below the other ([`Causality`]).
//! * **Hybrid logical clocks** ([`HybridClock`], Kulkarni et al. 2014): a timestamp (l, c)
//!   where l tracks the largest physical time seen and c counts events within one l. HLC keeps
//!   the Lamport property (e → f ⇒ hlc(e) < hlc(f)), fits in 64 bits like a physical
//!   timestamp, and stays close to physical time: **0 ≤ l − pt ≤ ε** at every event, where ε
//!   bounds the skew between any two clocks (the paper's Corollary 1, from Theorems 1 and 2;
//!   tested here as a property over random message schedules, [`run_clocks`]).
//! * **TrueTime** ([`TrueTime`], Corbett et al. 2012): the clock returns an interval
//!   [earliest, latest] guaranteed to contain true time, of half-width ε. A Spanner
//!   transaction takes timestamp s = latest and **commit-waits** until earliest > s before
//!   making its writes visible: about 2ε. Then a transaction that starts after another
//!   committed always gets a larger timestamp (external consistency);
//!   [`commit_wait_experiment`] shows the violations that happen without the wait.
//! * **Lag compensation** ([`lag`]): how an online shooter decides whether a shot hit, when
//!   every player sees the world as it was some tens of milliseconds ago.
//!
//! ```
//! use course_lib::clock::*;
//! let mut a = VectorClock::new(2);
//! let mut b = VectorClock::new(2);
//! a.tick(0);                        // event at p0
//! let msg = a.clone();
//! b.tick(1);                        // concurrent event at p1
//! assert_eq!(a.compare(&b), Causality::Concurrent);
//! b.receive(1, &msg);               // p1 receives p0's message
//! assert!(a.happened_before(&b));
//!
//! let mut h = HybridClock::new();
//! let t = h.local_or_send(100);     // physical time 100
//! let r = HybridClock::new().receive(90, t); // a receiver whose clock is behind
//! assert!(r > t && r.l == 100 && r.c == 1);
//! ```
//!
//! ## Reading
//! * L. Lamport, "Time, Clocks, and the Ordering of Events in a Distributed System",
//!   *CACM* 21(7), 1978.
//! * F. Cristian, "Probabilistic clock synchronization", *Distributed Computing* 3(3), 1989.
//! * D. Mills, J. Martin, J. Burbank and W. Kasch, "Network Time Protocol Version 4", RFC 5905,
//!   2010 (§8: offset and delay).
//! * C. Fidge, "Timestamps in Message-Passing Systems That Preserve the Partial Ordering",
//!   1988; F. Mattern, "Virtual Time and Global States of Distributed Systems", 1988.
//! * S. Kulkarni, M. Demirbas, D. Madappa, B. Avva and M. Leone, "Logical Physical Clocks",
//!   OPODIS 2014 (Figure 5: the algorithm; Theorems 1–3).
//! * J. C. Corbett et al., "Spanner: Google's Globally-Distributed Database", OSDI 2012
//!   (§3 TrueTime, with ε a sawtooth of about 1 to 7 ms; §4.1.2 commit wait).

pub mod lag;

use std::cmp::Ordering;
use std::fmt;

use crate::dist::Dist;
use crate::error::{validate, Error, Result};
use crate::rng::SimRng;
use crate::sim::{Ctx, Experiment, Network, Node, NodeId, Stream};

// ---------------------------------------------------------------------------------------------
// Physical clocks

/// A physical clock with a constant offset and drift: it reads
/// `true_ms + offset_ms + drift_ppm·1e-6·true_ms` at true time `true_ms`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PhysicalClock {
    /// Error at true time 0 (ms).
    pub offset_ms: f64,
    /// Rate error in parts per million (+50 gains 50 µs per second).
    pub drift_ppm: f64,
}

impl PhysicalClock {
    /// A clock with the given offset (ms) and drift (ppm, between −10⁵ and 10⁵).
    pub fn new(offset_ms: f64, drift_ppm: f64) -> Result<PhysicalClock> {
        let offset_ms = validate::finite("offset_ms", offset_ms)?;
        let drift_ppm = validate::finite("drift_ppm", drift_ppm)?;
        if drift_ppm.abs() > 1e5 {
            return Err(Error::out_of_range(
                "drift_ppm",
                drift_ppm,
                "must be between -100000 and 100000 ppm (a clock must run forward)",
            ));
        }
        Ok(PhysicalClock { offset_ms, drift_ppm })
    }

    /// A perfect clock.
    pub fn perfect() -> PhysicalClock {
        PhysicalClock { offset_ms: 0.0, drift_ppm: 0.0 }
    }

    /// The reading at true time `true_ms`.
    pub fn read_ms(&self, true_ms: f64) -> f64 {
        true_ms + self.offset_ms + self.drift_ppm * 1e-6 * true_ms
    }

    /// Reading minus true time at `true_ms`.
    pub fn error_ms(&self, true_ms: f64) -> f64 {
        self.read_ms(true_ms) - true_ms
    }

    /// The true time at which the clock shows `reading_ms`.
    pub fn true_time_ms(&self, reading_ms: f64) -> f64 {
        (reading_ms - self.offset_ms) / (1.0 + self.drift_ppm * 1e-6)
    }

    /// This clock's reading minus `other`'s, at true time `true_ms`: the skew.
    pub fn skew_ms(&self, other: &PhysicalClock, true_ms: f64) -> f64 {
        self.read_ms(true_ms) - other.read_ms(true_ms)
    }

    /// The clock after adding `correction_ms` to it (a step, as `ntpdate` does).
    pub fn stepped(&self, correction_ms: f64) -> PhysicalClock {
        PhysicalClock { offset_ms: self.offset_ms + correction_ms, ..*self }
    }
}

/// How often clocks that each drift at most `max_drift_ppm` must be resynchronised to stay
/// within `max_skew_ms` of each other: δ / (2ρ) (they drift apart at up to 2ρ).
///
/// ```
/// # use course_lib::clock::resync_interval_ms;
/// // 50 ppm quartz, skew at most 1 ms: resync every 10 s
/// assert!((resync_interval_ms(50.0, 1.0)? - 10_000.0).abs() < 1e-6);
/// # Ok::<(), course_lib::Error>(())
/// ```
pub fn resync_interval_ms(max_drift_ppm: f64, max_skew_ms: f64) -> Result<f64> {
    let rho = validate::positive("max_drift_ppm", max_drift_ppm)?;
    let delta = validate::positive("max_skew_ms", max_skew_ms)?;
    Ok(delta / (2.0 * rho * 1e-6))
}

// ---------------------------------------------------------------------------------------------
// Cristian and NTP

/// Cristian's estimate of the server's clock.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CristianEstimate {
    /// The server's time now, by the client's reckoning: server time + RTT/2.
    pub server_now_ms: f64,
    /// |error| is at most RTT/2.
    pub error_bound_ms: f64,
    /// Estimated server − client offset.
    pub offset_ms: f64,
}

/// Cristian's algorithm: the client sent a request at `t_request_ms` (its clock), the server
/// answered with its time `server_time_ms`, and the answer arrived at `t_response_ms`. The
/// server's time now is estimated as `server_time + RTT/2`, wrong by at most RTT/2.
///
/// ```
/// # use course_lib::clock::cristian;
/// let e = cristian(1_000.0, 5_020.0, 1_030.0)?;
/// assert_eq!((e.server_now_ms, e.error_bound_ms, e.offset_ms), (5_035.0, 15.0, 4_005.0));
/// # Ok::<(), course_lib::Error>(())
/// ```
pub fn cristian(
    t_request_ms: f64,
    server_time_ms: f64,
    t_response_ms: f64,
) -> Result<CristianEstimate> {
    validate::finite("server_time_ms", server_time_ms)?;
    let (t0, t3) = validate::ordered("t_request_ms", t_request_ms, "t_response_ms", t_response_ms)?;
    let half = (t3 - t0) / 2.0;
    Ok(CristianEstimate {
        server_now_ms: server_time_ms + half,
        error_bound_ms: half,
        offset_ms: server_time_ms + half - t3,
    })
}

/// One NTP exchange: client send (t0) and receive (t3) times on the client's clock, server
/// receive (t1) and send (t2) times on the server's clock (ms).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NtpSample {
    /// Client sends the request (client clock).
    pub t0: f64,
    /// Server receives it (server clock).
    pub t1: f64,
    /// Server sends the reply (server clock).
    pub t2: f64,
    /// Client receives the reply (client clock).
    pub t3: f64,
}

impl NtpSample {
    /// A sample; the four times must be finite, with t0 ≤ t3 and t1 ≤ t2.
    pub fn new(t0: f64, t1: f64, t2: f64, t3: f64) -> Result<NtpSample> {
        validate::ordered("t0", t0, "t3", t3)?;
        validate::ordered("t1", t1, "t2", t2)?;
        Ok(NtpSample { t0, t1, t2, t3 })
    }

    /// Estimated offset θ̂ = ((t1 − t0) + (t2 − t3)) / 2 (server minus client).
    pub fn offset_ms(&self) -> f64 {
        ((self.t1 - self.t0) + (self.t2 - self.t3)) / 2.0
    }

    /// Round-trip delay δ = (t3 − t0) − (t2 − t1): time spent on the network.
    pub fn delay_ms(&self) -> f64 {
        (self.t3 - self.t0) - (self.t2 - self.t1)
    }

    /// The estimate is wrong by at most δ / 2.
    pub fn error_bound_ms(&self) -> f64 {
        self.delay_ms() / 2.0
    }

    /// The sample with the smallest delay (NTP's clock filter keeps it: its bound is tightest).
    pub fn best(samples: &[NtpSample]) -> Option<&NtpSample> {
        samples.iter().min_by(|a, b| a.delay_ms().total_cmp(&b.delay_ms()))
    }
}

/// One simulated NTP exchange with the truth attached.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NtpExchange {
    /// True time the request was sent (ms).
    pub sent_true_ms: f64,
    /// The four timestamps.
    pub sample: NtpSample,
    /// True server − client offset at the moment the server stamped t1.
    pub true_offset_ms: f64,
    /// Estimated offset minus the true one.
    pub error_ms: f64,
}

/// The network path between an NTP client and its server.
#[derive(Clone, Debug)]
pub struct NtpPath {
    /// One-way delay from client to server (ms).
    pub to_server: Dist,
    /// One-way delay from server to client (ms).
    pub to_client: Dist,
    /// Time the server takes between receiving and answering (ms).
    pub processing_ms: f64,
}

impl NtpPath {
    /// A path with the given one-way delays and server processing time (≥ 0 ms).
    pub fn new(to_server: Dist, to_client: Dist, processing_ms: f64) -> Result<NtpPath> {
        let processing_ms = validate::non_negative("processing_ms", processing_ms)?;
        Ok(NtpPath { to_server, to_client, processing_ms })
    }

    /// The same delay distribution both ways (a symmetric path), no processing time.
    pub fn symmetric(delay: Dist) -> NtpPath {
        NtpPath { to_server: delay.clone(), to_client: delay, processing_ms: 0.0 }
    }
}

/// Simulate `exchanges` NTP exchanges, one every `interval_ms` of true time, between a
/// `client` and a `server` clock over `path`.
pub fn simulate_ntp(
    client: &PhysicalClock,
    server: &PhysicalClock,
    path: &NtpPath,
    exchanges: usize,
    interval_ms: f64,
    seed: u64,
) -> Result<Vec<NtpExchange>> {
    let processing_ms = validate::non_negative("processing_ms", path.processing_ms)?;
    let (to_server, to_client) = (&path.to_server, &path.to_client);
    let interval_ms = validate::positive("interval_ms", interval_ms)?;
    validate::at_least("exchanges", exchanges, 1)?;
    let mut rng = SimRng::new(seed);
    let mut out = Vec::with_capacity(exchanges);
    for i in 0..exchanges {
        let t = i as f64 * interval_ms;
        let arrive = t + to_server.sample(&mut rng).max(0.0);
        let leave = arrive + processing_ms;
        let back = leave + to_client.sample(&mut rng).max(0.0);
        let sample = NtpSample {
            t0: client.read_ms(t),
            t1: server.read_ms(arrive),
            t2: server.read_ms(leave),
            t3: client.read_ms(back),
        };
        let true_offset_ms = server.read_ms(arrive) - client.read_ms(arrive);
        out.push(NtpExchange {
            sent_true_ms: t,
            sample,
            true_offset_ms,
            error_ms: sample.offset_ms() - true_offset_ms,
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Lamport clocks

/// A Lamport clock: a counter that respects happens-before.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LamportClock {
    time: u64,
}

impl LamportClock {
    /// A clock at 0.
    pub fn new() -> LamportClock {
        LamportClock::default()
    }

    /// The current value.
    pub fn time(&self) -> u64 {
        self.time
    }

    /// A local or send event: increment and return the new value (send it with the message).
    pub fn tick(&mut self) -> u64 {
        self.time += 1;
        self.time
    }

    /// A receive event carrying timestamp `msg`: set to max(own, msg) + 1 and return it.
    pub fn receive(&mut self, msg: u64) -> u64 {
        self.time = self.time.max(msg) + 1;
        self.time
    }
}

// ---------------------------------------------------------------------------------------------
// Vector clocks

/// How two vector timestamps are related.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Causality {
    /// The first happened before the second.
    Before,
    /// The first happened after the second.
    After,
    /// The same event (equal vectors).
    Equal,
    /// Neither happened before the other.
    Concurrent,
}

impl fmt::Display for Causality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Causality::Before => "happened before",
            Causality::After => "happened after",
            Causality::Equal => "equal",
            Causality::Concurrent => "concurrent",
        })
    }
}

/// A vector clock: entry i counts the events of process i that this timestamp has seen.
/// Missing entries count as 0, so clocks of different lengths compare correctly.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct VectorClock(Vec<u64>);

impl VectorClock {
    /// All zeros for `n` processes.
    pub fn new(n: usize) -> VectorClock {
        VectorClock(vec![0; n])
    }

    /// From explicit entries.
    pub fn from_entries(entries: Vec<u64>) -> VectorClock {
        VectorClock(entries)
    }

    /// The entries.
    pub fn entries(&self) -> &[u64] {
        &self.0
    }

    /// Entry `i` (0 if absent).
    pub fn get(&self, i: usize) -> u64 {
        self.0.get(i).copied().unwrap_or(0)
    }

    /// A local or send event at process `i`: increment entry i (growing the vector if needed).
    pub fn tick(&mut self, i: usize) {
        if self.0.len() <= i {
            self.0.resize(i + 1, 0);
        }
        self.0[i] += 1;
    }

    /// Entrywise maximum with `other`.
    pub fn merge(&mut self, other: &VectorClock) {
        if self.0.len() < other.0.len() {
            self.0.resize(other.0.len(), 0);
        }
        for (a, &b) in self.0.iter_mut().zip(&other.0) {
            *a = (*a).max(b);
        }
    }

    /// A receive event at process `i` of a message stamped `msg`: merge, then tick.
    pub fn receive(&mut self, i: usize, msg: &VectorClock) {
        self.merge(msg);
        self.tick(i);
    }

    /// How `self` relates to `other`.
    pub fn compare(&self, other: &VectorClock) -> Causality {
        let n = self.0.len().max(other.0.len());
        let (mut le, mut ge) = (true, true);
        for i in 0..n {
            let (a, b) = (self.get(i), other.get(i));
            le &= a <= b;
            ge &= a >= b;
        }
        match (le, ge) {
            (true, true) => Causality::Equal,
            (true, false) => Causality::Before,
            (false, true) => Causality::After,
            (false, false) => Causality::Concurrent,
        }
    }

    /// `self` → `other`: componentwise ≤ and not equal.
    pub fn happened_before(&self, other: &VectorClock) -> bool {
        self.compare(other) == Causality::Before
    }

    /// Neither happened before the other (and they differ).
    pub fn concurrent_with(&self, other: &VectorClock) -> bool {
        self.compare(other) == Causality::Concurrent
    }
}

impl PartialOrd for VectorClock {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        match self.compare(other) {
            Causality::Before => Some(Ordering::Less),
            Causality::After => Some(Ordering::Greater),
            Causality::Equal => Some(Ordering::Equal),
            Causality::Concurrent => None,
        }
    }
}

impl fmt::Display for VectorClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[")?;
        for (i, v) in self.0.iter().enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            write!(f, "{v}")?;
        }
        write!(f, "]")
    }
}

// ---------------------------------------------------------------------------------------------
// Hybrid logical clocks

/// An HLC timestamp (l, c), ordered lexicographically: l is the largest physical time known,
/// c a counter among events with the same l.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HlcTimestamp {
    /// Logical component: the largest physical time heard of (physical clock units).
    pub l: u64,
    /// Counter.
    pub c: u64,
}

impl fmt::Display for HlcTimestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({}, {})", self.l, self.c)
    }
}

/// A hybrid logical clock (Kulkarni et al. 2014, Figure 5). Physical times `pt` are integers
/// in any unit (the course uses µs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HybridClock {
    now: HlcTimestamp,
}

impl HybridClock {
    /// A clock at (0, 0).
    pub fn new() -> HybridClock {
        HybridClock::default()
    }

    /// A clock whose last timestamp was `ts` (to replay or test a state).
    pub fn at(ts: HlcTimestamp) -> HybridClock {
        HybridClock { now: ts }
    }

    /// The last timestamp issued.
    pub fn now(&self) -> HlcTimestamp {
        self.now
    }

    /// A local or send event when the physical clock reads `pt`:
    /// l' = l; l = max(l', pt); c = (l == l') ? c + 1 : 0.
    pub fn local_or_send(&mut self, pt: u64) -> HlcTimestamp {
        let old = self.now.l;
        self.now.l = old.max(pt);
        self.now.c = if self.now.l == old { self.now.c + 1 } else { 0 };
        self.now
    }

    /// Receipt of a message stamped `msg` when the physical clock reads `pt`:
    /// l = max(l', l_m, pt); c = c' + 1, c_m + 1, max(c', c_m) + 1 or 0 depending on which of
    /// them l came from.
    pub fn receive(&mut self, pt: u64, msg: HlcTimestamp) -> HlcTimestamp {
        let old = self.now;
        let l = old.l.max(msg.l).max(pt);
        let c = if l == old.l && l == msg.l {
            old.c.max(msg.c) + 1
        } else if l == old.l {
            old.c + 1
        } else if l == msg.l {
            msg.c + 1
        } else {
            0
        };
        self.now = HlcTimestamp { l, c };
        self.now
    }
}

// ---------------------------------------------------------------------------------------------
// All four clocks on the simulator

/// What kind of event a [`ClockEvent`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// Something happened locally.
    Local,
    /// A message was sent (id).
    Send(u64),
    /// A message was received (id).
    Receive(u64),
}

/// One event of a [`run_clocks`] run, stamped by every kind of clock.
#[derive(Clone, Debug, PartialEq)]
pub struct ClockEvent {
    /// The process.
    pub node: usize,
    /// Its position among that process's events (0, 1, 2, …).
    pub seq: usize,
    /// Local, send or receive.
    pub kind: EventKind,
    /// True (simulation) time, ms.
    pub true_ms: f64,
    /// The process's physical clock, in whole µs.
    pub pt_us: u64,
    /// Lamport timestamp.
    pub lamport: u64,
    /// Vector timestamp.
    pub vector: VectorClock,
    /// Hybrid logical clock timestamp (l in µs).
    pub hlc: HlcTimestamp,
}

/// Parameters of [`run_clocks`].
#[derive(Clone, Debug)]
pub struct ClockRunConfig {
    /// Number of processes (≥ 2).
    pub nodes: usize,
    /// Simulated duration (ms).
    pub duration_ms: f64,
    /// Mean time between a process's own events (ms, exponential).
    pub mean_gap_ms: f64,
    /// Probability that an own event is a send (else local).
    pub send_probability: f64,
    /// The network the processes send over (delays in ms; loss, per-link overrides).
    pub network: Network,
    /// Clock offsets are uniform in ±max_offset_ms.
    pub max_offset_ms: f64,
    /// Drifts are uniform in ±max_drift_ppm.
    pub max_drift_ppm: f64,
}

impl ClockRunConfig {
    /// `nodes` processes for `duration_ms`, an event every 10 ms on average, half of them
    /// sends, exponential delays of mean 5 ms, offsets within ±`max_offset_ms`, drift within
    /// ±50 ppm. Checked when run ([`ClockRunConfig::validate`]): `nodes ≥ 2`,
    /// `duration_ms > 0`, `max_offset_ms ≥ 0`.
    pub fn new(nodes: usize, duration_ms: f64, max_offset_ms: f64) -> ClockRunConfig {
        ClockRunConfig {
            nodes,
            duration_ms,
            mean_gap_ms: 10.0,
            send_probability: 0.5,
            network: Network::new(Dist::exponential_mean(5.0).expect("valid constants")),
            max_offset_ms,
            max_drift_ppm: 50.0,
        }
    }

    /// Checks every parameter, naming the first bad one; [`run_clocks`] calls it.
    ///
    /// ```
    /// use course_lib::clock::{run_clocks, ClockRunConfig};
    /// let e = run_clocks(&ClockRunConfig::new(1, 100.0, 2.0), 7).unwrap_err();
    /// assert_eq!(e.to_string(), "nodes = 1 is out of range: must be at least 2");
    /// ```
    ///
    /// # Errors
    /// Fewer than 2 nodes; a duration or mean gap that is not positive; a send probability
    /// outside `[0, 1]`; a negative offset or drift bound, or a drift bound above 100 000 ppm;
    /// a network for another number of nodes.
    pub fn validate(&self) -> Result<()> {
        validate::at_least("nodes", self.nodes, 2)?;
        validate::positive("duration_ms", self.duration_ms)?;
        validate::positive("mean_gap_ms", self.mean_gap_ms)?;
        validate::probability("send_probability", self.send_probability)?;
        validate::non_negative("max_offset_ms", self.max_offset_ms)?;
        validate::non_negative("max_drift_ppm", self.max_drift_ppm)?;
        self.network.validate(self.nodes)?;
        if self.max_drift_ppm > 1e5 {
            return Err(Error::out_of_range("max_drift_ppm", self.max_drift_ppm, "at most 100000"));
        }
        Ok(())
    }
}

/// The events of a [`run_clocks`] run.
#[derive(Clone, Debug)]
pub struct ClockRun {
    /// Every event, grouped by process, each process's in order.
    pub events: Vec<ClockEvent>,
    /// The physical clocks used.
    pub clocks: Vec<PhysicalClock>,
    /// ε: the largest skew between two physical clocks during the run, in whole µs (rounded
    /// up, plus one µs for the clocks' integer resolution).
    pub epsilon_us: u64,
}

impl ClockRun {
    /// The largest l − pt over all events (µs): HLC's distance from physical time.
    pub fn max_hlc_drift_us(&self) -> u64 {
        self.events.iter().map(|e| e.hlc.l - e.pt_us).max().unwrap_or(0)
    }

    /// The largest HLC counter c.
    pub fn max_hlc_counter(&self) -> u64 {
        self.events.iter().map(|e| e.hlc.c).max().unwrap_or(0)
    }

    /// The events that happened before `e` according to the run's ground truth (process order
    /// and messages, closed transitively), as indices into `events`.
    pub fn ground_truth_happened_before(&self) -> Vec<Vec<bool>> {
        let n = self.events.len();
        let mut hb = vec![vec![false; n]; n];
        // direct edges: previous event of the same process; send → receive
        let mut edges: Vec<(usize, usize)> = Vec::new();
        for (j, f) in self.events.iter().enumerate() {
            if f.seq > 0 {
                edges.push((j - 1, j));
            }
            if let EventKind::Receive(m) = f.kind {
                if let Some(i) = self.events.iter().position(|e| e.kind == EventKind::Send(m)) {
                    edges.push((i, j));
                }
            }
        }
        // a topological order (Kahn): predecessors first
        let mut preds: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut succs: Vec<Vec<usize>> = vec![Vec::new(); n];
        for &(a, b) in &edges {
            preds[b].push(a);
            succs[a].push(b);
        }
        let mut indegree: Vec<usize> = preds.iter().map(Vec::len).collect();
        let mut ready: Vec<usize> = (0..n).filter(|&i| indegree[i] == 0).collect();
        let mut order = Vec::with_capacity(n);
        while let Some(i) = ready.pop() {
            order.push(i);
            for &s in &succs[i] {
                indegree[s] -= 1;
                if indegree[s] == 0 {
                    ready.push(s);
                }
            }
        }
        for &j in &order {
            for &i in &preds[j] {
                let row_i = hb[i].clone();
                hb[j][i] = true;
                for (dst, src) in hb[j].iter_mut().zip(row_i) {
                    *dst |= src;
                }
            }
        }
        // hb[j][i] means i → j; transpose so hb[i][j] means i → j
        let mut out = vec![vec![false; n]; n];
        for (j, row) in hb.iter().enumerate() {
            for (i, &v) in row.iter().enumerate() {
                out[i][j] = v;
            }
        }
        out
    }
}

#[derive(Clone, Debug)]
struct Stamp {
    id: u64,
    lamport: u64,
    vector: VectorClock,
    hlc: HlcTimestamp,
}

#[derive(Clone, Debug)]
struct ClockNode {
    clock: PhysicalClock,
    mean_gap_ms: f64,
    send_probability: f64,
    lamport: LamportClock,
    vector: VectorClock,
    hlc: HybridClock,
    log: Vec<ClockEvent>,
    next_msg: u64,
}

impl ClockNode {
    fn pt_us(&self, true_ms: f64) -> u64 {
        (self.clock.read_ms(true_ms) * 1000.0).floor().max(0.0) as u64
    }

    fn record(&mut self, ctx: &Ctx<Self>, kind: EventKind, pt_us: u64, hlc: HlcTimestamp) {
        self.log.push(ClockEvent {
            node: ctx.id().0,
            seq: self.log.len(),
            kind,
            true_ms: ctx.now_ms(),
            pt_us,
            lamport: self.lamport.time(),
            vector: self.vector.clone(),
            hlc,
        });
    }
}

impl Node for ClockNode {
    type Msg = Stamp;
    type Timer = ();
    type Request = ();
    type Response = ();

    fn on_start(&mut self, ctx: &mut Ctx<Self>) {
        let gap = ctx.rng().exponential(1.0 / self.mean_gap_ms);
        ctx.set_timer(gap, ());
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Self>, _: ()) {
        let me = ctx.id().0;
        let pt = self.pt_us(ctx.now_ms());
        self.lamport.tick();
        self.vector.tick(me);
        let hlc = self.hlc.local_or_send(pt);
        if ctx.rng().bernoulli(self.send_probability) {
            let n = ctx.cluster_size();
            let to = (me + 1 + ctx.rng().below(n as u64 - 1) as usize) % n;
            let id = ((me as u64) << 32) | self.next_msg;
            self.next_msg += 1;
            let stamp =
                Stamp { id, lamport: self.lamport.time(), vector: self.vector.clone(), hlc };
            ctx.send(NodeId(to), stamp);
            self.record(ctx, EventKind::Send(id), pt, hlc);
        } else {
            self.record(ctx, EventKind::Local, pt, hlc);
        }
        let gap = ctx.rng().exponential(1.0 / self.mean_gap_ms);
        ctx.set_timer(gap, ());
    }

    fn on_message(&mut self, ctx: &mut Ctx<Self>, _from: NodeId, msg: Stamp) {
        let me = ctx.id().0;
        let pt = self.pt_us(ctx.now_ms());
        self.lamport.receive(msg.lamport);
        self.vector.receive(me, &msg.vector);
        let hlc = self.hlc.receive(pt, msg.hlc);
        self.record(ctx, EventKind::Receive(msg.id), pt, hlc);
    }

    fn restarted(&self) -> Self {
        self.clone()
    }
}

/// Run `cfg.nodes` processes on the simulator: each has a physical clock with a random
/// offset and drift, and performs local and send events at random; every event is stamped by
/// its physical clock (µs), a Lamport clock, a vector clock and a hybrid logical clock.
/// Messages still in flight at the end are never received.
///
/// ```
/// use course_lib::clock::{run_clocks, ClockRunConfig};
/// let run = run_clocks(&ClockRunConfig::new(3, 500.0, 2.0), 7)?;
/// assert!(run.events.iter().all(|e| e.hlc.l >= e.pt_us));
/// assert!(run.max_hlc_drift_us() <= run.epsilon_us);
/// # Ok::<(), course_lib::Error>(())
/// ```
pub fn run_clocks(cfg: &ClockRunConfig, seed: u64) -> Result<ClockRun> {
    cfg.validate()?;
    let mut rng = Stream::Scenario("clock offsets and drifts", 0).rng(seed);
    let mut clocks = Vec::with_capacity(cfg.nodes);
    for _ in 0..cfg.nodes {
        let offset = rng.uniform_range(-cfg.max_offset_ms, cfg.max_offset_ms);
        let drift = rng.uniform_range(-cfg.max_drift_ppm, cfg.max_drift_ppm);
        // offsets are non-negative readings: shift so no clock reads below 0 at t = 0
        clocks.push(PhysicalClock::new(offset + cfg.max_offset_ms, drift)?);
    }
    let nodes: Vec<ClockNode> = clocks
        .iter()
        .map(|&clock| ClockNode {
            clock,
            mean_gap_ms: cfg.mean_gap_ms,
            send_probability: cfg.send_probability,
            lamport: LamportClock::new(),
            vector: VectorClock::new(cfg.nodes),
            hlc: HybridClock::new(),
            log: Vec::new(),
            next_msg: 0,
        })
        .collect();
    let report = Experiment::new(nodes)
        .network(cfg.network.clone())
        .horizon_ms(cfg.duration_ms)
        .run(seed)?;
    let sim = report.sim();
    let events: Vec<ClockEvent> = sim.nodes().iter().flat_map(|n| n.log.iter().cloned()).collect();
    // the skew between two linear clocks is linear in t: its maximum is at an end of the run
    let mut eps_ms: f64 = 0.0;
    for a in &clocks {
        for b in &clocks {
            for t in [0.0, cfg.duration_ms] {
                eps_ms = eps_ms.max(a.skew_ms(b, t).abs());
            }
        }
    }
    let epsilon_us = (eps_ms * 1000.0).ceil() as u64 + 1;
    Ok(ClockRun { events, clocks, epsilon_us })
}

// ---------------------------------------------------------------------------------------------
// TrueTime

/// A TrueTime interval: true time is guaranteed to lie in `[earliest, latest]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TtInterval {
    /// Lower bound (ms).
    pub earliest: f64,
    /// Upper bound (ms).
    pub latest: f64,
}

impl TtInterval {
    /// TT.after(t): t has definitely passed.
    pub fn after(&self, t_ms: f64) -> bool {
        t_ms < self.earliest
    }

    /// TT.before(t): t has definitely not arrived.
    pub fn before(&self, t_ms: f64) -> bool {
        t_ms > self.latest
    }

    /// Width, 2ε.
    pub fn width(&self) -> f64 {
        self.latest - self.earliest
    }
}

/// TrueTime with uncertainty ε: a node whose clock is off by `error_ms` (|error| ≤ ε) reads
/// `t + error` and reports `[reading − ε, reading + ε]`, which always contains t.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrueTime {
    epsilon_ms: f64,
}

impl TrueTime {
    /// TrueTime with uncertainty `epsilon_ms` (≥ 0).
    pub fn new(epsilon_ms: f64) -> Result<TrueTime> {
        Ok(TrueTime { epsilon_ms: validate::non_negative("epsilon_ms", epsilon_ms)? })
    }

    /// ε.
    pub fn epsilon_ms(&self) -> f64 {
        self.epsilon_ms
    }

    /// TT.now() at true time `true_ms` on a node whose clock error is `error_ms`
    /// (`|error_ms| <= ε`, else the guarantee would be broken: an error).
    pub fn now(&self, true_ms: f64, error_ms: f64) -> Result<TtInterval> {
        if !(error_ms.is_finite() && error_ms.abs() <= self.epsilon_ms) {
            return Err(Error::out_of_range(
                "error_ms",
                error_ms,
                format!("a TrueTime clock's error must be within ±ε = ±{} ms", self.epsilon_ms),
            ));
        }
        let r = true_ms + error_ms;
        Ok(TtInterval { earliest: r - self.epsilon_ms, latest: r + self.epsilon_ms })
    }

    /// Spanner's ε as a function of the time since the last synchronisation with the time
    /// masters (Corbett et al. 2012, §3): 1 ms of communication delay plus an assumed worst-
    /// case drift of 200 µs/s, reset every 30 s poll: a sawtooth between 1 and 7 ms.
    pub fn spanner_epsilon_ms(true_ms: f64) -> f64 {
        1.0 + 0.2 * (true_ms.rem_euclid(30_000.0) / 1_000.0)
    }
}

/// What [`commit_wait_experiment`] measured.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CommitWaitStats {
    /// Pairs of transactions run.
    pub pairs: usize,
    /// Pairs where T2 started after T1 finished, yet got a timestamp ≤ T1's.
    pub violations: usize,
    /// Mean time T1 spent commit-waiting (ms).
    pub mean_wait_ms: f64,
}

/// External consistency with and without commit wait. Each of `pairs` trials: transaction T1
/// commits at node A with timestamp s₁ = TT.now().latest, then (if `commit_wait`) waits until
/// TT.after(s₁); a gap drawn from `gap_ms` after T1 finishes, T2 starts at node B and takes
/// s₂ = TT.now().latest. A and B have independent clock errors, uniform in [−ε, ε]. A pair
/// is a violation when s₂ ≤ s₁: T2 is ordered before a transaction that finished before it
/// began.
pub fn commit_wait_experiment(
    epsilon_ms: f64,
    pairs: usize,
    gap_ms: &Dist,
    commit_wait: bool,
    seed: u64,
) -> Result<CommitWaitStats> {
    let tt = TrueTime::new(epsilon_ms)?;
    let pairs = validate::at_least("pairs", pairs, 1)?;
    let eps = tt.epsilon_ms();
    let mut rng = SimRng::new(seed);
    let (mut violations, mut waited) = (0, 0.0);
    for i in 0..pairs {
        let t1 = 1_000.0 * i as f64;
        let (err_a, err_b) = (rng.uniform_range(-eps, eps), rng.uniform_range(-eps, eps));
        let s1 = tt.now(t1, err_a)?.latest;
        let mut done = t1;
        if commit_wait {
            // TT.now().earliest = t + err_a − ε passes s1 at t = s1 − err_a + ε
            done = s1 - err_a + eps;
            waited += done - t1;
        }
        let t2 = done + gap_ms.sample(&mut rng).max(0.0);
        let s2 = tt.now(t2, err_b)?.latest;
        if s2 <= s1 {
            violations += 1;
        }
    }
    Ok(CommitWaitStats { pairs, violations, mean_wait_ms: waited / pairs as f64 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn physical_clock_arithmetic() {
        let c = PhysicalClock::new(2.0, 50.0).unwrap();
        assert!((c.read_ms(1_000_000.0) - 1_000_052.0).abs() < 1e-9); // 50 µs/s for 1000 s
        assert!((c.true_time_ms(c.read_ms(12_345.0)) - 12_345.0).abs() < 1e-9);
        let d = PhysicalClock::new(0.0, -50.0).unwrap();
        assert!((c.skew_ms(&d, 1_000_000.0) - 102.0).abs() < 1e-9);
        assert_eq!(c.stepped(-2.0).offset_ms, 0.0);
        assert!(PhysicalClock::new(f64::NAN, 0.0).is_err());
        assert!(PhysicalClock::new(0.0, 2e5).unwrap_err().to_string().starts_with("drift_ppm"));
        assert!(resync_interval_ms(0.0, 1.0).is_err());
    }

    #[test]
    fn ntp_error_never_exceeds_half_the_delay() {
        let client = PhysicalClock::new(-30.0, 0.0).unwrap();
        let server = PhysicalClock::new(12.0, 0.0).unwrap();
        let up = Dist::exponential_mean(8.0).unwrap();
        let down = Dist::lognormal(1.0, 1.0).unwrap();
        let path = NtpPath::new(up, down, 0.3).unwrap();
        let xs = simulate_ntp(&client, &server, &path, 500, 100.0, 4).unwrap();
        for x in &xs {
            assert!((x.true_offset_ms - 42.0).abs() < 1e-9);
            assert!(x.error_ms.abs() <= x.sample.error_bound_ms() + 1e-9, "{x:?}");
        }
        let samples: Vec<NtpSample> = xs.iter().map(|x| x.sample).collect();
        let best = NtpSample::best(&samples).unwrap();
        assert!(samples.iter().all(|s| s.delay_ms() >= best.delay_ms()));
        // symmetric constant delays: exact
        let c = Dist::constant(5.0).unwrap();
        let path = NtpPath::new(c.clone(), c, 1.0).unwrap();
        let xs = simulate_ntp(&client, &server, &path, 3, 10.0, 1).unwrap();
        assert!(xs.iter().all(|x| x.error_ms.abs() < 1e-9));
        assert!(cristian(10.0, 0.0, 5.0).is_err());
        assert!(NtpSample::new(0.0, 5.0, 4.0, 1.0).is_err());
        let d = Dist::constant(1.0).unwrap();
        assert!(NtpPath::new(d.clone(), d, -1.0)
            .unwrap_err()
            .to_string()
            .starts_with("processing_ms"));
    }

    #[test]
    fn lamport_and_vector_clocks_on_the_classic_example() {
        let mut p0 = LamportClock::new();
        let mut p1 = LamportClock::new();
        let m = p0.tick();
        p1.tick();
        p1.tick();
        assert_eq!(p1.receive(m), 3);
        assert_eq!(p0.receive(10), 11);

        let mut a = VectorClock::new(3);
        let mut b = VectorClock::new(3);
        a.tick(0);
        b.tick(1);
        assert!(a.concurrent_with(&b));
        assert_eq!(a.partial_cmp(&b), None);
        let msg = a.clone();
        b.receive(1, &msg);
        assert_eq!(b.entries(), &[1, 2, 0]);
        assert_eq!(a.compare(&b), Causality::Before);
        assert_eq!(b.compare(&a), Causality::After);
        assert_eq!(b.compare(&b.clone()), Causality::Equal);
        assert!(a < b);
        // different lengths: missing entries are zeros
        assert_eq!(VectorClock::from_entries(vec![1]).compare(&a), Causality::Equal);
        assert_eq!(b.to_string(), "[1, 2, 0]");
    }

    #[test]
    fn hlc_follows_figure_5() {
        let mut h = HybridClock::new();
        assert_eq!(h.local_or_send(10), HlcTimestamp { l: 10, c: 0 });
        assert_eq!(h.local_or_send(10), HlcTimestamp { l: 10, c: 1 });
        assert_eq!(h.local_or_send(9), HlcTimestamp { l: 10, c: 2 }); // clock stepped back
        assert_eq!(h.receive(8, HlcTimestamp { l: 10, c: 7 }), HlcTimestamp { l: 10, c: 8 });
        assert_eq!(h.receive(8, HlcTimestamp { l: 15, c: 3 }), HlcTimestamp { l: 15, c: 4 });
        assert_eq!(h.receive(20, HlcTimestamp { l: 15, c: 9 }), HlcTimestamp { l: 20, c: 0 });
        assert_eq!(h.receive(8, HlcTimestamp { l: 3, c: 9 }), HlcTimestamp { l: 20, c: 1 });
    }

    /// A planted bug the HLC property must catch: the "hybrid clock" sketched in one of the
    /// course's source outlines sets l = max(l, l_m, pt) + 1 on every event, which is a Lamport
    /// clock started at physical time: during a burst of messages within one clock tick it
    /// runs ahead of physical time without bound. Figure 5's (l, c) does not.
    #[test]
    fn the_plus_one_variant_drifts_away_from_physical_time() {
        let pt = 1_000u64; // a burst of 500 round trips within one tick of the physical clock
        let (mut a, mut b) = (HybridClock::new(), HybridClock::new());
        let (mut naive_a, mut naive_b) = (0u64, 0u64);
        for _ in 0..500 {
            let m = a.local_or_send(pt);
            let r = b.receive(pt, m);
            a.receive(pt, b.local_or_send(pt).max(r));
            naive_a = naive_a.max(pt) + 1;
            naive_b = naive_b.max(naive_a).max(pt) + 1;
            naive_a = naive_a.max(naive_b + 1).max(pt) + 1;
        }
        assert_eq!(a.now().l - pt, 0, "Figure 5 keeps l = pt and counts in c");
        assert!(a.now().c >= 1_000);
        assert!(naive_a - pt > 1_000, "the +1 variant is {} ticks ahead", naive_a - pt);
    }

    #[test]
    fn clock_run_is_deterministic_and_consistent_with_ground_truth() {
        let cfg = ClockRunConfig::new(4, 300.0, 3.0);
        let run = run_clocks(&cfg, 5).unwrap();
        let again = run_clocks(&cfg, 5).unwrap();
        assert_eq!(run.events, again.events);
        assert!(run.events.len() > 50);
        let hb = run.ground_truth_happened_before();
        for (i, e) in run.events.iter().enumerate() {
            for (j, f) in run.events.iter().enumerate() {
                assert_eq!(hb[i][j], e.vector.happened_before(&f.vector), "events {i} {j}");
                if hb[i][j] {
                    assert!(e.lamport < f.lamport && e.hlc < f.hlc);
                }
            }
        }
        assert!(run.max_hlc_drift_us() <= run.epsilon_us);
    }

    #[test]
    fn spanner_epsilon_is_a_1_to_7_ms_sawtooth_averaging_4() {
        // Corbett et al. 2012 §3: "ε is typically a sawtooth function of time, varying from
        // about 1 to 7 ms over each poll interval. ε̄ is therefore 4 ms most of the time."
        assert!((TrueTime::spanner_epsilon_ms(0.0) - 1.0).abs() < 1e-12);
        assert!((TrueTime::spanner_epsilon_ms(29_999.999) - 7.0).abs() < 1e-3);
        let mean: f64 =
            (0..30_000).map(|ms| TrueTime::spanner_epsilon_ms(ms as f64)).sum::<f64>() / 30_000.0;
        assert!((mean - 4.0).abs() < 1e-3, "{mean}");
    }

    #[test]
    fn commit_wait_removes_every_violation_and_costs_two_epsilon() {
        let gap = Dist::uniform(0.0, 5.0).unwrap();
        let without = commit_wait_experiment(4.0, 20_000, &gap, false, 1).unwrap();
        let with = commit_wait_experiment(4.0, 20_000, &gap, true, 1).unwrap();
        assert!(without.violations > 1_000, "{without:?}");
        assert_eq!(with.violations, 0);
        assert!((with.mean_wait_ms - 8.0).abs() < 1e-9, "{with:?}");
        let tt = TrueTime::new(4.0).unwrap();
        let iv = tt.now(100.0, 1.0).unwrap();
        assert!(iv.earliest <= 100.0 && 100.0 <= iv.latest && iv.width() == 8.0);
        assert!(iv.after(96.0) && !iv.after(98.0) && iv.before(106.0));
        assert!(tt.now(0.0, 5.0).unwrap_err().to_string().contains("within ±ε"));
        assert!(TrueTime::new(-1.0).is_err());
    }
}
