//! Keeps the host's event loop alive while referenced, switched without a JS
//! call: a thread-safe function that is never called, referenced and
//! unreferenced through Node-API (a `uv_ref`/`uv_unref` in Node, Bun's
//! keep-alive count). A connection on the host's loop switches it at every
//! call and `next()`; the socket's own `ref()`/`unref()` cost a JS call each.

use std::cell::Cell;
use std::ptr;

use napi::bindgen_prelude::*;
use napi::{check_status, sys};

/// The name Node's async hooks see for a connection's handles.
pub const CONNECTION_RESOURCE_NAME: &str = "avenor-core connection";

pub struct KeepAlive {
    /// `None` once released.
    tsfn: Cell<Option<sys::napi_threadsafe_function>>,
    referenced: Cell<bool>,
}

/// Never runs: nothing ever calls the function.
unsafe extern "C" fn never_called(
    _env: sys::napi_env,
    _js_callback: sys::napi_value,
    _context: *mut std::ffi::c_void,
    _data: *mut std::ffi::c_void,
) {
}

impl KeepAlive {
    /// A new handle, not keeping the loop alive.
    pub fn new(env: &Env) -> Result<KeepAlive> {
        let name = super::raw::js_string(env, CONNECTION_RESOURCE_NAME)?;
        let mut tsfn = ptr::null_mut();
        check_status!(unsafe {
            sys::napi_create_threadsafe_function(
                env.raw(),
                ptr::null_mut(),
                ptr::null_mut(),
                name,
                0,
                1,
                ptr::null_mut(),
                None,
                ptr::null_mut(),
                Some(never_called),
                &mut tsfn,
            )
        })?;
        check_status!(unsafe { sys::napi_unref_threadsafe_function(env.raw(), tsfn) })?;
        Ok(KeepAlive {
            tsfn: Cell::new(Some(tsfn)),
            referenced: Cell::new(false),
        })
    }

    /// Keeps the loop alive (or not); a Node-API call only when it changes.
    pub fn set(&self, env: &Env, referenced: bool) {
        let Some(tsfn) = self.tsfn.get() else {
            return;
        };
        if self.referenced.replace(referenced) == referenced {
            return;
        }
        unsafe {
            if referenced {
                sys::napi_ref_threadsafe_function(env.raw(), tsfn);
            } else {
                sys::napi_unref_threadsafe_function(env.raw(), tsfn);
            }
        }
    }

    /// Lets the handle go for good (idempotent). Not done on drop: a drop can
    /// come from a finalizer at the env's teardown, after the host has freed
    /// its thread-safe functions itself (an unreleased, unreferenced one is
    /// freed then and holds nothing before).
    pub fn release(&self, env: &Env) {
        self.set(env, false);
        if let Some(tsfn) = self.tsfn.take() {
            unsafe {
                sys::napi_release_threadsafe_function(
                    tsfn,
                    sys::ThreadsafeFunctionReleaseMode::release,
                )
            };
        }
    }
}
