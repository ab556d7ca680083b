//! The WebAssembly bundle the browser downloads: raw and gzipped bytes of the release build
//! (`cargo leptos build --release` writes it to `target/site/pkg/crm.wasm`).

use std::path::Path;
use std::process::Command;

use crate::support::Error;

/// The raw and `gzip -9` sizes of the bundle at `path`.
pub fn sizes(path: &Path) -> Result<(u64, usize), Error> {
    let raw = std::fs::metadata(path)?.len();
    let zipped = Command::new("gzip").arg("-9").arg("-c").arg(path).output()?;
    if !zipped.status.success() {
        return Err(format!("gzip failed: {}", zipped.status).into());
    }
    Ok((raw, zipped.stdout.len()))
}
