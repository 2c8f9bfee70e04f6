//! Where each entry of a policy file starts, as a line and a column of the file text.

use serde::Deserialize;

use super::Format;

/// A place in a policy file's text: the line and the column, both from 1. The column counts
/// characters (not bytes), as editors do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Location {
    /// The line, from 1.
    pub line: usize,
    /// The column, from 1, in characters.
    pub column: usize,
}

impl Location {
    /// The location of a byte offset of `text`; an offset inside a character counts as that
    /// character, one past the end as the column after the last character. Scans the text
    /// up to the offset: to locate many offsets, use [`Locator`].
    pub(crate) fn of_offset(text: &str, offset: usize) -> Location {
        Locator::new(text).locate(offset)
    }
}

/// Turns byte offsets of one text into [`Location`]s in one forward pass: offsets given in
/// increasing order cost, all together, one scan of the text up to the last of them. (An
/// offset before the previous one starts the scan over from the beginning, which
/// [`entry_locations`] never asks for: it sorts the offsets first.)
pub(crate) struct Locator<'t> {
    text: &'t str,
    /// The byte the scan has reached (a character boundary).
    at: usize,
    /// The line of `at`, from 1, and the column of `at`, from 1, in characters.
    line: usize,
    column: usize,
    /// Bytes scanned so far, the measure of the work (`tests` hold it linear).
    scanned: usize,
}

impl<'t> Locator<'t> {
    pub(crate) fn new(text: &'t str) -> Self {
        Locator {
            text,
            at: 0,
            line: 1,
            column: 1,
            scanned: 0,
        }
    }

    /// The location of `offset` (see [`Location::of_offset`]).
    pub(crate) fn locate(&mut self, offset: usize) -> Location {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        if offset < self.at {
            let scanned = self.scanned;
            *self = Locator::new(self.text);
            self.scanned = scanned;
        }
        let between = &self.text[self.at..offset];
        self.scanned += between.len();
        match between.rfind('\n') {
            Some(last) => {
                self.line += between.matches('\n').count();
                self.column = between[last + 1..].chars().count() + 1;
            }
            None => self.column += between.chars().count(),
        }
        self.at = offset;
        Location {
            line: self.line,
            column: self.column,
        }
    }
}

/// The TOML read again for where each entry stands: `Spanned` keeps the byte range of each
/// value. Other keys are ignored here (the real parse checks them).
#[derive(Deserialize)]
struct TomlLocator {
    #[serde(default)]
    live: Vec<toml::Spanned<toml::Value>>,
    #[serde(default)]
    test: Vec<toml::Spanned<toml::Value>>,
}

/// The JSON read again for where each entry stands: each value borrowed raw from the text,
/// whose position in the text is where the entry starts.
#[derive(Deserialize)]
struct JsonLocator<'a> {
    #[serde(default, borrow)]
    live: Vec<&'a serde_json::value::RawValue>,
    #[serde(default, borrow)]
    test: Vec<&'a serde_json::value::RawValue>,
}

/// Where each entry of the live list and of the test list starts, by the byte offsets the
/// parser gives; empty lists if the text cannot be read that way (the real parse then
/// fails and says why). One forward pass over the text turns all offsets into locations.
pub(crate) fn entry_locations(text: &str, format: Format) -> [Vec<Location>; 2] {
    entry_locations_counted(text, format).0
}

/// [`entry_locations`], and the bytes its [`Locator`] scanned.
pub(crate) fn entry_locations_counted(text: &str, format: Format) -> ([Vec<Location>; 2], usize) {
    let offsets: [Vec<usize>; 2] = match format {
        Format::Toml => match toml::from_str::<TomlLocator>(text) {
            Ok(found) => [found.live, found.test]
                .map(|list| list.iter().map(|value| value.span().start).collect()),
            Err(_) => Default::default(),
        },
        Format::Json => match serde_json::from_str::<JsonLocator<'_>>(text) {
            Ok(found) => [found.live, found.test]
                .map(|list| list.iter().map(|raw| offset_in(text, raw.get())).collect()),
            Err(_) => Default::default(),
        },
    };
    // Every offset with its list and position, in the order of the text.
    let mut order: Vec<(usize, usize, usize)> = offsets
        .iter()
        .enumerate()
        .flat_map(|(list, offsets)| {
            offsets
                .iter()
                .enumerate()
                .map(move |(position, &offset)| (offset, list, position))
        })
        .collect();
    order.sort_unstable();
    let mut locations = offsets.map(|offsets| vec![Location { line: 1, column: 1 }; offsets.len()]);
    let mut locator = Locator::new(text);
    for (offset, list, position) in order {
        locations[list][position] = locator.locate(offset);
    }
    (locations, locator.scanned)
}

/// The byte offset of `part`, a slice borrowed from `text`, within `text`.
fn offset_in(text: &str, part: &str) -> usize {
    part.as_ptr().addr().saturating_sub(text.as_ptr().addr())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: usize, column: usize) -> Location {
        Location { line, column }
    }

    #[test]
    fn lines_and_columns_count_from_1_and_columns_count_characters() {
        let text = "a = 1\nlive = [\"é\", \"x\"]\r\nb";
        assert_eq!(Location::of_offset(text, 0), at(1, 1));
        assert_eq!(Location::of_offset(text, 6), at(2, 1));
        let x = text.find("\"x\"").unwrap();
        assert_eq!(Location::of_offset(text, x), at(2, 14));
        assert_eq!(Location::of_offset(text, text.len()), at(3, 2));
        // Inside a multi-byte character: the character's own column.
        let e = text.find('é').unwrap();
        assert_eq!(
            Location::of_offset(text, e + 1),
            Location::of_offset(text, e)
        );
    }

    #[test]
    fn toml_locations_find_strings_tables_and_arrays_of_tables() {
        let text = "live = [\n  \"https://a.com\",\n    { pattern = \"https://b.com\" },\n]\n\
                    [[test]]\npattern = \"http://localhost\"\n";
        let [live, test] = entry_locations(text, Format::Toml);
        assert_eq!(live, [at(2, 3), at(3, 5)]);
        assert_eq!(test.len(), 1);
    }

    #[test]
    fn json_locations_find_strings_and_objects() {
        let text =
            "{\n  \"options\": {},\n  \"test\": [\"http://localhost\"],\n  \"live\": [\n    \
                    \"https://é.com\", { \"pattern\": \"https://b.com\" }\n  ]\n}";
        let [live, test] = entry_locations(text, Format::Json);
        assert_eq!(live, [at(5, 5), at(5, 22)]);
        assert_eq!(test, [at(3, 12)]);
    }

    /// A policy file of `n` entries per mode in each layout: TOML with one entry per
    /// line, TOML inline tables with notes, TOML arrays of tables (the two lists
    /// interleaved), minified JSON, and JSON objects with notes.
    fn layouts(n: usize) -> Vec<(&'static str, Format, String)> {
        let host = |mode: &str, i: usize| format!("https://{mode}-{i}.example.com");
        let mut lines = String::from("live = [\n");
        let mut tables = String::from("live = [\n");
        let mut interleaved = String::new();
        let mut minified = Vec::new();
        let mut objects = Vec::new();
        for i in 0..n {
            lines.push_str(&format!("  \"{}\",\n", host("live", i)));
            tables.push_str(&format!(
                "  {{ pattern = \"{}\", note = \"ticket é-{i}\" }},\n",
                host("live", i)
            ));
            for mode in ["live", "test"] {
                interleaved.push_str(&format!(
                    "[[{mode}]]\npattern = \"{}\"\nnote = \"n{i}\"\n",
                    host(mode, i)
                ));
            }
            minified.push(format!("\"{}\"", host("live", i)));
            objects.push(format!(
                "{{\"pattern\":\"{}\",\"note\":\"é {i}\"}}",
                host("live", i)
            ));
        }
        lines.push_str("]\ntest = [\"http://localhost:*\"]\n");
        tables.push_str("]\n");
        let minified = format!("{{\"live\":[{}],\"test\":[]}}", minified.join(","));
        let objects = format!("{{\"test\":[],\"live\":[\n{}\n]}}", objects.join(",\n"));
        vec![
            ("toml lines", Format::Toml, lines),
            ("toml inline tables with notes", Format::Toml, tables),
            (
                "toml arrays of tables, interleaved",
                Format::Toml,
                interleaved,
            ),
            ("json minified", Format::Json, minified),
            ("json objects with notes", Format::Json, objects),
        ]
    }

    /// Locating every entry is one pass: the locator scans each byte of the text at most
    /// once, so 8 times the entries cost at most 8 times the bytes scanned (held at 12x,
    /// the bound the issue sets, and at the text's length). The quadratic locator this
    /// replaced scanned the text before each entry again: 40k entries cost it 64x 5k.
    #[test]
    fn locating_every_entry_scans_the_text_once() {
        let sizes = [5_000, 10_000, 20_000, 40_000];
        let runs: Vec<Vec<(&str, usize, usize)>> = sizes
            .iter()
            .map(|&n| {
                layouts(n)
                    .into_iter()
                    .map(|(name, format, text)| {
                        let (locations, scanned) = entry_locations_counted(&text, format);
                        assert_eq!(locations[0].len(), n, "{name}");
                        assert!(scanned <= text.len(), "{name}: {scanned} > {}", text.len());
                        (name, scanned, text.len())
                    })
                    .collect()
            })
            .collect();
        for (small, large) in runs[0].iter().zip(&runs[3]) {
            let (name, small_scanned, _) = *small;
            let (_, large_scanned, _) = *large;
            assert!(
                large_scanned <= 12 * small_scanned,
                "{name}: 40k entries scanned {large_scanned} bytes, 5k {small_scanned}"
            );
        }
    }

    #[test]
    fn locations_in_the_order_of_the_text_whatever_the_lists() {
        let text = "[[test]]\npattern = \"http://a\"\n[[live]]\npattern = \"https://b\"\n\
                    [[test]]\npattern = \"http://c\"\n";
        let [live, test] = entry_locations(text, Format::Toml);
        // An array of tables' entry starts at its `[[live]]` header.
        assert_eq!(live, [at(3, 1)]);
        assert_eq!(test, [at(1, 1), at(5, 1)]);
        // A locator asked to go back starts over and still answers right.
        let mut locator = Locator::new("a\nb\nc");
        assert_eq!(locator.locate(4), at(3, 1));
        assert_eq!(locator.locate(2), at(2, 1));
    }

    #[test]
    fn unreadable_text_has_no_locations() {
        assert_eq!(entry_locations("live = [", Format::Toml), [vec![], vec![]]);
        assert_eq!(
            entry_locations("{\"live\": 3}", Format::Json),
            [vec![], vec![]]
        );
    }
}
