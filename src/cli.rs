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
    /// Build, then upload what changed to an S3 bucket (static website hosting)
    Publish(PublishArgs),
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
    /// Read the text inside screenshots with tesseract (shown under each screenshot, searchable)
    #[arg(long)]
    pub ocr: bool,
    /// Print only errors
    #[arg(long, short)]
    pub quiet: bool,
    /// Print the time of each stage and the slowest notes and templates
    #[arg(long)]
    pub timings: bool,
    /// Build even when nothing changed since the last build (which is otherwise kept as it is)
    #[arg(long)]
    pub force: bool,
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
    /// Read the text inside screenshots with tesseract (shown under each screenshot, searchable)
    #[arg(long)]
    pub ocr: bool,
    /// Print the time of each stage after every rebuild
    #[arg(long)]
    pub timings: bool,
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

/// `notesite publish`: every flag can also be set under `[publish]` in notesite.toml; a flag wins.
#[derive(Debug, Args, Clone)]
pub struct PublishArgs {
    #[command(flatten)]
    pub root: RootArgs,
    /// S3 bucket to publish to (or `s3://bucket/prefix`)
    #[arg(long, value_name = "NAME")]
    pub bucket: Option<String>,
    /// Key prefix to publish under (default: the bucket root)
    #[arg(long, value_name = "P")]
    pub prefix: Option<String>,
    /// AWS region of the bucket (default: from the profile or environment)
    #[arg(long, value_name = "R")]
    pub region: Option<String>,
    /// AWS CLI profile (~/.aws/config, ~/.aws/credentials); wins over credentials in the environment
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// S3-compatible endpoint instead of AWS (e.g. http://127.0.0.1:9000)
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Path-style requests (endpoint/bucket/key); the default with a custom endpoint
    #[arg(long)]
    pub path_style: bool,
    /// Print what would be uploaded and deleted, and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Delete objects under the prefix that the site no longer has
    #[arg(long)]
    pub delete: bool,
    /// Refuse to delete more than N objects [default: 256]
    #[arg(long, value_name = "N")]
    pub max_deletes: Option<usize>,
    /// Parallel requests [default: 16]
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,
    /// Configure the bucket for static website hosting (index.html, 404.html) and explain public access
    #[arg(long)]
    pub setup_website: bool,
    /// Invalidate the changed paths in this CloudFront distribution afterwards
    #[arg(long, value_name = "ID")]
    pub cloudfront_distribution: Option<String>,
    /// Print {"uploaded":N,"deleted":N,"unchanged":N,"bytes":N,"dry_run":B} on stdout
    #[arg(long)]
    pub json: bool,
    /// Publish out_dir as it is, without building first
    #[arg(long)]
    pub no_build: bool,
    /// Publish even if notes look like they contain AWS keys or private keys
    #[arg(long)]
    pub allow_secrets: bool,
    /// Print the least-privilege IAM policy for this bucket and prefix, and exit
    #[arg(long)]
    pub print_policy: bool,
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
