//! Writing files that may hold personal data: private to their owner, whole or not at all, and never
//! through a symbolic link.
//!
//! Every file is written to a new temporary file beside its destination (created exclusively, mode
//! 0600, so an existing file or link at that name is never opened), flushed to disk, then renamed
//! over the destination. Renaming replaces a link rather than following it, a crash or a full disk
//! leaves the old file (or nothing) rather than a truncated one, and the result is 0600 whatever the
//! old file's mode was. Directories fairpanel creates are 0700.

use anyhow::{Context, Result};
use rand::RngCore;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Read a file given on the command line, at most `max` bytes of it. The size on disk is no guide
/// (`/dev/zero` and pipes report 0 and never end), so the reading itself stops one byte past the
/// limit; a longer file is an error of kind `InvalidData` saying "larger than `max` bytes".
pub fn read_limited(path: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(max.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("larger than {max} bytes"),
        ));
    }
    Ok(bytes)
}

/// The most a small file named on the command line (a passphrase, key or receipt) may hold.
pub const MAX_SMALL_FILE: u64 = 64 * 1024;

/// A small text file (passphrase, key, receipt), whole: `"{what} {path} is larger than …"` or
/// `"cannot read {what} {path}: …"` when it cannot be.
pub fn read_small_text(path: &Path, what: &str) -> Result<String> {
    let shown = path.display();
    let bytes = read_limited(path, MAX_SMALL_FILE).map_err(|e| match e.kind() {
        std::io::ErrorKind::InvalidData => anyhow::anyhow!("{what}{shown} is {e}"),
        _ => anyhow::anyhow!("cannot read {what}{shown}: {e}"),
    })?;
    String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("{what}{shown} is not UTF-8 text"))
}

/// Create `dir` (and its parents) readable by its owner only, if missing.
pub fn create_private_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
        .with_context(|| format!("cannot create {}", dir.display()))
}

fn create_new_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
}

/// A new, empty, private file beside `to`, for writing before a rename.
pub fn temp_beside(to: &Path) -> Result<PathBuf> {
    let dir = to
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = to
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "fairpanel".into());
    for _ in 0..8 {
        let tmp = dir.join(format!(
            ".{name}.{:016x}.tmp",
            rand::thread_rng().next_u64()
        ));
        match create_new_private(&tmp) {
            Ok(_) => return Ok(tmp),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e).with_context(|| format!("cannot write in {}", dir.display())),
        }
    }
    anyhow::bail!("cannot find a free temporary name in {}", dir.display())
}

pub fn sync_file(path: &Path) -> Result<()> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("cannot flush {} to disk", path.display()))
}

/// Move a finished temporary file to `to`, which must not exist yet.
pub fn rename_new(tmp: &Path, to: &Path) -> Result<()> {
    std::fs::hard_link(tmp, to).with_context(|| format!("cannot create {}", to.display()))?;
    std::fs::remove_file(tmp).ok();
    Ok(())
}

/// Refuse a destination that is there and is not a regular file or a link: a directory, or a pipe,
/// device or socket, which renaming over would replace (as root, even `/dev/null`).
pub fn check_destination(path: &Path) -> Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => anyhow::bail!("{} is a directory", path.display()),
        Ok(m) if !(m.is_file() || m.file_type().is_symlink()) => anyhow::bail!(
            "{} is not a regular file (a pipe, device or socket); fairpanel writes only regular files \
             and left it untouched",
            path.display()
        ),
        _ => Ok(()),
    }
}

/// Write `bytes` to `path` privately and atomically (see the module documentation).
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    write_private_with(path, |f| f.write_all(bytes))
}

/// As [`write_private`], with the contents written by `fill`. If it fails (a full disk, say), the
/// temporary file is discarded and `path` is as it was: never a file cut short, never an empty one.
pub fn write_private_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    check_destination(path)?;
    let tmp = temp_beside(path)?;
    let result = (|| -> Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(&tmp)
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        fill(&mut f)
            .and_then(|_| f.sync_all())
            .with_context(|| format!("cannot write {}", path.display()))?;
        std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
    })();
    if result.is_err() {
        discard(&tmp);
    }
    result
}

/// Remove a temporary file after a failure. It is emptied first, so that if it cannot be removed (its
/// directory turned read-only, say) what is left holds nothing and cannot pass for a finished file.
pub fn discard(tmp: &Path) {
    let _ = std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(tmp);
    let _ = std::fs::remove_file(tmp);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer that fails part-way, as a full disk does (ENOSPC) after taking some bytes.
    fn disk_full_after(n: usize) -> impl FnOnce(&mut dyn Write) -> std::io::Result<()> {
        move |f: &mut dyn Write| {
            f.write_all(&vec![b'x'; n])?;
            Err(std::io::Error::from_raw_os_error(28))
        }
    }

    #[test]
    fn a_failed_write_leaves_the_old_file_or_nothing_never_a_short_or_empty_one() {
        let d = tempfile::tempdir().unwrap();
        let new = d.path().join("report.md");
        let e = write_private_with(&new, disk_full_after(4096)).unwrap_err();
        assert!(
            format!("{e:#}").contains("No space left on device"),
            "{e:#}"
        );
        assert!(!new.exists(), "a failed write left {}", new.display());
        let old = d.path().join("old.md");
        std::fs::write(&old, "the previous report").unwrap();
        write_private_with(&old, disk_full_after(0)).unwrap_err();
        assert_eq!(
            std::fs::read_to_string(&old).unwrap(),
            "the previous report"
        );
        let names: Vec<_> = std::fs::read_dir(d.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names, ["old.md"], "a temporary file was left");
    }

    #[cfg(unix)]
    #[test]
    fn pipes_and_directories_are_not_written_over() {
        let d = tempfile::tempdir().unwrap();
        let e = write_private(d.path(), b"x").unwrap_err().to_string();
        assert!(e.contains("is a directory"), "{e}");
        // A character device stands in for a pipe: both would be replaced by a rename.
        let e = check_destination(Path::new("/dev/null"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("is not a regular file"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn replaces_links_and_loose_modes_with_a_private_file() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let target = d.path().join("elsewhere.txt");
        std::fs::write(&target, "keep me").unwrap();
        let link = d.path().join("report.md");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        write_private(&link, b"report").unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
        assert!(!link.is_symlink());
        assert_eq!(std::fs::read_to_string(&link).unwrap(), "report");
        let loose = d.path().join("old.md");
        std::fs::write(&loose, "x").unwrap();
        std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_private(&loose, b"y").unwrap();
        assert_eq!(
            std::fs::metadata(&loose).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let leftovers: Vec<_> = std::fs::read_dir(d.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }
}
