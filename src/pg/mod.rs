//! PostgreSQL / Redshift over tokio-postgres: TLS and the login guard,
//! connections, sessions (transactions, time limits, cancels), values,
//! parameters and queries.

pub mod arrow;
mod backstop;
pub mod bind;
pub mod connect;
pub mod guard;
pub mod params;
pub mod query;
pub mod session;
pub mod statements;
pub mod stream;
pub mod tls;
pub mod value;
pub mod wire;
