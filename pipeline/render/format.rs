//! How figures read in every report output: percentages, percentage points,
//! counts with thousands separators. Templates reach these as filters, the
//! workbook and CSVs call them directly, so a rate reads the same everywhere.

/// `0.9465` → `94.7%`; missing → `—` (no valid ratings, or suppressed).
pub fn pct(v: Option<f64>, digits: usize) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{:.*}%", digits, x * 100.0),
        _ => "—".to_string(),
    }
}

/// A change in percentage points with its sign: `+3.2`, `−1.0`, `0.0`.
pub fn pp(v: Option<f64>) -> String {
    match v {
        Some(x) if x.is_finite() => {
            let r = (x * 1000.0).round() / 10.0;
            if r > 0.0 {
                format!("+{r:.1}")
            } else if r < 0.0 {
                format!("−{:.1}", -r)
            } else {
                "0.0".to_string()
            }
        }
        _ => "—".to_string(),
    }
}

/// `38065` → `38,065`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// `[88.2%, 96.0%]`, or `—` when either bound is missing.
pub fn interval(low: Option<f64>, high: Option<f64>) -> String {
    match (low, high) {
        (Some(l), Some(h)) => format!("[{}, {}]", pct(Some(l), 1), pct(Some(h), 1)),
        _ => "—".to_string(),
    }
}

/// `88.2%–96.0%` for running text, `—` when either bound is missing.
pub fn range(low: Option<f64>, high: Option<f64>) -> String {
    match (low, high) {
        (Some(l), Some(h)) => format!("{}–{}", pct(Some(l), 1), pct(Some(h), 1)),
        _ => "—".to_string(),
    }
}

/// A fixed-precision number, `—` when missing.
pub fn fixed(v: Option<f64>, digits: usize) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{x:.digits$}"),
        _ => "—".to_string(),
    }
}

/// A subject id made safe as a file name (ids come from user exports). An id
/// that had to change gets a hash of the original, so `A/B` and `A_B` never
/// share a card.
pub fn file_name(id: &str) -> String {
    let safe: String = id
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if safe == id {
        format!("{safe}.html")
    } else {
        use sha2::Digest;
        let hash = crate::fsutil::hex(&sha2::Sha256::digest(id.as_bytes()));
        format!("{safe}-{}.html", &hash[..8])
    }
}

/// `{key}` in a label replaced by its value.
pub fn fill(text: &str, values: &[(&str, &str)]) -> String {
    values.iter().fold(text.to_string(), |t, (k, v)| {
        t.replace(&format!("{{{k}}}"), v)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_as_people_expect() {
        assert_eq!(pct(Some(0.9465), 1), "94.7%");
        assert_eq!(pct(Some(1.0), 1), "100.0%");
        assert_eq!(pct(None, 1), "—");
        assert_eq!(pct(Some(f64::NAN), 1), "—");
        assert_eq!(pp(Some(0.0321)), "+3.2");
        assert_eq!(pp(Some(-0.01)), "−1.0");
        assert_eq!(pp(Some(-0.0001)), "0.0");
        assert_eq!(thousands(38065), "38,065");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(interval(Some(0.5), Some(0.75)), "[50.0%, 75.0%]");
    }
}
