//! `root_volume` and `data_volumes`: type, size, performance, encryption.

use super::keys::{VOLUME_KEYS, VOLUME_TYPES};
use super::{FileWalker, Val};
use crate::config::codes;
use crate::config::diagnostic::Draft;
use crate::model::Volume;

impl FileWalker<'_> {
    pub(super) fn walk_volume(
        &mut self,
        path: &str,
        value: &Val<'_>,
        min_size: u32,
        max_size: u32,
        bms: bool,
    ) -> Option<Volume> {
        let table = self.table(path, value)?;
        self.check_keys(path, table, VOLUME_KEYS);
        let mut volume = Volume::default();
        let mut complete = true;
        match table.get_key_value("type") {
            Some((_, value)) => match self.choice(
                &format!("{path}.type"),
                value,
                VOLUME_TYPES,
                codes::INVALID_VOLUME,
            ) {
                Some(kind) => volume.volume_type = kind.to_owned(),
                None => complete = false,
            },
            None => {
                self.missing(path, "type", value.span(), "type = \"GPSSD\"");
                complete = false;
            }
        }
        match table.get_key_value("size") {
            Some((_, value)) => {
                match self.unsigned(&format!("{path}.size"), value, min_size, max_size) {
                    Some(size) => volume.size = size,
                    None => complete = false,
                }
            }
            None => {
                self.missing(
                    path,
                    "size",
                    value.span(),
                    &format!("size = {min_size} (GiB, {min_size} to {max_size})"),
                );
                complete = false;
            }
        }
        if let Some((_, value)) = table.get_key_value("iops") {
            volume.iops = self.unsigned(&format!("{path}.iops"), value, 1, u32::MAX);
        }
        if let Some((_, value)) = table.get_key_value("throughput") {
            volume.throughput = self.unsigned(&format!("{path}.throughput"), value, 1, u32::MAX);
        }
        if let Some((_, value)) = table.get_key_value("passthrough") {
            volume.passthrough = self.boolean(&format!("{path}.passthrough"), value);
            if bms && volume.passthrough == Some(false) {
                self.push(
                    Draft::error(codes::INVALID_VOLUME, format!("`{path}.passthrough` must be true in an ElasticBMS pool"))
                        .at(self.file, value.span(), "must be true")
                        .help("bare-metal (ElasticBMS) nodes need SCSI passthrough disks: set passthrough = true or remove it"),
                );
            }
        } else if bms {
            volume.passthrough = Some(true);
        }
        let encrypted = table.get_key_value("encrypted").map(|(_, value)| {
            (
                self.boolean(&format!("{path}.encrypted"), value),
                value.span(),
            )
        });
        let cmk = table.get_key_value("cmk_id").map(|(_, value)| {
            (
                self.nonempty(&format!("{path}.cmk_id"), value),
                value.span(),
            )
        });
        volume.encrypted = encrypted.as_ref().and_then(|(flag, _)| *flag);
        volume.cmk_id = cmk.as_ref().and_then(|(id, _)| id.clone());
        match (&encrypted, &cmk) {
            (Some((Some(true), span)), None) => self.push(
                Draft::error(
                    codes::INVALID_VOLUME,
                    format!("`{path}` is encrypted but has no `cmk_id`"),
                )
                .at(self.file, span.clone(), "needs a key")
                .help("add cmk_id = \"<KMS key id>\": CCE encrypts the disk with that key"),
            ),
            (None | Some((Some(false), _)), Some((Some(_), span))) => self.push(
                Draft::error(
                    codes::INVALID_VOLUME,
                    format!("`{path}.cmk_id` is set but the disk is not encrypted"),
                )
                .at(self.file, span.clone(), "only used for encryption")
                .help("add encrypted = true, or remove cmk_id"),
            ),
            _ => {}
        }
        if let Some((_, value)) = table.get_key_value("extend_params") {
            let params_path = format!("{path}.extend_params");
            if let Some(params) = self.table(&params_path, value) {
                for (key, value) in params.iter() {
                    let name: &str = key.get_ref();
                    if let Some(text) = self.param_value(&format!("{params_path}.{name}"), value) {
                        volume.extend_params.insert(name.to_owned(), text);
                    }
                }
            }
        }
        complete.then_some(volume)
    }
}
