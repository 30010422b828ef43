//! The tool functions the MCP server and the OpenCode plugin call.

pub mod answer_permission;
pub mod args;
pub mod broker;
pub mod events;
pub mod follow_up;
pub mod inspect;
pub mod resolve;
pub mod result;
pub mod shutdown;
pub mod spawn;
pub mod status;
pub mod supervisor_client;
pub mod workflow;
