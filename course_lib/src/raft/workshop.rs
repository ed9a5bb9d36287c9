//! The workshop: your own `request_vote` and `append_entries`, checked across many seeds.
