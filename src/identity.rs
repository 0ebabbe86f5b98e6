//! The caller's AWS identity (STS GetCallerIdentity), cached per credentials.
//! What an identity is, and ARN normalisation, are pure: `principal.rs`.

use crate::aws::{self, Target};
pub use crate::principal::Identity;
use crate::process_cache::Bounded;
use crate::{Error, Result};

/// Per access key id; a process sees a handful.
static CACHE: Bounded<String, Identity, 64> = Bounded::new();

/// The identity behind `target`'s credentials; one STS call per credentials.
pub async fn whoami(target: &Target) -> Result<Identity> {
    let credentials = aws::credentials(target).await.map_err(aws::CredentialsFailure::into_error)?;
    let key = credentials.access_key_id().to_string();
    if let Some(found) = CACHE.get(&key) {
        return Ok(found);
    }
    let config = aws::sdk_config(target).await;
    let out = match aws_sdk_sts::Client::new(&config).get_caller_identity().send().await {
        Ok(out) => out,
        Err(e) => {
            let f = aws::failure(&e);
            if f.is_bad_credentials() {
                // Decided here, once: the next call loads the credentials afresh.
                aws::forget_all();
                return Err(aws::rejected_credentials(&f));
            }
            return Err(Error::Aws {
                message: if f.status.is_none() {
                    format!(
                        "cannot reach AWS STS to learn who you are ({}). Check your network and AWS_ENDPOINT_URL.",
                        f.message
                    )
                } else {
                    format!("STS GetCallerIdentity failed: {}", f.message)
                },
                aws_code: f.code,
            });
        }
    };
    let identity = Identity::from_arn(out.arn().unwrap_or_default(), out.user_id().unwrap_or_default());
    CACHE.insert(key, identity.clone());
    Ok(identity)
}
