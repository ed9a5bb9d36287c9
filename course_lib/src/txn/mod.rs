//! Transactions (notebook 16).

pub mod deadlock;
pub mod saga;
pub mod twopc;

#[cfg(test)]
mod dist_tests;
