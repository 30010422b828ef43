//! Watching a run: event normalisation and the snapshot reducer
//! (core-spec §15.1–§15.3). Pure functions over JSON values.

pub mod events;
pub mod limits;
pub mod reducer;
pub mod snapshot;
pub mod summary;

pub use events::{extract_event_text, normalize_run_event};
pub use limits::{RunReducerLimits, DEFAULT_RUN_REDUCER_LIMITS};
pub use reducer::{create_run_snapshot, reduce_run_snapshot, RunReducer};
