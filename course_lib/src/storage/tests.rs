//! Unit tests, crash-point properties, planted bugs and the notebook's pinned numbers.
