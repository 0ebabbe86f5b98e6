//! The caller's AWS identity (STS GetCallerIdentity), cached per credentials,
//! and ARN normalisation for policy matching.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::aws::{self, Target};
use crate::{Error, Result};

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

static CACHE: Mutex<Option<HashMap<String, Identity>>> = Mutex::new(None);

/// The identity behind `target`'s credentials; one STS call per credentials.
pub async fn whoami(target: &Target) -> Result<Identity> {
    let credentials = aws::credentials(target).await.map_err(|e| Error::Aws {
        message: format!(
            "no AWS credentials found ({e}). Set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, \
             or log in (e.g. `aws sso login`)."
        ),
        aws_code: None,
    })?;
    let key = credentials.access_key_id().to_string();
    let cache = || CACHE.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(found) = cache().as_ref().and_then(|c| c.get(&key)) {
        return Ok(found.clone());
    }
    let config = aws::sdk_config(target).await;
    let out = aws_sdk_sts::Client::new(&config).get_caller_identity().send().await.map_err(|e| {
        let f = aws::failure(&e);
        if f.is_bad_credentials() {
            aws::forget_all();
        }
        Error::Aws {
            message: if f.is_bad_credentials() {
                format!(
                    "AWS rejected your credentials ({}). Check AWS_PROFILE / your access keys, or log in again.",
                    f.message
                )
            } else if f.status.is_none() {
                format!(
                    "cannot reach AWS STS to learn who you are ({}). Check your network and AWS_ENDPOINT_URL.",
                    f.message
                )
            } else {
                format!("STS GetCallerIdentity failed: {}", f.message)
            },
            aws_code: f.code,
        }
    })?;
    let identity = Identity::from_arn(out.arn().unwrap_or_default(), out.user_id().unwrap_or_default());
    cache().get_or_insert_with(HashMap::new).insert(key, identity.clone());
    Ok(identity)
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
        let id = Identity::from_arn(user, "AIDA1");
        assert_eq!((id.account.as_str(), id.user_id.as_str()), ("123456789012", "AIDA1"));
    }
}
