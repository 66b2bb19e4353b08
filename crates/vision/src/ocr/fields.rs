//! Reads FaceID's ID-card fields out of rows of recognised text.
//!
//! The front prints labelled rows (姓名, 性别/民族, 出生, 住址, 公民身份号码); the back prints
//! 签发机关 and 有效期限. Labels are faint and are sometimes merged into the value's text box,
//! sometimes separate, sometimes missed, so each field is found by its label when present and
//! otherwise by its row position relative to the ID number.

use super::layout::Row;

/// Fields of the portrait side, in FaceID's formats.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FrontFields {
    pub name: String,
    pub sex: String,
    pub nation: String,
    /// `YYYY/M/D` without zero padding, e.g. `2015/3/8`.
    pub birth: String,
    pub address: String,
    pub id_num: String,
}

/// Fields of the national-emblem side.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackFields {
    pub authority: String,
    /// `YYYY.MM.DD-YYYY.MM.DD` or `YYYY.MM.DD-长期`.
    pub valid_date: String,
}

const NAME_LABEL: &str = "姓名";
const SEX_LABEL: &str = "性别";
const NATION_LABEL: &str = "民族";
const BIRTH_LABEL: &str = "出生";
const ADDRESS_LABEL: &str = "住址";
const ID_LABEL: &str = "公民身份号码";
const AUTHORITY_LABEL: &str = "签发机关";
const VALIDITY_LABEL: &str = "有效期限";
const FRONT_LABELS: [&str; 6] = [
    NAME_LABEL,
    SEX_LABEL,
    NATION_LABEL,
    BIRTH_LABEL,
    ADDRESS_LABEL,
    ID_LABEL,
];
const BACK_MARKERS: [&str; 4] = [
    "中华人民共和国",
    "居民身份证",
    AUTHORITY_LABEL,
    VALIDITY_LABEL,
];

/// A calendar date as (year, month, day).
pub type Date = (u32, u32, u32);

/// Which side of the card the text belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum CardSide {
    /// The portrait side (人像面).
    Front,
    /// The national-emblem side (国徽面).
    Back,
}

/// Decides the side from the text: the ID number and front labels versus the back's title and
/// labels. `None` when neither side is recognisable.
pub fn detect_side(rows: &[Row]) -> Option<CardSide> {
    let text: String = rows.iter().map(Row::text).collect();
    let mut front = FRONT_LABELS.iter().filter(|l| text.contains(*l)).count();
    if rows.iter().any(|row| find_id_number(&row.text()).is_some()) {
        front += 3;
    }
    let mut back = BACK_MARKERS.iter().filter(|m| text.contains(*m)).count();
    if rows.iter().any(|row| looks_like_validity(&row.text())) {
        back += 1;
    }
    match (front, back) {
        (0, 0) => None,
        (f, b) if f >= b => Some(CardSide::Front),
        _ => Some(CardSide::Back),
    }
}

/// Parses the portrait side. Missing fields are left empty.
///
/// Rows are assigned in printed order around two anchors that OCR reads reliably — the birth
/// date and the ID number — because the faint labels are often misread or missed.
pub fn parse_front(rows: &[Row]) -> FrontFields {
    let mut fields = FrontFields::default();
    let id_row = rows
        .iter()
        .rposition(|row| find_id_number(&row.text()).is_some());
    if let Some(index) = id_row {
        fields.id_num = find_id_number(&rows[index].text()).unwrap_or_default();
    }
    // Everything above the ID number belongs to the labelled block.
    let block = &rows[..id_row.unwrap_or(rows.len())];
    let texts: Vec<String> = block.iter().map(Row::text).collect();
    let spaced: Vec<String> = block.iter().map(Row::spaced_text).collect();

    let birth_row = spaced
        .iter()
        .position(|t| birth_digits(t).is_some())
        .or_else(|| texts.iter().position(|t| label_prefix(t, BIRTH_LABEL) > 0));
    let (name_row, sex_row) = match birth_row {
        Some(0) => (None, None),
        Some(1) if has_sex(&texts[0]) => (None, Some(0)),
        Some(1) => (Some(0), None),
        Some(b) => (Some(b - 2), Some(b - 1)),
        None => {
            let name = texts.iter().position(|t| label_prefix(t, NAME_LABEL) > 0);
            let sex = texts.iter().position(|t| has_sex(t));
            (name.or(Some(0)), sex)
        }
    };
    // A name never carries the sex and nation labels; such a row means the name was missed.
    let name_row = name_row.filter(|&r| texts.get(r).is_some_and(|t| !is_sex_row(t)));
    if let Some(r) = name_row {
        // The name is printed as one tight group right of its label: when the row has several
        // boxes, the last one is the name and anything left of it is (misread) label.
        let last = block[r].lines.last().map(|l| l.text.as_str()).unwrap_or("");
        let text = if block[r].lines.len() > 1 && last.chars().filter(|c| is_cjk(*c)).count() >= 2 {
            last
        } else {
            texts[r].as_str()
        };
        fields.name = after_name_label(text)
            .chars()
            // The one-stroke character 一 is often recognised as a dash.
            .map(|c| {
                if matches!(c, '—' | '－' | '-') {
                    '一'
                } else {
                    c
                }
            })
            .filter(|c| is_cjk(*c) || *c == '·')
            .collect();
    }
    if let Some(text) = sex_row.and_then(|r| texts.get(r)) {
        let (sex, nation) = parse_sex_and_nation(text);
        fields.sex = sex;
        fields.nation = nation;
    }
    if let Some(text) = birth_row.and_then(|r| spaced.get(r)) {
        if let Some((y, m, d)) = birth_digits(text) {
            fields.birth = format!("{y}/{m}/{d}");
        }
    }
    let address_row = birth_row.map(|r| r + 1).or_else(|| {
        texts
            .iter()
            .position(|t| label_prefix(t, ADDRESS_LABEL) > 0)
    });
    if let Some(first) = address_row {
        fields.address = texts
            .iter()
            .skip(first)
            .enumerate()
            .map(|(i, t)| {
                if i == 0 {
                    after_label(t, ADDRESS_LABEL)
                } else {
                    t.as_str()
                }
            })
            .collect();
    }
    fields
}

/// How many leading characters of `text` are the two-character `label`, allowing one of the
/// two to be misread or dropped: a matching second character means both are label, a
/// matching first character alone means the second was dropped, and a text starting with the
/// label's second character lost the first.
fn label_prefix(text: &str, label: &str) -> usize {
    let mut chars = text.chars();
    let mut expected = label.chars();
    let (first, second) = (chars.next(), chars.next());
    let (label_first, label_second) = (expected.next(), expected.next());
    if first.is_none() || label_first.is_none() {
        return 0;
    }
    if second.is_some() && second == label_second {
        2
    } else if first == label_first || first == label_second {
        1
    } else {
        0
    }
}

/// The row's text after its (possibly misread) two-character label.
fn after_label<'a>(text: &'a str, label: &str) -> &'a str {
    let skip = label_prefix(text, label);
    let at = text.char_indices().nth(skip).map_or(text.len(), |(i, _)| i);
    &text[at..]
}

/// Whether a row is the sex/nation row rather than a name: it carries their labels, or is
/// just 男/女 optionally followed by a nation.
fn is_sex_row(text: &str) -> bool {
    if has_sex(text) && (text.contains('民') || text.contains('族')) {
        return true;
    }
    let mut chars = text.chars();
    let first = chars.next();
    let rest: String = chars.collect();
    matches!(first, Some('男' | '女')) && (rest.is_empty() || NATIONS.contains(&rest.as_str()))
}

/// Characters the faint 姓 of the name label is commonly read as.
const NAME_LABEL_MISREADS: [char; 4] = ['姓', '性', '娃', '生'];

/// The name row without its label. Besides the two-character rules of [`after_label`], a
/// label read as three characters (e.g. 姓生名) is cut through its 名.
fn after_name_label(text: &str) -> &str {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let starts_like_label = chars
        .first()
        .is_some_and(|(_, c)| NAME_LABEL_MISREADS.contains(c));
    if starts_like_label {
        if let Some(&(at, _)) = chars.iter().take(3).skip(1).find(|(_, c)| *c == '名') {
            return &text[at + '名'.len_utf8()..];
        }
        // 名 dropped: a misread 姓 alone precedes the name.
        if chars.len() > 2 && chars[0].1 != '姓' {
            return &text[chars[1].0..];
        }
    }
    after_label(text, NAME_LABEL)
}

fn has_sex(text: &str) -> bool {
    text.contains('男') || text.contains('女') || label_prefix(text, SEX_LABEL) > 0
}

/// Parses the emblem side. Missing fields are left empty.
///
/// The validity row is recognised by its dates; the authority is the row above it, since the
/// small 签发机关 label is easily misread.
pub fn parse_back(rows: &[Row]) -> BackFields {
    let mut fields = BackFields::default();
    let texts: Vec<String> = rows.iter().map(Row::text).collect();
    let validity_row = texts
        .iter()
        .rposition(|t| looks_like_validity(t))
        .or_else(|| texts.iter().position(|t| t.contains(VALIDITY_LABEL)));
    if let Some(row) = validity_row {
        fields.valid_date = format_validity(strip_label(&texts[row], VALIDITY_LABEL));
    }
    let authority_row = texts
        .iter()
        .position(|t| t.contains(AUTHORITY_LABEL))
        .or_else(|| validity_row.and_then(|r| r.checked_sub(1)));
    if let Some(row) = authority_row {
        fields.authority = strip_fuzzy_label(&rows[row], AUTHORITY_LABEL);
    }
    fields
}

/// A row's text without its leading label, recognising the label when at least half of its
/// characters were read correctly, whether it is its own box or fused with the value.
fn strip_fuzzy_label(row: &Row, label: &str) -> String {
    let label_chars: Vec<char> = label.chars().collect();
    // In order but not necessarily in place, so a dropped first character (发机关) still
    // matches.
    let resembles =
        |candidate: &[char]| 2 * common_subsequence(candidate, &label_chars) >= label_chars.len();
    let text = row.text();
    if let Some(at) = text.find(label) {
        return text[at + label.len()..].to_string();
    }
    let first: Vec<char> = row.lines[0]
        .text
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if row.lines.len() > 1 && first.len() <= label_chars.len() && resembles(&first) {
        return row.lines[1..]
            .iter()
            .map(|l| l.text.as_str())
            .collect::<String>()
            .split_whitespace()
            .collect();
    }
    let chars: Vec<char> = text.chars().collect();
    // A fused label: with its first character dropped (发机关…), or whole with up to half
    // of it misread.
    let tail = &label_chars[1..];
    if chars.len() > tail.len() && chars[..tail.len()] == *tail {
        return chars[tail.len()..].iter().collect();
    }
    if chars.len() > label_chars.len() && resembles(&chars[..label_chars.len()]) {
        return chars[label_chars.len()..].iter().collect();
    }
    text
}

/// Length of the longest common subsequence of two short character strings.
fn common_subsequence(a: &[char], b: &[char]) -> usize {
    let mut previous = vec![0usize; b.len() + 1];
    for &x in a {
        let mut current = vec![0usize; b.len() + 1];
        for (j, &y) in b.iter().enumerate() {
            current[j + 1] = if x == y {
                previous[j] + 1
            } else {
                current[j].max(previous[j + 1])
            };
        }
        previous = current;
    }
    previous[b.len()]
}

/// The text after `label` when the row contains it, else the whole row.
fn strip_label<'a>(text: &'a str, label: &str) -> &'a str {
    match text.find(label) {
        Some(at) => &text[at + label.len()..],
        None => text,
    }
}

fn is_cjk(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c) || ('\u{3400}'..='\u{4dbf}').contains(&c)
}

/// Finds 17 digits followed by a digit or X, tolerating the label and separators around it
/// and the letters OCR most often confuses with digits.
pub fn find_id_number(text: &str) -> Option<String> {
    let cleaned: String = strip_label(text, ID_LABEL)
        .chars()
        .filter_map(|c| match c {
            '0'..='9' => Some(c),
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32),
            'x' | 'X' | '×' | 'Ｘ' => Some('X'),
            'O' | 'o' | 'D' => Some('0'),
            'I' | 'l' | '|' => Some('1'),
            _ => None,
        })
        .collect();
    let chars: Vec<char> = cleaned.chars().collect();
    (0..chars.len().saturating_sub(17)).rev().find_map(|start| {
        let candidate = &chars[start..start + 18];
        let shape_ok = candidate[..17].iter().all(char::is_ascii_digit)
            && (candidate[17].is_ascii_digit() || candidate[17] == 'X');
        shape_ok.then(|| candidate.iter().collect())
    })
}

fn parse_sex_and_nation(text: &str) -> (String, String) {
    let after_sex = after_label(text, SEX_LABEL);
    let sex = after_sex
        .chars()
        .find(|c| *c == '男' || *c == '女')
        .map(String::from)
        .unwrap_or_default();
    let rest = match after_sex.find(sex.as_str()) {
        Some(at) if !sex.is_empty() => &after_sex[at + sex.len()..],
        _ => after_sex,
    };
    // The nation is the row's last word; matching the official list ignores whatever is left
    // of a misread 民族 label.
    let nation = NATIONS
        .iter()
        .filter(|n| rest.ends_with(*n))
        .max_by_key(|n| n.len())
        .map(|n| n.to_string())
        .unwrap_or_else(|| {
            let read: String = strip_label(rest, NATION_LABEL)
                .chars()
                .filter(|c| is_cjk(*c))
                .collect();
            closest_nation(&read).unwrap_or(read)
        });
    (sex, nation)
}

/// The official nation name that a misread one most likely was: same length, at least half
/// the characters in place (土家 read as 士家). Single characters are left alone, since one
/// wrong character there leaves nothing to match on.
fn closest_nation(read: &str) -> Option<String> {
    let read: Vec<char> = read.chars().collect();
    if read.len() < 2 {
        return None;
    }
    NATIONS
        .iter()
        .map(|n| n.chars().collect::<Vec<char>>())
        .filter(|n| n.len() == read.len())
        .map(|n| {
            let same = n.iter().zip(&read).filter(|(a, b)| a == b).count();
            (same, n)
        })
        .filter(|(same, n)| 2 * same >= n.len())
        .max_by_key(|(same, _)| *same)
        .map(|(_, n)| n.iter().collect())
}

/// The 56 officially recognised ethnic groups as printed after 民族.
pub const NATIONS: [&str; 56] = [
    "汉",
    "蒙古",
    "回",
    "藏",
    "维吾尔",
    "苗",
    "彝",
    "壮",
    "布依",
    "朝鲜",
    "满",
    "侗",
    "瑶",
    "白",
    "土家",
    "哈尼",
    "哈萨克",
    "傣",
    "黎",
    "傈僳",
    "佤",
    "畲",
    "高山",
    "拉祜",
    "水",
    "东乡",
    "纳西",
    "景颇",
    "柯尔克孜",
    "土",
    "达斡尔",
    "仫佬",
    "羌",
    "布朗",
    "撒拉",
    "毛南",
    "仡佬",
    "锡伯",
    "阿昌",
    "普米",
    "塔吉克",
    "怒",
    "乌孜别克",
    "俄罗斯",
    "鄂温克",
    "德昂",
    "保安",
    "裕固",
    "京",
    "塔塔尔",
    "独龙",
    "鄂伦春",
    "赫哲",
    "门巴",
    "珞巴",
    "基诺",
];

/// Runs of ASCII digits in order of appearance.
fn digit_runs(text: &str) -> Vec<String> {
    let mut runs = Vec::new();
    let mut current = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            current.push(c);
        } else if !current.is_empty() {
            runs.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        runs.push(current);
    }
    runs
}

/// Year, month and day from a birth row such as `出生2015年03月08日` or `19900101`.
pub fn birth_digits(text: &str) -> Option<Date> {
    let runs = digit_runs(strip_label(text, BIRTH_LABEL));
    let (year, month, day) = match runs.as_slice() {
        [y, m, d, ..] if y.len() == 4 => (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?),
        [all] if all.len() == 8 => (
            all[..4].parse().ok()?,
            all[4..6].parse().ok()?,
            all[6..].parse().ok()?,
        ),
        _ => return None,
    };
    super::id_number::is_real_date(year, month, day).then_some((year, month, day))
}

/// Digits of a validity row: at least one full date (8 digits) and mostly dates.
fn looks_like_validity(text: &str) -> bool {
    let digits = text.chars().filter(char::is_ascii_digit).count();
    (digits == 8 || digits == 16) && text.contains('.')
}

/// Normalises a validity period to `YYYY.MM.DD-YYYY.MM.DD` or `YYYY.MM.DD-长期`. The card
/// prints zero-padded dates, so the digits alone fix the split even when OCR drops the dots
/// or the dash.
fn format_validity(text: &str) -> String {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let date = |d: &str| format!("{}.{}.{}", &d[..4], &d[4..6], &d[6..8]);
    match digits.len() {
        16 => format!("{}-{}", date(&digits[..8]), date(&digits[8..])),
        8 if text.contains("长期") => format!("{}-长期", date(&digits)),
        8 => date(&digits),
        _ => String::new(),
    }
}

/// Parses a validity string produced by [`format_validity`] into start and end dates
/// (`None` end = long-term).
pub fn validity_dates(valid_date: &str) -> Option<(Date, Option<Date>)> {
    let (start, end) = valid_date.split_once('-')?;
    let parse = |s: &str| -> Option<Date> {
        let mut parts = s.split('.').map(|p| p.parse::<u32>().ok());
        Some((parts.next()??, parts.next()??, parts.next()??))
    };
    let start = parse(start)?;
    let end = if end == "长期" {
        None
    } else {
        Some(parse(end)?)
    };
    Some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ocr::layout::PlacedLine;

    fn rows(lines: &[&[&str]]) -> Vec<Row> {
        lines
            .iter()
            .enumerate()
            .map(|(i, texts)| Row {
                lines: texts
                    .iter()
                    .enumerate()
                    .map(|(j, t)| PlacedLine {
                        text: t.to_string(),
                        left: j as f32 * 100.0,
                        right: j as f32 * 100.0 + 80.0,
                        char_x: Vec::new(),
                        centre_y: i as f32 * 40.0,
                        height: 20.0,
                    })
                    .collect(),
            })
            .collect()
    }

    #[test]
    fn parses_a_front_with_separate_labels() {
        let rows = rows(&[
            &["姓 名", "二哈"],
            &["性别", "男", "民族", "汉"],
            &["出生", "2015", "年03", "月08", "日"],
            &["住址", "河南省安阳市文峰区"],
            &["公民身份号码", "410502201503081234"],
        ]);
        assert_eq!(detect_side(&rows), Some(CardSide::Front));
        let fields = parse_front(&rows);
        assert_eq!(
            fields,
            FrontFields {
                name: "二哈".into(),
                sex: "男".into(),
                nation: "汉".into(),
                birth: "2015/3/8".into(),
                address: "河南省安阳市文峰区".into(),
                id_num: "410502201503081234".into(),
            }
        );
    }

    #[test]
    fn falls_back_to_row_order_when_labels_are_missed() {
        let rows = rows(&[
            &["欧阳娜娜"],
            &["女", "维吾尔"],
            &["1990年1月2日"],
            &["新疆维吾尔自治区乌鲁木齐市"],
            &["天山区人民路8号"],
            &["65010219900102002X"],
        ]);
        let fields = parse_front(&rows);
        assert_eq!(fields.name, "欧阳娜娜");
        assert_eq!(fields.sex, "女");
        assert_eq!(fields.nation, "维吾尔");
        assert_eq!(fields.birth, "1990/1/2");
        assert_eq!(fields.address, "新疆维吾尔自治区乌鲁木齐市天山区人民路8号");
        assert_eq!(fields.id_num, "65010219900102002X");
    }

    #[test]
    fn tolerates_misread_labels() {
        let rows = rows(&[
            &["姓名二哈"],
            &["性别男", "民汉"],
            &["出生2015年03月08日"],
            &["佳址河南省安阳市文峰区"],
            &["公民身份号码", "410502201503081234"],
        ]);
        let fields = parse_front(&rows);
        assert_eq!(fields.nation, "汉");
        assert_eq!(fields.address, "河南省安阳市文峰区");
        assert_eq!(fields.name, "二哈");
        assert_eq!(after_label("名段洋燕", NAME_LABEL), "段洋燕");
        assert_eq!(after_name_label("姓生名万磊"), "万磊");
        assert_eq!(after_name_label("性闫文宇"), "闫文宇");
        assert_eq!(after_name_label("姓名张三"), "张三");
        assert_eq!(after_name_label("生张三"), "张三");
        assert!(is_sex_row("女蒙古") && is_sex_row("男") && !is_sex_row("女娲"));
        assert_eq!(parse_sex_and_nation("性别男民族士家").1, "土家");
        assert_eq!(closest_nation("白"), None);
    }

    #[test]
    fn parses_the_back_side() {
        let rows = rows(&[
            &["中华人民共和国"],
            &["居民身份证"],
            &["签发机关", "安阳市公安局文峰分局"],
            &["有效期限", "2015.03.08-2025.03.08"],
        ]);
        assert_eq!(detect_side(&rows), Some(CardSide::Back));
        let fields = parse_back(&rows);
        assert_eq!(fields.authority, "安阳市公安局文峰分局");
        assert_eq!(fields.valid_date, "2015.03.08-2025.03.08");
        let long_term = parse_back(&super::tests::rows(&[&["有效期限2001.01.05-长期"]]));
        assert_eq!(long_term.valid_date, "2001.01.05-长期");
        let no_dash = parse_back(&super::tests::rows(&[&[
            "有效期限",
            "2006.08.022026.08.02",
        ]]));
        assert_eq!(no_dash.valid_date, "2006.08.02-2026.08.02");
        assert_eq!(
            validity_dates("2001.01.05-长期"),
            Some(((2001, 1, 5), None))
        );
    }

    #[test]
    fn back_side_labels_may_be_misread() {
        let fields = parse_back(&rows(&[
            &["居民身份证"],
            &["签友机关", "安阳市公安局文峰分局"],
            &["有效期限", "2015.03.08-2025.03.08"],
        ]));
        assert_eq!(fields.authority, "安阳市公安局文峰分局");
        let fused = parse_back(&rows(&[
            &["签发机美安阳市公安局"],
            &["2015.03.08-2025.03.08"],
        ]));
        assert_eq!(fused.authority, "安阳市公安局");
        let first_dropped = parse_back(&rows(&[
            &["发机关", "西安市公安局雁塔分局"],
            &["2015.06.07-2020.06.07"],
        ]));
        assert_eq!(first_dropped.authority, "西安市公安局雁塔分局");
        let fused_first_dropped = parse_back(&rows(&[
            &["发机关西安市公安局"],
            &["2015.06.07-2020.06.07"],
        ]));
        assert_eq!(fused_first_dropped.authority, "西安市公安局");
    }

    #[test]
    fn birth_digits_split_across_boxes() {
        let fields = parse_front(&rows(&[
            &["钱杰国"],
            &["男"],
            &["2005", "06月28日"],
            &["贵州省贵阳市"],
            &["520102200506281978"],
        ]));
        assert_eq!(fields.birth, "2005/6/28");
        assert_eq!(fields.sex, "男");
        assert_eq!(fields.address, "贵州省贵阳市");
    }

    #[test]
    fn name_is_the_last_box_of_its_row() {
        let fields = parse_front(&rows(&[
            &["书", "侯萱"],
            &["性别男"],
            &["出生1985年6月23日"],
            &["海南省"],
            &["460106198506239955"],
        ]));
        assert_eq!(fields.name, "侯萱");
        let dash = parse_front(&rows(&[
            &["姓名", "蒋秋—"],
            &["女"],
            &["1965年4月12日"],
            &["310115196504126724"],
        ]));
        assert_eq!(dash.name, "蒋秋一");
    }

    #[test]
    fn only_an_id_number_gives_no_other_fields() {
        let fields = parse_front(&rows(&[&["410502201503081234"]]));
        assert_eq!(fields.id_num, "410502201503081234");
        assert_eq!(fields.name, "");
    }

    #[test]
    fn id_number_tolerates_confusable_letters() {
        assert_eq!(
            find_id_number("公民身份号码 41O5022O15O3O81234").as_deref(),
            Some("410502201503081234")
        );
        assert_eq!(find_id_number("4105022015030812"), None);
    }
}
