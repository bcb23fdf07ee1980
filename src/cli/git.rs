//! The configuration as of a git revision, for `plan --base` and `drift`.
//!
//! poolform has no state file: the base revision's configuration stands for
//! "what was applied". This module shells out to `git` (the repository must
//! be a git checkout) to copy the configuration's directory as of a
//! revision into a temporary directory, scripts included, and loads it from
//! there with the ordinary loader. It is the only place that runs git.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::model::Desired;
use crate::plan::BaseRevision;

/// Why the base configuration could not be read.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum GitError {
    /// `git` could not be started.
    #[error("failed to run git")]
    #[diagnostic(
        code(poolform::git::not_found),
        help(
            "--base reads the configuration from git: install git and run poolform in a git checkout"
        )
    )]
    Spawn {
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A git command failed.
    #[error("`git {command}` failed: {stderr}")]
    #[diagnostic(code(poolform::git::failed), help("{help}"))]
    Failed {
        /// The arguments.
        command: String,
        /// What git said.
        stderr: String,
        /// What to do.
        help: String,
    },
    /// The configuration's path could not be resolved.
    #[error("cannot resolve the configuration path {path}")]
    #[diagnostic(code(poolform::git::path))]
    Resolve {
        /// The path as given.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Writing the base configuration to the temporary directory failed.
    #[error("failed to write the base configuration to {path}")]
    #[diagnostic(code(poolform::git::write))]
    Write {
        /// Where.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// `git cat-file` answered something unexpected.
    #[error("git answered unexpectedly while reading {object}")]
    #[diagnostic(code(poolform::git::protocol))]
    Protocol {
        /// The object asked for.
        object: String,
    },
}

/// The configuration at `config_path` as of a revision, copied out of git.
/// The directory is deleted when this value is dropped.
#[derive(Debug)]
pub struct BaseCheckout {
    /// The revision and the commit it named.
    pub revision: BaseRevision,
    /// The temporary directory holding the copy.
    dir: PathBuf,
    /// The configuration's path inside `dir` (a directory or a file, as
    /// given), or `None` when it did not exist at the revision.
    config: Option<PathBuf>,
}

impl Drop for BaseCheckout {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl BaseCheckout {
    /// Copies the configuration at `config_path` (a directory or a file in
    /// a git checkout) as of `revision`: the whole directory, so that the
    /// script files its pools name come from the revision too.
    pub fn at(config_path: &Path, revision: &str) -> Result<Self, GitError> {
        let canonical = std::fs::canonicalize(config_path).map_err(|source| GitError::Resolve {
            path: config_path.display().to_string(),
            source,
        })?;
        let (dir, file) = if canonical.is_file() {
            let parent = canonical.parent().unwrap_or(Path::new("/")).to_owned();
            (parent, canonical.file_name().map(ToOwned::to_owned))
        } else {
            (canonical.clone(), None)
        };
        let top = git(&dir, &["rev-parse", "--show-toplevel"], || {
            format!(
                "--base needs the configuration in a git checkout; {} is not in one",
                dir.display()
            )
        })?;
        let top = std::fs::canonicalize(top.trim()).unwrap_or_else(|_| PathBuf::from(top.trim()));
        let relative = dir.strip_prefix(&top).unwrap_or(Path::new("")).to_owned();
        let commit = git(
            &top,
            &["rev-parse", "--verify", "--end-of-options", &format!("{revision}^{{commit}}")],
            || {
                format!(
                    "name a commit, branch or tag that exists here, such as HEAD or origin/main (in CI, fetch it first: `git fetch origin {revision}`)"
                )
            },
        )?
        .trim()
        .to_owned();
        let temp = std::env::temp_dir().join(format!(
            "poolform-base-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&temp).map_err(|source| GitError::Write {
            path: temp.display().to_string(),
            source,
        })?;
        let mut checkout = Self {
            revision: BaseRevision {
                revision: revision.to_owned(),
                commit: commit.clone(),
            },
            dir: temp.clone(),
            config: None,
        };
        let copied = copy_tree(&top, &commit, &relative, &temp)?;
        let base_dir = temp.join(&relative);
        checkout.config = match file {
            Some(name) => Some(base_dir.join(name)).filter(|path| path.is_file()),
            None => (copied > 0).then_some(base_dir),
        };
        Ok(checkout)
    }

    /// Loads the base configuration; an empty one (no clusters, no pools)
    /// when it did not exist at the revision, so that everything in it
    /// counts as this change. Passwords are not checked against the
    /// environment: only the head's are used.
    pub fn load(&self, head: &Desired) -> Result<Desired, crate::config::ConfigErrors> {
        match &self.config {
            Some(path) => crate::config::load(path),
            None => Ok(Desired {
                cloud: head.cloud.clone(),
                clusters: Default::default(),
                pools: Default::default(),
                digest: String::new(),
            }),
        }
    }
}

/// Runs git in `dir` and returns its stdout.
fn git(dir: &Path, args: &[&str], help: impl FnOnce() -> String) -> Result<String, GitError> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|source| GitError::Spawn { source })?;
    if !output.status.success() {
        return Err(GitError::Failed {
            command: args.join(" "),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
            help: help(),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Writes every file under `relative` (a directory relative to the
/// repository root `top`) as of `commit` into `target`, keeping the paths
/// relative to the root. Returns how many files were written. Submodules
/// are left out; links are written as links (the loader confines where
/// they may point).
fn copy_tree(top: &Path, commit: &str, relative: &Path, target: &Path) -> Result<usize, GitError> {
    let spec = if relative.as_os_str().is_empty() {
        ".".to_owned()
    } else {
        relative.to_string_lossy().into_owned()
    };
    let listing = git(
        top,
        &["ls-tree", "-r", "-z", "--full-tree", commit, "--", &spec],
        String::new,
    )?;
    // `<mode> <type> <object>\t<path>`, NUL-terminated.
    let entries: Vec<(&str, &str, &str)> = listing
        .split('\0')
        .filter(|entry| !entry.is_empty())
        .filter_map(|entry| {
            let (meta, path) = entry.split_once('\t')?;
            let mut fields = meta.split(' ');
            let mode = fields.next()?;
            let kind = fields.next()?;
            let object = fields.next()?;
            (kind == "blob").then_some((mode, object, path))
        })
        .collect();
    if entries.is_empty() {
        return Ok(0);
    }
    let mut child = Command::new("git")
        .arg("-C")
        .arg(top)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|source| GitError::Spawn { source })?;
    // Written from a thread: git answers while it reads, and a full pipe
    // on either side would otherwise block both.
    let mut stdin = child.stdin.take().ok_or_else(|| GitError::Protocol {
        object: "the object list".to_owned(),
    })?;
    let objects: Vec<String> = entries
        .iter()
        .map(|(_, object, _)| (*object).to_owned())
        .collect();
    let writer = std::thread::spawn(move || {
        for object in objects {
            if writeln!(stdin, "{object}").is_err() {
                break;
            }
        }
    });
    let stdout = child.stdout.take().ok_or_else(|| GitError::Protocol {
        object: "the object list".to_owned(),
    })?;
    let mut reader = BufReader::new(stdout);
    let written = (|| {
        for (mode, object, path) in &entries {
            let mut header = String::new();
            reader
                .read_line(&mut header)
                .map_err(|_| GitError::Protocol {
                    object: (*object).to_owned(),
                })?;
            let size: usize = header
                .split(' ')
                .nth(2)
                .and_then(|size| size.trim().parse().ok())
                .ok_or_else(|| GitError::Protocol {
                    object: (*object).to_owned(),
                })?;
            let mut content = vec![0; size + 1];
            reader
                .read_exact(&mut content)
                .map_err(|_| GitError::Protocol {
                    object: (*object).to_owned(),
                })?;
            content.truncate(size);
            write_entry(&target.join(path), mode, &content)?;
        }
        Ok(entries.len())
    })();
    let _ = writer.join();
    let _ = child.wait();
    written
}

fn write_entry(path: &Path, mode: &str, content: &[u8]) -> Result<(), GitError> {
    let failed = |source| GitError::Write {
        path: path.display().to_string(),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(failed)?;
    }
    #[cfg(unix)]
    if mode == "120000" {
        use std::os::unix::ffi::OsStrExt as _;
        let link = std::ffi::OsStr::from_bytes(content);
        return std::os::unix::fs::symlink(link, path).map_err(failed);
    }
    let _ = mode;
    std::fs::File::create(path)
        .and_then(|mut file| file.write_all(content))
        .map_err(failed)
}
