//! `notesite publish`: settings → (build) → secret scan → local manifest → AWS config → one bucket
//! listing → plan → dry-run report, or uploads/deletes → website setup → CloudFront → summary.
//! Orchestration only; the logic lives in `crate::publish`. The tokio runtime is created here and
//! only here: the rest of the binary is synchronous.

// Without the `publish` feature only `--print-policy` runs; the reporting helpers go unused.
#![cfg_attr(not(feature = "publish"), allow(dead_code))]

use std::time::Instant;

use super::{Failure, Outcome};
use crate::cli::{BuildArgs, PublishArgs};
use crate::config::Config;
use crate::publish::plan::{Plan, Reason};
use crate::publish::settings::Settings;
use crate::publish::{manifest, policy, secrets};

/// The `--json` summary: a contract for scripts (keys are never renamed or removed).
#[derive(serde::Serialize)]
struct Summary {
    uploaded: usize,
    deleted: usize,
    unchanged: usize,
    bytes: u64,
    dry_run: bool,
}

pub fn run(args: &PublishArgs) -> Result<Outcome, Failure> {
    let started = Instant::now();
    let config = Config::load(&args.root.root)?;
    let settings = Settings::resolve(args, &config.publish).map_err(Failure::Usage)?;
    if settings.print_policy {
        let input = policy::PolicyInput {
            bucket: &settings.bucket,
            prefix: &settings.prefix,
            region: settings.region.as_deref(),
            website: settings.setup_website,
            cloudfront_distribution: settings.cloudfront_distribution.as_deref(),
        };
        let json = serde_json::to_string_pretty(&policy::publish_policy(&input))
            .map_err(anyhow::Error::from)?;
        println!("{json}");
        return Ok(Outcome::Success);
    }
    if !cfg!(feature = "publish") {
        return Err(Failure::Usage(
            "this notesite was built without the `publish` feature (cargo build --no-default-features); \
             rebuild with default features to publish (`--print-policy` works without it)"
                .into(),
        ));
    }
    if !settings.no_build {
        let build = BuildArgs {
            root: args.root.clone(),
            out: None,
            strict: false,
            drafts: false,
            quiet: false,
            ocr: false,
            timings: false,
            force: false,
        };
        if super::build::run(&build)? != Outcome::Success {
            eprintln!("error: the build failed; nothing was published");
            return Ok(Outcome::ContentErrors);
        }
    }
    if !secrets_allowed(&config, &settings) {
        return Ok(Outcome::ContentErrors);
    }
    let local = manifest::scan(&config.out_dir, &settings.prefix, &settings.cache)
        .map_err(|e| Failure::Usage(format!("{e:#}")))?;
    remote::publish(&settings, local, started)
}

/// Prints every finding; false when they stop the publish.
fn secrets_allowed(config: &Config, settings: &Settings) -> bool {
    let mut findings = secrets::scan_dir(&config.notes_dir, &config.root, false);
    if settings.no_build {
        // The output may hold text the current notes no longer have.
        findings.extend(secrets::scan_dir(&config.out_dir, &config.root, true));
    }
    if findings.is_empty() {
        return true;
    }
    let level = if settings.allow_secrets {
        "warning"
    } else {
        "error"
    };
    for finding in &findings {
        eprintln!(
            "{}:{}: {level}: {}",
            finding.path.display(),
            finding.line,
            finding.what
        );
    }
    if settings.allow_secrets {
        eprintln!("warning: publishing anyway (--allow-secrets)");
        return true;
    }
    eprintln!(
        "error: refusing to publish: {} place(s) look like credentials; remove them (and rotate the keys), \
         or pass --allow-secrets if they are not real",
        findings.len()
    );
    false
}

fn print_plan(plan: &Plan, settings: &Settings) {
    let mut lines = Vec::new();
    for upload in &plan.uploads {
        lines.push(format!(
            "upload {:<7} {:>9}  {}  ({}; {})",
            upload.reason.to_string(),
            human_bytes(upload.file.size),
            upload.file.key,
            upload.file.content_type,
            upload.file.cache_control
        ));
    }
    for key in &plan.deletes {
        lines.push(format!("delete {key}"));
    }
    lines.push(format!("unchanged: {} files", plan.unchanged));
    for line in lines {
        if settings.json {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    }
}

fn summary_line(
    plan: &Plan,
    settings: &Settings,
    deleted: usize,
    elapsed: std::time::Duration,
) -> String {
    let uploads = format!(
        "{} ({} new, {} changed, {})",
        plan.uploads.len(),
        plan.count(Reason::New),
        plan.count(Reason::Changed),
        human_bytes(plan.upload_bytes())
    );
    let kept = if plan.stale_kept > 0 {
        format!(
            "; {} object(s) the site no longer has were kept (--delete removes them)",
            plan.stale_kept
        )
    } else {
        String::new()
    };
    let secs = format!("{:.2} s", elapsed.as_secs_f64());
    if plan.is_empty() {
        let verb = if settings.dry_run {
            "Dry run for"
        } else {
            "Published"
        };
        return format!(
            "{verb} {}: nothing to do, {} files unchanged ({secs}){kept}",
            settings.target(),
            plan.unchanged
        );
    }
    if settings.dry_run {
        format!(
            "Dry run for {}: would upload {uploads}, delete {}, {} unchanged; nothing was changed ({secs}){kept}",
            settings.target(),
            plan.deletes.len(),
            plan.unchanged
        )
    } else {
        format!(
            "Published {} in {secs}: {uploads} uploaded, {deleted} deleted, {} unchanged{kept}",
            settings.target(),
            plan.unchanged
        )
    }
}

fn print_json(summary: &Summary) -> Result<(), Failure> {
    println!(
        "{}",
        serde_json::to_string(summary).map_err(anyhow::Error::from)?
    );
    Ok(())
}

pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64;
    let mut unit = "B";
    for u in UNITS {
        if value < 1000.0 {
            break;
        }
        value /= 1000.0;
        unit = u;
    }
    format!("{value:.1} {unit}")
}

#[cfg(feature = "publish")]
mod remote {
    //! The part that talks to AWS (feature `publish`).

    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
    use std::io::IsTerminal;
    use std::sync::Arc;
    use std::time::Instant;

    use super::{print_json, print_plan, summary_line, Summary};
    use crate::cmd::{Failure, Outcome};
    use crate::publish::plan::{LocalFile, Plan};
    use crate::publish::s3::S3Store;
    use crate::publish::settings::Settings;
    use crate::publish::sync::{self, Store};
    use crate::publish::{aws, cloudfront, policy, Error};

    fn failure(error: Error) -> Failure {
        match error {
            Error::Config(m) => Failure::Usage(m),
            Error::Remote(m) => Failure::Other(anyhow::anyhow!(m)),
        }
    }

    fn remote_failure(message: String) -> Failure {
        failure(Error::Remote(message))
    }

    pub fn publish(
        settings: &Settings,
        local: Vec<LocalFile>,
        started: Instant,
    ) -> Result<Outcome, Failure> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| Failure::Other(anyhow::anyhow!("cannot start the async runtime: {e}")))?;
        runtime.block_on(publish_async(settings, local, started))
    }

    async fn publish_async(
        settings: &Settings,
        local: Vec<LocalFile>,
        started: Instant,
    ) -> Result<Outcome, Failure> {
        let aws = aws::load(settings).await.map_err(failure)?;
        let store = Arc::new(S3Store::new(&aws, &settings.bucket));
        let remote = store.list(&settings.prefix).await.map_err(remote_failure)?;
        let plan = Plan::new(local, &remote, &settings.prefix, settings.delete);
        let paths = settings
            .cloudfront_distribution
            .as_ref()
            .map(|_| cloudfront::invalidation_paths(&plan, settings.cloudfront_max_paths));
        if settings.dry_run {
            print_plan(&plan, settings);
            if let Err(refusal) = plan.check_deletes(settings.max_deletes, &settings.target()) {
                eprintln!("note: without --dry-run this publish would stop: {refusal}");
            }
            if settings.setup_website {
                eprintln!(
                    "would configure website hosting on s3://{} (index.html, {}404.html)",
                    settings.bucket, settings.prefix
                );
            }
            if let (Some(id), Some(paths)) = (&settings.cloudfront_distribution, &paths) {
                eprintln!("would invalidate in {id}: {}", paths.join(" "));
            }
            eprintln!("{}", summary_line(&plan, settings, 0, started.elapsed()));
            if settings.json {
                print_json(&Summary {
                    uploaded: plan.uploads.len(),
                    deleted: plan.deletes.len(),
                    unchanged: plan.unchanged,
                    bytes: plan.upload_bytes(),
                    dry_run: true,
                })?;
            }
            return Ok(Outcome::Success);
        }
        plan.check_deletes(settings.max_deletes, &settings.target())
            .map_err(Failure::Usage)?;
        let progress = upload_bar(plan.upload_bytes());
        let result = sync::execute(store.clone(), &plan, settings.concurrency, &progress).await;
        progress.finish_and_clear();
        let done = match result {
            Ok(done) => done,
            Err(stopped) => {
                let more = if stopped.more_errors > 0 {
                    format!(" ({} more request(s) failed)", stopped.more_errors)
                } else {
                    String::new()
                };
                eprintln!(
                    "Stopped after {} of {} uploads and {} deletes; publishing again finishes the job",
                    stopped.done.uploaded,
                    plan.uploads.len(),
                    stopped.done.deleted
                );
                return Err(remote_failure(format!("{}{more}", stopped.error)));
            }
        };
        if done.etag_mismatches > 0 {
            eprintln!(
                "warning: S3 returned ETags that are not the MD5 of {} uploaded file(s) (SSE-KMS encryption?); \
                 such files cannot be recognised as unchanged and will be uploaded on every publish",
                done.etag_mismatches
            );
        }
        if settings.setup_website {
            store
                .setup_website(&settings.prefix)
                .await
                .map_err(remote_failure)?;
            eprintln!(
                "Website hosting is on for s3://{}: index document index.html, error document {}404.html.\n\
                 Website endpoint: {}\n{}",
                settings.bucket,
                settings.prefix,
                policy::website_url(&settings.bucket, &aws.region, &settings.prefix),
                policy::public_access_explanation(&settings.bucket, &settings.prefix, Some(&aws.region))
            );
        }
        if let (Some(id), Some(paths)) = (&settings.cloudfront_distribution, &paths) {
            invalidate(&aws, id, paths).await?;
        }
        eprintln!(
            "{}",
            summary_line(&plan, settings, done.deleted, started.elapsed())
        );
        if settings.json {
            print_json(&Summary {
                uploaded: done.uploaded,
                deleted: done.deleted,
                unchanged: plan.unchanged,
                bytes: done.bytes,
                dry_run: false,
            })?;
        }
        Ok(Outcome::Success)
    }

    #[cfg(feature = "cloudfront")]
    async fn invalidate(aws: &aws::Aws, id: &str, paths: &[String]) -> Result<(), Failure> {
        if paths.is_empty() {
            eprintln!("CloudFront: nothing to invalidate in {id}");
            return Ok(());
        }
        let invalidation = aws::invalidate(aws, id, paths)
            .await
            .map_err(remote_failure)?;
        eprintln!(
            "CloudFront: invalidation {invalidation} of {} path(s) in {id}",
            paths.len()
        );
        Ok(())
    }

    #[cfg(not(feature = "cloudfront"))]
    async fn invalidate(_aws: &aws::Aws, id: &str, paths: &[String]) -> Result<(), Failure> {
        if paths.is_empty() {
            eprintln!("CloudFront: nothing to invalidate in {id}");
        } else {
            // A lean build (`--no-default-features --features publish`) leaves the CloudFront SDK out.
            eprintln!(
                "warning: this notesite was built without the `cloudfront` feature, so {id} was not \
                 invalidated; run:\n  {}",
                cloudfront::cli_command(id, paths)
            );
        }
        Ok(())
    }

    /// Bytes, rate and ETA on an interactive terminal; nothing otherwise.
    fn upload_bar(total: u64) -> ProgressBar {
        if total == 0 || !std::io::stderr().is_terminal() {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{spinner} uploading {bar:30} {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar
    }
}

#[cfg(not(feature = "publish"))]
mod remote {
    use super::{Failure, Outcome};
    use crate::publish::plan::LocalFile;
    use crate::publish::settings::Settings;

    pub fn publish(
        _: &Settings,
        _: Vec<LocalFile>,
        _: std::time::Instant,
    ) -> Result<Outcome, Failure> {
        unreachable!("checked in run()")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_human() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(45_100), "45.1 KB");
        assert_eq!(human_bytes(3_200_000), "3.2 MB");
    }
}
