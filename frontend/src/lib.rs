//! The browser entry point: hydrates the server-rendered page into the running app, once the
//! code of the page's lazy route has loaded.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_lazy(app::App);
}
