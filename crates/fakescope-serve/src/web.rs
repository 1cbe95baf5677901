//! The web page, compiled into the binary (no CDN, works offline): `/` and `/assets/*`.
//! It uses the API with the same keys as any client.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::api::State;

const INDEX: &str = include_str!("../web/index.html");
const APP: &str = include_str!("../web/app.js");
const STYLE: &str = include_str!("../web/style.css");

/// A strict policy: only this server's own scripts, styles and images (and blob URLs of
/// uploads the page fetched itself).
const CSP: &str = "default-src 'self'; img-src 'self' blob:; media-src 'self' blob:; \
                   style-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'";

fn asset(body: &'static str, mime: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, mime),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
}

/// The page's routes.
pub fn routes() -> Router<State> {
    Router::new()
        .route(
            "/",
            get(|| async { asset(INDEX, "text/html; charset=utf-8") }),
        )
        .route(
            "/assets/app.js",
            get(|| async { asset(APP, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/assets/style.css",
            get(|| async { asset(STYLE, "text/css; charset=utf-8") }),
        )
}
