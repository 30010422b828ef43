//! Run status: mapping the daemon's phase and the sentinel to a public status,
//! building `StatusResult` objects and shaping them into views (core-spec §8).

pub mod build;
pub mod identity;
pub mod permission;
pub mod translate;
pub mod view;

pub use build::{build_status, StatusFallback};
pub use identity::retain_live_identity;
pub use permission::{normalize_pending_permission, pending_permission_request_id};
pub use translate::translate_status;
pub use view::shape_status_result;
