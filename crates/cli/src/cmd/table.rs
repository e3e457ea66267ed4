//! `--output table`: awscli's `TableFormatter` and `MultiTable` (`formatter.py`,
//! `table.py`) line for line, without colours: sections per nested structure, columns scaled
//! to the widest section, Python's rounding, single-row sections turned vertical when the
//! table is wider than the terminal (80 columns unless `COLUMNS` says otherwise on a
//! terminal).

use crate::aws::json::Json;

#[derive(Default)]
struct Section {
    title: String,
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
    indent: usize,
    max_widths: Vec<usize>,
}

impl Section {
    fn update_widths(&mut self, row: &[String]) {
        if self.max_widths.is_empty() {
            self.max_widths = row.iter().map(|e| width(e)).collect();
        } else {
            for (i, e) in row.iter().enumerate() {
                if let Some(w) = self.max_widths.get_mut(i) {
                    *w = (*w).max(width(e));
                }
            }
        }
    }

    fn column_widths(&self, padding: usize, max_width: Option<usize>) -> Vec<usize> {
        let unscaled: Vec<usize> = self.max_widths.iter().map(|w| w + padding).collect();
        let (Some(max), false) = (max_width, unscaled.is_empty()) else {
            return unscaled;
        };
        let total: usize = unscaled.iter().sum();
        let factor = max as f64 / total as f64;
        let mut scaled: Vec<i64> = unscaled
            .iter()
            .map(|w| (factor * *w as f64).round_ties_even() as i64)
            .collect();
        let mut off_by: i64 = scaled.iter().sum::<i64>() - max as i64;
        while off_by != 0 {
            let order: Vec<usize> = if off_by < 0 {
                (0..scaled.len()).rev().collect()
            } else {
                (0..scaled.len()).collect()
            };
            for i in order {
                if let Some(s) = scaled.get_mut(i) {
                    if off_by > 0 {
                        *s -= 1;
                        off_by -= 1;
                    } else {
                        *s += 1;
                        off_by += 1;
                    }
                }
                if off_by == 0 {
                    break;
                }
            }
        }
        scaled.into_iter().map(|s| s.max(0) as usize).collect()
    }

    fn total_width(&self) -> usize {
        let outer = 2 * self.indent;
        let columns: usize = self.column_widths(0, None).iter().map(|w| w + 4).sum();
        (width(&self.title) + 2 + outer).max(columns + 2 + outer)
    }
}

/// Display width as Python's `get_text_length`: wide and fullwidth characters count 2.
fn width(s: &str) -> usize {
    s.chars()
        .map(|c| {
            let c = u32::from(c);
            let wide = matches!(c,
                0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF
                | 0x4E00..=0x9FFF | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
                | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x1F300..=0x1F64F
                | 0x1F900..=0x1F9FF | 0x20000..=0x3FFFD);
            if wide { 2 } else { 1 }
        })
        .sum()
}

fn spaces(n: i64) -> String {
    " ".repeat(usize::try_from(n).unwrap_or(0))
}

fn center_text(text: &str, length: usize, left: &str, right: &str) -> String {
    let (length, tl) = (length as i64, width(text) as i64);
    let start = length.div_euclid(2) - tl.div_euclid(2) - 1;
    let so_far = left.chars().count() as i64 + start + tl;
    let right_spaces = length - right.chars().count() as i64 - so_far;
    format!(
        "{left}{}{text}{}{right}",
        spaces(start),
        spaces(right_spaces)
    )
}

fn align_left(text: &str, length: usize, left: &str, right: &str) -> String {
    let (length, tl) = (length as i64, width(text) as i64);
    let (l, r) = (left.chars().count() as i64, right.chars().count() as i64);
    let padding = if length - (tl + 2 + l + r) >= 0 { 2 } else { 0 };
    let rest = length - (l + padding + tl) - r;
    format!("{left}{}{text}{}{right}", spaces(padding), spaces(rest))
}

struct Table {
    sections: Vec<Section>,
}

impl Table {
    fn new_section(&mut self, title: &str, indent: usize) {
        self.sections.push(Section {
            title: title.to_owned(),
            indent,
            ..Section::default()
        });
    }

    // The first section is made by the top call (titled with the operation), so there is
    // always a last one to add to.
    fn add_header(&mut self, headers: Vec<String>) {
        if let Some(s) = self.sections.last_mut() {
            s.update_widths(&headers);
            s.headers = headers;
        }
    }

    fn add_row(&mut self, row: Vec<String>) {
        if let Some(s) = self.sections.last_mut() {
            s.update_widths(&row);
            s.rows.push(row);
        }
    }

    fn build(&mut self, title: Option<&str>, current: &Json, indent: usize) -> bool {
        if falsy(current) {
            return false;
        }
        if let Some(t) = title {
            self.new_section(t, indent);
        }
        match current {
            Json::List(items) => {
                if matches!(items.first(), Some(Json::Object(_))) {
                    self.sub_table_from_list(items, indent, title.unwrap_or_default());
                } else {
                    for item in items {
                        match item {
                            Json::List(inner) if inner.iter().all(scalar) => {
                                self.add_row(inner.iter().map(Json::python_str).collect());
                            }
                            Json::List(_) | Json::Object(_) => {
                                self.build(None, item, 0);
                            }
                            s => self.add_row(vec![s.python_str()]),
                        }
                    }
                }
            }
            Json::Object(members) => self.sub_table_from_dict(members, indent),
            _ => {}
        }
        true
    }

    fn sub_table_from_dict(&mut self, members: &[(String, Json)], indent: usize) {
        let (headers, more) = group(members);
        let value = |k: &str| {
            members
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.python_str())
                .unwrap_or_default()
        };
        if let [only] = headers.as_slice() {
            self.add_row(vec![only.clone(), value(only)]);
        } else if !headers.is_empty() {
            let row = headers.iter().map(|h| value(h)).collect();
            self.add_header(headers);
            self.add_row(row);
        }
        for k in more {
            if let Some((_, v)) = members.iter().find(|(n, _)| *n == k) {
                self.build(Some(&k), v, indent + 1);
            }
        }
    }

    fn sub_table_from_list(&mut self, items: &[Json], indent: usize, title: &str) {
        let mut headers: Vec<String> = Vec::new();
        let mut more: Vec<String> = Vec::new();
        for item in items {
            if let Json::Object(m) = item {
                let (h, r) = group(m);
                headers.extend(h);
                more.extend(r);
            }
        }
        for v in [&mut headers, &mut more] {
            v.sort();
            v.dedup();
        }
        self.add_header(headers.clone());
        for (i, element) in items.iter().enumerate() {
            if i > 0 && !more.is_empty() {
                self.new_section(title, indent);
                self.add_header(headers.clone());
            }
            let row = headers
                .iter()
                .map(|h| element.get(h).map(Json::python_str).unwrap_or_default())
                .collect();
            self.add_row(row);
            for k in &more {
                if let Some(v) = element.get(k) {
                    self.build(Some(k), v, indent + 1);
                }
            }
        }
    }

    fn render(mut self, terminal_width: usize) -> String {
        let max =
            |sections: &[Section]| sections.iter().map(Section::total_width).max().unwrap_or(0);
        let mut max_width = max(&self.sections);
        if max_width > terminal_width {
            for s in &mut self.sections {
                if s.rows.len() == 1 && !s.headers.is_empty() {
                    let row = s.rows.pop().unwrap_or_default();
                    let headers = std::mem::take(&mut s.headers);
                    let mut vertical = Section {
                        title: std::mem::take(&mut s.title),
                        indent: s.indent,
                        ..Section::default()
                    };
                    for (h, e) in headers.into_iter().zip(row) {
                        let pair = vec![h, e];
                        vertical.update_widths(&pair);
                        vertical.rows.push(pair);
                    }
                    *s = vertical;
                }
            }
            max_width = max(&self.sections);
        }
        let mut out = format!("{}\n", "-".repeat(max_width));
        for s in &self.sections {
            render_section(s, max_width, &mut out);
        }
        out
    }
}

fn render_section(s: &Section, max_width: usize, out: &mut String) {
    let bars = "|".repeat(s.indent);
    let mut write = |line: &str| {
        out.push_str(&bars);
        out.push_str(line);
        out.push_str(&bars);
        out.push('\n');
    };
    let max_width = max_width.saturating_sub(s.indent * 2);
    if !s.title.is_empty() {
        write(&center_text(&s.title, max_width, "|", "|"));
        if s.headers.is_empty() && s.rows.is_empty() {
            write(&format!("+{}+", "-".repeat(max_width.saturating_sub(2))));
        }
    }
    let line_break = |widths: &[usize]| {
        widths
            .iter()
            .enumerate()
            .map(|(i, w)| {
                if i == 0 {
                    format!("+{}+", "-".repeat(w.saturating_sub(2)))
                } else {
                    format!("{}+", "-".repeat(w.saturating_sub(1)))
                }
            })
            .collect::<String>()
    };
    if !s.headers.is_empty() {
        let widths = s.column_widths(4, Some(max_width));
        let line: String = widths
            .iter()
            .zip(&s.headers)
            .enumerate()
            .map(|(i, (w, h))| center_text(h, *w, if i == 0 { "|" } else { "" }, "|"))
            .collect();
        write(&line_break(&widths));
        write(&line);
    }
    if !s.rows.is_empty() {
        let widths = s.column_widths(4, Some(max_width));
        if widths.is_empty() {
            return;
        }
        write(&line_break(&widths));
        for row in &s.rows {
            let line: String = widths
                .iter()
                .zip(row)
                .enumerate()
                .map(|(i, (w, e))| align_left(e, *w, if i == 0 { "|" } else { "" }, "|"))
                .collect();
            write(&line);
        }
        write(&line_break(&widths));
    }
}

fn scalar(v: &Json) -> bool {
    !matches!(v, Json::List(_) | Json::Object(_))
}

/// Python's truthiness.
fn falsy(v: &Json) -> bool {
    match v {
        Json::Null | Json::Bool(false) | Json::Int(0) => true,
        Json::Float(f) => *f == 0.0,
        Json::Str(s) => s.is_empty(),
        Json::List(l) => l.is_empty(),
        Json::Object(m) => m.is_empty(),
        _ => false,
    }
}

/// Scalar keys and the others, each sorted (`_group_scalar_keys`).
fn group(members: &[(String, Json)]) -> (Vec<String>, Vec<String>) {
    let mut headers: Vec<String> = members
        .iter()
        .filter(|(_, v)| scalar(v))
        .map(|(k, _)| k.clone())
        .collect();
    let mut more: Vec<String> = members
        .iter()
        .filter(|(_, v)| !scalar(v))
        .map(|(k, _)| k.clone())
        .collect();
    headers.sort();
    more.sort();
    (headers, more)
}

/// The table for an operation's result, titled with the operation's name.
pub fn render(operation: &str, result: &Json, terminal_width: usize) -> String {
    let mut table = Table {
        sections: Vec::new(),
    };
    if table.build(Some(operation), result, 0) {
        table.render(terminal_width)
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_single_rows_turn_vertical() {
        let r = Json::Object(vec![
            (
                "UserId".into(),
                Json::Str("AROAMEZ3CCMPDYG7D47ZP:botocore-session-1795821641".into()),
            ),
            ("Account".into(), Json::Str("345345345345".into())),
            (
                "Arn".into(),
                Json::Str(
                    "arn:aws:sts::345345345345:assumed-role/accounta/botocore-session-1795821641"
                        .into(),
                ),
            ),
        ]);
        let expected = "\
--------------------------------------------------------------------------------------------
|                                     GetCallerIdentity                                    |
+---------+--------------------------------------------------------------------------------+
|  Account|  345345345345                                                                  |
|  Arn    |  arn:aws:sts::345345345345:assumed-role/accounta/botocore-session-1795821641   |
|  UserId |  AROAMEZ3CCMPDYG7D47ZP:botocore-session-1795821641                             |
+---------+--------------------------------------------------------------------------------+
";
        assert_eq!(render("GetCallerIdentity", &r, 80), expected);
    }
}
