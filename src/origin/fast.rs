//! hot path: measured with benches/instructions.sh
//!
//! The fast path of [`Origin::parse`]: exactly the form browsers send, read in one pass
//! without allocating.
//!
//! The host is read eight bytes at a time. A word whose bytes are all lowercase letters,
//! digits, `-` or dots (nearly every word of every origin) is proven valid by a few
//! arithmetic tests on the whole word, and the same tests give the positions of its dots,
//! which are recorded for the index ([`Dots`]). Any other word (the one holding the `:`
//! before a port, or an `_`) is read byte by byte. Every byte is checked; anything this
//! path does not accept goes to [`super::browser`], which either reads it as a browser
//! would or says why it cannot be an origin. The two paths agree on every input: the test
//! suite compares them.

use std::borrow::Cow;

use super::Origin;
use crate::host::{self, HostKind};
use crate::origin::dots::Dots;
use crate::port;
use crate::scheme::Scheme;

/// How the byte-by-byte reader classifies a byte of the authority.
const OTHER: u8 = 0;
const LABEL: u8 = 1;
const DOT: u8 = 2;

/// [`LABEL`] for `a-z 0-9 - _` ([`host::is_label_byte`]), [`DOT`], else [`OTHER`].
static BYTE_CLASS: [u8; 256] = {
    let mut table = [OTHER; 256];
    let mut byte = 0;
    while byte < 256 {
        if host::is_label_byte(byte as u8) {
            table[byte] = LABEL;
        }
        byte += 1;
    }
    table[b'.' as usize] = DOT;
    table
};

/// Eight bytes, one per lane, little-endian: lane `i` is byte `i`.
const LANES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The high bit of each lane of `word` whose byte is at least `threshold` (the other bits
/// are garbage). An ASCII lane plus `0x80 - threshold` reaches 0x80 exactly when it is at
/// least `threshold`, and stays below 0x100, so no lane carries into the next. (A
/// non-ASCII lane may carry; the caller clears such lanes with `& !word` and then does not
/// use the masks of the lanes above them.)
#[inline(always)]
const fn at_least(word: u64, threshold: u8) -> u64 {
    word.wrapping_add(LANES * (0x80 - threshold as u64))
}

/// The first test of a word, enough for most: its lanes that are `a-z` or `.`, its dots,
/// and the sum of the `.` bound, which [`digit_or_hyphen_lanes`] shares. Each class is a
/// range of bytes: the lanes at least its first byte and not at least the one after its
/// last. Exact in every lane up to the first non-ASCII one, which is never `a-z` or `.`.
#[inline(always)]
fn plain_lanes(word: u64) -> (u64, u64, u64) {
    let from_dot = at_least(word, b'.');
    let dots = (from_dot ^ at_least(word, b'/')) & HIGH;
    let letters = at_least(word, b'a') ^ at_least(word, b'{');
    // `& !word` clears the lanes of non-ASCII bytes, whose tests may have carried.
    ((letters | dots) & !word & HIGH, dots, from_dot)
}

/// The second test, for a word with other bytes than `a-z` and `.`: its lanes that are
/// `0-9` or `-`, and its hyphens (`from_dot` from [`plain_lanes`]). Exact as that one.
#[inline(always)]
fn digit_or_hyphen_lanes(word: u64, from_dot: u64) -> (u64, u64) {
    let hyphens = (at_least(word, b'-') ^ from_dot) & HIGH;
    let digits = at_least(word, b'0') ^ at_least(word, b':');
    ((digits | hyphens) & !word & HIGH, hyphens)
}

/// Where the scan of the host stands.
struct Scan {
    /// Where the current label begins, from the start of the host.
    label_start: usize,
    dots: Dots,
    /// Not zero when the host holds `--` somewhere: only then can a label start with
    /// `xn--`, which must be checked by IDNA.
    double_hyphen: u64,
}

impl Scan {
    /// Ends the current label at the dot at `at`, from the start of the host.
    #[inline(always)]
    fn dot(&mut self, at: usize) -> Option<()> {
        self.label_ends(at)?;
        self.dots.push(at);
        self.label_start = at + 1;
        Some(())
    }

    /// Checks that the current label, ending at `end`, has 1 to 63 bytes.
    #[inline(always)]
    fn label_ends(&self, end: usize) -> Option<()> {
        // An empty label wraps to a huge length.
        let len_minus_one = end.wrapping_sub(self.label_start).wrapping_sub(1);
        (len_minus_one < host::MAX_LABEL_LEN).then_some(())
    }

    /// Reads `word`, the `width` bytes at `at` of `authority` (the rest of its lanes are
    /// letters). `Some(Some(colon))` ends the host at a `:`; `None` rejects the input.
    #[inline(always)]
    fn word(
        &mut self,
        authority: &[u8],
        word: u64,
        at: usize,
        width: usize,
    ) -> Option<Option<usize>> {
        let (plain, dots, from_dot) = plain_lanes(word);
        if plain == HIGH {
            return self.dots(dots, at).map(|()| None);
        }
        let (digits_or_hyphens, hyphens) = digit_or_hyphen_lanes(word, from_dot);
        let good = plain | digits_or_hyphens;
        // A `--` inside this word, or across the end of the previous one.
        let across =
            word as u8 == b'-' && at.checked_sub(1).and_then(|at| authority.get(at)) == Some(&b'-');
        self.double_hyphen |= hyphens & (hyphens >> 8) | u64::from(across);
        if good != HIGH {
            return self.bytes(authority, at, width);
        }
        self.dots(dots, at).map(|()| None)
    }

    /// Ends a label at each dot of `dots`, the dot lanes of the word at `at`.
    #[inline(always)]
    fn dots(&mut self, mut dots: u64, at: usize) -> Option<()> {
        while dots != 0 {
            self.dot(at + (dots.trailing_zeros() / 8) as usize)?;
            dots &= dots - 1;
        }
        Some(())
    }

    /// Reads the `width` bytes at `at` of `authority` one by one, up to a `:`.
    /// `Some(Some(colon))` ends the host there.
    #[cold]
    fn bytes(&mut self, authority: &[u8], at: usize, width: usize) -> Option<Option<usize>> {
        for (lane, &byte) in authority.get(at..at + width)?.iter().enumerate() {
            match BYTE_CLASS[usize::from(byte)] {
                LABEL => {}
                DOT => self.dot(at + lane)?,
                _ if byte == b':' => return Some(Some(at + lane)),
                _ => return None,
            }
        }
        Some(None)
    }
}

/// `Some` for exactly the serialization a browser sends with a domain or dotted-decimal
/// IPv4 host; `None` sends the input to the general path.
#[inline(always)]
pub(super) fn parse_canonical(input: &str) -> Option<Origin<'_>> {
    let bytes = input.as_bytes();
    let (scheme, host_start) = if bytes.first_chunk::<8>() == Some(b"https://") {
        (Scheme::Https, 8)
    } else if bytes.first_chunk::<7>() == Some(b"http://") {
        (Scheme::Http, 7)
    } else {
        return None;
    };
    let authority = bytes.get(host_start..)?;
    let mut scan = Scan {
        label_start: 0,
        dots: Dots::default(),
        double_hyphen: 0,
    };
    let mut chunks = authority.chunks_exact(8);
    let mut at = 0;
    let host_len = 'host: {
        for chunk in &mut chunks {
            let word = u64::from_le_bytes(<[u8; 8]>::try_from(chunk).ok()?);
            if let Some(colon) = scan.word(authority, word, at, 8)? {
                break 'host colon;
            }
            at += 8;
        }
        let width = chunks.remainder().len();
        if width == 0 {
            break 'host at;
        }
        // The input's last eight bytes, shifted so that the unread ones come first, with
        // letters filling the lanes after them. `http://` is 7 bytes and something follows
        // it, so the input has at least 8.
        let last = u64::from_le_bytes(*bytes.last_chunk::<8>()?);
        let word = (last >> (8 * (8 - width))) | (LANES * u64::from(b'a')) << (8 * width);
        scan.word(authority, word, at, width)?
            .unwrap_or(authority.len())
    };
    scan.label_ends(host_len)?;
    if host_len > host::MAX_NAME_LEN {
        return None;
    }
    let host = input.get(host_start..host_start + host_len)?;
    let host_kind = if authority.get(scan.label_start)?.is_ascii_digit() {
        // A browser reads a name ending in a number as IPv4; only plain dotted decimal is
        // handled here.
        if !is_dotted_decimal(host) {
            return None;
        }
        HostKind::Ipv4
    } else {
        HostKind::Domain
    };
    if scan.double_hyphen != 0 && !idna_keeps(host) {
        return None;
    }
    let port = match authority.get(host_len + 1..) {
        None => scheme.default_port(),
        Some(digits) => port::parse(digits).ok()?,
    };
    Some(Origin {
        scheme,
        host: Cow::Borrowed(host),
        host_kind,
        port,
        dots: scan.dots,
    })
}

/// Whether IDNA maps `host` to itself: its `xn--` labels decode, and it is already what a
/// browser would send.
#[cold]
fn idna_keeps(host: &str) -> bool {
    matches!(
        idna::domain_to_ascii_cow(host.as_bytes(), idna::AsciiDenyList::URL),
        Ok(Cow::Borrowed(mapped)) if mapped == host
    )
}

/// Four decimal numbers 0–255 without leading zeros: the only IPv4 text that is its own
/// serialization.
fn is_dotted_decimal(host: &str) -> bool {
    let mut parts = 0;
    for part in host.split('.') {
        parts += 1;
        let valid = !part.is_empty()
            && part.len() <= 3
            && part.bytes().all(|b| b.is_ascii_digit())
            && (part == "0" || !part.starts_with('0'))
            && part.parse::<u16>().is_ok_and(|n| n <= 255);
        if !valid {
            return false;
        }
    }
    parts == 4
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lane(mask: u64, at: usize) -> bool {
        mask >> (8 * at + 7) & 1 == 1
    }

    /// Every promise of [`plain_lanes`] and [`digit_or_hyphen_lanes`] on `bytes`.
    fn check_lanes(bytes: [u8; 8]) {
        let word = u64::from_le_bytes(bytes);
        let (plain, dots, from_dot) = plain_lanes(word);
        let (digits_or_hyphens, hyphens) = digit_or_hyphen_lanes(word, from_dot);
        for mask in [plain, dots, digits_or_hyphens, hyphens] {
            assert_eq!(mask & !HIGH, 0, "{bytes:?}");
        }
        // Exact up to the first non-ASCII lane (all lanes when there is none); lanes above
        // it may be wrong, but that lane is in no class, so the word is never accepted.
        let exact = bytes.iter().position(|b| !b.is_ascii()).unwrap_or(7);
        for (at, &byte) in bytes.iter().enumerate().take(exact + 1) {
            let why = format!("lane {at} of {bytes:?}");
            let is_plain = byte.is_ascii_lowercase() || byte == b'.';
            assert_eq!(lane(plain, at), is_plain, "{why}");
            let is_other = byte.is_ascii_digit() || byte == b'-';
            assert_eq!(lane(digits_or_hyphens, at), is_other, "{why}");
            if byte.is_ascii() {
                assert_eq!(lane(dots, at), byte == b'.', "{why}");
                assert_eq!(lane(hyphens, at), byte == b'-', "{why}");
            }
        }
    }

    #[test]
    fn lane_classes_are_exact_for_every_byte_in_every_lane() {
        let fillers = [
            b'a', b'z', b'0', b'9', b'-', b'.', b'/', b':', b'{', 0, 0x7f, 0x80, 0xff,
        ];
        for filler in fillers {
            for at in 0..8 {
                for byte in 0..=255u8 {
                    let mut bytes = [filler; 8];
                    bytes[at] = byte;
                    check_lanes(bytes);
                }
            }
        }
    }

    #[test]
    fn lane_classes_are_exact_for_every_pair_of_bytes_in_adjacent_lanes() {
        // A lane affects another only by a carry into the next one.
        for at in 0..7 {
            for low in 0..=255u8 {
                for high in 0..=255u8 {
                    let mut bytes = [b'k'; 8];
                    bytes[at] = low;
                    bytes[at + 1] = high;
                    check_lanes(bytes);
                }
            }
        }
    }

    #[test]
    fn punycode_is_checked_wherever_its_hyphens_fall() {
        // `xn--` at every offset against the 8-byte words, valid and not.
        for pad in 0..16 {
            let label = "a".repeat(pad + 1);
            let valid = format!("https://{label}.xn--bcher-kva.example");
            let origin = parse_canonical(&valid).unwrap_or_else(|| panic!("{valid}"));
            assert_eq!(origin.to_string(), valid);
            let invalid = format!("https://{label}.xn--a.example");
            assert!(parse_canonical(&invalid).is_none(), "{invalid}");
        }
    }
}
