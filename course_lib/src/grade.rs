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
//! as a `FAIL` with the panic's message. The `PASS`/`FAIL [id]` prefix is stable, so a grader
//! can read results from an executed notebook's output.
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
    if (got - expected).abs() <= tolerance {
        Check::new(
            id,
            true,
            format!("{} is within {} of {}", sig(got), sig(tolerance), sig(expected)),
        )
    } else {
        Check::new(
            id,
            false,
            format!(
                "expected {} (± {}), got {} — hint: {hint}",
                sig(expected),
                sig(tolerance),
                sig(got)
            ),
        )
    }
}

/// Pass when `got == expected`.
pub fn check_eq<T: PartialEq + fmt::Debug>(id: &str, got: T, expected: T, hint: &str) -> Check {
    if got == expected {
        Check::new(id, true, format!("{got:?}, as expected"))
    } else {
        Check::new(id, false, format!("expected {expected:?}, got {got:?} — hint: {hint}"))
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
    fn significant_digits() {
        assert_eq!(sig(0.017351), "0.01735");
        assert_eq!(sig(86.2999), "86.30");
        assert_eq!(sig(1234.5), "1234");
        assert_eq!(sig(1.5e-7), "1.500e-7");
    }
}
