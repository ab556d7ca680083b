//! The site's own files under `/pkg/` (the stylesheet, the JavaScript, the WebAssembly): the
//! same for everyone, so no session is looked up for them.
//!
//! A build names each by a hash of its content (`hash-files` in the workspace's Leptos
//! settings) and a release build also writes a brotli and a gzip copy beside it (`cargo leptos
//! build --release --precompress`). A file is sent in the best encoding the browser accepts, and
//! a hashed one is kept by the browser for a year without asking again: a changed file has a
//! new name. Without hashed names every visit asks again (`no-cache`; an unchanged file is
//! answered "not modified").

use std::path::PathBuf;
use std::sync::OnceLock;

use app::routes::chunks::SplitChunks;
use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use leptos::config::LeptosOptions;
use tower_http::services::ServeDir;

/// How long a browser may keep a file whose name is its content's hash: a year, unasked.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// A file without a hashed name: the browser keeps it but asks whether it changed.
const REVALIDATE: &str = "no-cache";

/// The folder of the site's files.
fn pkg_dir(options: &LeptosOptions) -> PathBuf {
    PathBuf::from(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref())
}

/// Serves `/pkg/` from the site's folder, in the encoding the browser prefers of those built.
pub fn pkg<S: Clone + Send + Sync + 'static>(options: &LeptosOptions) -> Router<S> {
    let cache: &'static str = if options.hash_files { IMMUTABLE } else { REVALIDATE };
    let files = ServeDir::new(pkg_dir(options))
        .precompressed_br()
        .precompressed_gzip();
    Router::new()
        .fallback_service(files)
        .layer(axum::middleware::map_response(
            move |mut response: Response| async move {
                let found = response.status().is_success() || response.status().is_redirection();
                let headers = response.headers_mut();
                // A cache in between keeps one copy per encoding, not the first one it saw.
                headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
                if found {
                    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
                }
                response
            },
        ))
}

/// The names the build gave the site's files (`name` → `name.HASH`), read from the hash file
/// cargo-leptos writes beside the server's executable. `None` when names are not hashed, or
/// the file is missing (a server started outside the build that made the site): then the
/// plain names are used, and the pages say so in the log.
pub fn hashed_names(options: &LeptosOptions) -> Option<Vec<(String, String)>> {
    if !options.hash_files {
        return None;
    }
    let path = std::env::current_exe()
        .ok()?
        .parent()?
        .join(options.hash_file.as_ref());
    let text = std::fs::read_to_string(path).ok()?;
    Some(
        text.lines()
            .filter_map(|line| line.split_once(':'))
            .map(|(kind, hash)| (kind.trim().to_owned(), hash.trim().to_owned()))
            .collect(),
    )
}

/// The chunks of the lazy routes, from the split manifest of a build made with `--split`
/// (named in the hash file; `__wasm_split_manifest.json` when names are not hashed). Empty
/// without one: every page is then in the main module.
pub fn split_chunks(options: &LeptosOptions) -> SplitChunks {
    let names = hashed_names(options).unwrap_or_default();
    let hashed = |kind: &str, stem: &str, ext: &str| match names.iter().find(|(k, _)| k == kind) {
        Some((_, hash)) => format!("{stem}.{hash}.{ext}"),
        None => format!("{stem}.{ext}"),
    };
    let manifest = pkg_dir(options).join(hashed("manifest", "__wasm_split_manifest", "json"));
    let by_view = match std::fs::read(&manifest) {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|error| {
            tracing::error!(manifest = %manifest.display(), %error, "the split manifest is unreadable; lazy pages will load their code late");
            Default::default()
        }),
        Err(_) => Default::default(),
    };
    SplitChunks {
        pkg: format!("/{}", options.site_pkg_dir),
        loader: hashed("split", "__wasm_split", "js"),
        by_view,
    }
}

/// The stylesheet's address, as the first router of the process found it.
static STYLESHEET: OnceLock<String> = OnceLock::new();

/// Notes where the stylesheet is, for [`stylesheet`].
pub fn remember_stylesheet(options: &LeptosOptions) {
    STYLESHEET.get_or_init(|| stylesheet_href(options));
}

/// The address of the stylesheet, for pages rendered outside the app (errors met before it).
pub fn stylesheet() -> &'static str {
    STYLESHEET.get().map_or("/pkg/crm.css", String::as_str)
}

fn stylesheet_href(options: &LeptosOptions) -> String {
    let name = options.output_name.as_ref();
    let pkg = options.site_pkg_dir.as_ref();
    match hashed_names(options).and_then(|names| names.into_iter().find(|(kind, _)| kind == "css")) {
        Some((_, hash)) => format!("/{pkg}/{name}.{hash}.css"),
        None => format!("/{pkg}/{name}.css"),
    }
}
