//! Header text folding, so `评议人所在村（社区）`, ` 评议人所在村(社区) ` and
//! `Rater_ID` match their configured aliases whatever the typist's habits.

/// Trim, lower-case, map full-width ASCII (（ ） ＿ ０-９ Ａ-Ｚ) to half-width and
/// drop inner spaces, including the ideographic space.
pub fn fold(header: &str) -> String {
    header
        .trim_start_matches('\u{feff}')
        .chars()
        .filter_map(|c| match c {
            ' ' | '\u{3000}' | '\t' => None,
            '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0),
            _ => Some(c),
        })
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn folds_width_case_and_spaces() {
        assert_eq!(fold(" 评议人所在村（社区） "), "评议人所在村(社区)");
        assert_eq!(fold("\u{feff}Rater_ID"), "rater_id");
        assert_eq!(fold("问卷　编号"), "问卷编号");
    }
}
