//! Part of the search stage: values that each rayon worker thread keeps while documents are made
//! (a tokenizer with its caches, its term weights), from the render pass on in a one-shot build.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// One value per rayon worker thread, alive while documents are made. A tokenizer's caches of stems and
/// spans then warm up once per thread: `map_init` makes one per rayon job, and filling and dropping
/// those caches again and again was a third of the stage's time.
pub struct PerThread<T>(Vec<Mutex<T>>);

impl<T> PerThread<T> {
    pub fn new(make: impl Fn() -> T) -> PerThread<T> {
        let threads = rayon::current_num_threads().max(1);
        PerThread((0..threads).map(|_| Mutex::new(make())).collect())
    }

    /// Runs `f` with this thread's value. `f` must not block on other rayon work, so the lock is
    /// never held by a job that is waiting for another job on the same thread.
    pub fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        let slot = rayon::current_thread_index().unwrap_or(0) % self.0.len();
        f(&mut lock(&self.0[slot]))
    }
}

/// A lock whose holder panicked still guards whole values (each is replaced in one assignment).
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
