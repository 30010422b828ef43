//! The postinstall step (core-spec §16): which release asset fits this machine,
//! what to skip, checking a download against `checksums.txt`, and putting the
//! binary in place. Fetching stays in `postinstall.js`, because the caller injects
//! `fetch`; everything decided about a download is decided here.

pub mod checksums;
pub mod downloaded;
pub mod plan;
pub mod platform;
pub mod write;
