//! The hydrate half of the app, compiled to wasm32.
// The mapping page nests deep view types; the default limit (128) overflows at codegen.
#![recursion_limit = "256"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
