//! AWS SDK configuration from the standard chain (AWS_PROFILE, AWS_REGION,
//! AWS_ENDPOINT_URL, shared config files, ...), built once per distinct
//! setting and reused so credentials and HTTP connections are cached.
//! Also the one place that turns an SDK error into text and a code.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::ProvideCredentials;

use aws_config::sts::AssumeRoleProvider;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_smithy_types::timeout::TimeoutConfig;

use crate::process_cache::Bounded;
use crate::runtime;

/// credstash's region when none is configured anywhere.
pub const FALLBACK_REGION: &str = "us-east-1";

/// Which AWS identity and region to talk as. `None` means "the standard chain".
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Target {
    pub profile: Option<String>,
    pub region: Option<String>,
    /// A role to chain into (STS AssumeRole) from the base credentials.
    pub assume_role: Option<String>,
    pub external_id: Option<String>,
}

/// The environment variables the SDK reads at load time: a change to any of
/// them (a test switching AWS_PROFILE, a notebook exporting new keys) must
/// give a fresh config rather than a stale cached one.
const ENV_INPUTS: &[&str] = &[
    "AWS_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_STS",
    "AWS_ENDPOINT_URL_KMS",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_REDSHIFT",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
];

#[derive(Clone)]
struct Entry {
    config: SdkConfig,
    /// Resolved credentials, reused until shortly before they expire: the
    /// SDK's own provider chain re-reads profile files on every call.
    credentials: Option<Credentials>,
}

/// A bounded number of identities per process.
static CONFIGS: Bounded<u64, Entry, 16> = Bounded::new();

/// Identifies the SDK configuration `target` resolves to right now.
pub fn cache_key(target: &Target) -> u64 {
    let mut h = DefaultHasher::new();
    target.hash(&mut h);
    runtime::generation().hash(&mut h); // HTTP pools belong to one runtime
    for name in ENV_INPUTS {
        std::env::var_os(name).hash(&mut h);
    }
    // Rotated keys are usually written to the shared files: a new file
    // (modification time) means fresh credentials.
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    for (var, default) in [("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials"), ("AWS_CONFIG_FILE", ".aws/config")] {
        let path =
            std::env::var_os(var).map(std::path::PathBuf::from).or_else(|| home.as_ref().map(|h| h.join(default)));
        path.and_then(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok()).hash(&mut h);
    }
    h.finish()
}

/// Drops every cached config and credentials, e.g. after AWS rejected the
/// credentials: the next call loads them afresh.
pub fn forget_all() {
    CONFIGS.clear();
}

/// The SDK config for `target`, loaded on first use.
pub async fn sdk_config(target: &Target) -> SdkConfig {
    let key = cache_key(target);
    if let Some(entry) = CONFIGS.get(&key) {
        return entry.config;
    }
    let config = load(target).await;
    CONFIGS.insert(key, Entry { config: config.clone(), credentials: None });
    config
}

/// Why the caller has no usable credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialsFailure {
    /// Nothing in the AWS chain (no profile, no keys, no instance role), or
    /// a configuration the chain cannot use.
    Missing(String),
    /// AWS answered with an error code while handing them out (role
    /// chaining: `sts:AssumeRole` refused, an unknown role, ...).
    Refused { code: String, message: String },
}

impl std::fmt::Display for CredentialsFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CredentialsFailure::Missing(detail) => f.write_str(detail),
            CredentialsFailure::Refused { code, message } => write!(f, "{code}: {message}"),
        }
    }
}

impl CredentialsFailure {
    /// The code says access was denied (e.g. AssumeRole refused by IAM).
    pub fn is_access_denied(&self) -> bool {
        matches!(self, CredentialsFailure::Refused { code, .. } if code.starts_with("AccessDenied"))
    }

    /// The core error, with the one wording for each case.
    pub fn into_error(self) -> crate::Error {
        match self {
            CredentialsFailure::Missing(detail) => no_credentials(&detail),
            CredentialsFailure::Refused { code, message } => crate::Error::Aws {
                message: format!("AWS refused to hand out credentials ({code}: {message}). Check the profile's role."),
                aws_code: Some(code),
            },
        }
    }
}

/// The one wording for "no credentials".
pub fn no_credentials(detail: &str) -> crate::Error {
    crate::Error::Aws {
        message: format!(
            "no AWS credentials found ({detail}). Set AWS_PROFILE, or AWS_ACCESS_KEY_ID and \
             AWS_SECRET_ACCESS_KEY, or log in (e.g. `aws sso login`)."
        ),
        aws_code: None,
    }
}

/// The one wording for "AWS rejected the credentials" (a bad or expired key).
pub fn rejected_credentials(f: &Failure) -> crate::Error {
    crate::Error::Aws {
        message: format!(
            "AWS rejected your credentials ({}): {}. Check AWS_PROFILE / your access keys, or log in again \
             (e.g. `aws sso login`).",
            f.code.as_deref().unwrap_or("invalid"),
            f.message
        ),
        aws_code: f.code.clone(),
    }
}

/// The caller's credentials for `target`, resolved once and reused until
/// five minutes before they expire.
pub async fn credentials(target: &Target) -> Result<Credentials, CredentialsFailure> {
    let key = cache_key(target);
    let fresh = |c: &Credentials| c.expiry().is_none_or(|at| at > SystemTime::now() + Duration::from_secs(300));
    if let Some(c) = CONFIGS.get(&key).and_then(|e| e.credentials).filter(fresh) {
        return Ok(c);
    }
    let config = sdk_config(target).await;
    let provider = config
        .credentials_provider()
        .ok_or_else(|| CredentialsFailure::Missing("no credentials provider is configured".into()))?;
    let credentials = provider.provide_credentials().await.map_err(|e| {
        // A role that cannot be assumed surfaces as a provider error whose
        // text embeds AWS's XML answer: classify by AWS's code in it.
        let text = DisplayErrorContext(e).to_string();
        match (xml_tag(&text, "Code"), xml_tag(&text, "Message")) {
            (Some(code), Some(message)) => CredentialsFailure::Refused { code, message },
            _ => CredentialsFailure::Missing(text),
        }
    })?;
    CONFIGS.update(&key, |entry| entry.credentials = Some(credentials.clone()));
    Ok(credentials)
}

async fn load(target: &Target) -> SdkConfig {
    // One HTTP/TLS stack (rustls + ring) for the whole core; without an
    // explicit client the SDK (built without default features) has none.
    let http = aws_smithy_http_client::Builder::new().tls_provider(Provider::Rustls(CryptoMode::Ring)).build_https();
    // Bounded: a dead or stalled endpoint gives an error, never a hang. The
    // SDK's standard retries (with backoff, for throttling and 5xx) happen
    // inside the operation bound.
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3))
        .operation_attempt_timeout(Duration::from_secs(8))
        .operation_timeout(Duration::from_secs(20))
        .build();
    let http = crate::aws_log::Logged(http);
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(http).timeout_config(timeouts);
    if let Some(profile) = &target.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &target.region {
        loader = loader.region(Region::new(region.clone()));
    }
    let mut config = loader.load().await;
    if config.region().is_none() {
        config = config.into_builder().region(Region::new(FALLBACK_REGION)).build();
    }
    if let Some(role) = &target.assume_role {
        let mut builder = AssumeRoleProvider::builder(role).session_name("middleware").configure(&config);
        if let Some(id) = &target.external_id {
            builder = builder.external_id(id);
        }
        let provider = builder.build().await;
        config = config.into_builder().credentials_provider(SharedCredentialsProvider::new(provider)).build();
    }
    config
}

/// An AWS failure reduced to what we show and keep.
#[derive(Debug, Clone)]
pub struct Failure {
    /// AWS's error code (e.g. `AccessDeniedException`), when the service sent one.
    pub code: Option<String>,
    /// The HTTP status, when a response arrived.
    pub status: Option<u16>,
    /// A readable description including the cause chain.
    pub message: String,
}

impl Failure {
    /// An access denial: AWS's own codes, or any HTTP 403 (moto answers IAM
    /// denials on KMS/DynamoDB with 403 and an XML body the SDK cannot parse).
    pub fn is_access_denied(&self) -> bool {
        self.status == Some(403)
            || self.code.as_deref().is_some_and(|c| {
                matches!(
                    c,
                    "AccessDenied"
                        | "AccessDeniedException"
                        | "UnauthorizedOperation"
                        | "UnrecognizedClientException"
                        | "InvalidClientTokenId"
                        | "ExpiredToken"
                        | "ExpiredTokenException"
                )
            })
    }

    /// Whether the problem is the caller's credentials rather than permissions.
    pub fn is_bad_credentials(&self) -> bool {
        self.code.as_deref().is_some_and(is_bad_credentials_code)
    }
}

/// AWS's codes for a key it does not accept (unknown, expired, wrong secret).
pub fn is_bad_credentials_code(code: &str) -> bool {
    matches!(
        code,
        "UnrecognizedClientException"
            | "InvalidClientTokenId"
            | "ExpiredToken"
            | "ExpiredTokenException"
            | "SignatureDoesNotMatch"
    )
}

/// Describes any SDK error.
pub fn failure<E, R>(err: &aws_smithy_runtime_api::client::result::SdkError<E, R>) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + HttpStatus,
{
    use aws_smithy_runtime_api::client::result::SdkError;
    let (code, message) = match err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            (e.code().map(str::to_string), e.message().map(str::to_string))
        }
        _ => (None, None),
    };
    let status = err.raw_response().map(HttpStatus::status);
    // moto answers IAM denials on KMS/DynamoDB with an XML body the JSON
    // protocols cannot parse: recover AWS's code and message from it.
    let (code, message) = match (code, message, err.raw_response().and_then(HttpStatus::body)) {
        (None, None, Some(body)) => (xml_tag(body, "Code"), xml_tag(body, "Message")),
        (code, message, _) => (code, message),
    };
    let detail = match (&code, message) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.clone(),
        _ => DisplayErrorContext(err).to_string(),
    };
    let detail = match status {
        Some(403) if code.is_none() => format!("HTTP 403 Forbidden (access denied): {detail}"),
        _ => detail,
    };
    Failure { code, status, message: detail }
}

/// The status and body of a raw HTTP response (lets [`failure`] stay generic).
pub trait HttpStatus {
    fn status(&self) -> u16;
    fn body(&self) -> Option<&str>;
}

impl HttpStatus for aws_smithy_runtime_api::http::Response {
    fn status(&self) -> u16 {
        self.status().as_u16()
    }

    fn body(&self) -> Option<&str> {
        self.body().bytes().and_then(|b| std::str::from_utf8(b).ok())
    }
}

fn xml_tag(body: &str, tag: &str) -> Option<String> {
    let start = body.find(&format!("<{tag}>"))? + tag.len() + 2;
    let end = start + body[start..].find(&format!("</{tag}>"))?;
    Some(body[start..end].trim().to_string()).filter(|s| !s.is_empty())
}

/// The parts of AWS's "User: <arn> is not authorized to perform: <action> on
/// resource: <resource> because ..." message.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Denial {
    pub arn: Option<String>,
    pub action: Option<String>,
    pub resource: Option<String>,
}

pub fn parse_denial(message: &str) -> Denial {
    let between = |start: &str, ends: &[&str]| -> Option<String> {
        let from = message.find(start)? + start.len();
        let rest = &message[from..];
        let to = ends.iter().filter_map(|e| rest.find(e)).min().unwrap_or(rest.len());
        Some(rest[..to].trim().to_string()).filter(|s| !s.is_empty())
    };
    Denial {
        arn: between("User: ", &[" is not authorized"]),
        action: between("to perform: ", &[" on resource", " because", "\n"]),
        resource: between("on resource: ", &[" because", " with an explicit"]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn denial_messages_are_taken_apart() {
        let d = parse_denial(
            "User: arn:aws:iam::123456789012:user/carol is not authorized to perform: kms:Decrypt \
             on resource: arn:aws:kms:us-east-1:123456789012:key/abc because no identity-based policy allows it",
        );
        assert_eq!(d.arn.as_deref(), Some("arn:aws:iam::123456789012:user/carol"));
        assert_eq!(d.action.as_deref(), Some("kms:Decrypt"));
        assert_eq!(d.resource.as_deref(), Some("arn:aws:kms:us-east-1:123456789012:key/abc"));
        assert_eq!(parse_denial("Access Denied"), Denial::default());
    }

    #[test]
    fn xml_error_bodies_give_code_and_message() {
        let body = "<ErrorResponse><Errors><Error><Code>AccessDenied</Code><Message>User: x</Message></Error></Errors></ErrorResponse>";
        assert_eq!(xml_tag(body, "Code").as_deref(), Some("AccessDenied"));
        assert_eq!(xml_tag(body, "Message").as_deref(), Some("User: x"));
        assert_eq!(xml_tag(body, "Nope"), None);
    }
}
