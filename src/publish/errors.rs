//! Friendly one-line messages for what goes wrong talking to S3. Pure: [`describe`] takes the facts
//! the SDK glue ([`super::s3`]) extracts from an error (code, HTTP status, region header, transport
//! failure) and the context of the call (which IAM action on which resource), and says what happened
//! and what to do. Nothing here prints a credential: server text is passed through
//! [`super::secrets::redact`] before it is shown.

use super::secrets::redact;

/// What is known about a failed call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorFacts {
    /// S3 error code (`AccessDenied`, `NoSuchBucket`, …); HEAD responses have none.
    pub code: Option<String>,
    pub message: Option<String>,
    pub status: Option<u16>,
    /// The `x-amz-bucket-region` response header.
    pub bucket_region: Option<String>,
    /// Set when no HTTP response came back.
    pub transport: Option<Transport>,
}

/// Why no response came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    Refused,
    Dns,
    Timeout,
    Other(String),
}

/// The call that failed.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    /// IAM action, e.g. `s3:PutObject`.
    pub action: &'a str,
    /// `s3://bucket/key` or `s3://bucket/prefix/`.
    pub target: &'a str,
    pub bucket: &'a str,
    pub region: &'a str,
    /// The endpoint in use, for connection errors (`None`: AWS's own).
    pub endpoint: Option<&'a str>,
}

/// One line saying what went wrong and what to do about it.
pub fn describe(facts: &ErrorFacts, call: &Call<'_>) -> String {
    if let Some(transport) = &facts.transport {
        return describe_transport(transport, call);
    }
    let code = facts.code.as_deref().unwrap_or_default();
    match code {
        "AccessDenied" | "AllAccessDisabled" | "AccountProblem" => access_denied(call),
        "NoSuchBucket" => format!(
            "bucket `{}` does not exist (region {}{}): create it or correct --bucket",
            call.bucket,
            call.region,
            at_endpoint(call)
        ),
        "PermanentRedirect" | "AuthorizationHeaderMalformed" | "IllegalLocationConstraintException" => {
            wrong_region(facts, call)
        }
        "SignatureDoesNotMatch" => "the secret access key does not match the access key id \
             (SignatureDoesNotMatch): check the credentials of the profile or environment in use"
            .to_string(),
        "InvalidAccessKeyId" => "the access key id is not known to S3 (InvalidAccessKeyId): the \
             credentials are wrong, deleted or for another endpoint"
            .to_string(),
        "ExpiredToken" | "TokenRefreshRequired" | "InvalidToken" | "ExpiredTokenException" => format!(
            "the AWS session token has expired ({code}): renew it (e.g. `aws sso login`, or new \
             temporary credentials) and publish again"
        ),
        "RequestTimeTooSkewed" | "RequestExpired" => format!(
            "S3 rejected the request time ({code}): the system clock is off; fix it and publish again"
        ),
        "SlowDown" | "ServiceUnavailable" | "InternalError" => format!(
            "{} on {} failed after retries ({code}): S3 is busy; publish again later or lower \
             --concurrency",
            call.action, call.target
        ),
        _ => match facts.status {
            Some(301) => wrong_region(facts, call),
            Some(403) => access_denied(call),
            Some(404) if call.action == "s3:ListBucket" => format!(
                "bucket `{}` does not exist (region {}{}): create it or correct --bucket",
                call.bucket,
                call.region,
                at_endpoint(call)
            ),
            _ => other(facts, call),
        },
    }
}

fn access_denied(call: &Call<'_>) -> String {
    format!(
        "access denied: {} on {} is not allowed for these credentials; `notesite publish --print-policy` \
         prints the IAM policy to attach",
        call.action, call.target
    )
}

fn wrong_region(facts: &ErrorFacts, call: &Call<'_>) -> String {
    let right = facts
        .bucket_region
        .clone()
        .or_else(|| expected_region(facts.message.as_deref().unwrap_or_default()));
    match right {
        Some(region) if region != call.region => format!(
            "bucket `{}` is in region {region}, not {}: pass --region {region} (or set region in [publish])",
            call.bucket, call.region
        ),
        _ => format!(
            "bucket `{}` is not in region {}: pass its region with --region",
            call.bucket, call.region
        ),
    }
}

/// `… the region 'us-east-1' is wrong; expecting 'eu-west-1'` → `eu-west-1`.
fn expected_region(message: &str) -> Option<String> {
    let rest = &message[message.find("expecting '")? + "expecting '".len()..];
    let region = &rest[..rest.find('\'')?];
    let valid = !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    valid.then(|| region.to_string())
}

fn describe_transport(transport: &Transport, call: &Call<'_>) -> String {
    let endpoint = call
        .endpoint
        .map(str::to_string)
        .unwrap_or_else(|| format!("the S3 endpoint of {}", call.region));
    match transport {
        Transport::Refused => format!(
            "cannot connect to {endpoint}: connection refused (is the server running, and is \
             --endpoint-url right?)"
        ),
        Transport::Dns => format!(
            "cannot connect to {endpoint}: its host name does not resolve (check --endpoint-url, \
             --region and the network)"
        ),
        Transport::Timeout => format!(
            "cannot reach {endpoint}: the connection timed out after retries (check the network)"
        ),
        Transport::Other(detail) => format!("cannot reach {endpoint}: {}", redact(detail)),
    }
}

fn at_endpoint(call: &Call<'_>) -> String {
    call.endpoint
        .map(|e| format!(", endpoint {e}"))
        .unwrap_or_default()
}

fn other(facts: &ErrorFacts, call: &Call<'_>) -> String {
    let mut line = format!("{} on {} failed", call.action, call.target);
    if let Some(code) = &facts.code {
        line.push_str(&format!(": {code}"));
    }
    if let Some(message) = &facts.message {
        line.push_str(&format!(": {}", redact(message)));
    }
    if let Some(status) = facts.status {
        line.push_str(&format!(" (HTTP {status})"));
    }
    line
}

/// Sorts a transport failure by the text of its error chain (the SDK gives no finer kind).
pub fn classify_transport(chain: &str, is_timeout: bool) -> Transport {
    let lower = chain.to_ascii_lowercase();
    if lower.contains("connection refused") {
        Transport::Refused
    } else if lower.contains("dns error") || lower.contains("failed to lookup address") {
        Transport::Dns
    } else if is_timeout || lower.contains("timed out") || lower.contains("timeout") {
        Transport::Timeout
    } else {
        // The full chain repeats itself and runs long; its last part says what happened.
        let last = chain.rsplit(": ").next().unwrap_or(chain).trim();
        Transport::Other(last.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CALL: Call<'static> = Call {
        action: "s3:PutObject",
        target: "s3://site/docs/index.html",
        bucket: "site",
        region: "us-east-1",
        endpoint: None,
    };

    fn code(code: &str, status: u16) -> ErrorFacts {
        ErrorFacts {
            code: Some(code.into()),
            status: Some(status),
            ..Default::default()
        }
    }

    #[test]
    fn access_denied_names_the_action_and_the_policy_hint() {
        let line = describe(&code("AccessDenied", 403), &CALL);
        assert!(
            line.contains("s3:PutObject on s3://site/docs/index.html"),
            "{line}"
        );
        assert!(line.contains("--print-policy"), "{line}");
        // HEAD responses carry no code: the status alone says it.
        let bare = ErrorFacts {
            status: Some(403),
            ..Default::default()
        };
        assert!(describe(&bare, &CALL).starts_with("access denied"));
    }

    #[test]
    fn wrong_region_gives_the_right_one() {
        let mut facts = code("PermanentRedirect", 301);
        facts.bucket_region = Some("eu-west-1".into());
        let line = describe(&facts, &CALL);
        assert!(
            line.contains("in region eu-west-1, not us-east-1"),
            "{line}"
        );
        assert!(line.contains("--region eu-west-1"), "{line}");
        let mut facts = code("AuthorizationHeaderMalformed", 400);
        facts.message = Some("The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'ap-south-1'".into());
        assert!(describe(&facts, &CALL).contains("--region ap-south-1"));
        let unknown = describe(
            &ErrorFacts {
                status: Some(301),
                ..Default::default()
            },
            &CALL,
        );
        assert!(unknown.contains("not in region us-east-1"), "{unknown}");
    }

    #[test]
    fn credential_problems_are_told_apart() {
        assert!(describe(&code("SignatureDoesNotMatch", 403), &CALL)
            .contains("secret access key does not match"));
        assert!(describe(&code("InvalidAccessKeyId", 403), &CALL).contains("not known"));
        assert!(describe(&code("ExpiredToken", 400), &CALL).contains("session token has expired"));
        assert!(describe(&code("RequestTimeTooSkewed", 403), &CALL).contains("clock"));
    }

    #[test]
    fn missing_bucket_and_connection_errors() {
        let call = Call {
            endpoint: Some("http://127.0.0.1:9"),
            action: "s3:ListBucket",
            ..CALL
        };
        let line = describe(&code("NoSuchBucket", 404), &call);
        assert!(line.contains("bucket `site` does not exist"), "{line}");
        assert!(line.contains("http://127.0.0.1:9"), "{line}");
        let refused = ErrorFacts {
            transport: Some(classify_transport(
                "dispatch failure: io error: client error (Connect): tcp connect error: Connection refused (os error 111)",
                false,
            )),
            ..Default::default()
        };
        let line = describe(&refused, &call);
        assert_eq!(
            line,
            "cannot connect to http://127.0.0.1:9: connection refused (is the server running, and is --endpoint-url right?)"
        );
        assert_eq!(
            classify_transport("dns error: failed to lookup address information", false),
            Transport::Dns
        );
    }

    #[test]
    fn unknown_errors_keep_code_and_message_but_no_secret() {
        let mut facts = code("Weird", 400);
        let key = format!("AKIA{}", "Q7XZ2PLM4KD9WB3R");
        facts.message = Some(format!("bad key {key}"));
        let line = describe(&facts, &CALL);
        assert!(
            line.contains("Weird: bad key [REDACTED] (HTTP 400)"),
            "{line}"
        );
        assert!(!line.contains(&key));
    }
}
