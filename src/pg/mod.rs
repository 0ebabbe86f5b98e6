//! PostgreSQL / Redshift over tokio-postgres: TLS, connections, values,
//! parameters and queries with timeouts.

pub mod bind;
pub mod connect;
pub mod params;
pub mod query;
pub mod tls;
pub mod value;
