//! The process's only tokio runtime, and the only place that blocks on it.
//!
//! The runtime is created lazily (nothing runs at `import middleware`) and is
//! tagged with the pid that made it: after `fork()` the child has none of the
//! parent's worker threads, so it builds a fresh runtime instead of waiting
//! forever on the old one (the parent's is leaked in the child, never dropped,
//! since dropping it would try to join threads that do not exist there).

#![allow(clippy::disallowed_methods)] // this module is the sanctioned owner of the runtime

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::runtime::{Builder, Runtime};
use tokio::sync::watch;

use crate::sync::Locked;

struct Owned {
    pid: u32,
    runtime: Arc<Runtime>,
}

static RUNTIME: Mutex<Option<Owned>> = Mutex::new(None);

/// How often a blocked caller checks for Ctrl-C.
pub const SIGNAL_POLL: Duration = Duration::from_millis(100);

/// The runtime for this process, built on first use and rebuilt after fork.
pub fn get() -> Arc<Runtime> {
    let pid = std::process::id();
    let mut slot = RUNTIME.locked();
    match slot.as_ref() {
        Some(owned) if owned.pid == pid => owned.runtime.clone(),
        _ => {
            if let Some(stale) = slot.take() {
                // Inherited through fork: its threads are gone, so never drop it.
                std::mem::forget(stale.runtime);
            }
            let runtime = Arc::new(
                Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("middleware-io")
                    .enable_all()
                    .build()
                    .expect("cannot start the tokio runtime (out of threads or file descriptors?)"),
            );
            *slot = Some(Owned { pid, runtime: runtime.clone() });
            runtime
        }
    }
}

/// A number that changes whenever the runtime is rebuilt (i.e. after fork):
/// caches holding runtime-bound resources (connection pools) key on it.
pub fn generation() -> u32 {
    std::process::id()
}

/// Runs a background task on the one runtime (e.g. a connection driver).
pub fn spawn<F>(future: F) -> tokio::task::JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    get().spawn(future)
}

/// Blocks the calling thread until `future` completes. For the CLI and tests;
/// Python goes through [`block_on_interruptible`].
pub fn block_on<F: Future>(future: F) -> F::Output {
    get().block_on(future)
}

/// Why work was asked to stop.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Signal {
    #[default]
    Running,
    /// The user asked it to stop (Ctrl-C, a cancelled asyncio task): an error.
    Interrupt,
    /// Whoever reads the rows has all it wants (a stream closed early): a
    /// normal end, after the server stopped the statement.
    Enough,
}

/// Tells interruptible work that it should stop, and why.
#[derive(Clone, Debug)]
pub struct Interrupt(watch::Receiver<Signal>);

/// Fires an [`Interrupt`].
#[derive(Debug)]
pub struct Trigger(watch::Sender<Signal>);

impl Trigger {
    pub fn interrupt(&self) {
        let _ = self.0.send(Signal::Interrupt);
    }

    pub fn enough(&self) {
        let _ = self.0.send(Signal::Enough);
    }
}

impl Interrupt {
    /// Resolves once a stop was requested, with why; never resolves otherwise.
    pub async fn requested(&mut self) -> Signal {
        loop {
            let signal = *self.0.borrow_and_update();
            if signal != Signal::Running {
                return signal;
            }
            if self.0.changed().await.is_err() {
                // The blocking side is gone: nobody can interrupt any more.
                return std::future::pending().await;
            }
        }
    }

    /// An interrupt and the switch that fires it (e.g. an asyncio task's
    /// cancellation, or a stream's end).
    pub fn new() -> (Trigger, Interrupt) {
        let (tx, rx) = watch::channel(Signal::Running);
        (Trigger(tx), Interrupt(rx))
    }

    /// An interrupt that never fires, for callers without a signal source.
    pub fn never() -> Self {
        let (tx, rx) = watch::channel(Signal::Running);
        std::mem::forget(tx);
        Interrupt(rx)
    }
}

/// How long interrupted work may take to clean up (send a CancelRequest and
/// drain) before it is dropped: the user expects their prompt back at once.
pub const INTERRUPT_GRACE: Duration = Duration::from_millis(350);

/// The single blocking choke point for callers that can be interrupted.
///
/// `work` receives an [`Interrupt`] it may watch to stop cleanly. Every
/// [`SIGNAL_POLL`] `poll_signal` is called (Python re-attaches and runs
/// `check_signals()` there); when it returns an error the interrupt fires, the
/// work gets [`INTERRUPT_GRACE`] to finish, and the error is returned.
pub fn block_on_interruptible<F, W, E>(work: W, poll_signal: impl FnMut() -> Result<(), E>) -> Result<F::Output, E>
where
    W: FnOnce(Interrupt) -> F,
    F: Future,
{
    Driver::Shared.block_on_interruptible(work, poll_signal)
}

/// Who drives a connection's IO.
///
/// `Shared`: the process's runtime, whose worker threads read the socket and
/// hand results to the waiting thread (what asyncio and the CLI use). `Own`:
/// a single-threaded runtime of the connection's own, driven by whichever
/// thread waits on it, as libpq is: a statement's round trip then costs one
/// thread wake-up instead of four or five, about 20 µs less a call.
#[derive(Clone)]
pub enum Driver {
    Shared,
    Own(Arc<Local>),
}

/// A connection's own runtime. Between calls nothing drives it (a blocking
/// client reads only when asked); work that must go on after its caller
/// left (a stream's cancel) is driven by [`Driver::detach`].
pub struct Local(Option<Runtime>, u32);

impl Drop for Local {
    fn drop(&mut self) {
        let Some(runtime) = self.0.take() else { return };
        if self.1 != std::process::id() {
            // A forked child's copy shares its epoll instance with the
            // parent: deregistering the socket here would unhook the
            // parent's connection. Leaked, as the shared runtime is.
            std::mem::forget(runtime);
            return;
        }
        // Dropping a runtime waits for its tasks, which may not be allowed
        // on this thread (inside another runtime); its connection is closed
        // with it either way.
        runtime.shutdown_background();
    }
}

impl Driver {
    /// A runtime of one connection's own.
    pub fn own() -> std::io::Result<Driver> {
        let runtime = Builder::new_current_thread().enable_all().build()?;
        Ok(Driver::Own(Arc::new(Local(Some(runtime), std::process::id()))))
    }

    /// Runs `future` on this driver's runtime in the background.
    pub fn spawn<F>(&self, future: F) -> tokio::task::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match self {
            Driver::Shared => get().spawn(future),
            Driver::Own(local) => local.0.as_ref().expect("alive").spawn(future),
        }
    }

    /// Blocks the calling thread until `future` completes, driving the
    /// connection's IO meanwhile when it has its own runtime.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        match self {
            Driver::Shared => get().block_on(future),
            Driver::Own(local) => local.0.as_ref().expect("alive").block_on(future),
        }
    }

    /// [`block_on_interruptible`] on this driver.
    pub fn block_on_interruptible<F, W, E>(
        &self,
        work: W,
        mut poll_signal: impl FnMut() -> Result<(), E>,
    ) -> Result<F::Output, E>
    where
        W: FnOnce(Interrupt) -> F,
        F: Future,
    {
        let (trigger, interrupt) = Interrupt::new();
        let future = work(interrupt);
        self.block_on(async move {
            tokio::pin!(future);
            // Starting one period from now: awaiting an immediate first tick
            // still waits for the timer driver (up to 1 ms a call).
            let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + SIGNAL_POLL, SIGNAL_POLL);
            loop {
                tokio::select! {
                    biased;
                    output = &mut future => return Ok(output),
                    _ = tick.tick() => {
                        if let Err(signal) = poll_signal() {
                            trigger.interrupt();
                            let _ = tokio::time::timeout(INTERRUPT_GRACE, &mut future).await;
                            return Err(signal);
                        }
                    }
                }
            }
        })
    }

    /// Lets an own runtime catch up, without waiting, with what already
    /// arrived (the server closing an idle connection): nothing drives it
    /// between calls. A few passes of its scheduler, each polling the socket.
    pub fn settle(&self) {
        if let Driver::Own(_) = self {
            self.block_on(async {
                for _ in 0..3 {
                    tokio::task::yield_now().await;
                }
            });
        }
    }

    /// Lets `task` finish after its caller left: on an own runtime a thread
    /// of the shared runtime's blocking pool drives it until it ends (a
    /// stream's cancel and drain, a few milliseconds); on the shared
    /// runtime it runs by itself.
    pub fn detach<T: Send + 'static>(&self, task: tokio::task::JoinHandle<T>) {
        if let Driver::Own(local) = self {
            let local = local.clone();
            get().spawn_blocking(move || {
                let _ = Driver::Own(local).block_on(task);
            });
        }
    }

    /// Runs `work` to completion on this driver, from inside an async caller
    /// on the shared runtime: an own runtime is driven by a thread of the
    /// shared runtime's blocking pool for the time it takes (a login).
    pub async fn run<F, T>(&self, work: F) -> crate::Result<T>
    where
        F: Future<Output = crate::Result<T>> + Send + 'static,
        T: Send + 'static,
    {
        let driver = self.clone();
        match self {
            Driver::Shared => work.await,
            Driver::Own(_) => tokio::task::spawn_blocking(move || driver.block_on(work))
                .await
                .unwrap_or_else(|e| Err(crate::Error::Operational(format!("connecting stopped unexpectedly: {e}")))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn one_runtime_per_process() {
        assert!(Arc::ptr_eq(&get(), &get()));
        assert_eq!(block_on(async { 21 * 2 }), 42);
    }

    #[test]
    fn interruptible_work_completes_when_no_signal() {
        let out: Result<i32, ()> = block_on_interruptible(|_| async { 7 }, || Ok(()));
        assert_eq!(out, Ok(7));
    }

    #[test]
    fn a_signal_fires_the_interrupt_and_lets_the_work_clean_up() {
        let cleaned = Arc::new(AtomicUsize::new(0));
        let seen = cleaned.clone();
        let polls = AtomicUsize::new(0);
        let out: Result<(), &str> = block_on_interruptible(
            move |mut interrupt| async move {
                interrupt.requested().await;
                seen.fetch_add(1, Ordering::SeqCst);
            },
            || {
                if polls.fetch_add(1, Ordering::SeqCst) >= 2 { Err("ctrl-c") } else { Ok(()) }
            },
        );
        assert_eq!(out, Err("ctrl-c"));
        assert_eq!(cleaned.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn work_that_ignores_the_interrupt_is_dropped_after_the_grace() {
        let started = std::time::Instant::now();
        let out: Result<(), &str> = block_on_interruptible(|_| std::future::pending::<()>(), || Err("ctrl-c"));
        assert_eq!(out, Err("ctrl-c"));
        assert!(started.elapsed() < SIGNAL_POLL + INTERRUPT_GRACE + Duration::from_millis(500));
    }
}
