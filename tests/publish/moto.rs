//! Conformance against moto (a full S3/IAM/STS emulator) and the AWS CLI, for what s3s-fs lacks:
//! website configuration, assume-role profiles, IAM-enforced AccessDenied, and what a user of the AWS
//! tools sees after a publish.
//!
//! Runs only when `NOTESITE_MOTO_URL` is set (a moto server without auth; `.ci/run` starts one). The
//! IAM tests also need `NOTESITE_MOTO_AUTH_URL` (a second moto with `INITIAL_NO_AUTH_ACTION_COUNT=0`).
//! The AWS CLI is `NOTESITE_AWS_CLI`, else `/usr/bin/aws` (Debian's v2), else `aws` on PATH. Every test
//! prints why it skips.

use serde_json::Value;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::util::{client, isolate, Site};

/// Auth tests reset moto's global auth counter: one at a time.
static AUTH: Mutex<()> = Mutex::new(());
static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn moto_url(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url.trim_end_matches('/').to_string()),
        _ => {
            crate::tools::missing_tool(&format!(
                "{var} is not set (see .ci/run: it starts moto on 127.0.0.1)"
            ));
            None
        }
    }
}

fn unique(name: &str) -> String {
    format!(
        "{name}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

fn aws_cli() -> String {
    std::env::var("NOTESITE_AWS_CLI").unwrap_or_else(|_| {
        if std::path::Path::new("/usr/bin/aws").exists() {
            "/usr/bin/aws".into()
        } else {
            "aws".into()
        }
    })
}

/// Runs the AWS CLI against `endpoint` with the given keys; returns its JSON output (or Null).
fn aws(site: &Site, endpoint: &str, keys: (&str, &str), args: &[&str]) -> Value {
    let mut cmd = Command::new(aws_cli());
    cmd.args(args).args([
        "--endpoint-url",
        endpoint,
        "--region",
        "us-east-1",
        "--output",
        "json",
    ]);
    isolate(&mut cmd, site.home.path());
    cmd.env("AWS_ACCESS_KEY_ID", keys.0)
        .env("AWS_SECRET_ACCESS_KEY", keys.1)
        .env("AWS_PAGER", "");
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run the AWS CLI `{}`: {e}", aws_cli()));
    assert!(
        out.status.success(),
        "aws {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    if text.trim().is_empty() {
        return Value::Null;
    }
    serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.into_owned()))
}

/// Lets the next `n` requests to an auth-enforcing moto through unsigned (0 closes the window).
fn reset_auth(url: &str, n: usize) {
    use std::io::{Read, Write};
    let host = url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).expect("moto");
    let body = n.to_string();
    write!(
        stream,
        "POST /moto-api/reset-auth HTTP/1.1\r\nHost: {host}\r\nContent-Type: text/plain\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(
        response.starts_with("HTTP/1.1 200"),
        "reset-auth: {response}"
    );
}

fn create_bucket(url: &str, bucket: &str) {
    let s3 = client(url, "testing", "testing");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(s3.create_bucket().bucket(bucket).send())
        .unwrap();
}

/// An IAM user with `policy` as its inline policy; returns its keys. Needs the auth window open.
fn iam_user(site: &Site, url: &str, name: &str, policy: &Value) -> (String, String) {
    let any = ("testing", "testing");
    aws(site, url, any, &["iam", "create-user", "--user-name", name]);
    let key = aws(
        site,
        url,
        any,
        &["iam", "create-access-key", "--user-name", name],
    );
    let policy = policy.to_string();
    aws(
        site,
        url,
        any,
        &[
            "iam",
            "put-user-policy",
            "--user-name",
            name,
            "--policy-name",
            "p",
            "--policy-document",
            &policy,
        ],
    );
    (
        key["AccessKey"]["AccessKeyId"]
            .as_str()
            .unwrap()
            .to_string(),
        key["AccessKey"]["SecretAccessKey"]
            .as_str()
            .unwrap()
            .to_string(),
    )
}

fn publish_args<'a>(bucket: &'a str, url: &'a str, prefix: &'a str) -> Vec<&'a str> {
    vec![
        "publish",
        "--bucket",
        bucket,
        "--prefix",
        prefix,
        "--endpoint-url",
        url,
        "--json",
    ]
}

// moto 5.2.1 in auth mode rejects the signature of any request with `/` in its query string (a
// ListObjectsV2 with `prefix=docs%2F`; `aws s3api list-objects-v2 --prefix docs/` fails the same way),
// so the IAM tests publish to the bucket root.
const AUTH_PREFIX: &str = "";

#[test]
fn moto_website_setup_and_what_the_aws_cli_sees() {
    let Some(url) = moto_url("NOTESITE_MOTO_URL") else {
        return;
    };
    let site = Site::new();
    let bucket = unique("web");
    create_bucket(&url, &bucket);
    let mut args = publish_args(&bucket, &url, "docs");
    args.push("--setup-website");
    let run = site.run_with(
        &args,
        &[
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
        ],
    );
    assert_eq!(run.code, 0, "{run:?}");
    let files = site.built_files();
    assert_eq!(run.json()["uploaded"], files.len());
    assert!(
        run.stderr.contains(&format!(
            "Website endpoint: http://{bucket}.s3-website-us-east-1.amazonaws.com/docs/"
        )),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains(&format!("\"Resource\": \"arn:aws:s3:::{bucket}/docs/*\"")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("BlockPublicPolicy=false"),
        "{}",
        run.stderr
    );

    let keys = ("testing", "testing");
    let website = aws(
        &site,
        &url,
        keys,
        &["s3api", "get-bucket-website", "--bucket", &bucket],
    );
    assert_eq!(website["IndexDocument"]["Suffix"], "index.html");
    assert_eq!(website["ErrorDocument"]["Key"], "docs/404.html");

    let listing = aws(
        &site,
        &url,
        keys,
        &["s3", "ls", &format!("s3://{bucket}/docs/"), "--recursive"],
    );
    let listing = listing.as_str().unwrap_or_default().to_string();
    for file in &files {
        assert!(
            listing.contains(&format!("docs/{file}")),
            "{file} not in:\n{listing}"
        );
    }
    let head = aws(
        &site,
        &url,
        keys,
        &[
            "s3api",
            "head-object",
            "--bucket",
            &bucket,
            "--key",
            "docs/index.html",
        ],
    );
    assert_eq!(head["ContentType"], "text/html; charset=utf-8");
    assert_eq!(head["CacheControl"], "public, max-age=300");
    let local = std::fs::read(site.out().join("index.html")).unwrap();
    let md5 = format!("{:032x}", md5_of(&local));
    assert_eq!(head["ETag"].as_str().unwrap().trim_matches('"'), md5);
    let jpeg = files.iter().find(|f| f.contains("console.jpg.")).unwrap();
    let head = aws(
        &site,
        &url,
        keys,
        &[
            "s3api",
            "head-object",
            "--bucket",
            &bucket,
            "--key",
            &format!("docs/{jpeg}"),
        ],
    );
    assert_eq!(head["ContentType"], "image/jpeg");
    assert_eq!(head["CacheControl"], "public, max-age=31536000, immutable");

    // moto agrees with the no-op diff too.
    let again = site.run_with(
        &publish_args(&bucket, &url, "docs"),
        &[
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
        ],
    );
    assert_eq!(again.json()["uploaded"], 0, "{again:?}");
}

/// `--cloudfront-distribution`: each publish sends one invalidation through the SDK, and after one note
/// changed it names that note's page (moto records it; the AWS CLI reads it back).
#[test]
fn moto_cloudfront_invalidates_the_changed_pages() {
    let Some(url) = moto_url("NOTESITE_MOTO_URL") else {
        return;
    };
    let site = Site::new();
    site.write(
        "notesite.toml",
        "title = \"Test notes\"\n\n[publish]\ncloudfront_max_paths = 1000\n",
    );
    let bucket = unique("cdn");
    create_bucket(&url, &bucket);
    let keys = ("testing", "testing");
    let origin = format!("{bucket}.s3.amazonaws.com");
    let created = aws(
        &site,
        &url,
        keys,
        &[
            "cloudfront",
            "create-distribution",
            "--origin-domain-name",
            &origin,
        ],
    );
    let id = created["Distribution"]["Id"]
        .as_str()
        .unwrap_or_else(|| panic!("no distribution id in {created}"))
        .to_string();
    let env = [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
    ];
    let mut args = publish_args(&bucket, &url, "docs");
    args.extend(["--cloudfront-distribution", &id]);
    site.run_with(&args, &env).ok();
    site.write(
        "notes/ec2.md",
        "---\ntitle: EC2\ntopics: [aws, compute]\n---\n\nInstances and their images.\n",
    );
    let run = site.run_with(&args, &env).ok();
    assert!(
        run.stderr.contains("CloudFront: invalidation "),
        "{}",
        run.stderr
    );
    let list = aws(
        &site,
        &url,
        keys,
        &["cloudfront", "list-invalidations", "--distribution-id", &id],
    );
    let items = list["InvalidationList"]["Items"]
        .as_array()
        .unwrap_or_else(|| panic!("no invalidations in {list}"));
    assert_eq!(items.len(), 2, "one per publish: {list}");
    let paths: Vec<Vec<String>> = items
        .iter()
        .map(|item| {
            let inv = aws(
                &site,
                &url,
                keys,
                &[
                    "cloudfront",
                    "get-invalidation",
                    "--distribution-id",
                    &id,
                    "--id",
                    item["Id"].as_str().unwrap(),
                ],
            );
            let items = &inv["Invalidation"]["InvalidationBatch"]["Paths"]["Items"];
            let items = items
                .as_array()
                .unwrap_or_else(|| panic!("no paths in {inv}"));
            items
                .iter()
                .map(|p| p.as_str().unwrap().to_string())
                .collect()
        })
        .collect();
    let second = paths
        .iter()
        .find(|p| p.contains(&"/docs/notes/ec2.html".to_string()))
        .unwrap_or_else(|| panic!("no invalidation names the changed page: {paths:?}"));
    assert!(!second.contains(&"/*".to_string()), "{second:?}");
    let files = site.built_files();
    assert!(second.len() < files.len(), "only what changed: {second:?}");
}

fn md5_of(bytes: &[u8]) -> u128 {
    use md5::Digest;
    u128::from_be_bytes(md5::Md5::digest(bytes).into())
}

#[test]
fn moto_access_denied_names_the_action() {
    let Some(url) = moto_url("NOTESITE_MOTO_AUTH_URL") else {
        return;
    };
    let _one = AUTH.lock().unwrap_or_else(|e| e.into_inner());
    let site = Site::new();
    let bucket = unique("denied");
    reset_auth(&url, 100);
    let list_only = serde_json::json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]});
    let keys = iam_user(&site, &url, &unique("lister"), &list_only);
    create_bucket(&url, &bucket);
    reset_auth(&url, 0);
    let run = site.run_with(
        &publish_args(&bucket, &url, AUTH_PREFIX),
        &[
            ("AWS_ACCESS_KEY_ID", &keys.0),
            ("AWS_SECRET_ACCESS_KEY", &keys.1),
        ],
    );
    assert_eq!(run.code, 1, "{run:?}");
    let errors: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("error:"))
        .collect();
    assert_eq!(errors.len(), 1, "{}", run.stderr);
    assert!(
        errors[0].contains(&format!("access denied: s3:PutObject on s3://{bucket}/")),
        "{}",
        errors[0]
    );
    assert!(errors[0].contains("--print-policy"), "{}", errors[0]);
    assert!(!run.stderr.contains(&keys.1));
}

#[test]
fn moto_printed_policy_is_enough_to_publish_and_delete() {
    let Some(url) = moto_url("NOTESITE_MOTO_AUTH_URL") else {
        return;
    };
    let _one = AUTH.lock().unwrap_or_else(|e| e.into_inner());
    let site = Site::new();
    let bucket = unique("least");
    let mut policy = site
        .run(&[
            "publish",
            "--bucket",
            &bucket,
            "--prefix",
            AUTH_PREFIX,
            "--print-policy",
        ])
        .ok()
        .json();
    // moto authorizes DeleteObjects (POST ?delete) against the bucket ARN; S3 checks s3:DeleteObject
    // on each key, which the printed policy grants. Only for moto:
    policy["Statement"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!(
        {"Sid": "MotoDeleteObjectsOnBucket", "Effect": "Allow", "Action": "s3:DeleteObject",
         "Resource": format!("arn:aws:s3:::{bucket}")}));
    reset_auth(&url, 100);
    let keys = iam_user(&site, &url, &unique("publisher"), &policy);
    create_bucket(&url, &bucket);
    reset_auth(&url, 0);
    let env = [
        ("AWS_ACCESS_KEY_ID", keys.0.as_str()),
        ("AWS_SECRET_ACCESS_KEY", keys.1.as_str()),
    ];
    let run = site.run_with(&publish_args(&bucket, &url, AUTH_PREFIX), &env);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.json()["uploaded"].as_u64().unwrap() > 0);
    std::fs::remove_file(site.root().join("notes/ec2.md")).unwrap();
    let mut args = publish_args(&bucket, &url, AUTH_PREFIX);
    args.push("--delete");
    let run = site.run_with(&args, &env);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.json()["deleted"].as_u64().unwrap() >= 1);
}

/// An assume-role profile (`role_arn` + `source_profile`, no keys of its own) resolves through STS and
/// publishes. (Against the moto without auth: moto 5.2.1 with auth denies sts:AssumeRole even to a
/// user whose inline policy allows it. The `deploy` profile has no keys, so a publish that works got
/// its credentials from STS.)
#[test]
fn moto_assume_role_profile() {
    let Some(url) = moto_url("NOTESITE_MOTO_URL") else {
        return;
    };
    let site = Site::new();
    let bucket = unique("role");
    create_bucket(&url, &bucket);
    site.aws_file(
        "config",
        &format!(
            "[profile base]\nregion = us-east-1\nendpoint_url = {url}\n\n[profile deploy]\n\
             role_arn = arn:aws:iam::123456789012:role/site-publisher\nsource_profile = base\n\
             role_session_name = notesite-test\nregion = us-east-1\nendpoint_url = {url}\n"
        ),
    );
    site.aws_file(
        "credentials",
        "[base]\naws_access_key_id = AKIDBASEUSER0000\naws_secret_access_key = base-secret\n",
    );
    let args = [
        "publish",
        "--bucket",
        &bucket,
        "--prefix",
        "docs",
        "--json",
        "--profile",
        "deploy",
    ];
    let run = site.run_with(&args, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.json()["uploaded"], site.built_files().len());
    // A role profile whose source profile does not exist fails with a clear line.
    site.aws_file(
        "config",
        &format!("[profile deploy]\nrole_arn = arn:aws:iam::123456789012:role/x\nsource_profile = nope\nendpoint_url = {url}\n"),
    );
    let run = site.run_with(&args, &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("cannot get AWS credentials for profile `deploy`"),
        "{}",
        run.stderr
    );
}
