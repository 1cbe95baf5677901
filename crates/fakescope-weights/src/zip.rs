//! A minimal reader for the zip archives `torch.save` writes: stored (uncompressed) entries,
//! with ZIP64 records for large files. Every offset and size is checked against the bytes.

use std::collections::HashMap;
use std::ops::Range;

use crate::cursor::Cursor;
use crate::error::{Parsed, Problem};

const LOCAL_HEADER: u32 = 0x0403_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const END_OF_CENTRAL_DIR: u32 = 0x0605_4b50;
const ZIP64_END_OF_CENTRAL_DIR: u32 = 0x0606_4b50;
const ZIP64_LOCATOR: u32 = 0x0706_4b50;
/// The end-of-central-directory record is 22 bytes plus a comment of at most 65,535.
const EOCD_SEARCH: usize = 22 + 0xffff;

/// The entries of an archive held in memory: name → byte range of the entry's data.
#[derive(Debug)]
pub(crate) struct ZipArchive {
    entries: HashMap<String, Range<usize>>,
}

impl ZipArchive {
    /// Reads the central directory of `bytes`.
    pub(crate) fn parse(bytes: &[u8]) -> Parsed<ZipArchive> {
        Self::parse_directory(bytes).map_err(|p| p.context("zip"))
    }

    fn parse_directory(bytes: &[u8]) -> Parsed<ZipArchive> {
        let directory = find_central_directory(bytes)?;
        let mut entries = HashMap::new();
        let mut cursor = Cursor::at(bytes, directory.offset)?;
        for _ in 0..directory.entries {
            let (name, range) = read_central_entry(bytes, &mut cursor)?;
            if entries.insert(name.clone(), range).is_some() {
                return Err(Problem::invalid(format!("entry `{name}` appears twice")));
            }
        }
        Ok(ZipArchive { entries })
    }

    /// Entry names, in no particular order.
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// The data of entry `name`, if present.
    pub(crate) fn entry<'a>(&self, bytes: &'a [u8], name: &str) -> Option<&'a [u8]> {
        self.entries.get(name).and_then(|r| bytes.get(r.clone()))
    }
}

/// Where the central directory is and how many entries it claims.
struct Directory {
    offset: usize,
    entries: u64,
}

fn find_central_directory(bytes: &[u8]) -> Parsed<Directory> {
    let lowest = bytes.len().saturating_sub(EOCD_SEARCH);
    let eocd = (lowest..bytes.len().saturating_sub(21))
        .rev()
        .find(|&at| read_u32(bytes, at) == Some(END_OF_CENTRAL_DIR))
        .ok_or_else(|| Problem::invalid("no end-of-central-directory record"))?;
    let mut c = Cursor::at(bytes, eocd + 10)?;
    let mut entries = u64::from(c.u16()?);
    let _size = c.u32()?;
    let mut offset = u64::from(c.u32()?);
    if entries == 0xffff || offset == 0xffff_ffff {
        (entries, offset) = read_zip64_directory(bytes, eocd)?;
    }
    // Each central entry takes at least 46 bytes: a claimed count beyond that is a lie.
    let offset = usize::try_from(offset).map_err(|_| Problem::invalid("bad offset"))?;
    let room = bytes.len().saturating_sub(offset) as u64;
    if entries.saturating_mul(46) > room {
        return Err(Problem::invalid(format!(
            "central directory claims {entries} entries but only {room} bytes follow it"
        )));
    }
    Ok(Directory { offset, entries })
}

/// Reads entry count and directory offset from the ZIP64 records before the classic one.
fn read_zip64_directory(bytes: &[u8], eocd: usize) -> Parsed<(u64, u64)> {
    let locator = eocd
        .checked_sub(20)
        .filter(|&at| read_u32(bytes, at) == Some(ZIP64_LOCATOR))
        .ok_or_else(|| Problem::invalid("ZIP64 sizes without a ZIP64 locator"))?;
    let mut c = Cursor::at(bytes, locator + 8)?;
    let record = usize::try_from(c.u64()?).map_err(|_| Problem::invalid("bad offset"))?;
    if read_u32(bytes, record) != Some(ZIP64_END_OF_CENTRAL_DIR) {
        return Err(Problem::invalid("ZIP64 end record missing"));
    }
    let mut c = Cursor::at(bytes, record + 32)?;
    let entries = c.u64()?;
    let _size = c.u64()?;
    let offset = c.u64()?;
    Ok((entries, offset))
}

/// Parses one central-directory record and finds its data through the local header.
fn read_central_entry(bytes: &[u8], c: &mut Cursor<'_>) -> Parsed<(String, Range<usize>)> {
    if c.u32()? != CENTRAL_HEADER {
        return Err(Problem::invalid("broken central directory"));
    }
    c.skip(4)?; // versions
    let flags = c.u16()?;
    let method = c.u16()?;
    c.skip(8)?; // time, date, crc
    let mut compressed = u64::from(c.u32()?);
    let mut size = u64::from(c.u32()?);
    let name_len = usize::from(c.u16()?);
    let extra_len = usize::from(c.u16()?);
    let comment_len = usize::from(c.u16()?);
    c.skip(8)?; // disk, attributes
    let mut local = u64::from(c.u32()?);
    let name = String::from_utf8_lossy(c.take(name_len)?).into_owned();
    let extra = c.take(extra_len)?;
    c.skip(comment_len)?;

    if size == 0xffff_ffff || compressed == 0xffff_ffff || local == 0xffff_ffff {
        apply_zip64_extra(extra, &mut size, &mut compressed, &mut local)
            .map_err(|p| p.context(&format!("entry `{name}`")))?;
    }
    if flags & 1 != 0 {
        return Err(Problem::Unsupported(format!("entry `{name}` is encrypted")));
    }
    if method != 0 || compressed != size {
        return Err(Problem::Unsupported(format!(
            "entry `{name}` is compressed (method {method}); torch.save stores entries uncompressed"
        )));
    }
    let range =
        local_data_range(bytes, local, size).map_err(|p| p.context(&format!("entry `{name}`")))?;
    Ok((name, range))
}

/// Replaces the saturated 32-bit fields with the 64-bit values of the ZIP64 extra field.
fn apply_zip64_extra(
    mut extra: &[u8],
    size: &mut u64,
    compressed: &mut u64,
    local: &mut u64,
) -> Parsed<()> {
    while extra.len() >= 4 {
        let mut c = Cursor::at(extra, 0)?;
        let id = c.u16()?;
        let len = usize::from(c.u16()?);
        let body = c.take(len)?;
        if id == 0x0001 {
            let mut f = Cursor::at(body, 0)?;
            for field in [size, compressed, local] {
                if *field == 0xffff_ffff {
                    *field = f.u64()?;
                }
            }
            return Ok(());
        }
        extra = extra.get(4 + len..).unwrap_or_default();
    }
    Err(Problem::invalid("ZIP64 sizes without a ZIP64 extra field"))
}

/// The data follows the local header, whose name and extra lengths may differ from the central ones.
fn local_data_range(bytes: &[u8], local: u64, size: u64) -> Parsed<Range<usize>> {
    let local = usize::try_from(local).map_err(|_| Problem::invalid("bad local header offset"))?;
    let mut c = Cursor::at(bytes, local)?;
    if c.u32()? != LOCAL_HEADER {
        return Err(Problem::invalid("local header missing"));
    }
    c.skip(22)?;
    let name_len = usize::from(c.u16()?);
    let extra_len = usize::from(c.u16()?);
    c.skip(name_len + extra_len)?;
    let start = c.position();
    let end = usize::try_from(size)
        .ok()
        .and_then(|s| start.checked_add(s))
        .filter(|&end| end <= bytes.len())
        .ok_or_else(|| {
            Problem::invalid(format!(
                "claims {size} bytes at offset {start} but the file has {}",
                bytes.len()
            ))
        })?;
    Ok(start..end)
}

fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    Cursor::at(bytes, at).ok()?.u32().ok()
}
