//! `verify_models`: is a models directory complete and sound? Checks every manifest file's
//! presence, SHA-256, tensor shapes and a numerical fingerprint, plus the ONNX Runtime library.
//! Used after `heshen models fetch` and at server start.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::models::{sha256_file, ManifestEntry, Provenance, MANIFEST, ORT_LIBRARY_SHA256};
use crate::runtime::{locate_ort_library, Model, Runtime, RuntimeConfig, TensorF32};

/// Input shape fed to each model for its fingerprint (dynamic dimensions made concrete).
fn probe_shape(entry: &ManifestEntry) -> Vec<usize> {
    let declared = entry.inputs[0];
    let concrete: Vec<usize> = declared
        .iter()
        .enumerate()
        .map(|(axis, &d)| match (axis, d) {
            (_, d) if d > 0 => d as usize,
            (0, _) => 1,
            // 64 suits every model here (PP-OCR's detector needs multiples of 32).
            _ => 64,
        })
        .collect();
    concrete
}

/// Weighted sum of each output over a fixed pseudo-random input in [0, 1). Converted models agree
/// with the reference conversion to ~1e-4, so a loose tolerance separates "same model" from
/// "different or broken model".
pub fn fingerprint(model: &Model, shape: &[usize]) -> crate::error::Result<Vec<f32>> {
    let n: usize = shape.iter().product();
    let data: Vec<f32> = (0..n)
        .map(|i| ((i.wrapping_mul(7919) % 251) as f32) / 251.0)
        .collect();
    let outputs = model.run(&[TensorF32::new(shape.to_vec(), data)])?;
    // Position-weighted, because a plain sum of a softmax output is always 1.
    Ok(outputs
        .iter()
        .map(|o| {
            o.data
                .iter()
                .enumerate()
                .map(|(i, v)| v * ((i % 13) + 1) as f32)
                .sum::<f32>()
        })
        .collect())
}

/// Reference fingerprints measured on the reference model set (see `tests/face_models.rs`).
pub const REFERENCE_FINGERPRINTS: &[(&str, &[f32])] = &[
    ("mtcnn_pnet.onnx", &[45.28701, 5096.5635]),
    ("mtcnn_rnet.onnx", &[1.0165741, 1.000706]),
    ("mtcnn_onet.onnx", &[-0.26663357, 29.324924, 1.0000538]),
    (
        "face_detection_front_128x128.onnx",
        &[-12498.193, -9042.604, 112230.01, 294676.94],
    ),
    ("mobilefacenet.onnx", &[-167.93307]),
    ("facemesh_468.onnx", &[664247.1, -9.532569]),
    ("human_antispoof_128.onnx", &[0.7887808]),
    ("human_liveness_32.onnx", &[1.6530354]),
    ("ch_PP-OCRv4_det_infer.onnx", &[0.0]),
    ("ch_PP-OCRv4_rec_infer.onnx", &[52.16025]),
    ("ch_ppocr_mobile_v2.0_cls_infer.onnx", &[1.4636247]),
];

fn fingerprint_matches(actual: &[f32], expected: &[f32]) -> bool {
    actual.len() == expected.len()
        && actual
            .iter()
            .zip(expected)
            .all(|(a, e)| (a - e).abs() <= 1e-2 * e.abs().max(1.0))
}

#[derive(Debug, Clone, Serialize)]
pub struct ModelCheck {
    pub file: String,
    pub present: bool,
    pub sha256: Option<String>,
    pub provenance: Provenance,
    /// SHA-256 equals the manifest's.
    pub hash_matches: bool,
    pub shapes_ok: bool,
    /// `None` when the model could not be run at all.
    pub fingerprint_ok: Option<bool>,
    pub fingerprint: Vec<f32>,
    /// Fatal problems; empty when the file is usable.
    pub problems: Vec<String>,
    /// Non-fatal remarks (e.g. a locally converted model's different hash).
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub models_dir: PathBuf,
    pub runtime_library: Option<PathBuf>,
    pub runtime_hash_matches: bool,
    pub runtime_problem: Option<String>,
    pub models: Vec<ModelCheck>,
    pub ok: bool,
}

impl VerifyReport {
    /// One line per check, for `heshen models fetch` output.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        match (&self.runtime_library, &self.runtime_problem) {
            (Some(lib), None) => out.push_str(&format!(
                "ok   runtime {} (sha256 {})\n",
                lib.display(),
                if self.runtime_hash_matches {
                    "matches"
                } else {
                    "differs"
                }
            )),
            (_, Some(p)) => out.push_str(&format!("FAIL runtime: {p}\n")),
            (None, None) => out.push_str("FAIL runtime: not found\n"),
        }
        for m in &self.models {
            let status = if m.problems.is_empty() {
                "ok  "
            } else {
                "FAIL"
            };
            out.push_str(&format!("{status} {}", m.file));
            for p in &m.problems {
                out.push_str(&format!("; {p}"));
            }
            for n in &m.notes {
                out.push_str(&format!("; note: {n}"));
            }
            out.push('\n');
        }
        out
    }
}

/// Verifies the models in `dir`, finding ONNX Runtime as [`Runtime::new`] does.
pub fn verify_models(dir: &Path) -> VerifyReport {
    verify_models_with(&RuntimeConfig::new(dir))
}

pub fn verify_models_with(config: &RuntimeConfig) -> VerifyReport {
    let mut report = VerifyReport {
        models_dir: config.models_dir.clone(),
        runtime_library: None,
        runtime_hash_matches: false,
        runtime_problem: None,
        models: Vec::new(),
        ok: false,
    };
    let runtime = match locate_ort_library(config) {
        Ok(lib) => {
            report.runtime_hash_matches = sha256_file(&lib)
                .map(|h| h == ORT_LIBRARY_SHA256)
                .unwrap_or(false);
            report.runtime_library = Some(lib);
            match Runtime::new(config.clone()) {
                Ok(rt) => Some(rt),
                Err(e) => {
                    report.runtime_problem = Some(e.to_string());
                    None
                }
            }
        }
        Err(e) => {
            report.runtime_problem = Some(e.to_string());
            None
        }
    };
    for entry in MANIFEST {
        report
            .models
            .push(check_model(entry, config, runtime.as_ref()));
    }
    report
        .models
        .extend(check_speech_models(config, runtime.as_ref()));
    report.ok =
        report.runtime_problem.is_none() && report.models.iter().all(|m| m.problems.is_empty());
    report
}

/// A check of `file`'s presence and SHA-256 against `sha256`; nothing run yet.
fn hashed(config: &RuntimeConfig, file: &str, provenance: Provenance, sha256: &str) -> ModelCheck {
    let path = config.models_dir.join(file);
    let mut check = ModelCheck {
        file: file.to_string(),
        present: path.is_file(),
        sha256: None,
        provenance,
        hash_matches: false,
        shapes_ok: false,
        fingerprint_ok: None,
        fingerprint: Vec::new(),
        problems: Vec::new(),
        notes: Vec::new(),
    };
    if !check.present {
        check.problems.push("missing".into());
        return check;
    }
    match sha256_file(&path) {
        Ok(h) => {
            check.hash_matches = h == sha256;
            check.sha256 = Some(h);
        }
        Err(e) => check.problems.push(format!("unreadable: {e}")),
    }
    check
}

/// Files of the speech models and their SHA-256, all extracted unchanged from their packages.
pub const SPEECH_FILES: &[(&str, &str)] = &[
    (
        crate::speech::vad::MODEL_FILE,
        "1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3",
    ),
    (
        "whisper-base-ct2/model.bin",
        crate::speech::recognizer::MODEL_SHA256,
    ),
    (
        "whisper-base-ct2/config.json",
        "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
    ),
    (
        "whisper-base-ct2/tokenizer.json",
        "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
    ),
    (
        "whisper-base-ct2/vocabulary.txt",
        "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
    ),
];

/// The speech files by hash; the VAD also by loading it and scoring silence, which must not be
/// speech. The recogniser itself loads on first use (it takes half a second and 150 MB).
fn check_speech_models(config: &RuntimeConfig, runtime: Option<&Runtime>) -> Vec<ModelCheck> {
    SPEECH_FILES
        .iter()
        .map(|&(file, sha256)| {
            let mut check = hashed(config, file, Provenance::Packaged, sha256);
            if !check.present {
                return check;
            }
            if !check.hash_matches {
                check
                    .problems
                    .push("SHA-256 differs from the manifest".into());
            }
            if file == crate::speech::vad::MODEL_FILE {
                let Some(runtime) = runtime else {
                    check.problems.push("not loaded: no runtime".into());
                    return check;
                };
                let silence_score = runtime
                    .load(file)
                    .and_then(crate::speech::VoiceActivityDetector::new)
                    .and_then(|vad| vad.detect(&[0.0; 16_000]));
                match silence_score {
                    Ok(activity) => {
                        check.shapes_ok = true;
                        let peak = activity.probabilities.iter().copied().fold(0.0, f32::max);
                        let ok = peak < 0.1;
                        if !ok {
                            check
                                .problems
                                .push(format!("numerical self-test failed: silence scored {peak}"));
                        }
                        check.fingerprint_ok = Some(ok);
                        check.fingerprint = vec![peak];
                    }
                    Err(e) => check.problems.push(e.to_string()),
                }
            } else {
                check.shapes_ok = true;
            }
            check
        })
        .collect()
}

fn check_model(
    entry: &ManifestEntry,
    config: &RuntimeConfig,
    runtime: Option<&Runtime>,
) -> ModelCheck {
    let mut check = hashed(config, entry.file, entry.provenance, entry.sha256);
    if !check.present {
        return check;
    }
    if !check.hash_matches {
        match entry.provenance {
            Provenance::Packaged => check
                .problems
                .push("SHA-256 differs from the manifest".into()),
            Provenance::Converted => check
                .notes
                .push("locally converted; SHA-256 differs from the reference conversion".into()),
        }
    }
    let Some(runtime) = runtime else {
        check.problems.push("not loaded: no runtime".into());
        return check;
    };
    let model = match crate::models::load_checked(runtime, entry.file) {
        Ok(m) => {
            check.shapes_ok = true;
            m
        }
        Err(e) => {
            check.problems.push(e.to_string());
            return check;
        }
    };
    match fingerprint(&model, &probe_shape(entry)) {
        Ok(fp) => {
            let reference = REFERENCE_FINGERPRINTS
                .iter()
                .find(|(f, _)| *f == entry.file)
                .map(|(_, v)| *v);
            let ok = fp.iter().all(|v| v.is_finite())
                && reference.map_or(true, |r| fingerprint_matches(&fp, r));
            if !ok {
                check.problems.push(format!(
                    "numerical self-test failed: {fp:?} vs {reference:?}"
                ));
            }
            check.fingerprint_ok = Some(ok);
            check.fingerprint = fp;
        }
        Err(e) => check.problems.push(format!("inference failed: {e}")),
    }
    check
}
