//! The Python bindings: the only module that uses pyo3. Everything here is a
//! thin adapter over the core; the public API and its docs live in the
//! `middleware` package and `_core.pyi`.

// pyo3 hands functions owned arguments; borrowing them buys nothing.
#![allow(clippy::needless_pass_by_value)]
// Python methods take `&self` whether or not they use it.
#![allow(clippy::unused_self)]

mod access;
mod aio;
mod aio_stream;
mod args;
mod arrow;
mod blocking;
mod capi;
mod connect;
mod connection;
mod convert;
mod cursor;
mod exceptions;
mod functions;
mod logbridge;
mod result;
mod secrets;
mod stream;

use pyo3::prelude::*;

#[pymodule]
#[pyo3(name = "_core")]
fn core_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", crate::VERSION)?;
    m.add_function(wrap_pyfunction!(functions::run_cli, m)?)?;
    m.add_function(wrap_pyfunction!(functions::_fast_datetime, m)?)?;
    m.add_class::<secrets::SecretInfo>()?;
    m.add_class::<connection::Connection>()?;
    m.add_class::<cursor::Cursor>()?;
    m.add_class::<stream::RowStream>()?;
    m.add_class::<arrow::ArrowStream>()?;
    m.add_class::<result::ResultSet>()?;
    m.add_class::<access::PyIdentity>()?;
    m.add_class::<aio::Completions>()?;
    m.add_class::<aio::AsyncSession>()?;
    m.add_class::<aio_stream::AsyncFeed>()?;
    m.add_function(wrap_pyfunction!(connect::connect, m)?)?;
    m.add_function(wrap_pyfunction!(connect::query_with_timeout, m)?)?;
    m.add_function(wrap_pyfunction!(access::whoami, m)?)?;
    m.add_function(wrap_pyfunction!(access::check_access, m)?)?;
    m.add_function(wrap_pyfunction!(secrets::get_secret, m)?)?;
    m.add_function(wrap_pyfunction!(secrets::get_secret_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(secrets::put_secret, m)?)?;
    m.add_function(wrap_pyfunction!(secrets::list_secrets, m)?)?;
    m.add_function(wrap_pyfunction!(secrets::get_all_secrets, m)?)?;
    m.add_function(wrap_pyfunction!(secrets::delete_secret, m)?)?;
    m.add_function(wrap_pyfunction!(secrets::create_table, m)?)?;
    m.add_function(wrap_pyfunction!(secrets::clear_cache, m)?)?;
    Ok(())
}
