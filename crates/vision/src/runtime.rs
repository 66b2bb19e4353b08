//! ONNX Runtime plumbing shared by the face and OCR halves of the engine.
//!
//! ONNX Runtime is loaded at run time (`ort` load-dynamic) from `libonnxruntime.so.1.31.1`, the
//! file shipped in the PyPI wheel `onnxruntime==1.31.1`, so the binary needs no build-time native
//! dependency. The library can only be loaded once per process, hence the process-wide
//! environment below.
//!
//! Each model gets one `Session`. `ort` requires `&mut Session` to run, so a session sits behind
//! a mutex; on top of that a process-wide [`RunGate`] caps how many inferences run at once, so N
//! concurrent requests on a 2-core box queue instead of oversubscribing the CPU with N×intra
//! threads.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, OnceLock};

use ort::session::Session;
use ort::value::Tensor;

use crate::error::{Result, VisionError};

/// File name of the ONNX Runtime shared library we build and test against.
pub const ORT_LIBRARY_FILE: &str = "libonnxruntime.so.1.31.1";

/// How the engine finds and runs its models.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// Directory holding the `.onnx` files (and, optionally, the ONNX Runtime library).
    pub models_dir: PathBuf,
    /// Explicit path of `libonnxruntime.so.*`; when `None` it is searched for (see
    /// [`locate_ort_library`]).
    pub ort_library: Option<PathBuf>,
    /// Threads one inference may use inside an operator.
    pub intra_threads: usize,
    /// Threads of the speech recogniser. One: it runs beside the frame analysis of the same
    /// recording, which has the others (with two, a 4 s read-aloud verification on 2 cores
    /// takes 1,160 ms at p50 instead of 990).
    pub speech_threads: usize,
    /// Inferences allowed to run at the same time across all models.
    pub max_concurrent_runs: usize,
    /// Let idle ONNX Runtime worker threads spin. Faster on an otherwise idle machine, but on
    /// a busy one spinning threads steal the cores the real work needs, so it is off by default.
    pub intra_spinning: bool,
    /// Keep ONNX Runtime's CPU memory arena and per-shape memory plans. They save a few
    /// allocations per run but grow with every distinct input shape (MTCNN sees a new one per
    /// pyramid level and image size) and never shrink, so they are off by default.
    pub memory_arena: bool,
}

impl RuntimeConfig {
    /// Configuration for a models directory, with threads sized to the machine.
    pub fn new(models_dir: impl Into<PathBuf>) -> Self {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        RuntimeConfig {
            models_dir: models_dir.into(),
            ort_library: std::env::var_os("ORT_DYLIB_PATH").map(PathBuf::from),
            intra_threads: cores.min(4),
            speech_threads: 1,
            // Two runs at a time keeps one request's latency low while a second one progresses.
            max_concurrent_runs: cores.clamp(1, 2),
            intra_spinning: false,
            memory_arena: false,
        }
    }

    /// Reads `HESHEN_MODELS_DIR` (default `./models`), `ORT_DYLIB_PATH`,
    /// `HESHEN_INTRA_THREADS`, `HESHEN_SPEECH_THREADS`, `HESHEN_MAX_CONCURRENT_RUNS` and
    /// `HESHEN_ORT_SPINNING` (0/1).
    pub fn from_env() -> Self {
        let dir = std::env::var_os("HESHEN_MODELS_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("models"));
        let mut config = RuntimeConfig::new(dir);
        if let Some(n) = env_usize("HESHEN_INTRA_THREADS") {
            config.intra_threads = n.max(1);
        }
        if let Some(n) = env_usize("HESHEN_SPEECH_THREADS") {
            config.speech_threads = n.max(1);
        }
        if let Some(n) = env_usize("HESHEN_MAX_CONCURRENT_RUNS") {
            config.max_concurrent_runs = n.max(1);
        }
        if let Some(n) = env_usize("HESHEN_ORT_SPINNING") {
            config.intra_spinning = n != 0;
        }
        config
    }
}

fn env_usize(name: &str) -> Option<usize> {
    std::env::var(name).ok()?.trim().parse().ok()
}

/// Finds the ONNX Runtime library: the configured path, else `ORT_DYLIB_PATH`, else the models
/// directory, else `<models_dir>/../ort`.
pub fn locate_ort_library(config: &RuntimeConfig) -> Result<PathBuf> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(p) = &config.ort_library {
        candidates.push(p.clone());
    }
    if let Some(p) = std::env::var_os("ORT_DYLIB_PATH") {
        candidates.push(PathBuf::from(p));
    }
    for dir in [config.models_dir.clone(), config.models_dir.join("../ort")] {
        candidates.push(dir.join(ORT_LIBRARY_FILE));
        candidates.push(dir.join("libonnxruntime.so"));
    }
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or_else(|| {
            let tried: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
            VisionError::RuntimeMissing(format!("tried {}", tried.join(", ")))
        })
}

static ENVIRONMENT: OnceLock<
    std::result::Result<(PathBuf, ort::environment::Environment), String>,
> = OnceLock::new();

/// Loads ONNX Runtime once per process. Later calls with another library path get the library
/// that was loaded first (a process cannot hold two), which is logged.
fn environment(library: &Path) -> Result<ort::environment::Environment> {
    let loaded = ENVIRONMENT.get_or_init(|| {
        let builder = ort::init_from(library).map_err(|e| e.to_string())?;
        let env = builder
            .with_name("heshen-vision")
            .build()
            .map_err(|e| e.to_string())?;
        Ok((library.to_path_buf(), env))
    });
    match loaded {
        Ok((path, env)) => {
            if path != library {
                tracing::warn!(
                    loaded = %path.display(),
                    requested = %library.display(),
                    "ONNX Runtime already loaded from another path; reusing it"
                );
            }
            Ok(env.clone())
        }
        Err(e) => Err(VisionError::RuntimeMissing(format!(
            "{}: {e}",
            library.display()
        ))),
    }
}

/// Counting semaphore capping concurrent inferences. Blocking is fine: callers run inference on
/// blocking threads (the API wraps engine calls in `spawn_blocking`).
#[derive(Debug)]
pub struct RunGate {
    free: Mutex<usize>,
    released: Condvar,
}

impl RunGate {
    pub fn new(permits: usize) -> Self {
        RunGate {
            free: Mutex::new(permits.max(1)),
            released: Condvar::new(),
        }
    }

    fn acquire(&self) -> RunPermit<'_> {
        let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
        while *free == 0 {
            free = self.released.wait(free).unwrap_or_else(|p| p.into_inner());
        }
        *free -= 1;
        RunPermit { gate: self }
    }
}

struct RunPermit<'a> {
    gate: &'a RunGate,
}

impl Drop for RunPermit<'_> {
    fn drop(&mut self) {
        let mut free = self.gate.free.lock().unwrap_or_else(|p| p.into_inner());
        *free += 1;
        self.gate.released.notify_one();
    }
}

/// A loaded ONNX Runtime plus the settings every session shares.
pub struct Runtime {
    environment: ort::environment::Environment,
    config: RuntimeConfig,
    library: PathBuf,
    gate: Arc<RunGate>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("config", &self.config)
            .field("library", &self.library)
            .finish()
    }
}

impl Runtime {
    pub fn new(config: RuntimeConfig) -> Result<Self> {
        let library = locate_ort_library(&config)?;
        let environment = environment(&library)?;
        let gate = Arc::new(RunGate::new(config.max_concurrent_runs));
        Ok(Runtime {
            environment,
            config,
            library,
            gate,
        })
    }

    pub fn config(&self) -> &RuntimeConfig {
        &self.config
    }

    pub fn models_dir(&self) -> &Path {
        &self.config.models_dir
    }

    /// Path of the ONNX Runtime library in use.
    pub fn library_path(&self) -> &Path {
        &self.library
    }

    /// Loads `file` (relative to the models dir) into one session.
    pub fn load(&self, file: &str) -> Result<Model> {
        self.load_with_threads(file, self.config.intra_threads)
    }

    /// Loads `file` into one session whose operators use `intra_threads` threads.
    pub fn load_with_threads(&self, file: &str, intra_threads: usize) -> Result<Model> {
        let path = self.config.models_dir.join(file);
        if !path.is_file() {
            return Err(VisionError::ModelMissing(path));
        }
        let invalid = |reason: String| VisionError::ModelInvalid {
            file: file.to_string(),
            reason,
        };
        let session = Session::builder(&self.environment)
            .map_err(|e| invalid(e.to_string()))?
            .with_intra_threads(intra_threads.max(1))
            .map_err(|e| invalid(e.to_string()))?
            .with_inter_threads(1)
            .map_err(|e| invalid(e.to_string()))?
            .with_intra_op_spinning(self.config.intra_spinning)
            .map_err(|e| invalid(e.to_string()))?
            .with_memory_pattern(self.config.memory_arena)
            .map_err(|e| invalid(e.to_string()))?
            .with_execution_providers([ort::ep::CPU::default()
                .with_arena_allocator(self.config.memory_arena)
                .build()])
            .map_err(|e| invalid(e.to_string()))?
            .commit_from_file(&path)
            .map_err(|e| invalid(e.to_string()))?;
        let describe = |outlets: &[ort::value::Outlet]| -> Vec<TensorInfo> {
            outlets
                .iter()
                .map(|o| TensorInfo {
                    name: o.name().to_string(),
                    shape: o
                        .dtype()
                        .tensor_shape()
                        .map(|s| s.to_vec())
                        .unwrap_or_default(),
                })
                .collect()
        };
        let inputs = describe(session.inputs());
        let outputs = describe(session.outputs());
        Ok(Model {
            file: file.to_string(),
            session: Mutex::new(session),
            gate: Arc::clone(&self.gate),
            inputs,
            outputs,
        })
    }
}

/// Name and declared shape of one model input or output (`-1` for a dynamic dimension).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorInfo {
    pub name: String,
    pub shape: Vec<i64>,
}

/// A dense f32 tensor in row-major order.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorF32 {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

impl TensorF32 {
    pub fn new(shape: Vec<usize>, data: Vec<f32>) -> Self {
        debug_assert_eq!(shape.iter().product::<usize>(), data.len());
        TensorF32 { shape, data }
    }
}

/// One input of a model run.
#[derive(Debug, Clone, Copy)]
pub enum Input<'a> {
    F32(&'a TensorF32),
    I64Scalar(i64),
}

/// One model with its single shared session.
pub struct Model {
    file: String,
    session: Mutex<Session>,
    gate: Arc<RunGate>,
    inputs: Vec<TensorInfo>,
    outputs: Vec<TensorInfo>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("file", &self.file)
            .field("inputs", &self.inputs)
            .field("outputs", &self.outputs)
            .finish()
    }
}

impl Model {
    pub fn file(&self) -> &str {
        &self.file
    }

    pub fn inputs(&self) -> &[TensorInfo] {
        &self.inputs
    }

    pub fn outputs(&self) -> &[TensorInfo] {
        &self.outputs
    }

    /// A custom metadata value stored in the model (PP-OCR keeps its character list there).
    pub fn metadata(&self, key: &str) -> Result<Option<String>> {
        let session = self.session.lock().unwrap_or_else(|p| p.into_inner());
        let meta = session.metadata()?;
        Ok(meta.custom(key))
    }

    /// Checks that the declared input and output shapes match `expected` (by position; `-1`
    /// in either place matches anything). Catches a wrong or re-converted file at load time
    /// instead of as garbage results later.
    pub fn expect_shapes(&self, inputs: &[&[i64]], outputs: &[&[i64]]) -> Result<()> {
        check_outlets(&self.file, "input", &self.inputs, inputs)?;
        check_outlets(&self.file, "output", &self.outputs, outputs)
    }

    /// Runs the model on f32 inputs (in declaration order) and returns every output in
    /// declaration order.
    pub fn run(&self, inputs: &[TensorF32]) -> Result<Vec<TensorF32>> {
        let inputs: Vec<Input<'_>> = inputs.iter().map(Input::F32).collect();
        self.run_inputs(&inputs)
    }

    /// [`Model::run`] for models that also take integer scalars (silero VAD's sample rate).
    pub fn run_inputs(&self, inputs: &[Input<'_>]) -> Result<Vec<TensorF32>> {
        if inputs.len() != self.inputs.len() {
            return Err(VisionError::Inference(format!(
                "{} takes {} inputs, got {}",
                self.file,
                self.inputs.len(),
                inputs.len()
            )));
        }
        let mut values: Vec<(String, ort::value::DynValue)> = Vec::with_capacity(inputs.len());
        for (info, input) in self.inputs.iter().zip(inputs) {
            let value = match input {
                Input::F32(tensor) => {
                    let shape: Vec<i64> = tensor.shape.iter().map(|&d| d as i64).collect();
                    Tensor::from_array((shape, tensor.data.clone()))?.into_dyn()
                }
                Input::I64Scalar(v) => {
                    Tensor::from_array((Vec::<i64>::new(), vec![*v]))?.into_dyn()
                }
            };
            values.push((info.name.clone(), value));
        }
        let _permit = self.gate.acquire();
        let mut session = self.session.lock().unwrap_or_else(|p| p.into_inner());
        let outputs = session.run(values)?;
        let mut result = Vec::with_capacity(self.outputs.len());
        for info in &self.outputs {
            let value = outputs.get(&info.name).ok_or_else(|| {
                VisionError::Inference(format!("{} gave no output {}", self.file, info.name))
            })?;
            let (shape, data) = value.try_extract_tensor::<f32>()?;
            result.push(TensorF32 {
                shape: shape.iter().map(|&d| d.max(0) as usize).collect(),
                data: data.to_vec(),
            });
        }
        Ok(result)
    }
}

fn check_outlets(file: &str, kind: &str, actual: &[TensorInfo], expected: &[&[i64]]) -> Result<()> {
    let invalid = |reason: String| VisionError::ModelInvalid {
        file: file.to_string(),
        reason,
    };
    if actual.len() != expected.len() {
        return Err(invalid(format!(
            "has {} {kind}s, expected {}",
            actual.len(),
            expected.len()
        )));
    }
    for (info, want) in actual.iter().zip(expected) {
        let fits = info.shape.len() == want.len()
            && info
                .shape
                .iter()
                .zip(want.iter())
                .all(|(&a, &w)| a == w || a < 0 || w < 0);
        if !fits {
            return Err(invalid(format!(
                "{kind} {} has shape {:?}, expected {:?}",
                info.name, info.shape, want
            )));
        }
    }
    Ok(())
}
