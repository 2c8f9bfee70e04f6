//! The Markdown reader: `## ` sections, their tables, rows with line numbers, cells read as
//! tokens, and the escape syntax of the backtick values ("How to read the tables" in
//! `spec-table.md`). It knows nothing of what the sections mean.

use crate::report::Report;

/// A `## ` section whose tables are executed, and the header all of them must have.
pub struct Layout {
    pub heading: &'static str,
    pub header: &'static [&'static str],
    /// The columns whose values are lines of text: there a single space between two other
    /// characters may be written as a plain space (see [`Spaces`]).
    pub text_columns: &'static [&'static str],
}

/// How a code span may write a space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spaces {
    /// Only escaped, as `␠` or `\x20`: a literal space is an error.
    Escaped,
    /// In a line of text, also as one plain space between two other characters; a plain
    /// space at either end of the span or next to another one is still an error.
    Inner,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// A code span, unescaped.
    Code(String),
    /// A plain word outside backticks.
    Word(String),
}

#[derive(Debug)]
pub struct Row {
    /// The line number in the file, from 1.
    pub line: usize,
    /// One token list per column of the section's header.
    pub cells: Vec<Vec<Token>>,
}

enum TableState {
    /// Not inside a table: the next `|` line is a header.
    Outside,
    /// After a header: the next line must be the `|---|` separator.
    Separator(usize),
    /// In the body of a table of the section with this index.
    Body(usize),
    /// In a table whose header was wrong (already reported): its rows are skipped.
    Broken,
}

/// Reads the rows of every table, one list per layout (in the order of `layouts`, which is
/// also the order the sections must start with). Every problem goes to `report`.
pub fn parse(text: &str, layouts: &[Layout], report: &mut Report) -> Vec<Vec<Row>> {
    let mut rows: Vec<Vec<Row>> = layouts.iter().map(|_| Vec::new()).collect();
    let mut seen = vec![0usize; layouts.len()];
    let mut section: Option<usize> = None;
    let mut state = TableState::Outside;
    let mut any_heading = false;
    for (at, line) in text.lines().enumerate() {
        let number = at + 1;
        let trimmed = line.trim();
        if !trimmed.starts_with('|') {
            state = TableState::Outside;
        }
        if let Some(title) = line.strip_prefix("## ") {
            let first_heading = !any_heading;
            any_heading = true;
            section = layouts.iter().position(|l| l.heading == title.trim());
            if first_heading && section != Some(0) {
                let first = layouts[0].heading;
                report.fail(number, format!("the first section must be `## {first}`"));
            }
            if let Some(s) = section {
                if seen[s] != 0 {
                    report.fail(
                        number,
                        format!(
                            "section `## {}` appears twice (first at line {})",
                            layouts[s].heading, seen[s]
                        ),
                    );
                }
                seen[s] = number;
            }
            continue;
        }
        if !trimmed.starts_with('|') {
            continue;
        }
        let cells = match split_cells(trimmed) {
            Ok(cells) => cells,
            Err(problem) => {
                report.fail(number, problem);
                continue;
            }
        };
        state = match state {
            TableState::Outside => match section {
                None => {
                    report.fail(
                        number,
                        "a table outside the executed sections: its rows would never run",
                    );
                    TableState::Broken
                }
                Some(s) if cells != layouts[s].header => {
                    report.fail(
                        number,
                        format!(
                            "the tables of `## {}` have the header {:?}, not {:?}",
                            layouts[s].heading, layouts[s].header, cells
                        ),
                    );
                    TableState::Broken
                }
                Some(s) => TableState::Separator(s),
            },
            TableState::Separator(s) => {
                let is_separator = cells.len() == layouts[s].header.len()
                    && cells.iter().all(|cell| {
                        let dashes = cell.trim_start_matches(':').trim_end_matches(':');
                        dashes.len() >= 3 && dashes.bytes().all(|b| b == b'-')
                    });
                if !is_separator {
                    report.fail(number, "expected the `|---|` line under the table header");
                    TableState::Broken
                } else {
                    TableState::Body(s)
                }
            }
            TableState::Body(s) => {
                if let Some(row) = read_row(number, &layouts[s], &cells, report) {
                    rows[s].push(row);
                }
                TableState::Body(s)
            }
            TableState::Broken => TableState::Broken,
        };
    }
    for (layout, first_line) in layouts.iter().zip(&seen) {
        if *first_line == 0 {
            report.fail(0, format!("section `## {}` is missing", layout.heading));
        }
    }
    rows
}

/// Tokenizes the cells of one body line; `None` (reported) if any cell does not read.
fn read_row(number: usize, layout: &Layout, cells: &[String], report: &mut Report) -> Option<Row> {
    if cells.len() != layout.header.len() {
        report.fail(
            number,
            format!(
                "{} cells, but the table has {} columns",
                cells.len(),
                layout.header.len()
            ),
        );
        return None;
    }
    let mut tokens = Vec::with_capacity(cells.len());
    for (column, cell) in layout.header.iter().zip(cells) {
        let spaces = if layout.text_columns.contains(column) {
            Spaces::Inner
        } else {
            Spaces::Escaped
        };
        match tokenize(cell, spaces) {
            Ok(cell_tokens) => tokens.push(cell_tokens),
            Err(problem) => report.fail(number, format!("column `{column}`: {problem}")),
        }
    }
    (tokens.len() == cells.len()).then_some(Row {
        line: number,
        cells: tokens,
    })
}

/// Splits `| a | b |` into trimmed cells. `\|` stands for a `|` inside a cell.
pub fn split_cells(line: &str) -> Result<Vec<String>, String> {
    let Some(inner) = line.strip_prefix('|') else {
        return Err("a table line starts with `|`".into());
    };
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut chars = inner.chars().peekable();
    let mut closed = false;
    while let Some(ch) = chars.next() {
        closed = false;
        match ch {
            '\\' if chars.peek() == Some(&'|') => {
                chars.next();
                cell.push('|');
            }
            '|' => {
                cells.push(cell.trim().to_owned());
                cell.clear();
                closed = true;
            }
            _ => cell.push(ch),
        }
    }
    if !closed {
        return Err("a table line ends with `|`".into());
    }
    Ok(cells)
}

/// Reads a cell as code spans and plain words, separated by whitespace.
pub fn tokenize(cell: &str, spaces: Spaces) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut rest = cell.trim();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('`') {
            let Some(end) = after.find('`') else {
                return Err(format!("unclosed backtick in {cell:?}"));
            };
            let raw = &after[..end];
            if raw.is_empty() {
                return Err("an empty code span: write (empty) for the empty string".into());
            }
            tokens.push(Token::Code(unescape(raw, spaces)?));
            rest = &after[end + 1..];
            if !rest.is_empty() && !rest.starts_with(char::is_whitespace) {
                return Err(format!("text glued to a code span in {cell:?}"));
            }
        } else {
            let end = rest
                .find(|c: char| c.is_whitespace() || c == '`')
                .unwrap_or(rest.len());
            if rest[end..].starts_with('`') {
                return Err(format!("a word glued to a code span in {cell:?}"));
            }
            tokens.push(Token::Word(rest[..end].to_owned()));
            rest = &rest[end..];
        }
        rest = rest.trim_start();
    }
    Ok(tokens)
}

/// Resolves the escapes of a code span (see "How to read the tables" in the file):
/// `␠` and `\x20` are a space, `\t` `\n` `\r` `\\`, `\xHH` (ASCII), `\u{HEX}`, and
/// `\{TEXT*N}` is TEXT repeated N times. A literal space is refused (except as one inner
/// space of a line of text, [`Spaces::Inner`]), so that no significant space can hide in
/// the rendered table.
pub fn unescape(raw: &str, spaces: Spaces) -> Result<String, String> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    let mut previous = None;
    while let Some(ch) = chars.next() {
        let next = chars.clone().next();
        let inner_space = spaces == Spaces::Inner
            && previous.is_some_and(|p: char| p != ' ')
            && next.is_some_and(|n| n != ' ');
        previous = Some(ch);
        match ch {
            '␠' => out.push(' '),
            ' ' if inner_space => out.push(' '),
            ' ' if spaces == Spaces::Inner => {
                return Err(format!(
                    "a literal space at an end of `{raw}` or next to another one: write it as ␠"
                ))
            }
            ' ' => {
                return Err(format!(
                    "a literal space in `{raw}`: write a significant space as ␠ or \\x20"
                ))
            }
            '\\' => match chars.next() {
                Some('\\') => out.push('\\'),
                Some('t') => out.push('\t'),
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some('x') => {
                    let hex: String = chars.by_ref().take(2).collect();
                    let code = u8::from_str_radix(&hex, 16)
                        .ok()
                        .filter(|code| code.is_ascii() && hex.len() == 2)
                        .ok_or_else(|| format!("bad escape \\x{hex} in `{raw}`"))?;
                    out.push(char::from(code));
                }
                Some('u') => {
                    let rest = chars.as_str();
                    let body = rest
                        .strip_prefix('{')
                        .and_then(|r| r.split_once('}'))
                        .map(|(hex, _)| hex)
                        .ok_or_else(|| format!("bad escape \\u in `{raw}`: write \\u{{HEX}}"))?;
                    let ch = u32::from_str_radix(body, 16)
                        .ok()
                        .and_then(char::from_u32)
                        .ok_or_else(|| format!("bad escape \\u{{{body}}} in `{raw}`"))?;
                    out.push(ch);
                    chars = rest[body.len() + 2..].chars();
                }
                Some('{') => {
                    let rest = chars.as_str();
                    let (body, after) = rest
                        .split_once('}')
                        .ok_or_else(|| format!("unclosed \\{{ in `{raw}`"))?;
                    let (text, count) = body.rsplit_once('*').ok_or_else(|| {
                        format!("bad repetition \\{{{body}}}: write \\{{TEXT*N}}")
                    })?;
                    let count: usize = count
                        .parse()
                        .map_err(|_| format!("bad count in \\{{{body}}}"))?;
                    if text.is_empty() {
                        return Err(format!("nothing to repeat in \\{{{body}}}"));
                    }
                    out.push_str(&text.repeat(count));
                    chars = after.chars();
                }
                other => {
                    return Err(format!(
                        "unknown escape \\{} in `{raw}`",
                        other.unwrap_or(' ')
                    ))
                }
            },
            _ => out.push(ch),
        }
    }
    Ok(out)
}

/// Shows a line of text the way a text column writes it: as [`show`], but with its spaces
/// plain where [`Spaces::Inner`] reads them back.
pub fn show_text(value: &str) -> String {
    let plain = !value.starts_with(' ') && !value.ends_with(' ') && !value.contains("  ");
    let shown = show(value);
    if plain {
        shown.replace('␠', " ")
    } else {
        shown
    }
}

/// Shows a value the way the table writes it, so that a failure message can be pasted back.
pub fn show(value: &str) -> String {
    if value.is_empty() {
        return "(empty)".into();
    }
    let mut out = String::from("`");
    for ch in value.chars() {
        match ch {
            ' ' => out.push('␠'),
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '`' | '␠' | '|' => out.push_str(&format!("\\u{{{:x}}}", u32::from(ch))),
            ch if ch.is_control() || ch.is_whitespace() => {
                out.push_str(&format!("\\u{{{:x}}}", u32::from(ch)));
            }
            ch => out.push(ch),
        }
    }
    out.push('`');
    out
}

/// Exactly one value: a code span, or `(empty)` for the empty string.
pub fn one_value(cell: &[Token]) -> Result<String, String> {
    match cell {
        [Token::Code(value)] => Ok(value.clone()),
        [Token::Word(word)] if word == "(empty)" => Ok(String::new()),
        _ => Err(format!("expected one value in backticks, found {cell:?}")),
    }
}

/// A list of values in backticks, or `-` for none (if `may_be_empty`).
pub fn value_list(cell: &[Token], may_be_empty: bool) -> Result<Vec<String>, String> {
    match cell {
        [Token::Word(word)] if word == "-" && may_be_empty => Ok(Vec::new()),
        [] => Err("an empty cell: write `-` for none".into()),
        _ => cell
            .iter()
            .map(|token| match token {
                Token::Code(value) => Ok(value.clone()),
                Token::Word(word) => Err(format!("expected values in backticks, found {word:?}")),
            })
            .collect(),
    }
}

/// `-` for none, or pairs of plain words (a kind, then what it is about); `shape` names
/// the pair's form in the messages (`Kind mode[i]`).
pub fn word_pairs<'a>(cell: &'a [Token], shape: &str) -> Result<Vec<[&'a str; 2]>, String> {
    let words: Vec<&str> = cell
        .iter()
        .map(|token| match token {
            Token::Word(word) => Ok(word.as_str()),
            Token::Code(code) => Err(format!(
                "expected plain words (`{shape}`), found the value {}",
                show(code)
            )),
        })
        .collect::<Result<_, _>>()?;
    match words.as_slice() {
        ["-"] => return Ok(Vec::new()),
        [] => return Err("an empty cell: write `-` for none".into()),
        _ => {}
    }
    if !words.len().is_multiple_of(2) {
        return Err(format!("expected pairs `{shape}`, found {words:?}"));
    }
    Ok(words.chunks(2).map(|pair| [pair[0], pair[1]]).collect())
}
