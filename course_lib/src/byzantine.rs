//! # Byzantine generals: agreement when some participants lie
//!
//! A commander sends an order (attack or retreat) to $n - 1$ lieutenants; up to $f$ of the $n$
//! generals, possibly the commander, are **traitors** who may send anything. The loyal
//! lieutenants must satisfy (Lamport, Shostak & Pease 1982):
//!
//! * **IC1 (agreement)**: all loyal lieutenants obey the same order;
//! * **IC2 (validity)**: if the commander is loyal, every loyal lieutenant obeys the order it
//!   sent.
//!
//! With oral (unsigned) messages this is possible **iff $n \ge 3f + 1$** (their Theorem 1 and
//! its converse). The algorithm **OM(m)**, for $m = f$:
//!
//! * OM(0): the commander sends its value to every lieutenant; each uses what it received
//!   (or RETREAT if nothing arrived);
//! * OM(m), m > 0: the commander sends its value $v$ to every lieutenant; each lieutenant $i$
//!   acts as commander in OM(m − 1), relaying the value it received to the other $n - 2$
//!   lieutenants; lieutenant $i$ then obeys the majority of the value it got from the
//!   commander and the values the others relayed (ties → RETREAT).
//!
//! [`oral_messages`] runs OM(m) as an *exponential information gathering* tree: a value
//! travels along a path of distinct generals starting at the commander; a loyal general
//! forwards what it received, a traitor sends whatever the adversary chooses. [`check_om`]
//! enumerates every traitor placement, both commander values and every possible choice of
//! the traitors' lies (or a seeded sample when there are too many), and counts violations of
//! IC1 and IC2: with $n = 3, f = 1$ some lie breaks the protocol; with $n = 4, f = 1$ none does.
//!
//! ```
//! use course_lib::byzantine::check_om;
//! let three = check_om(3, 1, 1 << 16, 1)?;
//! assert!(three.exhaustive && three.violations > 0);
//! let four = check_om(4, 1, 1 << 16, 1)?;
//! assert!(four.exhaustive && four.violations == 0);
//! # Ok::<(), course_lib::Error>(())
//! ```
//!
//! ## Reading
//! * L. Lamport, R. Shostak and M. Pease, "The Byzantine Generals Problem", *ACM TOPLAS* 4(3),
//!   1982 (OM(m): §3; the 3-general impossibility: Fig. 1–2; signed messages SM(m): §4).
//! * M. Castro and B. Liskov, "Practical Byzantine Fault Tolerance", OSDI 1999 (3f + 1
//!   replicas in practice).

use std::collections::HashMap;

use crate::error::{validate, Error, Result};
use crate::rng::SimRng;

/// Largest number of generals [`oral_messages`] accepts (the EIG tree has ~n^(m+1) nodes).
pub const MAX_GENERALS: usize = 10;

/// What happened in one run of OM(m).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OmOutcome {
    /// Number of generals, the commander is general 0.
    pub n: usize,
    /// Rounds of relaying, m.
    pub m: usize,
    /// Which generals are traitors.
    pub traitors: Vec<usize>,
    /// The value the commander meant (true = attack).
    pub commander_value: bool,
    /// Each lieutenant's decision (index 0, the commander, is `None`; traitors are `None`).
    pub decisions: Vec<Option<bool>>,
    /// IC1: all loyal lieutenants decided the same.
    pub agreement: bool,
    /// IC2: if the commander is loyal, the loyal lieutenants decided its value (true when the
    /// commander is a traitor).
    pub validity: bool,
}

/// Runs OM(`m`) among `n` generals (general 0 commands) with the given traitors. A traitor
/// that sends a value along `path` (the generals the value passed through, starting at the
/// commander and ending with the traitor) to `receiver` sends `lie(path, receiver)`.
///
/// # Errors
/// `n` outside 2..=[`MAX_GENERALS`], `m > n − 2`, a traitor id ≥ n.
pub fn oral_messages(
    n: usize,
    m: usize,
    traitors: &[usize],
    commander_value: bool,
    mut lie: impl FnMut(&[usize], usize) -> bool,
) -> Result<OmOutcome> {
    check_sizes(n, m)?;
    let mut is_traitor = vec![false; n];
    for &t in traitors {
        if t >= n {
            return Err(Error::UnknownNode {
                node: t,
                cluster_size: n,
                context: "the traitors".into(),
            });
        }
        is_traitor[t] = true;
    }
    // received[(path, receiver)] = value receiver got along path (path ends with the sender)
    let mut received: HashMap<(Vec<usize>, usize), bool> = HashMap::new();
    let mut frontier: Vec<Vec<usize>> = vec![vec![0]];
    for _round in 0..=m {
        let mut next = Vec::new();
        for path in &frontier {
            let sender = *path.last().expect("paths are non-empty");
            // what the sender holds for this path: the commander's own value, or what it
            // received along the path without itself
            let held = if path.len() == 1 {
                commander_value
            } else {
                received[&(path[..path.len() - 1].to_vec(), sender)]
            };
            for r in 1..n {
                if path.contains(&r) {
                    continue;
                }
                let v = if is_traitor[sender] { lie(path, r) } else { held };
                received.insert((path.clone(), r), v);
                let mut p = path.clone();
                p.push(r);
                next.push(p);
            }
        }
        frontier = next;
    }
    let mut decisions = vec![None; n];
    for (i, d) in decisions.iter_mut().enumerate().skip(1) {
        if !is_traitor[i] {
            *d = Some(resolve(&received, &[0], i, n, m));
        }
    }
    let loyal: Vec<bool> = decisions.iter().flatten().copied().collect();
    let agreement = loyal.windows(2).all(|w| w[0] == w[1]);
    let validity = is_traitor[0] || loyal.iter().all(|&d| d == commander_value);
    Ok(OmOutcome {
        n,
        m,
        traitors: traitors.to_vec(),
        commander_value,
        decisions,
        agreement,
        validity,
    })
}

/// Lieutenant `i`'s value for the sub-protocol commanded by the last general of `path`.
fn resolve(
    received: &HashMap<(Vec<usize>, usize), bool>,
    path: &[usize],
    i: usize,
    n: usize,
    m: usize,
) -> bool {
    let direct = received[&(path.to_vec(), i)];
    if path.len() == m + 1 {
        return direct;
    }
    let (mut attack, mut retreat) = (usize::from(direct), usize::from(!direct));
    for k in 1..n {
        if k == i || path.contains(&k) {
            continue;
        }
        let mut p = path.to_vec();
        p.push(k);
        if resolve(received, &p, i, n, m) {
            attack += 1;
        } else {
            retreat += 1;
        }
    }
    attack > retreat
}

fn check_sizes(n: usize, m: usize) -> Result<()> {
    validate::at_least("n", n, 2)?;
    if n > MAX_GENERALS {
        return Err(Error::out_of_range(
            "n",
            n,
            format!("must be at most {MAX_GENERALS} (the message tree grows as n^(m+1))"),
        ));
    }
    if m + 2 > n {
        return Err(Error::out_of_range("m", m, format!("must be at most n − 2 = {}", n - 2)));
    }
    Ok(())
}

/// The result of [`check_om`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OmCheck {
    /// Generals.
    pub n: usize,
    /// Traitors (and rounds m = f).
    pub f: usize,
    /// Scenarios run (traitor placement × commander value × lies).
    pub scenarios: u64,
    /// Scenarios violating IC1 or IC2.
    pub violations: u64,
    /// Whether every possible lie was tried (otherwise a seeded random sample).
    pub exhaustive: bool,
    /// The first violating run, to show.
    pub example: Option<OmOutcome>,
}

/// Runs OM(f) among `n` generals against every placement of `f` traitors, both commander
/// values, and every assignment of the traitors' messages if there are at most
/// `max_lies_per_placement` of them (else that many seeded random assignments).
pub fn check_om(n: usize, f: usize, max_lies_per_placement: u64, seed: u64) -> Result<OmCheck> {
    check_sizes(n, f)?;
    validate::at_least("max_lies_per_placement", max_lies_per_placement as usize, 1)?;
    let mut out = OmCheck { n, f, scenarios: 0, violations: 0, exhaustive: true, example: None };
    let mut rng = SimRng::new(seed);
    for traitors in combinations(n, f) {
        for &value in &[true, false] {
            // number the messages traitors send, in the order OM sends them
            let mut index: HashMap<(Vec<usize>, usize), usize> = HashMap::new();
            oral_messages(n, f, &traitors, value, |p, r| {
                let k = index.len();
                index.entry((p.to_vec(), r)).or_insert(k);
                false
            })?;
            let bits = index.len();
            let all = if bits < 63 { 1u64 << bits } else { u64::MAX };
            let exhaustive = all <= max_lies_per_placement;
            out.exhaustive &= exhaustive;
            let runs = if exhaustive { all } else { max_lies_per_placement };
            for s in 0..runs {
                let mask: u64 = if exhaustive { s } else { rng.next_u64() };
                let o = oral_messages(n, f, &traitors, value, |p, r| {
                    let k = index[&(p.to_vec(), r)];
                    if k < 64 {
                        mask >> k & 1 == 1
                    } else {
                        (mask.rotate_left(k as u32) ^ k as u64) & 1 == 1
                    }
                })?;
                out.scenarios += 1;
                if !(o.agreement && o.validity) {
                    out.violations += 1;
                    if out.example.is_none() {
                        out.example = Some(o);
                    }
                }
            }
        }
    }
    Ok(out)
}

/// All `k`-subsets of `0..n`, in lexicographic order.
fn combinations(n: usize, k: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    fn rec(start: usize, n: usize, k: usize, cur: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        if cur.len() == k {
            out.push(cur.clone());
            return;
        }
        for i in start..n {
            cur.push(i);
            rec(i + 1, n, k, cur, out);
            cur.pop();
        }
    }
    rec(0, n, k, &mut cur, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lamport, Shostak & Pease 1982, Fig. 1: commander loyal, lieutenant 2 a traitor who
    /// claims the commander said "retreat": lieutenant 1 sees attack vs retreat and cannot
    /// obey the loyal commander.
    #[test]
    fn three_generals_figure_1() {
        let o = oral_messages(3, 1, &[2], true, |_, _| false).unwrap();
        assert_eq!(o.decisions[1], Some(false));
        assert!(!o.validity);
    }

    #[test]
    fn three_f_plus_one_bound() {
        let c = check_om(3, 1, 1 << 16, 1).unwrap();
        assert!(c.exhaustive);
        assert!(c.violations > 0);
        let c = check_om(4, 1, 1 << 16, 1).unwrap();
        assert!(c.exhaustive);
        // every lie tried: a traitor commander sends 3 messages (2³ lies), a traitor
        // lieutenant relays to 2 others (2² lies): 2 × (8 + 3 × 4) = 40 runs, none breaks IC1/IC2
        assert_eq!(c.violations, 0);
        assert_eq!(c.scenarios, 40, "{c:?}");
        // two traitors need seven generals: sampled, none breaks it
        let c = check_om(7, 2, 20, 3).unwrap();
        assert!(!c.exhaustive);
        assert_eq!(c.violations, 0, "{:?}", c.example);
    }

    #[test]
    fn without_traitors_everyone_obeys() {
        for n in 2..=5 {
            for m in 0..=(n - 2).min(2) {
                let o = oral_messages(n, m, &[], true, |_, _| false).unwrap();
                assert!(o.agreement && o.validity);
                assert!(o.decisions[1..].iter().all(|d| *d == Some(true)));
            }
        }
    }

    #[test]
    fn bad_sizes_are_errors() {
        assert!(oral_messages(1, 0, &[], true, |_, _| false)
            .unwrap_err()
            .to_string()
            .starts_with("n = 1"));
        assert!(oral_messages(3, 2, &[], true, |_, _| false)
            .unwrap_err()
            .to_string()
            .starts_with("m = 2"));
        assert!(oral_messages(4, 1, &[4], true, |_, _| false).is_err());
        assert!(check_om(11, 1, 1, 1).is_err());
    }
}
