//! `connect` and the module-level `query_with_timeout` (with its connection
//! per database and user): configuration and keyword arguments in, the
//! broker does the rest.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyString};

use super::args::timeout_arg;
use super::blocking::wait;
use super::connection::Connection;
use super::functions::{load_config, packaged_config};
use crate::Error;
use crate::broker::{self, Request};
use crate::config::{Config, Database, Layered, Source, Sources};
use crate::pg::session::Session;
use crate::sync::Locked;

/// Keyword arguments of `connect()` that override `[databases.<db>]` keys.
const OVERRIDES: &[&str] = &[
    "host",
    "port",
    "dbname",
    "sslmode",
    "sslrootcert",
    "allow_insecure_password",
    "connect_timeout",
    "default_timeout",
];

/// The config with `overrides` applied to the chosen database, and its name.
fn resolve(
    py: Python<'_>,
    database: Option<&str>,
    overrides: &[(String, toml::Value)],
) -> PyResult<(Arc<Config>, String)> {
    let config = if overrides.is_empty() {
        load_config(py)?
    } else {
        let mut layered = Layered::load(&Sources::standard(packaged_config(py)))?;
        let name = match database {
            Some(d) => d.to_string(),
            None => layered
                .database_names()
                .into_iter()
                .next()
                .ok_or_else(|| Error::config("no databases are configured"))?,
        };
        for (key, value) in overrides {
            layered.set(&format!("databases.{name}.{key}"), value.clone(), &Source::Argument(key.clone()));
        }
        Arc::new(layered.resolve()?)
    };
    let name = config.database(database)?.name.clone();
    Ok((config, name))
}

type Overrides = Vec<(String, toml::Value)>;

/// The config overrides and the AWS profile among `connect()`'s keyword arguments.
fn overrides(kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<(Overrides, Option<String>)> {
    let mut out = Vec::new();
    let mut profile = None;
    for (key, value) in kwargs.into_iter().flat_map(PyDictMethods::iter) {
        let key: String = key.extract()?;
        if key == "profile" {
            profile = Some(value.extract()?);
            continue;
        }
        if !OVERRIDES.contains(&key.as_str()) {
            return Err(PyTypeError::new_err(format!(
                "connect() got an unexpected keyword argument {key:?}; it accepts profile and {}",
                OVERRIDES.join(", ")
            )));
        }
        let value = if value.is_instance_of::<PyBool>() {
            if key != "allow_insecure_password" {
                return Err(PyTypeError::new_err(format!("{key} must be a str or a number, not bool")));
            }
            toml::Value::Boolean(value.extract()?)
        } else if value.is_instance_of::<PyInt>() {
            toml::Value::Integer(value.extract()?)
        } else if value.is_instance_of::<PyFloat>() {
            toml::Value::Float(value.extract()?)
        } else if value.is_instance_of::<PyString>() {
            toml::Value::String(value.extract()?)
        } else {
            toml::Value::String(value.str()?.to_string()) // e.g. a pathlib.Path for sslrootcert
        };
        out.push((key, value));
    }
    Ok((out, profile))
}

/// What a connect resolved before any IO (config, database, user, limits),
/// shared by the sync API and `middleware.aio`.
pub(super) struct Opening {
    config: Arc<Config>,
    pub db: Database,
    pub user: String,
    pub default_timeout: Duration,
    /// The timeout `connect()` was given, which also bounds streams.
    pub stream_limit: Option<Duration>,
    profile: Option<String>,
}

impl Opening {
    pub(super) fn new(
        py: Python<'_>,
        database: Option<&str>,
        user: Option<String>,
        timeout: Option<&Bound<'_, PyAny>>,
        overrides: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Opening> {
        let (overrides, profile) = self::overrides(overrides)?;
        let (config, name) = resolve(py, database, &overrides)?;
        Opening::of(config, &name, user, timeout, profile)
    }

    fn of(
        config: Arc<Config>,
        name: &str,
        user: Option<String>,
        timeout: Option<&Bound<'_, PyAny>>,
        profile: Option<String>,
    ) -> PyResult<Opening> {
        let req = Request::new(&config, Some(name), user.as_deref(), None)?;
        let (db, user) = (req.db.clone(), req.user.to_string());
        let asked = timeout_arg(timeout)?;
        let default_timeout = broker::query_timeout(&db, asked)?;
        let stream_limit = asked.map(|_| default_timeout);
        Ok(Opening { config, db, user, default_timeout, stream_limit, profile })
    }

    /// The IO part: access check, password, login (Send, for any runtime task).
    /// `own_driver`: for a blocking connection (see [`crate::runtime::Driver`]).
    pub(super) fn session(&self, own_driver: bool) -> impl Future<Output = crate::Result<Session>> + Send + 'static {
        let (config, db, user, profile) =
            (self.config.clone(), self.db.clone(), self.user.clone(), self.profile.clone());
        async move {
            let req = Request { config: &config, db: &db, user: &user, profile, own_driver };
            broker::connect(&req).await
        }
    }
}

/// Opens a connection (used by `connect` and the module-level cache).
fn open(py: Python<'_>, opening: Opening, autocommit: bool) -> PyResult<Connection> {
    let work = opening.session(true);
    let session = wait(py, move |_| work)?;
    Connection::new(session, opening.db, opening.user, (opening.default_timeout, opening.stream_limit), autocommit)
}

#[pyfunction]
#[pyo3(signature = (database=None, user=None, *, timeout=None, **overrides))]
pub fn connect(
    py: Python<'_>,
    database: Option<String>,
    user: Option<String>,
    timeout: Option<&Bound<'_, PyAny>>,
    overrides: Option<&Bound<'_, PyDict>>,
) -> PyResult<Connection> {
    let opening = Opening::new(py, database.as_deref(), user, timeout, overrides)?;
    open(py, opening, false)
}

/// Database, user, process, and the AWS settings the caller acts with
/// (`aws::cache_key`: profile, keys, files): another identity gets a
/// connection of its own, after its own access check.
type Key = (String, String, u32, u64);
static CACHED: Mutex<Option<HashMap<Key, Py<Connection>>>> = Mutex::new(None);

#[pyfunction]
#[pyo3(signature = (sql, params=None, *, timeout=None, database=None, user=None))]
pub fn query_with_timeout<'py>(
    py: Python<'py>,
    sql: &str,
    params: Option<&Bound<'py, PyAny>>,
    timeout: Option<&Bound<'py, PyAny>>,
    database: Option<String>,
    user: Option<String>,
) -> PyResult<Bound<'py, PyAny>> {
    let (config, name) = resolve(py, database.as_deref(), &[])?;
    let req = Request::new(&config, Some(&name), user.as_deref(), None)?;
    let (db, user) = (req.db, req.user.to_string());
    // Validate the timeout before anything connects.
    broker::query_timeout(db, timeout_arg(timeout)?)?;
    // Re-checked on every reuse (warm, a few microseconds): a revoked allow
    // list or a switched profile takes effect without a reconnect.
    let check = {
        let (config, name, user) = (config.clone(), name.clone(), user.clone());
        move |_| async move {
            let req = Request::new(&config, Some(&name), Some(&user), None)?;
            broker::check_access(&req).await.map(|_| ())
        }
    };
    wait(py, check)?;
    let identity = crate::aws::cache_key(&crate::aws::Target::default());
    let key = (name.clone(), user.clone(), std::process::id(), identity);
    let existing = CACHED
        .locked()
        .as_ref()
        .and_then(|m| m.get(&key).map(|c| c.clone_ref(py)))
        .filter(|c| !c.bind(py).get().is_closed());
    let conn = match existing {
        Some(conn) => conn,
        None => {
            let opening = Opening::of(config.clone(), &name, Some(user), None, None)?;
            let conn = Py::new(py, open(py, opening, true)?)?;
            let mut cached = CACHED.locked();
            let map = cached.get_or_insert_with(HashMap::new);
            // One per database and user: the previous identity's is closed when dropped.
            map.retain(|k, _| !(k.0 == key.0 && k.1 == key.1));
            map.insert(key, conn.clone_ref(py));
            conn
        }
    };
    conn.bind(py).get().query_with_timeout_py(py, sql, params, timeout)
}
