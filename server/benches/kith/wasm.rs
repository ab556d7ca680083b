//! The WebAssembly bundle the browser downloads: its raw, gzip and brotli sizes in the release
//! build (`cargo leptos build --release --precompress` writes it to `target/site/pkg/`, named
//! `crm.HASH.wasm`, beside the `.gz` and `.br` copies the server sends).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::support::Error;

/// What the bundle weighs, in bytes.
pub struct Sizes {
    pub path: PathBuf,
    pub raw: u64,
    pub gzip: usize,
    pub brotli: usize,
}

/// The newest `crm*.wasm` in `pkg`, with the size of each encoding: the copies the build wrote
/// when there are some (what the server sends), else compressed here (brotli 11, gzip at its
/// best level).
pub fn sizes(pkg: &Path) -> Result<Sizes, Error> {
    let newest = std::fs::read_dir(pkg)?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.extension().is_some_and(|ext| ext == "wasm")
                && path
                    .file_name()
                    .is_some_and(|name| name.to_string_lossy().starts_with("crm"))
        })
        .max_by_key(|path| std::fs::metadata(path).and_then(|m| m.modified()).ok())
        .ok_or("no crm*.wasm in target/site/pkg")?;
    let bytes = std::fs::read(&newest)?;
    let built = |ext: &str| std::fs::metadata(format!("{}.{ext}", newest.display())).ok();
    let gzip = match built("gz") {
        Some(meta) => meta.len() as usize,
        None => {
            let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            encoder.write_all(&bytes)?;
            encoder.finish()?.len()
        }
    };
    let brotli = match built("br") {
        Some(meta) => meta.len() as usize,
        None => {
            let mut out = Vec::new();
            let params = brotli::enc::BrotliEncoderParams {
                quality: 11,
                lgwin: 24,
                ..Default::default()
            };
            brotli::BrotliCompress(&mut bytes.as_slice(), &mut out, &params)?;
            out.len()
        }
    };
    Ok(Sizes {
        path: newest,
        raw: bytes.len() as u64,
        gzip,
        brotli,
    })
}
