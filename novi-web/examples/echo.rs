//! The framework's ceiling for `scripts/bench-http`: an actix-web server whose one route,
//! `POST /echo`, parses the JSON body and answers it back as JSON. Same actix-web, same
//! release profile and same worker count as `novi-web`, and nothing else.
//!
//! ```sh
//! cargo run --release -p novi-web --example echo -- 127.0.0.1:0
//! ```

// The harness reads the port from the line this prints to stderr, as it does novi-web's log.
#![allow(clippy::print_stderr)]

use actix_web::{App, HttpServer, web};

async fn echo(body: web::Json<serde_json::Value>) -> web::Json<serde_json::Value> {
    body
}

fn main() -> std::io::Result<()> {
    let bind = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".to_owned());
    actix_web::rt::System::new().block_on(async move {
        let server =
            HttpServer::new(|| App::new().route("/echo", web::post().to(echo))).bind(&bind)?;
        for addr in server.addrs() {
            eprintln!("echo listening on http://{addr}");
        }
        server.run().await
    })
}
