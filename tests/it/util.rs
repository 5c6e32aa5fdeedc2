//! Running the built `pingyi` binary in a temporary folder.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, OnceLock};

pub struct Dir {
    pub tmp: tempfile::TempDir,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Dir {
    pub fn new() -> Dir {
        Dir {
            tmp: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    pub fn join(&self, p: &str) -> PathBuf {
        self.tmp.path().join(p)
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.join(name);
        std::fs::write(&p, text).expect("write fixture");
        p
    }

    /// Runs `pingyi ARGS` with this folder as the working directory.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[])
    }

    /// Runs with extra environment variables (fault injection, keys).
    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let out: Output = Command::new(env!("CARGO_BIN_EXE_pingyi"))
            .args(args)
            .current_dir(self.path())
            .env_remove("PINGYI_RATER_KEY")
            .envs(env.iter().copied())
            .output()
            .expect("run pingyi");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Runs and insists on success.
    pub fn ok(&self, args: &[&str]) -> Run {
        let r = self.run(args);
        assert_eq!(
            r.code, 0,
            "pingyi {args:?} failed:\n{}\n{}",
            r.stdout, r.stderr
        );
        r
    }
}

/// The repository root (for the committed pingyi.toml and sample data).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The names of the `.sql` files in `dir` (named queries, metric models), sorted.
pub fn sql_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Splits one CSV line (quote-aware; `""` inside quotes is a quote).
pub fn split_csv(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                out.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(String::new()),
            _ => out.last_mut().unwrap().push(c),
        }
    }
    out
}

/// The records of CSV text, a newline inside a quoted field kept in it.
pub fn csv_records(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (i, c) in text.char_indices() {
        match c {
            // An escaped quote ("") toggles twice.
            '"' => quoted = !quoted,
            '\n' if !quoted => {
                records.push(split_csv(text[start..i].trim_end_matches('\r')));
                start = i + 1;
            }
            _ => {}
        }
    }
    if start < text.len() {
        records.push(split_csv(&text[start..]));
    }
    records
}

/// Every file under `dir`, as (relative path, bytes), sorted by path.
pub fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(p) = stack.pop() {
        for e in std::fs::read_dir(&p).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((
                    p.strip_prefix(dir).unwrap().display().to_string(),
                    std::fs::read(&p).unwrap(),
                ));
            }
        }
    }
    out.sort();
    out
}

/// The sample data ingested and computed once for the tests that only read
/// it (reports, queries); each test works in its own folder.
pub fn sample_warehouse() -> &'static Path {
    static WH: OnceLock<PathBuf> = OnceLock::new();
    WH.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sample-warehouse");
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        let d = Dir {
            tmp: tempfile::tempdir_in(&root).unwrap(),
        };
        d.write("pingyi.toml", &sample_config("wh"));
        d.run(&["ingest"]);
        d.ok(&["compute"]);
        // Kept for the life of the test binary.
        let wh = d.join("wh");
        std::mem::forget(d);
        wh
    })
}

/// The repository's configuration with its paths pointed elsewhere.
pub fn sample_config(warehouse: &str) -> String {
    let root = std::fs::read_to_string(repo().join("pingyi.toml")).unwrap();
    let rest = &root[root.find("[privacy]").unwrap()..];
    let inbox = repo().join("sample-data/inbox");
    format!(
        "[paths]\ninbox = {:?}\nwarehouse = {:?}\nreports = \"reports\"\n{rest}",
        inbox.display().to_string(),
        warehouse
    )
}

/// The header of a ratings CSV without rater ids or comments.
pub const PLAIN_HEAD: &str = "问卷编号,被评议对象编号,评议日期,评议人类别,评议方式,评议途径,评价\n";

/// The columns of `PLAIN_HEAD`, for workbooks.
pub const PLAIN_COLUMNS: [&str; 7] = [
    "问卷编号",
    "被评议对象编号",
    "评议日期",
    "评议人类别",
    "评议方式",
    "评议途径",
    "评价",
];

/// A row under `PLAIN_COLUMNS`: form `id` rates ZZ0001 `rating` on
/// 2012-09-03, a 普通群众 answering a questionnaire (群众测评, 问卷).
pub fn plain_row<'a>(id: &'a str, rating: &'a str) -> [&'a str; 7] {
    [
        id,
        "ZZ0001",
        "2012-09-03",
        "普通群众",
        "群众测评",
        "问卷",
        rating,
    ]
}

/// Writes `cells` as text into row `r` of `sheet`, from column A.
pub fn write_row(sheet: &mut rust_xlsxwriter::Worksheet, r: u32, cells: &[&str]) {
    for (c, v) in cells.iter().enumerate() {
        sheet.write_string(r, c as u16, *v).unwrap();
    }
}

/// The sample's roster of the people who may be drawn to rate.
pub fn rater_roster() -> PathBuf {
    repo().join("sample-data/inbox/参评人员名册.csv")
}

/// The township and village of the first person on `rater_roster`.
pub fn first_rater_place() -> (String, String) {
    let text = std::fs::read_to_string(rater_roster()).unwrap();
    let header = split_csv(text.trim_start_matches('\u{feff}').lines().next().unwrap());
    let first = split_csv(text.lines().nth(1).unwrap());
    let col = |names: &[&str]| {
        header
            .iter()
            .position(|h| names.contains(&h.as_str()))
            .unwrap()
    };
    let township = col(&["乡镇", "所在乡镇"]);
    let village = col(&["村（社区）", "村(社区)", "所在村(社区)", "所在村（社区）"]);
    (first[township].clone(), first[village].clone())
}

/// `pingyi sample` from `rater_roster` in the places `targets` names,
/// into `out`; `opts` are the draw's other options (`--seed`, …).
pub fn draw(d: &Dir, targets: &str, out: &str, opts: &[&str]) -> Run {
    let roster = rater_roster();
    let mut args = vec!["sample", "--roster", roster.to_str().unwrap()];
    args.extend(["--targets", targets, "--out", out]);
    args.extend(opts);
    d.run(&args)
}

/// The line of a command's report that names `name`.
pub fn line_naming(report: &str, name: &str) -> String {
    report
        .lines()
        .find(|l| l.contains(name))
        .unwrap_or_else(|| panic!("{name} not reported:\n{report}"))
        .to_string()
}

/// The header of a ratings CSV with rater ids and comments.
pub const KEYED_HEAD: &str =
    "问卷编号,被评议对象编号,评议日期,评议人类别,评议人编号,评议方式,评议途径,评价,意见建议\n";

/// A folder with `config` as its `pingyi.toml` and `roster` as
/// `in/roster.csv`; nothing ingested yet. How most tests' counties begin.
pub fn inbox_with(config: &str, roster: &str) -> Dir {
    let d = Dir::new();
    d.write("pingyi.toml", config);
    std::fs::create_dir(d.join("in")).unwrap();
    d.write("in/roster.csv", roster);
    d
}

/// A folder with `in/`, `wh/` and `reports/` configured (plus `extra`
/// configuration) and a roster of one subject, ZZ0001, in `in/roster.csv`;
/// nothing ingested yet.
pub fn one_subject(extra: &str) -> Dir {
    inbox_with(
        &format!("[paths]\ninbox = \"in\"\nwarehouse = \"wh\"\nreports = \"reports\"\n{extra}"),
        "被评议对象编号,名称,类型,组织类型,乡镇,村(社区)\nZZ0001,下平社区党总支,组织,社区,中枢镇,下平社区\n",
    )
}

/// `one_subject` with a rater key and an as-of date (2012-12-31).
pub fn keyed_one_subject() -> Dir {
    one_subject("[privacy]\nrater_key = \"test-key\"\n[report]\nas_of = \"2012-12-31\"\n")
}

/// The rows (no header) `pingyi query --format csv --raw SQL` prints.
pub fn query_rows(d: &Dir, sql: &str) -> Vec<Vec<String>> {
    let r = d.ok(&["query", "--format", "csv", "--raw", sql]);
    csv_records(&r.stdout).into_iter().skip(1).collect()
}

/// A folder rendering from the shared sample warehouse.
pub fn county() -> Dir {
    let d = Dir::new();
    d.write(
        "pingyi.toml",
        &sample_config(&sample_warehouse().display().to_string()),
    );
    d
}

/// A Python with the engines of `queries/engines/requirements.txt`
/// (DuckDB): `PINGYI_PYTHON` if set, else a virtual environment under the
/// build folder, created and installed on first use. Fails, never skips,
/// when that cannot be done.
pub fn engines_python() -> PathBuf {
    if let Some(p) = std::env::var_os("PINGYI_PYTHON") {
        return p.into();
    }
    static LOCK: Mutex<()> = Mutex::new(());
    let _once = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let venv = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("engines-venv");
    let python = venv.join("bin/python");
    let has = |p: &Path| {
        Command::new(p)
            .args(["-c", "import duckdb"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if has(&python) {
        return python;
    }
    let step = |cmd: &mut Command, what: &str| {
        let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(
            out.status.success(),
            "{what} failed (on Debian: apt-get install python3-venv; or set PINGYI_PYTHON to a python with duckdb):\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    step(
        Command::new("python3").args(["-m", "venv"]).arg(&venv),
        "python3 -m venv",
    );
    step(
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
            ])
            .arg(repo().join("queries/engines/requirements.txt")),
        "pip install -r queries/engines/requirements.txt",
    );
    assert!(has(&python), "duckdb not importable after install");
    python
}
