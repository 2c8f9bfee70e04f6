//! The PostgreSQL feed: tenant policies kept in a table, every change announced with
//! `NOTIFY`, applied by each replica with the store's versioned swaps.
//!
//! * [`schema`]: the migrations of `server/migrations/` and `db migrate`.
//! * [`rows`]: every query the commands and the feed send, one function each.
//! * [`command`]: `db migrate|put|get|history|rollback|delete`; [`put`] (from a file or
//!   stdin, `--if-version`) and [`connection`] (`--postgres`, `DATABASE_URL`, `PG*`).
//! * [`build`]: rows into policies, off the async runtime; a row that does not build falls
//!   back to the tenant's newest version that does.
//! * [`metrics`]: the source's `origin_policy_db_*` metrics.
//! * [`integrity`]: whether the database is still the one a replica followed (a restore
//!   or failover restarts the versions), by the change at the watermark and a checksum.
//! * [`writes`]: the admin API's compare-and-set writes and the history with writers.
//! * [`source`]: the tenant source of `serve --postgres` (snapshot, `LISTEN`, catch-up,
//!   periodic resync, reconnect with backoff), beside the directory's
//!   ([`crate::source::directory`]); [`builds`]: its per-tenant builds off the runtime.
//!
//! Every line of the server that speaks to PostgreSQL is in this module.
//!
//! How replicas converge: versions come from one sequence and become visible in
//! increasing order (the schema serializes writers), so each replica keeps one number, the
//! newest version it has applied (its *watermark*), and every catch-up (after a
//! notification, a reconnect, or the periodic resync) is the same query: the newest change
//! of each tenant above the watermark, deletions included, from the history. Each change
//! is applied with `insert_if_newer` / `remove_if_newer` in one `apply_batch`, so a late or
//! repeated delivery never rolls a tenant back.

pub mod build;
pub mod builds;
pub mod command;
pub mod connection;
pub mod integrity;
pub mod metrics;
pub mod put;
pub mod rows;
pub mod schema;
pub mod source;
pub mod writes;

/// The channel the schema's trigger notifies on.
pub const CHANNEL: &str = "origin_policy";
