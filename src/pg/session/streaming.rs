//! A stream's reader holds the session until it is done (see pg/stream.rs).

use std::sync::atomic::Ordering;

use super::Session;
use crate::{Error, Result};

impl Session {
    pub(super) fn check_not_streaming(&self) -> Result<()> {
        if self.streaming.load(Ordering::SeqCst) {
            return Err(Error::Programming(
                "another statement is streaming its rows on this connection: read them to the end or close() the \
                 stream first (or use a second connection)"
                    .into(),
            ));
        }
        Ok(())
    }

    pub(in crate::pg) fn begin_stream(&self) -> Result<()> {
        self.check_open()?;
        if self.streaming.swap(true, Ordering::SeqCst) {
            return Err(Error::Programming(
                "another statement is already streaming its rows on this connection: read them to the end or \
                 close() the stream first"
                    .into(),
            ));
        }
        Ok(())
    }

    pub(in crate::pg) fn end_stream(&self) {
        self.streaming.store(false, Ordering::SeqCst);
    }
}
