//! Module-level functions of `middleware._core`.

use std::path::PathBuf;

use pyo3::prelude::*;

/// Runs the `middleware` command line with `argv` (as `sys.argv`) and returns
/// its exit code. The GIL is released: the CLI never calls back into Python.
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts arguments as owned values
pub fn run_cli(py: Python<'_>, argv: Vec<String>) -> i32 {
    let packaged = packaged_config(py);
    py.detach(|| crate::cli::run(&argv, packaged))
}

/// The `middleware.toml` shipped inside the installed package (what a
/// platform team edits in its fork). Found beside the facade module.
pub fn packaged_config(py: Python<'_>) -> Option<PathBuf> {
    let module = py.import("middleware").ok()?;
    let init: PathBuf = module.getattr("__file__").ok()?.extract().ok()?;
    Some(init.parent()?.join("middleware.toml"))
}
