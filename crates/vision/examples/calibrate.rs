//! Prints the cosine similarities behind `CALIBRATION.md`: genuine and impostor pairs from the
//! shared test photos, plus degraded copies of the genuine photos.
//! Usage: cargo run --release -p heshen-vision --example calibrate
use heshen_vision::{Embedding, Engine, EngineConfig};
use image::RgbImage;

fn load(engine: &Engine, name: &str) -> RgbImage {
    let path = format!(
        "{}/../../../shared/testdata/faces/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    engine
        .decode(&std::fs::read(path).expect("photo"))
        .expect("decodes")
}

fn stats(label: &str, values: &[f32]) {
    let min = values.iter().copied().fold(f32::INFINITY, f32::min);
    let max = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mean = values.iter().sum::<f32>() / values.len() as f32;
    println!(
        "{label}: n={} min {min:.3} mean {mean:.3} max {max:.3}",
        values.len()
    );
}

fn degraded(img: &RgbImage) -> Vec<(&'static str, RgbImage)> {
    let (w, h) = img.dimensions();
    let small = image::imageops::resize(img, w / 4, h / 4, image::imageops::FilterType::Triangle);
    let dark = RgbImage::from_fn(w, h, |x, y| {
        let p = img.get_pixel(x, y).0;
        image::Rgb(p.map(|v| (f32::from(v) * 0.35) as u8))
    });
    vec![
        ("blur sigma 2", image::imageops::blur(img, 2.0)),
        ("quarter size", small),
        ("35% brightness", dark),
        (
            "greyscale",
            image::DynamicImage::ImageRgb8(img.clone())
                .grayscale()
                .to_rgb8(),
        ),
    ]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let engine = Engine::new(EngineConfig::from_env())?;
    let obamas = ["obama.jpg", "obama2.jpg", "obama3.jpg"];
    let obama_emb: Vec<Embedding> = obamas
        .iter()
        .map(|n| engine.embed(&load(&engine, n)))
        .collect::<Result<_, _>>()?;
    let biden = engine.embed(&load(&engine, "biden.jpg"))?;
    let group: Vec<Embedding> = engine
        .embed_all(&load(&engine, "t1.jpg"))?
        .into_iter()
        .map(|(_, e)| e)
        .collect();
    let hanks = engine.embed_aligned(&load(&engine, "Tom_Hanks_54745.png"))?;

    let mut genuine = Vec::new();
    for i in 0..3 {
        for j in i + 1..3 {
            let c = obama_emb[i].cosine(&obama_emb[j]);
            println!("genuine {} vs {}: {c:.4}", obamas[i], obamas[j]);
            genuine.push(c);
        }
    }
    let mut impostor = Vec::new();
    let mut others: Vec<(String, &Embedding)> =
        vec![("biden".into(), &biden), ("hanks".into(), &hanks)];
    for (i, g) in group.iter().enumerate() {
        others.push((format!("t1#{i}"), g));
    }
    for (i, (na, a)) in others.iter().enumerate() {
        for (nb, b) in others.iter().skip(i + 1) {
            impostor.push(a.cosine(b));
            let _ = (na, nb);
        }
        for (k, o) in obama_emb.iter().enumerate() {
            impostor.push(a.cosine(o));
            let _ = k;
        }
    }
    stats("genuine (obama x3)", &genuine);
    stats("impostor (all cross-identity pairs)", &impostor);

    let mut degraded_genuine = Vec::new();
    for (i, name) in obamas.iter().enumerate() {
        for (label, img) in degraded(&load(&engine, name)) {
            match engine.embed(&img) {
                Ok(e) => {
                    for (j, other) in obama_emb.iter().enumerate() {
                        if j != i {
                            let c = e.cosine(other);
                            println!("degraded {name} ({label}) vs {}: {c:.4}", obamas[j]);
                            degraded_genuine.push(c);
                        }
                    }
                }
                Err(err) => println!("degraded {name} ({label}): {err:?}"),
            }
        }
    }
    stats("genuine, one side degraded", &degraded_genuine);
    Ok(())
}
