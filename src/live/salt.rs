//! Salting node login passwords the way CCE requires them.
//!
//! CCE refuses a plaintext `userPassword.password`: it takes the password as
//! SHA-512 crypt (`$6$` + a 16-character salt of letters and digits, the
//! default 5000 rounds) and then base64 of that whole crypt string (seed
//! 001, "Adding a Salt in the password Field When Creating a Node"). The
//! crypt itself is RustCrypto's `sha-crypt`; this module only chooses the
//! salt and writes the result in the standard `$6$salt$hash` form.
//!
//! Every request gets a fresh salt, so two bodies never carry the same value,
//! and neither the plaintext nor the salted value is ever logged.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64ct::{Base64ShaCrypt, Encoding as _};
use rand::RngExt as _;
use sha_crypt::{Algorithm, CustomizedPasswordHasher as _, Params, ShaCrypt};

/// Characters of a salt: letters and digits, as CCE's own example uses.
const SALT_LENGTH: usize = 16;

/// Why a password could not be salted. Never holds the password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SaltError {
    /// The salt is not 16 letters and digits.
    #[error("salt must be {SALT_LENGTH} letters and digits")]
    InvalidSalt,
    /// The crypt implementation refused the input.
    #[error("SHA-512 crypt failed")]
    Crypt,
}

/// The value CCE takes in `userPassword.password`: base64 of the SHA-512
/// crypt of `password` under a fresh random salt.
pub fn salt_password(password: &str) -> Result<String, SaltError> {
    let salt: String = rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(SALT_LENGTH)
        .map(char::from)
        .collect();
    salt_password_with(password, &salt)
}

/// [`salt_password`] with a given salt (16 letters and digits), for tests
/// with known answers.
pub fn salt_password_with(password: &str, salt: &str) -> Result<String, SaltError> {
    Ok(BASE64.encode(sha512_crypt(password, salt)?))
}

/// The SHA-512 crypt string `$6$salt$hash` (default rounds, so no `rounds=`
/// field, exactly as glibc's `crypt` and Python's `crypt`/passlib write it).
pub fn sha512_crypt(password: &str, salt: &str) -> Result<String, SaltError> {
    if salt.len() != SALT_LENGTH || !salt.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(SaltError::InvalidSalt);
    }
    // sha-crypt takes the salt as bytes and runs the function over their
    // crypt-base64 form; 16 salt characters are exactly 12 bytes, so decoding
    // the salt and letting the crate encode it again gives the same string.
    let salt_bytes = Base64ShaCrypt::decode_vec(salt).map_err(|_| SaltError::InvalidSalt)?;
    let hasher = ShaCrypt::new(Algorithm::Sha512Crypt, Params::RECOMMENDED);
    let hash = hasher
        .hash_password_customized(
            password.as_bytes(),
            &salt_bytes,
            None,
            None,
            Params::RECOMMENDED,
        )
        .map_err(|_| SaltError::Crypt)?;
    // The crate always writes `rounds=5000`; the default is implied when the
    // field is absent, and the standard form leaves it out.
    let fields: Vec<&str> = hash
        .fields()
        .map(|field| field.as_str())
        .filter(|field| !field.starts_with("rounds="))
        .collect();
    match fields.as_slice() {
        [written_salt, digest] if *written_salt == salt => Ok(format!("$6${salt}${digest}")),
        _ => Err(SaltError::Crypt),
    }
}

#[cfg(test)]
mod tests {
    use sha_crypt::PasswordVerifier as _;

    use super::*;

    /// Computed independently with Python's passlib:
    /// `sha512_crypt.using(salt='abcdefghijklmnop', rounds=5000).hash('Zq7!secretPassw0rd')`.
    const PASSLIB: &str = "$6$abcdefghijklmnop$LPri4fQljAxTB8yE9bIuD7kVsD/ZoZM1UrygKIhGlN2KVbGLCrBQYlCQLMuA7xrspp./UP5qRQkZVHaKnS/8i.";

    #[test]
    fn matches_passlib_known_answer() {
        assert_eq!(
            sha512_crypt("Zq7!secretPassw0rd", "abcdefghijklmnop").expect("crypt"),
            PASSLIB
        );
        assert_eq!(
            salt_password_with("Zq7!secretPassw0rd", "abcdefghijklmnop").expect("salted"),
            BASE64.encode(PASSLIB)
        );
    }

    #[test]
    fn salted_value_verifies_and_has_the_required_shape() {
        let plain = "Canary#Passw0rd-42";
        let first = salt_password(plain).expect("salted");
        let second = salt_password(plain).expect("salted");
        assert_ne!(first, second, "every request gets a fresh salt");
        for salted in [first, second] {
            assert!(!salted.contains(plain));
            let crypt = String::from_utf8(BASE64.decode(&salted).expect("base64")).expect("utf-8");
            let rest = crypt.strip_prefix("$6$").expect("SHA-512 crypt");
            let (salt, digest) = rest.split_once('$').expect("salt and hash");
            assert_eq!(salt.len(), 16);
            assert!(salt.bytes().all(|b| b.is_ascii_alphanumeric()), "{salt}");
            assert_eq!(digest.len(), 86);
            ShaCrypt::default()
                .verify_password(plain.as_bytes(), crypt.as_str())
                .expect("verifies against the plaintext");
            assert!(
                ShaCrypt::default()
                    .verify_password(b"another password", crypt.as_str())
                    .is_err()
            );
        }
    }

    #[test]
    fn a_bad_salt_is_refused() {
        assert_eq!(sha512_crypt("x", "short"), Err(SaltError::InvalidSalt));
        assert_eq!(
            sha512_crypt("x", "abcdefghijklmno$"),
            Err(SaltError::InvalidSalt)
        );
    }
}
