//! The walk of one document: its root keys, and the `[clusters.NAME]`
//! tables. `[cloud]` and `[pools.*]` have files of their own.

use toml::de::{DeTable, DeValue};

use super::keys::{CLUSTER_KEYS, ROOT_KEYS};
use super::{ClusterDraft, FileContents, FileWalker, Key, Val};
use crate::config::codes;
use crate::config::diagnostic::Draft;
use crate::config::rules;
use crate::model::{CloudSettings, ClusterId, ClusterName, DesiredCluster};

/// Whether a parsed document sets `[cloud] allow_scripts_outside = true`.
/// Read before any file is walked, since a script may be named in another
/// file than the setting; a value of the wrong type is reported by the walk.
pub(crate) fn allows_scripts_outside(root: &DeTable<'_>) -> bool {
    let Some(cloud) = root.get("cloud") else {
        return false;
    };
    let DeValue::Table(cloud) = cloud.get_ref() else {
        return false;
    };
    cloud
        .get("allow_scripts_outside")
        .is_some_and(|value| matches!(value.get_ref(), DeValue::Boolean(true)))
}

impl FileWalker<'_> {
    /// Walks the whole document.
    pub(crate) fn walk_document(&mut self, root: &DeTable<'_>) -> FileContents {
        let mut contents = FileContents::default();
        self.check_keys("", root, ROOT_KEYS);
        if let Some((_, value)) = root.get_key_value("cloud")
            && let Some(table) = self.table("cloud", value)
        {
            self.walk_cloud(table, &mut contents.cloud);
        }
        if let Some((_, value)) = root.get_key_value("clusters")
            && let Some(table) = self.table("clusters", value)
        {
            for (key, value) in table.iter() {
                if let Some(cluster) = self.walk_cluster(key, value) {
                    contents
                        .clusters
                        .push((cluster.cluster.name.clone(), cluster));
                }
            }
        }
        if let Some((_, value)) = root.get_key_value("pools")
            && let Some(table) = self.table("pools", value)
        {
            for (key, value) in table.iter() {
                if let Some(pool) = self.walk_pool(key, value) {
                    contents.pools.push((pool.pool.address.clone(), pool));
                }
            }
        }
        contents
    }

    pub(super) fn check_address_key(&mut self, what: &str, key: &Key<'_>) -> bool {
        let name: &str = key.get_ref();
        match rules::check_address(name) {
            Ok(()) => true,
            Err(reason) => {
                self.push(
                    Draft::error(
                        codes::INVALID_ADDRESS,
                        format!("{what} key `{name}` {reason}"),
                    )
                    .at(self.file, key.span(), "not a valid key")
                    .help("use letters, digits, `-`, `_` and `.`, such as `prod-system`"),
                );
                false
            }
        }
    }

    fn walk_cluster(&mut self, key: &Key<'_>, value: &Val<'_>) -> Option<ClusterDraft> {
        let name: &str = key.get_ref();
        let path = format!("clusters.{name}");
        let valid_key = self.check_address_key("cluster", key);
        let table = self.table(&path, value)?;
        self.check_keys(&path, table, CLUSTER_KEYS);
        let id = match table.get_key_value("id") {
            Some((_, value)) => self.nonempty(&format!("{path}.id"), value).and_then(|id| {
                self.check_simple_id(&format!("{path}.id"), &id, value.span())
                    .then_some(id)
            }),
            None => {
                self.missing(
                    &path,
                    "id",
                    key.span(),
                    "id = \"<cluster id from the console>\"",
                );
                None
            }
        };
        let max_unavailable = table
            .get_key_value("max_unavailable")
            .and_then(|(_, value)| {
                self.unsigned(&format!("{path}.max_unavailable"), value, 1, 200)
            });
        // A cluster in another region or project than `[cloud]` says where
        // it is; what it leaves out comes from `[cloud]`.
        let mut place = |key: &str| {
            table
                .get_key_value(key)
                .and_then(|(_, value)| self.place(&format!("{path}.{key}"), key, value))
        };
        let cloud = CloudSettings {
            region: place("region"),
            endpoint: place("endpoint"),
            project_id: place("project_id"),
            max_concurrency: None,
            provider: None,
        };
        let id = id?;
        valid_key.then(|| ClusterDraft {
            key_span: key.span(),
            cluster: DesiredCluster {
                name: ClusterName::from(name),
                id: ClusterId(id),
                max_unavailable,
                cloud,
            },
        })
    }
}
