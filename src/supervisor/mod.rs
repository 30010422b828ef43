//! The supervisor: starting, adopting and owning the avenor daemon.

pub mod daemon_process;
pub mod instance;
pub mod live_daemons;
pub mod run_spawn;
pub mod singleton;
pub mod startup;

pub use instance::Supervisor;
