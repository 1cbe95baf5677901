//! Bounds-checked little-endian reads over a byte slice: running off the end is an error,
//! never a panic.

use crate::error::{Parsed, Problem};

/// A read position in a byte slice.
#[derive(Debug, Clone)]
pub(crate) struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at byte `at` (which may equal the length: nothing left to read).
    pub(crate) fn at(bytes: &'a [u8], at: usize) -> Parsed<Cursor<'a>> {
        if at > bytes.len() {
            return Err(Problem::invalid(format!(
                "offset {at} is past the end ({} bytes)",
                bytes.len()
            )));
        }
        Ok(Cursor { bytes, at })
    }

    /// Current offset.
    pub(crate) fn position(&self) -> usize {
        self.at
    }

    /// Bytes left after the current offset.
    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len() - self.at
    }

    /// The next `n` bytes.
    pub(crate) fn take(&mut self, n: usize) -> Parsed<&'a [u8]> {
        let slice = self
            .at
            .checked_add(n)
            .and_then(|end| self.bytes.get(self.at..end))
            .ok_or_else(|| {
                Problem::invalid(format!(
                    "truncated: {n} bytes needed at offset {}, {} left",
                    self.at,
                    self.remaining()
                ))
            })?;
        self.at += n;
        Ok(slice)
    }

    /// The next `n` bytes, with `n` as claimed by the file (a `u64`).
    pub(crate) fn take_claimed(&mut self, n: u64) -> Parsed<&'a [u8]> {
        match usize::try_from(n) {
            Ok(n) if n <= self.remaining() => self.take(n),
            _ => Err(Problem::invalid(format!(
                "claims {n} bytes at offset {} but only {} are left",
                self.at,
                self.remaining()
            ))),
        }
    }

    /// Skips `n` bytes.
    pub(crate) fn skip(&mut self, n: usize) -> Parsed<()> {
        self.take(n).map(|_| ())
    }

    /// The bytes up to the next `\n` (not included), which is consumed.
    pub(crate) fn line(&mut self) -> Parsed<&'a [u8]> {
        let rest = self.bytes.get(self.at..).unwrap_or_default();
        let len = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(|| Problem::invalid(format!("unterminated line at offset {}", self.at)))?;
        let line = self.take(len)?;
        self.skip(1)?;
        Ok(line)
    }

    /// The next `N` bytes as an array.
    pub(crate) fn array<const N: usize>(&mut self) -> Parsed<[u8; N]> {
        let slice = self.take(N)?;
        slice.try_into().map_err(|_| Problem::invalid("truncated"))
    }

    /// One byte.
    pub(crate) fn u8(&mut self) -> Parsed<u8> {
        self.array().map(|[b]: [u8; 1]| b)
    }

    /// A little-endian `u16`.
    pub(crate) fn u16(&mut self) -> Parsed<u16> {
        self.array().map(u16::from_le_bytes)
    }

    /// A little-endian `u32`.
    pub(crate) fn u32(&mut self) -> Parsed<u32> {
        self.array().map(u32::from_le_bytes)
    }

    /// A little-endian `u64`.
    pub(crate) fn u64(&mut self) -> Parsed<u64> {
        self.array().map(u64::from_le_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_stop_at_the_end() {
        let mut c = Cursor::at(&[1, 0, 2], 0).unwrap();
        assert_eq!(c.u16().unwrap(), 1);
        assert!(c.u16().is_err());
        assert_eq!(c.u8().unwrap(), 2);
        assert!(c.take_claimed(u64::MAX).is_err());
        assert!(Cursor::at(&[1], 2).is_err());
    }

    #[test]
    fn lines_need_a_newline() {
        let mut c = Cursor::at(b"ab\ncd", 0).unwrap();
        assert_eq!(c.line().unwrap(), b"ab");
        assert!(c.line().is_err());
    }
}
