//! A loopback S3 server for benchmarks and manual tries: s3s-fs with SigV4 checked and ETags in
//! listings, the same server the publish tests run in-process (`tests/publish/server.rs`).
//!
//!     cargo run --release --example s3s_server -- ROOT_DIR [PORT] [ACCESS_KEY] [SECRET_KEY]
//!
//! Binds 127.0.0.1 only. Buckets are folders under ROOT_DIR. Prints `listening on http://…` and
//! serves until killed.

#[path = "../tests/publish/server.rs"]
mod server;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(root) = args.next() else {
        eprintln!("usage: s3s_server ROOT_DIR [PORT] [ACCESS_KEY] [SECRET_KEY]");
        std::process::exit(2);
    };
    let port: u16 = args.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let access_key = args.next().unwrap_or_else(|| "AKBENCH".into());
    let secret_key = args.next().unwrap_or_else(|| "bench-secret".into());
    std::fs::create_dir_all(&root).expect("cannot create ROOT_DIR");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio");
    runtime.block_on(async {
        let addr = server::serve(std::path::Path::new(&root), port, &access_key, &secret_key).await;
        println!("listening on http://{addr}");
        std::future::pending::<()>().await;
    });
}
