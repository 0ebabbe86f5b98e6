//! The Python bindings: the only module that uses pyo3. Everything here is a
//! thin adapter over the core; the public API and its docs live in the
//! `middleware` package and `_core.pyi`.

mod blocking;
mod exceptions;
mod functions;

use pyo3::prelude::*;

#[pymodule]
#[pyo3(name = "_core")]
fn core_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", crate::VERSION)?;
    m.add_function(wrap_pyfunction!(functions::run_cli, m)?)?;
    Ok(())
}
