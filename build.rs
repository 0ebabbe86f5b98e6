//! Records the git commit the package is built from, for `middleware
//! --version` (support asks "which build?"). In a git checkout, git says; an
//! sdist carries `build-commit.txt` (written by dev/wheel.sh and the release
//! workflow); anything else says "unknown" rather than failing the build.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The file an sdist carries instead of `.git` (listed in pyproject's includes).
const COMMIT_FILE: &str = "build-commit.txt";

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let commit = if own_checkout(&root) {
        let commit = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".into());
        let dirty = git(&["status", "--porcelain", "--untracked-files=no"]).is_some();
        // Rebuilt when HEAD moves (a commit, a checkout); not on every edit.
        for path in head_files() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
        if dirty && commit != "unknown" { format!("{commit}+changes") } else { commit }
    } else {
        println!("cargo:rerun-if-changed={COMMIT_FILE}");
        std::fs::read_to_string(root.join(COMMIT_FILE))
            .ok()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '+'))
            .unwrap_or_else(|| "unknown".into())
    };
    // A missing file would make cargo rerun this script on every build.
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rustc-env=MIDDLEWARE_GIT_COMMIT={commit}");
}

/// Whether the crate is the top of a git work tree: an sdist unpacked inside
/// some other repository must not report that repository's commit.
fn own_checkout(root: &Path) -> bool {
    let Some(top) = git(&["rev-parse", "--show-toplevel"]) else { return false };
    match (Path::new(&top).canonicalize(), root.canonicalize()) {
        (Ok(top), Ok(root)) => top == root,
        _ => false,
    }
}

/// The files a commit or checkout changes: HEAD, the branch it names, packed
/// refs. Resolved by git, so a worktree (where `.git` is a file) works too.
fn head_files() -> Vec<PathBuf> {
    let mut names = vec!["HEAD".to_string(), "packed-refs".to_string()];
    names.extend(git(&["symbolic-ref", "-q", "HEAD"]));
    names
        .iter()
        .filter_map(|name| git(&["rev-parse", "--git-path", name]))
        .map(PathBuf::from)
        .filter(|path| path.exists())
        .collect()
}

/// One git command's trimmed output; None when git is missing, fails or says nothing.
fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let text = text.trim();
    (out.status.success() && !text.is_empty()).then(|| text.to_string())
}
