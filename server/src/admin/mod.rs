//! The admin listener (`--admin-listen ADDR --admin-tokens FILE`, never the decision
//! listener): the Allowed Domains page at `/admin/` and the JSON API at `/admin/v1/`.
//!
//! * [`tokens`]: the token file, re-read when it changes, hashes compared in constant time.
//! * [`api`]: the endpoints; [`request`]: what they read from a request.
//! * [`store`]: where writes go (PostgreSQL or the policy directory), compare-and-set.
//! * [`text`]: a policy written back as TOML or JSON.
//! * [`diag`]: diagnostics and the validation of one entry.
//! * [`page`]: the page's files, compiled in.
//! * [`state`], [`reply`], [`router`]: what the handlers share, their responses, the routes.

mod api;
mod diag;
mod page;
mod reply;
mod request;
mod router;
mod state;
mod store;
mod text;
mod tokens;

pub use router::handle;
pub use state::Admin;
pub use tokens::Tokens;
