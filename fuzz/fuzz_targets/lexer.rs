//! The placeholder lexer must never panic, and a positional rewrite names
//! exactly as many parameters as it reports.
#![no_main]

use libfuzzer_sys::fuzz_target;
use _core::pg::params::{Order, rewrite};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let Ok(sql) = std::str::from_utf8(rest) else { return };
    if let Ok((out, Order::Positional(n))) = rewrite(sql, mode % 2 == 1) {
        if n > 0 {
            assert!(out.contains(&format!("${n}")), "{sql:?} -> {out:?}");
        }
    }
});
