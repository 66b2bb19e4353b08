//! Prints the quality measurements of every face in a photo, and of the same photo with the
//! lower half of the principal face covered (a crude mask) — for tuning the quality gates.
//! Usage: cargo run --release -p heshen-vision --example face_quality -- PHOTO
use heshen_vision::{Engine, EngineConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: face_quality PHOTO")?;
    let engine = Engine::new(EngineConfig::from_env())?;
    let mut img = engine.decode(&std::fs::read(path)?)?;
    for face in engine.detect(&img)? {
        println!("{}", serde_json::to_string(&face.quality)?);
    }
    let Some(face) = engine.detect(&img)?.into_iter().next() else {
        return Ok(());
    };
    let nose_y = face.landmarks[2].y as u32;
    for y in nose_y..(face.bbox.y2 as u32).min(img.height()) {
        for x in (face.bbox.x1.max(0.0) as u32)..(face.bbox.x2 as u32).min(img.width()) {
            img.put_pixel(x, y, image::Rgb([200, 200, 210]));
        }
    }
    println!("covered below the nose:");
    for face in engine.detect(&img)? {
        println!("{}", serde_json::to_string(&face.quality)?);
    }
    Ok(())
}
