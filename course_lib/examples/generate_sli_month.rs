//! Writes `data/sli_month.csv` and `data/sli_incidents.csv` from the seeded generator
//! (`course_lib::slo::synth`). Run from the repository root:
//!
//! ```text
//! cargo run -p course_lib --example generate_sli_month
//! ```
//!
//! The test `tests/data_files.rs` checks that the committed files equal this output byte for
//! byte.

use course_lib::slo::synth::{generate_month, DATA_SEED};

fn main() -> std::io::Result<()> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../data");
    let month = generate_month(DATA_SEED);
    std::fs::write(format!("{dir}/sli_month.csv"), month.series_csv())?;
    std::fs::write(format!("{dir}/sli_incidents.csv"), month.incidents_csv())?;
    println!(
        "wrote {} minutes and {} incidents (seed {DATA_SEED}) to {dir}",
        month.series.len(),
        month.incidents.len()
    );
    Ok(())
}
