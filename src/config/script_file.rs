//! Reading lifecycle script files named by `{ file = "..." }`.
//!
//! A configuration can come from anyone (a pull request, a copied example),
//! and a script's content is sent to CCE and shown in plans, so reading one
//! is confined: the path must stay inside the configuration's directory tree
//! (unless `[cloud] allow_scripts_outside = true`), it must name a regular
//! file, and no more is read than a valid script can hold. A device such as
//! `/dev/zero`, a FIFO nobody writes to, or a huge file must end in a
//! diagnostic, not in a hang or an exhausted memory.

use std::io::Read as _;
use std::path::{Component, Path, PathBuf};

use super::rules;

/// The most bytes read from a script file: one more than CCE's limit on the
/// scripts after base64, which any longer file exceeds whatever it holds.
pub(crate) const MAX_SCRIPT_FILE_BYTES: usize = rules::MAX_SCRIPTS_BASE64 + 1;

/// Why a script file was not read. Never carries the file's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ScriptFileError {
    /// The path is absolute.
    Absolute,
    /// The path climbs out of the configuration's directory with `..`.
    Escapes,
    /// The path resolves, through a symbolic link, outside the directory.
    LinksOutside {
        /// Where it resolves to.
        target: PathBuf,
    },
    /// Nothing at the path.
    NotFound,
    /// Something other than a regular file, such as "a directory".
    NotRegular {
        /// What it is, with an article: "a FIFO".
        kind: &'static str,
    },
    /// Longer than any valid script.
    TooLong,
    /// Not UTF-8 text.
    NotUtf8,
    /// Any other I/O failure, as a lowercase reason.
    Unreadable {
        /// Why.
        reason: String,
    },
}

/// The configuration's directory tree that script paths must stay in.
#[derive(Debug, Clone)]
pub(crate) struct ScriptRoot {
    /// The directory as given, for joining relative paths.
    pub dir: PathBuf,
    /// The directory with every symbolic link resolved, for the prefix
    /// check; `None` when it cannot be resolved (then nothing is inside).
    pub canonical: Option<PathBuf>,
    /// `[cloud] allow_scripts_outside = true`: paths may go anywhere.
    pub allow_outside: bool,
}

impl ScriptRoot {
    /// The tree rooted at `dir`.
    pub fn new(dir: &Path, allow_outside: bool) -> Self {
        Self {
            dir: dir.to_owned(),
            canonical: std::fs::canonicalize(dir).ok(),
            allow_outside,
        }
    }

    /// Resolves `relative` (as written in a file in `file_dir`, a directory
    /// inside the tree) to the path to read, checking it stays inside.
    pub fn resolve(&self, file_dir: &Path, relative: &str) -> Result<PathBuf, ScriptFileError> {
        let written = Path::new(relative);
        if !self.allow_outside {
            if written.is_absolute() || written.has_root() {
                return Err(ScriptFileError::Absolute);
            }
            if climbs_out(
                file_dir.strip_prefix(&self.dir).unwrap_or(Path::new("")),
                written,
            ) {
                return Err(ScriptFileError::Escapes);
            }
        }
        let joined = file_dir.join(written);
        let resolved = std::fs::canonicalize(&joined).map_err(|error| io_error(&error))?;
        if !self.allow_outside {
            let inside = self
                .canonical
                .as_ref()
                .is_some_and(|root| resolved.starts_with(root));
            if !inside {
                return Err(ScriptFileError::LinksOutside { target: resolved });
            }
        }
        Ok(resolved)
    }
}

/// Whether `path`, taken relative to `base` (itself relative to the root),
/// leaves the root by its `..` components alone.
fn climbs_out(base: &Path, path: &Path) -> bool {
    let mut depth: usize = base
        .components()
        .filter(|component| matches!(component, Component::Normal(_)))
        .count();
    for component in path.components() {
        match component {
            Component::ParentDir => match depth.checked_sub(1) {
                Some(up) => depth = up,
                None => return true,
            },
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => return true,
        }
    }
    false
}

/// Reads the script file at `path`: a regular file of at most
/// [`MAX_SCRIPT_FILE_BYTES`] − 1 bytes of UTF-8 text.
pub(crate) fn read(path: &Path) -> Result<String, ScriptFileError> {
    // The type is checked before opening: opening a FIFO for reading blocks
    // until a writer appears, and a device can be read forever.
    let metadata = std::fs::metadata(path).map_err(|error| io_error(&error))?;
    if !metadata.is_file() {
        return Err(ScriptFileError::NotRegular {
            kind: file_kind(&metadata.file_type()),
        });
    }
    let file = open_nonblocking(path).map_err(|error| io_error(&error))?;
    // The path may have been replaced between the check and the open; the
    // open file itself is what is read, so check it again.
    let opened = file.metadata().map_err(|error| io_error(&error))?;
    if !opened.is_file() {
        return Err(ScriptFileError::NotRegular {
            kind: file_kind(&opened.file_type()),
        });
    }
    let mut bytes = Vec::with_capacity(MAX_SCRIPT_FILE_BYTES.min(metadata.len() as usize + 1));
    file.take(MAX_SCRIPT_FILE_BYTES as u64)
        .read_to_end(&mut bytes)
        .map_err(|error| io_error(&error))?;
    if bytes.len() >= MAX_SCRIPT_FILE_BYTES {
        return Err(ScriptFileError::TooLong);
    }
    String::from_utf8(bytes).map_err(|_| ScriptFileError::NotUtf8)
}

#[cfg(unix)]
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

#[cfg(unix)]
fn file_kind(file_type: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt as _;
    if file_type.is_dir() {
        "a directory"
    } else if file_type.is_fifo() {
        "a FIFO"
    } else if file_type.is_socket() {
        "a socket"
    } else if file_type.is_char_device() {
        "a character device"
    } else if file_type.is_block_device() {
        "a block device"
    } else {
        "not a regular file"
    }
}

#[cfg(not(unix))]
fn file_kind(file_type: &std::fs::FileType) -> &'static str {
    if file_type.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

fn io_error(error: &std::io::Error) -> ScriptFileError {
    match error.kind() {
        std::io::ErrorKind::NotFound => ScriptFileError::NotFound,
        std::io::ErrorKind::PermissionDenied => ScriptFileError::Unreadable {
            reason: "permission denied".to_owned(),
        },
        _ => ScriptFileError::Unreadable {
            reason: error.to_string().to_lowercase(),
        },
    }
}

#[cfg(test)]
mod tests {
    use test_case::test_case;

    use super::*;

    #[test_case("", "post.sh", false)]
    #[test_case("", "scripts/../post.sh", false)]
    #[test_case("", "./post.sh", false)]
    #[test_case("", "../post.sh", true)]
    #[test_case("", "scripts/../../post.sh", true)]
    #[test_case("sub", "../post.sh", false ; "up from a subdirectory stays inside")]
    #[test_case("sub", "../../post.sh", true)]
    fn lexical_escapes(base: &str, path: &str, escapes: bool) {
        assert_eq!(climbs_out(Path::new(base), Path::new(path)), escapes);
    }

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("config/scripts")).expect("mkdir");
        std::fs::write(dir.path().join("config/scripts/post.sh"), "echo hi\n").expect("write");
        std::fs::write(dir.path().join("outside.sh"), "echo out\n").expect("write");
        dir
    }

    #[test]
    fn a_path_inside_resolves() {
        let dir = tree();
        let root = ScriptRoot::new(&dir.path().join("config"), false);
        let resolved = root.resolve(&root.dir, "scripts/post.sh").expect("inside");
        assert_eq!(read(&resolved).expect("readable"), "echo hi\n");
    }

    #[test]
    fn absolute_and_escaping_paths_are_refused_unless_allowed() {
        let dir = tree();
        let config = dir.path().join("config");
        let outside = dir.path().join("outside.sh");
        let strict = ScriptRoot::new(&config, false);
        assert_eq!(
            strict.resolve(&config, &outside.to_string_lossy()),
            Err(ScriptFileError::Absolute)
        );
        assert_eq!(
            strict.resolve(&config, "../outside.sh"),
            Err(ScriptFileError::Escapes)
        );
        let relaxed = ScriptRoot::new(&config, true);
        let resolved = relaxed.resolve(&config, "../outside.sh").expect("allowed");
        assert_eq!(read(&resolved).expect("readable"), "echo out\n");
        assert!(relaxed.resolve(&config, &outside.to_string_lossy()).is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_out_of_the_tree_is_refused_unless_allowed() {
        let dir = tree();
        let config = dir.path().join("config");
        std::os::unix::fs::symlink(dir.path().join("outside.sh"), config.join("link.sh"))
            .expect("symlink");
        let strict = ScriptRoot::new(&config, false);
        assert!(matches!(
            strict.resolve(&config, "link.sh"),
            Err(ScriptFileError::LinksOutside { .. })
        ));
        assert!(
            ScriptRoot::new(&config, true)
                .resolve(&config, "link.sh")
                .is_ok()
        );
    }

    #[test]
    fn reading_stops_after_the_limit() {
        let dir = tree();
        let path = dir.path().join("big.sh");
        std::fs::write(&path, vec![b'a'; MAX_SCRIPT_FILE_BYTES - 1]).expect("write");
        assert_eq!(
            read(&path).map(|text| text.len()),
            Ok(MAX_SCRIPT_FILE_BYTES - 1)
        );
        std::fs::write(&path, vec![b'a'; 1 << 20]).expect("write");
        assert_eq!(read(&path), Err(ScriptFileError::TooLong));
    }

    #[test]
    fn a_directory_is_not_a_script() {
        let dir = tree();
        assert_eq!(
            read(&dir.path().join("config/scripts")),
            Err(ScriptFileError::NotRegular {
                kind: "a directory"
            })
        );
    }

    #[cfg(unix)]
    #[test]
    fn devices_are_not_scripts() {
        assert_eq!(
            read(Path::new("/dev/zero")),
            Err(ScriptFileError::NotRegular {
                kind: "a character device"
            })
        );
    }
}
