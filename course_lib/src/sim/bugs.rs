//! Planted bugs: one set type for every module.
//!
//! A checker is only worth trusting if it catches bugs. Every protocol module offers a few
//! *planted* bugs, each a one-line departure from the protocol that a real implementation
//! could make (skip a check, forget to persist, answer too early), as the variants of an enum
//! of its own. [`Bugs`] is a set of them: `Bugs::default()` (or `Bugs::none()`) is the correct
//! protocol, `Bugs::one(B::X)` or `Bugs::none().with(B::X).with(B::Y)` plant some.
//!
//! ```
//! use course_lib::sim::Bugs;
//! use course_lib::sim::demo::KvBug;
//! let planted = Bugs::one(KvBug::BackupReads);
//! assert!(planted.has(KvBug::BackupReads));
//! assert!(Bugs::<KvBug>::default().is_empty());
//! println!("{planted}"); // BackupReads
//! ```

use std::fmt;

/// A set of planted bugs of type `B` (a module's bug enum). The default is no bugs.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Bugs<B> {
    planted: Vec<B>,
}

impl<B> Default for Bugs<B> {
    fn default() -> Self {
        Bugs { planted: Vec::new() }
    }
}

impl<B: Copy + Eq + Ord + fmt::Debug> Bugs<B> {
    /// No bugs: the protocol as designed.
    pub fn none() -> Self {
        Self::default()
    }

    /// Exactly this bug.
    pub fn one(bug: B) -> Self {
        Self::none().with(bug)
    }

    /// This set plus `bug`.
    pub fn with(mut self, bug: B) -> Self {
        if let Err(i) = self.planted.binary_search(&bug) {
            self.planted.insert(i, bug);
        }
        self
    }

    /// Is `bug` planted?
    #[inline]
    pub fn has(&self, bug: B) -> bool {
        self.planted.contains(&bug)
    }

    /// No bug planted?
    pub fn is_empty(&self) -> bool {
        self.planted.is_empty()
    }

    /// The planted bugs, in order.
    pub fn iter(&self) -> impl Iterator<Item = B> + '_ {
        self.planted.iter().copied()
    }
}

impl<B: Copy + Eq + Ord + fmt::Debug> From<B> for Bugs<B> {
    fn from(bug: B) -> Self {
        Bugs::one(bug)
    }
}

impl<B: fmt::Debug> fmt::Display for Bugs<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.planted.is_empty() {
            return write!(f, "no bugs");
        }
        for (i, b) in self.planted.iter().enumerate() {
            if i > 0 {
                write!(f, " + ")?;
            }
            write!(f, "{b:?}")?;
        }
        Ok(())
    }
}

impl<B: fmt::Debug> fmt::Debug for Bugs<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
