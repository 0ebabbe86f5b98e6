//! Lock helpers. A poisoned mutex only means another thread panicked while
//! holding it; the data in ours stays consistent (every critical section is
//! a plain read or replace), so the guard is taken anyway.

use std::sync::{Mutex, MutexGuard, PoisonError};

pub trait Locked<T> {
    /// The guard, whether or not another thread panicked while holding it.
    fn locked(&self) -> MutexGuard<'_, T>;
}

impl<T> Locked<T> for Mutex<T> {
    fn locked(&self) -> MutexGuard<'_, T> {
        self.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
