//! Who may use which database user: pure evaluation of
//! `[databases.<db>.users.<user>] allow = [...]`. Deny by default. No IO.
//!
//! An `allow` entry is `*` (anyone), `account:<id>`, or an IAM ARN that may
//! contain `*` globs. An assumed-role identity matches its role's ARN (and
//! its own `assumed-role/...` ARN, for session patterns); since AWS leaves a
//! role's path out of assumed-role ARNs, a role ARN with a path matches by
//! account and role name.

use crate::config::Database;
use crate::identity::Identity;

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
