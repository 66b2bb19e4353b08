//! The vision engine as the application uses it: inference runs on blocking threads, at most
//! `concurrency` at a time, so a burst of video uploads cannot starve the HTTP workers.
//!
//! The permit is owned by the blocking job itself: when the request that started a job goes
//! away (a client disconnects), the job runs on to its end and keeps its permit until then,
//! so the limit counts the work really running.

use heshen_vision::ocr::{IdCardReader, OcrError};
use heshen_vision::{Engine, VisionError};
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

#[derive(Clone)]
pub struct Vision {
    engine: Arc<Engine>,
    reader: Arc<IdCardReader>,
    permits: Arc<Semaphore>,
}

/// Why a job did not run to an answer.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("the vision engine is shutting down")]
    ShuttingDown,
    #[error("the vision job failed: {0}")]
    Panicked(String),
}

impl Vision {
    /// Loads the ID-card reader on the engine's runtime as well.
    pub fn new(engine: Engine, concurrency: usize) -> Result<Self, OcrError> {
        let reader = IdCardReader::load(engine.runtime())?;
        Ok(Self {
            engine: Arc::new(engine),
            reader: Arc::new(reader),
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
        })
    }

    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// Permits free right now: `concurrency` minus the jobs running.
    pub fn available_permits(&self) -> usize {
        self.permits.available_permits()
    }

    async fn spawn<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Engine, &IdCardReader) -> T + Send + 'static,
    ) -> Result<T, JobError> {
        let permit: OwnedSemaphorePermit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| JobError::ShuttingDown)?;
        let (engine, reader) = (self.engine.clone(), self.reader.clone());
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work(&engine, &reader)
        })
        .await
        .map_err(|e| JobError::Panicked(e.to_string()))
    }

    /// Runs `work` with the engine and the ID-card reader on a blocking thread.
    pub async fn run_ocr<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Engine, &IdCardReader) -> Result<T, OcrError> + Send + 'static,
    ) -> Result<T, OcrError> {
        self.spawn(work)
            .await
            .map_err(|e| OcrError::Engine(VisionError::Inference(e.to_string())))?
    }

    /// Runs `work` on a blocking thread once a permit is free.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Engine) -> Result<T, VisionError> + Send + 'static,
    ) -> Result<T, VisionError> {
        self.spawn(move |engine, _| work(engine))
            .await
            .map_err(|e| VisionError::Inference(e.to_string()))?
    }
}
