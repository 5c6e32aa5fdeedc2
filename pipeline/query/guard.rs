//! The memory `pingyi query` may use: a runaway join stops at a limit with
//! a clean error instead of taking the machine (or ending in an allocation
//! failure with a backtrace). What a statement may read is `statement`'s.

use std::sync::atomic::{AtomicBool, Ordering};

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
