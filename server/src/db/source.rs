//! The PostgreSQL tenant source of `serve --postgres`: one task that keeps the store equal
//! to the table.
//!
//! A session connects, `LISTEN`s, and only then reads: the snapshot the first time, else
//! everything changed above the watermark (what was missed while disconnected). Then each
//! notification triggers a catch-up (the same query), and so does a timer (the periodic
//! resync). A lost connection ends the session; the next one starts after a backoff
//! doubling from 100 ms to at most 5 s. Notifications are only a hint to read again, never
//! data: their payload is not read (any role may `NOTIFY` anything), and what is applied is
//! always what the query read, so a lost, late, repeated or forged notification changes
//! nothing but when a change arrives.
//!
//! The changes a catch-up reads are built by [`Builds`]: each large policy on its own, so
//! that one tenant's large list never holds back another tenant's change, each applied as
//! its build finishes.
//!
//! Each catch-up also checks that the database is still the one this replica followed
//! (the change at the watermark is the one read; on each resync, the table's checksum
//! matches what was read: see [`integrity`]). A restore or a failover that restarted the
//! versions fails the check: the replica logs it at warn, counts it
//! (`origin_policy_db_full_reloads_total`) and reloads a full snapshot, swapped in as one
//! batch ([`SourceFeed::replace_versioned`]).

use std::convert::Infallible;
use std::future::poll_fn;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use origin_policy::store::{TenantUpdate, Version};
use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, Client, Config, NoTls};

use crate::db::build::{self, Built};
use crate::db::builds::{build_in_parallel, Builds};
use crate::db::integrity::{self, fingerprint, Read, View};
use crate::db::metrics::{PostgresMetrics, SignalLabels};
use crate::db::rows::{self, Change, RowError};
use crate::db::CHANNEL;
use crate::feed::SourceFeed;
use crate::metrics::Metrics;
use crate::policy_file::Limits;

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
    /// The newest version read; `None` until the snapshot.
    watermark: Option<Version>,
    /// The fingerprint of the change read at the watermark, to tell whether the database
    /// still has it (see [`integrity`]).
    at_watermark: Option<i64>,
    /// The newest version the database had at the last read.
    newest: Version,
    /// The table as read (each tenant's current row), for the resync's checksum.
    view: View,
    /// The builds of the changes read, applied as each finishes.
    builds: Builds,
    /// The size limits of one policy.
    limits: Limits,
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
    /// A notification on the channel. Its payload is not read: any role can `NOTIFY` with
    /// any payload, so a notification only says "read again".
    Notified,
    /// The connection ended.
    Closed(Option<tokio_postgres::Error>),
}

/// What found a database that is not the one followed, and what it found.
#[derive(Debug)]
struct Divergence {
    /// The metric label: `watermark` or `checksum`.
    signal: &'static str,
    why: String,
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
            at_watermark: None,
            newest: 0,
            view: View::default(),
            builds: Builds::with_limits(Limits::default()),
            limits: Limits::default(),
        }
    }

    /// Builds each policy within `limits` (`serve --max-policy-entries`, `--max-policy-bytes`).
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.builds = Builds::with_limits(limits);
        self.limits = limits;
        self
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

    /// One connection: LISTEN, read, then follow notifications, finished builds and the
    /// resync timer until the connection fails.
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
                    Some(Ok(AsyncMessage::Notification(_))) => Event::Notified,
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
            None => self.load_snapshot(&mut client, feed, None).await?,
            Some(_) => self.catch_up(&mut client, feed, Cause::Resync).await?,
        }
        let mut resync = tokio::time::interval(self.resync_every);
        resync.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        resync.tick().await;
        loop {
            tokio::select! {
                event = received.recv() => match event {
                    Some(Event::Notified) => {
                        // Everything already queued is covered by one catch-up.
                        self.counters().notifications.inc();
                        while let Ok(event) = received.try_recv() {
                            match event {
                                Event::Notified => {
                                    self.counters().notifications.inc();
                                }
                                Event::Closed(error) => return Err(SessionError::Closed(error)),
                            }
                        }
                        self.catch_up(&mut client, feed, Cause::Notification).await?;
                    }
                    Some(Event::Closed(error)) => return Err(SessionError::Closed(error)),
                    None => return Err(SessionError::Closed(None)),
                },
                built = self.builds.next() => self.apply_built(&client, feed, built).await?,
                _ = resync.tick() => self.catch_up(&mut client, feed, Cause::Resync).await?,
            }
        }
    }

    /// Every tenant, in one atomic step (the first time, or after the database was found
    /// restored: `diverged` says why); then the replica is ready.
    async fn load_snapshot(
        &mut self,
        client: &mut Client,
        feed: &mut SourceFeed,
        diverged: Option<Divergence>,
    ) -> Result<(), SessionError> {
        let started = Instant::now();
        let (changes, newest, at_newest) = timed(integrity::snapshot(client)).await??;
        let read = started.elapsed();
        let view = View::of_rows(&changes);
        let built = build_in_parallel(changes, self.limits)
            .await
            .map_err(SessionError::Build)?;
        // After a restore the versions held are of the old numbering: a refused row falls
        // back through the whole history.
        let trust_held = diverged.is_none();
        let updates = self.with_fallbacks(client, feed, built, trust_held).await?;
        let tenants = updates.len();
        let read_and_built = started.elapsed();
        self.builds.reset();
        feed.replace_versioned(updates);
        self.view = view;
        self.watermark = Some(newest);
        self.at_watermark = at_newest.as_ref().map(fingerprint);
        self.newest = newest;
        self.update_gauges();
        let elapsed = started.elapsed();
        match diverged {
            None => {
                self.counters().snapshot_seconds.set(elapsed.as_secs_f64());
                feed.first_read_done();
                tracing::info!(
                    tenants,
                    version = newest,
                    seconds = elapsed.as_secs_f64(),
                    query_seconds = read.as_secs_f64(),
                    build_seconds = (read_and_built - read).as_secs_f64(),
                    "postgres feed: snapshot loaded"
                );
            }
            Some(Divergence { signal, why }) => {
                self.counters()
                    .full_reloads
                    .get_or_create(&SignalLabels { signal })
                    .inc();
                tracing::warn!(
                    tenants,
                    version = newest,
                    seconds = elapsed.as_secs_f64(),
                    "postgres feed: the database is not the one this replica followed \
                     (restored or failed over?): {why}; reloaded every tenant from it"
                );
            }
        }
        Ok(())
    }

    /// Reads everything changed above the watermark and starts building it; first checks
    /// that the database is still the one read so far (and, on a resync, its checksum),
    /// else reloads it whole.
    async fn catch_up(
        &mut self,
        client: &mut Client,
        feed: &mut SourceFeed,
        cause: Cause,
    ) -> Result<(), SessionError> {
        let since = self.watermark.unwrap_or(0);
        let with_sum = cause == Cause::Resync;
        let read = timed(integrity::read_since(client, since, with_sum)).await??;
        if cause == Cause::Resync {
            self.counters().resyncs.inc();
        }
        let mut view = self.view.clone();
        for change in &read.changes {
            view.apply(change);
        }
        if let Some(why) = self.diverged(since, &read, &view) {
            return self.load_snapshot(client, feed, Some(why)).await;
        }
        self.view = view;
        self.newest = read.newest;
        let counter = match cause {
            Cause::Notification => &self.counters().notifications_applied,
            Cause::Resync => &self.counters().resync_applied,
        };
        counter.inc_by(read.changes.len() as u64);
        if let Some(newest) = read.changes.iter().max_by_key(|change| change.version) {
            self.watermark = Some(newest.version);
            self.at_watermark = Some(fingerprint(newest));
        }
        tracing::debug!(
            since,
            read = read.changes.len(),
            newest = read.newest,
            ?cause,
            "postgres feed: caught up"
        );
        self.builds.submit(read.changes);
        self.update_gauges();
        Ok(())
    }

    /// Why the database read is not the one this replica followed, if it is not.
    fn diverged(&self, since: Version, read: &Read, view: &View) -> Option<Divergence> {
        let watermark = |why| {
            Some(Divergence {
                signal: "watermark",
                why,
            })
        };
        if since > 0 {
            match &read.at_watermark {
                None => {
                    return watermark(format!(
                        "version {since}, the newest this replica read, is not in the history \
                         (newest there: {})",
                        read.newest
                    ))
                }
                Some(change) if Some(fingerprint(change)) != self.at_watermark => {
                    return watermark(format!(
                        "the change at version {since} is not the one this replica read"
                    ))
                }
                Some(_) => {}
            }
        }
        match read.table {
            Some(table) if table != view.sum() => Some(Divergence {
                signal: "checksum",
                why: format!(
                    "the table's checksum ({} rows) differs from the rows this replica read \
                     ({})",
                    table.rows,
                    view.sum().rows
                ),
            }),
            _ => None,
        }
    }

    /// Applies a finished build (with the fallbacks of its refused changes).
    async fn apply_built(
        &mut self,
        client: &Client,
        feed: &SourceFeed,
        built: Built,
    ) -> Result<(), SessionError> {
        let updates = self.with_fallbacks(client, feed, built, true).await?;
        let report = feed.apply_versioned(updates);
        tracing::debug!(
            applied = report.applied,
            stale = report.stale,
            "postgres feed: build applied"
        );
        self.update_gauges();
        Ok(())
    }

    /// The updates of `built`, and for each refused change the tenant's newest older
    /// version that builds (or its deletion), so that every replica ends on the same
    /// version whatever it saw before: a replica already holding that version keeps it.
    /// With `trust_held`, the search stops at the version the store holds.
    async fn with_fallbacks(
        &self,
        client: &Client,
        feed: &SourceFeed,
        built: Built,
        trust_held: bool,
    ) -> Result<Vec<TenantUpdate<String>>, SessionError> {
        let Built {
            mut updates,
            refused,
        } = built;
        for refused in refused {
            let held = match trust_held {
                true => feed.store().version(refused.tenant.as_str()),
                false => None,
            };
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
            let limits = self.limits;
            let first = off_runtime(move || build::first_that_builds(older, limits)).await?;
            if let Some(update) = first {
                return Ok(Some(update));
            }
            if !full_page {
                return Ok(None);
            }
            below = lowest;
        }
    }

    /// The gauges: the version up to which every change read is applied (below the
    /// oldest build in flight), the newest version the database has, the lag between
    /// them, and the builds in flight. The database's newest version comes from the
    /// reads, never from a notification's payload.
    fn update_gauges(&self) {
        let read = self.watermark.unwrap_or(0);
        let applied = match self.builds.oldest_in_flight() {
            Some(oldest) => oldest.saturating_sub(1).min(read),
            None => read,
        };
        let counters = self.counters();
        counters.applied_version.set(gauge_value(applied));
        counters.announced_version.set(gauge_value(self.newest));
        counters
            .version_lag
            .set(gauge_value(self.newest.saturating_sub(applied)));
        counters
            .builds_in_progress
            .set(i64::try_from(self.builds.in_progress()).unwrap_or(i64::MAX));
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

/// Stops the connection task when its session ends.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
