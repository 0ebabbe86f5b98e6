//! `*` wildcards, as credstash names and access rules use them: `*` matches
//! any run of characters (including none, and `/`); everything else literally.

pub fn matches(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if text.len() < first.len() + last.len() || !text.starts_with(first) || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn stars_match_any_run() {
        assert!(matches("db.*", "db.password"));
        assert!(matches("*.password", "analytics.read_only.password"));
        assert!(matches("a*b*c", "aXbYc"));
        assert!(matches("*", ""));
        assert!(matches("arn:aws:iam::1:user/*", "arn:aws:iam::1:user/team/alice"));
        assert!(!matches("a*b*c", "aXcYb"));
        assert!(!matches("ab*ba", "aba"));
        assert!(!matches("db.*", "xdb.password"));
        assert!(matches("exact", "exact") && !matches("exact", "exactly"));
    }
}
