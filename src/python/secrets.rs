//! `get_secret`, `put_secret`, `list_secrets`, ... : thin adapters over
//! [`crate::secrets`], which the CLI shares.

use std::collections::BTreeMap;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};
use zeroize::Zeroizing;

use super::blocking::wait;
use super::functions::load_config;
use crate::credstash::cache;
use crate::credstash::store::SecretInfo as Info;
use crate::secrets::{self, PutRequest, Scope};

/// One stored version of a secret, as `list_secrets()` reports it.
#[pyclass(frozen, eq, hash, name = "SecretInfo", module = "middleware")]
#[derive(PartialEq, Eq, Hash)]
pub struct SecretInfo {
    #[pyo3(get)]
    name: String,
    #[pyo3(get)]
    version: String,
    #[pyo3(get)]
    comment: Option<String>,
}

#[pymethods]
impl SecretInfo {
    #[classattr]
    #[pyo3(name = "__match_args__")]
    fn match_args() -> (&'static str, &'static str, &'static str) {
        ("name", "version", "comment")
    }

    fn __repr__(&self) -> String {
        format!("SecretInfo(name={:?}, version={:?}, comment={:?})", self.name, self.version, self.comment)
    }
}

fn scope(table: Option<String>, region: Option<String>) -> Scope {
    Scope { table, region, ..Scope::default() }
}

/// A version given as str or int.
fn version_arg(version: Option<&Bound<'_, PyAny>>) -> PyResult<Option<String>> {
    match version {
        None => Ok(None),
        Some(v) if v.is_none() => Ok(None),
        Some(v) if v.is_instance_of::<PyString>() => Ok(Some(v.extract()?)),
        Some(v) => match v.extract::<u64>() {
            Ok(n) => Ok(Some(n.to_string())),
            Err(_) => Err(PyTypeError::new_err(format!(
                "version must be a str or a non-negative int, not {}",
                v.get_type().name()?
            ))),
        },
    }
}

#[pyfunction]
#[pyo3(signature = (name, version=None, *, context=None, table=None, region=None))]
pub fn get_secret<'py>(
    py: Python<'py>,
    name: String,
    version: Option<&Bound<'_, PyAny>>,
    context: Option<BTreeMap<String, String>>,
    table: Option<String>,
    region: Option<String>,
) -> PyResult<Bound<'py, PyString>> {
    let secret = fetch(py, name.clone(), version, context, table, region)?;
    // The Python str is the caller's copy; ours is wiped on return.
    Ok(PyString::new(py, &secrets::text(&name, &secret)?))
}

#[pyfunction]
#[pyo3(signature = (name, version=None, *, context=None, table=None, region=None))]
pub fn get_secret_bytes<'py>(
    py: Python<'py>,
    name: String,
    version: Option<&Bound<'_, PyAny>>,
    context: Option<BTreeMap<String, String>>,
    table: Option<String>,
    region: Option<String>,
) -> PyResult<Bound<'py, PyBytes>> {
    let secret = fetch(py, name, version, context, table, region)?;
    Ok(PyBytes::new(py, &secret))
}

fn fetch(
    py: Python<'_>,
    name: String,
    version: Option<&Bound<'_, PyAny>>,
    context: Option<BTreeMap<String, String>>,
    table: Option<String>,
    region: Option<String>,
) -> PyResult<cache::Secret> {
    let config = load_config(py)?;
    let version = version_arg(version)?;
    let scope = scope(table, region);
    let context = context.unwrap_or_default();
    wait(py, move |_| async move { secrets::get(&config, &scope, &name, version.as_deref(), &context).await })
}

#[pyfunction]
#[pyo3(signature = (name, value, version=None, *, autoversion=false, context=None, digest="SHA256".to_string(),
    kms_key=None, comment=None, algorithm="aes-ctr-legacy".to_string(), table=None, region=None),
    text_signature = "(name, value, version=None, *, autoversion=False, context=None, digest='SHA256', \
        kms_key=None, comment=None, algorithm='aes-ctr-legacy', table=None, region=None)")]
#[allow(clippy::too_many_arguments)] // mirrors the documented keyword arguments
pub fn put_secret(
    py: Python<'_>,
    name: String,
    value: &Bound<'_, PyAny>,
    version: Option<&Bound<'_, PyAny>>,
    autoversion: bool,
    context: Option<BTreeMap<String, String>>,
    digest: String,
    kms_key: Option<String>,
    comment: Option<String>,
    algorithm: String,
    table: Option<String>,
    region: Option<String>,
) -> PyResult<String> {
    let value = if let Ok(s) = value.cast::<PyString>() {
        Zeroizing::new(s.to_str()?.as_bytes().to_vec())
    } else if let Ok(b) = value.cast::<PyBytes>() {
        Zeroizing::new(b.as_bytes().to_vec())
    } else {
        return Err(PyTypeError::new_err(format!("value must be str or bytes, not {}", value.get_type().name()?)));
    };
    let request = PutRequest {
        name,
        value,
        version: version_arg(version)?,
        autoversion,
        context: context.unwrap_or_default(),
        digest: Some(digest),
        kms_key,
        comment,
        algorithm: Some(algorithm),
    };
    let config = load_config(py)?;
    let scope = scope(table, region);
    wait(py, move |_| async move { secrets::put(&config, &scope, &request).await })
}

#[pyfunction]
#[pyo3(signature = (*, table=None, region=None))]
pub fn list_secrets(py: Python<'_>, table: Option<String>, region: Option<String>) -> PyResult<Vec<SecretInfo>> {
    let config = load_config(py)?;
    let scope = scope(table, region);
    let infos = wait(py, move |_| async move { secrets::list(&config, &scope).await })?;
    Ok(infos.into_iter().map(|Info { name, version, comment }| SecretInfo { name, version, comment }).collect())
}

#[pyfunction]
#[pyo3(signature = (version=None, *, context=None, table=None, region=None))]
pub fn get_all_secrets<'py>(
    py: Python<'py>,
    version: Option<&Bound<'_, PyAny>>,
    context: Option<BTreeMap<String, String>>,
    table: Option<String>,
    region: Option<String>,
) -> PyResult<Bound<'py, PyDict>> {
    let config = load_config(py)?;
    let version = version_arg(version)?;
    let scope = scope(table, region);
    let context = context.unwrap_or_default();
    let all =
        wait(py, move |_| async move { secrets::get_all(&config, &scope, version.as_deref(), &context, None).await })?;
    let dict = PyDict::new(py);
    for (name, value) in all {
        let text = secrets::text(&name, &value)?;
        dict.set_item(name, text.as_str())?;
    }
    Ok(dict)
}

#[pyfunction]
#[pyo3(signature = (name, *, table=None, region=None))]
pub fn delete_secret(py: Python<'_>, name: String, table: Option<String>, region: Option<String>) -> PyResult<()> {
    let config = load_config(py)?;
    let scope = scope(table, region);
    wait(py, move |_| async move { secrets::delete(&config, &scope, &name).await })?;
    Ok(())
}

#[pyfunction]
#[pyo3(signature = (table=None, *, region=None))]
pub fn create_table(py: Python<'_>, table: Option<String>, region: Option<String>) -> PyResult<bool> {
    let config = load_config(py)?;
    let scope = scope(table, region);
    wait(py, move |_| async move { secrets::setup(&config, &scope).await })
}

#[pyfunction]
pub fn clear_cache() {
    cache::clear();
    crate::iam_auth::clear();
}
