//! Fuzzing the reader of every input format, the date parser and the
//! header mapper with generated inputs (`pingyi::ingest::fuzz`): none may
//! panic. A short campaign here; the long one (README, "Fuzzing") sets
//! PINGYI_FUZZ_CASES (every target) or PINGYI_FUZZ_CASES_CSV, _JSONL,
//! _XLSX, _DATES, _HEADERS.

use pingyi::ingest::fuzz::{self, Target};

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn generated_inputs_never_panic_the_readers_the_date_parser_or_the_header_mapper() {
    let all = std::env::var("PINGYI_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok());
    let seed = env_u64("PINGYI_FUZZ_SEED", 16);
    let cfg =
        pingyi::config::parse_str("", "(defaults)", std::path::Path::new(".")).expect("defaults");
    let dir = tempfile::tempdir().unwrap();
    let mut total = 0;
    for target in Target::all() {
        // The file readers cost milliseconds an input in a debug build.
        let short = match target {
            Target::File(_) => 1_000,
            Target::Dates => 20_000,
            Target::Headers => 2_000,
        };
        let cases = env_u64(
            &format!("PINGYI_FUZZ_CASES_{}", target.name().to_uppercase()),
            all.unwrap_or(short),
        );
        let t = std::time::Instant::now();
        let panics = fuzz::run(&cfg, target, seed, cases, dir.path());
        total += cases;
        eprintln!(
            "fuzz {}: {cases} inputs, seed {seed}, {} panics, {:.1} s",
            target.name(),
            panics.len(),
            t.elapsed().as_secs_f64()
        );
        assert!(
            panics.is_empty(),
            "{}: {} of {cases} inputs panicked; first: case {} ({:?}): {}",
            target.name(),
            panics.len(),
            panics[0].case,
            String::from_utf8_lossy(&panics[0].input),
            panics[0].message
        );
    }
    eprintln!("fuzz: {total} inputs, no panic");
    // The generator is deterministic: a case is re-made from its number.
    assert_eq!(
        fuzz::input(Target::all()[0], seed, 7),
        fuzz::input(Target::all()[0], seed, 7)
    );
}
