//! The few places we call CPython's C API ourselves, for the per-value
//! work of a large fetch; the only `unsafe` code in the crate.
//!
//! Tuples are filled in place (no vector per row) and, when every value is
//! atomic, untracked by the cycle collector. `date` and `datetime` objects
//! are made through CPython's datetime C API:
//! We build abi3 wheels, and under the limited API pyo3 makes a datetime by
//! calling the `datetime` class with eight Python ints: argument parsing
//! that was about a sixth of `fetchall()` on a result with one timestamp
//! column. The C API's capsule (`datetime.datetime_CAPI`) is reachable from
//! any build through `PyCapsule_Import`, a stable-ABI function. Its struct is
//! not part of the limited API, but CPython has only ever appended to it
//! since 3.7, and we read the prefix every version since then has. The
//! capsule is checked against the `datetime` module's own classes once; if
//! that check fails (an interpreter laid out otherwise), the slow path is
//! used, so a surprise costs speed, not correctness.

#![allow(unsafe_code)]

use std::ffi::c_int;

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDate, PyDateTime, PyTuple, PyTzInfo};

/// A tuple of `len` items made by `item(i)`. `atomic`: every item refers to
/// no other object (int, float, str, bytes, bool, date/time, None), so the
/// tuple cannot be part of a reference cycle: CPython's collector would
/// untrack it on its first pass (_PyTuple_MaybeUntrack); doing it now spares
/// a million-row fetch the collections that walk it.
pub fn tuple<'py>(
    py: Python<'py>,
    len: usize,
    atomic: bool,
    mut item: impl FnMut(usize) -> PyResult<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyTuple>> {
    let size = ffi::Py_ssize_t::try_from(len).expect("a row has at most 1664 columns");
    // SAFETY: a new tuple of `len` empty slots (null with an exception set on
    // failure). It is filled before it is handed out; one that fails
    // half-filled is dropped here, and a tuple's dealloc skips empty slots.
    let tuple = unsafe { Bound::from_owned_ptr_or_err(py, ffi::PyTuple_New(size))?.cast_into_unchecked::<PyTuple>() };
    for (i, slot) in (0..len).zip(0..size) {
        let value = item(i)?;
        // SAFETY: slot < size, the slot is empty; SetItem steals the reference.
        unsafe { ffi::PyTuple_SetItem(tuple.as_ptr(), slot, value.into_ptr()) };
    }
    if atomic {
        // SAFETY: the tuple is GC-tracked (PyTuple_New) and nobody else has it yet.
        unsafe { ffi::PyObject_GC_UnTrack(tuple.as_ptr().cast()) };
    }
    Ok(tuple)
}

/// The prefix of CPython's `PyDateTime_CAPI` (Include/datetime.h) that we use.
#[repr(C)]
struct Capi {
    date_type: *mut ffi::PyTypeObject,
    datetime_type: *mut ffi::PyTypeObject,
    time_type: *mut ffi::PyTypeObject,
    delta_type: *mut ffi::PyTypeObject,
    tzinfo_type: *mut ffi::PyTypeObject,
    timezone_utc: *mut ffi::PyObject,
    date_from_date: unsafe extern "C" fn(c_int, c_int, c_int, *mut ffi::PyTypeObject) -> *mut ffi::PyObject,
    #[allow(clippy::type_complexity)]
    datetime_from_date_and_time: unsafe extern "C" fn(
        c_int,
        c_int,
        c_int,
        c_int,
        c_int,
        c_int,
        c_int,
        *mut ffi::PyObject,
        *mut ffi::PyTypeObject,
    ) -> *mut ffi::PyObject,
}

/// The capsule's struct, once checked; a null pointer means the slow path.
struct Api(*const Capi);

// SAFETY: the struct is immortal and read-only once the module is imported;
// it is only used with the GIL held.
unsafe impl Send for Api {}
unsafe impl Sync for Api {}

static API: PyOnceLock<Api> = PyOnceLock::new();

fn api(py: Python<'_>) -> Option<&'static Capi> {
    let api = API.get_or_init(py, || Api(load(py).unwrap_or(std::ptr::null())));
    // SAFETY: non-null only when `load` checked it.
    unsafe { api.0.as_ref() }
}

fn load(py: Python<'_>) -> PyResult<*const Capi> {
    let module = py.import("datetime")?;
    // SAFETY: a stable-ABI call with a NUL-terminated name; null on failure.
    let capsule = unsafe { ffi::PyCapsule_Import(c"datetime.datetime_CAPI".as_ptr(), 0) }.cast::<Capi>();
    if capsule.is_null() {
        let _ = PyErr::take(py);
        return Ok(std::ptr::null());
    }
    let same = |field: *mut ffi::PyTypeObject, name: &str| -> PyResult<bool> {
        Ok(module.getattr(name)?.as_ptr() == field.cast::<ffi::PyObject>())
    };
    // SAFETY: the capsule points at the struct; reading its type fields is
    // what every C extension using datetime.h does.
    let api = unsafe { &*capsule };
    let utc = module.getattr("timezone")?.getattr("utc")?;
    let checked = same(api.date_type, "date")?
        && same(api.datetime_type, "datetime")?
        && same(api.time_type, "time")?
        && same(api.delta_type, "timedelta")?
        && same(api.tzinfo_type, "tzinfo")?
        && utc.as_ptr() == api.timezone_utc;
    Ok(if checked { capsule } else { std::ptr::null() })
}

/// A `datetime.date`; the arguments must be a valid date.
pub fn date(py: Python<'_>, year: i32, month: u8, day: u8) -> PyResult<Bound<'_, PyAny>> {
    let Some(api) = api(py) else { return Ok(PyDate::new(py, year, month, day)?.into_any()) };
    // SAFETY: the checked C API; a new reference or null with an exception set.
    unsafe {
        let made = (api.date_from_date)(year, c_int::from(month), c_int::from(day), api.date_type);
        Bound::from_owned_ptr_or_err(py, made)
    }
}

/// A `datetime.datetime`, naive or in UTC; the arguments must be valid.
pub fn datetime(
    py: Python<'_>,
    (year, month, day): (i32, u8, u8),
    (hour, minute, second, micros): (u8, u8, u8, u32),
    utc: bool,
) -> PyResult<Bound<'_, PyAny>> {
    let Some(api) = api(py) else {
        let tz = if utc { Some(PyTzInfo::utc(py)?.to_owned()) } else { None };
        return Ok(PyDateTime::new(py, year, month, day, hour, minute, second, micros, tz.as_ref())?.into_any());
    };
    let tz = if utc { api.timezone_utc } else { py.None().as_ptr() };
    // SAFETY: the checked C API (it takes its own reference to tz, which
    // lives as long as the interpreter); a new reference or null with an
    // exception set.
    unsafe {
        let made = (api.datetime_from_date_and_time)(
            year,
            c_int::from(month),
            c_int::from(day),
            c_int::from(hour),
            c_int::from(minute),
            c_int::from(second),
            c_int::try_from(micros).unwrap_or(0),
            tz,
            api.datetime_type,
        );
        Bound::from_owned_ptr_or_err(py, made)
    }
}

/// Whether the fast path is in use (tests check that it is on CPython).
pub fn fast(py: Python<'_>) -> bool {
    api(py).is_some()
}
