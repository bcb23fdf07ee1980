//! The CI recipes under `examples/ci/` run as written: every `poolform`
//! command line in them is run, in order, against the built-in simulator in
//! a git repository laid out like the recipes expect, so a renamed flag or
//! a changed exit code breaks the build. (`.ci/run` lints the files
//! themselves: actionlint for GitHub, YAML for GitLab.)

use std::path::{Path, PathBuf};
use std::process::Command;

/// The recipes, in the order a configuration meets them: plan a change,
/// apply it on merge, look for drift at night.
const RECIPES: [&str; 6] = [
    "examples/ci/github/poolform-plan.yml",
    "examples/ci/github/poolform-apply.yml",
    "examples/ci/github/poolform-drift.yml",
    "examples/ci/gitlab/poolform-plan.gitlab-ci.yml",
    "examples/ci/gitlab/poolform-apply.gitlab-ci.yml",
    "examples/ci/gitlab/poolform-drift.gitlab-ci.yml",
];

/// The variables the recipes' poolform lines may use, and what they stand
/// for here.
const VARIABLES: [(&str, &str); 3] = [
    ("$CONFIG", "infra/prod"),
    ("$BASE", "HEAD"),
    ("$PLAN_FILE", "poolform-prod.plan"),
];

const CONFIG: &str = r#"
[cloud]
region = "ap-southeast-1"

[clusters.prod]
id = "c-recipes-0001"

[pools.prod-web]
cluster = "prod"
name = "web"
flavor = "c7.large.2"
az = "ap-southeast-1a"
os = "Huawei Cloud EulerOS 2.0"
node_count = 1
login = { ssh_key = "kp-prod" }
root_volume = { type = "GPSSD", size = 50 }
data_volumes = [{ type = "GPSSD", size = 100 }]
"#;

/// The poolform command lines of a recipe: a line (or a `run:` value, or
/// a GitLab script item) that starts with `poolform`, cut at the first
/// shell operator, split into words with the variables substituted.
fn command_lines(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .map(str::trim_start)
        .filter(|line| !line.starts_with('#'))
        .map(|line| line.strip_prefix("- ").unwrap_or(line))
        .map(|line| line.strip_prefix("run: ").unwrap_or(line))
        .filter(|line| line.starts_with("poolform "))
        .map(|line| shell_words(line).into_iter().map(substitute).collect())
        .collect()
}

/// Words of a simple shell command up to the first operator (`>`, `|`,
/// `||`, `&&`, `;`), with quotes removed.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for character in line.chars() {
        match (quote, character) {
            (Some(open), c) if c == open => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(character);
                in_word = true;
            }
            (None, '>' | '|' | '&' | ';') => break,
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

fn substitute(word: String) -> String {
    let mut word = word;
    for (name, value) in VARIABLES {
        word = word.replace(name, value);
    }
    assert!(
        !word.contains('$'),
        "a poolform line in a recipe uses a variable this test does not know: {word}"
    );
    word
}

fn git(root: &Path, args: &[&str]) {
    let status = Command::new("git")
        .arg("-C")
        .arg(root)
        .args([
            "-c",
            "user.name=poolform tests",
            "-c",
            "user.email=tests@example.invalid",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

#[test]
fn every_poolform_line_of_the_ci_recipes_runs_against_the_simulator() {
    let repository = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("repo");
    std::fs::create_dir_all(root.join("infra/prod")).expect("mkdir");
    std::fs::write(root.join("infra/prod/poolform.toml"), CONFIG).expect("write");
    git(&root, &["init", "-q", "-b", "main"]);
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-q", "-m", "prod"]);
    let state: PathBuf = dir.path().join("sim-state.json");

    let mut subcommands = std::collections::BTreeSet::new();
    for recipe in RECIPES {
        let text = std::fs::read_to_string(repository.join(recipe)).expect("recipe");
        let lines = command_lines(&text);
        assert!(!lines.is_empty(), "{recipe} runs no poolform command");
        for words in lines {
            subcommands.insert(words[1].clone());
            let output = Command::new(env!("CARGO_BIN_EXE_poolform"))
                .current_dir(&root)
                .args(&words[1..])
                .arg(format!("--sim={}", state.display()))
                .env("NO_COLOR", "1")
                .output()
                .expect("poolform runs");
            let code = output.status.code();
            assert!(
                matches!(code, Some(0 | 2)),
                "{recipe}: `{}` exited {code:?}\nstdout:\n{}\nstderr:\n{}",
                words.join(" "),
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
    assert_eq!(
        subcommands.into_iter().collect::<Vec<_>>(),
        ["apply", "drift", "plan"]
    );
}

#[test]
fn command_lines_are_cut_at_shell_operators() {
    let lines = command_lines(
        "      run: poolform apply \"$PLAN_FILE\"\n    - poolform drift \"$CONFIG\" --format markdown > drift.md || code=$?\n  # poolform plan commented\n  cargo install poolform\n",
    );
    assert_eq!(
        lines,
        [
            vec!["poolform", "apply", "poolform-prod.plan"],
            vec!["poolform", "drift", "infra/prod", "--format", "markdown"],
        ]
    );
}
