//! Lists the files of the mini-program packages (`sdk/miniprogram/<package>/…`) as
//! `include_bytes!` entries, so the console serves them from the binary and a change to any
//! of them rebuilds it. The tests folder is the project's, not an integrator's: it is left out.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const PACKAGES: [&str; 3] = ["verify_mpsdk", "mp_ecard_sdk", "verifier"];

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sdk/miniprogram");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut table = String::from("&[\n");
    for package in PACKAGES {
        let dir = root.join(package);
        let mut files = Vec::new();
        walk(&dir, &mut files);
        println!("cargo:rerun-if-changed={}", dir.display());
        for file in files {
            println!("cargo:rerun-if-changed={}", file.display());
            let inside = file
                .strip_prefix(&root)
                .expect("under the root")
                .to_string_lossy()
                .replace('\\', "/");
            let absolute = file.canonicalize().expect("a file that exists");
            writeln!(
                table,
                "    ({inside:?}, include_bytes!({:?}) as &[u8]),",
                absolute.display().to_string()
            )
            .expect("writing to a String");
        }
    }
    table.push(']');
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("miniprogram_files.rs"), table).expect("writing the file table");
}
