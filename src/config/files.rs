//! Which files a configuration path names: one TOML file, or every `*.toml`
//! file of a directory in name order, and the tree their scripts must stay
//! in.

use std::path::{Path, PathBuf};

use super::codes;
use super::diagnostic::Draft;

/// A config file to read.
pub(super) struct Input {
    /// Where it is.
    pub(super) path: PathBuf,
    /// How diagnostics name it.
    pub(super) display: String,
    /// Its name relative to the config root (for the digest).
    pub(super) relative: String,
}

/// The config files at `path`, and the directory tree their scripts must stay
/// in: the directory itself, or the directory of a single file.
pub(super) fn discover(path: &Path) -> Result<(PathBuf, Vec<Input>), Box<Draft>> {
    let metadata = std::fs::metadata(path).map_err(|error| {
        Draft::error(
            codes::IO,
            format!("cannot read `{}`: {}", path.display(), io_reason(&error)),
        )
        .help("pass a config file or a directory of *.toml files")
        .boxed()
    })?;
    if metadata.is_file() {
        let relative = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let root = path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        return Ok((
            root.to_owned(),
            vec![Input {
                path: path.to_owned(),
                display: path.display().to_string(),
                relative,
            }],
        ));
    }
    let entries = std::fs::read_dir(path).map_err(|error| {
        Draft::error(
            codes::IO,
            format!("cannot list `{}`: {}", path.display(), io_reason(&error)),
        )
        .help("check the directory's permissions")
        .boxed()
    })?;
    let mut inputs: Vec<Input> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|candidate| {
            candidate.extension().is_some_and(|ext| ext == "toml") && candidate.is_file()
        })
        .map(|candidate| {
            let relative = candidate
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default();
            Input {
                display: candidate.display().to_string(),
                path: candidate,
                relative,
            }
        })
        .collect();
    inputs.sort_by(|a, b| a.relative.cmp(&b.relative));
    if inputs.is_empty() {
        return Err(Draft::error(
            codes::NO_CONFIG,
            format!("`{}` has no *.toml files", path.display()),
        )
        .help("point poolform at a directory that holds the config, or at one .toml file")
        .into());
    }
    Ok((path.to_owned(), inputs))
}

pub(super) fn io_reason(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => error.to_string().to_lowercase(),
    }
}
