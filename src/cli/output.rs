//! Writing results: stdout for data, stderr for messages. A closed pipe
//! (`middleware secrets list | head -1`) is not an error worth a traceback.

use std::io::Write;

use crate::{Error, Result};

pub fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::Operational(format!("cannot write to standard output: {e}")))
        }
        _ => Ok(()),
    }
}
