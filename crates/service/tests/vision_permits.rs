//! The vision concurrency limit counts work really running: a job whose caller went away
//! (a client that disconnected) keeps its permit until it ends.

use heshen_service::vision::Vision;
use heshen_vision::runtime::RuntimeConfig;
use heshen_vision::{Engine, EngineConfig};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn models_dir() -> PathBuf {
    std::env::var_os("HESHEN_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/test-models")
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abandoned_job_keeps_its_permit_until_it_ends() {
    let engine = Engine::new(EngineConfig::new(RuntimeConfig::new(models_dir())))
        .expect("the vision models load (run scripts/fetch_models.sh)");
    let vision = Vision::new(engine, 1).expect("the ID-card reader loads");
    assert_eq!(vision.available_permits(), 1);

    let started = Arc::new(AtomicBool::new(false));
    let flag = started.clone();
    let job = vision.run(move |_| {
        flag.store(true, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(1500));
        Ok(())
    });
    // The request gives up (its client disconnected) while the job runs on.
    assert!(tokio::time::timeout(Duration::from_millis(300), job)
        .await
        .is_err());
    assert!(started.load(Ordering::SeqCst));
    assert_eq!(
        vision.available_permits(),
        0,
        "the running job still holds its permit"
    );

    let waited = std::time::Instant::now();
    let next = vision.run(|_| Ok(())).await;
    assert!(next.is_ok());
    assert!(
        waited.elapsed() >= Duration::from_millis(800),
        "the next job waited for the abandoned one: {:?}",
        waited.elapsed()
    );
    assert_eq!(vision.available_permits(), 1);
}
