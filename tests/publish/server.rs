//! The loopback S3 server of the tests and of `examples/s3s_server.rs`: s3s-fs behind s3s with
//! SigV4 checked (`SimpleAuth`), plus one fix. s3s-fs 0.14.1 leaves the ETag out of ListObjectsV2
//! entries, which AWS S3 always sends. [`WithListedEtags`] fills it in from s3s-fs's own record of
//! each object (falling back to hashing the file), so the listing looks like S3's. Every other
//! operation is passed through unchanged.

use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result, S3};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// s3s-fs with ETags in listings.
pub struct WithListedEtags {
    fs: s3s_fs::FileSystem,
    root: PathBuf,
}

impl WithListedEtags {
    pub fn new(root: &Path) -> WithListedEtags {
        let root = root.canonicalize().unwrap();
        WithListedEtags {
            fs: s3s_fs::FileSystem::new(&root).unwrap(),
            root,
        }
    }

    /// s3s-fs keeps `{"e_tag": …}` in `.bucket-<b64>.object-<b64>.internal.json` under its root.
    fn etag(&self, bucket: &str, key: &str) -> Option<String> {
        let info = self.root.join(format!(
            ".bucket-{}.object-{}.internal.json",
            base64_url(bucket.as_bytes()),
            base64_url(key.as_bytes())
        ));
        if let Some(tag) = std::fs::read(info)
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .and_then(|v| v["e_tag"].as_str().map(str::to_string))
        {
            return Some(tag);
        }
        let bytes = std::fs::read(self.root.join(bucket).join(key)).ok()?;
        use md5::Digest;
        Some(
            md5::Md5::digest(&bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
        )
    }
}

/// URL-safe base64 without padding, as s3s-fs names its sidecar files.
fn base64_url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

impl WithListedEtags {
    async fn list_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        let bucket = req.input.bucket.clone();
        let mut response = self.fs.list_objects_v2(req).await?;
        for object in response.output.contents.iter_mut().flatten() {
            if object.e_tag.is_none() {
                if let Some(key) = &object.key {
                    object.e_tag = self.etag(&bucket, key).map(ETag::Strong);
                }
            }
        }
        Ok(response)
    }
}

/// The `S3` impl: listed operations go straight to s3s-fs, ListObjectsV2 through [`WithListedEtags::list_v2`].
/// (The whole impl comes from the macro because `#[async_trait]` must see the expanded methods.)
macro_rules! pass_through {
    ($($name:ident($input:ty) -> $output:ty;)*) => {
        #[async_trait::async_trait]
        impl S3 for WithListedEtags {
            $(
                async fn $name(&self, req: S3Request<$input>) -> S3Result<S3Response<$output>> {
                    self.fs.$name(req).await
                }
            )*

            async fn list_objects_v2(
                &self,
                req: S3Request<ListObjectsV2Input>,
            ) -> S3Result<S3Response<ListObjectsV2Output>> {
                self.list_v2(req).await
            }
        }
    };
}

pass_through! {
    create_bucket(CreateBucketInput) -> CreateBucketOutput;
    head_bucket(HeadBucketInput) -> HeadBucketOutput;
    list_buckets(ListBucketsInput) -> ListBucketsOutput;
    get_bucket_location(GetBucketLocationInput) -> GetBucketLocationOutput;
    delete_bucket(DeleteBucketInput) -> DeleteBucketOutput;
    list_objects(ListObjectsInput) -> ListObjectsOutput;
    head_object(HeadObjectInput) -> HeadObjectOutput;
    get_object(GetObjectInput) -> GetObjectOutput;
    put_object(PutObjectInput) -> PutObjectOutput;
    copy_object(CopyObjectInput) -> CopyObjectOutput;
    delete_object(DeleteObjectInput) -> DeleteObjectOutput;
    delete_objects(DeleteObjectsInput) -> DeleteObjectsOutput;
    create_multipart_upload(CreateMultipartUploadInput) -> CreateMultipartUploadOutput;
    upload_part(UploadPartInput) -> UploadPartOutput;
    complete_multipart_upload(CompleteMultipartUploadInput) -> CompleteMultipartUploadOutput;
    abort_multipart_upload(AbortMultipartUploadInput) -> AbortMultipartUploadOutput;
    list_parts(ListPartsInput) -> ListPartsOutput;
    list_multipart_uploads(ListMultipartUploadsInput) -> ListMultipartUploadsOutput;
    put_bucket_website(PutBucketWebsiteInput) -> PutBucketWebsiteOutput;
}

/// Serves `root` on 127.0.0.1:`port` (0: any free port) until the runtime stops.
pub async fn serve(root: &Path, port: u16, access_key: &str, secret_key: &str) -> SocketAddr {
    let mut builder = s3s::service::S3ServiceBuilder::new(WithListedEtags::new(root));
    builder.set_auth(s3s::auth::SimpleAuth::from_single(access_key, secret_key));
    let service = builder.build();
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                continue;
            };
            let service = service.clone();
            tokio::spawn(async move {
                let _ = hyper_util::server::conn::auto::Builder::new(
                    hyper_util::rt::TokioExecutor::new(),
                )
                .serve_connection(hyper_util::rt::TokioIo::new(socket), service)
                .await;
            });
        }
    });
    addr
}
