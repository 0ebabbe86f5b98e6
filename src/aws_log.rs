//! A DEBUG record for every AWS call the core makes (service, operation,
//! attempt, status, duration), from one place: a wrapper around the SDK's
//! HTTP client, so every service client built from our config has it.

use std::time::Instant;

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;

/// Records go to Python's `middleware.aws` logger.
const TARGET: &str = "_core::aws";

#[derive(Debug)]
pub struct Logged(pub SharedHttpClient);

impl HttpClient for Logged {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(LoggedConnector(self.0.http_connector(settings, components)))
    }
}

#[derive(Debug)]
struct LoggedConnector(SharedHttpConnector);

impl HttpConnector for LoggedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        if !log::log_enabled!(target: TARGET, log::Level::Debug) {
            return self.0.call(request);
        }
        let what = operation(&request);
        // The SDK numbers its attempts in this header ("attempt=2; max=3").
        let attempt = request.headers().get("amz-sdk-request").unwrap_or("attempt=1").to_string();
        let started = Instant::now();
        let call = self.0.call(request);
        HttpConnectorFuture::new(async move {
            let out = call.await;
            let ms = started.elapsed().as_secs_f64() * 1e3;
            match &out {
                Ok(response) => {
                    log::debug!(target: TARGET, "AWS {what} ({attempt}): HTTP {} in {ms:.1} ms", response.status().as_u16());
                }
                Err(e) => log::debug!(target: TARGET, "AWS {what} ({attempt}): no answer after {ms:.1} ms: {e}"),
            }
            out
        })
    }
}

/// `kms TrentService.Decrypt`, `sts GetCallerIdentity`: the service from the
/// signature's scope (`Credential=<key>/<date>/<region>/<service>/aws4_request`,
/// right with any endpoint), the operation from a header (JSON protocols) or
/// the body (the query protocol, STS).
fn operation(request: &HttpRequest) -> String {
    let service = request
        .headers()
        .get("authorization")
        .and_then(|a| a.split("Credential=").nth(1))
        .and_then(|c| c.split('/').nth(3))
        .unwrap_or("aws");
    if let Some(target) = request.headers().get("x-amz-target") {
        return format!("{service} {target}");
    }
    let body = request.body().bytes().unwrap_or_default();
    let action = std::str::from_utf8(body)
        .ok()
        .and_then(|b| b.split('&').find_map(|p| p.strip_prefix("Action=")))
        .unwrap_or("request");
    format!("{service} {action}")
}
