//! The in-memory workflow model behind the `workflow.*` methods (protocol §2.15):
//! workflows made with `workflow.instantiate` (`store.rs`) and controllers
//! (`controller.rs`). The methods themselves, including `workflow.ready` that links
//! the two, are in `workflow_methods`. See the README for the model.

mod controller;
mod store;

pub use controller::Controllers;
pub use store::Workflows;
