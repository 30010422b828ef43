#![deny(clippy::all)]
//! `@dougbots/avenor-core` as a Node native addon. The `js` module is the only
//! place that knows about napi; everything else is plain Rust.

pub mod client;
pub mod discovery;
pub mod environment;
pub mod error;
pub mod events_log;
pub mod install;
mod js;
pub mod jsval;
pub mod observe;
pub mod policy;
pub mod regular_file;
pub mod runs;
pub mod simulator;
pub mod status;
pub mod supervisor;
pub mod tools;
