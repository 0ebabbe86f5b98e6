//! AWS SDK configuration from the standard chain (AWS_PROFILE, AWS_REGION,
//! AWS_ENDPOINT_URL, shared config files, ...), built once per distinct
//! setting and reused so credentials and HTTP connections are cached.
//! Also the one place that turns an SDK error into text and a code.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Mutex;
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_smithy_types::timeout::TimeoutConfig;

use crate::runtime;

/// credstash's region when none is configured anywhere.
pub const FALLBACK_REGION: &str = "us-east-1";

/// Which AWS identity and region to talk as. `None` means "the standard chain".
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Target {
    pub profile: Option<String>,
    pub region: Option<String>,
}

/// The environment variables the SDK reads at load time: a change to any of
/// them (a test switching AWS_PROFILE, a notebook exporting new keys) must
/// give a fresh config rather than a stale cached one.
const ENV_INPUTS: &[&str] = &[
    "AWS_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
];

static CONFIGS: Mutex<Vec<(u64, SdkConfig)>> = Mutex::new(Vec::new());

fn cache_key(target: &Target) -> u64 {
    let mut h = DefaultHasher::new();
    target.hash(&mut h);
    runtime::generation().hash(&mut h); // HTTP pools belong to one runtime
    for name in ENV_INPUTS {
        std::env::var_os(name).hash(&mut h);
    }
    h.finish()
}

/// The SDK config for `target`, loaded on first use.
pub async fn sdk_config(target: &Target) -> SdkConfig {
    let key = cache_key(target);
    if let Some((_, config)) = lock().iter().find(|(k, _)| *k == key) {
        return config.clone();
    }
    let config = load(target).await;
    let mut cache = lock();
    if cache.len() >= 16 {
        cache.remove(0); // a bounded number of identities per process
    }
    cache.push((key, config.clone()));
    config
}

fn lock() -> std::sync::MutexGuard<'static, Vec<(u64, SdkConfig)>> {
    CONFIGS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn load(target: &Target) -> SdkConfig {
    // One HTTP/TLS stack (rustls + ring) for the whole core; without an
    // explicit client the SDK (built without default features) has none.
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_timeout(Duration::from_secs(60))
                .build(),
        );
    if let Some(profile) = &target.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &target.region {
        loader = loader.region(Region::new(region.clone()));
    }
    let config = loader.load().await;
    if config.region().is_some() {
        return config;
    }
    config
        .into_builder()
        .region(Region::new(FALLBACK_REGION))
        .build()
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
        self.code.as_deref().is_some_and(|c| {
            matches!(
                c,
                "UnrecognizedClientException"
                    | "InvalidClientTokenId"
                    | "ExpiredToken"
                    | "ExpiredTokenException"
                    | "SignatureDoesNotMatch"
            )
        })
    }
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
            (
                e.code().map(str::to_string),
                e.message().map(str::to_string),
            )
        }
        _ => (None, None),
    };
    let status = err.raw_response().map(HttpStatus::status);
    let detail = match (&code, message) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.clone(),
        _ => DisplayErrorContext(err).to_string(),
    };
    let detail = match status {
        Some(403) if code.is_none() => format!("HTTP 403 Forbidden (access denied): {detail}"),
        _ => detail,
    };
    Failure {
        code,
        status,
        message: detail,
    }
}

/// The status of a raw HTTP response (lets [`failure`] stay generic).
pub trait HttpStatus {
    fn status(&self) -> u16;
}

impl HttpStatus for aws_smithy_runtime_api::http::Response {
    fn status(&self) -> u16 {
        self.status().as_u16()
    }
}
