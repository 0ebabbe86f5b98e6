//! Query results as text: a table for people, CSV / JSON / JSON lines for
//! programs. NULL is distinct everywhere: `NULL` in tables, an empty field in
//! CSV, `null` in JSON. Numerics stay exact (JSON strings).

use serde_json::{Map, Value as Json};

use crate::pg::query::Outcome;
use crate::pg::value::Value;
use crate::pg::wire::{MICROS_PER_DAY, civil};

/// A date as PostgreSQL writes it (ISO, years past 9999 in full, no sign);
/// years before 1 AD as chrono wrote them (-0001 is 2 BC).
fn date_text(days_since_2000: i64) -> String {
    let (y, m, d) = civil(days_since_2000);
    if y >= 0 { format!("{y:04}-{m:02}-{d:02}") } else { format!("{y:05}-{m:02}-{d:02}") }
}

/// HH:MM:SS and the fraction in 3 or 6 digits when there is one.
fn time_text(micros: i64) -> String {
    let secs = micros / 1_000_000;
    let frac = micros % 1_000_000;
    let mut out = format!("{:02}:{:02}:{:02}", secs / 3600, secs % 3600 / 60, secs % 60);
    if frac % 1000 == 0 && frac != 0 {
        out.push_str(&format!(".{:03}", frac / 1000));
    } else if frac != 0 {
        out.push_str(&format!(".{frac:06}"));
    }
    out
}

/// A value's text, as psql would print it (None for NULL).
pub fn text(value: &Value) -> Option<String> {
    Some(match value {
        Value::Null => return None,
        Value::Bool(b) => if *b { "t" } else { "f" }.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Numeric(s) | Value::Text(s) | Value::Json(s) => s.clone(),
        Value::Bytes(b) => format!("\\x{}", hex::encode(b)),
        Value::Date(d) => match *d {
            i32::MAX => "infinity".into(),
            i32::MIN => "-infinity".into(),
            d => date_text(d.into()),
        },
        // 0 to 24:00:00 from PostgreSQL; anything else is shown as it came.
        Value::Time(us) => time_text(*us),
        Value::TimeTz { micros, offset } => {
            let (sign, offset) = if *offset < 0 { ('-', -offset) } else { ('+', *offset) };
            let zone = format!("{sign}{:02}:{:02}", offset / 3600, offset % 3600 / 60);
            format!("{}{zone}", time_text(*micros))
        }
        Value::Timestamp(us) | Value::TimestampTz(us) => match *us {
            i64::MAX => "infinity".into(),
            i64::MIN => "-infinity".into(),
            us => {
                let t = format!(
                    "{}T{}",
                    date_text(us.div_euclid(MICROS_PER_DAY)),
                    time_text(us.rem_euclid(MICROS_PER_DAY))
                );
                if matches!(value, Value::TimestampTz(_)) { format!("{t}+00:00") } else { t }
            }
        },
        Value::Interval { months, days, micros } => {
            let secs = micros / 1_000_000;
            let frac = micros % 1_000_000;
            let mut out = String::new();
            if *months != 0 {
                out.push_str(&format!("{months} mons "));
            }
            if *days != 0 {
                out.push_str(&format!("{days} days "));
            }
            out.push_str(&format!("{:02}:{:02}:{:02}", secs / 3600, secs % 3600 / 60, secs % 60));
            if frac != 0 {
                out.push_str(&format!(".{:06}", frac.abs()));
            }
            out
        }
        Value::Uuid(b) => uuid::Uuid::from_bytes(*b).hyphenated().to_string(),
        Value::Array(items) => {
            serde_json::to_string(&Json::Array(items.iter().map(json).collect())).unwrap_or_default()
        }
    })
}

/// A value as JSON.
pub fn json(value: &Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::from(*i),
        Value::Float(f) => serde_json::Number::from_f64(*f).map_or_else(|| Json::String(f.to_string()), Json::Number),
        Value::Json(s) => serde_json::from_str(s).unwrap_or_else(|_| Json::String(s.clone())),
        Value::Array(items) => Json::Array(items.iter().map(json).collect()),
        other => Json::String(text(other).unwrap_or_default()),
    }
}

fn object(outcome: &Outcome, row: &[Value]) -> Json {
    let mut map = Map::new();
    for (column, value) in outcome.columns.iter().zip(row) {
        map.insert(column.name.clone(), json(value));
    }
    Json::Object(map)
}

pub fn to_json(outcome: &Outcome) -> String {
    let rows: Vec<Json> = outcome.rows.iter().map(|r| object(outcome, r)).collect();
    serde_json::to_string_pretty(&Json::Array(rows)).unwrap_or_default() + "\n"
}

pub fn to_jsonl(outcome: &Outcome) -> String {
    outcome.rows.iter().map(|r| object(outcome, r).to_string() + "\n").collect()
}

pub fn to_csv(outcome: &Outcome) -> String {
    let field = |s: &str| {
        if s.contains([',', '"', '\n', '\r']) || s.is_empty() {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    };
    let mut out = outcome.columns.iter().map(|c| field(&c.name)).collect::<Vec<_>>().join(",") + "\n";
    for row in &outcome.rows {
        // NULL is an empty unquoted field; an empty string is "".
        let cells: Vec<String> = row.iter().map(|v| text(v).map_or_else(String::new, |t| field(&t))).collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

/// Cells wider than this are cut with an ellipsis in tables.
const MAX_CELL: usize = 40;

pub fn to_table(outcome: &Outcome, color: bool) -> String {
    if outcome.columns.is_empty() {
        return match outcome.rows_affected {
            Some(n) => format!("OK ({n} rows affected)\n"),
            None => "OK\n".into(),
        };
    }
    let cut = |s: String| {
        if s.chars().count() > MAX_CELL { s.chars().take(MAX_CELL - 1).collect::<String>() + "…" } else { s }
    };
    let cells: Vec<Vec<Option<String>>> =
        outcome.rows.iter().map(|r| r.iter().map(|v| text(v).map(|t| cut(t.replace('\n', "\\n")))).collect()).collect();
    let widths: Vec<usize> = outcome
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            cells
                .iter()
                .map(|r| r[i].as_ref().map_or(4, |t| t.chars().count()))
                .chain([c.name.chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let numeric = |i: usize| {
        outcome.rows.iter().all(|r| matches!(r[i], Value::Int(_) | Value::Float(_) | Value::Numeric(_) | Value::Null))
    };
    let pad = |s: &str, w: usize, right: bool| {
        let fill = " ".repeat(w.saturating_sub(s.chars().count()));
        if right { format!("{fill}{s}") } else { format!("{s}{fill}") }
    };
    let mut out = String::new();
    let header: Vec<String> = outcome.columns.iter().zip(&widths).map(|(c, w)| pad(&c.name, *w, false)).collect();
    out.push_str(&header.join(" | "));
    out.push('\n');
    out.push_str(&widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("-+-"));
    out.push('\n');
    for row in &cells {
        let line: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, cell)| match cell {
                Some(t) => pad(t, widths[i], numeric(i)),
                None if color => format!("\x1b[2m{}\x1b[0m", pad("NULL", widths[i], numeric(i))),
                None => pad("NULL", widths[i], numeric(i)),
            })
            .collect();
        out.push_str(&line.join(" | "));
        out.push('\n');
    }
    out.push_str(&format!("({} row{})\n", outcome.rows.len(), if outcome.rows.len() == 1 { "" } else { "s" }));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pg::query::Column;

    fn outcome() -> Outcome {
        let col = |n: &str| Column { name: n.into(), type_oid: 0, ty: None, type_modifier: -1 };
        Outcome {
            columns: vec![col("id"), col("name"), col("amount")],
            rows: vec![
                vec![Value::Int(1), Value::Text("a,b".into()), Value::Numeric("1.50".into())],
                vec![Value::Int(22), Value::Null, Value::Null],
                vec![Value::Int(3), Value::Text(String::new()), Value::Numeric("-2".into())],
            ],
            rows_affected: Some(3),
            stopped: false,
        }
    }

    #[test]
    fn csv_keeps_null_and_empty_apart() {
        assert_eq!(to_csv(&outcome()), "id,name,amount\n1,\"a,b\",1.50\n22,,\n3,\"\",-2\n");
    }

    #[test]
    fn json_and_jsonl() {
        let lines = to_jsonl(&outcome());
        assert_eq!(lines.lines().next().unwrap(), r#"{"amount":"1.50","id":1,"name":"a,b"}"#);
        let parsed: Json = serde_json::from_str(&to_json(&outcome())).unwrap();
        assert_eq!(parsed[1]["name"], Json::Null);
    }

    #[test]
    fn tables_align_numbers_and_show_null() {
        let t = to_table(&outcome(), false);
        assert!(t.contains("id | name | amount"), "{t}");
        assert!(t.contains("22 | NULL |   NULL"), "{t}");
        assert!(t.ends_with("(3 rows)\n"));
    }

    #[test]
    fn dates_and_times_past_chronos_range_print_as_postgresql_does() {
        let days = |y: i32| {
            // Days from 2000-01-01 to January 1st of year y (y >= 2000).
            (2000..y).map(|y| if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 { 366 } else { 365 }).sum::<i32>()
        };
        assert_eq!(text(&Value::Date(days(300_000))).unwrap(), "300000-01-01");
        assert_eq!(text(&Value::Date(days(10_000))).unwrap(), "10000-01-01");
        assert_eq!(text(&Value::Date(2_147_483_493 - 2_451_545)).unwrap(), "5874897-12-31", "PostgreSQL's last date");
        assert_eq!(text(&Value::Date(-2_451_545)).unwrap(), "-4713-11-24", "its first (4714 BC)");
        assert_eq!(text(&Value::Date(i32::MAX - 1)).unwrap(), "5881610-07-10");
        assert_eq!(text(&Value::Date(i32::MIN + 1)).unwrap(), "-5877611-06-23");
        let ts = i64::from(days(294_276)) * MICROS_PER_DAY + 12 * 3_600_000_000;
        assert_eq!(text(&Value::Timestamp(ts)).unwrap(), "294276-01-01T12:00:00");
        assert_eq!(text(&Value::TimestampTz(i64::MAX - 1)).unwrap(), "294277-01-09T04:00:54.775806+00:00");
        assert_eq!(text(&Value::Timestamp(i64::MIN + 1)).unwrap(), "-290278-12-22T19:59:05.224193");
        assert_eq!(text(&Value::Timestamp(i64::MAX)).unwrap(), "infinity");
        assert_eq!(text(&Value::Date(i32::MIN)).unwrap(), "-infinity");
        assert_eq!(text(&Value::Time(86_400_000_000)).unwrap(), "24:00:00");
        assert_eq!(text(&Value::Time(i64::MAX)).unwrap(), "2562047788:00:54.775807");
        assert_eq!(text(&Value::Date(-1)).unwrap(), "1999-12-31");
        assert_eq!(text(&Value::Timestamp(-1)).unwrap(), "1999-12-31T23:59:59.999999");
    }

    #[test]
    fn temporal_text() {
        assert_eq!(text(&Value::Date(0)).unwrap(), "2000-01-01");
        assert_eq!(text(&Value::TimestampTz(1_500_000)).unwrap(), "2000-01-01T00:00:01.500+00:00");
        assert_eq!(
            text(&Value::Interval { months: 0, days: 1, micros: 3_723_500_000 }).unwrap(),
            "1 days 01:02:03.500000"
        );
    }
}
