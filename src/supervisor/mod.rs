//! The supervisor: starting, adopting and owning the avenor daemon.

pub mod daemon_process;
pub mod instance;
pub mod live_daemons;
pub mod process_group;
pub mod run_spawn;
pub mod singleton;
pub mod startup;
#[cfg(test)]
mod wrapper_daemon;

pub use instance::Supervisor;
