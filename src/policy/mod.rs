//! Input policy: validators, spawn-selector rules and the thinking policy.
//! Pure functions; the only I/O is `realpath` in the socket-path check.

pub mod socket_path_length;
pub mod spawn_selection;
pub mod thinking;
pub mod validate;

pub use socket_path_length::validate_socket_path_length;
pub use spawn_selection::validate_spawn_selection;
pub use thinking::{
    evaluate_thinking_policy, is_thinking_level, validate_thinking, validate_thinking_for_backend,
    validate_thinking_for_backend_resume, THINKING_LEVELS,
};
pub use validate::{
    validate_observed_at, validate_run_id, validate_supervisor_socket_path, validate_timeout,
};
