//! The gRPC listener's connections: at most `max` open at once, and each closed after
//! `idle` without a request, so that idle clients cannot hold the descriptors the HTTP
//! listener needs (the HTTP listener closes a connection that sends no request head in
//! 10 s).
//!
//! [`accept`] accepts, closes at once a connection over the limit, and hands the others
//! to tonic as [`GrpcIo`]: the stream, the permit that counts it, and an idle timer that
//! ends the stream (end of file, so the HTTP/2 connection closes) when no request has
//! been in flight for `idle`. The handler marks requests through [`ConnectionInfo`], the
//! request extension tonic gives it. HTTP/2 pings keep nothing open: only requests do.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

/// The limits of the gRPC listener.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Connections open at once.
    pub max: usize,
    /// How long a connection may stay without a request.
    pub idle: Duration,
}

/// When the connection last had a request, and how many it has in flight.
#[derive(Debug)]
pub struct Activity {
    /// Milliseconds from `opened` to the end of the last request.
    last_request_ms: AtomicU64,
    in_flight: AtomicUsize,
    opened: Instant,
}

impl Activity {
    fn new() -> Self {
        Activity {
            last_request_ms: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            opened: Instant::now(),
        }
    }

    /// Marks a request in flight until the guard is dropped.
    pub fn begin(self: &Arc<Self>) -> RequestGuard {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        RequestGuard {
            activity: self.clone(),
        }
    }

    /// When the connection becomes idle at the earliest (`None`: it is idle now).
    fn idle_at(&self, idle: Duration, now: Instant) -> Option<Instant> {
        if self.in_flight.load(Ordering::SeqCst) > 0 {
            return Some(now + idle);
        }
        let last = self.opened + Duration::from_millis(self.last_request_ms.load(Ordering::SeqCst));
        let at = last + idle;
        (at > now).then_some(at)
    }
}

/// A request in flight on a connection; its end is the connection's last activity.
pub struct RequestGuard {
    activity: Arc<Activity>,
}

impl Drop for RequestGuard {
    fn drop(&mut self) {
        let elapsed = self.activity.opened.elapsed().as_millis();
        let elapsed = u64::try_from(elapsed).unwrap_or(u64::MAX);
        self.activity
            .last_request_ms
            .fetch_max(elapsed, Ordering::SeqCst);
        self.activity.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// What a request on a gRPC connection knows of it (tonic's request extension).
#[derive(Debug, Clone)]
pub struct ConnectionInfo {
    pub activity: Arc<Activity>,
}

/// One accepted gRPC connection.
pub struct GrpcIo {
    stream: TcpStream,
    activity: Arc<Activity>,
    idle: Duration,
    timer: Pin<Box<Sleep>>,
    _permit: OwnedSemaphorePermit,
}

impl tonic::transport::server::Connected for GrpcIo {
    type ConnectInfo = ConnectionInfo;

    fn connect_info(&self) -> ConnectionInfo {
        ConnectionInfo {
            activity: self.activity.clone(),
        }
    }
}

impl AsyncRead for GrpcIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Poll::Ready(read) = Pin::new(&mut this.stream).poll_read(cx, buf) {
            return Poll::Ready(read);
        }
        loop {
            if this.timer.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            match this.activity.idle_at(this.idle, Instant::now()) {
                Some(at) => this.timer.as_mut().reset(at),
                None => {
                    tracing::debug!("gRPC connection idle: closed");
                    // End of file, with nothing read: the connection ends.
                    return Poll::Ready(Ok(()));
                }
            }
        }
    }
}

impl AsyncWrite for GrpcIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

/// Accepts connections on `listener` until the receiver is dropped, sending those within
/// the limit; one over the limit is closed at once (and counted in the log at debug).
pub async fn accept(
    listener: TcpListener,
    limits: ConnectionLimits,
    accepted: mpsc::Sender<io::Result<GrpcIo>>,
) {
    let permits = Arc::new(Semaphore::new(limits.max));
    loop {
        let stream = tokio::select! {
            result = listener.accept() => match result {
                Ok((stream, _)) => stream,
                Err(error) => {
                    // Out of file descriptors, most likely: wait instead of spinning.
                    tracing::warn!("gRPC accept failed: {error}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = accepted.closed() => return,
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            tracing::debug!(max = limits.max, "gRPC connection over the limit: closed");
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let io = GrpcIo {
            stream,
            activity: Arc::new(Activity::new()),
            idle: limits.idle,
            timer: Box::pin(tokio::time::sleep(limits.idle)),
            _permit: permit,
        };
        if accepted.send(Ok(io)).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_after_the_last_request_ends_never_during_one() {
        let activity = Arc::new(Activity::new());
        let idle = Duration::from_secs(10);
        let opened = activity.opened;
        assert_eq!(activity.idle_at(idle, opened), Some(opened + idle));
        assert_eq!(activity.idle_at(idle, opened + idle), None);
        // A request in flight keeps it open, however long it takes.
        let guard = activity.begin();
        let late = opened + Duration::from_secs(300);
        assert_eq!(activity.idle_at(idle, late), Some(late + idle));
        std::thread::sleep(Duration::from_millis(20));
        drop(guard);
        // Then idle counts from the request's end.
        let ended = activity.idle_at(idle, opened).expect("not idle yet");
        assert!(ended >= opened + idle + Duration::from_millis(20));
        assert_eq!(activity.idle_at(idle, ended), None);
    }
}
