//! The vision engine as the API uses it: inference runs on blocking threads, at most
//! `concurrency` at a time, so a burst of video uploads cannot starve the HTTP workers.

use heshen_vision::ocr::{IdCardReader, OcrError};
use heshen_vision::{Engine, VisionError};
use std::sync::Arc;
use tokio::sync::Semaphore;

#[derive(Clone)]
pub struct Vision {
    engine: Arc<Engine>,
    reader: Arc<IdCardReader>,
    permits: Arc<Semaphore>,
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

    /// Runs `work` with the engine and the ID-card reader on a blocking thread.
    pub async fn run_ocr<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Engine, &IdCardReader) -> Result<T, OcrError> + Send + 'static,
    ) -> Result<T, OcrError> {
        let _permit = self.permits.acquire().await.map_err(|_| {
            OcrError::Engine(VisionError::Inference(
                "the vision engine is shutting down".into(),
            ))
        })?;
        let (engine, reader) = (self.engine.clone(), self.reader.clone());
        tokio::task::spawn_blocking(move || work(&engine, &reader))
            .await
            .map_err(|e| {
                OcrError::Engine(VisionError::Inference(format!("OCR task failed: {e}")))
            })?
    }

    /// Runs `work` on a blocking thread once a permit is free.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Engine) -> Result<T, VisionError> + Send + 'static,
    ) -> Result<T, VisionError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| VisionError::Inference("the vision engine is shutting down".into()))?;
        let engine = self.engine.clone();
        tokio::task::spawn_blocking(move || work(&engine))
            .await
            .map_err(|e| VisionError::Inference(format!("vision task failed: {e}")))?
    }
}
