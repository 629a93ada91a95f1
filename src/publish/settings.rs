//! Publish settings: the command-line flags merged over `[publish]` in notesite.toml (a flag wins; a
//! boolean flag can only turn a setting on), validated and normalised once, so the rest of `publish`
//! never looks at raw input.

use crate::cli::PublishArgs;
use crate::config::RawPublish;

use super::cache::CacheRules;

pub const DEFAULT_CONCURRENCY: usize = 16;
pub const DEFAULT_MAX_DELETES: usize = 256;
const MAX_CONCURRENCY: usize = 256;

/// Everything `publish` needs to know, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub bucket: String,
    /// Empty, or ends with `/` and does not start with one.
    pub prefix: String,
    pub region: Option<String>,
    /// Named explicitly (flag or config), so it wins over credentials in the environment.
    pub profile: Option<String>,
    pub endpoint_url: Option<String>,
    pub path_style: bool,
    pub dry_run: bool,
    pub delete: bool,
    pub max_deletes: usize,
    pub concurrency: usize,
    pub setup_website: bool,
    pub cloudfront_distribution: Option<String>,
    pub cloudfront_max_paths: usize,
    pub json: bool,
    pub no_build: bool,
    pub allow_secrets: bool,
    pub print_policy: bool,
    pub cache: CacheRules,
}

impl Settings {
    /// Merges `args` over `raw`; an error message is a usage error (exit 2).
    pub fn resolve(args: &PublishArgs, raw: &RawPublish) -> Result<Settings, String> {
        let pick = |flag: &Option<String>, key: &Option<String>| -> Option<String> {
            flag.clone()
                .or_else(|| key.clone())
                .map(|v| v.trim().to_string())
        };
        let bucket_arg = pick(&args.bucket, &raw.bucket).ok_or_else(|| {
            "no bucket: pass --bucket NAME or set `bucket` under [publish] in notesite.toml"
                .to_string()
        })?;
        let (bucket, url_prefix) = split_bucket(&bucket_arg)?;
        let prefix = match pick(&args.prefix, &raw.prefix) {
            Some(p) => normalize_prefix(&p)?,
            None => url_prefix,
        };
        let endpoint_url = pick(&args.endpoint_url, &raw.endpoint_url).filter(|e| !e.is_empty());
        if let Some(url) = &endpoint_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(format!(
                    "endpoint URL `{url}` must start with http:// or https://"
                ));
            }
        }
        let concurrency = args
            .concurrency
            .or(raw.concurrency)
            .unwrap_or(DEFAULT_CONCURRENCY);
        if !(1..=MAX_CONCURRENCY).contains(&concurrency) {
            return Err(format!(
                "concurrency must be between 1 and {MAX_CONCURRENCY}, not {concurrency}"
            ));
        }
        let non_empty = |what: &str, v: Option<String>| match v {
            Some(v) if v.is_empty() => Err(format!("{what} must not be empty")),
            v => Ok(v),
        };
        let cache = CacheRules {
            immutable: raw
                .cache_control_immutable
                .clone()
                .unwrap_or_else(|| super::cache::IMMUTABLE.to_string()),
            short: raw
                .cache_control
                .clone()
                .unwrap_or_else(|| super::cache::SHORT.to_string()),
        };
        Ok(Settings {
            bucket,
            prefix,
            region: non_empty("region", pick(&args.region, &raw.region))?,
            profile: non_empty("profile", pick(&args.profile, &raw.profile))?,
            endpoint_url,
            path_style: args.path_style || raw.path_style,
            dry_run: args.dry_run || raw.dry_run,
            delete: args.delete || raw.delete,
            max_deletes: args
                .max_deletes
                .or(raw.max_deletes)
                .unwrap_or(DEFAULT_MAX_DELETES),
            concurrency,
            setup_website: args.setup_website || raw.setup_website,
            cloudfront_distribution: non_empty(
                "cloudfront_distribution",
                pick(&args.cloudfront_distribution, &raw.cloudfront_distribution),
            )?,
            cloudfront_max_paths: raw
                .cloudfront_max_paths
                .unwrap_or(super::cloudfront::DEFAULT_MAX_PATHS),
            json: args.json || raw.json,
            no_build: args.no_build || raw.no_build,
            allow_secrets: args.allow_secrets || raw.allow_secrets,
            print_policy: args.print_policy,
            cache,
        })
    }

    /// `s3://bucket/prefix/`, for messages.
    pub fn target(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.prefix)
    }
}

/// `name` or `s3://name/prefix` → (bucket, normalised prefix from the URL).
fn split_bucket(value: &str) -> Result<(String, String), String> {
    let (bucket, prefix) = match value.strip_prefix("s3://") {
        Some(rest) => rest.split_once('/').unwrap_or((rest, "")),
        None => (value, ""),
    };
    let valid = !bucket.is_empty()
        && bucket.len() <= 255
        && bucket
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    if !valid {
        return Err(format!(
            "`{bucket}` is not a bucket name (letters, digits, `.`, `-`; e.g. --bucket my-notes)"
        ));
    }
    Ok((bucket.to_string(), normalize_prefix(prefix)?))
}

/// `/docs` → `docs/`, `docs//` → `docs/`, `` → ``; `.` and `..` segments are refused.
pub fn normalize_prefix(prefix: &str) -> Result<String, String> {
    let segments: Vec<&str> = prefix.split('/').filter(|s| !s.is_empty()).collect();
    if segments.iter().any(|s| *s == "." || *s == "..") {
        return Err(format!(
            "prefix `{prefix}` must not contain `.` or `..` segments"
        ));
    }
    if segments.is_empty() {
        return Ok(String::new());
    }
    Ok(format!("{}/", segments.join("/")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn args(flags: &[&str]) -> PublishArgs {
        let mut argv = vec!["notesite", "publish"];
        argv.extend_from_slice(flags);
        match crate::cli::Cli::parse_from(argv).command {
            crate::cli::Command::Publish(a) => a,
            _ => unreachable!(),
        }
    }

    #[test]
    fn flags_win_over_config_and_defaults_apply() {
        let raw = RawPublish {
            bucket: Some("from-config".into()),
            prefix: Some("docs".into()),
            delete: true,
            max_deletes: Some(10),
            ..Default::default()
        };
        let s = Settings::resolve(
            &args(&["--bucket", "from-flag", "--max-deletes", "3"]),
            &raw,
        )
        .unwrap();
        assert_eq!(s.bucket, "from-flag");
        assert_eq!(s.prefix, "docs/");
        assert!(s.delete);
        assert_eq!(s.max_deletes, 3);
        assert_eq!(s.concurrency, DEFAULT_CONCURRENCY);
        assert_eq!(s.cache, CacheRules::default());
        assert_eq!(s.target(), "s3://from-flag/docs/");
    }

    #[test]
    fn bucket_url_carries_the_prefix() {
        let s = Settings::resolve(
            &args(&["--bucket", "s3://b/site/v1"]),
            &RawPublish::default(),
        )
        .unwrap();
        assert_eq!((s.bucket.as_str(), s.prefix.as_str()), ("b", "site/v1/"));
    }

    #[test]
    fn bad_values_are_usage_errors() {
        let raw = RawPublish::default();
        assert!(Settings::resolve(&args(&[]), &raw)
            .unwrap_err()
            .contains("no bucket"));
        for bad in [
            &["--bucket", "a b"][..],
            &["--bucket", "b", "--concurrency", "0"],
            &["--bucket", "b", "--endpoint-url", "127.0.0.1:9000"],
            &["--bucket", "b", "--prefix", "../x"],
            &["--bucket", "b", "--region", ""],
        ] {
            assert!(Settings::resolve(&args(bad), &raw).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn prefixes_normalise() {
        assert_eq!(normalize_prefix("").unwrap(), "");
        assert_eq!(normalize_prefix("/").unwrap(), "");
        assert_eq!(normalize_prefix("/docs").unwrap(), "docs/");
        assert_eq!(normalize_prefix("a//b/").unwrap(), "a/b/");
    }
}
