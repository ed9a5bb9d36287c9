//! The contract for `course_lib::mapreduce`: `word_count(text, mappers, reducers,
//! seed) -> Result<Vec<(String, u64)>, Error>`, sorted by String order, words = maximal runs of
//! alphabetic characters, case kept; the answer independent of the seed, the task counts and
//! the failures injected (against a plain sequential count, over random texts); errors for bad
//! input; the `Job` API with user functions.

use std::collections::BTreeMap;

use course_lib::mapreduce::{word_count, word_count_on, Cluster, Job, Kv};
use course_lib::Error;
use proptest::prelude::*;

fn plain_count(text: &str) -> Vec<(String, u64)> {
    // written independently of the crate: scan chars, cut at every non-letter
    let mut m: BTreeMap<String, u64> = BTreeMap::new();
    let mut cur = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_alphabetic() {
            cur.push(c);
        } else if !cur.is_empty() {
            *m.entry(std::mem::take(&mut cur)).or_insert(0) += 1;
        }
    }
    m.into_iter().collect()
}

#[test]
fn word_definition_non_ascii_letters_digits_and_apostrophes() {
    let got: Result<Vec<(String, u64)>, Error> =
        word_count("it's 3am: Ünïcode ünïcode 日本語 x9x", 2, 3, 5);
    let got = got.unwrap();
    let want: Vec<(String, u64)> =
        [("am", 1), ("it", 1), ("s", 1), ("x", 2), ("Ünïcode", 1), ("ünïcode", 1), ("日本語", 1)]
            .iter()
            .map(|(w, c)| (w.to_string(), *c))
            .collect();
    assert_eq!(got, want);
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    for (m, r) in [(0, 1), (1, 0), (0, 0)] {
        let e = word_count("a b", m, r, 1).unwrap_err().to_string();
        assert!(e.contains("must be at least 1"), "{e}");
    }
    assert!(word_count_on("a", &Cluster::new(0, 1, 1), 1).is_err());
    assert!(word_count_on("a", &Cluster::new(3, 1, 1).stragglers(1, 0.9), 1).is_err());
    assert!(word_count_on("a", &Cluster::new(3, 1, 1).kills(4, 1.0), 1).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn independent_of_seed_tasks_and_failures(
        text in "[a-zA-Zé'0-9 ,.\n]{0,400}",
        m in 1usize..12, r in 1usize..6, seed in 0u64..1000,
        workers in 2usize..6, kills in 0usize..3, at in 0.0f64..200.0, restart in proptest::bool::ANY,
        slow in 0usize..2, backups in proptest::bool::ANY,
    ) {
        let want = plain_count(&text);
        prop_assert_eq!(&word_count(&text, m, r, seed).unwrap(), &want);
        let mut c = Cluster::new(workers, m, r).kills(kills.min(workers - 1), at)
            .stragglers(slow, 3.0).backups(backups);
        if restart { c = c.restart_after(25.0); }
        prop_assert_eq!(&word_count_on(&text, &c, seed).unwrap(), &want);
    }
}

fn lengths_map(_doc: &str, contents: &str) -> Vec<Kv> {
    contents.split_whitespace().map(|w| (w.len().to_string(), "1".to_string())).collect()
}
fn count_reduce(_k: &str, vs: &[String]) -> String {
    vs.len().to_string()
}

#[test]
fn a_user_job_equals_its_sequential_run() {
    let docs = vec![("a", "one two three"), ("b", "four five six seven"), ("c", "")];
    let job = Job::new(lengths_map, count_reduce);
    let seq = job.sequential(&docs);
    assert_eq!(
        seq,
        vec![
            ("3".to_string(), "3".to_string()),
            ("4".into(), "2".into()),
            ("5".into(), "2".into())
        ]
    );
    for seed in 0..6 {
        let c = Cluster::new(3, 1 + seed as usize, 2).kills(1, 25.0).restart_after(10.0);
        assert_eq!(job.run(&docs, &c, seed).unwrap().output, seq);
    }
}
