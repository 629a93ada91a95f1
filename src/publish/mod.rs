//! Publish stage: the built site (`out_dir`) → an S3 bucket prefix, uploading only what changed.
//!
//! Pure parts, always compiled and unit-tested without a network:
//! - [`settings`]: flags over `[publish]`, validated;
//! - [`manifest`]: the local files with MD5, expected ETag, Content-Type ([`mime`]) and
//!   Cache-Control ([`cache`]);
//! - [`plan`]: manifest vs one bucket listing → ordered uploads and deletes;
//! - [`secrets`]: the scan that stops a publish of AWS keys or private keys;
//! - [`policy`]: IAM and bucket policies, website endpoint; [`cloudfront`]: invalidation paths;
//! - [`errors`]: one-line messages for S3 failures; [`profiles`]: AWS profile names.
//!
//! Behind the `publish` cargo feature (the AWS SDK and tokio): [`aws`] loads the configuration and
//! credentials like the AWS CLI, [`s3`] makes the S3 calls, [`sync`] runs a plan with bounded
//! concurrency. `cmd::publish` strings these together; only it creates the tokio runtime.

// Without the SDK only the pure parts are used (`--print-policy`), so some items go unused.
#![cfg_attr(not(feature = "publish"), allow(dead_code))]

pub mod cache;
pub mod cloudfront;
pub mod errors;
pub mod manifest;
pub mod mime;
pub mod plan;
pub mod policy;
pub mod profiles;
pub mod secrets;
pub mod settings;

#[cfg(feature = "publish")]
pub mod aws;
#[cfg(feature = "publish")]
pub mod s3;
#[cfg(feature = "publish")]
pub mod sync;

/// Why publishing could not start or finish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Settings or AWS configuration (unknown profile, no region): exit 2.
    Config(String),
    /// Credentials, network or S3 refused: exit 1.
    Remote(String),
}
