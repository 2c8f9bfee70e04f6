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
    /// character, one past the end as the column after the last character.
    pub(crate) fn of_offset(text: &str, offset: usize) -> Location {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line_start = before.rfind('\n').map_or(0, |at| at + 1);
        Location {
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
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
/// fails and says why).
pub(crate) fn entry_locations(text: &str, format: Format) -> [Vec<Location>; 2] {
    let at = |offset: usize| Location::of_offset(text, offset);
    match format {
        Format::Toml => match toml::from_str::<TomlLocator>(text) {
            Ok(found) => [found.live, found.test]
                .map(|list| list.iter().map(|value| at(value.span().start)).collect()),
            Err(_) => Default::default(),
        },
        Format::Json => match serde_json::from_str::<JsonLocator<'_>>(text) {
            Ok(found) => [found.live, found.test].map(|list| {
                list.iter()
                    .map(|raw| at(offset_in(text, raw.get())))
                    .collect()
            }),
            Err(_) => Default::default(),
        },
    }
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

    #[test]
    fn unreadable_text_has_no_locations() {
        assert_eq!(entry_locations("live = [", Format::Toml), [vec![], vec![]]);
        assert_eq!(
            entry_locations("{\"live\": 3}", Format::Json),
            [vec![], vec![]]
        );
    }
}
