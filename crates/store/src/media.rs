//! Media objects (selfies, ID card images, videos) in object storage, sealed
//! before they leave the process. Objects live under `<token>/<name>` so a
//! flow's media can be listed and deleted together.

use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, PutPayload, WriteMultipart};

use crate::cipher::SealContext;
use crate::error::{StoreError, StoreResult};
use crate::store::Store;

#[derive(Debug)]
pub(crate) struct Media {
    objects: Arc<dyn ObjectStore>,
    /// Root directory when backed by the local filesystem; used to remove
    /// the per-token directory that object stores leave behind.
    local_root: Option<PathBuf>,
}

impl Media {
    pub(crate) fn from_url(media_url: &str) -> StoreResult<Media> {
        let url = url::Url::parse(media_url)
            .map_err(|e| StoreError::Config(format!("invalid media URL {media_url:?}: {e}")))?;
        match url.scheme() {
            "file" => {
                let root = url.to_file_path().map_err(|()| {
                    StoreError::Config(format!(
                        "media URL must be file:///absolute/dir, got {media_url:?}"
                    ))
                })?;
                std::fs::create_dir_all(&root)?;
                let objects = object_store::local::LocalFileSystem::new_with_prefix(&root)?;
                Ok(Media {
                    objects: Arc::new(objects),
                    local_root: Some(root),
                })
            }
            "s3" => Self::s3(&url),
            other => Err(StoreError::Config(format!(
                "unsupported media URL scheme {other:?} (expected file:// or s3://)"
            ))),
        }
    }

    #[cfg(feature = "s3")]
    fn s3(url: &url::Url) -> StoreResult<Media> {
        // Credentials, region and endpoint come from the usual AWS_*
        // environment variables; bucket and prefix from the URL.
        let bucket = url.host_str().ok_or_else(|| {
            StoreError::Config("s3 media URL needs a bucket: s3://bucket/prefix".into())
        })?;
        let objects = object_store::aws::AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .build()?;
        let prefix = url.path().trim_matches('/');
        let objects: Arc<dyn ObjectStore> = if prefix.is_empty() {
            Arc::new(objects)
        } else {
            Arc::new(object_store::prefix::PrefixStore::new(objects, prefix))
        };
        Ok(Media {
            objects,
            local_root: None,
        })
    }

    #[cfg(not(feature = "s3"))]
    fn s3(_url: &url::Url) -> StoreResult<Media> {
        Err(StoreError::Config(
            "s3:// media URLs need heshen-store built with the `s3` feature".into(),
        ))
    }

    /// Deletes every object of `token`; returns how many were deleted.
    pub(crate) async fn delete_prefix(&self, token: &str) -> StoreResult<u64> {
        validate_path_part("token", token)?;
        let prefix = ObjectPath::from(token);
        let listing = self.objects.list_with_delimiter(Some(&prefix)).await?;
        let mut deleted = 0;
        for object in listing.objects {
            match self.objects.delete(&object.location).await {
                Ok(()) => deleted += 1,
                // Deleted concurrently (another node purging): fine.
                Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        if let Some(root) = &self.local_root {
            // Only succeeds when empty, which is what we want.
            let _ = tokio::fs::remove_dir(root.join(token)).await;
        }
        Ok(deleted)
    }
}

/// Tokens and names become path segments; restricting them to a safe
/// alphabet rules out traversal (`..`, `/`) and encoding surprises.
fn validate_path_part(what: &str, value: &str) -> StoreResult<()> {
    let safe = !value.is_empty()
        && value.len() <= 200
        && value != "."
        && value != ".."
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if safe {
        Ok(())
    } else {
        Err(StoreError::InvalidInput(format!(
            "media {what} must be 1-200 characters of [A-Za-z0-9._-]: {value:?}"
        )))
    }
}

fn object_path(token: &str, name: &str) -> StoreResult<ObjectPath> {
    validate_path_part("token", token)?;
    validate_path_part("name", name)?;
    Ok(ObjectPath::from(format!("{token}/{name}")))
}

fn media_context<'a>(token: &'a str, name: &'a str) -> (String, &'a str) {
    // The row id of a media object is "token/name"; the table/column pair
    // keeps media and database values apart.
    (format!("{token}/{name}"), "object")
}

/// Objects written as a stream start with this tag, then carry segments of at most
/// [`SEGMENT`] plaintext bytes, each `u32` big-endian length ‖ sealed segment. Every segment is
/// sealed with its index and whether it is the last in the associated data, so segments
/// cannot be reordered, dropped, or cut off at the end without the object failing to open.
const STREAM_TAG: &[u8; 4] = b"HSS1";
const SEGMENT: usize = 64 * 1024;
/// Parts of a multipart upload; object stores want at least 5 MiB per part but the last.
const UPLOAD_PART: usize = 5 * 1024 * 1024;

fn segment_id(token: &str, name: &str, index: u64, last: bool) -> String {
    let position = if last { "last" } else { "more" };
    format!("{token}/{name}/{index}/{position}")
}

impl Store {
    /// Seals a stream of bytes segment by segment and writes it as `name` of flow `token`
    /// through a multipart upload, so an upload of any size holds only a few segments and one
    /// upload part in memory. More than `max_bytes` in total aborts the upload and fails;
    /// nothing is left under the name then, and an object already there stays as it was
    /// until the new one is complete. Returns the number of plaintext bytes written.
    pub async fn put_media_stream<S, E>(
        &self,
        token: &str,
        name: &str,
        mut chunks: S,
        max_bytes: u64,
    ) -> StoreResult<u64>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let path = object_path(token, name)?;
        let upload = self.inner.media.objects.put_multipart(&path).await?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, UPLOAD_PART);
        writer.write(STREAM_TAG);
        let mut pending: Vec<u8> = Vec::with_capacity(2 * SEGMENT);
        let (mut index, mut total) = (0u64, 0u64);
        let failure = loop {
            let chunk = match chunks.next().await {
                None => break None,
                Some(Err(e)) => {
                    break Some(StoreError::InvalidInput(format!(
                        "the upload broke off: {e}"
                    )))
                }
                Some(Ok(chunk)) => chunk,
            };
            total += chunk.len() as u64;
            if total > max_bytes {
                break Some(StoreError::TooLarge { max_bytes });
            }
            pending.extend_from_slice(&chunk);
            // A full segment is sealed as "more" only once more bytes follow it.
            while pending.len() > SEGMENT {
                let rest = pending.split_off(SEGMENT);
                self.write_segment(&mut writer, token, name, index, false, &pending);
                pending = rest;
                index += 1;
            }
            writer.wait_for_capacity(2).await?;
        };
        if let Some(err) = failure {
            writer.abort().await?;
            return Err(err);
        }
        self.write_segment(&mut writer, token, name, index, true, &pending);
        writer.finish().await?;
        Ok(total)
    }

    fn write_segment(
        &self,
        writer: &mut WriteMultipart,
        token: &str,
        name: &str,
        index: u64,
        last: bool,
        plaintext: &[u8],
    ) {
        let id = segment_id(token, name, index, last);
        let sealed = self
            .cipher()
            .seal(SealContext::new("media", "segment", &id), plaintext);
        writer.write(&(sealed.len() as u32).to_be_bytes());
        writer.write(&sealed);
    }

    /// Opens an object written by [`Store::put_media_stream`].
    fn open_stream(&self, token: &str, name: &str, mut sealed: &[u8]) -> StoreResult<Vec<u8>> {
        let broken = || {
            StoreError::Crypto(format!(
                "media {token}/{name}: segments are missing or out of place"
            ))
        };
        let mut plaintext = Vec::new();
        for index in 0u64.. {
            let (len, rest) = sealed.split_first_chunk::<4>().ok_or_else(broken)?;
            let len = u32::from_be_bytes(*len) as usize;
            let segment = rest.get(..len).ok_or_else(broken)?;
            sealed = &rest[len..];
            let last = sealed.is_empty();
            let id = segment_id(token, name, index, last);
            plaintext.extend(
                self.cipher()
                    .open(SealContext::new("media", "segment", &id), segment)?,
            );
            if last {
                break;
            }
        }
        Ok(plaintext)
    }

    /// Seals `bytes` and stores them as `name` of flow `token`, replacing
    /// any previous object of that name.
    pub async fn put_media(&self, token: &str, name: &str, bytes: &[u8]) -> StoreResult<()> {
        let path = object_path(token, name)?;
        let (row_id, column) = media_context(token, name);
        let sealed = self
            .cipher()
            .seal(SealContext::new("media", column, &row_id), bytes);
        self.inner
            .media
            .objects
            .put(&path, PutPayload::from(sealed))
            .await?;
        Ok(())
    }

    /// The decrypted object, or None if it does not exist.
    pub async fn get_media(&self, token: &str, name: &str) -> StoreResult<Option<Vec<u8>>> {
        let path = object_path(token, name)?;
        let sealed = match self.inner.media.objects.get(&path).await {
            Ok(result) => result.bytes().await?,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let (row_id, column) = media_context(token, name);
        let whole = || {
            self.cipher()
                .open(SealContext::new("media", column, &row_id), &sealed)
        };
        // A whole-object seal begins with its format version byte (1), never with the tag.
        let plaintext = match sealed.strip_prefix(STREAM_TAG) {
            Some(segments) => self.open_stream(token, name, segments)?,
            None => whole()?,
        };
        Ok(Some(plaintext))
    }

    /// The names of `token`'s media objects that start with `prefix`, sorted.
    pub async fn media_names(&self, token: &str, prefix: &str) -> StoreResult<Vec<String>> {
        validate_path_part("token", token)?;
        let listing = self
            .inner
            .media
            .objects
            .list_with_delimiter(Some(&ObjectPath::from(token)))
            .await?;
        let mut names: Vec<String> = listing
            .objects
            .into_iter()
            .filter_map(|object| object.location.filename().map(str::to_string))
            .filter(|name| name.starts_with(prefix))
            .collect();
        names.sort();
        Ok(names)
    }

    /// Deletes one media object of `token`; a missing one is not an error.
    pub async fn delete_media_object(&self, token: &str, name: &str) -> StoreResult<()> {
        let path = object_path(token, name)?;
        match self.inner.media.objects.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes all media of `token`; returns the number of objects deleted.
    pub async fn delete_media(&self, token: &str) -> StoreResult<u64> {
        self.inner.media.delete_prefix(token).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_parts_are_restricted() {
        assert!(validate_path_part("name", "selfie.jpg").is_ok());
        assert!(validate_path_part("token", "2F1A-b_c").is_ok());
        for bad in ["", ".", "..", "a/b", "a\\b", "x y", "é"] {
            assert!(validate_path_part("name", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn s3_without_feature_is_a_clear_error_and_unknown_schemes_fail() {
        #[cfg(not(feature = "s3"))]
        assert!(matches!(
            Media::from_url("s3://bucket/prefix"),
            Err(StoreError::Config(msg)) if msg.contains("s3")
        ));
        assert!(Media::from_url("ftp://host/dir").is_err());
        assert!(Media::from_url("not a url").is_err());
    }
}
