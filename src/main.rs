//! notesite: parses the command line, runs the command, and turns its outcome into the exit code
//! (0 success, 1 content errors, 2 usage or configuration errors).

use clap::Parser;
use notesite::{cli, cmd};
use std::process::ExitCode;

/// jemalloc instead of the system allocator: a build is millions of short-lived allocations made by
/// two or more threads at once (Tera contexts, tokens, strings per word). With glibc's malloc a
/// 10,000-note build spent a quarter of its CPU time in the allocator; with jemalloc the build takes
/// about a quarter less time for a few percent more peak memory (figures in the README's
/// "Benchmarks").
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, read once at start-up (the environment variable `_RJEM_MALLOC_CONF` still
/// overrides them). Two arenas: the build runs one worker per core, and every further arena keeps
/// its own free memory. Freed pages go back to the system after a second rather than ten, and at
/// once when only marked unused: the stages free large structures (parsed notes, the link index)
/// before the next allocates its own, and pages kept for reuse would add to the peak.
#[cfg(not(target_env = "msvc"))]
#[export_name = "_rjem_malloc_conf"]
static ALLOCATOR_OPTIONS: AllocatorOptions =
    AllocatorOptions(c"narenas:2,dirty_decay_ms:1000,muzzy_decay_ms:0".as_ptr());

/// A C string pointer that jemalloc reads as `const char *malloc_conf`.
#[cfg(not(target_env = "msvc"))]
#[repr(transparent)]
struct AllocatorOptions(*const std::ffi::c_char);

// SAFETY: the pointer is to a static, immutable C string literal.
#[cfg(not(target_env = "msvc"))]
unsafe impl Sync for AllocatorOptions {}

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let result = match cli.command {
        cli::Command::Build(args) => cmd::build::run(&args),
        cli::Command::Check(args) => cmd::check::run(&args),
        cli::Command::Init(args) => cmd::init::run(&args),
        cli::Command::New(args) => cmd::new::run(&args),
        cli::Command::Serve(args) => cmd::serve::run(&args),
        cli::Command::Publish(args) => cmd::publish::run(&args),
    };
    match result {
        Ok(outcome) => outcome.exit_code(),
        Err(failure) => {
            eprintln!("error: {failure:#}");
            failure.exit_code()
        }
    }
}
