//! What the server's integration tests share.

pub mod postgres;
pub mod replica;
