//! The reference 2FA server, for trying enrolment without a real service:
//! `cargo run --example demo_server [PORT]` (default 8089, loopback only),
//! then point Tessera at one of the printed base URLs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/reference_server/mod.rs"]
mod reference_server;

use std::net::SocketAddr;
use std::sync::Arc;

use reference_server::{Flavor, ReferenceServer};
use tessera::core::clock::SystemClock;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port = std::env::args()
        .nth(1)
        .map_or(Ok(8089), |p| p.parse::<u16>())
        .map_err(|e| std::io::Error::other(format!("PORT: {e}")))?;
    let server = ReferenceServer::start_on(
        SocketAddr::from(([127, 0, 0, 1], port)),
        Arc::new(SystemClock),
    )
    .await?;
    println!("Tessera reference 2FA server on {}", server.origin());
    for flavor in Flavor::ALL {
        println!(
            "  profile {:<18} base URL {}",
            flavor.profile(),
            server.url(flavor)
        );
    }
    let laravel = server.add_user(Flavor::Laravel, "demo@example.com", "demo-password");
    let nest = server.add_user(Flavor::Nest, "demo@example.com", "demo-password");
    println!();
    println!("Syncano and Daptin: register any username and password through Tessera.");
    println!("Laravel bearer token for demo@example.com: {laravel}");
    println!("Nest jwt cookie for demo@example.com:      {nest}");
    println!("Press Ctrl-C to stop.");
    std::future::pending::<()>().await;
    Ok(())
}
