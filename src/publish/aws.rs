//! AWS configuration the way the AWS CLI finds it: region, endpoint and credentials from the standard
//! chain (`aws-config`): environment, `--profile`/`AWS_PROFILE` in the shared config and credentials
//! files, assume-role, SSO, `credential_process`, instance roles.
//!
//! One difference from the SDK's defaults, to match the CLI: a profile named explicitly (`--profile`
//! or `profile` in `[publish]`) wins over access keys in the environment. The SDK's default chain tries
//! the environment first even when a profile name is given, so with an explicit profile the
//! credentials come from `ProfileFileCredentialsProvider` alone. `AWS_PROFILE` keeps the SDK order, as
//! in the CLI. A profile name that does not exist is an error naming the profiles that do.

use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::provider_config::ProviderConfig;
use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};

use super::profiles::ProfileFiles;
use super::secrets::redact;
use super::settings::Settings;
use super::Error;

/// Region assumed for a custom endpoint when none is configured (S3-compatible servers accept it).
const ENDPOINT_DEFAULT_REGION: &str = "us-east-1";
/// Attempts per request (standard retry mode: exponential backoff with jitter on throttling, 5xx and
/// connection errors).
const MAX_ATTEMPTS: u32 = 4;

/// A loaded configuration, ready to build clients from.
pub struct Aws {
    pub sdk: SdkConfig,
    /// Set when a profile was named explicitly (see the module docs).
    pub credentials: Option<SharedCredentialsProvider>,
    pub region: String,
    /// The S3 endpoint in use when it is not AWS's own, for messages.
    pub endpoint: Option<String>,
    pub path_style: bool,
}

/// Loads the configuration and resolves credentials once, so a missing or broken credential source is
/// reported before anything else happens.
pub async fn load(settings: &Settings) -> Result<Aws, Error> {
    let files = ProfileFiles::locate(|k| std::env::var(k).ok());
    let env_profile = std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty());
    if let Some(name) = settings.profile.as_ref().or(env_profile.as_ref()) {
        files.check(name).map_err(Error::Config)?;
    }
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS));
    if let Some(profile) = &settings.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &settings.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(url) = &settings.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    let sdk = loader.load().await;
    let s3_env_endpoint = std::env::var("AWS_ENDPOINT_URL_S3")
        .ok()
        .filter(|e| !e.is_empty());
    let endpoint = s3_env_endpoint
        .clone()
        .or_else(|| sdk.endpoint_url().map(str::to_string));
    let region = match sdk.region() {
        Some(r) => r.to_string(),
        None if endpoint.is_some() => ENDPOINT_DEFAULT_REGION.to_string(),
        None => {
            return Err(Error::Config(
                "no AWS region: pass --region, set `region` under [publish], or set it in the AWS profile \
                 (`aws configure`)"
                    .into(),
            ))
        }
    };
    let credentials = settings.profile.as_ref().map(|profile| {
        let conf = ProviderConfig::without_region().with_region(Some(Region::new(region.clone())));
        SharedCredentialsProvider::new(
            ProfileFileCredentialsProvider::builder()
                .configure(&conf)
                .profile_name(profile)
                .build(),
        )
    });
    let provider = credentials.clone().or_else(|| sdk.credentials_provider());
    let Some(provider) = provider else {
        return Err(Error::Remote(no_credentials(&files, settings)));
    };
    if let Err(e) = provider.provide_credentials().await {
        return Err(Error::Remote(describe_credentials_error(
            &e, &files, settings,
        )));
    }
    Ok(Aws {
        path_style: settings.path_style || endpoint.is_some(),
        sdk,
        credentials,
        region,
        endpoint,
    })
}

fn no_credentials(files: &ProfileFiles, settings: &Settings) -> String {
    let names = files.names();
    let profiles = if names.is_empty() || settings.profile.is_some() {
        String::new()
    } else {
        let list: Vec<String> = names.into_iter().collect();
        format!(" (profiles: {})", list.join(", "))
    };
    format!(
        "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, run `aws configure`, \
         or pass --profile NAME{profiles}"
    )
}

/// One line for a credential provider failure, without any credential in it.
pub fn describe_credentials_error(
    error: &CredentialsError,
    files: &ProfileFiles,
    settings: &Settings,
) -> String {
    let whose = settings
        .profile
        .as_ref()
        .map(|p| format!(" for profile `{p}`"))
        .unwrap_or_default();
    match error {
        CredentialsError::CredentialsNotLoaded(_) if settings.profile.is_none() => {
            no_credentials(files, settings)
        }
        CredentialsError::ProviderTimedOut(_) => {
            format!("cannot get AWS credentials{whose}: the credential provider timed out")
        }
        other => format!("cannot get AWS credentials{whose}: {}", error_chain(other)),
    }
}

/// The distinct messages of an error and its sources, joined, redacted and kept short.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(error);
    while let Some(e) = next {
        let text = e.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    let mut line = redact(&parts.join(": ").replace('\n', " "));
    if line.chars().count() > 400 {
        line = line.chars().take(400).collect::<String>() + "…";
    }
    line
}

/// Finds a credentials failure anywhere in an error's source chain (the SDK wraps it when it happens
/// while signing a request).
pub fn find_credentials_error<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a CredentialsError> {
    let mut next = Some(error);
    while let Some(e) = next {
        if let Some(found) = e.downcast_ref::<CredentialsError>() {
            return Some(found);
        }
        next = e.source();
    }
    None
}

/// Invalidates `paths` in a CloudFront distribution (only with the `cloudfront` cargo feature).
#[cfg(feature = "cloudfront")]
pub async fn invalidate(aws: &Aws, distribution: &str, paths: &[String]) -> Result<String, String> {
    use aws_sdk_cloudfront::types::{InvalidationBatch, Paths};
    let mut conf = aws_sdk_cloudfront::config::Builder::from(&aws.sdk)
        .region(aws_sdk_cloudfront::config::Region::new(aws.region.clone()));
    if let Some(credentials) = &aws.credentials {
        conf = conf.credentials_provider(credentials.clone());
    }
    let client = aws_sdk_cloudfront::Client::from_conf(conf.build());
    let reference = format!(
        "notesite-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or_default()
    );
    let batch = Paths::builder()
        .quantity(paths.len() as i32)
        .set_items(Some(paths.to_vec()))
        .build()
        .and_then(|p| {
            InvalidationBatch::builder()
                .paths(p)
                .caller_reference(reference)
                .build()
        })
        .map_err(|e| e.to_string())?;
    let out = client
        .create_invalidation()
        .distribution_id(distribution)
        .invalidation_batch(batch)
        .send()
        .await
        .map_err(|e| {
            let facts = super::s3::facts(&e);
            let call = super::errors::Call {
                action: "cloudfront:CreateInvalidation",
                target: &format!("distribution {distribution}"),
                bucket: "",
                region: &aws.region,
                endpoint: aws.endpoint.as_deref(),
            };
            super::errors::describe(&facts, &call)
        })?;
    Ok(out
        .invalidation()
        .map(|i| i.id().to_string())
        .unwrap_or_default())
}
