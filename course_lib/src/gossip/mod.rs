//! # Gossip and membership: epidemics, SWIM and a gossiped counter
//!
//! A cluster of thousands of machines cannot afford a coordinator that tells everyone
//! everything, nor all-to-all heartbeats (n² messages per period). *Gossip* replaces both with
//! a local rule: every so often, talk to one member chosen at random. Epidemiology says how
//! fast that spreads news, and the answer is what makes gossip the membership layer of
//! Cassandra, Consul/Serf (hashicorp/memberlist), Redis Cluster and Amazon's S3.
//!
//! ## Push gossip: why log n
//! One node knows a rumor. In every round each informed node tells one member chosen
//! uniformly among the *others*; nodes informed in a round start telling in the next. While
//! few know, the informed set roughly doubles each round (log₂ n rounds); at the end, each of
//! the last uninformed nodes is missed by all n pushes with probability (1 − 1/(n−1))ⁿ ≈ 1/e,
//! so the residue shrinks only by e per round (ln n rounds). Pittel (1987) made it exact:
//! the number of rounds is $\log_2 n + \ln n + O(1)$ with high probability
//! ([`push_rounds`]; the crate's tests check it against an exact Markov-chain expectation for
//! small n and against $\log_2 n + \ln n$ for large n).
//!
//! ## Anti-entropy: push, pull, push-pull (Demers et al. 1987, §1.3)
//! Every node picks a partner every round and they reconcile whole states. With a fraction
//! $p_i$ of nodes not yet updated after round i, *push* leaves $p_{i+1} \approx p_i e^{-1}$
//! at the end (a susceptible is missed by every push), *pull* leaves $p_{i+1} = p_i^2$ (a
//! susceptible stays so only if it pulled from another susceptible): pull's endgame is
//! quadratic, and push-pull does both ([`anti_entropy`]).
//!
//! ## Rumor mongering (Demers et al. 1987, §1.4)
//! Anti-entropy sends whole states forever. *Rumor mongering* sends only hot rumors, and a
//! node stops spreading one when it seems old. With *feedback and coin*, an infective that
//! contacts a node that already knows loses interest with probability 1/k. The
//! differential-equation analysis gives the *residue* s (the fraction that never hears the
//! rumor) as the root in (0, 1) of
//! $$ s = e^{-(k+1)(1-s)} $$
//! ([`rumor_residue`]) and the traffic, messages per node, $m = (k+1)(1-s)$, hence
//! $s = e^{-m}$: every extra message per node buys a factor e less residue. The paper's
//! Table 1 (1000 sites; its title is corrected in the paper's errata to "feedback and
//! counters") lists s = 0.176, 0.037, 0.011, 0.0036, 0.0012 and m = 1.74, 3.30, 4.53, 5.64,
//! 6.68 for k = 1…5. Those are **not** the coin formula's residues (0.203, 0.060, 0.020,
//! 0.0070, 0.0025): they come from a different simulation, which [`RumorRule::Counter`]
//! reproduces to the printed digits (synchronous cycles; a contact is unnecessary when the
//! recipient knew at the cycle's start; an infective stops after k *consecutive*
//! unnecessary contacts). Both obey $s \approx e^{-m}$.
//!
//! ## SWIM (Das, Gupta & Motivala, DSN 2002)
//! Failure detection separated from dissemination ([`swim`]): every protocol period each
//! member pings one random member; no ack within a timeout → ask k others to ping it for us
//! (ping-req); still nothing by the end of the period → the member is *suspected*, not yet
//! dead. The suspicion travels piggybacked on pings and acks (infection style, each update
//! retransmitted about λ log n times); a suspected member that hears it refutes with a higher
//! *incarnation number*; a suspicion that is not refuted within the suspicion timeout becomes
//! a death. Messages per member per period are constant, whatever n.
//! With n − 1 live members each pinging a random other member, a crashed member is first
//! pinged after a geometric number of periods with success probability
//! $1 - (1 - 1/(n-1))^{n-1}$, mean $E = 1/(1 - (1 - \tfrac{1}{n-1})^{n-1}) \to e/(e-1) \approx
//! 1.58$ (§3.1; [`swim_first_detection`], [`swim_first_detection_expected`]).
//!
//! ## A gossiped global counter ([`counter`])
//! Each node counts its own events and gossips; every node should converge to the global sum.
//! Adding what you hear double-counts (you hear the same increments again and again, and
//! duplicated messages make it worse); keeping, per node, the largest count heard from it (a
//! G-Counter, the simplest CRDT) converges to the sum under loss, duplication and reordering,
//! because max is idempotent, commutative and associative.
//!
//! ```
//! use course_lib::gossip::*;
//! # fn main() -> course_lib::Result<()> {
//! let rounds = push_rounds(10_000, 1)?; // log2 + ln of 10 000 = 22.5
//! assert!((18..=28).contains(&rounds));
//! assert!((rumor_residue(1)? - 0.2032).abs() < 1e-3);
//! let run = rumor_mongering(2_000, 2, 7)?;
//! assert!(run.residue() < 0.15 && run.traffic() > 2.0);
//! assert!(push_rounds(1, 1).unwrap_err().to_string().contains("at least 2"));
//! # Ok(()) }
//! ```
//!
//! ## Reading
//! * A. Demers, D. Greene, C. Hauser, W. Irish, J. Larson, S. Shenker, H. Sturgis,
//!   D. Swinehart, D. Terry, "Epidemic algorithms for replicated database maintenance",
//!   PODC 1987 (and its errata: Table 1 is "feedback and counters").
//! * B. Pittel, "On spreading a rumor", SIAM J. Appl. Math. 47(1), 1987.
//! * R. Karp, C. Schindelhauer, S. Shenker, B. Vöcking, "Randomized rumor spreading",
//!   FOCS 2000 (push-pull in log₃ n + O(log log n) rounds).
//! * A. Das, I. Gupta, A. Motivala, "SWIM: Scalable Weakly-consistent Infection-style Process
//!   Group Membership Protocol", DSN 2002.
//! * A. Dadgar, J. Phillips, J. Currey, "Lifeguard: Local Health Awareness for More Accurate
//!   Failure Detection", 2018 (hashicorp/memberlist's extensions to SWIM).

pub mod counter;
pub mod swim;

#[cfg(test)]
mod tests;

use crate::error::{validate, Error, Result};
use crate::rng::SimRng;
use crate::sim::Stream;

/// How many nodes the round models accept (memory: a few bytes per node).
pub const MAX_NODES: usize = 50_000_000;

fn check_n(n: usize) -> Result<usize> {
    validate::at_least("n", n, 2)?;
    if n > MAX_NODES {
        return Err(Error::out_of_range("n", n, format!("must be at most {MAX_NODES}")));
    }
    Ok(n)
}

fn check_k(k: u32) -> Result<u32> {
    if k == 0 {
        return Err(Error::out_of_range(
            "k",
            k,
            "must be at least 1 (lose interest with probability 1/k)",
        ));
    }
    Ok(k)
}

/// A uniformly random member other than `me` among `0..n` (n ≥ 2).
#[inline]
fn other(rng: &mut SimRng, n: usize, me: usize) -> usize {
    let j = rng.below(n as u64 - 1) as usize;
    if j >= me {
        j + 1
    } else {
        j
    }
}

/// Rounds of push gossip until all `n` nodes know a rumor that node 0 starts with: in every
/// round each informed node tells one uniformly random *other* node; nodes informed in a
/// round start telling in the next. Pittel (1987): $\log_2 n + \ln n + O(1)$.
/// Errors: `n < 2` (or more than [`MAX_NODES`]).
pub fn push_rounds(n: usize, seed: u64) -> Result<u32> {
    check_n(n)?;
    let mut rng = Stream::Scenario("gossip push", 0).rng(seed);
    let mut informed = vec![false; n];
    informed[0] = true;
    let mut active: Vec<u32> = Vec::with_capacity(n);
    active.push(0);
    let mut rounds = 0;
    while active.len() < n {
        rounds += 1;
        let senders = active.len();
        for s in 0..senders {
            let t = other(&mut rng, n, active[s] as usize);
            if !informed[t] {
                informed[t] = true;
                active.push(t as u32);
            }
        }
    }
    Ok(rounds)
}

/// Pittel's leading terms, $\log_2 n + \ln n$ (the O(1) term left out).
pub fn pittel_rounds(n: usize) -> Result<f64> {
    check_n(n)?;
    let n = n as f64;
    Ok(n.log2() + n.ln())
}

/// Mean and standard deviation of [`push_rounds`] over `seeds` for each n, with Pittel's
/// $\log_2 n + \ln n$ beside it: the data of the rounds-vs-N figure.
#[derive(Clone, Debug, PartialEq)]
pub struct RoundsVsN {
    /// `(n, mean rounds, standard deviation, log2 n + ln n)`.
    pub rows: Vec<(usize, f64, f64, f64)>,
    /// Seeds per n.
    pub seeds: u64,
}

/// [`push_rounds`] for each n in `ns`, over seeds `0..seeds`. Errors: an empty `ns`, an
/// `n < 2`, `seeds = 0`.
pub fn rounds_vs_n(ns: &[usize], seeds: u64) -> Result<RoundsVsN> {
    if ns.is_empty() {
        return Err(Error::empty("ns", "give at least one cluster size n >= 2"));
    }
    validate::at_least("seeds", seeds as usize, 1)?;
    let mut rows = Vec::new();
    for &n in ns {
        let r: Vec<f64> =
            (0..seeds).map(|s| push_rounds(n, s).map(f64::from)).collect::<Result<_>>()?;
        let (mean, sd) = mean_sd(&r);
        rows.push((n, mean, sd, pittel_rounds(n)?));
    }
    Ok(RoundsVsN { rows, seeds })
}

pub(crate) fn mean_sd(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    if xs.len() < 2 {
        return (mean, 0.0);
    }
    let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

/// The residue of rumor mongering with feedback and coin (Demers et al. 1987, §1.4): the root
/// in (0, 1) of $s = e^{-(k+1)(1-s)}$, found by bisection to 1e-15. k = 1 → 0.2032,
/// k = 2 → 0.0595. Errors: `k = 0`.
pub fn rumor_residue(k: u32) -> Result<f64> {
    check_k(k)?;
    let a = f64::from(k) + 1.0;
    // f(s) = s − e^{−a(1−s)}: f(0) < 0; f(1 − δ) ≈ (a − 1)δ > 0 for small δ (s = 1 is the
    // trivial root, approached from above the other one).
    let f = |s: f64| s - (-a * (1.0 - s)).exp();
    let (mut lo, mut hi) = (0.0_f64, 1.0 - 1e-9);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if f(mid) < 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < 1e-15 {
            break;
        }
    }
    Ok(0.5 * (lo + hi))
}

/// The traffic of rumor mongering with feedback and coin, messages per node:
/// $m = (k+1)(1-s) = -\ln s$ for the [`rumor_residue`] s. Errors: `k = 0`.
pub fn rumor_traffic(k: u32) -> Result<f64> {
    let s = rumor_residue(k)?;
    Ok((f64::from(k) + 1.0) * (1.0 - s))
}

/// Demers et al. 1987, Table 1 (1000 sites, feedback and counters, push): `(k, residue s,
/// traffic m)`, as printed.
pub const DEMERS_TABLE_1: [(u32, f64, f64); 5] =
    [(1, 0.176, 1.74), (2, 0.037, 3.30), (3, 0.011, 4.53), (4, 0.0036, 5.64), (5, 0.0012, 6.68)];

/// How an infective decides to stop spreading (Demers et al. §1.4, "counter vs. coin", both
/// with feedback).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RumorRule {
    /// The model behind the closed form [`rumor_residue`]: contacts take effect at once (a
    /// recipient informed earlier in the same round already knows), and after each
    /// unnecessary contact the sender loses interest with probability 1/k.
    Coin,
    /// The simulation behind Demers' Table 1 ([`DEMERS_TABLE_1`]): a contact is unnecessary
    /// when the recipient knew at the start of the round, a necessary contact resets the
    /// counter, and the sender stops after k consecutive unnecessary contacts.
    Counter,
}

/// One run of rumor mongering: who never heard, how many messages it took.
#[derive(Clone, Debug, PartialEq)]
pub struct RumorRun {
    /// Nodes.
    pub n: usize,
    /// The k of the rule.
    pub k: u32,
    /// The rule.
    pub rule: RumorRule,
    /// Nodes that never heard the rumor.
    pub uninformed: usize,
    /// Rumor messages sent (one per contact).
    pub messages: u64,
    /// Rounds until no node was spreading.
    pub rounds: u32,
}

impl RumorRun {
    /// Fraction of nodes that never heard the rumor (Demers' s).
    pub fn residue(&self) -> f64 {
        self.uninformed as f64 / self.n as f64
    }
    /// Rumor messages sent.
    pub fn messages(&self) -> u64 {
        self.messages
    }
    /// Messages per node (Demers' m).
    pub fn traffic(&self) -> f64 {
        self.messages as f64 / self.n as f64
    }
}

/// Rumor mongering with feedback and coin: [`rumor_mongering_with`] and [`RumorRule::Coin`].
pub fn rumor_mongering(n: usize, k: u32, seed: u64) -> Result<RumorRun> {
    rumor_mongering_with(n, k, RumorRule::Coin, seed)
}

/// Rumor mongering, push, in synchronous rounds: node 0 starts infective; in every round each
/// node infective at the round's start contacts one uniformly random other node and sends it
/// the rumor (one message). A susceptible recipient becomes infective (spreading from the next
/// round); after an unnecessary contact the sender loses interest by `rule` (see
/// [`RumorRule`] for what "unnecessary" means in each). Ends when nobody spreads.
/// Errors: `n < 2`, `k = 0`.
///
/// With [`RumorRule::Coin`] the counts (susceptible, infective) follow the jump chain of
/// Demers' continuous model whatever the order of contacts, so the residue converges to
/// [`rumor_residue`] as n grows.
pub fn rumor_mongering_with(n: usize, k: u32, rule: RumorRule, seed: u64) -> Result<RumorRun> {
    check_n(n)?;
    check_k(k)?;
    let mut rng = Stream::Scenario("gossip rumor", 0).rng(seed);
    let mut knows = vec![false; n];
    knows[0] = true;
    let mut knew = knows.clone();
    // (node, consecutive unnecessary contacts)
    let mut infective: Vec<(u32, u32)> = vec![(0, 0)];
    let mut next: Vec<(u32, u32)> = Vec::new();
    let mut fresh: Vec<(u32, u32)> = Vec::new();
    let (mut informed, mut messages, mut rounds) = (1usize, 0u64, 0u32);
    let p_stop = 1.0 / f64::from(k);
    while !infective.is_empty() {
        rounds += 1;
        if rule == RumorRule::Counter {
            knew.copy_from_slice(&knows);
        }
        for &(i, wasted) in &infective {
            let t = other(&mut rng, n, i as usize);
            messages += 1;
            let necessary = match rule {
                RumorRule::Coin => !knows[t],
                RumorRule::Counter => !knew[t],
            };
            if !knows[t] {
                knows[t] = true;
                informed += 1;
                fresh.push((t as u32, 0));
            }
            if necessary {
                next.push((i, 0));
            } else {
                let stop = match rule {
                    RumorRule::Coin => rng.bernoulli(p_stop),
                    RumorRule::Counter => wasted + 1 >= k,
                };
                if !stop {
                    next.push((i, wasted + 1));
                }
            }
        }
        next.append(&mut fresh);
        std::mem::swap(&mut infective, &mut next);
        next.clear();
    }
    Ok(RumorRun { n, k, rule, uninformed: n - informed, messages, rounds })
}

/// Residue and traffic against k: means over seeds beside the closed form.
#[derive(Clone, Debug, PartialEq)]
pub struct ResidueVsK {
    /// Nodes per run.
    pub n: usize,
    /// Seeds per k.
    pub seeds: u64,
    /// The rule simulated.
    pub rule: RumorRule,
    /// `(k, mean residue, its standard error, mean traffic m, closed-form coin residue,
    /// closed-form coin traffic)`.
    pub rows: Vec<(u32, f64, f64, f64, f64, f64)>,
}

/// [`rumor_mongering_with`] for k in `ks` over seeds `0..seeds`. Errors: empty `ks`, k = 0,
/// `n < 2`, `seeds = 0`.
pub fn residue_vs_k(n: usize, ks: &[u32], rule: RumorRule, seeds: u64) -> Result<ResidueVsK> {
    if ks.is_empty() {
        return Err(Error::empty("ks", "give at least one k >= 1"));
    }
    validate::at_least("seeds", seeds as usize, 1)?;
    let mut rows = Vec::new();
    for &k in ks {
        let runs: Vec<RumorRun> =
            (0..seeds).map(|s| rumor_mongering_with(n, k, rule, s)).collect::<Result<_>>()?;
        let res: Vec<f64> = runs.iter().map(RumorRun::residue).collect();
        let traffic: Vec<f64> = runs.iter().map(RumorRun::traffic).collect();
        let (s, sd) = mean_sd(&res);
        let (m, _) = mean_sd(&traffic);
        rows.push((k, s, sd / (seeds as f64).sqrt(), m, rumor_residue(k)?, rumor_traffic(k)?));
    }
    Ok(ResidueVsK { n, seeds, rule, rows })
}

/// Who reconciles with whom in anti-entropy (Demers et al. §1.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Exchange {
    /// I send my state to my partner.
    Push,
    /// I ask my partner for its state.
    Pull,
    /// Both: we end with the merge of both states.
    PushPull,
}

impl Exchange {
    /// All three, in this order.
    pub const ALL: [Exchange; 3] = [Exchange::Push, Exchange::Pull, Exchange::PushPull];
}

/// One run of anti-entropy for one update.
#[derive(Clone, Debug, PartialEq)]
pub struct AntiEntropyRun {
    /// The exchange.
    pub exchange: Exchange,
    /// Nodes.
    pub n: usize,
    /// Rounds until every node had the update.
    pub rounds: u32,
    /// The fraction of nodes without the update after each round (index 0: before round 1,
    /// `(n − 1)/n`).
    pub residues: Vec<f64>,
}

/// Anti-entropy in synchronous rounds: node 0 has an update; in every round every node picks
/// a uniformly random other partner and they exchange by `exchange`, on the states of the
/// round's start. Rounds until all n have it. Errors: `n < 2`.
pub fn anti_entropy(n: usize, exchange: Exchange, seed: u64) -> Result<AntiEntropyRun> {
    check_n(n)?;
    let mut rng = Stream::Scenario("gossip anti-entropy", 0).rng(seed);
    let mut has = vec![false; n];
    has[0] = true;
    let mut count = 1usize;
    let mut residues = vec![(n - 1) as f64 / n as f64];
    let mut rounds = 0;
    let mut now = vec![false; n];
    while count < n {
        rounds += 1;
        now.copy_from_slice(&has);
        for i in 0..n {
            let j = other(&mut rng, n, i);
            let (push, pull) = match exchange {
                Exchange::Push => (now[i] && !has[j], false),
                Exchange::Pull => (false, now[j] && !has[i]),
                Exchange::PushPull => (now[i] && !has[j], now[j] && !has[i]),
            };
            if push {
                has[j] = true;
                count += 1;
            }
            if pull {
                has[i] = true;
                count += 1;
            }
        }
        residues.push((n - count) as f64 / n as f64);
    }
    Ok(AntiEntropyRun { exchange, n, rounds, residues })
}

/// The SWIM paper's expected number of protocol periods until a crashed member is first
/// pinged, when the n − 1 live members each ping one uniformly random other member (one of
/// n − 1, the crashed member among them) per period: $1/(1 - (1 - 1/(n-1))^{n-1})$
/// (Das et al. 2002, §3.1; → e/(e − 1) ≈ 1.582). Errors: `n < 2`... n = 2 gives 1.
pub fn swim_first_detection_expected(n: usize) -> Result<f64> {
    check_n(n)?;
    let q = 1.0 - 1.0 / (n as f64 - 1.0);
    Ok(1.0 / (1.0 - q.powf(n as f64 - 1.0)))
}

/// Monte Carlo of [`swim_first_detection_expected`]: member 0 crashed; in every protocol
/// period, starting with the first after the crash, each of the n − 1 live members pings one
/// uniformly random member among its n − 1 others; the mean number of periods until some live
/// member pings member 0 (the first period counts as 1). Trial t draws from
/// `Stream::Trial(t)`. Errors: `n < 2`, `trials = 0`.
pub fn swim_first_detection(n: usize, trials: usize, seed: u64) -> Result<f64> {
    check_n(n)?;
    if trials == 0 {
        return Err(Error::out_of_range("trials", trials, "must be at least 1"));
    }
    let mut total = 0u64;
    for t in 0..trials {
        let mut rng = Stream::Trial(t as u64).rng(seed);
        let mut periods = 0u64;
        'period: loop {
            periods += 1;
            for member in 1..n {
                if other(&mut rng, n, member) == 0 {
                    break 'period;
                }
            }
        }
        total += periods;
    }
    Ok(total as f64 / trials as f64)
}
