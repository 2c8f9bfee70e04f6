//! Panics in request handlers: none is expected on any input, and if one happens anyway it
//! becomes a logged internal error (HTTP 500, gRPC `INTERNAL`) for that request only.
//!
//! [`install_hook`] replaces the default panic hook, which prints the message (and a
//! backtrace with `RUST_BACKTRACE`) on stderr, outside the log and its rate limit: a
//! panic is logged once, at error, through `tracing`. [`CatchPanic`] turns a handler's
//! panic into an `Err` its front end answers.

use std::any::Any;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Once;
use std::task::{Context, Poll};

/// Sends panic messages to the log instead of stderr (once per process).
pub fn install_hook() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let location = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()))
                .unwrap_or_default();
            tracing::error!(
                location = %location,
                "internal error (a panic): {}",
                message(info.payload())
            );
        }));
    });
}

/// The text of a panic's payload.
pub fn message(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic without a message")
}

/// A future that resolves to `Err(())` when the future it runs panics (the panic is
/// logged by the hook), and to `Ok(output)` otherwise.
pub struct CatchPanic<F> {
    inner: Pin<Box<F>>,
}

impl<F: Future> CatchPanic<F> {
    pub fn new(inner: F) -> Self {
        CatchPanic {
            inner: Box::pin(inner),
        }
    }
}

impl<F: Future> Future for CatchPanic<F> {
    type Output = Result<F::Output, ()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.inner.as_mut();
        // The future is dropped after a panic, never polled again: whatever state it left
        // is not observed.
        match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(_) => Poll::Ready(Err(())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_future_becomes_an_error_and_others_pass_through() {
        assert_eq!(CatchPanic::new(async { 7 }).await, Ok(7));
        let failed = CatchPanic::new(async {
            tokio::task::yield_now().await;
            let entries: Vec<u8> = Vec::new();
            entries[3]
        })
        .await;
        assert_eq!(failed, Err(()));
    }

    #[test]
    fn messages_of_both_payload_kinds() {
        let text: Box<dyn Any + Send> = Box::new("static");
        assert_eq!(message(&*text), "static");
        let owned: Box<dyn Any + Send> = Box::new(String::from("owned"));
        assert_eq!(message(&*owned), "owned");
        let other: Box<dyn Any + Send> = Box::new(3_u8);
        assert_eq!(message(&*other), "a panic without a message");
    }

    /// Run as a child process by the test below: a panic with the hook installed.
    #[test]
    fn child_panics_with_the_hook() {
        if std::env::var_os("ORIGIN_POLICY_PANIC_CHILD").is_none() {
            return;
        }
        install_hook();
        let caught = std::thread::spawn(|| {
            let _ = catch_unwind(|| panic!("boom from the child"));
        })
        .join();
        assert!(caught.is_ok());
    }

    #[test]
    fn the_hook_writes_no_backtrace_on_stderr() {
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "panics::tests::child_panics_with_the_hook"])
            .args(["--nocapture", "--test-threads", "1"])
            .env("ORIGIN_POLICY_PANIC_CHILD", "1")
            .env("RUST_BACKTRACE", "1")
            .output()
            .unwrap();
        assert!(output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("panicked at"), "{stderr}");
        assert!(!stderr.contains("stack backtrace"), "{stderr}");
        assert!(!stderr.contains("boom from the child"), "{stderr}");
        // Control: without the hook the same panic is on stderr, so the test can fail.
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "panics::tests::child_panics_without_the_hook"])
            .args(["--nocapture", "--test-threads", "1"])
            .env("ORIGIN_POLICY_PANIC_CHILD", "1")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("boom without the hook"), "{stderr}");
    }

    /// The control of the test above.
    #[test]
    fn child_panics_without_the_hook() {
        if std::env::var_os("ORIGIN_POLICY_PANIC_CHILD").is_none() {
            return;
        }
        let _ = std::thread::spawn(|| panic!("boom without the hook")).join();
    }
}
