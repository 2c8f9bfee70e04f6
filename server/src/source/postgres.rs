//! The PostgreSQL tenant source of `serve --postgres`: one task that keeps the store equal
//! to the table.
//!
//! A session connects, `LISTEN`s, and only then reads: the snapshot the first time, else
//! everything changed above the watermark (what was missed while disconnected). Then each
//! notification above the watermark triggers a catch-up (the same query), and so does a
//! timer (the periodic resync). A lost connection ends the session; the next one starts
//! after a backoff doubling from 100 ms to at most 5 s. Notifications are only a signal:
//! what is applied is always what the query read, so a lost, late or repeated notification
//! changes nothing but when a change arrives.

use std::convert::Infallible;
use std::future::poll_fn;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use origin_policy::store::{TenantUpdate, Version};
use serde::Deserialize;
use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, Client, Config, NoTls};

use crate::db::build::{self, Built};
use crate::db::metrics::PostgresMetrics;
use crate::db::rows::{self, Change, RowError};
use crate::db::CHANNEL;
use crate::feed::SourceFeed;
use crate::metrics::Metrics;

/// The first wait after a lost connection.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
/// The longest wait between two connection attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How long one query may take before the connection is taken for dead.
const QUERY_TIMEOUT: Duration = Duration::from_secs(30);
/// How many older versions one fallback query reads.
const FALLBACK_PAGE: i64 = 16;

/// The connection settings of `--postgres`, checked at start-up.
#[derive(Debug, Clone)]
pub struct PostgresConfig {
    config: Config,
}

impl PostgresConfig {
    /// Reads a `postgresql://` URL or `key=value` pairs, as `tokio_postgres::Config` does.
    pub fn parse(text: &str) -> Result<PostgresConfig, tokio_postgres::Error> {
        let mut config = Config::from_str(text)?;
        config.application_name("origin-policy-server");
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(MAX_BACKOFF);
        }
        Ok(PostgresConfig { config })
    }
}

/// Keeps the store equal to the table, forever, through its [`SourceFeed`], which it tells
/// when the first snapshot is applied (readiness).
pub struct PostgresSource {
    config: Config,
    resync_every: Duration,
    metrics: Arc<Metrics>,
    /// The newest version applied; `None` until the snapshot.
    watermark: Option<Version>,
}

/// Why a session ended.
#[derive(Debug)]
enum SessionError {
    Connect(tokio_postgres::Error),
    Rows(RowError),
    Closed(Option<tokio_postgres::Error>),
    Timeout,
    Build(tokio::task::JoinError),
}

impl std::fmt::Display for SessionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (what, error): (&str, Option<&dyn std::error::Error>) = match self {
            SessionError::Connect(error) => ("cannot connect", Some(error)),
            SessionError::Rows(error) => ("query failed", Some(error)),
            SessionError::Closed(error) => (
                "connection lost",
                error.as_ref().map(|e| e as &dyn std::error::Error),
            ),
            SessionError::Timeout => ("no answer in time", None),
            SessionError::Build(error) => ("policy build task failed", Some(error)),
        };
        f.write_str(what)?;
        // tokio-postgres says "db error" and keeps the server's message as the source.
        let mut next = error;
        while let Some(error) = next {
            write!(f, ": {error}")?;
            next = error.source();
        }
        Ok(())
    }
}

impl From<RowError> for SessionError {
    fn from(error: RowError) -> Self {
        SessionError::Rows(error)
    }
}

/// What the connection task passes on.
enum Event {
    /// A notification on the channel, with the version it announces when it could be read.
    Notified(Option<Version>),
    /// The connection ended.
    Closed(Option<tokio_postgres::Error>),
}

/// The payload of the trigger's notification.
#[derive(Deserialize)]
struct Payload {
    version: Version,
}

/// How a catch-up was started, for the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cause {
    Notification,
    Resync,
}

impl PostgresSource {
    pub fn new(config: PostgresConfig, resync_every: Duration, metrics: Arc<Metrics>) -> Self {
        PostgresSource {
            config: config.config,
            resync_every,
            metrics,
            watermark: None,
        }
    }

    fn counters(&self) -> &PostgresMetrics {
        self.metrics.postgres()
    }

    /// Runs sessions one after the other, forever.
    pub async fn run(mut self, mut feed: SourceFeed) {
        let mut backoff = FIRST_BACKOFF;
        loop {
            let started = Instant::now();
            let error = match self.session(&mut feed).await {
                Err(error) => error,
                Ok(never) => match never {},
            };
            tracing::warn!(error = %error, "postgres feed: session ended; reconnecting");
            self.counters().reconnects.inc();
            // A session that lasted (it connected and caught up) starts the backoff over.
            if started.elapsed() > MAX_BACKOFF {
                backoff = FIRST_BACKOFF;
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    /// One connection: LISTEN, read, then follow notifications and the resync timer until
    /// the connection fails.
    async fn session(&mut self, feed: &mut SourceFeed) -> Result<Infallible, SessionError> {
        let (mut client, mut connection) = self
            .config
            .connect(NoTls)
            .await
            .map_err(SessionError::Connect)?;
        let (events, mut received) = mpsc::unbounded_channel();
        let driver = tokio::spawn(async move {
            loop {
                let event = match poll_fn(|cx| connection.poll_message(cx)).await {
                    Some(Ok(AsyncMessage::Notification(notification))) => Event::Notified(
                        serde_json::from_str::<Payload>(notification.payload())
                            .ok()
                            .map(|payload| payload.version),
                    ),
                    Some(Ok(_notice)) => continue,
                    Some(Err(error)) => Event::Closed(Some(error)),
                    None => Event::Closed(None),
                };
                let closed = matches!(event, Event::Closed(_));
                if events.send(event).is_err() || closed {
                    break;
                }
            }
        });
        let _driver = AbortOnDrop(driver);

        timed(client.batch_execute(&format!("LISTEN {CHANNEL}")))
            .await?
            .map_err(|error| SessionError::Rows(error.into()))?;
        match self.watermark {
            None => self.load_snapshot(&mut client, feed).await?,
            Some(_) => self.catch_up(&client, feed, Cause::Resync).await?,
        }
        let mut resync = tokio::time::interval(self.resync_every);
        resync.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        resync.tick().await;
        loop {
            tokio::select! {
                event = received.recv() => match event {
                    Some(Event::Notified(version)) => {
                        // Everything already queued is covered by one catch-up.
                        let mut behind = self.note_notification(version);
                        while let Ok(event) = received.try_recv() {
                            match event {
                                Event::Notified(version) => {
                                    behind |= self.note_notification(version);
                                }
                                Event::Closed(error) => return Err(SessionError::Closed(error)),
                            }
                        }
                        if behind {
                            self.catch_up(&client, feed, Cause::Notification).await?;
                        }
                    }
                    Some(Event::Closed(error)) => return Err(SessionError::Closed(error)),
                    None => return Err(SessionError::Closed(None)),
                },
                _ = resync.tick() => self.catch_up(&client, feed, Cause::Resync).await?,
            }
        }
    }

    /// Every tenant, in one atomic step; then the replica is ready.
    async fn load_snapshot(
        &mut self,
        client: &mut Client,
        feed: &mut SourceFeed,
    ) -> Result<(), SessionError> {
        let started = Instant::now();
        let (changes, newest) = timed(rows::snapshot(client)).await??;
        let read = started.elapsed();
        let built = build_in_parallel(changes).await?;
        let updates = self.with_fallbacks(client, feed, built).await?;
        let tenants = updates.len();
        let read_and_built = started.elapsed();
        let report = feed.apply_versioned(updates);
        self.advance(newest);
        let elapsed = started.elapsed();
        self.counters().snapshot_seconds.set(elapsed.as_secs_f64());
        feed.first_read_done();
        tracing::info!(
            tenants,
            applied = report.applied,
            version = newest,
            seconds = elapsed.as_secs_f64(),
            query_seconds = read.as_secs_f64(),
            build_seconds = (read_and_built - read).as_secs_f64(),
            "postgres feed: snapshot loaded"
        );
        Ok(())
    }

    /// Applies everything changed above the watermark.
    async fn catch_up(
        &mut self,
        client: &Client,
        feed: &SourceFeed,
        cause: Cause,
    ) -> Result<(), SessionError> {
        let since = self.watermark.unwrap_or(0);
        let changes = timed(rows::changes_since(client, since)).await??;
        if cause == Cause::Resync {
            self.counters().resyncs.inc();
        }
        let Some(newest) = changes.iter().map(|change| change.version).max() else {
            return Ok(());
        };
        let built = build_in_parallel(changes).await?;
        let updates = self.with_fallbacks(client, feed, built).await?;
        let report = feed.apply_versioned(updates);
        match cause {
            Cause::Notification => self
                .counters()
                .notifications_applied
                .inc_by(report.applied as u64),
            Cause::Resync => self.counters().resync_applied.inc_by(report.applied as u64),
        };
        self.advance(newest);
        tracing::debug!(
            since,
            newest,
            applied = report.applied,
            stale = report.stale,
            ?cause,
            "postgres feed: caught up"
        );
        Ok(())
    }

    /// The updates of `built`, and for each refused change the tenant's newest older
    /// version that builds (or its deletion), so that every replica ends on the same
    /// version whatever it saw before: a replica already holding that version keeps it.
    async fn with_fallbacks(
        &self,
        client: &Client,
        feed: &SourceFeed,
        built: Built,
    ) -> Result<Vec<TenantUpdate<String>>, SessionError> {
        let Built {
            mut updates,
            refused,
        } = built;
        for refused in refused {
            let held = feed.store().version(refused.tenant.as_str());
            let origin = format!("version {}", refused.version);
            feed.reject(&refused.tenant, &origin, &refused.error);
            if let Some(update) = self
                .newest_that_builds(client, &refused.tenant, refused.version, held)
                .await?
            {
                updates.push(update);
            }
        }
        Ok(updates)
    }

    /// The newest version of `tenant` below `below` that builds, looking no lower than the
    /// version the store holds (which built when it was applied).
    async fn newest_that_builds(
        &self,
        client: &Client,
        tenant: &str,
        mut below: Version,
        held: Option<Version>,
    ) -> Result<Option<TenantUpdate<String>>, SessionError> {
        loop {
            if held.is_some_and(|held| held + 1 >= below) {
                return Ok(None);
            }
            let older: Vec<Change> =
                timed(rows::versions_below(client, tenant, below, FALLBACK_PAGE)).await??;
            let Some(lowest) = older.last().map(|change| change.version) else {
                return Ok(None);
            };
            let full_page = older.len() as i64 == FALLBACK_PAGE;
            if let Some(update) = off_runtime(move || build::first_that_builds(older)).await? {
                return Ok(Some(update));
            }
            if !full_page {
                return Ok(None);
            }
            below = lowest;
        }
    }

    /// Counts a notification; whether it announces a version above the watermark (or one
    /// that could not be read, which is taken as such).
    fn note_notification(&self, version: Option<Version>) -> bool {
        self.counters().notifications.inc();
        self.announce(version);
        version.is_none_or(|version| Some(version) > self.watermark)
    }

    /// Records that versions up to `version` are applied.
    fn advance(&mut self, version: Version) {
        let watermark = self.watermark.map_or(version, |held| held.max(version));
        self.watermark = Some(watermark);
        self.counters().applied_version.set(gauge_value(watermark));
        self.announce(Some(watermark));
    }

    /// Records the newest version the database announced, for the lag gauge.
    fn announce(&self, version: Option<Version>) {
        let announced = self
            .counters()
            .announced_version
            .get()
            .max(version.map_or(0, gauge_value));
        self.counters().announced_version.set(announced);
        let applied = self.watermark.map_or(0, gauge_value);
        self.counters()
            .version_lag
            .set(announced.saturating_sub(applied).max(0));
    }
}

fn gauge_value(version: Version) -> i64 {
    i64::try_from(version).unwrap_or(i64::MAX)
}

/// `future`, or [`SessionError::Timeout`] after [`QUERY_TIMEOUT`].
async fn timed<T>(future: impl std::future::Future<Output = T>) -> Result<T, SessionError> {
    tokio::time::timeout(QUERY_TIMEOUT, future)
        .await
        .map_err(|_| SessionError::Timeout)
}

/// Runs CPU work (policy builds) on the blocking pool, off the runtime's workers.
async fn off_runtime<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, SessionError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(SessionError::Build)
}

/// Changes below this count are built by one blocking task; above, by one per core.
const PARALLEL_ABOVE: usize = 1024;

/// Builds `changes` on the blocking pool, split over the cores when there are many (a
/// snapshot: 100,000 tenants take seconds on one core), in their order.
async fn build_in_parallel(mut changes: Vec<Change>) -> Result<Built, SessionError> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    if changes.len() <= PARALLEL_ABOVE || cores == 1 {
        return off_runtime(move || build::build_changes(changes)).await;
    }
    let chunk = changes.len().div_ceil(cores);
    let mut tasks = Vec::with_capacity(cores);
    while !changes.is_empty() {
        let rest = changes.split_off(chunk.min(changes.len()));
        let part = std::mem::replace(&mut changes, rest);
        tasks.push(tokio::task::spawn_blocking(move || {
            build::build_changes(part)
        }));
    }
    let mut built = Built::default();
    for task in tasks {
        let part = task.await.map_err(SessionError::Build)?;
        built.updates.extend(part.updates);
        built.refused.extend(part.refused);
    }
    Ok(built)
}

/// Stops the connection task when its session ends.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::rows::StoredPolicy;
    use crate::policy_file::Format;

    #[tokio::test]
    async fn a_parallel_build_keeps_the_order_and_every_refusal() {
        let changes: Vec<Change> = (0..3 * PARALLEL_ABOVE as u64)
            .map(|version| Change {
                tenant: format!("t{version}"),
                version,
                policy: Some(StoredPolicy {
                    text: if version % 1000 == 7 {
                        "live = [\"http://bad.example\"]".to_owned()
                    } else {
                        format!("live = [\"https://t{version}.example\"]")
                    },
                    format: Format::Toml,
                }),
            })
            .collect();
        let built = build_in_parallel(changes).await.unwrap();
        let refused: Vec<Version> = built.refused.iter().map(|r| r.version).collect();
        assert_eq!(refused, [7, 1007, 2007, 3007]);
        let versions: Vec<Version> = built.updates.iter().map(|u| u.version).collect();
        let expected: Vec<Version> = (0..3 * PARALLEL_ABOVE as u64)
            .filter(|version| version % 1000 != 7)
            .collect();
        assert_eq!(versions, expected);
    }
}
