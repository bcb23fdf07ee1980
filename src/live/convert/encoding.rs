//! The encodings CCE uses inside its objects (base64 scripts under
//! `extendParam` keys), and the fingerprint of an object as read.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest, Sha256};

/// The `extendParam` key of the pre-install script.
pub const PRE_INSTALL_KEY: &str = "alpha.cce/preInstall";
/// The `extendParam` key of the post-install script.
pub const POST_INSTALL_KEY: &str = "alpha.cce/postInstall";
/// The `extendParam` key of the pod limit.
pub const MAX_PODS_KEY: &str = "maxPods";

/// Encodes a script the way CCE expects it.
pub fn encode_script(script: &str) -> String {
    BASE64.encode(script.as_bytes())
}

/// Decodes a script; a value that is not valid base64 UTF-8 is kept as is, so
/// that a hand-made live value still shows up in diffs.
pub fn decode_script(encoded: &str) -> String {
    BASE64
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .unwrap_or_else(|| encoded.to_owned())
}

/// Hex SHA-256 of a value's JSON form: the fingerprint of an object as read.
///
/// The JSON is hashed as it is written rather than collected into a buffer
/// first: a fleet read fingerprints every node, and the buffer was a tenth of
/// the simulator benchmark's time.
pub fn fingerprint<T: serde::Serialize>(value: &T) -> String {
    let mut writer = HashWriter(Sha256::new());
    let digest = match serde_json::to_writer(&mut writer, value) {
        Ok(()) => writer.0.finalize(),
        // Kept as it was when the JSON was buffered: a value that does not
        // serialise fingerprints as the empty document.
        Err(_) => Sha256::digest([]),
    };
    hex::encode(digest)
}

/// Feeds everything written to it into a SHA-256 state.
struct HashWriter(Sha256);

impl std::io::Write for HashWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    #[test]
    fn scripts_are_base64() {
        assert_eq!(encode_script("echo hi"), "ZWNobyBoaQ==");
        assert_eq!(decode_script("ZWNobyBoaQ=="), "echo hi");
        assert_eq!(decode_script("not base64!"), "not base64!");
    }
    #[test]
    fn fingerprint_hashes_the_json_form() {
        let value = (
            BTreeMap::from([("name", "n1"), ("uid", "u1")]),
            vec![1, 2, 3],
            "text with \"quotes\"",
        );
        let json = serde_json::to_vec(&value).expect("serialises");
        assert_eq!(fingerprint(&value), hex::encode(Sha256::digest(&json)));
    }
}
