//! Records the git commit the package is built from, for `middleware
//! --version` (support asks "which build?"). A build outside a git checkout
//! (an sdist) says "unknown".

use std::process::Command;

fn main() {
    let commit = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".into());
    let dirty = Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=no"])
        .output()
        .ok()
        .is_some_and(|out| out.status.success() && !out.stdout.is_empty());
    let commit = if dirty && commit != "unknown" { format!("{commit}+changes") } else { commit };
    println!("cargo:rustc-env=MIDDLEWARE_GIT_COMMIT={commit}");
    // Rebuilt when HEAD moves (a commit, a checkout); not on every edit.
    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/refs");
}
