//! Compares the principal faces of two photos, or lists faces when given one.
//! Usage: cargo run --release -p heshen-vision --example face_compare -- A.jpg [B.jpg]
use heshen_vision::{format_sim, Engine, EngineConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let engine = Engine::new(EngineConfig::from_env())?;
    let a = engine.decode(&std::fs::read(&args[0])?)?;
    if args.len() == 1 {
        let _ = engine.detect(&a)?;
        let t = std::time::Instant::now();
        let faces = engine.detect(&a)?;
        println!("{} faces in {:?}", faces.len(), t.elapsed());
        for f in faces {
            println!("{}", serde_json::to_string(&f)?);
        }
        return Ok(());
    }
    let b = engine.decode(&std::fs::read(&args[1])?)?;
    let _ = engine.compare(&a, &b);
    let t = std::time::Instant::now();
    match engine.compare(&a, &b) {
        Ok(c) => println!(
            "sim {} pass {} cosine {:.4} faces {}/{} in {:?}",
            format_sim(c.sim),
            c.pass,
            c.cosine,
            c.faces_a,
            c.faces_b,
            t.elapsed()
        ),
        Err(e) => println!("error {e:?} ({e})"),
    }
    Ok(())
}
