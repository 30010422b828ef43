//! Runs: what is known about spawned runs, in memory and on disk.

pub mod external;
pub mod local;
pub mod lost;
pub mod paths;
pub mod run_info;
pub mod sentinel;

pub use local::LocalRuns;
pub use run_info::RunInfo;
