//! The one mapping from the core's [`Error`] to the Python exception classes
//! defined (with docstrings) in `middleware/exceptions.py`.

use pyo3::IntoPyObjectExt;
use pyo3::exceptions::PyKeyboardInterrupt;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyList;
use tokio_postgres::error::SqlState;

use crate::Error;
use crate::error::{AccessDenied as Denied, DbError};

pyo3::import_exception!(middleware.exceptions, ConfigError);
pyo3::import_exception!(middleware.exceptions, AccessDenied);
pyo3::import_exception!(middleware.exceptions, SecretNotFound);
pyo3::import_exception!(middleware.exceptions, SecretIntegrityError);
pyo3::import_exception!(middleware.exceptions, KmsError);
pyo3::import_exception!(middleware.exceptions, QueryTimeout);
pyo3::import_exception!(middleware.exceptions, InterfaceError);
pyo3::import_exception!(middleware.exceptions, DatabaseError);
pyo3::import_exception!(middleware.exceptions, DataError);
pyo3::import_exception!(middleware.exceptions, OperationalError);
pyo3::import_exception!(middleware.exceptions, ProgrammingError);
pyo3::import_exception!(middleware.exceptions, NotSupportedError);

impl From<Error> for PyErr {
    fn from(err: Error) -> PyErr {
        Python::attach(|py| to_pyerr(py, err))
    }
}

fn to_pyerr(py: Python<'_>, err: Error) -> PyErr {
    let text = err.to_string();
    match err {
        Error::Config(_) => ConfigError::new_err(text),
        Error::AccessDenied(d) => access_denied(py, text, &d),
        Error::SecretNotFound { name, .. } => {
            with_attrs(py, SecretNotFound::new_err(text), &[("name", name.into_bound_py_any(py))])
        }
        Error::SecretIntegrity { name, .. } => {
            with_attrs(py, SecretIntegrityError::new_err(text), &[("name", name.into_bound_py_any(py))])
        }
        Error::Kms { aws_code, .. } => {
            with_attrs(py, KmsError::new_err(text), &[("aws_code", aws_code.into_bound_py_any(py))])
        }
        Error::Aws { aws_code, .. } => {
            with_attrs(py, OperationalError::new_err(text), &[("aws_code", aws_code.into_bound_py_any(py))])
        }
        Error::Database(db) => database(py, text, &db),
        Error::QueryTimeout { limit, elapsed, cancelled, .. } => with_attrs(
            py,
            QueryTimeout::new_err(text),
            &[
                ("timeout", limit.as_secs_f64().into_bound_py_any(py)),
                ("elapsed", elapsed.as_secs_f64().into_bound_py_any(py)),
                ("cancelled", cancelled.into_bound_py_any(py)),
                // The server's own word, when it gave one.
                ("sqlstate", cancelled.then_some(SqlState::QUERY_CANCELED.code()).into_bound_py_any(py)),
            ],
        ),
        Error::Interrupted => PyKeyboardInterrupt::new_err(()),
        Error::Operational(_) => OperationalError::new_err(text),
        Error::Interface(_) => InterfaceError::new_err(text),
        Error::Programming(_) => ProgrammingError::new_err(text),
        Error::Data(_) => DataError::new_err(text),
        Error::NotSupported(_) => NotSupportedError::new_err(text),
    }
}

/// The class for a SQLSTATE comes from `middleware.errors` (psycopg's table
/// and class names, kept in Python beside the classes, as psycopg does).
fn database(py: Python<'_>, text: String, db: &DbError) -> PyErr {
    let err = class_for(py, &db.sqlstate)
        .and_then(|class| class.call1((text.as_str(),)))
        .map_or_else(|_| DatabaseError::new_err(text), |e| PyErr::from_value(e));
    with_attrs(
        py,
        err,
        &[
            ("sqlstate", db.sqlstate.as_str().into_bound_py_any(py)),
            ("severity", db.severity.as_str().into_bound_py_any(py)),
            ("message", db.message.as_str().into_bound_py_any(py)),
            ("detail", db.detail.as_deref().into_bound_py_any(py)),
            ("hint", db.hint.as_deref().into_bound_py_any(py)),
            ("position", db.position.into_bound_py_any(py)),
        ],
    )
}

static CLASS_FOR: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn class_for<'py>(py: Python<'py>, sqlstate: &str) -> PyResult<Bound<'py, PyAny>> {
    let lookup = CLASS_FOR
        .get_or_try_init(py, || Ok::<_, PyErr>(py.import("middleware.errors")?.getattr("_class_for")?.unbind()))?;
    lookup.bind(py).call1((sqlstate,))
}

fn access_denied(py: Python<'_>, text: String, d: &Denied) -> PyErr {
    let allowed = PyList::new(py, &d.allowed).map(Bound::into_any);
    with_attrs(
        py,
        AccessDenied::new_err(text),
        &[
            ("arn", d.arn.as_deref().into_bound_py_any(py)),
            ("database", d.database.as_deref().into_bound_py_any(py)),
            ("user", d.user.as_deref().into_bound_py_any(py)),
            ("allowed", allowed),
            ("contact", d.contact.as_deref().into_bound_py_any(py)),
            ("aws_code", d.aws_code.as_deref().into_bound_py_any(py)),
            ("action", d.action.as_deref().into_bound_py_any(py)),
        ],
    )
}

/// Sets attributes on the exception instance; a failure to set one is not
/// worth hiding the real error for, so it is ignored.
fn with_attrs(py: Python<'_>, err: PyErr, attrs: &[(&str, PyResult<Bound<'_, PyAny>>)]) -> PyErr {
    let value = err.value(py);
    for (name, attr) in attrs {
        if let Ok(attr) = attr {
            let _ = value.setattr(*name, attr);
        }
    }
    err
}
