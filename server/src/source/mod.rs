//! Where tenant policies come from. Each source feeds the one store through a
//! [`SourceFeed`](crate::feed::SourceFeed): the policy directory now, a database later.

pub mod directory;
