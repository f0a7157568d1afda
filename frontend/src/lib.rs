//! The browser entry point: hydrate the server-rendered page and nothing else.
// Release builds (no `erase_components`) monomorphise every page's view type here, deeper than
// the default limit of 128 (the import panel was the first to overflow).
#![recursion_limit = "512"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    app::ui::stopped::remember_followed_links();
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        app::ui::stopped::show_stopped_notice(&info.to_string());
    }));
    // Pages are lazily loaded routes: hydration waits for the chunk of the page being shown
    // (`hydrate_lazy` does the same, without telling when it is done).
    wasm_bindgen_futures::spawn_local(async {
        let body = leptos::prelude::document().body().expect("a page has a body");
        let root = leptos::mount::hydrate_from_async(body, app::App).await;
        root.forget();
        app::mark_hydrated();
    });
}
