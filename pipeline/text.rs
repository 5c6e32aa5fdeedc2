//! The one normalization under which two spellings count as the same
//! label: Unicode NFKC (full-width `Ｓ` is `S`, a compatibility ideograph is
//! its unified one), format characters removed (general category Cf: zero
//! width spaces and joiners, the BOM, bidirectional marks), surrounding
//! whitespace trimmed, and case folded. `config check` refuses two labels
//! equal under it, and ingest looks a cell up under it, so what the check
//! lets through is what ingest tells apart.

use unicode_normalization::UnicodeNormalization;

/// `s` normalized for comparison: NFKC, no format characters, trimmed,
/// lower case (Unicode's full lowercase mapping, which is the case folding
/// of every letter a rating label or alias is written in).
pub fn fold(s: &str) -> String {
    let nfkc: String = s.nfkc().filter(|c| !is_format(*c)).collect();
    nfkc.trim().to_lowercase()
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
