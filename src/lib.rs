//! notesite as a library: the build pipeline's stages, in data-flow order. The `notesite` binary
//! (src/main.rs) is a thin command line over it; benchmarks in `benches/` drive the stages directly.
//!
//! scan → parse → graph (link graph, topics, related) → images → render → output (write) → serve

pub mod cli;
pub mod cmd;
pub mod config;
pub mod diag;
pub mod fingerprint;
pub mod graph;
pub mod highlight;
pub mod images;
pub mod output;
pub mod parse;
pub mod pipeline;
pub mod publish;
pub mod render;
pub mod scan;
pub mod search;
pub mod serve;
pub mod urls;
