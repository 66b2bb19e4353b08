//! The face models the engine needs: what each file must be (manifest with SHA-256 and tensor
//! shapes) and loading them into one shared session each.

use std::io::Read;
use std::path::Path;

use crate::error::{Result, VisionError};
use crate::runtime::{Model, Runtime};

/// Where a manifest file comes from, which decides how strictly its hash is enforced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Provenance {
    /// Extracted unchanged from a registry package: the hash must match exactly.
    Packaged,
    /// Converted locally (TFLite/TFJS → ONNX): conversions are numerically but not byte-wise
    /// reproducible, so a different hash is reported but the numerical self-test decides.
    Converted,
}

#[derive(Debug, Clone, Copy)]
pub struct ManifestEntry {
    pub file: &'static str,
    pub sha256: &'static str,
    pub provenance: Provenance,
    pub inputs: &'static [&'static [i64]],
    pub outputs: &'static [&'static [i64]],
}

/// Every file the vision engine uses, face and OCR. `-1` marks a dynamic dimension.
pub const MANIFEST: &[ManifestEntry] = &[
    ManifestEntry {
        file: "mtcnn_pnet.onnx",
        sha256: "07a69013008e612c4d2ad31b09645038911dfec67411cd68ccd0da55ca291a35",
        provenance: Provenance::Packaged,
        inputs: &[&[-1, -1, -1, 3]],
        outputs: &[&[-1, -1, -1, 4], &[-1, -1, -1, 2]],
    },
    ManifestEntry {
        file: "mtcnn_rnet.onnx",
        sha256: "de0f837f02b57e1e85959c3ae5c46bcd16162e6e95be5db8794e3c7c85a89004",
        provenance: Provenance::Packaged,
        inputs: &[&[-1, 24, 24, 3]],
        outputs: &[&[-1, 4], &[-1, 2]],
    },
    ManifestEntry {
        file: "mtcnn_onet.onnx",
        sha256: "d80f19b44f72e45dd2b7d01384d56994220f60d9417b2a7fbba9041ef1d75e52",
        provenance: Provenance::Packaged,
        inputs: &[&[-1, 48, 48, 3]],
        outputs: &[&[-1, 4], &[-1, 10], &[-1, 2]],
    },
    ManifestEntry {
        file: "face_detection_front_128x128.onnx",
        sha256: "e20e03f50cd975d820fc4c7fb596b709aea79dbcba33ada821644268f9e895c9",
        provenance: Provenance::Packaged,
        inputs: &[&[1, 128, 128, 3]],
        outputs: &[&[1, 512, 1], &[1, 384, 1], &[1, 512, 16], &[1, 384, 16]],
    },
    ManifestEntry {
        file: "mobilefacenet.onnx",
        sha256: "27dbe2e4f7edd4f7c0ed2b23d28a01d4ebbdf04a2c75c32dd8e4b658b7532deb",
        provenance: Provenance::Converted,
        inputs: &[&[-1, 112, 112, 3]],
        outputs: &[&[-1, 192]],
    },
    ManifestEntry {
        file: "facemesh_468.onnx",
        sha256: "ae9593a18c0f0071979116bde09aec3172dcffe39c48cf608af9a7fd4291a7a0",
        provenance: Provenance::Converted,
        inputs: &[&[1, 192, 192, 3]],
        outputs: &[&[1, 1, 1, 1404], &[1, 1, 1, 1]],
    },
    ManifestEntry {
        file: "human_antispoof_128.onnx",
        sha256: "6d14406880032e7a4591e2e4c7bcaef69d68f3f7482feb5fb3d36f4f547d15bf",
        provenance: Provenance::Converted,
        inputs: &[&[-1, 128, 128, 3]],
        outputs: &[&[-1, 1]],
    },
    ManifestEntry {
        file: "human_liveness_32.onnx",
        sha256: "3090bbf81c644bfcea0eb4e95004618ccbdf6123bc8e03094aad733fab4807b6",
        provenance: Provenance::Converted,
        inputs: &[&[-1, 32, 32, 3]],
        outputs: &[&[-1, 2]],
    },
    ManifestEntry {
        file: "ch_PP-OCRv4_det_infer.onnx",
        sha256: "d2a7720d45a54257208b1e13e36a8479894cb74155a5efe29462512d42f49da9",
        provenance: Provenance::Packaged,
        inputs: &[&[-1, 3, -1, -1]],
        outputs: &[&[-1, 1, -1, -1]],
    },
    ManifestEntry {
        file: "ch_PP-OCRv4_rec_infer.onnx",
        sha256: "48fc40f24f6d2a207a2b1091d3437eb3cc3eb6b676dc3ef9c37384005483683b",
        provenance: Provenance::Packaged,
        inputs: &[&[-1, 3, -1, -1]],
        outputs: &[&[-1, -1, 6625]],
    },
    ManifestEntry {
        file: "ch_ppocr_mobile_v2.0_cls_infer.onnx",
        sha256: "e47acedf663230f8863ff1ab0e64dd2d82b838fceb5957146dab185a89d6215c",
        provenance: Provenance::Packaged,
        inputs: &[&[-1, 3, -1, -1]],
        outputs: &[&[-1, 2]],
    },
];

/// SHA-256 of `libonnxruntime.so.1.31.1` from the `onnxruntime==1.31.1` manylinux x86_64 wheel.
pub const ORT_LIBRARY_SHA256: &str =
    "fc44112fbe06d7d689c57e11d3862031f64711007e4ee020f8eed5185fd2c1d3";

pub fn manifest_entry(file: &str) -> Option<&'static ManifestEntry> {
    MANIFEST.iter().find(|e| e.file == file)
}

/// Loads `file` and checks its tensor shapes against the manifest.
pub fn load_checked(runtime: &Runtime, file: &str) -> Result<Model> {
    let entry = manifest_entry(file).ok_or_else(|| VisionError::ModelInvalid {
        file: file.to_string(),
        reason: "not in the manifest".into(),
    })?;
    let model = runtime.load(file)?;
    model.expect_shapes(entry.inputs, entry.outputs)?;
    Ok(model)
}

/// The face-side models, each with one shared session.
#[derive(Debug)]
pub struct FaceModels {
    pub pnet: Model,
    pub rnet: Model,
    pub onet: Model,
    pub embedder: Model,
    pub mesh: Model,
    pub antispoof: Model,
    pub liveness: Model,
}

impl FaceModels {
    pub fn load(runtime: &Runtime) -> Result<Self> {
        Ok(FaceModels {
            pnet: load_checked(runtime, "mtcnn_pnet.onnx")?,
            rnet: load_checked(runtime, "mtcnn_rnet.onnx")?,
            onet: load_checked(runtime, "mtcnn_onet.onnx")?,
            embedder: load_checked(runtime, "mobilefacenet.onnx")?,
            mesh: load_checked(runtime, "facemesh_468.onnx")?,
            antispoof: load_checked(runtime, "human_antispoof_128.onnx")?,
            liveness: load_checked(runtime, "human_liveness_32.onnx")?,
        })
    }
}

/// Hex SHA-256 of a file, streamed.
pub fn sha256_file(path: &Path) -> Result<String> {
    use sha2::{Digest, Sha256};
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}
