//! Command line: clap-derive definitions of every command and flag. The `///` comments are the help.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// notesite: a static site generator for screenshot-heavy technical notes.
#[derive(Debug, Parser)]
#[command(name = "notesite", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the site into out_dir (default: public/)
    Build(BuildArgs),
    /// Check notes for broken links, fragments and images without writing anything
    Check(CheckArgs),
    /// Create a new notes site in DIR
    Init(InitArgs),
    /// Create a new note with front matter
    New(NewArgs),
    /// Build, serve on localhost and reload the browser on every save
    Serve(ServeArgs),
}

/// Flags every command that reads a site shares.
#[derive(Debug, Args, Clone)]
pub struct RootArgs {
    /// Site root: the folder with notesite.toml, notes/ and img/
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub root: PathBuf,
}

#[derive(Debug, Args, Clone)]
pub struct BuildArgs {
    #[command(flatten)]
    pub root: RootArgs,
    /// Output folder (overrides out_dir in notesite.toml)
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Treat warnings (broken links, missing images) as errors
    #[arg(long)]
    pub strict: bool,
    /// Include notes marked `draft: true`
    #[arg(long)]
    pub drafts: bool,
    /// Print only errors
    #[arg(long, short)]
    pub quiet: bool,
    /// Print the time of each stage and the slowest notes and templates
    #[arg(long)]
    pub timings: bool,
}

#[derive(Debug, Args, Clone)]
pub struct CheckArgs {
    #[command(flatten)]
    pub root: RootArgs,
    /// Print a machine-readable report on stdout
    #[arg(long)]
    pub json: bool,
    /// Include notes marked `draft: true`
    #[arg(long)]
    pub drafts: bool,
}

#[derive(Debug, Args, Clone)]
pub struct ServeArgs {
    #[command(flatten)]
    pub root: RootArgs,
    /// Address to listen on; anything but loopback makes the notes reachable from the network
    #[arg(long, value_name = "IP", default_value = "127.0.0.1")]
    pub bind: std::net::IpAddr,
    /// Port to listen on [default: 1111, or the next free one]
    #[arg(long)]
    pub port: Option<u16>,
    /// Open the site in the default browser
    #[arg(long)]
    pub open: bool,
    /// Include notes marked `draft: true`
    #[arg(long)]
    pub drafts: bool,
    /// Poll for changes instead of using native file events (network file systems, WSL)
    #[arg(long)]
    pub poll: bool,
}

#[derive(Debug, Args, Clone)]
pub struct InitArgs {
    /// Folder to create the site in (created if missing)
    pub dir: PathBuf,
}

#[derive(Debug, Args, Clone)]
pub struct NewArgs {
    #[command(flatten)]
    pub root: RootArgs,
    /// Title of the note; the file name is made from it
    pub title: String,
    /// A topic for the note (repeat for several)
    #[arg(long = "topic", value_name = "T")]
    pub topics: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_valid() {
        Cli::command().debug_assert();
    }

    #[test]
    fn repeated_topics_are_collected() {
        let cli = Cli::parse_from([
            "notesite", "new", "My note", "--topic", "aws", "--topic", "iam",
        ]);
        let Command::New(args) = cli.command else {
            panic!("not new")
        };
        assert_eq!(args.topics, ["aws", "iam"]);
    }
}
