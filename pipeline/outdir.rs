//! Where a command may write (`--out`). No command deletes or overwrites what
//! it did not create: a folder a command publishes whole is replaced only
//! when it is new, empty, or marked as that command's earlier output (a
//! `.pingyi-output` file naming the command); and nothing is ever written
//! over, or into, the configured warehouse, inbox or reports folders, the
//! configuration file, or a folder that contains any of them.

use std::path::{Component, Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::config::{Config, ConfigOrigin};

/// The file that marks a folder as a command's output. Its text is the
/// command's name, so `forms` never replaces a `sample` folder.
pub const MARKER: &str = ".pingyi-output";

/// What no `--out` may name, contain, or (for the data folders) lie inside.
pub struct Protected {
    /// (what it is, absolute path)
    places: Vec<(&'static str, PathBuf)>,
}

impl Protected {
    pub fn new(cfg: &Config, origin: &ConfigOrigin) -> Protected {
        let mut places = vec![
            ("the configured warehouse", absolute(&cfg.paths.warehouse)),
            ("the configured inbox", absolute(&cfg.paths.inbox)),
            (
                "the configured reports folder",
                absolute(&cfg.paths.reports),
            ),
        ];
        if let ConfigOrigin::File(p) = origin {
            places.push(("the configuration file", absolute(p)));
        }
        Protected { places }
    }

    /// Refuses an output path that is, contains or lies inside a protected
    /// place (`inside_reports`: whether a path inside the reports folder is
    /// allowed — the reports command's own folders are).
    fn check(&self, flag: &str, out: &Path, inside_reports: bool) -> Result<()> {
        let abs = absolute(out);
        for (what, place) in &self.places {
            if place.starts_with(&abs) {
                let how = if *place == abs { "is" } else { "contains" };
                bail!(
                    "{flag} {} {how} {what} ({}); pingyi never writes over it: name another folder",
                    out.display(),
                    place.display()
                );
            }
            let reports = *what == "the configured reports folder";
            if abs.starts_with(place) && !(reports && inside_reports) {
                bail!(
                    "{flag} {} lies inside {what} ({}), which pingyi manages itself: name a folder outside it",
                    out.display(),
                    place.display()
                );
            }
        }
        Ok(())
    }

    /// A folder the command `command` will publish whole (replacing an
    /// earlier one): refused when protected, or when it already holds files
    /// that are not that command's marked output.
    pub fn folder(&self, flag: &str, out: &Path, command: &str) -> Result<()> {
        if out.is_file() {
            bail!("{flag} {} is a file; name a folder", out.display());
        }
        self.check(flag, out, false)?;
        check_owned(flag, out, command)
    }

    /// A single file a command writes (replacing an earlier one).
    pub fn file(&self, flag: &str, out: &Path) -> Result<()> {
        if out.is_dir() {
            bail!("{flag} {} is a folder; name a file", out.display());
        }
        self.check(flag, out, true)
    }
}

/// Refuses a non-empty folder that is not `command`'s marked output.
pub fn check_owned(flag: &str, out: &Path, command: &str) -> Result<()> {
    let Ok(entries) = std::fs::read_dir(out) else {
        return Ok(()); // not there yet: created by the publish
    };
    let names: Vec<String> = entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    if names.is_empty() || marked_by(out, command) {
        return Ok(());
    }
    let mut shown: Vec<&str> = names.iter().map(String::as_str).take(5).collect();
    shown.sort_unstable();
    let more = if names.len() > 5 { ", …" } else { "" };
    bail!(
        "{flag} {} already holds files pingyi did not write there ({}{more}); `pingyi {command}` replaces its folder whole, so it only writes into a new or empty folder or one it wrote before: name another folder",
        out.display(),
        shown.join(", ")
    )
}

/// Whether `dir` carries `command`'s marker. Folders written before
/// markers existed are known by a file only that command writes (a
/// report's `.stamp`, a draw's `audit.json`).
pub fn marked_by(dir: &Path, command: &str) -> bool {
    std::fs::read_to_string(dir.join(MARKER)).is_ok_and(|t| t.trim() == command)
        || (command == "report" && dir.join(".stamp").is_file())
        || (command == "sample" && dir.join("audit.json").is_file())
}

/// Whether `dir` is some command's output (marked), or empty.
pub fn made_by_pingyi(dir: &Path) -> bool {
    dir.join(MARKER).is_file()
        || dir.join(".stamp").is_file()
        || std::fs::read_dir(dir).is_ok_and(|mut e| e.next().is_none())
}

/// The reports folder is published into by replacing folders in it, so it
/// must not hold the warehouse or the inbox (`paths.reports = "."` would).
pub fn check_reports_root(cfg: &Config) -> Result<()> {
    let reports = absolute(&cfg.paths.reports);
    for (key, path) in [
        ("paths.warehouse", &cfg.paths.warehouse),
        ("paths.inbox", &cfg.paths.inbox),
    ] {
        if absolute(path).starts_with(&reports) {
            bail!(
                "paths.reports ({}) holds {key} ({}); reports are published by replacing folders inside paths.reports, so give it a folder of its own",
                cfg.paths.reports.display(),
                path.display()
            );
        }
    }
    Ok(())
}

/// Marks `dir` (a staging folder about to be published) as `command`'s.
pub fn mark(dir: &Path, command: &str) -> Result<()> {
    std::fs::write(dir.join(MARKER), format!("{command}\n"))
        .with_context(|| format!("cannot write {}", dir.join(MARKER).display()))
}

/// `path` made absolute and lexically normalized, with symlinks of its
/// longest existing ancestor resolved (so `./x/../warehouse` and a link to
/// the warehouse compare equal to the warehouse).
pub fn absolute(path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .unwrap_or_else(|_| PathBuf::from("/"))
            .join(path)
    };
    let mut clean = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::ParentDir => {
                clean.pop();
            }
            Component::CurDir => {}
            other => clean.push(other),
        }
    }
    resolve_existing(&clean)
}

/// Canonicalizes the longest existing prefix and appends the rest.
fn resolve_existing(path: &Path) -> PathBuf {
    let mut rest = Vec::new();
    let mut head = path.to_path_buf();
    loop {
        if let Ok(real) = head.canonicalize() {
            let mut out = real;
            out.extend(rest.iter().rev());
            return out;
        }
        match (head.file_name().map(|n| n.to_os_string()), head.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name);
                head = parent.to_path_buf();
            }
            _ => return path.to_path_buf(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_resolves_dots_and_links_of_existing_parents() {
        let tmp = std::env::temp_dir().join(format!("outdir-{}", std::process::id()));
        std::fs::create_dir_all(tmp.join("real")).unwrap();
        let _ = std::fs::remove_file(tmp.join("link"));
        std::os::unix::fs::symlink(tmp.join("real"), tmp.join("link")).unwrap();
        let real = tmp.join("real").canonicalize().unwrap();
        assert_eq!(absolute(&tmp.join("link/new/x")), real.join("new/x"));
        assert_eq!(absolute(&tmp.join("real/a/../b")), real.join("b"));
        std::fs::remove_dir_all(&tmp).unwrap();
    }

    #[test]
    fn a_foreign_folder_is_refused_and_a_marked_one_taken() {
        let tmp = std::env::temp_dir().join(format!("outdir-owned-{}", std::process::id()));
        std::fs::create_dir_all(&tmp).unwrap();
        assert!(check_owned("--out", &tmp, "forms").is_ok(), "empty");
        std::fs::write(tmp.join("notes.txt"), "mine").unwrap();
        let err = check_owned("--out", &tmp, "forms").unwrap_err().to_string();
        assert!(err.contains("notes.txt"), "{err}");
        mark(&tmp, "sample").unwrap();
        assert!(
            check_owned("--out", &tmp, "forms").is_err(),
            "another command's"
        );
        mark(&tmp, "forms").unwrap();
        assert!(check_owned("--out", &tmp, "forms").is_ok());
        std::fs::remove_dir_all(&tmp).unwrap();
    }
}
