//! A state saved to a JSON file and read back.

use std::path::Path;

use crate::sim::SimError;

use super::world::SimState;

impl SimState {
    /// Reads a state saved by [`SimState::save`] (or the simulator).
    pub fn load(path: impl AsRef<Path>) -> Result<Self, SimError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| SimError::Io {
            path: path.to_owned(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|source| SimError::StateFormat {
            path: path.to_owned(),
            source,
        })
    }

    /// Writes the state as pretty JSON, atomically (a temporary file renamed
    /// over the target), so a reader never sees half a file.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), SimError> {
        let path = path.as_ref();
        let io_error = |source| SimError::Io {
            path: path.to_owned(),
            source,
        };
        let text = serde_json::to_string_pretty(self).map_err(|source| SimError::StateFormat {
            path: path.to_owned(),
            source,
        })?;
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(io_error)?;
        }
        // Per process, so that two processes on one state file never write
        // the same temporary file; the rename stays atomic.
        let mut temp = path.as_os_str().to_owned();
        temp.push(format!(".{}.tmp", std::process::id()));
        std::fs::write(&temp, text).map_err(io_error)?;
        std::fs::rename(&temp, path).map_err(io_error)
    }
}
