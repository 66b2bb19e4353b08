use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use rand::RngCore;

use crate::error::{StoreError, StoreResult};

/// Where the store keeps its data and the key that seals personal data.
#[derive(Clone)]
pub struct StoreConfig {
    /// `sqlite://PATH?mode=rwc` (default backend) or `postgres://…`.
    pub database_url: String,
    /// `file:///abs/dir` (local filesystem). `s3://bucket/prefix` needs the
    /// crate's `s3` feature.
    pub media_url: String,
    pub master_key: [u8; 32],
}

impl fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreConfig")
            .field("database_url", &redact_password(&self.database_url))
            .field("media_url", &self.media_url)
            .field("master_key", &"<redacted>")
            .finish()
    }
}

fn redact_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}

/// The 32-byte key from which every sealing key is derived.
#[derive(Clone, PartialEq, Eq)]
pub struct MasterKey([u8; 32]);

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

impl MasterKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        MasterKey(bytes)
    }

    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    pub fn into_bytes(self) -> [u8; 32] {
        self.0
    }

    /// Parses a base64 key (standard alphabet, padding optional), the form
    /// used by `HESHEN_MASTER_KEY` so several server nodes share one key.
    pub fn from_base64(encoded: &str) -> StoreResult<Self> {
        let trimmed = encoded.trim();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(trimmed)
            .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(trimmed))
            .map_err(|e| StoreError::Config(format!("master key is not valid base64: {e}")))?;
        let bytes: [u8; 32] = decoded.try_into().map_err(|v: Vec<u8>| {
            StoreError::Config(format!(
                "master key must decode to 32 bytes, got {}",
                v.len()
            ))
        })?;
        Ok(MasterKey(bytes))
    }

    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.0)
    }

    /// Reads the raw 32-byte key at `path`, creating it (mode 0600) with
    /// fresh random bytes on first use.
    ///
    /// The new key is written to a temporary file and published with
    /// `hard_link`, which fails if the target exists: two processes starting
    /// at once never see a half-written key, and the loser reads the
    /// winner's key instead of overwriting it.
    pub fn load_or_create(path: impl AsRef<Path>) -> StoreResult<Self> {
        let path = path.as_ref();
        let key_file_error = |source| StoreError::KeyFile {
            path: path.to_path_buf(),
            source,
        };
        match std::fs::read(path) {
            Ok(bytes) => return Self::from_file_bytes(path, bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(key_file_error(e)),
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(key_file_error)?;
        }
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        let temp = temp_sibling(path);
        let published =
            write_private_file(&temp, &key).and_then(|()| std::fs::hard_link(&temp, path));
        let _ = std::fs::remove_file(&temp);
        match published {
            Ok(()) => Ok(MasterKey(key)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let bytes = std::fs::read(path).map_err(key_file_error)?;
                Self::from_file_bytes(path, bytes)
            }
            Err(e) => Err(key_file_error(e)),
        }
    }

    fn from_file_bytes(path: &Path, bytes: Vec<u8>) -> StoreResult<Self> {
        let len = bytes.len();
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| StoreError::KeyFile {
            path: path.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("expected exactly 32 bytes, found {len}"),
            ),
        })?;
        Ok(MasterKey(bytes))
    }
}

fn temp_sibling(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(
        ".tmp-{}-{:016x}",
        std::process::id(),
        rand::random::<u64>()
    ));
    path.with_file_name(name)
}

fn write_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_once_then_reloads_the_same_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/master.key");
        let first = MasterKey::load_or_create(&path).unwrap();
        let second = MasterKey::load_or_create(&path).unwrap();
        assert_eq!(first, second);
        assert_eq!(std::fs::read(&path).unwrap(), first.bytes().to_vec());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let leftovers = std::fs::read_dir(path.parent().unwrap()).unwrap().count();
        assert_eq!(leftovers, 1, "temporary key files must be cleaned up");
    }

    #[test]
    fn rejects_key_file_of_wrong_length() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("short.key");
        std::fs::write(&path, b"too short").unwrap();
        assert!(matches!(
            MasterKey::load_or_create(&path),
            Err(StoreError::KeyFile { .. })
        ));
    }

    #[test]
    fn base64_round_trip_and_validation() {
        let key = MasterKey::from_bytes([7u8; 32]);
        assert_eq!(MasterKey::from_base64(&key.to_base64()).unwrap(), key);
        let unpadded = key.to_base64().trim_end_matches('=').to_string();
        assert_eq!(MasterKey::from_base64(&unpadded).unwrap(), key);
        assert!(MasterKey::from_base64("c2hvcnQ=").is_err());
        assert!(MasterKey::from_base64("not base64!").is_err());
    }

    #[test]
    fn debug_output_hides_secrets() {
        let config = StoreConfig {
            database_url: "postgres://u:hunter2@db/x".into(),
            media_url: "file:///tmp/m".into(),
            master_key: [9u8; 32],
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2"));
        assert!(!shown.contains("9, 9"));
    }
}
