//! Human durations as written in config and on the command line: "60s", "15m",
//! "1h30m", "250ms", or a bare number of seconds ("2.5").

use std::time::Duration;

/// Parses a duration; the error says what was expected, for the caller to
/// prefix with where the value came from.
pub fn parse(text: &str) -> Result<Duration, String> {
    let s = text.trim();
    if s.is_empty() {
        return Err("expected a duration such as \"30s\", \"15m\" or \"1h\", got an empty string".into());
    }
    if let Ok(secs) = s.parse::<f64>() {
        return from_secs(secs, text);
    }
    let mut total = 0.0_f64;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).ok_or_else(|| bad(text))?;
        if digits == 0 {
            return Err(bad(text));
        }
        let number: f64 = rest[..digits].parse().map_err(|_| bad(text))?;
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let factor = match rest[..unit_len].trim() {
            "ms" => 0.001,
            "s" | "sec" | "secs" => 1.0,
            "m" | "min" | "mins" => 60.0,
            "h" | "hr" | "hrs" => 3600.0,
            "d" => 86400.0,
            _ => return Err(bad(text)),
        };
        total += number * factor;
        rest = &rest[unit_len..];
    }
    from_secs(total, text)
}

fn from_secs(secs: f64, text: &str) -> Result<Duration, String> {
    if !secs.is_finite() || secs <= 0.0 {
        return Err(format!("expected a positive duration, got {text:?}"));
    }
    Duration::try_from_secs_f64(secs).map_err(|_| format!("duration {text:?} is too large"))
}

fn bad(text: &str) -> String {
    format!("expected a duration such as \"30s\", \"15m\", \"1h30m\" or \"250ms\", got {text:?}")
}

/// Formats a duration the way people write it ("1.5s", "15m", "2h"), for messages.
pub fn display(d: Duration) -> String {
    let ms = d.as_millis();
    if ms == 0 {
        return format!("{}µs", d.as_micros());
    }
    if ms.is_multiple_of(3_600_000) {
        format!("{}h", ms / 3_600_000)
    } else if ms.is_multiple_of(60_000) {
        format!("{}m", ms / 60_000)
    } else if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else if ms < 1000 {
        format!("{ms}ms")
    } else {
        let secs = format!("{:.3}", d.as_secs_f64());
        format!("{}s", secs.trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_bare_seconds() {
        assert_eq!(parse("60s").unwrap(), Duration::from_secs(60));
        assert_eq!(parse("15m").unwrap(), Duration::from_secs(900));
        assert_eq!(parse("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse("2.5").unwrap(), Duration::from_millis(2500));
        assert_eq!(parse(" 10 ").unwrap(), Duration::from_secs(10));
    }

    #[test]
    fn rejects_nonsense_with_the_value_in_the_message() {
        for bad in ["", "abc", "10x", "-5s", "0", "s", "1.2.3s", "nan"] {
            let err = parse(bad).unwrap_err();
            assert!(err.contains("duration"), "{bad:?}: {err}");
        }
    }

    #[test]
    fn displays_round_units() {
        assert_eq!(display(Duration::from_secs(900)), "15m");
        assert_eq!(display(Duration::from_secs(60)), "1m");
        assert_eq!(display(Duration::from_secs(7200)), "2h");
        assert_eq!(display(Duration::from_secs(30)), "30s");
        assert_eq!(display(Duration::from_millis(1500)), "1.5s");
        assert_eq!(display(Duration::from_millis(250)), "250ms");
    }
}
