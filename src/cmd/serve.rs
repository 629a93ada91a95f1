//! `notesite serve`: builds the site, serves it on loopback, rebuilds on every save and tells the
//! browser what to reload. Three threads of work: notify events (watch), stdin (`r` for a full rebuild)
//! and the rebuild loop; HTTP runs on a small tokio runtime.

use std::io::BufRead as _;
use std::net::{IpAddr, SocketAddr};
use std::sync::{mpsc, Arc, RwLock};
use std::time::{Instant, SystemTime};
use tokio::sync::broadcast;

use super::{print_diagnostics, Failure, Outcome};
use crate::cli::ServeArgs;
use crate::config::Config;
use crate::pipeline::{millis, BuildOptions};
use crate::serve::http::{self, AppState, Message, Snapshot};
use crate::serve::rebuild::{Live, Update};
use crate::serve::watch::{ChangeSet, Classifier, Watch};
use crate::serve::{build_ids, problems};

/// The port tried first when none is given; the next ones are tried if it is taken.
const DEFAULT_PORT: u16 = 1111;
const PORTS_TO_TRY: u16 = 20;

enum Trigger {
    Changes(ChangeSet),
    Full,
}

pub fn run(args: &ServeArgs) -> Result<Outcome, Failure> {
    let started = Instant::now();
    let config = Config::load(&args.root.root)?;
    let (live, initial) = Live::start(
        config,
        BuildOptions {
            drafts: args.drafts,
            ocr: args.ocr,
            check_only: false,
        },
    )?;
    print_diagnostics(&initial, Some(10));
    eprintln!(
        "Built {} files in {}",
        live.served.files.len(),
        millis(started.elapsed())
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(anyhow::Error::from)?;
    runtime.block_on(serve(live, args, initial))
}

async fn serve(
    live: Live,
    args: &ServeArgs,
    initial: Vec<crate::diag::Diagnostic>,
) -> Result<Outcome, Failure> {
    let listener = bind(args.bind, args.port).await?;
    let address = listener.local_addr().map_err(anyhow::Error::from)?;
    let url = format!("http://{}/", display_address(address));
    if !args.bind.is_loopback() {
        eprintln!("warning: serving on {} makes your notes reachable from the network; use --bind 127.0.0.1 to keep them local", args.bind);
    }
    let mut next_build = build_ids();
    let (events, _) = broadcast::channel(64);
    let snapshot = Snapshot {
        output: live.served.clone(),
        build: next_build(),
        built_at: SystemTime::now(),
        problems: problems(&initial),
    };
    let state = Arc::new(AppState {
        snapshot: RwLock::new(Arc::new(snapshot)),
        events,
    });
    let triggers = start_watching(&live.config, args.poll)?;
    let rebuilder = state.clone();
    let timings = args.timings;
    std::thread::spawn(move || rebuild_loop(live, triggers, rebuilder, next_build, timings));
    eprintln!("Serving at {url}  (edit a note and the page reloads; type r + Enter for a full rebuild, Ctrl-C to stop)");
    if args.open {
        if let Err(e) = open::that_detached(&url) {
            eprintln!("warning: could not open a browser: {e}");
        }
    }
    let shutdown_state = state.clone();
    axum::serve(listener, http::router(state))
        .with_graceful_shutdown(async move {
            stop_requested().await;
            // Ends the event streams, which would otherwise keep the server waiting forever.
            let _ = shutdown_state.events.send(Message::Shutdown);
        })
        .await
        .map_err(anyhow::Error::from)?;
    eprintln!("Stopped.");
    Ok(Outcome::Success)
}

/// Binds the given port, or the first free one from 1111 when none was given.
async fn bind(ip: IpAddr, port: Option<u16>) -> Result<tokio::net::TcpListener, Failure> {
    if let Some(port) = port {
        return tokio::net::TcpListener::bind((ip, port))
            .await
            .map_err(|e| Failure::Usage(format!("cannot listen on {}: {e} (choose another --port, or omit it to pick a free one)", display_address(SocketAddr::new(ip, port)))));
    }
    for port in DEFAULT_PORT..DEFAULT_PORT + PORTS_TO_TRY {
        if let Ok(listener) = tokio::net::TcpListener::bind((ip, port)).await {
            return Ok(listener);
        }
    }
    Err(Failure::Usage(format!(
        "ports {DEFAULT_PORT}–{} are all taken; pass --port",
        DEFAULT_PORT + PORTS_TO_TRY - 1
    )))
}

fn display_address(address: SocketAddr) -> String {
    match address.ip() {
        IpAddr::V6(ip) => format!("[{ip}]:{}", address.port()),
        IpAddr::V4(ip) => format!("{ip}:{}", address.port()),
    }
}

/// Starts the file watcher and the stdin reader; both feed one channel of rebuild triggers.
fn start_watching(config: &Config, poll: bool) -> Result<mpsc::Receiver<Trigger>, Failure> {
    let (tx, rx) = mpsc::channel();
    let watch = Watch::start(config, poll)
        .map_err(|e| anyhow::anyhow!("cannot watch {}: {e}", config.root.display()))?;
    let classifier = Classifier::new(config);
    let changes = tx.clone();
    std::thread::spawn(move || {
        while let Some(set) = watch.next(&classifier) {
            if changes.send(Trigger::Changes(set)).is_err() {
                break;
            }
        }
    });
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if line.trim().eq_ignore_ascii_case("r") && tx.send(Trigger::Full).is_err() {
                break;
            }
        }
    });
    Ok(rx)
}

fn rebuild_loop(
    mut live: Live,
    triggers: mpsc::Receiver<Trigger>,
    state: Arc<AppState>,
    mut next_build: impl FnMut() -> u64,
    timings: bool,
) {
    while let Ok(trigger) = triggers.recv() {
        let (what, update) = match trigger {
            Trigger::Changes(changes) => {
                (changes.describe(&live.config.root), live.apply(&changes))
            }
            Trigger::Full => ("full rebuild".to_string(), live.full()),
        };
        let build = next_build();
        announce(&what, &update);
        if timings {
            eprintln!("  stages: {}", update.timings);
        }
        let problems = problems(&update.problems);
        // Swap first, then tell the browsers: a page that reloads never sees the old or a half-built site.
        let mut retired = None;
        if !update.failed {
            retired = Some(state.replace(Snapshot {
                output: live.served.clone(),
                build,
                built_at: SystemTime::now(),
                problems: problems.clone(),
            }));
            if !update.css.is_empty() {
                let _ = state.events.send(Message::Css {
                    build,
                    replace: update.css.clone(),
                });
            }
            if !update.pages.is_empty() {
                let _ = state.events.send(Message::Reload {
                    build,
                    pages: update.pages.clone(),
                });
            }
        }
        let _ = state.events.send(Message::Problems {
            build: state.current().build,
            problems,
        });
        // Freed only now, so the reload goes out first.
        drop(retired);
    }
}

/// One line per rebuild, then the problems it found.
fn announce(what: &str, update: &Update) {
    if update.failed {
        eprintln!(
            "{what}: build failed in {}; still serving the previous version",
            millis(update.elapsed)
        );
    } else {
        // Counts output files whose bytes changed: every page goes through the renderer's cache,
        // so a count of pages "re-rendered" would say nothing about what the browser reloads.
        let pages = update.pages.len();
        let files = update.changed_files;
        eprintln!(
            "{what}: {files} {} changed ({pages} {}) in {}",
            if files == 1 { "file" } else { "files" },
            if pages == 1 { "page" } else { "pages" },
            millis(update.elapsed)
        );
    }
    print_diagnostics(&update.problems, Some(10));
}

/// Ctrl-C, or SIGTERM from a service manager or `timeout`.
async fn stop_requested() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
