//! The mini-program code of `sdk/miniprogram`, offered from the console as zips (FaceID's
//! console offers its SDKs for download where a business flow is set up): `verify_mpsdk` and
//! `mp_ecard_sdk` for integrators' mini-programs, and the verification mini-program an
//! operator publishes, its `config.js` already pointing at this server.

use std::io::Write as _;

/// Every file of the packages, by its path under `sdk/miniprogram` (see `build.rs`).
const FILES: &[(&str, &[u8])] = include!(concat!(env!("OUT_DIR"), "/miniprogram_files.rs"));

pub const PACKAGES: [&str; 3] = ["verify_mpsdk", "mp_ecard_sdk", "verifier"];

/// The placeholder `verifier/config.js` ships with.
const PLACEHOLDER_SERVER: &str = "'https://heshen.example.com'";

/// The package as a zip with one top folder, its own name; `None` for an unknown package.
pub fn zip(package: &str, public_url: &str) -> Option<Vec<u8>> {
    if !PACKAGES.contains(&package) {
        return None;
    }
    let prefix = format!("{package}/");
    let mut archive = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .unix_permissions(0o644);
    for (path, bytes) in FILES.iter().filter(|(path, _)| path.starts_with(&prefix)) {
        let contents = if *path == "verifier/config.js" {
            let server = serde_json::to_string(public_url.trim_end_matches('/'))
                .expect("a string serialises");
            let text = String::from_utf8_lossy(bytes).replace(
                PLACEHOLDER_SERVER,
                &format!("'{}'", server.trim_matches('"').replace('\'', "\\'")),
            );
            text.into_bytes()
        } else {
            bytes.to_vec()
        };
        archive.start_file(*path, options).ok()?;
        archive.write_all(&contents).ok()?;
    }
    Some(archive.finish().ok()?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read as _;

    fn entries(bytes: Vec<u8>) -> Vec<(String, String)> {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        (0..archive.len())
            .map(|i| {
                let mut file = archive.by_index(i).unwrap();
                let mut text = String::new();
                file.read_to_string(&mut text).unwrap();
                (file.name().to_string(), text)
            })
            .collect()
    }

    #[test]
    fn each_package_zips_its_own_folder_and_the_verifier_points_at_this_server() {
        let sdk = entries(zip("verify_mpsdk", "https://id.example.org/").unwrap());
        assert!(sdk.iter().any(|(name, _)| name == "verify_mpsdk/main.js"));
        assert!(sdk
            .iter()
            .any(|(name, _)| name == "verify_mpsdk/index/index.wxml"));
        assert!(sdk
            .iter()
            .all(|(name, _)| name.starts_with("verify_mpsdk/")));
        let verifier = entries(zip("verifier", "https://id.example.org/").unwrap());
        let (_, config) = verifier
            .iter()
            .find(|(name, _)| name == "verifier/config.js")
            .unwrap();
        assert!(
            config.contains("server: 'https://id.example.org',"),
            "{config}"
        );
        assert!(zip("test", "https://id.example.org").is_none());
        assert!(zip("../etc", "https://id.example.org").is_none());
    }
}
