//! The code the browser downloads, as the release build left it in `target/site/pkg/`, or in
//! the `pkg/` of the site `--site` names (`cargo leptos build --release --precompress
//! --split`): the main module (`crm.HASH.wasm` and its `crm.HASH.js`), and, when the build
//! split the routes, the chunks each page loads, named in the split manifest
//! (`__wasm_split_manifest.HASH.json`) beside the loader
//! (`__wasm_split.HASH.js`). Sizes are raw, gzip and brotli: the copies the build wrote when
//! there are some (what the server sends), else compressed here.

use std::collections::HashMap;
use std::io::Write;
use std::ops::Add;
use std::path::{Path, PathBuf};

use crate::support::Error;

/// The pages measured as a first visit, a visitor's and a signed-in person's, each with the
/// snake-case name of its lazy route (`app::routes`) when it has one: a page without one is in
/// the main module.
const FIRST_PAGES: [(&str, Option<&str>); 3] = [
    ("/sign-in", None),
    ("/contacts", None),
    ("/contacts/:name", Some("contact_route")),
];

/// What some files weigh, in bytes.
#[derive(Clone, Copy, Default)]
pub struct Sizes {
    pub raw: u64,
    pub gzip: u64,
    pub brotli: u64,
}

impl Add for Sizes {
    type Output = Sizes;

    fn add(self, other: Sizes) -> Sizes {
        Sizes {
            raw: self.raw + other.raw,
            gzip: self.gzip + other.gzip,
            brotli: self.brotli + other.brotli,
        }
    }
}

/// The build's code: the main module, everything, and what each first page needs.
pub struct Bundle {
    pub main: PathBuf,
    /// The main module with its JavaScript (and the split loader when split).
    pub main_sizes: Sizes,
    /// Every WebAssembly and JavaScript file of the build.
    pub all: Sizes,
    /// The number of chunks split off the main module (0: not split).
    pub chunks: usize,
    /// For each of [`FIRST_PAGES`]: the main module and the chunks its route loads, and how
    /// many chunks those are.
    pub first_pages: Vec<(&'static str, Sizes, usize)>,
}

/// The newest build in `pkg`.
pub fn bundle(pkg: &Path) -> Result<Bundle, Error> {
    let files: Vec<PathBuf> = std::fs::read_dir(pkg)?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .collect();
    let newest = |prefix: &str, ext: &str| {
        files
            .iter()
            .filter(|path| {
                path.extension().is_some_and(|e| e == ext)
                    && path
                        .file_name()
                        .is_some_and(|name| name.to_string_lossy().starts_with(prefix))
            })
            .max_by_key(|path| std::fs::metadata(path).and_then(|m| m.modified()).ok())
            .cloned()
    };
    let missing = |what: &str| format!("no {what} in {}", pkg.display());
    let main = newest("crm", "wasm").ok_or_else(|| missing("crm*.wasm"))?;
    let mut main_sizes = sizes(&main)? + sizes(&newest("crm", "js").ok_or_else(|| missing("crm*.js"))?)?;
    let manifest = newest("__wasm_split_manifest", "json");
    let prefetches: HashMap<String, Vec<String>> = match &manifest {
        Some(path) => serde_json::from_slice(&std::fs::read(path)?)?,
        None => HashMap::new(),
    };
    if manifest.is_some() {
        main_sizes =
            main_sizes + sizes(&newest("__wasm_split", "js").ok_or("a split manifest without its loader")?)?;
    }
    let chunk = |stem: &str| sizes(&pkg.join(format!("{stem}.wasm")));
    let mut stems: Vec<&String> = prefetches.values().flatten().collect();
    stems.sort();
    stems.dedup();
    let mut all = main_sizes;
    for stem in &stems {
        all = all + chunk(stem)?;
    }
    let mut first_pages = Vec::new();
    for (page, route) in FIRST_PAGES {
        let mut needed = main_sizes;
        let mut loaded = 0;
        if let (Some(route), Some(_)) = (route, &manifest) {
            let view = format!("__{route}_view_");
            let (_, stems) = prefetches
                .iter()
                .find(|(split, _)| split.starts_with(&view))
                .ok_or_else(|| format!("the split manifest names no chunk for {page} ({view}…)"))?;
            for stem in stems {
                needed = needed + chunk(stem)?;
            }
            loaded = stems.len();
        }
        first_pages.push((page, needed, loaded));
    }
    Ok(Bundle {
        main,
        main_sizes,
        all,
        chunks: stems.len(),
        first_pages,
    })
}

/// What one file weighs, raw and in each encoding.
fn sizes(path: &Path) -> Result<Sizes, Error> {
    let bytes = std::fs::read(path)?;
    let built = |ext: &str| std::fs::metadata(format!("{}.{ext}", path.display())).ok();
    let gzip = match built("gz") {
        Some(meta) => meta.len(),
        None => {
            let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            encoder.write_all(&bytes)?;
            encoder.finish()?.len() as u64
        }
    };
    let brotli = match built("br") {
        Some(meta) => meta.len(),
        None => {
            let mut out = Vec::new();
            let params = brotli::enc::BrotliEncoderParams {
                quality: 11,
                lgwin: 24,
                ..Default::default()
            };
            brotli::BrotliCompress(&mut bytes.as_slice(), &mut out, &params)?;
            out.len() as u64
        }
    };
    Ok(Sizes {
        raw: bytes.len() as u64,
        gzip,
        brotli,
    })
}
