//! Scripted scenarios: the paper's Figure 8 and a vote forgotten in a crash.
//!
//! Random fault schedules find most mistakes within a few seeds, but two of the planted bugs
//! need a precise interleaving. These scenarios set it up and leave only the timing to the seed.

use super::experiment::{Cluster, FaultProfile};
use super::{Bug, Command, Entry, RaftConfig, Violation};
use crate::error::Result;
use crate::rng::SimRng;
use crate::sim::FaultSchedule;

/// Figure 8 of the paper, five servers `s1..s5` as nodes `n0..n4`: `n0` leads term 4 with log
/// `[1:x, 2:a]` (entry `2:a` is left over from its term-2 leadership), `n1` has `[1:x, 2:a]`,
/// `n2` and `n3` have `[1:x]`, and `n4` led term 3, kept `[1:x, 3:b]` and has heard of term 4. `n0` and `n4`
/// cannot reach each other, and `n0` crashes at a seeded time in its first 100 ms of term 4
/// (it restarts at 1 s).
///
/// `n0` has no entry of its own term yet, so the correct rule commits nothing. With
/// [`Bug::CommitPreviousTerm`], `n0` counts `2:a` on `n0, n1` and `n2` (or `n3`) and commits
/// it (after about 12 ms). `n4`, hearing no leader, times out and wins a later term with the
/// votes of `n1, n2, n3` (its last log term 3 beats their 2), then overwrites index 2: a
/// committed entry lost, caught as a leader-completeness violation the moment `n4` leads.
/// Seeds whose crash comes before the commit are not caught.
pub fn figure8(bug: Bug, seed: u64) -> Result<Cluster> {
    let cfg = RaftConfig::new(5)?.with_bug(bug);
    let put = |term, value| Entry { term, command: Command::Put { key: 0, value } };
    let x = put(1, 1);
    let a = put(2, 2);
    let b = put(3, 3);
    let crash_at = SimRng::stream(seed, 8).uniform_range(0.0, 100.0);
    let faults = FaultSchedule::new()
        .crash(0, crash_at)
        .restart(0, 1_000.0)
        .link_down(0, 4, 0.0, f64::INFINITY)
        .link_down(4, 0, 0.0, f64::INFINITY);
    Cluster::builder(cfg)
        .seed(seed)
        .faults(faults)
        .preload(0, 4, Some(0), vec![x, a], true)
        .preload(1, 4, Some(0), vec![x, a], false)
        .preload(2, 4, Some(0), vec![x], false)
        .preload(3, 4, None, vec![x], false)
        .preload(4, 4, None, vec![x, b], false)
        .build()
}

/// A vote forgotten in a crash: three servers, `n0` and `n1` cannot reach each other (both
/// one-way links down for good), so both keep campaigning through `n2`; `n2` crashes every
/// 20–40 ms (seeded) and restarts 1–3 ms later.
///
/// With [`Bug::ForgetVoteOnCrash`], `n2` votes for one candidate, crashes, forgets the vote,
/// and grants the other candidate's retried request in the same term: two leaders of one term
/// (election safety). With the vote persisted, `n2` refuses the second candidate.
pub fn forgotten_vote(bug: Bug, seed: u64) -> Result<Cluster> {
    let cfg =
        RaftConfig::new(3)?.with_bug(bug).with_election_timeout(20.0, 40.0)?.with_heartbeat(5.0)?;
    let mut rng = SimRng::stream(seed, 9);
    let mut faults = FaultSchedule::new().link_down(0, 1, 0.0, f64::INFINITY).link_down(
        1,
        0,
        0.0,
        f64::INFINITY,
    );
    let mut t = rng.uniform_range(20.0, 40.0);
    while t < 2_000.0 {
        let down = rng.uniform_range(1.0, 3.0);
        faults = faults.crash(2, t).restart(2, t + down);
        t += down + rng.uniform_range(20.0, 40.0);
    }
    Cluster::builder(cfg).seed(seed).faults(faults).trace(false).build()
}

/// Look for `bug` in seeds `0..seeds` with the setup that finds it: the Figure 8 scenario for
/// [`Bug::CommitPreviousTerm`], the forgotten-vote scenario for [`Bug::ForgetVoteOnCrash`], the
/// bug-hunting random profile ([`FaultProfile::aggressive`]) for the others. Returns the first
/// violation (with its seed and trace), or `None` if every seed passed. [`Bug::None`] runs the
/// correct algorithm through all three setups.
pub fn hunt(bug: Bug, seeds: u64) -> Result<Option<Violation>> {
    crate::error::validate::at_least("seeds", seeds as usize, 1)?;
    let random = |bug: Bug| -> Result<Option<Violation>> {
        let p = FaultProfile::aggressive(RaftConfig::new(5)?.with_bug(bug))?;
        Ok(super::sweep(&p, 0..seeds)?.violation)
    };
    let scripted = |make: fn(Bug, u64) -> Result<Cluster>, bug: Bug| -> Result<Option<Violation>> {
        for seed in 0..seeds {
            let mut c = make(bug, seed)?;
            c.run_until_ms(2_000.0);
            if let Some(v) = c.violation() {
                return Ok(Some(v.clone()));
            }
        }
        Ok(None)
    };
    match bug {
        Bug::CommitPreviousTerm => scripted(figure8, bug),
        Bug::ForgetVoteOnCrash => scripted(forgotten_vote, bug),
        Bug::None => {
            for v in [random(bug)?, scripted(figure8, bug)?, scripted(forgotten_vote, bug)?] {
                if v.is_some() {
                    return Ok(v);
                }
            }
            Ok(None)
        }
        _ => random(bug),
    }
}
