//! The browser entry point: hydrate the server-rendered page and nothing else.
// Release builds (no `erase_components`) monomorphise every page's view type here, deeper than
// the default limit of 128 (the import panel was the first to overflow).
#![recursion_limit = "512"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
