//! `whoami` and `check_access`: who the caller is and what it may use.

use std::collections::BTreeMap;

use pyo3::prelude::*;

use super::blocking::wait;
use super::functions::load_config;
use crate::broker::{self, Request};
use crate::{aws, identity, policy};

/// Who the caller is, and which database users it may use where.
#[pyclass(frozen, name = "Identity", module = "middleware")]
pub struct PyIdentity {
    #[pyo3(get)]
    arn: String,
    #[pyo3(get)]
    account: String,
    #[pyo3(get)]
    user_id: String,
    #[pyo3(get)]
    allowed: BTreeMap<String, Vec<String>>,
}

#[pymethods]
impl PyIdentity {
    fn __repr__(&self) -> String {
        format!(
            "Identity(arn={:?}, account={:?}, user_id={:?}, allowed={:?})",
            self.arn, self.account, self.user_id, self.allowed
        )
    }
}

impl PyIdentity {
    pub(super) fn new((who, allowed): Whoami) -> PyIdentity {
        PyIdentity { arn: who.arn, account: who.account, user_id: who.user_id, allowed }
    }
}

/// The caller, and the users it may use on each database.
pub(super) type Whoami = (identity::Identity, BTreeMap<String, Vec<String>>);

/// Who the caller is and which users it may use on each database.
pub(super) fn whoami_work(
    py: Python<'_>,
    profile: Option<String>,
) -> PyResult<impl Future<Output = crate::Result<Whoami>> + Send + 'static> {
    let config = load_config(py)?;
    let target = aws::Target { profile: profile.clone(), ..aws::Target::default() };
    Ok(async move {
        let who = identity::whoami(&target).await?;
        let mut allowed = BTreeMap::new();
        for db in &config.databases {
            let db = broker::with_policy(&config, db, profile.clone()).await?;
            allowed.insert(db.name.clone(), policy::usable_users(&db, &who));
        }
        Ok((who, allowed))
    })
}

/// The pre-check alone.
pub(super) fn check_access_work(
    py: Python<'_>,
    database: Option<&str>,
    user: Option<&str>,
    profile: Option<String>,
) -> PyResult<impl Future<Output = crate::Result<()>> + Send + 'static> {
    let config = load_config(py)?;
    let req = Request::new(&config, database, user, None)?;
    let (db, user) = (req.db.clone(), req.user.to_string());
    Ok(async move {
        let req = Request { config: &config, db: &db, user: &user, profile, own_driver: false };
        broker::check_access(&req).await.map(|_| ())
    })
}

#[pyfunction]
#[pyo3(signature = (*, profile=None))]
pub fn whoami(py: Python<'_>, profile: Option<String>) -> PyResult<PyIdentity> {
    let work = whoami_work(py, profile)?;
    wait(py, move |_| work).map(PyIdentity::new)
}

#[pyfunction]
#[pyo3(signature = (database=None, user=None, *, profile=None))]
pub fn check_access(
    py: Python<'_>,
    database: Option<String>,
    user: Option<String>,
    profile: Option<String>,
) -> PyResult<()> {
    let work = check_access_work(py, database.as_deref(), user.as_deref(), profile)?;
    wait(py, move |_| work)
}
