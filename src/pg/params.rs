//! pyformat placeholders (`%s`, `%(name)s`) -> PostgreSQL's `$n`. Pure.
//!
//! A small lexer: placeholders inside quoted strings, quoted identifiers,
//! dollar-quoted bodies and comments are left alone; `%%` is a literal `%`
//! (everywhere, as psycopg does). Without parameters the query is not
//! rewritten at all.

use std::collections::HashMap;

use crate::{Error, Result};

/// How the rewritten query's `$n` map to the caller's parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Order {
    /// `$n` is the n-th positional parameter.
    Positional(usize),
    /// `$n` is the n-th distinct name, in order of first use.
    Named(Vec<String>),
}

/// Rewrites `sql`; `named` says whether the caller passed a mapping.
pub fn rewrite(sql: &str, named: bool) -> Result<(String, Order)> {
    let bytes = sql.as_bytes();
    let mut out = String::with_capacity(sql.len() + 8);
    let mut positional = 0usize;
    let mut names: Vec<String> = Vec::new();
    // Name -> its $n: a multi-row INSERT has thousands of distinct names.
    let mut numbers: HashMap<&str, usize> = HashMap::new();
    let mut i = 0;
    let mut copied = 0; // bytes[copied..i] still to copy
    while i < bytes.len() {
        match bytes[i] {
            b'\'' | b'"' => i = skip_quoted(bytes, i, &mut out, &mut copied, sql),
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                i = bytes[i..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |p| i + p);
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => i = skip_block_comment(bytes, i),
            b'$' => i = skip_dollar_quoted(sql, i),
            b'%' => {
                out.push_str(&sql[copied..i]);
                match bytes.get(i + 1) {
                    Some(b'%') => {
                        out.push('%');
                        i += 2;
                    }
                    Some(b's' | b'b' | b't') => {
                        if named {
                            return Err(mixed("a positional %s", "a mapping"));
                        }
                        positional += 1;
                        out.push_str(&format!("${positional}"));
                        i += 2;
                    }
                    Some(b'(') => {
                        let close = sql[i..].find(")s").ok_or_else(|| {
                            Error::Programming(format!("unterminated named placeholder at character {}", i + 1))
                        })?;
                        let name = &sql[i + 2..i + close];
                        if !named {
                            return Err(mixed(&format!("the named placeholder %({name})s"), "a sequence"));
                        }
                        let n = *numbers.entry(name).or_insert_with(|| {
                            names.push(name.to_string());
                            names.len()
                        });
                        out.push_str(&format!("${n}"));
                        i += close + 2;
                    }
                    _ => {
                        out.push('%'); // a modulo operator or the like
                        i += 1;
                    }
                }
                copied = i;
            }
            _ => i += 1,
        }
    }
    out.push_str(&sql[copied..]);
    Ok((out, if named { Order::Named(names) } else { Order::Positional(positional) }))
}

fn mixed(found: &str, given: &str) -> Error {
    Error::Programming(format!(
        "the query uses {found} but the parameters are {given}: use %s with a sequence, or %(name)s with a mapping"
    ))
}

/// Skips '...' (with '' and, for E'...', backslash escapes) or "...",
/// turning `%%` into `%` inside so psycopg-style queries keep working.
fn skip_quoted(bytes: &[u8], start: usize, out: &mut String, copied: &mut usize, sql: &str) -> usize {
    let quote = bytes[start];
    let backslash = quote == b'\'' && start > 0 && matches!(bytes[start - 1], b'E' | b'e');
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if backslash => i += 2,
            b'%' if bytes.get(i + 1) == Some(&b'%') => {
                out.push_str(&sql[*copied..=i]);
                i += 2;
                *copied = i;
            }
            b if b == quote => {
                if bytes.get(i + 1) == Some(&quote) {
                    i += 2;
                } else {
                    return i + 1;
                }
            }
            _ => i += 1,
        }
    }
    bytes.len()
}

fn skip_block_comment(bytes: &[u8], start: usize) -> usize {
    let mut depth = 0;
    let mut i = start;
    while i + 1 < bytes.len() {
        if bytes[i] == b'/' && bytes[i + 1] == b'*' {
            depth += 1;
            i += 2;
        } else if bytes[i] == b'*' && bytes[i + 1] == b'/' {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    bytes.len()
}

/// `$tag$ ... $tag$` (tag may be empty); a `$1`-style parameter is not a quote.
fn skip_dollar_quoted(sql: &str, start: usize) -> usize {
    let rest = &sql[start + 1..];
    let Some(end) = rest.find('$') else { return start + 1 };
    let tag = &rest[..end];
    if !tag.chars().all(|c| c.is_alphanumeric() || c == '_') || tag.starts_with(|c: char| c.is_ascii_digit()) {
        return start + 1;
    }
    let delimiter = &sql[start..start + end + 2];
    let body = start + delimiter.len();
    sql[body..].find(delimiter).map_or(sql.len(), |at| body + at + delimiter.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(sql: &str) -> (String, usize) {
        match rewrite(sql, false).unwrap() {
            (s, Order::Positional(n)) => (s, n),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn positional_and_named() {
        assert_eq!(pos("select %s, %s"), ("select $1, $2".into(), 2));
        let (sql, order) = rewrite("select %(a)s, %(b)s, %(a)s", true).unwrap();
        assert_eq!(sql, "select $1, $2, $1");
        assert_eq!(order, Order::Named(vec!["a".into(), "b".into()]));
    }

    #[test]
    fn quotes_comments_and_dollar_bodies_are_left_alone() {
        assert_eq!(pos("select '%s', \"%s\", %s"), ("select '%s', \"%s\", $1".into(), 1));
        assert_eq!(pos("select 'it''s %s', %s"), ("select 'it''s %s', $1".into(), 1));
        assert_eq!(pos("select E'\\'%s', %s"), ("select E'\\'%s', $1".into(), 1));
        assert_eq!(pos("select 1 -- %s\n, %s"), ("select 1 -- %s\n, $1".into(), 1));
        assert_eq!(pos("select /* %s /* %s */ */ %s"), ("select /* %s /* %s */ */ $1".into(), 1));
        assert_eq!(pos("select $$ %s $$, $f$ %s $f$, %s"), ("select $$ %s $$, $f$ %s $f$, $1".into(), 1));
        assert_eq!(pos("select $1, %s"), ("select $1, $1".into(), 1), "a $1 is not a dollar quote");
    }

    #[test]
    fn percent_escapes() {
        assert_eq!(pos("select 'a%%', 5 %% 3, %s"), ("select 'a%', 5 % 3, $1".into(), 1));
        assert_eq!(pos("select 5 % 3"), ("select 5 % 3".into(), 0), "a lone % is kept");
    }

    #[test]
    fn mixing_styles_is_a_programming_error() {
        let e = rewrite("select %(a)s", false).unwrap_err().to_string();
        assert!(e.contains("%(a)s") && e.contains("sequence"), "{e}");
        let e = rewrite("select %s", true).unwrap_err().to_string();
        assert!(e.contains("mapping"), "{e}");
        assert!(rewrite("select %(a", true).is_err());
    }

    #[test]
    fn unterminated_constructs_do_not_panic() {
        for sql in ["select 'abc", "select \"x", "select /* x", "select $a$ body", "select $", "%", "'%%"] {
            let _ = rewrite(sql, false);
        }
    }
}
