//! The WebAssembly chunks of the lazy routes, named in the page the server renders so that a
//! first visit fetches them beside the main module instead of after it.
//!
//! The build (`--split`) writes a manifest of the chunks each lazy view needs; the server reads
//! it once and provides it as a [`SplitChunks`] context. Leptos names each lazy view
//! `__{route in snake case}_view_{hash}`.

#[cfg(feature = "ssr")]
use std::collections::HashMap;

/// The chunks each lazy view needs, as the build's split manifest lists them.
#[cfg(feature = "ssr")]
#[derive(Clone, Debug, Default)]
pub struct SplitChunks {
    /// Where the site's files are served, `/pkg`.
    pub pkg: String,
    /// The file name of the JavaScript that loads the chunks.
    pub loader: String,
    /// For each lazy view, the names of its chunks (without `.wasm`).
    pub by_view: HashMap<String, Vec<String>>,
}

#[cfg(feature = "ssr")]
impl SplitChunks {
    /// The chunks of the lazy route named `route` (its type's name), empty when there is no
    /// manifest or the route is not in it.
    pub fn of(&self, route: &str) -> &[String] {
        let view = format!("__{}_view_", snake_case(route));
        self.by_view
            .iter()
            .find(|(name, _)| name.starts_with(&view))
            .map_or(&[], |(_, chunks)| chunks.as_slice())
    }
}

/// `ContactRoute` → `contact_route`.
#[cfg(feature = "ssr")]
fn snake_case(name: &str) -> String {
    let mut snake = String::with_capacity(name.len() + 4);
    for (at, c) in name.char_indices() {
        if c.is_ascii_uppercase() && at > 0 {
            snake.push('_');
        }
        snake.push(c.to_ascii_lowercase());
    }
    snake
}

/// Names the chunks of the lazy route `route` in the page's `<head>` (`<link rel="preload">`,
/// and the loader as a module preload). On the server only; it adds nothing to the view, so the
/// browser hydrates the same tree.
pub fn preload(route: &str) {
    #[cfg(feature = "ssr")]
    {
        use leptos::prelude::*;
        use leptos_meta::Link;

        let Some(split) = use_context::<std::sync::Arc<SplitChunks>>() else {
            return;
        };
        let chunks = split.of(route);
        if chunks.is_empty() {
            return;
        }
        for chunk in chunks {
            // Rendering a leptos_meta element registers it with the page's <head>.
            let _ = view! {
                <Link
                    rel="preload"
                    href=format!("{}/{chunk}.wasm", split.pkg)
                    as_="fetch"
                    type_="application/wasm"
                    crossorigin=""
                />
            }
            .to_html();
        }
        let _ =
            view! { <Link rel="modulepreload" href=format!("{}/{}", split.pkg, split.loader) /> }.to_html();
    }
    #[cfg(not(feature = "ssr"))]
    let _ = route;
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn a_route_finds_its_own_view_and_no_other() {
        let split = SplitChunks {
            pkg: "/pkg".into(),
            loader: "__wasm_split.abc.js".into(),
            by_view: HashMap::from([
                (
                    "__contact_route_view_110".to_owned(),
                    vec!["chunk_1.x".to_owned()],
                ),
                (
                    "__contacts_route_view_110".to_owned(),
                    vec!["chunk_2.y".to_owned()],
                ),
                (
                    "__sign_up_route_view_110".to_owned(),
                    vec!["chunk_3.z".to_owned()],
                ),
            ]),
        };
        assert_eq!(split.of("ContactRoute"), ["chunk_1.x"]);
        assert_eq!(split.of("SignUpRoute"), ["chunk_3.z"]);
        assert!(split.of("StatusRoute").is_empty());
    }
}
