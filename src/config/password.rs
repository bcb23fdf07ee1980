//! CCE's node password rules (seed 001, `UserPassword.password`): 8 to 26
//! characters; at least three of uppercase letters, lowercase letters, digits
//! and the special characters `!@$%^-_=+[{}]:,./?`; not the user name or the
//! user name spelled backwards.
//!
//! The password itself comes from the environment at apply time; these
//! messages describe what is wrong without ever quoting it.

/// The special characters CCE accepts in a node password.
pub const PASSWORD_SPECIALS: &str = "!@$%^-_=+[{}]:,./?";

/// Checks a node password against CCE's rules. The error message never
/// contains the password or any part of it.
pub fn check_password(username: &str, password: &str) -> Result<(), String> {
    let length = password.chars().count();
    if !(8..=26).contains(&length) {
        return Err(format!(
            "the password must be 8 to 26 characters long, not {length}"
        ));
    }
    if password
        .chars()
        .any(|c| !c.is_ascii_alphanumeric() && !PASSWORD_SPECIALS.contains(c))
    {
        return Err(format!(
            "the password may contain only letters, digits and the special characters {PASSWORD_SPECIALS}"
        ));
    }
    let classes = [
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| PASSWORD_SPECIALS.contains(c)),
    ];
    let present = classes.iter().filter(|&&present| present).count();
    if present < 3 {
        return Err(format!(
            "the password must contain at least three of: uppercase letters, lowercase letters, digits, special characters ({PASSWORD_SPECIALS}); it has {present}"
        ));
    }
    if !username.is_empty() {
        // Compared case-insensitively: the documented rule does not say, and
        // the stricter reading is the safe one.
        let lowered = password.to_lowercase();
        let name = username.to_lowercase();
        let reversed: String = name.chars().rev().collect();
        if lowered.contains(&name) {
            return Err(format!(
                "the password must not contain the user name `{username}`"
            ));
        }
        if lowered.contains(&reversed) {
            return Err(format!(
                "the password must not contain the user name `{username}` spelled backwards"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use test_case::test_case;

    use super::*;

    #[test_case("root", "Abcdef12" ; "eight characters, three classes")]
    #[test_case("root", "abc-def-1234" ; "lower, special, digit")]
    #[test_case("root", "ABCD!@$%^-_=+[{}]:,./?1" ; "every special character")]
    #[test_case("admin", "Xy7!Xy7!Xy7!Xy7!Xy7!Xy7!Xy" ; "twenty-six characters")]
    fn accepts(username: &str, password: &str) {
        assert_eq!(check_password(username, password), Ok(()));
    }

    #[test_case("root", "Ab1!", "8 to 26 characters long, not 4" ; "too short")]
    #[test_case("root", "Ab1!Ab1!Ab1!Ab1!Ab1!Ab1!Ab1", "not 27" ; "too long")]
    #[test_case("root", "abcdefgh123", "it has 2" ; "two classes")]
    #[test_case("root", "Abcdefg h123", "may contain only" ; "space is not allowed")]
    #[test_case("root", "Abc#defg123", "may contain only" ; "hash is not in the set")]
    #[test_case("root", "Xroot-1234", "user name `root`" ; "contains the user name")]
    #[test_case("root", "XTOOR-1234a", "spelled backwards" ; "contains the reversed user name")]
    fn rejects(username: &str, password: &str, expected: &str) {
        let message = check_password(username, password).expect_err("must be rejected");
        assert!(message.contains(expected), "{message:?} lacks {expected:?}");
        assert!(!message.contains(password), "message leaks the password");
    }
}
