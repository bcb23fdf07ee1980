//! Advisory locks that keep two applies off the same cluster on one machine.
//!
//! Each cluster an apply touches gets a lock file under the system's
//! temporary directory (`poolform-locks/`), named after a hash of what
//! identifies the cluster: its CCE endpoint (or region), project and id, or
//! the simulator state file under `--sim`. The lock is the operating
//! system's advisory file lock, released when the process ends however it
//! ends, so a killed apply never leaves a stale lock behind. The file itself
//! holds who has it (pid, start time, configuration path), for the message
//! the other run prints; it never holds a secret.
//!
//! This guarantees nothing across machines: CI jobs on different runners
//! need a concurrency group per configuration (see `docs/ci.md`), and apply
//! still re-reads each pool before each batch and waits while a sync it did
//! not start is in flight.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sha2::{Digest as _, Sha256};

/// What identifies one cluster's lock.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct LockKey {
    /// What identifies the cluster: endpoint or region, project and id.
    /// Hashed into the lock file's name; also the sort key, so that runs
    /// taking several locks take them in one order and never deadlock.
    pub identity: String,
    /// The cluster's config key, for messages.
    pub cluster: String,
}

/// Held locks; dropping them releases them.
#[derive(Debug)]
pub struct ApplyLocks {
    _files: Vec<File>,
}

/// Why a lock could not be had.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum LockError {
    /// Another run holds it.
    #[error("cluster {cluster} is being applied by another poolform run ({holder})")]
    #[diagnostic(
        code(poolform::apply::locked),
        help(
            "wait for that run to finish and plan again, or pass --lock-timeout (e.g. 30m) to wait for it"
        )
    )]
    Held {
        /// The cluster's config key.
        cluster: String,
        /// What the lock file says about the holder.
        holder: String,
    },
    /// The lock file could not be created or locked.
    #[error("failed to lock {path} for cluster {cluster}")]
    #[diagnostic(
        code(poolform::apply::lock_failed),
        help("check that the temporary directory is writable")
    )]
    Io {
        /// The cluster's config key.
        cluster: String,
        /// The lock file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// The directory of the lock files.
pub fn lock_dir() -> PathBuf {
    std::env::temp_dir().join("poolform-locks")
}

/// The lock file of a cluster.
fn lock_path(key: &LockKey) -> PathBuf {
    let digest = Sha256::digest(key.identity.as_bytes());
    lock_dir().join(format!("{}.lock", hex::encode(&digest[..12])))
}

/// Takes every lock, waiting up to `timeout` for each one another run
/// holds; `waiting` is called once per lock it has to wait for.
pub fn lock_clusters(
    keys: &[LockKey],
    owner: &str,
    timeout: Duration,
    mut waiting: impl FnMut(&LockKey, &str),
) -> Result<ApplyLocks, LockError> {
    let mut keys = keys.to_vec();
    keys.sort();
    keys.dedup_by(|a, b| a.identity == b.identity);
    let deadline = Instant::now().checked_add(timeout);
    let mut files = Vec::with_capacity(keys.len());
    for key in &keys {
        files.push(lock_one(key, owner, deadline, &mut waiting)?);
    }
    Ok(ApplyLocks { _files: files })
}

fn lock_one(
    key: &LockKey,
    owner: &str,
    deadline: Option<Instant>,
    waiting: &mut impl FnMut(&LockKey, &str),
) -> Result<File, LockError> {
    let path = lock_path(key);
    let io = |source: std::io::Error| LockError::Io {
        cluster: key.cluster.clone(),
        path: path.display().to_string(),
        source,
    };
    std::fs::create_dir_all(lock_dir()).map_err(io)?;
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io)?;
    let mut announced = false;
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(TryLockError::WouldBlock) => {
                let holder = holder_of(&mut file);
                if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                    return Err(LockError::Held {
                        cluster: key.cluster.clone(),
                        holder,
                    });
                }
                if !announced {
                    waiting(key, &holder);
                    announced = true;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(TryLockError::Error(error)) => return Err(io(error)),
        }
    }
    // Say who holds it; a failure here only makes the other run's message
    // vaguer, so it is not an error.
    let _ = file
        .set_len(0)
        .and_then(|()| file.seek(SeekFrom::Start(0)))
        .and_then(|_| file.write_all(owner.as_bytes()))
        .and_then(|()| file.flush());
    Ok(file)
}

/// What the lock file says about its holder, or a placeholder.
fn holder_of(file: &mut File) -> String {
    let mut text = String::new();
    let read = file
        .seek(SeekFrom::Start(0))
        .and_then(|_| file.take(512).read_to_string(&mut text));
    let text = text.trim();
    if read.is_err() || text.is_empty() {
        "holder unknown".to_owned()
    } else {
        text.chars().filter(|c| !c.is_control()).collect()
    }
}

/// Who this run is, for the lock files.
pub fn owner(config: &Path) -> String {
    format!(
        "pid {}, since {}, {}",
        std::process::id(),
        chrono::Utc::now().format("%Y-%m-%d %H:%M:%S UTC"),
        config.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(identity: &str) -> LockKey {
        LockKey {
            identity: identity.to_owned(),
            cluster: "prod".to_owned(),
        }
    }

    #[test]
    fn a_held_lock_names_its_holder_and_frees_on_drop() {
        let identity = format!("test-{}-{}", std::process::id(), uuid::Uuid::new_v4());
        let first = lock_clusters(
            &[key(&identity)],
            "pid 1, the first run",
            Duration::ZERO,
            |_, _| {},
        )
        .expect("the first run locks");
        let error = lock_clusters(&[key(&identity)], "pid 2", Duration::ZERO, |_, _| {})
            .expect_err("the second run is refused");
        let message = error.to_string();
        assert!(message.contains("cluster prod"), "{message}");
        assert!(message.contains("pid 1, the first run"), "{message}");
        drop(first);
        let second = lock_clusters(&[key(&identity)], "pid 2", Duration::ZERO, |_, _| {});
        assert!(second.is_ok(), "released on drop");
        let _ = std::fs::remove_file(lock_path(&key(&identity)));
    }

    #[test]
    fn a_waiting_run_gets_the_lock_when_it_is_freed() {
        let identity = format!("test-{}-{}", std::process::id(), uuid::Uuid::new_v4());
        let first = lock_clusters(&[key(&identity)], "pid 1", Duration::ZERO, |_, _| {})
            .expect("the first run locks");
        let (told, heard) = std::sync::mpsc::channel();
        let waiter = std::thread::spawn({
            let identity = identity.clone();
            move || {
                lock_clusters(
                    &[key(&identity)],
                    "pid 2",
                    Duration::from_secs(30),
                    |_, holder| {
                        let _ = told.send(holder.to_owned());
                    },
                )
                .is_ok()
            }
        });
        // Released only once the waiter has said it waits.
        let holder = heard.recv().expect("the waiter reports the holder");
        assert_eq!(holder, "pid 1");
        drop(first);
        assert!(waiter.join().expect("waiter joins"));
        let _ = std::fs::remove_file(lock_path(&key(&identity)));
    }
}
