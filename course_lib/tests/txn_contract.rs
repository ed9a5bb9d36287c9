//! The contract for `course_lib::txn`: `Isolation::{ReadUncommitted, ReadCommitted,
//! RepeatableReadLocking, SnapshotIsolation, Serializable}`; `Schedule::parse(&str) ->
//! Result<Schedule, Error>` (errors with the line number for a step of a transaction that has
//! not begun or has finished, an unknown verb, a scan with M = 0); `run(&Schedule, Isolation)
//! -> Result<Outcome, Error>`; `Outcome::read_values(step) -> Option<Vec<(String, i64)>>`,
//! `committed(&str) -> bool`, `waited(step) -> bool`, `final_state() -> Vec<(String, i64)>`.

use course_lib::txn::{run, Isolation, Outcome, Schedule};
use course_lib::Error;

#[test]
fn the_signatures() {
    let levels = [
        Isolation::ReadUncommitted,
        Isolation::ReadCommitted,
        Isolation::RepeatableReadLocking,
        Isolation::SnapshotIsolation,
        Isolation::Serializable,
    ];
    let s: Result<Schedule, Error> = Schedule::parse(
        "init x 10\n# a comment\nT1 begin\nT1 read x\nT1 write x 11\nT1 insert y 30\nT1 delete y\nT1 scan 1 0\nT1 commit\nT2 begin\nT2 abort",
    );
    let s = s.unwrap();
    for level in levels {
        let o: Result<Outcome, Error> = run(&s, level);
        let o = o.unwrap();
        let r: Option<Vec<(String, i64)>> = o.read_values(1);
        assert_eq!(r, Some(vec![("x".to_string(), 10)]));
        assert_eq!(o.read_values(5), Some(vec![("x".to_string(), 11)]));
        let c: bool = o.committed("T1");
        assert!(c && !o.committed("T2"));
        let w: bool = o.waited(1);
        assert!(!w);
        let f: Vec<(String, i64)> = o.final_state();
        assert_eq!(f, vec![("x".to_string(), 11)]);
    }
}

#[test]
fn bad_input_is_an_error_with_the_line_number() {
    for (text, line) in [
        ("T1 read x", 1),
        ("T1 begin\nT1 commit\n\nT1 write x 1", 4),
        ("T1 begin\nT1 jump", 2),
        ("init x 1\nT1 begin\nT1 scan 0 0", 3),
    ] {
        match Schedule::parse(text) {
            Err(Error::Parse { line: l, .. }) => assert_eq!(l, line, "{text}"),
            other => panic!("{text}: {other:?}"),
        }
    }
    // reading a key that does not exist returns no row, not an error
    let s = Schedule::parse("T1 begin\nT1 read nope\nT1 commit").unwrap();
    assert_eq!(run(&s, Isolation::Serializable).unwrap().read_values(1), Some(vec![]));
}

#[test]
fn a_blocked_step_waits_and_a_deadlock_aborts_one() {
    let s = Schedule::parse(
        "init x 10\ninit y 20\nT1 begin\nT2 begin\nT1 read x\nT2 read y\nT1 write y 1\nT2 write x 2\nT1 commit\nT2 commit",
    )
    .unwrap();
    let o = run(&s, Isolation::RepeatableReadLocking).unwrap();
    assert!(o.waited(4)); // T1's write waits for T2's read lock
    assert!(o.committed("T1") != o.committed("T2")); // the deadlock aborts exactly one
}
