//! Shared set-up for the face tests: one engine per test binary, loaded from the real models.
//! There is deliberately no skip: a missing runtime or model fails every test.
#![allow(dead_code)]

pub mod eyelids;

use std::path::PathBuf;
use std::sync::OnceLock;

use heshen_vision::runtime::RuntimeConfig;
use heshen_vision::{Engine, EngineConfig};

/// `HESHEN_MODELS_DIR`, else the project's shared models folder.
pub fn models_dir() -> PathBuf {
    std::env::var_os("HESHEN_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/models"))
}

pub fn testdata(rel: &str) -> PathBuf {
    let root = std::env::var_os("HESHEN_TESTDATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata")
        });
    root.join(rel)
}

/// The runtime library: `ORT_DYLIB_PATH`, else the models dir, else where
/// `scripts/fetch_models.sh` puts it for development (`target-vision/ort`).
fn runtime_config() -> RuntimeConfig {
    let mut config = RuntimeConfig::new(models_dir());
    if config.ort_library.is_none() {
        let dev = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../target-vision/ort/libonnxruntime.so.1.31.1");
        if dev.is_file() {
            config.ort_library = Some(dev);
        }
    }
    config
}

pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        Engine::new(EngineConfig::new(runtime_config()))
            .unwrap_or_else(|e| panic!("face engine must load (models in {:?}): {e}", models_dir()))
    })
}

pub fn photo(name: &str) -> image::RgbImage {
    let bytes = std::fs::read(testdata(&format!("faces/{name}")))
        .unwrap_or_else(|e| panic!("test photo {name}: {e}"));
    engine().decode(&bytes).expect("test photo decodes")
}
