//! Query parameters: owned values (built from Python with the GIL held, sent
//! with it released), each with the PostgreSQL type it declares, sent in text
//! format so the server does the parsing (works on Redshift, which rejects
//! binary arrays, and for types we do not know).

use std::error::Error as StdError;

use bytes::BytesMut;
use tokio_postgres::types::{Format, IsNull, Kind, ToSql, Type};

#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Null,
    Bool(bool),
    Int(i64),
    /// Integers beyond i64 (sent as numeric).
    BigInt(String),
    Float(f64),
    /// Decimal text (also NaN, Infinity).
    Decimal(String),
    /// Text whose type the server infers from context.
    Text(String),
    Bytes(Vec<u8>),
    /// ISO text of each temporal kind.
    Date(String),
    Time(String),
    Timestamp(String),
    TimestampTz(String),
    /// PostgreSQL interval text, e.g. "3 days 00:00:01.5".
    Interval(String),
    Uuid(String),
    Json(String),
    Array(Vec<Param>),
}

/// "Unspecified": lets the server infer the parameter's type (OID 0).
fn unspecified() -> Type {
    Type::new("unknown".into(), 0, Kind::Simple, "pg_catalog".into())
}

impl Param {
    /// The type this parameter declares when the statement is prepared.
    pub fn declared_type(&self) -> Type {
        match self {
            Param::Null | Param::Text(_) => unspecified(),
            Param::Bool(_) => Type::BOOL,
            Param::Int(_) => Type::INT8,
            Param::BigInt(_) | Param::Decimal(_) => Type::NUMERIC,
            Param::Float(_) => Type::FLOAT8,
            Param::Bytes(_) => Type::BYTEA,
            Param::Date(_) => Type::DATE,
            Param::Time(_) => Type::TIME,
            Param::Timestamp(_) => Type::TIMESTAMP,
            Param::TimestampTz(_) => Type::TIMESTAMPTZ,
            Param::Interval(_) => Type::INTERVAL,
            Param::Uuid(_) => Type::UUID,
            Param::Json(_) => Type::JSONB,
            Param::Array(items) => match items.iter().find(|p| !matches!(p, Param::Null)).map(Param::declared_type) {
                Some(t) if t == Type::BOOL => Type::BOOL_ARRAY,
                Some(t) if t == Type::INT8 => Type::INT8_ARRAY,
                Some(t) if t == Type::NUMERIC => Type::NUMERIC_ARRAY,
                Some(t) if t == Type::FLOAT8 => Type::FLOAT8_ARRAY,
                Some(t) if t == Type::BYTEA => Type::BYTEA_ARRAY,
                Some(t) if t == Type::DATE => Type::DATE_ARRAY,
                Some(t) if t == Type::TIMESTAMP => Type::TIMESTAMP_ARRAY,
                Some(t) if t == Type::TIMESTAMPTZ => Type::TIMESTAMPTZ_ARRAY,
                Some(t) if t == Type::UUID => Type::UUID_ARRAY,
                Some(t) if t == Type::INT8_ARRAY => Type::INT8_ARRAY, // nested: same array type
                Some(t) if t == Type::FLOAT8_ARRAY => Type::FLOAT8_ARRAY,
                Some(t) if t == Type::NUMERIC_ARRAY => Type::NUMERIC_ARRAY,
                Some(t) if t == Type::BOOL_ARRAY => Type::BOOL_ARRAY,
                Some(t) if t == Type::TEXT_ARRAY => Type::TEXT_ARRAY,
                _ => Type::TEXT_ARRAY,
            },
        }
    }

    /// PostgreSQL's text input form.
    fn write_text(&self, out: &mut String) {
        match self {
            Param::Null => out.push_str("NULL"),
            Param::Bool(b) => out.push_str(if *b { "t" } else { "f" }),
            Param::Int(i) => out.push_str(&i.to_string()),
            Param::Float(f) => out.push_str(&float_text(*f)),
            Param::Bytes(b) => {
                // One backslash in arrays too: the element quoting below
                // doubles it, and the array parser halves it again.
                out.push_str("\\x");
                out.push_str(&hex::encode(b));
            }
            Param::Array(items) => {
                out.push('{');
                for (k, item) in items.iter().enumerate() {
                    if k > 0 {
                        out.push(',');
                    }
                    match item {
                        Param::Null | Param::Array(_) => item.write_text(out),
                        other => {
                            let mut inner = String::new();
                            other.write_text(&mut inner);
                            out.push('"');
                            out.push_str(&inner.replace('\\', "\\\\").replace('"', "\\\""));
                            out.push('"');
                        }
                    }
                }
                out.push('}');
            }
            Param::BigInt(s)
            | Param::Decimal(s)
            | Param::Text(s)
            | Param::Date(s)
            | Param::Time(s)
            | Param::Timestamp(s)
            | Param::TimestampTz(s)
            | Param::Interval(s)
            | Param::Uuid(s)
            | Param::Json(s) => out.push_str(s),
        }
    }
}

fn float_text(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f.is_infinite() {
        if f > 0.0 { "Infinity".into() } else { "-Infinity".into() }
    } else {
        // Rust's shortest round-trip representation.
        format!("{f:?}")
    }
}

/// Why our encoder refused a parameter; found again by type (downcast) in
/// tokio-postgres's error, so the caller hears a data problem, not a lost
/// connection.
#[derive(Debug)]
pub struct ParamError(pub &'static str);

impl std::fmt::Display for ParamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl StdError for ParamError {}

impl ToSql for Param {
    fn to_sql(&self, _ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn StdError + Sync + Send>> {
        if matches!(self, Param::Null) {
            return Ok(IsNull::Yes);
        }
        if let Param::Text(s) = self
            && s.contains('\0')
        {
            return Err(Box::new(ParamError(
                "text parameters cannot contain NUL (\\0) characters: PostgreSQL does not store them",
            )));
        }
        let mut text = String::new();
        self.write_text(&mut text);
        out.extend_from_slice(text.as_bytes());
        Ok(IsNull::No)
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    fn encode_format(&self, _ty: &Type) -> Format {
        Format::Text
    }

    tokio_postgres::types::to_sql_checked!();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(p: &Param) -> String {
        let mut s = String::new();
        p.write_text(&mut s);
        s
    }

    #[test]
    fn text_forms() {
        assert_eq!(text(&Param::Bool(true)), "t");
        assert_eq!(text(&Param::Float(0.1)), "0.1");
        assert_eq!(text(&Param::Float(f64::NEG_INFINITY)), "-Infinity");
        assert_eq!(text(&Param::Bytes(vec![0, 255])), "\\x00ff");
        let arr = Param::Array(vec![Param::Int(1), Param::Null, Param::Text("a\"b,c".into())]);
        assert_eq!(text(&arr), "{\"1\",NULL,\"a\\\"b,c\"}");
        let nested = Param::Array(vec![Param::Array(vec![Param::Int(1)]), Param::Array(vec![Param::Int(2)])]);
        assert_eq!(text(&nested), "{{\"1\"},{\"2\"}}");
        assert_eq!(nested.declared_type(), Type::INT8_ARRAY);
    }

    #[test]
    fn bytea_array_elements_are_hex_once() {
        let arr = Param::Array(vec![Param::Bytes(vec![0, 1]), Param::Null]);
        // The array parser turns \\x0001 into \x0001, which byteain reads as hex.
        assert_eq!(text(&arr), "{\"\\\\x0001\",NULL}");
        assert_eq!(arr.declared_type(), Type::BYTEA_ARRAY);
    }

    #[test]
    fn nul_bytes_in_text_are_refused_with_a_reason() {
        let mut buf = BytesMut::new();
        match Param::Text("a\0b".into()).to_sql(&Type::TEXT, &mut buf) {
            Err(err) => assert!(err.to_string().contains("NUL")),
            Ok(_) => panic!("a NUL byte was accepted"),
        }
    }
}
