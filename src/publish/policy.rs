//! IAM and bucket policy documents, and the website endpoint: the least-privilege IAM policy that
//! `--print-policy` prints for the publishing user or role, the public-read bucket policy that
//! `--setup-website` explains (and never applies), and the S3 website endpoint URL of a bucket.

use serde_json::{json, Value};

/// What the publishing identity needs to be allowed.
#[derive(Debug, Clone)]
pub struct PolicyInput<'a> {
    pub bucket: &'a str,
    /// Normalised prefix: empty or ending in `/`.
    pub prefix: &'a str,
    pub region: Option<&'a str>,
    pub website: bool,
    pub cloudfront_distribution: Option<&'a str>,
}

/// `aws`, `aws-cn` or `aws-us-gov`, from the region name.
pub fn partition(region: Option<&str>) -> &'static str {
    match region {
        Some(r) if r.starts_with("cn-") => "aws-cn",
        Some(r) if r.starts_with("us-gov-") => "aws-us-gov",
        _ => "aws",
    }
}

/// The least-privilege identity policy: list only the prefix, write and delete only objects under it,
/// plus the website and CloudFront actions only when they are used.
pub fn publish_policy(input: &PolicyInput<'_>) -> Value {
    let p = partition(input.region);
    let bucket_arn = format!("arn:{p}:s3:::{}", input.bucket);
    let mut list = json!({
        "Sid": "ListSitePrefix",
        "Effect": "Allow",
        "Action": "s3:ListBucket",
        "Resource": bucket_arn,
    });
    if !input.prefix.is_empty() {
        list["Condition"] = json!({
            "StringLike": { "s3:prefix": [input.prefix, format!("{}*", input.prefix)] }
        });
    }
    let mut statements = vec![
        list,
        json!({
            "Sid": "WriteSiteObjects",
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
            "Resource": format!("{bucket_arn}/{}*", input.prefix),
        }),
    ];
    if input.website {
        statements.push(json!({
            "Sid": "ConfigureWebsite",
            "Effect": "Allow",
            "Action": ["s3:PutBucketWebsite", "s3:GetBucketWebsite"],
            "Resource": bucket_arn,
        }));
    }
    if let Some(id) = input.cloudfront_distribution {
        statements.push(json!({
            "Sid": "InvalidateCloudFront",
            "Effect": "Allow",
            "Action": "cloudfront:CreateInvalidation",
            "Resource": format!("arn:{p}:cloudfront::*:distribution/{id}"),
        }));
    }
    json!({ "Version": "2012-10-17", "Statement": statements })
}

/// The bucket policy that lets anyone read the site's objects (and nothing else).
pub fn public_read_policy(bucket: &str, prefix: &str, region: Option<&str>) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "PublicReadSite",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": format!("arn:{}:s3:::{bucket}/{prefix}*", partition(region)),
        }]
    })
}

/// Regions whose website endpoint is `s3-website-REGION` (dash); every other region uses
/// `s3-website.REGION` (dot). From the S3 website endpoints table.
const DASH_REGIONS: &[&str] = &[
    "us-east-1",
    "us-west-1",
    "us-west-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "eu-west-1",
    "sa-east-1",
    "us-gov-west-1",
];

/// `http://BUCKET.s3-website-REGION.amazonaws.com/PREFIX` (website endpoints are HTTP only).
pub fn website_url(bucket: &str, region: &str, prefix: &str) -> String {
    let sep = if DASH_REGIONS.contains(&region) {
        '-'
    } else {
        '.'
    };
    let domain = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    format!("http://{bucket}.s3-website{sep}{region}.{domain}/{prefix}")
}

/// What public read access needs, with the exact commands and policy: printed by `--setup-website`.
pub fn public_access_explanation(bucket: &str, prefix: &str, region: Option<&str>) -> String {
    let policy = serde_json::to_string_pretty(&public_read_policy(bucket, prefix, region))
        .unwrap_or_default();
    format!(
        "Visitors get 403 Forbidden until the bucket allows public reads. notesite does not change that \
for you; to allow it:\n\
  1. Let this bucket have a public bucket policy (S3 Block Public Access is on by default, for the \
bucket and possibly for the whole account):\n\
     aws s3api put-public-access-block --bucket {bucket} --public-access-block-configuration \
BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=false,RestrictPublicBuckets=false\n\
  2. Attach this bucket policy (anyone may read the site's objects, nothing else), saved as \
site-policy.json:\n\
     aws s3api put-bucket-policy --bucket {bucket} --policy file://site-policy.json\n\
{policy}\n\
Or keep the bucket private and serve it through CloudFront with Origin Access Control."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(prefix: &'a str) -> PolicyInput<'a> {
        PolicyInput {
            bucket: "notes-site",
            prefix,
            region: Some("eu-central-1"),
            website: false,
            cloudfront_distribution: None,
        }
    }

    fn actions(policy: &Value) -> Vec<String> {
        policy["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| match &s["Action"] {
                Value::String(a) => vec![a.clone()],
                Value::Array(a) => a.iter().map(|v| v.as_str().unwrap().to_string()).collect(),
                _ => vec![],
            })
            .collect()
    }

    #[test]
    fn policy_is_limited_to_the_prefix() {
        let policy = publish_policy(&input("docs/"));
        assert_eq!(
            actions(&policy),
            [
                "s3:ListBucket",
                "s3:PutObject",
                "s3:DeleteObject",
                "s3:AbortMultipartUpload"
            ]
        );
        let st = &policy["Statement"];
        assert_eq!(st[0]["Resource"], "arn:aws:s3:::notes-site");
        assert_eq!(
            st[0]["Condition"]["StringLike"]["s3:prefix"],
            json!(["docs/", "docs/*"])
        );
        assert_eq!(st[1]["Resource"], "arn:aws:s3:::notes-site/docs/*");
        let whole = publish_policy(&input(""));
        assert!(whole["Statement"][0].get("Condition").is_none());
        assert_eq!(
            whole["Statement"][1]["Resource"],
            "arn:aws:s3:::notes-site/*"
        );
    }

    #[test]
    fn website_and_cloudfront_actions_only_when_used() {
        let mut i = input("");
        i.website = true;
        i.cloudfront_distribution = Some("E2ABC");
        i.region = Some("cn-north-1");
        let policy = publish_policy(&i);
        let all = actions(&policy);
        assert!(all.contains(&"s3:PutBucketWebsite".to_string()));
        assert!(all.contains(&"cloudfront:CreateInvalidation".to_string()));
        assert_eq!(
            policy["Statement"][3]["Resource"],
            "arn:aws-cn:cloudfront::*:distribution/E2ABC"
        );
        assert_eq!(
            policy["Statement"][0]["Resource"],
            "arn:aws-cn:s3:::notes-site"
        );
    }

    #[test]
    fn website_urls_use_the_regions_separator() {
        assert_eq!(
            website_url("b", "us-east-1", ""),
            "http://b.s3-website-us-east-1.amazonaws.com/"
        );
        assert_eq!(
            website_url("b", "eu-central-1", "docs/"),
            "http://b.s3-website.eu-central-1.amazonaws.com/docs/"
        );
    }

    #[test]
    fn public_read_explanation_has_the_exact_policy() {
        let text = public_access_explanation("b", "docs/", Some("us-east-1"));
        assert!(
            text.contains("\"Resource\": \"arn:aws:s3:::b/docs/*\""),
            "{text}"
        );
        assert!(text.contains("BlockPublicPolicy=false"));
        assert!(text.contains("\"Principal\": \"*\""));
    }
}
