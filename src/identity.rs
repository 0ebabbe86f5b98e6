//! The caller's AWS identity (STS GetCallerIdentity), cached per credentials.
//! What an identity is, and ARN normalisation, are pure: `principal.rs`.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::aws::{self, Target};
pub use crate::principal::Identity;
use crate::{Error, Result};

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
