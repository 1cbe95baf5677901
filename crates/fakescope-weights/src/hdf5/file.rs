//! The superblock and the file-wide reading context: offset and length sizes, the base address,
//! and bounds-checked access to what an address points at.

use crate::cursor::Cursor;
use crate::error::{Parsed, Problem};

/// The HDF5 signature, at offset 0 (a user block before it is not supported).
pub(crate) const SIGNATURE: &[u8; 8] = b"\x89HDF\r\n\x1a\n";

/// The "undefined address" value (all bits set) for an `offset_size`-byte address.
pub(crate) const UNDEFINED: u64 = u64::MAX;

/// A parsed superblock plus the bytes: everything the other readers need to follow addresses.
#[derive(Debug, Clone)]
pub(crate) struct File<'a> {
    pub(crate) bytes: &'a [u8],
    /// Size of addresses ("offsets") in bytes: 2, 4 or 8.
    pub(crate) offset_size: usize,
    /// Size of lengths in bytes: 2, 4 or 8.
    pub(crate) length_size: usize,
    /// Added to every address (0 unless the file has a user block).
    base: u64,
    /// Where the root group starts.
    pub(crate) root: Root,
}

/// How the superblock names the root group.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Root {
    /// The root group's object header.
    pub(crate) header: u64,
}

impl<'a> File<'a> {
    /// Parses the superblock (versions 0 to 3) at offset 0.
    pub(crate) fn open(bytes: &'a [u8]) -> Parsed<File<'a>> {
        let mut c = Cursor::at(bytes, 0)?;
        if c.take(8)? != SIGNATURE {
            return Err(Problem::invalid("no HDF5 signature at offset 0"));
        }
        let version = c.u8()?;
        let mut file = File {
            bytes,
            offset_size: 8,
            length_size: 8,
            base: 0,
            root: Root { header: 0 },
        };
        match version {
            0 | 1 => {
                // Free-space, root symbol table and shared header versions, a reserved byte.
                c.skip(4)?;
                file.set_sizes(c.u8()?, c.u8()?)?;
                // Reserved, group leaf / internal node K, consistency flags.
                c.skip(1 + 2 + 2 + 4)?;
                if version == 1 {
                    c.skip(4)?; // indexed storage internal node K, reserved
                }
                file.base = file.offset(&mut c)?;
                let _free_space = file.offset(&mut c)?;
                let _end_of_file = file.offset(&mut c)?;
                let _driver_info = file.offset(&mut c)?;
                // The root group's symbol table entry: link name offset, then its header.
                let _name = file.offset(&mut c)?;
                file.root.header = file.offset(&mut c)?;
            }
            2 | 3 => {
                file.set_sizes(c.u8()?, c.u8()?)?;
                c.skip(1)?; // consistency flags
                file.base = file.offset(&mut c)?;
                let _extension = file.offset(&mut c)?;
                let _end_of_file = file.offset(&mut c)?;
                file.root.header = file.offset(&mut c)?;
            }
            v => return Err(Problem::Unsupported(format!("HDF5 superblock version {v}"))),
        }
        if file.base == UNDEFINED {
            return Err(Problem::invalid("undefined base address"));
        }
        Ok(file)
    }

    fn set_sizes(&mut self, offsets: u8, lengths: u8) -> Parsed<()> {
        for size in [offsets, lengths] {
            if ![2, 4, 8].contains(&size) {
                return Err(Problem::invalid(format!(
                    "superblock: size of offsets/lengths is {size} (2, 4 or 8 expected)"
                )));
            }
        }
        self.offset_size = usize::from(offsets);
        self.length_size = usize::from(lengths);
        Ok(())
    }

    /// Reads an address ([`UNDEFINED`] when all its bytes are `0xff`).
    pub(crate) fn offset(&self, c: &mut Cursor<'_>) -> Parsed<u64> {
        read_sized(c, self.offset_size)
    }

    /// Reads a length.
    pub(crate) fn length(&self, c: &mut Cursor<'_>) -> Parsed<u64> {
        read_sized(c, self.length_size)
    }

    /// A cursor at `address` (relative to the base address), checked to lie in the file.
    pub(crate) fn at(&self, address: u64) -> Parsed<Cursor<'a>> {
        if address == UNDEFINED {
            return Err(Problem::invalid("follows an undefined address"));
        }
        let absolute = address
            .checked_add(self.base)
            .and_then(|a| usize::try_from(a).ok())
            .filter(|a| *a <= self.bytes.len())
            .ok_or_else(|| {
                Problem::invalid(format!(
                    "address {address} is past the end of the file ({} bytes)",
                    self.bytes.len()
                ))
            })?;
        Cursor::at(self.bytes, absolute)
    }

    /// The `len` bytes at `address`, checked to lie in the file.
    pub(crate) fn slice(&self, address: u64, len: u64) -> Parsed<&'a [u8]> {
        self.at(address)?.take_claimed(len)
    }
}

/// An address or length of `size` bytes (2, 4 or 8); all-ones becomes [`UNDEFINED`].
pub(crate) fn read_sized(c: &mut Cursor<'_>, size: usize) -> Parsed<u64> {
    let bytes = c.take(size)?;
    if bytes.iter().all(|b| *b == 0xff) {
        return Ok(UNDEFINED);
    }
    uint(bytes)
}

/// An unsigned little-endian integer of 1 to 8 bytes, as it is.
pub(crate) fn uint(bytes: &[u8]) -> Parsed<u64> {
    if bytes.len() > 8 {
        return Err(Problem::invalid(format!("{}-byte integer", bytes.len())));
    }
    Ok(bytes
        .iter()
        .rev()
        .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
}
