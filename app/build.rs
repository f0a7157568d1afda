// `sqlx::migrate!` embeds the migrations when the crate compiles, but cargo does not know it
// reads them: without this, a changed migration runs stale until some Rust file changes.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
