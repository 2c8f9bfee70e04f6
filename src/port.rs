//! The port grammar, decided once for entries and origins alike: decimal `1`–`65535`,
//! without leading zeros. (An entry's `*` is the pattern parser's own: an origin never has
//! one.) Hot path: measured with `benches/instructions.sh` (the fast origin parser calls
//! it for every origin with a port).

/// What is wrong with a port's text. Each caller maps it to its own error kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PortError {
    /// Nothing after the `:`.
    Empty,
    /// A character other than an ASCII digit.
    NotDigits,
    /// Digits only, more than one, starting with `0` (`0443`).
    LeadingZero,
    /// Digits only, without a leading zero, but `0` or above `65535`.
    OutOfRange,
}

/// Reads a port: ASCII digits, `1`–`65535`, no leading zero. The errors are tried in the
/// order of [`PortError`]'s variants, so `0x1` is [`NotDigits`](PortError::NotDigits) and
/// `00` [`LeadingZero`](PortError::LeadingZero); `0` alone is
/// [`OutOfRange`](PortError::OutOfRange). One pass, without allocating; any length is
/// safe.
#[inline]
pub(crate) fn parse(digits: &[u8]) -> Result<u16, PortError> {
    // Five digits or fewer cannot overflow a `u32`: the loop needs no saturation. Longer
    // text is never a port, and only its error kind is left to find.
    if digits.len() > 5 {
        return Err(long_error(digits));
    }
    let Some(&first) = digits.first() else {
        return Err(PortError::Empty);
    };
    let mut value: u32 = 0;
    for &byte in digits {
        let digit = byte.wrapping_sub(b'0');
        if digit > 9 {
            return Err(PortError::NotDigits);
        }
        value = value * 10 + u32::from(digit);
    }
    if first == b'0' && digits.len() > 1 {
        return Err(PortError::LeadingZero);
    }
    match u16::try_from(value) {
        Ok(0) | Err(_) => Err(PortError::OutOfRange),
        Ok(port) => Ok(port),
    }
}

/// The error of a port text longer than five bytes, in [`parse`]'s order.
#[cold]
fn long_error(digits: &[u8]) -> PortError {
    if !digits.iter().all(u8::is_ascii_digit) {
        PortError::NotDigits
    } else if digits[0] == b'0' {
        PortError::LeadingZero
    } else {
        PortError::OutOfRange
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grammar() {
        for (text, expected) in [
            ("1", Ok(1)),
            ("80", Ok(80)),
            ("443", Ok(443)),
            ("65535", Ok(65535)),
            ("", Err(PortError::Empty)),
            ("8o", Err(PortError::NotDigits)),
            ("*", Err(PortError::NotDigits)),
            ("+80", Err(PortError::NotDigits)),
            ("-1", Err(PortError::NotDigits)),
            (" 80", Err(PortError::NotDigits)),
            ("0x1", Err(PortError::NotDigits)),
            ("٣", Err(PortError::NotDigits)),
            ("0443", Err(PortError::LeadingZero)),
            ("00", Err(PortError::LeadingZero)),
            ("0", Err(PortError::OutOfRange)),
            ("65536", Err(PortError::OutOfRange)),
            ("99999999999999999999999", Err(PortError::OutOfRange)),
            ("0999999", Err(PortError::LeadingZero)),
        ] {
            assert_eq!(parse(text.as_bytes()), expected, "{text:?}");
        }
    }

    #[test]
    fn every_number_reads_back() {
        for port in 0..=70_000u32 {
            let expected = match u16::try_from(port) {
                Ok(0) | Err(_) => Err(PortError::OutOfRange),
                Ok(port) => Ok(port),
            };
            assert_eq!(parse(port.to_string().as_bytes()), expected);
        }
    }
}
