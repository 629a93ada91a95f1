//! Credentials, profiles, secrets and the one-line error messages.

use crate::util::{Site, ACCESS_KEY, BUCKET, S3, SECRET_KEY};

/// The error lines of a failed run (everything before is the build's own output).
fn error_lines(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.starts_with("error:")).collect()
}

#[test]
fn wrong_secret_is_one_clear_line_without_the_secret() {
    let (s3, site) = (S3::start(), Site::new());
    let wrong = "wrong-secret-that-must-not-appear";
    let run = site.run_with(
        &[
            "publish",
            "--bucket",
            BUCKET,
            "--endpoint-url",
            &s3.endpoint(),
        ],
        &[
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
            ("AWS_SECRET_ACCESS_KEY", wrong),
        ],
    );
    assert_eq!(run.code, 1, "{run:?}");
    let errors = error_lines(&run.stderr);
    assert_eq!(errors.len(), 1, "{}", run.stderr);
    assert!(
        errors[0].contains("secret access key does not match"),
        "{}",
        errors[0]
    );
    for text in [&run.stderr, &run.stdout] {
        assert!(!text.contains(wrong) && !text.contains(SECRET_KEY));
    }
    assert!(s3.objects().is_empty());
}

#[test]
fn no_credentials_anywhere() {
    let (s3, site) = (S3::start(), Site::new());
    let run = site.run_with(
        &[
            "publish",
            "--bucket",
            BUCKET,
            "--endpoint-url",
            &s3.endpoint(),
        ],
        &[],
    );
    assert_eq!(run.code, 1, "{run:?}");
    let errors = error_lines(&run.stderr);
    assert_eq!(errors.len(), 1, "{}", run.stderr);
    assert!(
        errors[0].contains("no AWS credentials found"),
        "{}",
        errors[0]
    );
}

#[test]
fn unknown_profile_names_the_profiles_that_exist() {
    let site = Site::new();
    site.aws_file(
        "config",
        "[default]\nregion = us-east-1\n[profile docs]\nregion = eu-west-1\n",
    );
    site.aws_file(
        "credentials",
        "[site-publisher]\naws_access_key_id = x\naws_secret_access_key = y\n",
    );
    let run = site.run(&[
        "publish",
        "--bucket",
        BUCKET,
        "--profile",
        "dcos",
        "--endpoint-url",
        "http://127.0.0.1:9",
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("profile `dcos` does not exist")
            && run.stderr.contains("`default`, `docs`, `site-publisher`"),
        "{}",
        run.stderr
    );
    // AWS_PROFILE is checked the same way.
    let run = site.run_with(
        &[
            "publish",
            "--bucket",
            BUCKET,
            "--endpoint-url",
            "http://127.0.0.1:9",
        ],
        &[("AWS_PROFILE", "nope")],
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("profile `nope` does not exist"),
        "{}",
        run.stderr
    );
}

#[test]
fn explicit_profile_wins_over_environment_keys_and_brings_its_endpoint() {
    let (s3, site) = (S3::start(), Site::new());
    site.aws_file(
        "config",
        &format!(
            "[profile publisher]\nregion = us-east-1\nendpoint_url = {}\n",
            s3.endpoint()
        ),
    );
    site.aws_file(
        "credentials",
        &format!(
            "[publisher]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n"
        ),
    );
    let wrong_env = [
        ("AWS_ACCESS_KEY_ID", "AKWRONGWRONGWRONG"),
        ("AWS_SECRET_ACCESS_KEY", "wrong"),
    ];
    // No --endpoint-url: it comes from the profile.
    let run = site.run_with(
        &[
            "publish",
            "--bucket",
            BUCKET,
            "--profile",
            "publisher",
            "--json",
        ],
        &wrong_env,
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.json()["uploaded"].as_u64().unwrap() > 0);
    // AWS_PROFILE does not beat environment keys (as in the AWS CLI): the wrong keys are used.
    let run = site.run_with(
        &["publish", "--bucket", BUCKET],
        &[wrong_env[0], wrong_env[1], ("AWS_PROFILE", "publisher")],
    );
    assert_eq!(run.code, 1, "{run:?}");
    // s3s answers an unknown key with AccessDenied (S3 itself says InvalidAccessKeyId).
    assert!(
        run.stderr.contains("access key id is not known") || run.stderr.contains("access denied"),
        "{}",
        run.stderr
    );
}

#[test]
fn missing_bucket_and_refused_connection() {
    let (s3, site) = (S3::start(), Site::new());
    let run = site.run(&[
        "publish",
        "--bucket",
        "no-such-bucket",
        "--endpoint-url",
        &s3.endpoint(),
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    let errors = error_lines(&run.stderr);
    assert_eq!(errors.len(), 1, "{}", run.stderr);
    assert!(
        errors[0].contains("bucket `no-such-bucket` does not exist"),
        "{}",
        errors[0]
    );

    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let run = site.run(&[
        "publish",
        "--bucket",
        BUCKET,
        "--no-build",
        "--endpoint-url",
        &endpoint,
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    let errors = error_lines(&run.stderr);
    assert_eq!(errors.len(), 1, "{}", run.stderr);
    assert!(
        errors[0].contains(&format!("cannot connect to {endpoint}: connection refused")),
        "{}",
        errors[0]
    );
}

#[test]
fn secrets_in_notes_stop_the_publish_unless_allowed() {
    let (s3, site) = (S3::start(), Site::new());
    // Assembled here so this file holds no key-shaped string.
    let id = format!("AKIA{}", "Z3XQ7PLM4KD9WB2R");
    let secret = format!("{}{}", "Lq8pX2vK7mN4bR8tY1wZ5cF3", "hJ6dS0aG/e+uI7oQ");
    site.write(
        "notes/setup.md",
        &format!("---\ntitle: Setup\n---\n\n```ini\n[default]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n```\n"),
    );
    let run = site.publish(&s3, "", &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("notes/setup.md:7: error: looks like an AWS access key id"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--allow-secrets"), "{}", run.stderr);
    assert!(!run.stderr.contains(&id) && !run.stderr.contains(&secret));
    assert!(s3.objects().is_empty());
    let run = site.publish(&s3, "", &["--allow-secrets"]).ok();
    assert!(run.json()["uploaded"].as_u64().unwrap() > 0);
    assert!(!run.stderr.contains(&secret));
}

#[test]
fn website_setup_error_from_a_server_without_it_is_one_line() {
    // s3s-fs has no PutBucketWebsite (501): the upload happens, then a clear error.
    let (s3, site) = (S3::start(), Site::new());
    let run = site.publish(&s3, "", &["--setup-website"]);
    assert_eq!(run.code, 1, "{run:?}");
    let errors = error_lines(&run.stderr);
    assert_eq!(errors.len(), 1, "{}", run.stderr);
    assert!(
        errors[0].contains("s3:PutBucketWebsite on s3://site failed: NotImplemented"),
        "{}",
        errors[0]
    );
}
