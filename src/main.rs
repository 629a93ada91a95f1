//! notesite: parses the command line, runs the command, and turns its outcome into the exit code
//! (0 success, 1 content errors, 2 usage or configuration errors).

use clap::Parser;
use notesite::{cli, cmd};
use std::process::ExitCode;

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
