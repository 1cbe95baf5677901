//! Decoding the messages that describe a value: dataspace (shape), datatype (element type),
//! data layout (where the bytes are) and attributes (small named values on an object).

use super::file::{File, UNDEFINED};
use crate::cursor::Cursor;
use crate::error::{Parsed, Problem};

/// The element types this reader converts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Datatype {
    /// IEEE float of `size` (4 or 8) bytes.
    Float { size: usize, big_endian: bool },
    /// Two's-complement or unsigned integer of `size` (1, 2, 4 or 8) bytes.
    Int {
        size: usize,
        big_endian: bool,
        signed: bool,
    },
    /// Fixed-length string of `size` bytes (NUL- or space-padded).
    FixedString { size: usize },
    /// Variable-length string (stored in the global heap).
    VarString,
    /// Anything else (compound, enum, references, ...): skipped where possible.
    Other { size: usize },
}

impl Datatype {
    /// Bytes per element as stored in the dataset or attribute.
    pub(crate) fn size(self, file: &File<'_>) -> usize {
        match self {
            Datatype::Float { size, .. }
            | Datatype::Int { size, .. }
            | Datatype::FixedString { size }
            | Datatype::Other { size } => size,
            // length (u32), global heap collection address, object index (u32)
            Datatype::VarString => 4 + file.offset_size + 4,
        }
    }
}

/// Parses a datatype message.
pub(crate) fn datatype(data: &[u8]) -> Parsed<Datatype> {
    let mut c = Cursor::at(data, 0)?;
    let class_version = c.u8()?;
    let bits = c.array::<3>()?;
    let size = usize::try_from(c.u32()?).map_err(|_| Problem::invalid("datatype size"))?;
    let big_endian = bits[0] & 1 != 0;
    Ok(match class_version & 0x0f {
        0 if [1, 2, 4, 8].contains(&size) => Datatype::Int {
            size,
            big_endian,
            signed: bits[0] & 0x08 != 0,
        },
        1 if size == 4 || size == 8 => {
            if bits[0] & 0x40 != 0 {
                return Err(Problem::Unsupported("VAX-order floats".into()));
            }
            // Precision and exponent/mantissa placement must be the IEEE ones.
            c.skip(2)?;
            let precision = c.u16()?;
            if usize::from(precision) != size * 8 {
                return Err(Problem::Unsupported(format!(
                    "{precision}-bit float in {size} bytes"
                )));
            }
            Datatype::Float { size, big_endian }
        }
        1 => return Err(Problem::Unsupported(format!("{size}-byte float"))),
        3 => Datatype::FixedString { size },
        9 if bits[0] & 0x0f == 1 => Datatype::VarString,
        _ => Datatype::Other { size },
    })
}

/// Parses a dataspace message: `None` for a null dataspace, `Some([])` for a scalar.
pub(crate) fn dataspace(file: &File<'_>, data: &[u8], max_dims: usize) -> Parsed<Option<Vec<u64>>> {
    let mut c = Cursor::at(data, 0)?;
    let version = c.u8()?;
    let rank = usize::from(c.u8()?);
    let _flags = c.u8()?;
    match version {
        1 => c.skip(5)?, // reserved
        2 => {
            if c.u8()? == 2 {
                return Ok(None);
            }
        }
        v => return Err(Problem::Unsupported(format!("dataspace version {v}"))),
    }
    if rank > max_dims {
        return Err(Problem::Limit {
            what: "number of dimensions",
            actual: rank as u64,
            limit: max_dims as u64,
        });
    }
    (0..rank)
        .map(|_| file.length(&mut c))
        .collect::<Parsed<Vec<u64>>>()
        .map(Some)
}

/// Where a dataset's values are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout<'a> {
    /// In the object header itself.
    Compact(&'a [u8]),
    /// One run of `len` bytes at `address` (`UNDEFINED`: never written, all fill value).
    Contiguous { address: u64, len: u64 },
    /// In chunks (not read by this reader).
    Chunked,
}

/// Parses a data layout message (versions 1 to 4).
pub(crate) fn layout<'a>(file: &File<'a>, data: &'a [u8]) -> Parsed<Layout<'a>> {
    let mut c = Cursor::at(data, 0)?;
    let version = c.u8()?;
    match version {
        1 | 2 => {
            let rank = usize::from(c.u8()?);
            let class = c.u8()?;
            c.skip(5)?;
            let address = if class == 0 { 0 } else { file.offset(&mut c)? };
            let dims = (0..rank).map(|_| c.u32()).collect::<Parsed<Vec<u32>>>()?;
            match class {
                0 => {
                    let size = c.u32()?;
                    Ok(Layout::Compact(c.take_claimed(u64::from(size))?))
                }
                1 => {
                    let dims: Vec<u64> = dims.into_iter().map(u64::from).collect();
                    let len = element_count(&dims)?;
                    Ok(Layout::Contiguous { address, len })
                }
                _ => Ok(Layout::Chunked),
            }
        }
        3 | 4 => match c.u8()? {
            0 => {
                let size = c.u16()?;
                Ok(Layout::Compact(c.take_claimed(u64::from(size))?))
            }
            1 => Ok(Layout::Contiguous {
                address: file.offset(&mut c)?,
                len: file.length(&mut c)?,
            }),
            2 => Ok(Layout::Chunked),
            class => Err(Problem::Unsupported(format!("data layout class {class}"))),
        },
        v => Err(Problem::Unsupported(format!("data layout version {v}"))),
    }
}

/// An attribute as far as this reader needs it: its name and, for string (or empty) values,
/// the strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Attribute {
    pub(crate) name: String,
    /// The strings of a string attribute (also `Some(vec![])` for an empty array of any type,
    /// as Keras writes for layers without weights); `None` for other values.
    pub(crate) strings: Option<Vec<String>>,
}

/// Parses an attribute message (versions 1 to 3).
pub(crate) fn attribute(file: &File<'_>, data: &[u8], max_dims: usize) -> Parsed<Attribute> {
    let mut c = Cursor::at(data, 0)?;
    let version = c.u8()?;
    if !(1..=3).contains(&version) {
        return Err(Problem::Unsupported(format!(
            "attribute message version {version}"
        )));
    }
    c.skip(1)?; // reserved / flags
    let name_len = usize::from(c.u16()?);
    let type_len = usize::from(c.u16()?);
    let space_len = usize::from(c.u16()?);
    if version == 3 {
        c.skip(1)?; // name character set
    }
    let padded = |n: usize| if version == 1 { n.div_ceil(8) * 8 } else { n };
    let name = c.take(padded(name_len))?;
    let name = &name[..name_len];
    let name = String::from_utf8_lossy(name.strip_suffix(b"\0").unwrap_or(name)).into_owned();
    let dtype = datatype(c.take(padded(type_len))?)?;
    let shape = dataspace(file, c.take(padded(space_len))?, max_dims)?;
    let count = match &shape {
        None => 0,
        Some(dims) => element_count(dims)?,
    };
    let elem = dtype.size(file) as u64;
    let bytes = count
        .checked_mul(elem)
        .ok_or_else(|| Problem::invalid(format!("attribute `{name}`: size overflows")))?;
    let values = c
        .take_claimed(bytes)
        .map_err(|p| p.context(&format!("attribute `{name}`")))?;
    let strings = match dtype {
        Datatype::FixedString { size } if size > 0 => Some(
            values
                .chunks_exact(size)
                .map(|s| {
                    let end = s.iter().position(|b| *b == 0).unwrap_or(s.len());
                    String::from_utf8_lossy(&s[..end]).trim_end().to_owned()
                })
                .collect(),
        ),
        Datatype::VarString => Some(
            values
                .chunks_exact(elem as usize)
                .map(|v| global_heap_string(file, v))
                .collect::<Parsed<Vec<String>>>()
                .map_err(|p| p.context(&format!("attribute `{name}`")))?,
        ),
        _ if count == 0 => Some(Vec::new()),
        _ => None,
    };
    Ok(Attribute { name, strings })
}

/// A variable-length string: `len` (u32), then a global heap collection address and an object
/// index; the object's first `len` bytes are the string.
fn global_heap_string(file: &File<'_>, reference: &[u8]) -> Parsed<String> {
    let mut c = Cursor::at(reference, 0)?;
    let len = u64::from(c.u32()?);
    let collection = file.offset(&mut c)?;
    let index = c.u32()?;
    if collection == UNDEFINED || collection == 0 && len == 0 {
        return Ok(String::new());
    }
    let mut h = file.at(collection)?;
    if h.take(4)? != b"GCOL" {
        return Err(Problem::invalid(format!(
            "no global heap collection at {collection}"
        )));
    }
    h.skip(4)?; // version, reserved
    let size = file.length(&mut h)?;
    let start = h.position() - 8 - file.length_size;
    let body = file.at(collection)?.take_claimed(size)?;
    let mut o = Cursor::at(body, h.position() - start)?;
    while o.remaining() >= 8 + file.length_size {
        let id = o.u16()?;
        o.skip(6)?; // reference count, reserved
        let obj_size = file.length(&mut o)?;
        if id == 0 {
            break; // free space: the rest of the collection
        }
        let padded = obj_size
            .checked_add(7)
            .map(|s| s / 8 * 8)
            .ok_or_else(|| Problem::invalid("global heap object size overflows"))?;
        let obj = o.take_claimed(padded)?;
        if u32::from(id) == index {
            let bytes = obj
                .get(..usize::try_from(len).unwrap_or(usize::MAX))
                .ok_or_else(|| Problem::invalid("string longer than its heap object"))?;
            return Ok(String::from_utf8_lossy(bytes).into_owned());
        }
    }
    Err(Problem::invalid(format!(
        "global heap collection at {collection} has no object {index}"
    )))
}

/// The raw value bytes of a dataset: `count` elements of `elem` bytes.
pub(crate) fn values<'a>(
    file: &File<'a>,
    layout: Layout<'a>,
    bytes: u64,
) -> Parsed<Option<&'a [u8]>> {
    match layout {
        Layout::Compact(data) => Cursor::at(data, 0)?.take_claimed(bytes).map(Some),
        Layout::Contiguous { address, .. } if address == UNDEFINED => Ok(None),
        Layout::Contiguous { address, len } => {
            if len < bytes {
                return Err(Problem::invalid(format!(
                    "{len} bytes stored for {bytes} bytes of values"
                )));
            }
            file.slice(address, bytes).map(Some)
        }
        Layout::Chunked => Err(Problem::Unsupported("chunked HDF5 datasets".into())),
    }
}

/// Element count of a shape, or an error on overflow.
pub(crate) fn element_count(shape: &[u64]) -> Parsed<u64> {
    shape
        .iter()
        .try_fold(1u64, |acc, d| acc.checked_mul(*d))
        .ok_or_else(|| Problem::invalid(format!("shape {shape:?} overflows")))
}
