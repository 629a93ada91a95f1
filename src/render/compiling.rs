//! Part of the render stage: compiles the templates on another thread while the notes are found
//! and parsed, so that a build waits for them only when it reaches the render stage.

use std::sync::{Mutex, OnceLock};
use std::thread::JoinHandle;

use super::Renderer;
use crate::config::Config;
use crate::diag::Diagnostic;

/// Where the pipeline gets its renderer when it reaches the render stage.
pub trait RendererSource: Sync {
    /// The renderer, or `None` when the templates did not compile (the source tells the error).
    fn renderer(&self) -> Option<&Renderer>;
}

impl RendererSource for Renderer {
    fn renderer(&self) -> Option<&Renderer> {
        Some(self)
    }
}

/// A renderer being made on another thread (parsing the templates and loading the highlighting
/// definitions took 5–9 ms of one core, which a build of 1,000 notes spent waiting before it
/// parsed a note).
pub struct Compiling {
    thread: Mutex<Option<JoinHandle<Made>>>,
    made: OnceLock<Made>,
}

type Made = Result<Renderer, Diagnostic>;

impl Compiling {
    /// Starts making the renderer for `config` (`profile`: with [`Renderer::with_profile`]).
    pub fn start(config: &Config, profile: bool) -> Compiling {
        let config = config.clone();
        let thread = std::thread::spawn(move || {
            Renderer::new(&config).map(|r| if profile { r.with_profile() } else { r })
        });
        Compiling {
            thread: Mutex::new(Some(thread)),
            made: OnceLock::new(),
        }
    }

    /// A renderer made already.
    pub fn ready(renderer: Renderer) -> Compiling {
        Compiling {
            thread: Mutex::new(None),
            made: OnceLock::from(Ok(renderer)),
        }
    }

    /// Why the templates did not compile (waits for them).
    pub fn error(&self) -> Option<&Diagnostic> {
        self.made().as_ref().err()
    }

    fn made(&self) -> &Made {
        self.made.get_or_init(|| {
            let thread = self.thread.lock().ok().and_then(|mut t| t.take());
            let thread = thread.expect("a renderer is either made or being made");
            thread
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }
}

impl RendererSource for Compiling {
    fn renderer(&self) -> Option<&Renderer> {
        self.made().as_ref().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_renderer_made_on_another_thread_is_handed_out_once_made() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::load(dir.path()).unwrap();
        let compiling = Compiling::start(&config, true);
        assert!(compiling.renderer().is_some());
        assert!(compiling.error().is_none());
    }

    #[test]
    fn templates_that_do_not_compile_give_their_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("templates")).unwrap();
        std::fs::write(dir.path().join("templates/note.html"), "{% if %}").unwrap();
        let compiling = Compiling::start(&Config::load(dir.path()).unwrap(), false);
        assert!(compiling.renderer().is_none());
        let error = compiling.error().expect("an error");
        assert!(error.to_string().contains("note.html"), "{error}");
    }
}
