//! `fetch_models` end to end without the network: everything comes from a local directory
//! through `--copy-from`, then the result is verified.

mod face_support;

use heshen_vision::fetch::{fetch_models, FetchOptions};

#[test]
fn fetch_from_a_local_copy_yields_a_verified_directory() {
    let engine = face_support::engine();
    let dest = tempfile::tempdir().unwrap();
    // The shared models folder has no runtime library; place the one the tests use.
    let lib = engine.runtime().library_path();
    std::fs::copy(lib, dest.path().join("libonnxruntime.so.1.31.1")).unwrap();
    let report = fetch_models(
        dest.path(),
        &FetchOptions {
            copy_from: Some(face_support::models_dir()),
            ..FetchOptions::default()
        },
    )
    .unwrap();
    print!("{}", report.summary());
    assert!(report.ok, "{}", report.summary());
    assert_eq!(
        report.models.len(),
        heshen_vision::models::MANIFEST.len() + heshen_vision::verify::SPEECH_FILES.len()
    );
}
