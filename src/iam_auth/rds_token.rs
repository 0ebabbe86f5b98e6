//! RDS/Aurora IAM database authentication: the password is a SigV4
//! presigned URL (service `rds-db`, `Action=connect`), valid 15 minutes.
//! Pure: credentials and time in, token out. It is laid out exactly as
//! botocore's `generate_db_auth_token` lays it out (operation parameters,
//! then the auth parameters in its order, the signature last), so the same
//! inputs give the same string (tests/test_iam_passwords.py checks).

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign};
use aws_sigv4::sign::v4;
use zeroize::Zeroizing;

/// How long RDS accepts a token after it was signed.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(900);

/// Where and as whom the token lets one log in.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub region: String,
}

/// The auth token for `target`, signed with `credentials` at `time`.
pub fn token(target: &Target, credentials: &Credentials, time: SystemTime) -> Result<Zeroizing<String>, String> {
    let operation = format!("Action=connect&DBUser={}", encode(&target.user));
    let url = format!("https://{}:{}/?{operation}", target.host, target.port);
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(TOKEN_LIFETIME);
    let identity = credentials.clone().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&target.region)
        .name("rds-db")
        .time(time)
        .settings(settings)
        .build()
        .map_err(|e| format!("cannot sign the RDS auth token: {e}"))?
        .into();
    // botocore signs the empty body's SHA-256 (not UNSIGNED-PAYLOAD).
    let request = SignableRequest::new("GET", url, std::iter::empty(), SignableBody::Bytes(&[]))
        .map_err(|e| format!("cannot sign the RDS auth token for host {:?}: {e}", target.host))?;
    let (instructions, _) =
        sign(request, &params).map_err(|e| format!("cannot sign the RDS auth token: {e}"))?.into_parts();
    let (_, signed) = instructions.into_parts();
    let value = |name: &str| signed.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_ref());
    let mut out = Zeroizing::new(format!("{}:{}/?{operation}", target.host, target.port));
    for name in ORDER {
        if let Some(v) = value(name) {
            out.push('&');
            out.push_str(name);
            out.push('=');
            out.push_str(&encode(v));
        }
    }
    Ok(out)
}

/// botocore's order of the auth parameters (its dict's insertion order).
const ORDER: [&str; 7] = [
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Security-Token",
    "X-Amz-Signature",
];

/// RFC 3986 percent-encoding of everything but the unreserved characters
/// (as botocore's `percent_encode` and SigV4's canonical query).
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> Target {
        Target { host: "db.example.com".into(), port: 5432, user: "read only".into(), region: "eu-west-1".into() }
    }

    #[test]
    fn the_token_has_botocores_shape() {
        let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None, None, "test");
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600); // 2026-01-01T00:00:00Z
        let token = token(&target(), &creds, at).unwrap();
        let expected_prefix = "db.example.com:5432/?Action=connect&DBUser=read%20only&X-Amz-Algorithm=AWS4-HMAC-SHA256\
            &X-Amz-Credential=AKIDEXAMPLE%2F20260101%2Feu-west-1%2Frds-db%2Faws4_request&X-Amz-Date=20260101T000000Z\
            &X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=";
        assert!(token.starts_with(expected_prefix), "{}", token.as_str());
        let signature = &token[expected_prefix.len()..];
        assert_eq!(signature.len(), 64);
        assert!(signature.bytes().all(|b| b.is_ascii_hexdigit()));
        // Deterministic for the same inputs; another second, another signature.
        assert_eq!(*token, *super::token(&target(), &creds, at).unwrap());
        assert_ne!(*token, *super::token(&target(), &creds, at + Duration::from_secs(1)).unwrap());
    }

    #[test]
    fn a_session_token_goes_before_the_signature() {
        let creds = Credentials::new("ASIAEXAMPLE", "secret", Some("tok/en+=".into()), None, "test");
        let token = token(&target(), &creds, SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600)).unwrap();
        assert!(token.contains("&X-Amz-SignedHeaders=host&X-Amz-Security-Token=tok%2Fen%2B%3D&X-Amz-Signature="));
    }

    #[test]
    fn only_unreserved_characters_stay_as_they_are() {
        assert_eq!(encode("a-Z_0.~"), "a-Z_0.~");
        assert_eq!(encode("IAM:x/y z"), "IAM%3Ax%2Fy%20z");
    }
}
