//! The pipeline's imports point one way.
//!
//! Every `crate::…` path in the library's non-test code is read with `syn`
//! and checked against [`ALLOWED`], the table of which top-level module may
//! use which. A new arrow up the pipeline (diff reaching into plan, plan into
//! the HTTP client, the simulator into the client's types) fails here, with
//! the table printed so the reader sees the intended shape.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// Which top-level modules each module may use, bottom of the pipeline first.
/// `cli` (the binary's commands) and the crate root (the library's front
/// door) compose everything and are not listed.
const ALLOWED: &[(&str, &[&str])] = &[
    ("model", &[]),
    ("sign", &[]),
    ("api", &["model"]),
    ("config", &["model"]),
    ("diff", &["model"]),
    ("plan", &["diff", "model", "api"]),
    ("render", &["plan", "diff", "model"]),
    ("live", &["api", "model", "sign"]),
    ("apply", &["plan", "diff", "api", "model"]),
    ("sim", &["sign"]),
    ("import", &["config", "live", "api", "model"]),
];

/// Modules nothing else may use: the commands sit above the library.
const TOP: &[&str] = &["cli"];

#[test]
fn imports_follow_the_pipeline() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut uses: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
    for file in rust_files(&src) {
        let Some(module) = top_module(&src, &file) else {
            continue;
        };
        let text = std::fs::read_to_string(&file).unwrap();
        let relative = file.strip_prefix(&src).unwrap().display().to_string();
        for target in crate_paths(&text, &relative) {
            uses.entry(module.clone())
                .or_default()
                .insert((target, relative.clone()));
        }
    }
    let violations = violations(&uses);
    assert!(
        violations.is_empty(),
        "imports against the pipeline's direction:\n{}\n\nthe allowed edges:\n{}",
        violations.join("\n"),
        table()
    );
}

/// Proof that the check sees what it is for: a forbidden `use` in diff, a
/// path written out in an expression in plan, and a `use` inside a nested
/// module are all caught, while a test module's imports are not.
#[test]
fn a_forbidden_import_is_caught() {
    let diff = "use crate::plan::PoolAction;\nfn f() {}\n";
    let plan = "fn g() { let _ = crate::live::request::REFRESH; }\n";
    let nested = "mod inner { use crate::{model::Desired, apply::Event}; }\n";
    let test_only = "#[cfg(test)]\nmod tests { use crate::cli::run; }\n";
    let mut uses: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
    for (module, text) in [
        ("diff", diff),
        ("plan", plan),
        ("render", nested),
        ("render", test_only),
    ] {
        for target in crate_paths(text, module) {
            uses.entry(module.to_owned())
                .or_default()
                .insert((target, format!("{module}.rs")));
        }
    }
    assert_eq!(
        violations(&uses),
        [
            "diff uses crate::plan (in diff.rs)",
            "plan uses crate::live (in plan.rs)",
            "render uses crate::apply (in render.rs)",
        ]
    );
}

fn violations(uses: &BTreeMap<String, BTreeSet<(String, String)>>) -> Vec<String> {
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut out = Vec::new();
    for (module, targets) in uses {
        for (target, file) in targets {
            if target == module {
                continue;
            }
            let ok = match allowed.get(module.as_str()) {
                Some(permitted) => permitted.contains(&target.as_str()),
                // The commands and the crate root compose the library; only
                // nothing may reach up into the commands.
                None => true,
            };
            if !ok || (TOP.contains(&target.as_str()) && !TOP.contains(&module.as_str())) {
                out.push(format!("{module} uses crate::{target} (in {file})"));
            }
        }
    }
    out
}

fn table() -> String {
    ALLOWED
        .iter()
        .map(|(module, targets)| {
            let targets = if targets.is_empty() {
                "(nothing)".to_owned()
            } else {
                targets.join(", ")
            };
            format!("  {module:<7} -> {targets}")
        })
        .chain(std::iter::once(format!(
            "  {:<7} -> anything (no module may use it)",
            TOP.join(", ")
        )))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level module a file under `src/` belongs to; `None` for the crate
/// root and the binary's `main.rs`.
fn top_module(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).ok()?;
    let first = relative.components().next()?.as_os_str().to_str()?;
    if relative.components().count() == 1 {
        let stem = first.strip_suffix(".rs")?;
        return (!matches!(stem, "lib" | "main")).then(|| stem.to_owned());
    }
    Some(first.to_owned())
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") && !is_test_file(&path) {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Files that hold only tests (declared `#[cfg(test)] mod …;` by their parent).
fn is_test_file(path: &Path) -> bool {
    let stem = path
        .file_stem()
        .and_then(|stem| stem.to_str())
        .unwrap_or("");
    matches!(stem, "tests" | "proptests" | "test_support")
}

/// The top-level modules named by every `crate::…` path in non-test code.
fn crate_paths(text: &str, file: &str) -> BTreeSet<String> {
    let syntax = syn::parse_file(text).unwrap_or_else(|error| panic!("{file}: {error}"));
    let mut collector = Collector::default();
    collector.visit_file(&syntax);
    collector.targets
}

#[derive(Default)]
struct Collector {
    targets: BTreeSet<String>,
}

fn is_test_only(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("cfg")
            && attr
                .parse_args::<syn::Meta>()
                .is_ok_and(|meta| meta.path().is_ident("test"))
    })
}

impl Collector {
    fn use_tree(&mut self, tree: &syn::UseTree, under_crate: bool) {
        match tree {
            syn::UseTree::Path(path) if !under_crate && path.ident == "crate" => {
                self.use_tree(&path.tree, true);
            }
            syn::UseTree::Path(_) if !under_crate => {}
            syn::UseTree::Path(path) => {
                self.targets.insert(path.ident.to_string());
            }
            syn::UseTree::Name(name) if under_crate => {
                self.targets.insert(name.ident.to_string());
            }
            syn::UseTree::Rename(rename) if under_crate => {
                self.targets.insert(rename.ident.to_string());
            }
            syn::UseTree::Group(group) => {
                for tree in &group.items {
                    self.use_tree(tree, under_crate);
                }
            }
            _ => {}
        }
    }
}

impl<'ast> Visit<'ast> for Collector {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        let attrs = match item {
            syn::Item::Mod(item) => &item.attrs,
            syn::Item::Fn(item) => &item.attrs,
            syn::Item::Impl(item) => &item.attrs,
            syn::Item::Use(item) => &item.attrs,
            syn::Item::Const(item) => &item.attrs,
            syn::Item::Struct(item) => &item.attrs,
            syn::Item::Enum(item) => &item.attrs,
            _ => return syn::visit::visit_item(self, item),
        };
        if !is_test_only(attrs) {
            syn::visit::visit_item(self, item);
        }
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.use_tree(&item.tree, false);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let mut segments = path.segments.iter();
        if segments.next().is_some_and(|first| first.ident == "crate")
            && let Some(second) = segments.next()
        {
            self.targets.insert(second.ident.to_string());
        }
        syn::visit::visit_path(self, path);
    }
}
