//! The models directory passes verification: hashes, shapes, numerical fingerprints.

mod face_support;

use heshen_vision::runtime::RuntimeConfig;
use heshen_vision::verify::verify_models_with;

#[test]
fn shared_models_verify() {
    // Make sure the engine (and so the runtime library) loads the way every test loads it.
    let engine = face_support::engine();
    let mut config = RuntimeConfig::new(face_support::models_dir());
    config.ort_library = Some(engine.runtime().library_path().to_path_buf());
    let report = verify_models_with(&config);
    print!("{}", report.summary());
    for m in &report.models {
        println!("(\"{}\", &{:?}),", m.file, m.fingerprint);
    }
    assert!(report.ok, "{}", report.summary());
    // The recogniser's files are checked by hash only; every model that runs here is run.
    assert!(report.models.iter().all(|m| m.hash_matches
        && m.shapes_ok
        && m.fingerprint_ok == Some(true)
        || m.file.starts_with("whisper-base-ct2/")));
}

#[test]
fn a_corrupted_model_fails_verification() {
    let engine = face_support::engine();
    let dir = tempfile::tempdir().unwrap();
    for entry in heshen_vision::models::MANIFEST {
        std::fs::copy(
            face_support::models_dir().join(entry.file),
            dir.path().join(entry.file),
        )
        .unwrap();
    }
    // Damage bytes throughout the middle half of the embedder (its weights).
    let target = dir.path().join("mobilefacenet.onnx");
    let mut bytes = std::fs::read(&target).unwrap();
    let (from, to) = (bytes.len() / 4, bytes.len() * 3 / 4);
    for b in bytes[from..to].iter_mut().step_by(64) {
        *b = b.wrapping_add(77);
    }
    std::fs::write(&target, bytes).unwrap();
    std::fs::remove_file(dir.path().join("mtcnn_rnet.onnx")).unwrap();

    let mut config = RuntimeConfig::new(dir.path());
    config.ort_library = Some(engine.runtime().library_path().to_path_buf());
    let report = verify_models_with(&config);
    print!("{}", report.summary());
    assert!(!report.ok);
    let find = |f: &str| report.models.iter().find(|m| m.file == f).unwrap();
    assert!(!find("mtcnn_rnet.onnx").present);
    assert!(
        !find("mobilefacenet.onnx").problems.is_empty(),
        "changed weights must be caught"
    );
    assert!(find("mtcnn_pnet.onnx").problems.is_empty());
}
