//! Random schedules (seeded), the contended workload that compares concurrency control
//! (strict 2PL, OCC, SSI), and the judges of the notebook's two exercises.

use super::anomalies::ALL;
use super::engine::{
    reference_validator, run, run_scheme, Engine, Isolation, Outcome, Scheme, Validator,
};
use super::history::{check_serializable, History};
use super::schedule::{Op, Predicate, Schedule, Step};
use crate::error::{validate, Error, Result};
use crate::rng::SimRng;
use crate::sim::Stream;

/// Parameters of a random schedule: `txns` transactions of `ops` operations each over
/// `keys` keys (`k0`, `k1`, …), interleaved at random; each operation is a scan with
/// probability `scan_prob`, else a read or a write with equal probability.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RandomSchedule {
    /// Number of transactions (1–26).
    pub txns: usize,
    /// Operations per transaction (besides begin and commit).
    pub ops: usize,
    /// Number of keys (1–100).
    pub keys: usize,
    /// Probability that an operation is a scan `scan 2 0` or `scan 2 1`.
    pub scan_prob: f64,
    /// At most this many transactions open at once (0: no limit); with a limit, later
    /// transactions begin after earlier ones finished, in order.
    pub overlap: usize,
}

impl Default for RandomSchedule {
    fn default() -> Self {
        RandomSchedule { txns: 4, ops: 3, keys: 3, scan_prob: 0.1, overlap: 0 }
    }
}

impl RandomSchedule {
    /// One schedule for `seed` (stream `Stream::Scenario("txn random schedule", 0)`).
    ///
    /// # Errors
    /// [`Error::OutOfRange`] for 0 or more than 26 transactions, 0 or more than 100 keys, more
    /// than 100 operations, or
    /// a probability outside [0, 1].
    pub fn generate(&self, seed: u64) -> Result<Schedule> {
        if !(1..=26).contains(&self.txns) {
            return Err(Error::out_of_range("txns", self.txns, "must be between 1 and 26"));
        }
        if !(1..=100).contains(&self.keys) {
            return Err(Error::out_of_range("keys", self.keys, "must be between 1 and 100"));
        }
        if self.ops > 100 {
            return Err(Error::out_of_range("ops", self.ops, "must be at most 100"));
        }
        validate::probability("scan_prob", self.scan_prob)?;
        let mut rng = Stream::Scenario("txn random schedule", 0).rng(seed);
        let init: Vec<(String, i64)> =
            (0..self.keys).map(|k| (format!("k{k}"), k as i64)).collect();
        let mut per: Vec<Vec<Step>> = Vec::new();
        let mut val = 100;
        for t in 0..self.txns {
            let name = format!("T{}", t + 1);
            let mut steps = vec![Step { txn: name.clone(), op: Op::Begin, line: 0 }];
            for _ in 0..self.ops {
                let key = format!("k{}", rng.below(self.keys as u64));
                let op = if rng.bernoulli(self.scan_prob) {
                    Op::Scan(Predicate { m: 2, r: rng.below(2) as i64 })
                } else if rng.bernoulli(0.5) {
                    Op::Read(key)
                } else {
                    val += 1;
                    Op::Write(key, val)
                };
                steps.push(Step { txn: name.clone(), op, line: 0 });
            }
            steps.push(Step { txn: name, op: Op::Commit, line: 0 });
            steps.reverse();
            per.push(steps);
        }
        let mut out = Vec::new();
        let full = self.ops + 2;
        loop {
            let open =
                (0..per.len()).filter(|&t| !per[t].is_empty() && per[t].len() < full).count();
            let mut fresh_allowed = self.overlap == 0 || open < self.overlap;
            let live: Vec<usize> = (0..per.len())
                .filter(|&t| {
                    if per[t].is_empty() {
                        return false;
                    }
                    if per[t].len() < full {
                        return true;
                    }
                    // not begun yet: with a limit, only the next one in order
                    let ok = fresh_allowed;
                    if self.overlap > 0 {
                        fresh_allowed = false;
                    }
                    ok
                })
                .collect();
            let Some(i) = rng.index(live.len()) else { break };
            out.push(per[live[i]].pop().expect("live"));
        }
        Schedule::from_parts(init, out)
    }
}

/// Histories of `count` random schedules (seeds `seed`, `seed + 1`, …) run under
/// `Isolation::ReadCommitted`, which lets many non-serializable ones through: the input of
/// the checker's benchmark.
///
/// # Errors
/// As [`RandomSchedule::generate`].
pub fn random_histories(shape: &RandomSchedule, count: usize, seed: u64) -> Result<Vec<History>> {
    (0..count as u64)
        .map(|i| {
            Ok(run(&shape.generate(seed.wrapping_add(i))?, Isolation::ReadCommitted)?
                .history()
                .clone())
        })
        .collect()
}

/// The contended workload: `clients` clients, each running short transactions one after
/// another until `txns` have committed in all. A transaction does `ops` operations on keys
/// drawn from Zipf(s) over `keys` keys; each is a read, or with probability
/// `write_fraction` a read-modify-write (`read k` then `write k v`). Time is discrete: in
/// every tick each client that is not waiting for a lock or backing off does its next step
/// (in a random order per tick). An aborted transaction restarts with the same keys after a
/// random backoff of 1..=`backoff` ticks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Contention {
    /// Concurrent clients (the multiprogramming level).
    pub clients: usize,
    /// Committed transactions to run.
    pub txns: usize,
    /// Keys.
    pub keys: usize,
    /// Operations per transaction.
    pub ops: usize,
    /// Probability that an operation is a read-modify-write.
    pub write_fraction: f64,
    /// Largest backoff after an abort, in ticks.
    pub backoff: u64,
}

impl Default for Contention {
    fn default() -> Self {
        Contention { clients: 6, txns: 120, keys: 50, ops: 4, write_fraction: 0.5, backoff: 4 }
    }
}

/// One scheme at one skew.
#[derive(Clone, Debug, PartialEq)]
pub struct CcPoint {
    /// The scheme's name.
    pub scheme: &'static str,
    /// The Zipf exponent s.
    pub skew: f64,
    /// Transactions committed.
    pub committed: usize,
    /// Attempts aborted (deadlock victims, validation failures, serialization failures).
    pub aborted: usize,
    /// Ticks the run took.
    pub ticks: u64,
    /// Committed transactions per 100 ticks.
    pub throughput: f64,
    /// Aborted attempts / all attempts.
    pub abort_rate: f64,
    /// Mean ticks from a transaction's first begin to its commit (retries included).
    pub mean_latency: f64,
    /// The 99th percentile of that latency (`stats::quantile`, type 7).
    pub p99_latency: f64,
}

fn zipf_cdf(keys: usize, s: f64) -> Vec<f64> {
    let w: Vec<f64> = (1..=keys).map(|r| 1.0 / libm::pow(r as f64, s)).collect();
    let total: f64 = w.iter().sum();
    let mut acc = 0.0;
    w.iter()
        .map(|x| {
            acc += x / total;
            acc
        })
        .collect()
}

struct Client {
    keys: Vec<(usize, bool)>,
    script: Vec<Op>,
    pc: usize,
    name: String,
    first_begin: u64,
    resume_at: u64,
    attempt: usize,
}

impl Contention {
    fn check(&self, skew: f64) -> Result<()> {
        validate::at_least("clients", self.clients, 1)?;
        validate::at_least("txns", self.txns, 1)?;
        validate::at_least("keys", self.keys, 1)?;
        validate::at_least("ops", self.ops, 1)?;
        validate::probability("write_fraction", self.write_fraction)?;
        if self.clients > 64 || self.txns > 5_000 || self.keys > 10_000 || self.ops > 50 {
            return Err(Error::invalid(
                "contention workload",
                "keep it small: at most 64 clients, 5 000 transactions, 10 000 keys, 50 operations",
            ));
        }
        if !(skew.is_finite() && (0.0..=5.0).contains(&skew)) {
            return Err(Error::out_of_range("skew", skew, "the Zipf exponent must be in [0, 5]"));
        }
        Ok(())
    }

    /// Runs the workload under `scheme` at Zipf exponent `skew` with `seed` (stream
    /// `Stream::Scenario("txn contention", 0)`); returns the point and the committed history.
    ///
    /// # Errors
    /// [`Error::OutOfRange`] / [`Error::Invalid`] for parameters outside the documented ranges.
    pub fn run(&self, scheme: Scheme, skew: f64, seed: u64) -> Result<(CcPoint, History)> {
        self.check(skew)?;
        let mut rng = Stream::Scenario("txn contention", 0).rng(seed);
        let cdf = zipf_cdf(self.keys, skew);
        let init: Vec<(String, i64)> = (0..self.keys).map(|k| (format!("k{k}"), 0)).collect();
        let mut engine = Engine::new(scheme, &init);
        let draw = |rng: &mut SimRng, cfg: &Contention| -> Vec<(usize, bool)> {
            (0..cfg.ops)
                .map(|_| {
                    let u = rng.uniform();
                    let k = cdf.partition_point(|&c| c < u).min(cfg.keys - 1);
                    (k, rng.bernoulli(cfg.write_fraction))
                })
                .collect()
        };
        let script = |keys: &[(usize, bool)], v: i64| -> Vec<Op> {
            let mut s = vec![Op::Begin];
            for &(k, w) in keys {
                s.push(Op::Read(format!("k{k}")));
                if w {
                    s.push(Op::Write(format!("k{k}"), v));
                }
            }
            s.push(Op::Commit);
            s
        };
        let mut clients: Vec<Client> = (0..self.clients)
            .map(|c| {
                let keys = draw(&mut rng, self);
                Client {
                    script: script(&keys, c as i64),
                    keys,
                    pc: 0,
                    name: format!("c{c}a0"),
                    first_begin: 0,
                    resume_at: 0,
                    attempt: 0,
                }
            })
            .collect();
        let (mut committed, mut aborted, mut started) = (0usize, 0usize, self.clients);
        let mut latencies = Vec::new();
        let mut tick: u64 = 0;
        let max_ticks = 200 * self.txns as u64 * self.ops as u64;
        let mut order: Vec<usize> = (0..self.clients).collect();
        let mut serial = 0usize;
        while committed < self.txns && tick < max_ticks {
            rng.shuffle(&mut order);
            for &c in &order {
                let cl = &clients[c];
                if cl.resume_at > tick || cl.pc >= cl.script.len() || engine.is_blocked(&cl.name) {
                    continue;
                }
                if engine.finished(&cl.name).is_some() {
                    continue;
                }
                let op = cl.script[cl.pc].clone();
                let name = cl.name.clone();
                clients[c].pc += 1;
                engine.submit(Step { txn: name, op, line: 0 });
            }
            tick += 1;
            for c in 0..self.clients {
                let fin = engine.finished(&clients[c].name);
                let cl = &mut clients[c];
                match fin {
                    Some(true) => {
                        committed += 1;
                        latencies.push((tick - cl.first_begin) as f64);
                        if started < self.txns {
                            started += 1;
                            serial += 1;
                            cl.keys = draw(&mut rng, self);
                            cl.script = script(&cl.keys, (serial * 64 + c) as i64);
                            cl.pc = 0;
                            cl.attempt = 0;
                            cl.first_begin = tick;
                            cl.name = format!("c{c}n{serial}a0");
                        } else {
                            cl.pc = usize::MAX;
                            cl.name = format!("c{c}done");
                        }
                    }
                    Some(false) => {
                        aborted += 1;
                        cl.attempt += 1;
                        cl.pc = 0;
                        cl.resume_at = tick + 1 + rng.below(self.backoff.max(1));
                        let base = cl
                            .name
                            .rsplit_once('a')
                            .map(|(b, _)| b.to_string())
                            .unwrap_or_default();
                        cl.name = format!("{base}a{}", cl.attempt);
                    }
                    None => {}
                }
            }
        }
        engine.finish();
        let history = engine.history();
        let attempts = committed + aborted;
        let mean = if latencies.is_empty() {
            0.0
        } else {
            latencies.iter().sum::<f64>() / latencies.len() as f64
        };
        let p99 =
            if latencies.is_empty() { 0.0 } else { crate::stats::quantile(&latencies, 0.99)? };
        Ok((
            CcPoint {
                scheme: scheme.name(),
                skew,
                committed,
                aborted,
                ticks: tick,
                throughput: 100.0 * committed as f64 / tick.max(1) as f64,
                abort_rate: if attempts == 0 { 0.0 } else { aborted as f64 / attempts as f64 },
                mean_latency: mean,
                p99_latency: p99,
            },
            history,
        ))
    }

    /// Strict 2PL, OCC (the reference validator) and SSI at every skew, one seed.
    ///
    /// # Errors
    /// As [`Contention::run`].
    pub fn sweep(&self, skews: &[f64], seed: u64) -> Result<Vec<CcPoint>> {
        if skews.is_empty() {
            return Err(Error::empty("skews", "pass at least one Zipf exponent"));
        }
        let mut out = Vec::new();
        for scheme in CC_SCHEMES {
            for &s in skews {
                out.push(self.run(scheme, s, seed)?.0);
            }
        }
        Ok(out)
    }
}

/// The three schemes compared: strict 2PL, OCC with backward validation, SSI.
pub const CC_SCHEMES: [Scheme; 3] =
    [Scheme::Strict2pl, Scheme::Occ(reference_validator), Scheme::Ssi];

/// How a student's OCC validator did.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidatorReport {
    /// Schedules run (the anomaly schedules and the random ones).
    pub schedules: usize,
    /// The first schedules whose committed history is not serializable: (name, verdict).
    pub non_serializable: Vec<(String, String)>,
    /// Transactions the validator let commit.
    pub commits: usize,
    /// Transactions the reference validator lets commit on the same schedules.
    pub reference_commits: usize,
}

impl ValidatorReport {
    /// `Ok` if every committed history was serializable and the validator committed at least
    /// 90 % of what the reference commits; else the reason.
    ///
    /// # Errors
    /// The message for the check cell.
    pub fn verdict(&self) -> Result<(), String> {
        if let Some((name, v)) = self.non_serializable.first() {
            return Err(format!(
                "{} of {} schedules end non-serializable, e.g. {name}: {v}",
                self.non_serializable.len(),
                self.schedules
            ));
        }
        if (self.commits as f64) < 0.9 * self.reference_commits as f64 {
            return Err(format!(
                "serializable, but only {} commits where backward validation allows {}: abort only on a real conflict with a transaction that committed after this one began",
                self.commits, self.reference_commits
            ));
        }
        Ok(())
    }
}

/// Judges an OCC validator: runs the ten anomaly schedules and `random` random schedules
/// (8 transactions of 3 operations on 4 keys, at most 3 open at once, seeds 0, 1, …) under `Scheme::Occ(validator)`,
/// checks every committed history with [`check_serializable`], and counts commits against
/// [`reference_validator`].
///
/// # Errors
/// As [`RandomSchedule::generate`].
pub fn judge_validator(validator: Validator, random: usize) -> Result<ValidatorReport> {
    let mut schedules: Vec<(String, Schedule)> = Vec::new();
    for a in &ALL {
        schedules.push((a.id.to_string(), a.parse()?));
    }
    let shape = RandomSchedule { txns: 8, ops: 3, keys: 4, scan_prob: 0.1, overlap: 3 };
    for seed in 0..random as u64 {
        schedules.push((format!("random seed {seed}"), shape.generate(seed)?));
    }
    let mut rep = ValidatorReport {
        schedules: schedules.len(),
        non_serializable: Vec::new(),
        commits: 0,
        reference_commits: 0,
    };
    for (name, s) in &schedules {
        let o = run_scheme(s, Scheme::Occ(validator))?;
        let v = check_serializable(o.history());
        if !v.is_serializable() {
            rep.non_serializable.push((name.clone(), v.to_string()));
        }
        rep.commits += o.history().txns.len();
        rep.reference_commits +=
            run_scheme(s, Scheme::Occ(reference_validator))?.history().txns.len();
    }
    Ok(rep)
}

/// The on-call doctors (Cahill et al. 2008; Kleppmann, DDIA ch. 7): Alice and Bob are on
/// call (1); each, feeling unwell, checks that at least two doctors are on call and, if so,
/// goes off call (0). Several interleavings of the two transactions, all with both checks
/// before both commits.
pub const DOCTORS: [&str; 4] = [
    "init alice 1\ninit bob 1\nA begin\nB begin\nA read alice\nA read bob\nB read alice\nB read bob\nA write alice 0\nB write bob 0\nA commit\nB commit",
    "init alice 1\ninit bob 1\nA begin\nB begin\nA scan 2 1\nB scan 2 1\nA write alice 0\nA commit\nB write bob 0\nB commit",
    "init alice 1\ninit bob 1\nA begin\nB begin\nA scan 2 1\nA write alice 0\nB scan 2 1\nB write bob 0\nA commit\nB commit",
    "init alice 1\ninit bob 1\nA begin\nB begin\nA read alice\nB read bob\nA read bob\nB read alice\nB write bob 0\nA write alice 0\nB commit\nA commit",
];

/// Did a run of a doctors schedule break "at least one doctor on call"? Only if every
/// committed transaction that went off call saw two doctors on call (a doctor who saw
/// fewer would not have gone off call; the static schedule writes anyway, so such a run
/// does not count) and no doctor is on call at the end.
pub fn doctors_violated(o: &Outcome) -> bool {
    let on_call: i64 = o.final_state().iter().map(|(_, v)| *v).sum();
    if on_call >= 1 {
        return false;
    }
    for txn in ["A", "B"] {
        if !o.committed(txn) {
            continue;
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, s) in o.trace().iter().enumerate() {
            if s.txn == txn {
                for (k, v) in o.read_values(i).unwrap_or_default() {
                    if v == 1 {
                        seen.insert(k);
                    }
                }
            }
        }
        if seen.len() < 2 {
            return false;
        }
    }
    true
}

/// Judges the doctors exercise: `choice` must keep the invariant on every doctors schedule,
/// and be the first level of [`Isolation::ALL`] (weakest first) that does.
///
/// # Errors
/// The message for the check cell: which schedule breaks the choice, or which weaker level
/// would do.
pub fn judge_doctors(choice: Isolation) -> Result<(), String> {
    let holds = |l: Isolation| -> Result<Option<usize>, String> {
        for (i, s) in DOCTORS.iter().enumerate() {
            let o = run(&Schedule::parse(s)?, l)?;
            if doctors_violated(&o) {
                return Ok(Some(i));
            }
        }
        Ok(None)
    };
    if let Some(i) = holds(choice)? {
        return Err(format!("under {choice} doctors schedule {i} ends with nobody on call (both went off call having seen two on call)"));
    }
    for l in Isolation::ALL {
        if l == choice {
            return Ok(());
        }
        if holds(l)?.is_none() {
            return Err(format!("{choice} keeps a doctor on call, but so does the weaker {l}"));
        }
    }
    Ok(())
}
