//! `login`: an SSH key pair or a password read from the environment (never
//! written in the config), and the flags that remove either on update.

use toml::de::DeValue;

use super::keys::{LOGIN_KEYS, PASSWORD_KEYS};
use super::{FileWalker, Val};
use crate::config::codes;
use crate::config::diagnostic::Draft;
use crate::config::password::{PASSWORD_SPECIALS, check_password};
use crate::config::rules;
use crate::model::{Login, PasswordRef};

impl FileWalker<'_> {
    pub(super) fn walk_login(
        &mut self,
        path: &str,
        value: &Val<'_>,
        required: bool,
    ) -> Option<Login> {
        let table = self.table(path, value)?;
        self.check_keys(path, table, LOGIN_KEYS);
        let mut login = Login::default();
        let mut literal_password = false;
        let mut ssh_span = None;
        let mut password_span = None;
        if let Some((_, value)) = table.get_key_value("ssh_key") {
            login.ssh_key = self.nonempty(&format!("{path}.ssh_key"), value);
            ssh_span = Some(value.span());
        }
        if let Some((_, value)) = table.get_key_value("password") {
            password_span = Some(value.span());
            match value.get_ref() {
                DeValue::Table(_) => {
                    login.password = self.walk_password_ref(&format!("{path}.password"), value);
                }
                DeValue::String(_) => {
                    literal_password = true;
                    self.redactions.push(value.span());
                    self.push(
                        Draft::error(
                            codes::LITERAL_PASSWORD,
                            format!("`{path}.password` is written in the config"),
                        )
                        .at(self.file, value.span(), "a literal password")
                        .help("never commit a password: read it from the environment with password = { env = \"NODE_PASSWORD\", username = \"root\" }, and set NODE_PASSWORD when you run poolform apply"),
                    );
                }
                _ => {
                    literal_password = true;
                    self.redactions.push(value.span());
                    self.invalid_type(&format!("{path}.password"), value, "a table");
                }
            }
        }
        let mut remove_password_span = None;
        if let Some((_, value)) = table.get_key_value("remove_password") {
            login.remove_password = self
                .boolean(&format!("{path}.remove_password"), value)
                .unwrap_or(false);
            remove_password_span = Some(value.span());
        }
        let mut remove_ssh_span = None;
        if let Some((_, value)) = table.get_key_value("remove_ssh_key") {
            login.remove_ssh_key = self
                .boolean(&format!("{path}.remove_ssh_key"), value)
                .unwrap_or(false);
            remove_ssh_span = Some(value.span());
        }

        if let (Some(ssh), Some(password)) = (ssh_span.clone(), password_span.clone()) {
            self.push(
                Draft::error(
                    codes::LOGIN_CONFLICT,
                    format!("`{path}` sets both `ssh_key` and `password`"),
                )
                .at(self.file, ssh, "ssh key")
                .also(password, "password")
                .help("CCE logs in with either a key pair or a password: keep one of them"),
            );
        }
        if login.remove_ssh_key
            && let (Some(flag), Some(ssh)) = (remove_ssh_span.clone(), ssh_span.clone())
        {
            self.push(
                Draft::error(
                    codes::LOGIN_CONFLICT,
                    format!("`{path}` sets `ssh_key` and `remove_ssh_key = true`"),
                )
                .at(self.file, flag, "removes the key pair login")
                .also(ssh, "while setting one")
                .help(
                    "remove_ssh_key drops key pair login on update; remove either it or `ssh_key`",
                ),
            );
        }
        if login.remove_password
            && let (Some(flag), Some(password)) =
                (remove_password_span.clone(), password_span.clone())
        {
            self.push(
                    Draft::error(codes::LOGIN_CONFLICT, format!("`{path}` sets `password` and `remove_password = true`"))
                        .at(self.file, flag, "removes the password login")
                        .also(password, "while setting one")
                        .help("remove_password drops password login on update; remove either it or `password`"),
                );
        }
        if required && ssh_span.is_none() && password_span.is_none() && !literal_password {
            self.push(
                Draft::error(
                    codes::LOGIN_REQUIRED,
                    format!("`{path}` has neither `ssh_key` nor `password`"),
                )
                .at(self.file, value.span(), "no way to log in to these nodes")
                .help(
                    "add ssh_key = \"<key pair name>\" or password = { env = \"NODE_PASSWORD\" }",
                ),
            );
        }
        Some(login)
    }

    fn walk_password_ref(&mut self, path: &str, value: &Val<'_>) -> Option<PasswordRef> {
        let table = self.table(path, value)?;
        // Anything else in this table may well be the password itself.
        for (key, value) in table.iter() {
            let name: &str = key.get_ref();
            if !PASSWORD_KEYS.contains(&name) {
                self.redactions.push(value.span());
            }
        }
        self.check_keys(path, table, PASSWORD_KEYS);
        let username = match table.get_key_value("username") {
            Some((_, value)) => self.nonempty(&format!("{path}.username"), value),
            None => Some("root".to_owned()),
        };
        let Some((_, env_value)) = table.get_key_value("env") else {
            self.missing(path, "env", value.span(), "env = \"NODE_PASSWORD\"");
            return None;
        };
        let env = self.nonempty(&format!("{path}.env"), env_value)?;
        if let Err(reason) = rules::check_env_name(&env) {
            // Not a variable name: perhaps the password typed in the wrong place.
            self.redactions.push(env_value.span());
            self.push(
                Draft::error(codes::INVALID_VALUE, format!("`{path}.env` {reason}"))
                    .at(self.file, env_value.span(), "not a variable name")
                    .help("name the environment variable that holds the password, such as \"NODE_PASSWORD\""),
            );
            return None;
        }
        let username = username?;
        // The password itself is only checked when the variable is set here;
        // apply checks it again at the moment it reads it.
        if let Some(password) = (self.env)(&env)
            && let Err(reason) = check_password(&username, &password)
        {
            self.push(
                    Draft::error(
                        codes::WEAK_PASSWORD,
                        format!("the password in `{env}` breaks CCE's password rules: {reason}"),
                    )
                    .at(self.file, env_value.span(), "this variable's value is rejected")
                    .help(format!(
                        "set `{env}` to 8 to 26 characters with three of: uppercase, lowercase, digits, special characters ({}); not containing the user name",
                        PASSWORD_SPECIALS
                    )),
                );
        }
        Some(PasswordRef { username, env })
    }
}
