//! The S3 calls, and nothing else: ListObjectsV2 (paged), PutObject, multipart upload, DeleteObjects
//! and PutBucketWebsite through `aws-sdk-s3`, with each SDK error turned into the facts
//! [`super::errors::describe`] makes a message of.
//!
//! Every upload sends `Content-MD5`, so S3 verifies the bytes it stores against the MD5 the plan
//! compared; the SDK's optional CRC trailers are off (`WhenRequired`), which also keeps S3-compatible
//! servers that lack them working.

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::config::{RequestChecksumCalculation, ResponseChecksumValidation};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    CompletedMultipartUpload, CompletedPart, Delete, ErrorDocument, IndexDocument,
    ObjectIdentifier, WebsiteConfiguration,
};
use aws_sdk_s3::Client;
use indicatif::ProgressBar;
use std::io::{Read, Seek};

use super::aws::{error_chain, find_credentials_error, Aws};
use super::errors::{classify_transport, describe, Call, ErrorFacts};
use super::manifest::{md5, part_size, read_full, MULTIPART_THRESHOLD};
use super::plan::{LocalFile, RemoteObject};
use super::sync::Store;

/// A bucket, through one SDK client.
pub struct S3Store {
    client: Client,
    bucket: String,
    region: String,
    endpoint: Option<String>,
}

impl S3Store {
    pub fn new(aws: &Aws, bucket: &str) -> S3Store {
        let mut conf = aws_sdk_s3::config::Builder::from(&aws.sdk)
            .region(aws_sdk_s3::config::Region::new(aws.region.clone()))
            .force_path_style(aws.path_style)
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired);
        if let Some(credentials) = &aws.credentials {
            conf = conf.credentials_provider(credentials.clone());
        }
        S3Store {
            client: Client::from_conf(conf.build()),
            bucket: bucket.to_string(),
            region: aws.region.clone(),
            endpoint: aws.endpoint.clone(),
        }
    }

    /// Index document `index.html`, error document `<prefix>404.html`.
    pub async fn setup_website(&self, prefix: &str) -> Result<(), String> {
        let config = IndexDocument::builder()
            .suffix("index.html")
            .build()
            .and_then(|index| {
                Ok(WebsiteConfiguration::builder()
                    .index_document(index)
                    .error_document(
                        ErrorDocument::builder()
                            .key(format!("{prefix}404.html"))
                            .build()?,
                    )
                    .build())
            })
            .map_err(|e| e.to_string())?;
        self.client
            .put_bucket_website()
            .bucket(&self.bucket)
            .website_configuration(config)
            .send()
            .await
            .map_err(|e| {
                self.message(&e, "s3:PutBucketWebsite", &format!("s3://{}", self.bucket))
            })?;
        Ok(())
    }

    fn message<E>(&self, error: &SdkError<E, HttpResponse>, action: &str, target: &str) -> String
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        if let Some(credentials) = find_credentials_error(error) {
            return format!("cannot get AWS credentials: {}", error_chain(credentials));
        }
        let call = Call {
            action,
            target,
            bucket: &self.bucket,
            region: &self.region,
            endpoint: self.endpoint.as_deref(),
        };
        describe(&facts(error), &call)
    }

    fn key_target(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }

    async fn put_single(&self, file: &LocalFile) -> Result<Option<String>, String> {
        let fail = |e: String| format!("cannot read {}: {e}", file.path.display());
        let body = ByteStream::from_path(&file.path)
            .await
            .map_err(|e| fail(e.to_string()))?;
        let out = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(&file.key)
            .body(body)
            .content_length(file.size as i64)
            .content_md5(base64(&hex_bytes(&file.md5)))
            .content_type(&file.content_type)
            .cache_control(&file.cache_control)
            .send()
            .await
            .map_err(|e| self.message(&e, "s3:PutObject", &self.key_target(&file.key)))?;
        Ok(out.e_tag().map(str::to_string))
    }

    async fn put_multipart(
        &self,
        file: &LocalFile,
        progress: &ProgressBar,
    ) -> Result<Option<String>, String> {
        let target = self.key_target(&file.key);
        let created = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(&file.key)
            .content_type(&file.content_type)
            .cache_control(&file.cache_control)
            .metadata("notesite-md5", &file.md5)
            .send()
            .await
            .map_err(|e| self.message(&e, "s3:PutObject", &target))?;
        let upload_id = created.upload_id().unwrap_or_default().to_string();
        let result = self.upload_parts(file, &upload_id, progress).await;
        if result.is_err() {
            // Best effort: an upload left open costs storage until a lifecycle rule removes it.
            let _ = self
                .client
                .abort_multipart_upload()
                .bucket(&self.bucket)
                .key(&file.key)
                .upload_id(&upload_id)
                .send()
                .await;
        }
        result
    }

    async fn upload_parts(
        &self,
        file: &LocalFile,
        upload_id: &str,
        progress: &ProgressBar,
    ) -> Result<Option<String>, String> {
        let target = self.key_target(&file.key);
        let part = part_size(file.size);
        let mut reader = std::fs::File::open(&file.path)
            .map_err(|e| format!("cannot read {}: {e}", file.path.display()))?;
        let mut parts = Vec::new();
        let mut number = 1;
        let mut offset = 0u64;
        while offset < file.size {
            let len = part.min(file.size - offset) as usize;
            let mut buf = vec![0u8; len];
            reader
                .seek(std::io::SeekFrom::Start(offset))
                .and_then(|_| read_full(&mut reader.by_ref(), &mut buf))
                .map_err(|e| format!("cannot read {}: {e}", file.path.display()))?;
            let out = self
                .client
                .upload_part()
                .bucket(&self.bucket)
                .key(&file.key)
                .upload_id(upload_id)
                .part_number(number)
                .content_length(len as i64)
                .content_md5(base64(&md5(&buf)))
                .body(ByteStream::from(buf))
                .send()
                .await
                .map_err(|e| self.message(&e, "s3:PutObject", &target))?;
            parts.push(
                CompletedPart::builder()
                    .part_number(number)
                    .set_e_tag(out.e_tag().map(str::to_string))
                    .build(),
            );
            progress.inc(len as u64);
            number += 1;
            offset += len as u64;
        }
        let out = self
            .client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(&file.key)
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| self.message(&e, "s3:PutObject", &target))?;
        Ok(out.e_tag().map(str::to_string))
    }
}

impl Store for S3Store {
    async fn list(&self, prefix: &str) -> Result<Vec<RemoteObject>, String> {
        let target = format!("s3://{}/{prefix}", self.bucket);
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        let mut objects = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.message(&e, "s3:ListBucket", &target))?;
            for object in page.contents() {
                objects.push(RemoteObject {
                    key: object.key().unwrap_or_default().to_string(),
                    size: object.size().unwrap_or_default().max(0) as u64,
                    etag: object.e_tag().unwrap_or_default().to_string(),
                });
            }
        }
        Ok(objects)
    }

    async fn upload(
        &self,
        file: &LocalFile,
        progress: &ProgressBar,
    ) -> Result<Option<String>, String> {
        if file.size >= MULTIPART_THRESHOLD {
            return self.put_multipart(file, progress).await;
        }
        let etag = self.put_single(file).await?;
        progress.inc(file.size);
        Ok(etag)
    }

    async fn delete(&self, keys: &[String]) -> Result<(), String> {
        let objects = keys
            .iter()
            .map(|k| ObjectIdentifier::builder().key(k).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        let delete = Delete::builder()
            .set_objects(Some(objects))
            .quiet(true)
            .build()
            .map_err(|e| e.to_string())?;
        let first = self.key_target(keys.first().map(String::as_str).unwrap_or_default());
        let out = self
            .client
            .delete_objects()
            .bucket(&self.bucket)
            .delete(delete)
            .send()
            .await
            .map_err(|e| self.message(&e, "s3:DeleteObject", &first))?;
        if let Some(error) = out.errors().first() {
            let facts = ErrorFacts {
                code: error.code().map(str::to_string),
                message: error.message().map(str::to_string),
                ..Default::default()
            };
            let target = self.key_target(error.key().unwrap_or_default());
            let call = Call {
                action: "s3:DeleteObject",
                target: &target,
                bucket: &self.bucket,
                region: &self.region,
                endpoint: self.endpoint.as_deref(),
            };
            let more = out.errors().len() - 1;
            let suffix = if more > 0 {
                format!(" (and {more} more keys)")
            } else {
                String::new()
            };
            return Err(format!("{}{suffix}", describe(&facts, &call)));
        }
        Ok(())
    }
}

/// What an SDK error tells: code, message, status and region header, or why no response came.
pub fn facts<E>(error: &SdkError<E, HttpResponse>) -> ErrorFacts
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match error {
        SdkError::ServiceError(service) => {
            let err = service.err();
            let (status, bucket_region) = status_and_region(service.raw());
            ErrorFacts {
                code: err.code().map(str::to_string),
                message: err.message().map(str::to_string),
                status: Some(status),
                bucket_region,
                transport: None,
            }
        }
        SdkError::DispatchFailure(failure) => ErrorFacts {
            transport: Some(classify_transport(
                &error_chain(error),
                failure.is_timeout(),
            )),
            ..Default::default()
        },
        SdkError::TimeoutError(_) => ErrorFacts {
            transport: Some(super::errors::Transport::Timeout),
            ..Default::default()
        },
        SdkError::ResponseError(response) => {
            let (status, bucket_region) = status_and_region(response.raw());
            ErrorFacts {
                status: Some(status),
                bucket_region,
                message: Some("the response could not be read".into()),
                ..Default::default()
            }
        }
        _ => ErrorFacts {
            message: Some(error_chain(error)),
            ..Default::default()
        },
    }
}

/// The HTTP status and the `x-amz-bucket-region` header (S3 sends it with wrong-region errors).
fn status_and_region(response: &HttpResponse) -> (u16, Option<String>) {
    let region = response
        .headers()
        .get("x-amz-bucket-region")
        .map(str::to_string);
    (response.status().as_u16(), region)
}

fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len() / 2)
        .filter_map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok())
        .collect()
}

/// Standard base64 with padding (for Content-MD5).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_md5_is_base64_of_the_digest() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        // md5("") in base64, as S3 documents it.
        assert_eq!(
            base64(&hex_bytes("d41d8cd98f00b204e9800998ecf8427e")),
            "1B2M2Y8AsgTpgAmY7PhCfg=="
        );
    }
}
