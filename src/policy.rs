//! Who may use which database user: pure evaluation of
//! `[databases.<db>.users.<user>] allow = [...]`. Deny by default. No IO.
//!
//! An `allow` entry is `*` (anyone), `account:<id>`, or an IAM ARN that may
//! contain `*` globs. An assumed-role identity matches its role's ARN (and
//! its own `assumed-role/...` ARN, for session patterns); since AWS leaves a
//! role's path out of assumed-role ARNs, a role ARN with a path matches by
//! account and role name.

use crate::config::Database;
use crate::principal::Identity;

/// The outcome for one (database, user) request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// Every user this identity may use on the database, sorted.
    pub usable: Vec<String>,
}

pub fn decide(db: &Database, user: &str, who: &Identity) -> Decision {
    let usable = usable_users(db, who);
    Decision { allowed: usable.iter().any(|u| u == user), usable }
}

/// The users of `db` whose `allow` list admits `who`.
pub fn usable_users(db: &Database, who: &Identity) -> Vec<String> {
    db.users
        .iter()
        .filter(|(_, u)| u.allow.iter().any(|rule| admits(rule, who)))
        .map(|(name, _)| name.clone())
        .collect()
}

/// Whether one `allow` entry admits `who`.
pub fn admits(rule: &str, who: &Identity) -> bool {
    let rule = rule.trim();
    if rule == "*" {
        return true;
    }
    if let Some(account) = rule.strip_prefix("account:") {
        return account.trim() == who.account;
    }
    if crate::glob::matches(rule, &who.principal) || crate::glob::matches(rule, &who.arn) {
        return true;
    }
    // arn:aws:iam::<acct>:role/<path>/<name> vs an assumed role's role/<name>.
    match (role_parts(rule), role_parts(&who.principal)) {
        (Some((rule_prefix, rule_name)), Some((who_prefix, who_name))) if who.arn != who.principal => {
            rule_prefix == who_prefix && crate::glob::matches(rule_name, who_name)
        }
        _ => false,
    }
}

/// ("arn:aws:iam::<acct>:role", "<name>") of a role ARN, path dropped.
fn role_parts(arn: &str) -> Option<(&str, &str)> {
    let at = arn.find(":role/")?;
    let name = arn.rsplit('/').next()?;
    Some((&arn[..at + 5], name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DbUser;
    use std::collections::BTreeMap;

    fn db(rules: &[(&str, &[&str])]) -> Database {
        let text = "[databases.a]\n";
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), text).unwrap();
        let sources = crate::config::Sources { env_file: Some(file.path().into()), ..Default::default() };
        let mut db = crate::config::Config::load(&sources).unwrap().databases.remove(0);
        db.users = rules
            .iter()
            .map(|(u, allow)| {
                (
                    (*u).to_string(),
                    DbUser { allow: allow.iter().map(|s| (*s).to_string()).collect(), ..DbUser::default() },
                )
            })
            .collect::<BTreeMap<_, _>>();
        db
    }

    fn who(arn: &str) -> Identity {
        Identity::from_arn(arn, "AIDA")
    }

    const ALICE: &str = "arn:aws:iam::123456789012:user/alice";

    #[test]
    fn deny_by_default() {
        let d = db(&[("ro", &[]), ("rw", &["arn:aws:iam::123456789012:user/bob"])]);
        assert_eq!(decide(&d, "ro", &who(ALICE)), Decision { allowed: false, usable: vec![] });
        assert!(!decide(&d, "nobody", &who(ALICE)).allowed, "an unknown user is denied");
    }

    #[test]
    fn every_kind_of_rule() {
        let me = who(ALICE);
        assert!(admits("*", &me));
        assert!(admits("account:123456789012", &me));
        assert!(!admits("account:999999999999", &me));
        assert!(admits(ALICE, &me));
        assert!(admits("arn:aws:iam::123456789012:user/*", &me));
        assert!(admits("arn:aws:iam::*:user/alice", &me));
        assert!(!admits("arn:aws:iam::123456789012:user/alic", &me));
        assert!(!admits("arn:aws:iam::123456789012:user/bob", &me));
        assert!(!admits("", &me));
    }

    #[test]
    fn iam_paths_are_kept_for_users() {
        let pathed = who("arn:aws:iam::123456789012:user/team/alice");
        assert!(admits("arn:aws:iam::123456789012:user/team/alice", &pathed));
        assert!(!admits(ALICE, &pathed));
        assert!(admits("arn:aws:iam::123456789012:user/team/*", &pathed));
    }

    #[test]
    fn assumed_roles_match_their_role() {
        let session = who("arn:aws:sts::123456789012:assumed-role/data-eng/alice@example.com");
        assert_eq!(session.principal, "arn:aws:iam::123456789012:role/data-eng");
        assert!(admits("arn:aws:iam::123456789012:role/data-eng", &session));
        assert!(admits("arn:aws:iam::123456789012:role/teams/data-eng", &session), "paths are not in session ARNs");
        assert!(admits("arn:aws:sts::123456789012:assumed-role/data-eng/*", &session));
        assert!(!admits("arn:aws:iam::123456789012:role/data-sci", &session));
        assert!(!admits("arn:aws:iam::999999999999:role/data-eng", &session));
    }

    #[test]
    fn decisions_list_the_usable_users() {
        let d = db(&[
            ("read_only", &["account:123456789012"]),
            ("read_write", &[ALICE]),
            ("admin", &["arn:aws:iam::1:user/root"]),
        ]);
        let bob = who("arn:aws:iam::123456789012:user/bob");
        assert_eq!(decide(&d, "read_write", &bob), Decision { allowed: false, usable: vec!["read_only".into()] });
        let alice = decide(&d, "read_write", &who(ALICE));
        assert!(alice.allowed);
        assert_eq!(alice.usable, vec!["read_only".to_string(), "read_write".to_string()]);
    }
}

/// The `[databases.<db>.users.<user>] allow = [...]` rules of a policy kept
/// in a credstash secret (`[access] policy_secret`), parsed. The secret's
/// rules replace the file's for every database user it names.
pub fn parse_rules(text: &str, source: &str) -> crate::Result<Vec<(String, String, Vec<String>)>> {
    let bad = |what: String| crate::Error::config(format!("invalid access policy in {source}: {what}"));
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| bad(e.to_string().trim_end().to_string()))?;
    let mut rules = Vec::new();
    for (key, value) in &table {
        if key != "databases" {
            return Err(bad(format!(
                "unknown key {key:?}; only [databases.<db>.users.<user>] allow = [...] belongs here"
            )));
        }
        let Some(databases) = value.as_table() else { return Err(bad("databases must be a table".into())) };
        for (db, section) in databases {
            let users = section.as_table().and_then(|t| t.get("users")).and_then(toml::Value::as_table);
            let Some(users) = users.filter(|_| section.as_table().is_some_and(|t| t.len() == 1)) else {
                return Err(bad(format!("databases.{db} may only hold a users table")));
            };
            for (user, rule) in users {
                let allow = rule
                    .as_table()
                    .filter(|t| t.len() == 1)
                    .and_then(|t| t.get("allow"))
                    .and_then(toml::Value::as_array)
                    .and_then(|a| a.iter().map(|v| v.as_str().map(str::to_string)).collect::<Option<Vec<_>>>())
                    .ok_or_else(|| bad(format!("databases.{db}.users.{user} must be {{ allow = [\"...\"] }}")))?;
                rules.push((db.clone(), user.clone(), allow));
            }
        }
    }
    Ok(rules)
}

/// Applies parsed rules to one database's users (adding users it names).
pub fn apply_rules(db: &mut Database, rules: &[(String, String, Vec<String>)]) {
    for (name, user, allow) in rules {
        if *name == db.name {
            db.users.entry(user.clone()).or_default().allow.clone_from(allow);
        }
    }
}

#[cfg(test)]
mod secret_tests {
    use super::*;

    #[test]
    fn policy_secrets_parse_and_replace_allow_lists() {
        let text = "[databases.a.users.ro]\nallow = [\"*\"]\n[databases.a.users.rw]\nallow = [\"account:1\"]\n";
        let rules = parse_rules(text, "secret p").unwrap();
        assert_eq!(rules.len(), 2);
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), "[databases.a.users.ro]\nallow = []\n").unwrap();
        let sources = crate::config::Sources { env_file: Some(file.path().into()), ..Default::default() };
        let mut db = crate::config::Config::load(&sources).unwrap().databases.remove(0);
        apply_rules(&mut db, &rules);
        assert_eq!(db.users["ro"].allow, vec!["*".to_string()]);
        assert_eq!(db.users["rw"].allow, vec!["account:1".to_string()]);
        for bad in ["x = 1", "[databases.a]\nhost = \"h\"", "[databases.a.users.ro]\nallow = \"*\"", "[[nope"] {
            let message = parse_rules(bad, "secret p").unwrap_err().to_string();
            assert!(message.contains("secret p"), "{bad}: {message}");
        }
    }
}
