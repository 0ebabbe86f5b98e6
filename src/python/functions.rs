//! Module-level functions of `middleware._core`.

use std::path::PathBuf;
use std::sync::Arc;

use pyo3::prelude::*;

/// Runs the `middleware` command line with `argv` (as `sys.argv`) and returns
/// its exit code. The GIL is released: the CLI never calls back into Python.
#[pyfunction]
pub fn run_cli(py: Python<'_>, argv: Vec<String>) -> i32 {
    let packaged = packaged_config(py);
    let interrupted = || Python::attach(|py| py.check_signals().is_err());
    py.detach(|| crate::cli::run(&argv, packaged, &interrupted))
}

/// The `middleware.toml` shipped inside the installed package (what a
/// platform team edits in its fork). Found beside the facade module.
pub fn packaged_config(py: Python<'_>) -> Option<PathBuf> {
    let module = py.import("middleware").ok()?;
    let init: PathBuf = module.getattr("__file__").ok()?.extract().ok()?;
    Some(init.parent()?.join("middleware.toml"))
}

/// The resolved configuration (cached while the files are unchanged).
pub fn load_config(py: Python<'_>) -> PyResult<Arc<crate::config::Config>> {
    let sources = crate::config::Sources::standard(packaged_config(py));
    Ok(crate::config::Config::load_cached(&sources)?)
}

/// Whether dates and datetimes are made through CPython's datetime C API
/// (see capi.rs); a test checks that they are.
#[pyfunction]
pub fn _fast_datetime(py: Python<'_>) -> bool {
    super::capi::fast(py)
}
