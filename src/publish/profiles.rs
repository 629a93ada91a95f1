//! AWS profile names, read from the shared config and credentials files the way the AWS CLI finds
//! them (`AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/config` and
//! `~/.aws/credentials`). The SDK only notices a misspelt profile deep inside a "no credentials"
//! error, so `publish` checks the name first and lists the profiles that exist.

use std::collections::BTreeSet;
use std::path::PathBuf;

/// Where the two files are, from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileFiles {
    pub config: PathBuf,
    pub credentials: PathBuf,
}

impl ProfileFiles {
    /// Resolves the locations from `env` (a lookup such as `std::env::var`).
    pub fn locate(env: impl Fn(&str) -> Option<String>) -> ProfileFiles {
        let home = env("HOME")
            .or_else(|| env("USERPROFILE"))
            .unwrap_or_default();
        let expand = |p: String| -> PathBuf {
            match p.strip_prefix("~/") {
                Some(rest) => PathBuf::from(&home).join(rest),
                None => PathBuf::from(p),
            }
        };
        ProfileFiles {
            config: expand(
                env("AWS_CONFIG_FILE")
                    .filter(|v| !v.is_empty())
                    .unwrap_or_else(|| "~/.aws/config".into()),
            ),
            credentials: expand(
                env("AWS_SHARED_CREDENTIALS_FILE")
                    .filter(|v| !v.is_empty())
                    .unwrap_or_else(|| "~/.aws/credentials".into()),
            ),
        }
    }

    /// Every profile named in either file, sorted.
    pub fn names(&self) -> BTreeSet<String> {
        let read = |p: &PathBuf| std::fs::read_to_string(p).unwrap_or_default();
        let mut names = config_profiles(&read(&self.config));
        names.extend(credentials_profiles(&read(&self.credentials)));
        names
    }

    /// `Ok` if `name` is defined; else the message naming the profiles that are.
    pub fn check(&self, name: &str) -> Result<(), String> {
        let names = self.names();
        if names.contains(name) {
            return Ok(());
        }
        let known = if names.is_empty() {
            "no profiles are defined there".to_string()
        } else {
            let list: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
            format!("profiles there: {}", list.join(", "))
        };
        Err(format!(
            "AWS profile `{name}` does not exist in {} or {} ({known})",
            self.config.display(),
            self.credentials.display()
        ))
    }
}

/// Section names of an INI-style file, trimmed.
fn sections(text: &str) -> impl Iterator<Item = &str> {
    text.lines().filter_map(|line| {
        let line = line.trim();
        let inner = line.strip_prefix('[')?;
        let end = inner.find(']')?;
        Some(inner[..end].trim())
    })
}

/// In the config file a profile is `[default]`, `[profile NAME]` (`[sso-session …]` and
/// `[services …]` are not profiles).
fn config_profiles(text: &str) -> BTreeSet<String> {
    sections(text)
        .filter_map(|s| {
            if s == "default" {
                Some(s.to_string())
            } else {
                s.strip_prefix("profile")
                    .filter(|rest| rest.starts_with(char::is_whitespace))
                    .map(|rest| rest.trim().to_string())
            }
        })
        .collect()
}

/// In the credentials file every section is a profile.
fn credentials_profiles(text: &str) -> BTreeSet<String> {
    sections(text).map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_sections_of_both_files() {
        let config = "[default]\nregion = us-east-1\n[profile docs]\nregion=eu-central-1\n\
                      [profile  deploy ]\nrole_arn = x\n[sso-session corp]\n[services local]\n[stray]\n";
        let names: Vec<_> = config_profiles(config).into_iter().collect();
        assert_eq!(names, ["default", "deploy", "docs"]);
        let creds = "# comment\n[default]\naws_access_key_id=x\n[site]\n";
        let names: Vec<_> = credentials_profiles(creds).into_iter().collect();
        assert_eq!(names, ["default", "site"]);
    }

    #[test]
    fn locate_respects_env_overrides_and_home() {
        let env = |k: &str| match k {
            "HOME" => Some("/home/u".to_string()),
            "AWS_CONFIG_FILE" => Some("/etc/aws-config".to_string()),
            _ => None,
        };
        let files = ProfileFiles::locate(env);
        assert_eq!(files.config, PathBuf::from("/etc/aws-config"));
        assert_eq!(files.credentials, PathBuf::from("/home/u/.aws/credentials"));
    }

    #[test]
    fn unknown_profile_lists_the_known_ones() {
        let dir = tempfile::tempdir().unwrap();
        let files = ProfileFiles {
            config: dir.path().join("config"),
            credentials: dir.path().join("credentials"),
        };
        std::fs::write(&files.config, "[profile docs]\n").unwrap();
        std::fs::write(&files.credentials, "[site]\n").unwrap();
        assert!(files.check("docs").is_ok());
        assert!(files.check("site").is_ok());
        let err = files.check("dcos").unwrap_err();
        assert!(err.contains("`dcos` does not exist"), "{err}");
        assert!(err.contains("profiles there: `docs`, `site`"), "{err}");
        std::fs::remove_file(&files.config).unwrap();
        std::fs::remove_file(&files.credentials).unwrap();
        assert!(files
            .check("x")
            .unwrap_err()
            .contains("no profiles are defined"));
    }
}
