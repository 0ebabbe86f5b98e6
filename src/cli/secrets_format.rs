//! `secrets get`/`getall` output: credstash's formats, with plaintexts held
//! only in buffers that are wiped when dropped.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use clap::ValueEnum;
use zeroize::Zeroizing;

use crate::{Error, Result, secrets};

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    Dotenv,
    Yaml,
}

pub type Texts = BTreeMap<String, Zeroizing<String>>;

pub fn texts(all: BTreeMap<String, Zeroizing<Vec<u8>>>) -> Result<Texts> {
    all.into_iter()
        .map(|(name, value)| {
            let text = secrets::text(&name, &value)?;
            Ok((name, text))
        })
        .collect()
}

/// credstash's output formats, byte for byte where credstash is deterministic
/// (it prints dict order; we sort by name), except dotenv, which is quoted for
/// the shell. Written into one buffer sized up front, so no copy of a
/// plaintext is left behind by a reallocation, and wiped when dropped.
pub fn render(secrets: &Texts, format: Format) -> Result<Zeroizing<String>> {
    let mut out = Zeroizing::new(String::with_capacity(room(secrets)));
    match format {
        Format::Json => json(secrets, &mut out),
        Format::Csv => {
            for (k, v) in secrets {
                csv_field(k, &mut out);
                out.push(',');
                csv_field(v, &mut out);
                out.push('\n');
            }
        }
        Format::Dotenv => {
            for (k, v) in secrets {
                dotenv_line(k, v, &mut out)?;
            }
        }
        Format::Yaml => {
            for (k, v) in secrets {
                yaml_scalar(k, &mut out);
                out.push_str(": ");
                yaml_scalar(v, &mut out);
                out.push('\n');
            }
        }
    }
    Ok(out)
}

/// The most any format needs: JSON's \u00XX is 6 bytes for a byte of input.
fn room(secrets: &Texts) -> usize {
    secrets.iter().map(|(k, v)| 6 * (k.len() + v.len()) + 16).sum::<usize>() + 8
}

/// `NAME='value'` that a shell sources back to exactly `value`: inside single
/// quotes nothing is special but `'`, written as `'\''`. credstash wrote the
/// value unescaped, so a stored `'; cmd; '` ran `cmd` when sourced.
fn dotenv_line(name: &str, value: &str, out: &mut String) -> Result<()> {
    let var = name.to_uppercase();
    let is_identifier = var.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !is_identifier {
        return Err(Error::Interface(format!(
            "secret {name:?} cannot be written as dotenv: {var:?} is not a shell variable name (letters, digits \
             and _, not starting with a digit). Use -f json, csv or yaml, or a name pattern that leaves it out."
        )));
    }
    if value.contains('\0') {
        return Err(Error::Interface(format!(
            "secret {name:?} cannot be written as dotenv: its value contains a NUL byte, which a shell variable \
             cannot hold. Use -f json instead."
        )));
    }
    out.push_str(&var);
    out.push_str("='");
    push_replaced(out, value, '\'', "'\\''");
    out.push_str("'\n");
    Ok(())
}

/// Python's `json.dumps(d, sort_keys=True, indent=4, separators=(',', ': '))`
/// (ASCII only: everything else as \uXXXX, as ensure_ascii does).
fn json(secrets: &Texts, out: &mut String) {
    if secrets.is_empty() {
        out.push_str("{}");
        return;
    }
    out.push_str("{\n");
    for (i, (k, v)) in secrets.iter().enumerate() {
        if i > 0 {
            out.push_str(",\n");
        }
        out.push_str("    ");
        json_str(k, out);
        out.push_str(": ");
        json_str(v, out);
    }
    out.push_str("\n}");
}

fn json_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

/// Python's csv module, default dialect: quote when needed, double quotes.
fn csv_field(s: &str, out: &mut String) {
    if s.contains([',', '"', '\n', '\r']) {
        out.push('"');
        push_replaced(out, s, '"', "\"\"");
        out.push('"');
    } else {
        out.push_str(s);
    }
}

/// A YAML scalar: plain when unambiguous, else single-quoted.
fn yaml_scalar(s: &str, out: &mut String) {
    let plain = !s.is_empty()
        && s.chars().all(|c| c.is_ascii_alphanumeric() || "._-/".contains(c))
        && !s.starts_with(['-', '.'])
        && s.parse::<f64>().is_err()
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "y" | "n" | "~"
        );
    if plain {
        out.push_str(s);
        return;
    }
    out.push('\'');
    push_replaced(out, s, '\'', "''");
    out.push('\'');
}

/// `s` with every `from` written as `to`, straight into `out` (no copy).
fn push_replaced(out: &mut String, s: &str, from: char, to: &str) {
    for (i, part) in s.split(from).enumerate() {
        if i > 0 {
            out.push_str(to);
        }
        out.push_str(part);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> Texts {
        pairs.iter().map(|(k, v)| ((*k).into(), Zeroizing::new((*v).to_string()))).collect()
    }

    fn rendered(pairs: &[(&str, &str)], format: Format) -> String {
        render(&map(pairs), format).unwrap().to_string()
    }

    fn yaml(s: &str) -> String {
        let mut out = String::new();
        yaml_scalar(s, &mut out);
        out
    }

    #[test]
    fn json_matches_pythons_sorted_indented_ascii_output() {
        let pairs = [("b", "x\"y"), ("a", "héllo 😀\u{1}")];
        assert_eq!(
            rendered(&pairs, Format::Json),
            "{\n    \"a\": \"h\\u00e9llo \\ud83d\\ude00\\u0001\",\n    \"b\": \"x\\\"y\"\n}"
        );
        assert_eq!(rendered(&[], Format::Json), "{}");
    }

    #[test]
    fn csv_and_yaml() {
        let pairs = [("db.pw", "a,b"), ("k", "it's \"q\"")];
        assert_eq!(rendered(&pairs, Format::Csv), "db.pw,\"a,b\"\nk,\"it's \"\"q\"\"\"\n");
        assert_eq!(rendered(&pairs, Format::Yaml), "db.pw: 'a,b'\nk: 'it''s \"q\"'\n");
        assert_eq!(yaml("true"), "'true'");
        assert_eq!(yaml("123"), "'123'");
        assert_eq!(yaml("plain_value"), "plain_value");
    }

    #[test]
    fn dotenv_quotes_for_the_shell_and_refuses_names_that_are_not_variables() {
        let pairs = [("k", "x'; touch /tmp/p; echo '"), ("db_pw", "a\nb $HOME `id`")];
        assert_eq!(rendered(&pairs, Format::Dotenv), "DB_PW='a\nb $HOME `id`'\nK='x'\\''; touch /tmp/p; echo '\\'''\n");
        for bad in ["db.pw", "1st", "a-b", "", "é"] {
            let err = render(&map(&[(bad, "v")]), Format::Dotenv).unwrap_err().to_string();
            assert!(err.contains("not a shell variable name") && err.contains("-f json"), "{bad}: {err}");
        }
        assert!(render(&map(&[("k", "a\0b")]), Format::Dotenv).is_err());
    }

    #[test]
    fn the_rendering_buffer_is_sized_once() {
        let long = "\u{1}".repeat(1000);
        for format in [Format::Json, Format::Csv, Format::Dotenv, Format::Yaml] {
            let secrets = map(&[("k", &long), ("q", "''''\"\"\"\"")]);
            let out = render(&secrets, format).unwrap();
            assert_eq!(out.capacity(), room(&secrets), "{format:?} outgrew its buffer");
        }
    }
}
