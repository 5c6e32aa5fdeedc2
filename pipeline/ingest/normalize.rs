//! One spelling per value: id, item, code and category cells are normalized
//! before they are validated and keyed, so `UV0000000000001`, its lower
//! case, its full-width form and the same id with a zero-width space are
//! one response, and `总体 评价` or `总体评价` with a BOM is the item
//! `总体评价`. The normalized value is what is stored.
//!
//! The rule, in order:
//! 1. format characters (Unicode general category Cf: zero-width spaces
//!    and joiners U+200B–U+200F, word joiner U+2060, the BOM U+FEFF, bidi
//!    controls, soft hyphen…) are removed: invisible, never meant;
//! 2. Unicode NFKC: full-width letters and digits become ASCII, the
//!    ideographic space a space, compatibility ideographs their unified form;
//! 3. whitespace is trimmed; inside, a run of whitespace between two CJK
//!    characters is removed (`总体 评价` → `总体评价`: Chinese has no spaces
//!    between words, a space there is a typing slip), any other run becomes
//!    one space (`very  satisfied` → `very satisfied`);
//! 4. ids (response, subject, rater and roster person ids, suggestion ids)
//!    are upper-cased: ID card numbers write their check character as an
//!    upper-case X, and no export tells `uv1` from `UV1` on purpose.
//!
//! Cells arrive per distinct dictionary value (`coded.rs`), and an ASCII
//! cell takes a fast path that allocates only when it changes.
//!
//! Traditional characters are not folded: a value that matches a configured
//! word only once traditional characters are replaced by simplified ones
//! (`總體評價`) is reported with that simplified form (`simplified`), and
//! the row is quarantined rather than guessed.

use std::borrow::Cow;
use std::collections::HashMap;

use polars::prelude::{NamedFrom, PolarsResult, Series};

/// How a cell is folded beyond the common rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fold {
    /// Identifiers: upper-cased as well.
    Id,
    /// Items, categories, codes and labels: case kept.
    Name,
}

/// How a canonical column's cells are normalized; None for free text
/// (comments, names, content) and dates, which are kept as typed.
pub fn fold_of(column: &str) -> Option<Fold> {
    match column {
        "response_id" | "subject_id" | "rater_id" | "person_id" | "suggestion_id" | "device_id" => {
            Some(Fold::Id)
        }
        "item" | "rater_category" | "method" | "channel" | "rating" | "rater_village"
        | "collector" | "period" | "kind" | "org_type" | "pioneer_category" | "township"
        | "village" | "category" | "source_method" | "status" => Some(Fold::Name),
        _ => None,
    }
}

/// A text series with every value normalized: each distinct non-ASCII
/// value once (a dictionary's values are distinct already; a roster's
/// column repeats its townships), ASCII values on the fast path. The
/// series itself when nothing changes.
pub fn series(s: &Series, fold: Fold) -> PolarsResult<Series> {
    let texts = s.str()?;
    let mut cache: HashMap<&str, Cow<str>> = HashMap::new();
    let mut changed = false;
    let out: Vec<Option<Cow<str>>> = texts
        .iter()
        .map(|v| {
            v.map(|v| {
                let n = if v.is_ascii() {
                    ascii(v, fold)
                } else {
                    cache.entry(v).or_insert_with(|| cell(v, fold)).clone()
                };
                changed |= matches!(n, Cow::Owned(_)) || n.len() != v.len();
                n
            })
        })
        .collect();
    if !changed {
        return Ok(s.clone());
    }
    let out: Vec<Option<&str>> = out.iter().map(|v| v.as_deref()).collect();
    Ok(Series::new(s.name().clone(), out))
}

/// The normalized form of a cell (see the module's rule); borrowed when it
/// is unchanged.
pub fn cell(s: &str, fold: Fold) -> Cow<'_, str> {
    if s.is_ascii() {
        return ascii(s, fold);
    }
    let mut out = crate::text::normalize(s);
    if fold == Fold::Id {
        out = out.to_uppercase();
    }
    if out == s {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(out)
    }
}

/// The ASCII path: no format characters, NFKC changes nothing; only
/// whitespace and, for ids, case.
fn ascii(s: &str, fold: Fold) -> Cow<'_, str> {
    let t = s.trim_ascii();
    let bytes = t.as_bytes();
    let odd_space = bytes
        .windows(2)
        .any(|w| w[0].is_ascii_whitespace() && w[1].is_ascii_whitespace())
        || bytes.iter().any(|&b| b.is_ascii_whitespace() && b != b' ');
    let lower = fold == Fold::Id && bytes.iter().any(u8::is_ascii_lowercase);
    if !odd_space && !lower {
        return Cow::Borrowed(t);
    }
    let mut out = if odd_space {
        crate::text::spaces(t)
    } else {
        t.to_string()
    };
    if lower {
        out.make_ascii_uppercase();
    }
    Cow::Owned(out)
}

/// `s` with its traditional characters replaced by simplified ones, when
/// it has any the table knows; None otherwise.
pub fn simplified(s: &str) -> Option<String> {
    if s.is_ascii() {
        return None;
    }
    let mut changed = false;
    let out: String = s
        .chars()
        .map(|c| match TRADITIONAL.binary_search_by_key(&c, |p| p.0) {
            Ok(i) => {
                changed = true;
                TRADITIONAL[i].1
            }
            Err(_) => c,
        })
        .collect();
    changed.then_some(out)
}

/// Traditional → simplified, sorted by the traditional character. The
/// candidates are the characters of the configured vocabulary (the default
/// scale, rater categories, methods, channels, org types, pioneers and
/// items, e.g. 總體評價, 滿意, 羣衆, 村組幹部) and those of words a county
/// commonly adds (乡镇, 领导, 纪律, 卫生…): a value is only ever compared
/// with configured words, so a character outside them can never match and
/// need not be listed.
const TRADITIONAL: &[(char, char)] = &[
    ('並', '并'),
    ('個', '个'),
    ('價', '价'),
    ('優', '优'),
    ('內', '内'),
    ('兩', '两'),
    ('別', '别'),
    ('動', '动'),
    ('務', '务'),
    ('區', '区'),
    ('協', '协'),
    ('員', '员'),
    ('問', '问'),
    ('團', '团'),
    ('執', '执'),
    ('報', '报'),
    ('壞', '坏'),
    ('學', '学'),
    ('實', '实'),
    ('對', '对'),
    ('導', '导'),
    ('屬', '属'),
    ('帶', '带'),
    ('幫', '帮'),
    ('幹', '干'),
    ('廣', '广'),
    ('強', '强'),
    ('態', '态'),
    ('懇', '恳'),
    ('戶', '户'),
    ('擔', '担'),
    ('據', '据'),
    ('書', '书'),
    ('會', '会'),
    ('棄', '弃'),
    ('業', '业'),
    ('極', '极'),
    ('機', '机'),
    ('權', '权'),
    ('歡', '欢'),
    ('測', '测'),
    ('滿', '满'),
    ('潔', '洁'),
    ('濟', '济'),
    ('為', '为'),
    ('無', '无'),
    ('熱', '热'),
    ('療', '疗'),
    ('發', '发'),
    ('眾', '众'),
    ('瞭', '了'),
    ('礎', '础'),
    ('禮', '礼'),
    ('種', '种'),
    ('積', '积'),
    ('節', '节'),
    ('紀', '纪'),
    ('組', '组'),
    ('結', '结'),
    ('絡', '络'),
    ('經', '经'),
    ('網', '网'),
    ('線', '线'),
    ('縣', '县'),
    ('總', '总'),
    ('織', '织'),
    ('繫', '系'),
    ('羣', '群'),
    ('義', '义'),
    ('聯', '联'),
    ('職', '职'),
    ('臉', '脸'),
    ('與', '与'),
    ('莊', '庄'),
    ('衆', '众'),
    ('衛', '卫'),
    ('衝', '冲'),
    ('規', '规'),
    ('視', '视'),
    ('親', '亲'),
    ('觀', '观'),
    ('計', '计'),
    ('訪', '访'),
    ('設', '设'),
    ('評', '评'),
    ('試', '试'),
    ('誠', '诚'),
    ('說', '说'),
    ('説', '说'),
    ('調', '调'),
    ('談', '谈'),
    ('諧', '谐'),
    ('講', '讲'),
    ('議', '议'),
    ('護', '护'),
    ('貧', '贫'),
    ('責', '责'),
    ('質', '质'),
    ('較', '较'),
    ('辦', '办'),
    ('農', '农'),
    ('這', '这'),
    ('進', '进'),
    ('違', '违'),
    ('鄉', '乡'),
    ('醫', '医'),
    ('鋒', '锋'),
    ('鎮', '镇'),
    ('長', '长'),
    ('門', '门'),
    ('開', '开'),
    ('關', '关'),
    ('隨', '随'),
    ('離', '离'),
    ('難', '难'),
    ('電', '电'),
    ('項', '项'),
    ('領', '领'),
    ('頭', '头'),
    ('風', '风'),
    ('體', '体'),
    ('黨', '党'),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_and_each_pair_differs() {
        assert!(
            TRADITIONAL.windows(2).all(|w| w[0].0 < w[1].0),
            "sorted for binary search"
        );
        assert!(TRADITIONAL.iter().all(|(t, s)| t != s));
    }

    #[test]
    fn id_variants_are_one_id() {
        let id = "UV0000000000001";
        for v in [
            "UV0000000000001",
            "uv0000000000001",
            "\u{200b}UV0000000000001",
            "UV0000000000001\u{200b}",
            "UV000000\u{2060}0000001",
            "ＵＶ0000000000001",
            "\u{feff} UV0000000000001\u{3000}",
        ] {
            assert_eq!(cell(v, Fold::Id), id, "{v:?}");
        }
        assert!(matches!(cell(id, Fold::Id), Cow::Borrowed(_)));
        assert_eq!(cell("41010119800101123x", Fold::Id), "41010119800101123X");
    }

    #[test]
    fn item_variants_are_one_item() {
        for v in [
            "总体评价",
            "总体评价\u{200b}",
            "总体 评价",
            "总体\u{3000}评价",
            "\u{feff}总体评价",
            " 总体评价 ",
        ] {
            assert_eq!(cell(v, Fold::Name), "总体评价", "{v:?}");
        }
        assert_eq!(cell("very  satisfied", Fold::Name), "very satisfied");
        assert_eq!(cell("Very satisfied", Fold::Name), "Very satisfied");
        assert_eq!(cell("满意 A", Fold::Name), "满意 A");
        assert_eq!(cell("a\tb", Fold::Name), "a b");
        assert!(matches!(cell("满意", Fold::Name), Cow::Borrowed(_)));
    }

    #[test]
    fn traditional_forms_are_found_not_folded() {
        assert_eq!(simplified("總體評價").as_deref(), Some("总体评价"));
        assert_eq!(simplified("滿意").as_deref(), Some("满意"));
        assert_eq!(simplified("村組幹部").as_deref(), Some("村组干部"));
        assert_eq!(simplified("总体评价"), None);
        assert_eq!(cell("總體評價", Fold::Name), "總體評價");
    }
}
