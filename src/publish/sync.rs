//! Runs a [`Plan`] against a [`Store`]: uploads phase by phase (content-hashed assets, then other files,
//! then pages), at most `concurrency` requests at once, then the deletes in batches of 1000. The first
//! failure stops new work; what already finished stays done, so running `publish` again completes the
//! job (the plan of the re-run only holds what is still missing).
//!
//! The store is a trait so that this ordering can be tested without a network; [`super::s3::S3Store`]
//! is the real one.

use indicatif::ProgressBar;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;

use super::plan::{normalize_etag, LocalFile, Plan, RemoteObject};

/// DeleteObjects takes at most this many keys.
pub const DELETE_BATCH: usize = 1000;

/// Where a site is published. Errors are friendly one-line messages.
pub trait Store: Send + Sync + 'static {
    /// Every object under `prefix`.
    fn list(&self, prefix: &str) -> impl Future<Output = Result<Vec<RemoteObject>, String>> + Send;
    /// Uploads one file (in parts if large); returns the ETag the server reported, if any.
    fn upload(
        &self,
        file: &LocalFile,
        progress: &ProgressBar,
    ) -> impl Future<Output = Result<Option<String>, String>> + Send;
    /// Deletes up to [`DELETE_BATCH`] keys in one request.
    fn delete(&self, keys: &[String]) -> impl Future<Output = Result<(), String>> + Send;
}

/// What was done.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Done {
    pub uploaded: usize,
    pub deleted: usize,
    pub bytes: u64,
    /// Uploads whose returned ETag is not the MD5 we computed (e.g. SSE-KMS buckets): the next publish
    /// cannot recognise them as unchanged.
    pub etag_mismatches: usize,
}

/// A publish that stopped part way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stopped {
    /// The first error.
    pub error: String,
    /// How many more requests failed.
    pub more_errors: usize,
    pub done: Done,
}

/// Runs the plan.
pub async fn execute<S: Store>(
    store: Arc<S>,
    plan: &Plan,
    concurrency: usize,
    progress: &ProgressBar,
) -> Result<Done, Stopped> {
    let state = Arc::new(State::default());
    let semaphore = Arc::new(Semaphore::new(concurrency.max(1)));
    for (_, uploads) in plan.phases() {
        let mut tasks = tokio::task::JoinSet::new();
        for upload in uploads {
            let (store, state, semaphore) = (store.clone(), state.clone(), semaphore.clone());
            let (file, progress) = (upload.file.clone(), progress.clone());
            tasks.spawn(async move {
                let Ok(_permit) = semaphore.acquire_owned().await else {
                    return;
                };
                if state.failed.load(Ordering::SeqCst) {
                    return;
                }
                match store.upload(&file, &progress).await {
                    Ok(etag) => state.uploaded(&file, etag.as_deref()),
                    Err(e) => state.fail(e),
                }
            });
        }
        while let Some(joined) = tasks.join_next().await {
            if let Err(e) = joined {
                state.fail(format!("an upload task failed: {e}"));
            }
        }
        if state.failed.load(Ordering::SeqCst) {
            return Err(state.stopped());
        }
    }
    for batch in plan.delete_batches(DELETE_BATCH) {
        match store.delete(batch).await {
            Ok(()) => {
                state.deleted.fetch_add(batch.len(), Ordering::SeqCst);
            }
            Err(e) => {
                state.fail(e);
                return Err(state.stopped());
            }
        }
    }
    Ok(state.done())
}

#[derive(Default)]
struct State {
    failed: AtomicBool,
    uploaded: AtomicUsize,
    deleted: AtomicUsize,
    bytes: std::sync::atomic::AtomicU64,
    etag_mismatches: AtomicUsize,
    errors: Mutex<Vec<String>>,
}

impl State {
    fn uploaded(&self, file: &LocalFile, etag: Option<&str>) {
        self.uploaded.fetch_add(1, Ordering::SeqCst);
        self.bytes.fetch_add(file.size, Ordering::SeqCst);
        if etag.is_some_and(|e| !file.matches(&normalize_etag(e))) {
            self.etag_mismatches.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn fail(&self, error: String) {
        self.failed.store(true, Ordering::SeqCst);
        if let Ok(mut errors) = self.errors.lock() {
            errors.push(error);
        }
    }

    fn done(&self) -> Done {
        Done {
            uploaded: self.uploaded.load(Ordering::SeqCst),
            deleted: self.deleted.load(Ordering::SeqCst),
            bytes: self.bytes.load(Ordering::SeqCst),
            etag_mismatches: self.etag_mismatches.load(Ordering::SeqCst),
        }
    }

    fn stopped(&self) -> Stopped {
        let errors = self.errors.lock().map(|e| e.clone()).unwrap_or_default();
        Stopped {
            error: errors.first().cloned().unwrap_or_default(),
            more_errors: errors.len().saturating_sub(1),
            done: self.done(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::cache::classify;
    use crate::publish::manifest::{hex, md5};
    use std::time::Duration;

    /// Records every call; fails uploads of keys containing "fail".
    #[derive(Default)]
    struct Fake {
        log: Mutex<Vec<String>>,
        running: AtomicUsize,
        peak: AtomicUsize,
    }

    impl Store for Fake {
        async fn list(&self, _prefix: &str) -> Result<Vec<RemoteObject>, String> {
            Ok(Vec::new())
        }

        async fn upload(
            &self,
            file: &LocalFile,
            _: &ProgressBar,
        ) -> Result<Option<String>, String> {
            let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
            self.peak.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(2)).await;
            self.running.fetch_sub(1, Ordering::SeqCst);
            self.log.lock().unwrap().push(format!("put {}", file.key));
            if file.key.contains("fail") {
                return Err(format!("access denied: {}", file.key));
            }
            Ok(Some(format!("\"{}\"", file.md5)))
        }

        async fn delete(&self, keys: &[String]) -> Result<(), String> {
            self.log
                .lock()
                .unwrap()
                .push(format!("delete {}", keys.len()));
            Ok(())
        }
    }

    fn file(key: &str) -> LocalFile {
        LocalFile {
            key: key.into(),
            path: key.into(),
            size: 10,
            md5: hex(&md5(key.as_bytes())),
            multipart_etag: None,
            content_type: String::new(),
            cache_control: String::new(),
            class: classify(key),
        }
    }

    fn run(plan: &Plan, concurrency: usize) -> (Result<Done, Stopped>, Vec<String>, usize) {
        let store = Arc::new(Fake::default());
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let result = rt.block_on(execute(
            store.clone(),
            plan,
            concurrency,
            &ProgressBar::hidden(),
        ));
        let log = store.log.lock().unwrap().clone();
        (result, log, store.peak.load(Ordering::SeqCst))
    }

    fn site_plan() -> Plan {
        let mut local: Vec<LocalFile> = (0..20)
            .map(|i| file(&format!("notes/{i:02}.html")))
            .collect();
        local.extend((0..20).map(|i| file(&format!("img/s{i:02}.0123456789.png"))));
        local.push(file("sitemap.xml"));
        let remote: Vec<RemoteObject> = (0..2500)
            .map(|i| RemoteObject {
                key: format!("old/{i}.html"),
                size: 1,
                etag: String::new(),
            })
            .collect();
        Plan::new(local, &remote, "", true)
    }

    #[test]
    fn assets_then_other_then_pages_then_batched_deletes() {
        let (result, log, peak) = run(&site_plan(), 4);
        let done = result.unwrap();
        assert_eq!((done.uploaded, done.deleted, done.bytes), (41, 2500, 410));
        assert_eq!(done.etag_mismatches, 0);
        let position = |p: &str| log.iter().position(|l| l.starts_with(p)).unwrap();
        let last = |p: &str| log.iter().rposition(|l| l.starts_with(p)).unwrap();
        assert!(last("put img/") < position("put sitemap.xml"));
        assert!(position("put sitemap.xml") < position("put notes/"));
        assert!(last("put notes/") < position("delete"));
        let deletes: Vec<&String> = log.iter().filter(|l| l.starts_with("delete")).collect();
        assert_eq!(deletes, ["delete 1000", "delete 1000", "delete 500"]);
        assert!((2..=4).contains(&peak), "peak concurrency {peak}");
    }

    #[test]
    fn first_failure_stops_before_pages_and_deletes() {
        let mut local = vec![file("img/fail.0123456789.png"), file("index.html")];
        local.push(file("img/ok.0123456789.png"));
        let remote = [RemoteObject {
            key: "gone.html".into(),
            size: 1,
            etag: String::new(),
        }];
        let plan = Plan::new(local, &remote, "", true);
        let (result, log, _) = run(&plan, 1);
        let stopped = result.unwrap_err();
        assert_eq!(stopped.error, "access denied: img/fail.0123456789.png");
        assert!(
            !log.iter()
                .any(|l| l == "put index.html" || l.starts_with("delete")),
            "{log:?}"
        );
    }
}
