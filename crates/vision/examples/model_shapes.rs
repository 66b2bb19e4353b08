//! Prints the declared inputs and outputs of every `.onnx` file in a models directory.
//! Usage: cargo run -p heshen-vision --example model_shapes -- [MODELS_DIR]
use heshen_vision::runtime::{Runtime, RuntimeConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/models").into());
    let runtime = Runtime::new(RuntimeConfig::new(&dir))?;
    let mut files: Vec<_> = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".onnx"))
        .collect();
    files.sort();
    for file in files {
        let model = runtime.load(&file)?;
        println!("{file}");
        for i in model.inputs() {
            println!("  in  {} {:?}", i.name, i.shape);
        }
        for o in model.outputs() {
            println!("  out {} {:?}", o.name, o.shape);
        }
    }
    Ok(())
}
