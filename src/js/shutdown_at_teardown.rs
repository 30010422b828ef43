//! A connection still open when its env goes away (a worker thread ending,
//! say) is shut down then, so the daemon sees it end and lets go of what the
//! connection owned (protocol §2.1). Calls and `next()`s still waiting hold
//! the connection (their promises can no longer settle), so nothing else would
//! end it. The hook is a syscall only: no JS runs at teardown.

use std::cell::Cell;
use std::ffi::c_void;
use std::os::fd::RawFd;

use napi::bindgen_prelude::*;
use napi::sys;

pub struct ShutdownAtTeardown {
    env: sys::napi_env,
    fd: RawFd,
    armed: Cell<bool>,
}

impl ShutdownAtTeardown {
    /// Shuts `fd` down if `env` goes away before `disarm`. `fd` must stay
    /// open until then (a hook is told apart by its descriptor).
    pub fn arm(env: &Env, fd: RawFd) -> ShutdownAtTeardown {
        // SAFETY: a hook with a plain integer argument; removed by `disarm`.
        let status =
            unsafe { sys::napi_add_env_cleanup_hook(env.raw(), Some(shut_down), as_arg(fd)) };
        ShutdownAtTeardown {
            env: env.raw(),
            fd,
            armed: Cell::new(status == sys::Status::napi_ok),
        }
    }

    /// The connection ended by itself: no hook any more (idempotent).
    pub fn disarm(&self) {
        if self.armed.replace(false) {
            // SAFETY: removes the hook `arm` added with the same argument.
            unsafe {
                sys::napi_remove_env_cleanup_hook(self.env, Some(shut_down), as_arg(self.fd))
            };
        }
    }
}

fn as_arg(fd: RawFd) -> *mut c_void {
    fd as usize as *mut c_void
}

unsafe extern "C" fn shut_down(arg: *mut c_void) {
    // SAFETY: the descriptor is still open (the hook is removed before it
    // is closed); shutdown only ends the connection.
    unsafe { libc::shutdown(arg as usize as RawFd, libc::SHUT_RDWR) };
}
