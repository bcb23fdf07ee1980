//! The request quotas API Gateway named to earlier runs, kept per endpoint
//! and project, so that the next run paces itself from its first request
//! instead of learning the quota by meeting it (see `live::pace`). A fleet
//! read on a schedule (drift detection every hour) otherwise opens every
//! run with a burst the gateway refuses in part.
//!
//! The file is `quotas.json` in `$POOLFORM_CACHE_DIR`, else in
//! `$XDG_CACHE_HOME/poolform`, else in `~/.cache/poolform`. It holds
//! endpoints, project ids, quotas and when the gateway named them; no
//! credential. A quota named more than [`REMEMBERED_FOR`] ago is forgotten,
//! so a raised quota is found within a day. Reading or writing the file
//! never fails a run: a problem is logged, and the run reads as a cold one.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::live::fleet::FleetClient;
use crate::live::pace::Quota;

/// How long a quota the gateway named is trusted by later runs.
pub const REMEMBERED_FOR: Duration = Duration::from_secs(24 * 60 * 60);

/// The file's format version; a file of another version is ignored (and
/// replaced by the next run that learns a quota).
const FORMAT: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
struct QuotaFile {
    format: u32,
    quotas: Vec<Remembered>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Remembered {
    endpoint: String,
    project_id: String,
    requests: u32,
    window_ms: u64,
    told_at: DateTime<Utc>,
}

impl Remembered {
    fn quota(&self) -> Quota {
        Quota {
            requests: self.requests,
            per: Duration::from_millis(self.window_ms),
        }
    }

    fn is_fresh(&self, now: DateTime<Utc>) -> bool {
        let age = now.signed_duration_since(self.told_at);
        age >= chrono::TimeDelta::zero()
            && age.to_std().is_ok_and(|age| age < REMEMBERED_FOR)
            && self.requests > 0
            && self.window_ms > 0
    }
}

/// The quota file, from the environment as `lookup` reads it; `None` when
/// no cache directory can be named.
pub fn quota_file(lookup: impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let set = |name: &str| lookup(name).filter(|value| !value.is_empty());
    let dir = if let Some(dir) = set("POOLFORM_CACHE_DIR") {
        PathBuf::from(dir)
    } else if let Some(cache) = set("XDG_CACHE_HOME").filter(|dir| Path::new(dir).is_absolute()) {
        Path::new(&cache).join("poolform")
    } else {
        Path::new(&set("HOME")?).join(".cache").join("poolform")
    };
    Some(dir.join("quotas.json"))
}

/// Reads the file: the entries, or what is wrong with it (a missing file
/// is an empty one).
fn read(path: &Path) -> Result<Vec<Remembered>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => {
            return Err(format!(
                "cannot read the remembered request quotas in {}: {error}",
                path.display()
            ));
        }
    };
    match serde_json::from_str::<QuotaFile>(&text) {
        Ok(file) if file.format == FORMAT => Ok(file.quotas),
        Ok(file) => Err(format!(
            "the remembered request quotas in {} are in format {}, not {FORMAT}",
            path.display(),
            file.format
        )),
        Err(error) => Err(format!(
            "the remembered request quotas in {} are not valid: {error}",
            path.display()
        )),
    }
}

/// Paces each client of `fleet` whose endpoint and project have a fresh
/// quota in the file at `path`. Returns how many were paced, or what is
/// wrong with the file (then none is: the run reads as a cold one, and the
/// file is replaced when a quota is next named).
pub fn recall(fleet: &FleetClient, path: &Path, now: DateTime<Utc>) -> Result<usize, String> {
    let remembered = read(path).map_err(|problem| {
        format!(
            "{problem}; ignored, and replaced when the gateway next names a quota (or delete it)"
        )
    })?;
    let mut paced = 0;
    for client in fleet.clients() {
        let options = client.options();
        let found = remembered.iter().find(|entry| {
            entry.endpoint == endpoint_key(&options.endpoint)
                && entry.project_id == options.project_id
                && entry.is_fresh(now)
        });
        if let Some(entry) = found {
            tracing::info!(
                endpoint = %entry.endpoint,
                requests = entry.requests,
                window_ms = entry.window_ms,
                told_at = %entry.told_at,
                "pacing requests under the quota the gateway named to an earlier run"
            );
            client.pace().remember(entry.quota());
            paced += 1;
        }
    }
    Ok(paced)
}

/// Writes the quotas the gateway named to clients of `fleet` in this run
/// into the file at `path`, keeping the other endpoints' fresh entries (a
/// file that cannot be read is replaced). Nothing is written when no quota
/// was named. An error says why the quotas could not be kept.
pub fn keep(fleet: &FleetClient, path: &Path, now: DateTime<Utc>) -> Result<(), String> {
    let told: Vec<Remembered> = fleet
        .clients()
        .iter()
        .filter_map(|client| {
            let quota = client.pace().snapshot().told_quota()?;
            let options = client.options();
            Some(Remembered {
                endpoint: endpoint_key(&options.endpoint),
                project_id: options.project_id.clone(),
                requests: quota.requests,
                window_ms: u64::try_from(quota.per.as_millis()).unwrap_or(u64::MAX),
                told_at: now,
            })
        })
        .collect();
    if told.is_empty() {
        return Ok(());
    }
    let mut quotas: Vec<Remembered> = read(path)
        .unwrap_or_default()
        .into_iter()
        .filter(|entry| {
            entry.is_fresh(now)
                && !told
                    .iter()
                    .any(|new| new.endpoint == entry.endpoint && new.project_id == entry.project_id)
        })
        .collect();
    quotas.extend(told);
    write(path, &QuotaFile {
        format: FORMAT,
        quotas,
    })
    .map_err(|error| {
        format!(
            "cannot remember the request quotas in {}: {error}; the next run meets the quota again (POOLFORM_CACHE_DIR names another directory)",
            path.display()
        )
    })
}

/// Writes the file whole or not at all: to a temporary file of its own
/// beside it, then renamed over it, so a run reading it meanwhile (another
/// CI job on the same machine) never sees half of it. Two runs writing at
/// once each write a whole file; the later one's entries win.
fn write(path: &Path, file: &QuotaFile) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let text = serde_json::to_string_pretty(file).map_err(std::io::Error::other)?;
    let mut temporary = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut temporary, text.as_bytes())?;
    std::io::Write::write_all(&mut temporary, b"\n")?;
    temporary.as_file().sync_all()?;
    temporary.persist(path).map_err(|error| error.error)?;
    Ok(())
}

/// The endpoint as the file keys it: scheme, host, port and path only, so
/// nothing but the address is ever written (poolform refuses endpoints with
/// credentials in them; a query string is dropped too).
fn endpoint_key(endpoint: &url::Url) -> String {
    let mut key = endpoint.clone();
    let _ = key.set_username("");
    let _ = key.set_password(None);
    key.set_query(None);
    key.set_fragment(None);
    key.to_string()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::live::auth::Credentials;
    use crate::live::client::{CceClient, ClientOptions};

    fn fleet(endpoints: &[(&str, &str)]) -> FleetClient {
        let options: Vec<_> = endpoints
            .iter()
            .enumerate()
            .map(|(index, (endpoint, project))| {
                (
                    crate::model::ClusterId::from(format!("c{index}").as_str()),
                    ClientOptions::new(
                        endpoint.parse().expect("endpoint"),
                        *project,
                        Credentials::ak_sk("AK-NOT-IN-FILES", "SK-NOT-IN-FILES"),
                    ),
                )
            })
            .collect();
        FleetClient::new(options, CceClient::new).expect("clients")
    }

    fn quota(requests: u32, window_ms: u64) -> Quota {
        Quota {
            requests,
            per: Duration::from_millis(window_ms),
        }
    }

    fn tell(client: &CceClient, told: Quota) {
        // What the client does with a throttling answer that names a quota.
        let leave = futures::executor::block_on(client.pace().acquire());
        leave.record(crate::live::pace::Outcome::Throttled {
            retry_after: None,
            quota: Some(told),
        });
    }

    #[test]
    fn only_the_address_of_an_endpoint_is_kept() {
        let key = |text: &str| endpoint_key(&text.parse().expect("url"));
        assert_eq!(
            key("https://user:secret@cce.example.com:8443/prefix?token=abc#x"),
            "https://cce.example.com:8443/prefix"
        );
        assert_eq!(
            key("https://cce.ap-southeast-1.myhuaweicloud.com"),
            "https://cce.ap-southeast-1.myhuaweicloud.com/"
        );
    }

    #[test]
    fn the_file_is_found_where_the_environment_says() {
        let env = |pairs: &[(&str, &str)]| {
            let map: BTreeMap<String, String> = pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
            quota_file(move |name| map.get(name).cloned())
        };
        assert_eq!(
            env(&[
                ("POOLFORM_CACHE_DIR", "/c"),
                ("XDG_CACHE_HOME", "/x"),
                ("HOME", "/h")
            ]),
            Some(PathBuf::from("/c/quotas.json"))
        );
        assert_eq!(
            env(&[("XDG_CACHE_HOME", "/x"), ("HOME", "/h")]),
            Some(PathBuf::from("/x/poolform/quotas.json"))
        );
        // A relative XDG directory is not one (the spec says to ignore it).
        assert_eq!(
            env(&[("XDG_CACHE_HOME", "x"), ("HOME", "/h")]),
            Some(PathBuf::from("/h/.cache/poolform/quotas.json"))
        );
        assert_eq!(env(&[("POOLFORM_CACHE_DIR", ""), ("HOME", "")]), None);
    }

    #[test]
    fn a_quota_one_run_is_told_paces_the_next_and_holds_no_credential() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("cache").join("quotas.json");
        let now = Utc::now();
        let first = fleet(&[
            ("https://cce.ap-southeast-1.myhuaweicloud.com", "p1"),
            ("https://cce.eu-west-101.myhuaweicloud.eu", "p2"),
        ]);
        // Nothing told, nothing written.
        keep(&first, &path, now).expect("nothing to keep");
        assert!(!path.exists());
        tell(&first.clients()[0], quota(20, 60_000));
        keep(&first, &path, now).expect("kept");
        let text = std::fs::read_to_string(&path).expect("written");
        assert!(
            text.contains("https://cce.ap-southeast-1.myhuaweicloud.com/"),
            "{text}"
        );
        assert!(!text.contains("AK-NOT-IN-FILES") && !text.contains("SK-NOT-IN-FILES"));

        let second = fleet(&[
            ("https://cce.ap-southeast-1.myhuaweicloud.com", "p1"),
            ("https://cce.eu-west-101.myhuaweicloud.eu", "p2"),
        ]);
        assert_eq!(
            recall(&second, &path, now + chrono::TimeDelta::hours(1)),
            Ok(1)
        );
        let paced = second.clients()[0].pace().snapshot();
        assert_eq!(paced.quota(), Some(quota(20, 60_000)));
        assert_eq!(paced.told_quota(), None, "remembered, not told again");
        assert_eq!(second.clients()[1].pace().snapshot().quota(), None);
        // A remembered quota is not written back as new: it ages out.
        keep(&second, &path, now + chrono::TimeDelta::hours(1)).expect("nothing new");
        let kept = read(&path).expect("readable");
        assert_eq!(kept.len(), 1, "{kept:?}");
        assert_eq!(kept[0].told_at, now);

        // A day later it is forgotten; another project at the same
        // endpoint never had it.
        let third = fleet(&[("https://cce.ap-southeast-1.myhuaweicloud.com", "p1")]);
        assert_eq!(
            recall(&third, &path, now + chrono::TimeDelta::hours(25)),
            Ok(0)
        );
        let other = fleet(&[("https://cce.ap-southeast-1.myhuaweicloud.com", "p9")]);
        assert_eq!(recall(&other, &path, now), Ok(0));
    }

    #[test]
    fn a_newer_quota_replaces_the_old_and_other_endpoints_stay() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("quotas.json");
        let now = Utc::now();
        let both = fleet(&[
            ("https://a.example.com", "p"),
            ("https://b.example.com", "p"),
        ]);
        tell(&both.clients()[0], quota(20, 1000));
        tell(&both.clients()[1], quota(50, 1000));
        keep(&both, &path, now).expect("kept");
        let one = fleet(&[("https://a.example.com", "p")]);
        tell(&one.clients()[0], quota(10, 1000));
        keep(&one, &path, now).expect("kept");
        let quotas = read(&path).expect("readable");
        assert_eq!(quotas.len(), 2, "{quotas:?}");
        let again = fleet(&[
            ("https://a.example.com", "p"),
            ("https://b.example.com", "p"),
        ]);
        assert_eq!(recall(&again, &path, now), Ok(2));
        assert_eq!(
            again.clients()[0].pace().snapshot().quota(),
            Some(quota(10, 1000))
        );
        assert_eq!(
            again.clients()[1].pace().snapshot().quota(),
            Some(quota(50, 1000))
        );
    }

    #[test]
    fn an_unreadable_file_is_reported_and_replaced_and_an_unwritable_one_is_reported() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("quotas.json");
        let now = Utc::now();
        for (text, says) in [
            ("not json", "are not valid"),
            ("{\"format\": 99, \"quotas\": []}", "in format 99, not 1"),
            ("{\"format\": 1}", "are not valid"),
        ] {
            std::fs::write(&path, text).expect("write");
            let client = fleet(&[("https://a.example.com", "p")]);
            let problem = recall(&client, &path, now).expect_err(text);
            assert!(problem.contains(says), "{problem}");
            assert!(problem.contains(&path.display().to_string()), "{problem}");
            assert!(problem.contains("delete it"), "{problem}");
            assert_eq!(client.clients()[0].pace().snapshot().quota(), None);
        }
        // A quota of nothing is never trusted.
        std::fs::write(
            &path,
            format!(
                "{{\"format\":1,\"quotas\":[{{\"endpoint\":\"https://a.example.com/\",\"project_id\":\"p\",\"requests\":0,\"window_ms\":1000,\"told_at\":\"{}\"}}]}}",
                now.to_rfc3339()
            ),
        )
        .expect("write");
        assert_eq!(
            recall(&fleet(&[("https://a.example.com", "p")]), &path, now),
            Ok(0)
        );
        // The next quota named replaces a file that was not valid.
        std::fs::write(&path, "not json").expect("write");
        let told = fleet(&[("https://a.example.com", "p")]);
        tell(&told.clients()[0], quota(20, 1000));
        keep(&told, &path, now).expect("kept");
        assert_eq!(read(&path).expect("readable").len(), 1);
        // A directory where the file should go cannot be written.
        let blocked = dir.path().join("blocked");
        std::fs::create_dir_all(blocked.join("quotas.json")).expect("dir");
        let problem = keep(&told, &blocked.join("quotas.json"), now).expect_err("a directory");
        assert!(problem.contains("cannot remember"), "{problem}");
        assert!(problem.contains("POOLFORM_CACHE_DIR"), "{problem}");
    }
}
