//! What `pingyi query` refuses or bounds: the SQL table functions that read
//! any file on the machine (`read_parquet('/etc/…')`, `read_csv`, …), unless
//! the analyst is trusted with them (`--allow-files`), and memory: a runaway
//! join stops at a limit with a clean error instead of taking the machine
//! (or ending in an allocation failure with a backtrace).

use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{bail, Result};

/// polars' SQL table functions (polars-sql `table_functions.rs`): each reads
/// a file named in the query, outside the warehouse.
const TABLE_FUNCTIONS: [&str; 4] = ["read_csv", "read_parquet", "read_ipc", "read_json"];

/// Refuses a statement calling a table function. Identifiers are found by
/// a small lexer that skips string literals and comments, so a filter such
/// as `comment like '%read_csv(%'` is not refused; a quoted identifier
/// (`"read_csv"(…)`) is a call like any other.
pub fn no_table_functions(sql: &str) -> Result<()> {
    let words = identifiers(sql);
    for (word, at) in &words {
        let called = sql[*at..].trim_start().starts_with('(');
        if called && TABLE_FUNCTIONS.contains(&word.to_lowercase().as_str()) {
            bail!(
                "`{word}(…)` reads a file outside the warehouse: pingyi query reads only the warehouse tables (SHOW TABLES lists them); a trusted analyst may add --allow-files"
            );
        }
    }
    Ok(())
}

/// Each identifier (bare or double-quoted) with the byte offset just after it.
fn identifiers(sql: &str) -> Vec<(String, usize)> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\'' => i = skip_quoted(b, i, b'\''),
            b'"' => {
                let end = skip_quoted(b, i, b'"');
                let inner = &sql[i + 1..end.saturating_sub(1).max(i + 1)];
                out.push((inner.replace("\"\"", "\""), end));
                i = end;
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                i = sql[i..].find('\n').map_or(b.len(), |n| i + n + 1);
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = sql[i + 2..].find("*/").map_or(b.len(), |n| i + 2 + n + 2);
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] >= 0x80)
                {
                    i += 1;
                }
                out.push((sql[start..i].to_string(), i));
            }
            _ => i += 1,
        }
    }
    out
}

/// The offset after a literal opened by `q` at `start` (doubled `q` is an
/// escaped one); the end of the text when it is not closed.
fn skip_quoted(b: &[u8], start: usize, q: u8) -> usize {
    let mut i = start + 1;
    while i < b.len() {
        if b[i] == q {
            if b.get(i + 1) == Some(&q) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    b.len()
}

/// Set while a query runs under a memory limit: an allocation the limit
/// refuses then ends the process with a clean message (`alloc_failed`).
pub static LIMITED: AtomicBool = AtomicBool::new(false);

/// Caps the process's data memory (heap and anonymous mappings,
/// RLIMIT_DATA) at `bytes`, so a runaway query fails instead of swapping
/// the machine to a halt. Linux only; elsewhere there is no cap.
pub fn limit_memory(bytes: u64) {
    #[cfg(target_os = "linux")]
    {
        #[repr(C)]
        struct Rlimit {
            cur: u64,
            max: u64,
        }
        extern "C" {
            fn setrlimit(resource: i32, rlim: *const Rlimit) -> i32;
            fn getrlimit(resource: i32, rlim: *mut Rlimit) -> i32;
        }
        const RLIMIT_DATA: i32 = 2;
        let mut old = Rlimit { cur: 0, max: 0 };
        // SAFETY: plain system calls on a stack struct of the C layout.
        unsafe {
            if getrlimit(RLIMIT_DATA, &mut old) == 0 {
                let new = Rlimit {
                    cur: bytes.min(old.max),
                    max: old.max,
                };
                if setrlimit(RLIMIT_DATA, &new) == 0 {
                    LIMITED.store(true, Ordering::SeqCst);
                }
            }
        }
    }
}

/// The default limit: three quarters of the machine's memory
/// (`/proc/meminfo`), or none when it cannot be read.
pub fn default_limit() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kb: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024 / 4 * 3)
}

/// Called by the allocator when an allocation fails under the limit: says
/// so and exits with code 1, without allocating (the heap is exhausted) and
/// without a backtrace.
pub fn alloc_failed(size: usize) -> ! {
    extern "C" {
        fn write(fd: i32, buf: *const u8, count: usize) -> isize;
        fn _exit(code: i32) -> !;
    }
    let mut msg = [0u8; 256];
    let head = b"error: the query needs more memory than its limit (an allocation of ";
    let tail =
        b" bytes was refused); narrow it (WHERE, fewer joins, LIMIT) or raise --memory-limit\n";
    let mut n = 0;
    for &c in head {
        msg[n] = c;
        n += 1;
    }
    let mut digits = [0u8; 20];
    let (mut d, mut v) = (0, size);
    loop {
        digits[d] = b'0' + (v % 10) as u8;
        d += 1;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    while d > 0 {
        d -= 1;
        msg[n] = digits[d];
        n += 1;
    }
    for &c in tail {
        if n < msg.len() {
            msg[n] = c;
            n += 1;
        }
    }
    // SAFETY: writes our own buffer to stderr, then ends the process.
    unsafe {
        write(2, msg.as_ptr(), n);
        _exit(i32::from(crate::exit::FAILURE))
    }
}

/// The system allocator, with a clean exit instead of an abort when the
/// query's memory limit refuses an allocation.
pub struct Allocator;

// SAFETY: every call is forwarded to the system allocator unchanged.
unsafe impl std::alloc::GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        let p = std::alloc::System.alloc(layout);
        if p.is_null() && LIMITED.load(Ordering::Relaxed) {
            alloc_failed(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        std::alloc::System.dealloc(ptr, layout)
    }

    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        let p = std::alloc::System.alloc_zeroed(layout);
        if p.is_null() && LIMITED.load(Ordering::Relaxed) {
            alloc_failed(layout.size());
        }
        p
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        let p = std::alloc::System.realloc(ptr, layout, new_size);
        if p.is_null() && LIMITED.load(Ordering::Relaxed) {
            alloc_failed(new_size);
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_functions_are_found_outside_strings_and_comments() {
        for sql in [
            "select * from read_parquet('/etc/passwd')",
            "SELECT * FROM READ_CSV ('x.csv')",
            "select * from \"read_json\"('x')",
            "with a as (select 1) select * from a join read_ipc('y') on true",
        ] {
            assert!(no_table_functions(sql).is_err(), "{sql}");
        }
        for sql in [
            "select * from ratings where comment like '%read_csv(%'",
            "select 1 -- read_parquet('x')\n",
            "select /* read_csv('x') */ 1",
            "select read_csv from t",
        ] {
            assert!(no_table_functions(sql).is_ok(), "{sql}");
        }
    }
}
