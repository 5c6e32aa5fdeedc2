//! The one normalization of text pingyi compares: format characters removed
//! (general category Cf: zero width spaces and joiners, the BOM,
//! bidirectional marks), Unicode NFKC (full-width `Ｓ` is `S`, a
//! compatibility ideograph is its unified one), whitespace trimmed and
//! collapsed (none between two CJK characters). Ingest stores cells in this
//! form (`ingest/normalize.rs` adds the fast ASCII path and upper-cased
//! ids); `fold` also folds case, and is how labels are compared: `config
//! check` refuses two labels equal under it, and ingest looks a rating up
//! under it, so what the check lets through is what ingest tells apart.

use unicode_normalization::UnicodeNormalization;

/// `s` normalized for comparison: `normalize`, then lower case (Unicode's
/// full lowercase mapping, which is the case folding of every letter a
/// rating label or alias is written in).
pub fn fold(s: &str) -> String {
    normalize(s).to_lowercase()
}

/// `s` without format characters, in NFKC, with whitespace trimmed and
/// collapsed (`spaces`).
pub fn normalize(s: &str) -> String {
    let composed: String = s.chars().filter(|&c| !is_format(c)).nfkc().collect();
    spaces(&composed)
}

/// Trims, and collapses inner whitespace: removed between two CJK
/// characters, one space elsewhere.
pub fn spaces(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut gap = false;
    for c in s.trim().chars() {
        if c.is_whitespace() {
            gap = true;
            continue;
        }
        if gap && !(out.chars().next_back().is_some_and(is_cjk) && is_cjk(c)) {
            out.push(' ');
        }
        gap = false;
        out.push(c);
    }
    out
}

/// Han ideographs, kana and CJK punctuation: scripts written without spaces.
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3000..=0x30FF        // CJK symbols and punctuation, kana
        | 0x3400..=0x4DBF      // extension A
        | 0x4E00..=0x9FFF      // unified ideographs
        | 0xF900..=0xFAFF      // compatibility ideographs
        | 0xFF00..=0xFFEF      // full-width forms left after NFKC (none for letters)
        | 0x20000..=0x3134F) // extensions B–G
}

/// Unicode general category Cf (format characters), Unicode 15.1.
pub fn is_format(c: char) -> bool {
    matches!(
        c as u32,
        0x00AD
            | 0x0600..=0x0605
            | 0x061C
            | 0x06DD
            | 0x070F
            | 0x0890..=0x0891
            | 0x08E2
            | 0x180E
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x2064
            | 0x2066..=0x206F
            | 0xFEFF
            | 0xFFF9..=0xFFFB
            | 0x110BD
            | 0x110CD
            | 0x13430..=0x1343F
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0001
            | 0xE0020..=0xE007F
    )
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn spellings_that_look_alike_fold_alike() {
        assert_eq!(fold("Satisfied"), fold("satisfied"));
        assert_eq!(fold("ＳＡＴＩＳＦＩＥＤ"), "satisfied");
        assert_eq!(fold("\u{feff} 满\u{200b}意\u{2060}\u{3000}"), "满意");
        assert_ne!(fold("满意"), fold("不满意"));
        // Traditional and simplified stay different: mapping them is a guess.
        assert_ne!(fold("滿意"), fold("满意"));
    }
}
