//! # Exercise checks
//!
//! Every exercise in a notebook is followed by a check cell. A check prints one line that
//! says, in plain words, whether the answer is right and, if not, why:
//!
//! ```text
//! PASS [01-rtt]: 86.3 is within 0.5 of 86.3
//! FAIL [01-rtt]: expected 86.3 (± 0.5), got 43.1 — hint: a round trip crosses the distance twice
//! ```
//!
//! Checks never abort the notebook: a wrong answer is a `FAIL` line, and a panic in the
//! student's code (including an unfinished `todo!()`) is caught by [`check_fn`] and reported
//! as a `FAIL` with the panic's message. So a check cell calls the student's code only inside
//! `check_fn`, with [`expect_close`] / [`expect_eq`] for the comparison:
//! `check_fn("01-rtt", || expect_close(rtt_ms(5570.0), 54.6, 0.5, "hint"))`. The student
//! copies (`make student`) replace each solution by `todo!()`, and every check then prints
//! `FAIL … your code panicked: not yet implemented` instead of stopping the notebook.
//!
//! The `PASS`/`FAIL [id]` prefix is stable, so a grader can read results from an executed
//! notebook's output (`make grade`).
//!
//! ```
//! use course_lib::grade::{check_close, check_fn};
//! assert!(check_close("demo-1", 2.0 + 2.0, 4.0, 1e-9, "add them").passed());
//! let c = check_fn("demo-2", || -> Result<(), String> { todo!() });
//! assert!(!c.passed());
//! assert!(c.message().contains("not yet implemented"));
//! ```

use std::fmt;
use std::panic::{self, AssertUnwindSafe};

/// The result of one check. It has already been printed when you get it.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    id: String,
    passed: bool,
    message: String,
}

impl Check {
    fn new(id: &str, passed: bool, message: String) -> Check {
        let c = Check { id: id.to_string(), passed, message };
        println!("{c}");
        c
    }

    /// Did the check pass?
    pub fn passed(&self) -> bool {
        self.passed
    }

    /// The exercise id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The explanation.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Shown by evcxr when a check is the last expression of a cell: nothing more, because
    /// the line was printed when the check ran.
    pub fn evcxr_display(&self) {}
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.passed { "PASS" } else { "FAIL" };
        write!(f, "{verdict} [{}]: {}", self.id, self.message)
    }
}

/// Pass when `condition` holds; otherwise fail with `hint`.
pub fn check(id: &str, condition: bool, hint: &str) -> Check {
    if condition {
        Check::new(id, true, "correct".into())
    } else {
        Check::new(id, false, format!("not yet — hint: {hint}"))
    }
}

/// Pass when `got` is within `tolerance` of `expected` (absolute). NaN never passes.
pub fn check_close(id: &str, got: f64, expected: f64, tolerance: f64, hint: &str) -> Check {
    match expect_close(got, expected, tolerance, hint) {
        Ok(()) => Check::new(
            id,
            true,
            format!("{} is within {} of {}", sig(got), sig(tolerance), sig(expected)),
        ),
        Err(why) => Check::new(id, false, why),
    }
}

/// Pass when `got == expected`.
pub fn check_eq<T: PartialEq + fmt::Debug>(id: &str, got: T, expected: T, hint: &str) -> Check {
    let shown = format!("{got:?}, as expected");
    match expect_eq(got, expected, hint) {
        Ok(()) => Check::new(id, true, shown),
        Err(why) => Check::new(id, false, why),
    }
}

/// The test of [`check_close`] as a value, for use inside [`check_fn`]: `Ok(())` when `got`
/// is within `tolerance` of `expected`, otherwise `Err` with the same message `check_close`
/// prints. Computing `got` inside `check_fn` is what keeps an unfinished exercise (a
/// `todo!()` in the student's function) a `FAIL` line instead of a panic in the check cell:
///
/// ```
/// use course_lib::grade::{check_fn, expect_close};
/// fn rtt_ms(km: f64) -> f64 { todo!() }
/// let c = check_fn("demo-rtt", || expect_close(rtt_ms(100.0), 0.98, 0.01, "twice the distance"));
/// assert!(!c.passed());
/// ```
pub fn expect_close(got: f64, expected: f64, tolerance: f64, hint: &str) -> Result<(), String> {
    if (got - expected).abs() <= tolerance {
        Ok(())
    } else {
        Err(format!(
            "expected {} (± {}), got {} — hint: {hint}",
            sig(expected),
            sig(tolerance),
            sig(got)
        ))
    }
}

/// The test of [`check_eq`] as a value, for use inside [`check_fn`] (see [`expect_close`]).
pub fn expect_eq<T: PartialEq + fmt::Debug>(got: T, expected: T, hint: &str) -> Result<(), String> {
    if got == expected {
        Ok(())
    } else {
        Err(format!("expected {expected:?}, got {got:?} — hint: {hint}"))
    }
}

/// Run `test`, which returns `Ok(())` when the student's code behaves, or `Err(reason)`.
/// A panic inside it (e.g. `todo!()`) is caught and reported as a failure with its message;
/// the panic's usual backtrace is not printed.
pub fn check_fn(id: &str, test: impl FnOnce() -> Result<(), String>) -> Check {
    let previous_hook = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    let outcome = panic::catch_unwind(AssertUnwindSafe(test));
    panic::set_hook(previous_hook);
    match outcome {
        Ok(Ok(())) => Check::new(id, true, "correct".into()),
        Ok(Err(reason)) => Check::new(id, false, reason),
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".into());
            Check::new(id, false, format!("your code panicked: {what}"))
        }
    }
}

/// A number with about four significant digits, for messages.
fn sig(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let mag = x.abs().log10().floor() as i32;
    if !(-3..6).contains(&mag) {
        format!("{x:.3e}")
    } else {
        let decimals = (3 - mag).max(0) as usize;
        format!("{x:.decimals$}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_what_was_expected() {
        let c = check_close("x", 43.1, 86.3, 0.5, "twice the distance");
        assert!(!c.passed());
        assert_eq!(
            c.to_string(),
            "FAIL [x]: expected 86.30 (± 0.5000), got 43.10 — hint: twice the distance"
        );
        assert!(check_close("x", 86.2, 86.3, 0.5, "").passed());
        assert_eq!(
            check_close("t", 1.0, 1.0, 1e-12, "").message(),
            "1.000 is within 1.000e-12 of 1.000"
        );
        assert!(!check_close("x", f64::NAN, 1.0, 0.5, "").passed());
        assert!(check_eq("e", 3, 3, "").passed());
        assert_eq!(check_eq("e", 2, 3, "count").message(), "expected 3, got 2 — hint: count");
        assert!(!check("c", false, "look again").passed());
    }

    #[test]
    fn panics_become_failures() {
        let c = check_fn("p", || -> Result<(), String> { todo!() });
        assert!(!c.passed());
        assert_eq!(c.message(), "your code panicked: not yet implemented");
        let c = check_fn("p", || Err("n2 voted twice in term 3".into()));
        assert_eq!(c.to_string(), "FAIL [p]: n2 voted twice in term 3");
        let c = check_fn("p", || {
            let v: Vec<u8> = vec![];
            let _ = v[3];
            Ok(())
        });
        assert!(c.message().contains("index out of bounds"), "{}", c.message());
        assert!(check_fn("p", || Ok(())).passed());
    }

    #[test]
    fn expectations_inside_check_fn_turn_todo_into_fail() {
        fn unfinished() -> f64 {
            todo!()
        }
        let c = check_fn("x", || expect_close(unfinished(), 1.0, 0.1, "h"));
        assert_eq!(c.to_string(), "FAIL [x]: your code panicked: not yet implemented");
        let c = check_fn("x", || expect_close(43.1, 86.3, 0.5, "twice the distance"));
        assert_eq!(c.message(), check_close("y", 43.1, 86.3, 0.5, "twice the distance").message());
        assert!(check_fn("x", || expect_close(1.0, 1.05, 0.1, "")).passed());
        assert!(check_fn("x", || expect_close(f64::NAN, 1.0, 0.1, "")).message().contains("NaN"));
        let c = check_fn("e", || expect_eq(2, 3, "count"));
        assert_eq!(c.message(), "expected 3, got 2 — hint: count");
        assert!(check_fn("e", || expect_eq("a", "a", "")).passed());
        // A panic with a formatted message keeps its text.
        let c = check_fn("f", || -> Result<(), String> { panic!("n = {}", 3) });
        assert_eq!(c.message(), "your code panicked: n = 3");
    }

    #[test]
    fn significant_digits() {
        assert_eq!(sig(0.017351), "0.01735");
        assert_eq!(sig(86.2999), "86.30");
        assert_eq!(sig(1234.5), "1234");
        assert_eq!(sig(1.5e-7), "1.500e-7");
    }
}
