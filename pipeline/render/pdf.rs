//! Printing the HTML reports to PDF with headless Chromium, run as an
//! external program.
//!
//! Chromium lays out the reports exactly as a reader's browser shows them
//! (CSS `@page`, page breaks, inline SVG charts, the CJK font stack), which no
//! Rust PDF crate does. Each run gets its own throw-away profile and writes to
//! a temp file beside the target, renamed into place only once complete, so
//! parallel prints share nothing and a failed or killed print leaves no
//! half-written file. Headless Chromium exits 0 even when the page failed to
//! load or the file could not be written (it only logs), so success is judged
//! by the output file, not the exit status.

use std::ffi::OsStr;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// Names Chromium goes by in distributions and Google's packages, best first.
const CANDIDATES: [&str; 5] = [
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
    "chrome",
];

const NOT_FOUND: &str = "no Chromium found on PATH; install it (Debian/Ubuntu: \
    `apt-get install chromium fonts-noto-cjk`) or pass --chromium PATH; \
    the HTML reports were written anyway";

/// A report prints in about a second; two minutes means Chromium is stuck.
const TIMEOUT: Duration = Duration::from_secs(120);

/// Flags for every run. `--headless` is the new headless mode (Chromium 132+
/// has no other); `--no-sandbox` because CI runs as root, where the sandbox
/// refuses to start; the rest keep a fresh profile from reaching the network
/// or spending time on first-run work. `--disable-dev-shm-usage`: containers
/// often have a 64 MB /dev/shm, too small for long reports.
const FLAGS: [&str; 9] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// The Chromium to print with: `explicit` if given (must exist and be
/// executable, else an error naming the path), else the first of `chromium`,
/// `chromium-browser`, `google-chrome`, `google-chrome-stable`, `chrome` found
/// on PATH, else an error saying how to install it.
pub fn find_chromium(explicit: Option<&Path>) -> Result<PathBuf> {
    match explicit {
        Some(p) if is_executable(p) => Ok(p.to_path_buf()),
        Some(p) => bail!(
            "Chromium {} does not exist or is not executable",
            p.display()
        ),
        None => find_on_path(&std::env::var_os("PATH").unwrap_or_default()),
    }
}

/// The PATH lookup of `find_chromium`, with PATH as a parameter so tests
/// need not change the process environment.
fn find_on_path(path: &OsStr) -> Result<PathBuf> {
    let dirs: Vec<PathBuf> = std::env::split_paths(path)
        // An empty entry means the current directory to a shell; never
        // run a `chromium` that happens to lie in the working directory.
        .filter(|d| !d.as_os_str().is_empty())
        .collect();
    CANDIDATES
        .iter()
        .flat_map(|name| dirs.iter().map(move |d| d.join(name)))
        .find(|p| is_executable(p))
        .context(NOT_FOUND)
}

#[cfg(unix)]
fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(p: &Path) -> bool {
    p.is_file()
}

/// Prints `html` (a local file) to `pdf` as A4, the page's own `@page` CSS
/// deciding the margins, without Chromium's date/title/URL header and footer.
pub fn print_pdf(chromium: &Path, html: &Path, pdf: &Path) -> Result<()> {
    render(chromium, html, pdf, TIMEOUT, |tmp| {
        vec![
            "--no-pdf-header-footer".into(),
            format!("--print-to-pdf={}", tmp.display()),
        ]
    })
    .with_context(|| format!("cannot print {} to PDF", html.display()))
}

/// Runs Chromium on `html` with the output flags `out_flags(tmp)` and moves
/// the file it wrote at `tmp` to `out`.
fn render(
    chromium: &Path,
    html: &Path,
    out: &Path,
    timeout: Duration,
    out_flags: impl FnOnce(&Path) -> Vec<String>,
) -> Result<()> {
    // Chromium only logs a missing page (exit status 0): say it here, plainly.
    let html_abs =
        std::fs::canonicalize(html).with_context(|| format!("cannot read {}", html.display()))?;
    let run = Scratch::new(out)?;
    let log = run.dir.join("chromium.log");
    let mut child = Command::new(chromium)
        .args(FLAGS)
        .arg(format!(
            "--user-data-dir={}",
            run.dir.join("profile").display()
        ))
        .args(out_flags(&run.tmp))
        .arg(file_url(&html_abs))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        // A file, not a pipe: nothing to drain while waiting, and Chromium's
        // helper processes holding it open cannot block us.
        .stderr(File::create(&log).with_context(|| format!("cannot create {}", log.display()))?)
        .spawn()
        .with_context(|| format!("cannot run {}", chromium.display()))?;
    if !wait_until(&mut child, timeout) {
        bail!(
            "Chromium did not finish within {} s and was killed{}",
            timeout.as_secs(),
            stderr_tail(&log)
        );
    }
    if !run.tmp_is_complete() {
        bail!("Chromium wrote no complete file{}", stderr_tail(&log));
    }
    run.commit(out)
}

/// Waits for `child` until `timeout`; false if it had to be killed. Killing
/// the browser process is enough: its helpers exit when it is gone.
fn wait_until(child: &mut Child, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    false
}

/// The last lines Chromium logged, for error messages. D-Bus complaints are
/// left out: every server without a desktop session logs dozens of them,
/// which would push the line that says what went wrong out of view.
fn stderr_tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().filter(|l| !l.contains("dbus")).collect();
    let tail = &lines[lines.len().saturating_sub(8)..];
    if tail.is_empty() {
        return "; it logged nothing".into();
    }
    format!("; its last log lines:\n{}", tail.join("\n"))
}

/// `file://` URL of an absolute path, percent-encoded so spaces, `#`, `%`
/// and Chinese file names reach Chromium intact.
fn file_url(abs: &Path) -> String {
    let mut url = String::from("file://");
    for &b in abs.as_os_str().as_encoded_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            url.push(b as char);
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    url
}

/// Distinguishes the runs of one process; with the pid, of all processes.
static RUN: AtomicU64 = AtomicU64::new(0);

/// One run's private files: a temp dir (profile, log) and the temp output
/// beside the target. Both are removed on drop; the output unless committed.
struct Scratch {
    dir: PathBuf,
    tmp: PathBuf,
}

impl Scratch {
    fn new(out: &Path) -> Result<Scratch> {
        let id = format!(
            "{}-{}",
            std::process::id(),
            RUN.fetch_add(1, Ordering::Relaxed)
        );
        let name = out.file_name().context("output path has no file name")?;
        // The extension stays last, as Chromium names output formats by it.
        let ext = out
            .extension()
            .map(|e| e.to_string_lossy())
            .unwrap_or_default();
        let tmp = out.with_file_name(format!(".{}.{id}.tmp.{ext}", name.to_string_lossy()));
        let dir = std::env::temp_dir().join(format!("pingyi-chromium-{id}"));
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        // Before any early return, so the dir above is removed by drop.
        let scratch = Scratch { dir, tmp };
        if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        Ok(scratch)
    }

    /// Chromium may die mid-write; a file cut short lacks the format's trailer.
    fn tmp_is_complete(&self) -> bool {
        let Ok(bytes) = std::fs::read(&self.tmp) else {
            return false;
        };
        let tail = &bytes[bytes.len().saturating_sub(1024)..];
        let has = |needle: &[u8]| tail.windows(needle.len()).any(|w| w == needle);
        bytes.starts_with(b"%PDF-") && has(b"%%EOF")
    }

    fn commit(self, out: &Path) -> Result<()> {
        // Synced before the rename, as fsutil::AtomicFile does, so a crash
        // cannot leave an empty file under the final name.
        File::open(&self.tmp)
            .and_then(|f| f.sync_all())
            .with_context(|| format!("cannot sync {}", self.tmp.display()))?;
        std::fs::rename(&self.tmp, out)
            .with_context(|| format!("cannot move {} into place", out.display()))?;
        if let Some(parent) = out.parent() {
            crate::fsutil::sync_dir(parent);
        }
        Ok(())
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // After a commit the temp output is gone and this is a no-op.
        let _ = std::fs::remove_file(&self.tmp);
        // After a kill, Chromium's helpers live on for a moment and still
        // write into the profile, so one pass can leave it behind.
        for _ in 0..30 {
            if std::fs::remove_dir_all(&self.dir).is_ok() || !self.dir.exists() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_chromium_that_does_not_exist_is_named() {
        let err = find_chromium(Some(Path::new("/nonexistent/chromium-xyz"))).unwrap_err();
        assert!(
            err.to_string().contains("/nonexistent/chromium-xyz"),
            "{err}"
        );
    }

    #[test]
    fn empty_path_gives_the_install_hint() {
        let err = find_on_path(OsStr::new("")).unwrap_err();
        assert_eq!(err.to_string(), NOT_FOUND);
        assert!(NOT_FOUND.contains("apt-get install chromium fonts-noto-cjk"));
    }

    #[test]
    fn path_lookup_prefers_names_in_order_and_needs_exec_bit() {
        use std::os::unix::fs::PermissionsExt;
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let make = |dir: &Path, name: &str, mode: u32| {
            let p = dir.join(name);
            std::fs::write(&p, "#!/bin/sh\n").unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
            p
        };
        make(a.path(), "chromium", 0o644); // not executable: skipped
        make(a.path(), "google-chrome", 0o755);
        let want = make(b.path(), "chromium-browser", 0o755);
        let path = std::env::join_paths([a.path(), b.path()]).unwrap();
        assert_eq!(find_on_path(&path).unwrap(), want);
    }

    #[test]
    fn file_urls_are_percent_encoded() {
        let url = file_url(Path::new("/tmp/a b/领导#1.html"));
        assert_eq!(url, "file:///tmp/a%20b/%E9%A2%86%E5%AF%BC%231.html");
    }

    #[test]
    fn missing_html_is_named_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let html = dir.path().join("missing.html");
        let pdf = dir.path().join("out.pdf");
        // No Chromium is started: the HTML is checked first.
        let err = print_pdf(Path::new("/bin/false"), &html, &pdf).unwrap_err();
        assert!(format!("{err:#}").contains("missing.html"), "{err:#}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_browser_that_writes_nothing_fails_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let html = dir.path().join("r.html");
        std::fs::write(&html, "<h1>x</h1>").unwrap();
        // Exits 0 having written nothing, as Chromium does when a print fails.
        let err = print_pdf(Path::new("/bin/true"), &html, &dir.path().join("r.pdf")).unwrap_err();
        let err = format!("{err:#}");
        assert!(
            err.contains("r.html") && err.contains("no complete file"),
            "{err}"
        );
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, ["r.html"]);
    }

    #[test]
    fn stderr_tail_skips_dbus_noise() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("chromium.log");
        let noise = "[1:2:ERROR:dbus/bus.cc:405] Failed to connect to the bus\n".repeat(40);
        std::fs::write(
            &log,
            format!("early\n{noise}Page load failed: net::ERR_FILE_NOT_FOUND\n{noise}"),
        )
        .unwrap();
        let tail = stderr_tail(&log);
        assert!(tail.contains("early\nPage load failed"), "{tail}");
        assert!(!tail.contains("dbus"), "{tail}");
    }
}
