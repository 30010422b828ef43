//! The JS-facing adapters: argument/result conversion and thin calls into the core.
// Under `cargo test` napi-derive registers nothing, so these items look unused.
#![cfg_attr(test, allow(dead_code))]

pub mod args;
pub mod broker;
pub mod bun_socket;
pub mod caller_origin;
pub mod client;
pub mod client_invoker;
pub mod discovery;
pub mod errors;
pub mod events;
pub mod exit_hooks;
pub mod host_socket;
pub mod install;
pub mod json;
pub mod keep_alive;
pub mod loop_client;
pub mod observe;
pub mod observer;
pub mod policy;
pub mod process_env;
pub mod promise;
pub mod raw;
pub mod shutdown_at_teardown;
pub mod simulator;
pub mod status_on_host_loop;
pub mod supervisor;
pub mod tool_call;
pub mod tools;
pub mod uv_poll_reader;
pub mod workflow;
