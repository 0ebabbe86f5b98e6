//! Who a caller is, from the ARN STS reports: the principal a policy matches
//! (an assumed-role session counts as its role) and the name a database log
//! should show. Pure: no IO, no AWS client (identity.rs makes the STS call).

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The ARN STS reported (for an assumed role, the session ARN).
    pub arn: String,
    /// The principal to match policies against: an assumed-role session's
    /// role ARN, otherwise `arn` itself.
    pub principal: String,
    pub account: String,
    pub user_id: String,
}

impl Identity {
    pub fn from_arn(arn: &str, user_id: &str) -> Identity {
        let account = arn.split(':').nth(4).unwrap_or_default().to_string();
        Identity { arn: arn.into(), principal: principal_of(arn), account, user_id: user_id.into() }
    }
}

/// `arn:<p>:sts::<acct>:assumed-role/<role>/<session>` -> `arn:<p>:iam::<acct>:role/<role>`;
/// anything else unchanged.
pub fn principal_of(arn: &str) -> String {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if let [_, partition, "sts", _, account, resource] = parts.as_slice()
        && let Some(rest) = resource.strip_prefix("assumed-role/")
        && let Some(role) = rest.split('/').next()
    {
        return format!("arn:{partition}:iam::{account}:role/{role}");
    }
    arn.to_string()
}

/// The IAM user or role name behind an ARN: `user/team/alice` -> `alice`,
/// `assumed-role/data-eng/<session>` -> `data-eng` (what a database log
/// should show for the human or service behind a shared database user).
pub fn principal_name(arn: &str) -> &str {
    let resource = arn.splitn(6, ':').nth(5).unwrap_or(arn);
    match resource.strip_prefix("assumed-role/") {
        Some(rest) => rest.split('/').next().unwrap_or(rest),
        None => resource.rsplit('/').next().unwrap_or(resource),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assumed_roles_normalise_to_their_role() {
        assert_eq!(
            principal_of("arn:aws:sts::123456789012:assumed-role/data-eng/alice"),
            "arn:aws:iam::123456789012:role/data-eng"
        );
        assert_eq!(
            principal_of("arn:aws-cn:sts::123456789012:assumed-role/r/s"),
            "arn:aws-cn:iam::123456789012:role/r"
        );
        let user = "arn:aws:iam::123456789012:user/team/alice";
        assert_eq!(principal_of(user), user, "IAM paths kept");
        assert_eq!(principal_name(user), "alice");
        assert_eq!(principal_name("arn:aws:sts::1:assumed-role/data-eng/alice"), "data-eng");
        let id = Identity::from_arn(user, "AIDA1");
        assert_eq!((id.account.as_str(), id.user_id.as_str()), ("123456789012", "AIDA1"));
    }
}
