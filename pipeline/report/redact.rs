//! Redaction of free text before it reaches a report: mainland mobile and
//! landline numbers and 18-digit resident ID numbers (the last digit may be
//! X) are replaced by a label. Digits glued to other digits are not split:
//! a 20-digit serial is not an ID number.

use regex::Regex;

use super::templates::Labels;

pub struct Redactor {
    id: Regex,
    phone: Regex,
    id_label: String,
    phone_label: String,
}

impl Redactor {
    pub fn new(labels: &Labels) -> Redactor {
        Redactor {
            // 6-digit area, birth date 18/19/20YYMMDD, 3-digit sequence, check digit.
            id: Regex::new(r"(?:^|[^0-9])([1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])\d{2}\d{3}[0-9Xx])(?:$|[^0-9])")
                .expect("static pattern"),
            // Mobile 1[3-9]xxxxxxxxx (with optional +86 and separators), or
            // landline 0xx(x)-xxxxxxx(x).
            phone: Regex::new(
                r"(?:^|[^0-9])((?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}|0\d{2,3}[- ]?\d{7,8})(?:$|[^0-9])",
            )
            .expect("static pattern"),
            id_label: labels.get("redacted_id"),
            phone_label: labels.get("redacted_phone"),
        }
    }

    pub fn redact(&self, text: &str) -> String {
        let once = replace_group(&self.id, text, &self.id_label);
        replace_group(&self.phone, &once, &self.phone_label)
    }
}

/// Replaces capture group 1 of every match, keeping the boundary characters.
fn replace_group(re: &Regex, text: &str, label: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    let mut at = 0;
    while let Some(caps) = re.captures_at(text, at) {
        let m = caps.get(1).expect("group 1 is not optional");
        out.push_str(&text[last..m.start()]);
        out.push_str(label);
        last = m.end();
        at = m.end();
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn redactor() -> Redactor {
        let mut m = BTreeMap::new();
        m.insert("redacted_id".to_string(), "[ID]".to_string());
        m.insert("redacted_phone".to_string(), "[TEL]".to_string());
        Redactor::new(&Labels(m))
    }

    #[test]
    fn removes_phone_and_id_numbers_and_keeps_the_rest() {
        let r = redactor();
        assert_eq!(
            r.redact("有事请打电话13800001234找我，村里的路还没修"),
            "有事请打电话[TEL]找我，村里的路还没修"
        );
        assert_eq!(
            r.redact("我的身份证号是532527198303150014，低保的事一直没人管"),
            "我的身份证号是[ID]，低保的事一直没人管"
        );
        assert_eq!(r.redact("id 53252719830315001X."), "id [ID].");
        assert_eq!(r.redact("+86 138-0000-1234"), "[TEL]");
        assert_eq!(r.redact("座机0873-7654321"), "座机[TEL]");
        assert_eq!(r.redact("13800001234 and 13900001234"), "[TEL] and [TEL]");
    }

    #[test]
    fn leaves_dates_amounts_and_long_serials_alone() {
        let r = redactor();
        for s in [
            "2012年9月3日",
            "修路3公里，投资120万元",
            "编号 12345678901234567890123",
        ] {
            assert_eq!(r.redact(s), s);
        }
    }
}
