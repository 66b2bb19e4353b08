//! Verifies a models directory (what `heshen models fetch` runs after fetching).
//! Usage: cargo run --release -p heshen-vision --example verify_models -- MODELS_DIR
fn main() {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "models".into());
    let report = heshen_vision::verify_models(dir.as_ref());
    print!("{}", report.summary());
    std::process::exit(if report.ok { 0 } else { 1 });
}
