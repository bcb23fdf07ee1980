//! Pure checks of single values against CCE's documented rules. Each returns
//! `Err(reason)` with a lowercase fragment; the walker turns it into a
//! diagnostic with a span and a help line.

use std::net::IpAddr;

/// Maximum Kubernetes labels per pool (`k8sTags`).
pub const MAX_LABELS: usize = 20;
/// Maximum taints per pool.
pub const MAX_TAINTS: usize = 20;
/// Maximum user tags per pool (`userTags`).
pub const MAX_USER_TAGS: usize = 8;
/// Maximum subnets in `subnetList`.
pub const MAX_SUBNETS: usize = 20;
/// Maximum characters of pre- plus post-install scripts after base64.
pub const MAX_SCRIPTS_BASE64: usize = 10_240;
/// Longest `soak` or `batch_timeout`: a day. Longer is a mistake (a batch
/// waiting weeks) or a hostile value meant to overflow apply's clock
/// arithmetic.
pub const MAX_ROLLOUT_DURATION: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);

/// A CCE pool name (`metadata.name`): 1 to 50 characters matching
/// `^[a-z][a-z0-9-]*[^-]$`, not `DefaultPool` (callers handle that one).
pub fn check_pool_name(name: &str) -> Result<(), String> {
    let length = name.chars().count();
    if !(1..=50).contains(&length) {
        return Err(format!("must be 1 to 50 characters long, not {length}"));
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err("must start with a lowercase letter".to_owned());
    }
    if name
        .chars()
        .any(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'))
    {
        return Err("may contain only lowercase letters, digits and hyphens".to_owned());
    }
    if name.ends_with('-') {
        return Err("must not end with a hyphen".to_owned());
    }
    // The pattern `^[a-z][a-z0-9-]*[^-]$` needs at least two characters.
    if length < 2 {
        return Err("must be at least 2 characters long".to_owned());
    }
    Ok(())
}

/// A pool address or cluster key: used in plans and on the command line, so
/// kept to characters that need no quoting.
pub fn check_address(address: &str) -> Result<(), String> {
    if address.is_empty() || address.chars().count() > 100 {
        return Err("must be 1 to 100 characters long".to_owned());
    }
    if !address.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err("must start with a letter or digit".to_owned());
    }
    if address
        .chars()
        .any(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err("may contain only letters, digits, `-`, `_` and `.`".to_owned());
    }
    Ok(())
}

/// The name part of a Kubernetes label key, or a label value when non-empty:
/// at most 63 characters, alphanumerics, `-`, `_`, `.`, beginning and ending
/// with an alphanumeric.
fn check_label_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("must not be empty".to_owned());
    }
    if name.chars().count() > 63 {
        return Err("must be at most 63 characters long".to_owned());
    }
    if name
        .chars()
        .any(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err("may contain only letters, digits, `-`, `_` and `.`".to_owned());
    }
    let first_last_ok = name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    if !first_last_ok {
        return Err("must start and end with a letter or digit".to_owned());
    }
    Ok(())
}

/// A DNS subdomain (RFC 1123) of at most 253 characters.
fn check_dns_subdomain(prefix: &str) -> Result<(), String> {
    if prefix.is_empty() || prefix.len() > 253 {
        return Err("its prefix must be a DNS subdomain of 1 to 253 characters".to_owned());
    }
    for part in prefix.split('.') {
        let ok = !part.is_empty()
            && part.len() <= 63
            && part
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !part.starts_with('-')
            && !part.ends_with('-');
        if !ok {
            return Err(
                "its prefix must be a DNS subdomain: lowercase letters, digits, `-` and `.`"
                    .to_owned(),
            );
        }
    }
    Ok(())
}

/// A Kubernetes label or taint key: `[prefix/]name`.
pub fn check_label_key(key: &str) -> Result<(), String> {
    match key.split_once('/') {
        Some((prefix, name)) => {
            check_dns_subdomain(prefix)?;
            check_label_name(name).map_err(|reason| format!("its name {reason}"))
        }
        None => check_label_name(key),
    }
}

/// A Kubernetes label or taint value: empty, or like a key's name part.
pub fn check_label_value(value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Ok(());
    }
    check_label_name(value)
}

/// A user (resource) tag key: 1 to 36 letters, digits, `-`, `_`, `@`, not
/// starting with `CCE-` or `__type_baremetal`.
pub fn check_user_tag_key(key: &str) -> Result<(), String> {
    if key.is_empty() || key.chars().count() > 36 {
        return Err("must be 1 to 36 characters long".to_owned());
    }
    if !key.chars().all(is_tag_char) {
        return Err("may contain only letters, digits, `-`, `_` and `@`".to_owned());
    }
    if key.starts_with("CCE-") || key.starts_with("__type_baremetal") {
        return Err("must not start with `CCE-` or `__type_baremetal` (reserved)".to_owned());
    }
    Ok(())
}

/// A user tag value: at most 43 letters, digits, `-`, `_`, `@`.
pub fn check_user_tag_value(value: &str) -> Result<(), String> {
    if value.chars().count() > 43 {
        return Err("must be at most 43 characters long".to_owned());
    }
    if !value.chars().all(is_tag_char) {
        return Err("may contain only letters, digits, `-`, `_` and `@`".to_owned());
    }
    Ok(())
}

fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '-' | '_' | '@')
}

/// An IPv4 or IPv6 address.
pub fn check_ip(text: &str) -> Result<(), String> {
    text.parse::<IpAddr>()
        .map(|_| ())
        .map_err(|_| "is not an IP address".to_owned())
}

/// A CIDR block such as `192.168.0.0/24`.
pub fn check_cidr(text: &str) -> Result<(), String> {
    let Some((address, prefix)) = text.split_once('/') else {
        return Err("is not a CIDR block (ADDRESS/PREFIX)".to_owned());
    };
    let address: IpAddr = address
        .parse()
        .map_err(|_| "is not a CIDR block: the address does not parse".to_owned())?;
    let max = if address.is_ipv4() { 32 } else { 128 };
    match prefix.parse::<u8>() {
        Ok(bits) if bits <= max => Ok(()),
        _ => Err(format!(
            "is not a CIDR block: the prefix must be 0 to {max}"
        )),
    }
}

/// An environment variable name.
pub fn check_env_name(name: &str) -> Result<(), String> {
    let valid = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if valid {
        Ok(())
    } else {
        Err("must be an environment variable name (letters, digits, `_`)".to_owned())
    }
}

/// `extendParam.nicThreshold`: `LOW:HIGH`, each a one-decimal value from
/// 0.0 to 1.0, low not above high (seed 004).
pub fn check_nic_threshold(text: &str) -> Result<(), String> {
    let parse = |part: &str| -> Option<u32> {
        let (whole, tenths) = part.trim().split_once('.')?;
        if tenths.len() != 1 {
            return None;
        }
        let value = whole.parse::<u32>().ok()? * 10 + tenths.parse::<u32>().ok()?;
        (value <= 10).then_some(value)
    };
    let Some((low, high)) = text.split_once(':') else {
        return Err("must be `LOW:HIGH`, such as `0.3:0.6`".to_owned());
    };
    match (parse(low), parse(high)) {
        (Some(low), Some(high)) if low <= high => Ok(()),
        (Some(_), Some(_)) => Err("must have the low threshold first".to_owned()),
        _ => Err("must be two one-decimal values from 0.0 to 1.0".to_owned()),
    }
}

/// `extendParam.nicMultiqueue`: a JSON list such as `[{"queue":4}]`, queue
/// one of 1, 2, 4, 8, 16, 28 (seed 004).
pub fn check_nic_multiqueue(text: &str) -> Result<(), String> {
    let parsed: serde_json::Value = serde_json::from_str(text)
        .map_err(|_| "must be a JSON list such as `[{\"queue\":4}]`".to_owned())?;
    let items = parsed
        .as_array()
        .ok_or_else(|| "must be a JSON list such as `[{\"queue\":4}]`".to_owned())?;
    for item in items {
        let queue = item.get("queue").and_then(serde_json::Value::as_u64);
        match queue {
            Some(1 | 2 | 4 | 8 | 16 | 28) => {}
            _ => return Err("has a queue that is not 1, 2, 4, 8, 16 or 28".to_owned()),
        }
    }
    Ok(())
}

/// The length of `text` after base64 encoding (with padding).
pub fn base64_len(bytes: usize) -> usize {
    bytes.div_ceil(3) * 4
}

#[cfg(test)]
mod tests {
    use test_case::test_case;

    use super::*;

    #[test_case("system", true)]
    #[test_case("a1", true)]
    #[test_case("a", false ; "one character cannot match the pattern")]
    #[test_case("ab-", false)]
    #[test_case("1ab", false)]
    #[test_case("Ab", false)]
    #[test_case("a_b", false)]
    #[test_case(&"a".repeat(50), true ; "fifty characters")]
    #[test_case(&"a".repeat(51), false ; "fifty-one characters")]
    fn pool_names(name: &str, valid: bool) {
        assert_eq!(check_pool_name(name).is_ok(), valid, "{name}");
    }

    #[test_case("team", true)]
    #[test_case("example.com/my-key", true)]
    #[test_case("Example.com/key", false)]
    #[test_case("-team", false)]
    #[test_case("team.", false)]
    #[test_case("a/b/c", false)]
    #[test_case(&"k".repeat(64), false)]
    fn label_keys(key: &str, valid: bool) {
        assert_eq!(check_label_key(key).is_ok(), valid, "{key}");
    }

    #[test_case("", true)]
    #[test_case("v1.2_x", true)]
    #[test_case("has space", false)]
    fn label_values(value: &str, valid: bool) {
        assert_eq!(check_label_value(value).is_ok(), valid, "{value}");
    }

    #[test_case("10.0.0.0/16", true)]
    #[test_case("fd00::/64", true)]
    #[test_case("10.0.0.0/33", false)]
    #[test_case("10.0.0.0", false)]
    #[test_case("x/8", false)]
    fn cidrs(text: &str, valid: bool) {
        assert_eq!(check_cidr(text).is_ok(), valid, "{text}");
    }

    #[test_case("0.3:0.6", true)]
    #[test_case("0.0:1.0", true)]
    #[test_case("0.6:0.3", false)]
    #[test_case("0.3:1.1", false)]
    #[test_case("0.35:0.6", false)]
    #[test_case("0.3", false)]
    fn nic_thresholds(text: &str, valid: bool) {
        assert_eq!(check_nic_threshold(text).is_ok(), valid, "{text}");
    }

    #[test_case(r#"[{"queue":4}]"#, true)]
    #[test_case(r#"[{"queue":28},{"queue":1}]"#, true)]
    #[test_case(r#"[{"queue":3}]"#, false)]
    #[test_case("4", false)]
    fn nic_multiqueues(text: &str, valid: bool) {
        assert_eq!(check_nic_multiqueue(text).is_ok(), valid, "{text}");
    }

    #[test]
    fn base64_lengths_round_up_to_quads() {
        assert_eq!(base64_len(0), 0);
        assert_eq!(base64_len(1), 4);
        assert_eq!(base64_len(3), 4);
        assert_eq!(base64_len(7680), 10_240);
        assert_eq!(base64_len(7681), 10_244);
    }
}
