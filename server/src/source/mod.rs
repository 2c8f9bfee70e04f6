//! Where tenant policies come from. Each source feeds the one store through a
//! [`SourceFeed`](crate::feed::SourceFeed): the policy directory here, and a PostgreSQL table
//! ([`crate::db::source`], with the rest of the PostgreSQL code).

pub mod directory;
