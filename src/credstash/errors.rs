//! Errors of the store's AWS calls, mapped for the person reading them: who
//! was refused what, and what to do about it.

use super::store::{Context, Put, Store};
use crate::Error;
use crate::aws::{self, Failure};
use crate::error::AccessDenied;

impl Store {
    pub(super) fn not_found(&self, name: &str, version: Option<&str>) -> Error {
        let which = match version {
            Some(v) => format!("secret {name:?} version {v}"),
            None => format!("secret {name:?}"),
        };
        Error::SecretNotFound {
            name: name.into(),
            message: format!(
                "{which} was not found in credstash table {:?} (region {}). \
                 Check the name with `middleware secrets list`, or the table and region in your config.",
                self.loc.table, self.region
            ),
        }
    }

    pub(super) fn integrity(&self, name: &str, why: &str) -> Error {
        Error::SecretIntegrity {
            name: name.into(),
            message: format!("secret {name:?} in table {:?} failed its integrity check: {why}", self.loc.table),
        }
    }

    /// Maps an AWS failure of a DynamoDB (or any) call.
    pub(super) fn fail(&self, action: &str, name: Option<&str>, f: &Failure) -> Error {
        let table = &self.loc.table;
        if f.is_bad_credentials() {
            return aws::rejected_credentials(f);
        }
        if f.is_access_denied() {
            let what = match name {
                Some(n) => format!("secret {n:?} in credstash table {table:?}"),
                None => format!("credstash table {table:?}"),
            };
            return self.denied(action, &what, f);
        }
        if f.code.as_deref() == Some("ResourceNotFoundException") {
            return Error::Aws {
                message: format!(
                    "the credstash table {table:?} does not exist in region {}. Create it with \
                     `middleware secrets setup` (or `credstash setup`), or fix [credstash] table/region in your config.",
                    self.region
                ),
                aws_code: f.code.clone(),
            };
        }
        if f.status.is_none() {
            return Error::Aws {
                message: format!(
                    "cannot reach AWS for {action} in region {} ({}). Check the region name, your network \
                     and AWS_ENDPOINT_URL.",
                    self.region, f.message
                ),
                aws_code: None,
            };
        }
        Error::Aws { message: format!("{action} on table {table:?} failed: {}", f.message), aws_code: f.code.clone() }
    }

    pub(super) fn denied(&self, action: &str, what: &str, f: &Failure) -> Error {
        let parsed = aws::parse_denial(&f.message);
        let who = parsed.arn.clone().unwrap_or_else(|| "your AWS identity".into());
        let action = parsed.action.clone().unwrap_or_else(|| action.to_string());
        let on = parsed.resource.as_ref().map(|r| format!(" on {r}")).unwrap_or_default();
        let ask = self
            .loc
            .contact
            .as_ref()
            .map_or_else(|| "Ask your AWS administrator for access.".to_string(), |c| format!("Ask {c} for access."));
        Error::AccessDenied(Box::new(AccessDenied {
            message: format!(
                "access denied: AWS refused {action}{on} for {who} ({}), so {what} cannot be used. {ask}",
                f.code.as_deref().unwrap_or("HTTP 403")
            ),
            arn: parsed.arn,
            aws_code: f.code.clone().or_else(|| Some("AccessDenied".into())),
            action: Some(action),
            contact: self.loc.contact.clone(),
            ..AccessDenied::default()
        }))
    }

    pub(super) fn kms_fail(&self, action: &str, name: &str, context: &Context, f: &Failure) -> Error {
        match f.code.as_deref() {
            Some("InvalidCiphertextException") => {
                let sent = if context.is_empty() {
                    "no encryption context was sent".to_string()
                } else {
                    format!("the context sent had keys: {}", context.keys().cloned().collect::<Vec<_>>().join(", "))
                };
                Error::Kms {
                    message: format!(
                        "KMS could not decrypt secret {name:?}: the encryption context did not match the one it was \
                         stored with ({sent}), or its stored data key is damaged. Pass the context it was stored with."
                    ),
                    aws_code: f.code.clone(),
                }
            }
            _ if f.is_access_denied() && !f.is_bad_credentials() => {
                self.denied(action, &format!("secret {name:?} in credstash table {:?}", self.loc.table), f)
            }
            _ if f.status.is_some() && !f.is_bad_credentials() => Error::Kms {
                message: format!("KMS {action} failed for secret {name:?}: {}", f.message),
                aws_code: f.code.clone(),
            },
            _ => self.fail(action, Some(name), f),
        }
    }

    pub(super) fn kms_fail_put(&self, put: &Put<'_>, f: &Failure) -> Error {
        match f.code.as_deref() {
            Some("NotFoundException") => Error::Kms {
                message: format!(
                    "KMS key {:?} was not found in region {}: create it (and the alias) or set [credstash] kms_key.",
                    put.kms_key,
                    self.loc.kms_region.as_deref().unwrap_or(&self.region)
                ),
                aws_code: f.code.clone(),
            },
            _ => self.kms_fail("kms:GenerateDataKey", put.name, put.context, f),
        }
    }
}
