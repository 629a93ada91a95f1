//! `notesite publish` end to end: the real binary against an in-process S3 server (s3s-fs on
//! loopback, SigV4 checked). Needs nothing installed. The tests in `moto` run only when
//! `NOTESITE_MOTO_URL` points at a moto server (see `.ci/run`), and say so when they skip.

mod failures;
mod moto;
mod server;
mod sync;
#[path = "../common/tools.rs"]
mod tools;
mod util;
