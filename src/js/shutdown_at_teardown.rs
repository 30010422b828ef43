//! A connection still open when its env goes away (a worker thread ending,
//! say) is ended then, so the daemon sees it end and lets go of what the
//! connection owned (protocol §2.1), and its descriptor is closed. Calls and
//! `next()`s still waiting hold the connection (their promises can no longer
//! settle), so nothing else would end it. No JS runs at teardown: the action
//! is the connection's own Rust (a shutdown and a close).

use std::cell::{Cell, RefCell};
use std::ffi::c_void;
use std::rc::Rc;

use napi::bindgen_prelude::*;
use napi::sys;

pub struct ShutdownAtTeardown {
    env: sys::napi_env,
    state: Rc<HookState>,
    /// The hook's argument: a counted pointer to `state`, owned by the hook
    /// while it is registered.
    arg: *mut c_void,
}

struct HookState {
    armed: Cell<bool>,
    action: RefCell<Option<Box<dyn FnOnce()>>>,
}

impl ShutdownAtTeardown {
    /// Runs `at_teardown` if `env` goes away before `disarm`.
    pub fn arm(env: &Env, at_teardown: impl FnOnce() + 'static) -> ShutdownAtTeardown {
        let state = Rc::new(HookState {
            armed: Cell::new(false),
            action: RefCell::new(Some(Box::new(at_teardown))),
        });
        let arg = Rc::into_raw(state.clone()).cast_mut().cast::<c_void>();
        // SAFETY: the argument stays valid until the hook runs or is removed.
        let status = unsafe { sys::napi_add_env_cleanup_hook(env.raw(), Some(run), arg) };
        if status == sys::Status::napi_ok {
            state.armed.set(true);
        } else {
            // SAFETY: not registered: the pointer made above is taken back.
            drop(unsafe { Rc::from_raw(arg.cast::<HookState>().cast_const()) });
        }
        ShutdownAtTeardown {
            env: env.raw(),
            state,
            arg,
        }
    }

    /// The connection ended by itself: no hook any more (idempotent).
    pub fn disarm(&self) {
        if self.state.armed.replace(false) {
            self.state.action.borrow_mut().take();
            // SAFETY: removes the hook `arm` added with the same argument,
            // then takes back the pointer the hook owned.
            unsafe {
                sys::napi_remove_env_cleanup_hook(self.env, Some(run), self.arg);
                drop(Rc::from_raw(self.arg.cast::<HookState>().cast_const()));
            }
        }
    }
}

unsafe extern "C" fn run(arg: *mut c_void) {
    // SAFETY: the pointer `arm` registered; the hook runs once, on the env's
    // thread, and owns it from here.
    let state = unsafe { Rc::from_raw(arg.cast::<HookState>().cast_const()) };
    if state.armed.replace(false) {
        let action = state.action.borrow_mut().take();
        if let Some(action) = action {
            // No unwinding into the host.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(action));
        }
    }
}
