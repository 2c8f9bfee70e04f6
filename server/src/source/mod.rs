//! Where tenant policies come from. Each source feeds the one store through a
//! [`SourceFeed`](crate::feed::SourceFeed): the policy directory and a PostgreSQL table.

pub mod builds;
pub mod directory;
pub mod postgres;
