//! Object headers (versions 1 and 2) and their continuation blocks: the list of messages that
//! describe a group or a dataset.

use super::file::{File, uint};
use crate::cursor::Cursor;
use crate::error::{Parsed, Problem};

/// Message types this reader interprets (others are skipped).
pub(crate) mod kind {
    /// Dataspace: the shape.
    pub(crate) const DATASPACE: u16 = 0x01;
    /// Link info: where a new-style group keeps its links when they are not compact.
    pub(crate) const LINK_INFO: u16 = 0x02;
    /// Datatype: the element type.
    pub(crate) const DATATYPE: u16 = 0x03;
    /// Link: one child of a new-style group.
    pub(crate) const LINK: u16 = 0x06;
    /// Data layout: where the values are.
    pub(crate) const LAYOUT: u16 = 0x08;
    /// Filter pipeline (compression).
    pub(crate) const FILTERS: u16 = 0x0b;
    /// Attribute: a small named value.
    pub(crate) const ATTRIBUTE: u16 = 0x0c;
    /// Continuation: more messages elsewhere.
    pub(crate) const CONTINUATION: u16 = 0x10;
    /// Symbol table: an old-style group (B-tree and local heap).
    pub(crate) const SYMBOL_TABLE: u16 = 0x11;
}

/// Most continuation blocks one object header may chain (a cycle would otherwise never end).
const MAX_CONTINUATIONS: usize = 1024;

/// Message flag: the message is shared (its body is stored elsewhere).
pub(crate) const SHARED: u8 = 0x02;

/// One header message: its type, flags and bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Message<'a> {
    pub(crate) kind: u16,
    pub(crate) flags: u8,
    pub(crate) data: &'a [u8],
}

/// How the messages of one header are framed.
#[derive(Clone, Copy)]
enum Framing {
    /// Version 1: 8-byte prefixes (type u16, size u16, flags, 3 reserved).
    V1,
    /// Version 2: type u8, size u16, flags, and a creation order u16 when the header says so.
    V2 { creation_order: bool },
}

/// Reads every message of the object header at `address`, following continuations.
/// `budget` is decremented per message; the read fails when it runs out.
pub(crate) fn messages<'a>(
    file: &File<'a>,
    address: u64,
    budget: &mut usize,
) -> Parsed<Vec<Message<'a>>> {
    let mut c = file.at(address)?;
    let (framing, first) = if c.remaining() >= 4 && c.clone().take(4)? == b"OHDR" {
        c.skip(4)?;
        let version = c.u8()?;
        if version != 2 {
            return Err(Problem::invalid(format!(
                "object header at {address}: OHDR version {version}"
            )));
        }
        let flags = c.u8()?;
        if flags & 0x20 != 0 {
            c.skip(16)?; // access, modification, change and birth times
        }
        if flags & 0x10 != 0 {
            c.skip(4)?; // attribute storage phase change values
        }
        let size = uint(c.take(1 << (flags & 3))?)?;
        let framing = Framing::V2 {
            creation_order: flags & 0x04 != 0,
        };
        (framing, c.take_claimed(size)?)
    } else {
        let version = c.u8()?;
        if version != 1 {
            return Err(Problem::invalid(format!(
                "object header at {address}: version {version} (1 or OHDR expected)"
            )));
        }
        c.skip(1 + 2 + 4)?; // reserved, message count, reference count
        let size = c.u32()?;
        c.skip(4)?; // alignment of the prefix to 8 bytes
        (Framing::V1, c.take_claimed(u64::from(size))?)
    };
    let mut out = Vec::new();
    let mut pending = Vec::new();
    split(file, first, framing, &mut out, &mut pending, budget)?;
    let mut followed = 0;
    while let Some((at, len)) = pending.pop() {
        followed += 1;
        if followed > MAX_CONTINUATIONS {
            return Err(Problem::invalid(format!(
                "object header at {address}: more than {MAX_CONTINUATIONS} continuation blocks"
            )));
        }
        let block = file.slice(at, len)?;
        let body = match framing {
            Framing::V1 => block,
            Framing::V2 { .. } => {
                let body = block.strip_prefix(b"OCHK").ok_or_else(|| {
                    Problem::invalid(format!("continuation block at {at}: no OCHK signature"))
                })?;
                &body[..body.len().saturating_sub(4)] // the checksum
            }
        };
        split(file, body, framing, &mut out, &mut pending, budget)?;
    }
    Ok(out)
}

/// Splits one block into messages; continuation messages go to `pending` as (address, length).
fn split<'a>(
    file: &File<'a>,
    block: &'a [u8],
    framing: Framing,
    out: &mut Vec<Message<'a>>,
    pending: &mut Vec<(u64, u64)>,
    budget: &mut usize,
) -> Parsed<()> {
    let mut c = Cursor::at(block, 0)?;
    let prefix = match framing {
        Framing::V1 => 8,
        Framing::V2 { creation_order } => 4 + 2 * usize::from(creation_order),
    };
    // Fewer bytes than a prefix left is a gap (version 2) or padding.
    while c.remaining() >= prefix {
        *budget = budget
            .checked_sub(1)
            .ok_or_else(|| Problem::invalid("too many object header messages"))?;
        let (kind, size, flags) = match framing {
            Framing::V1 => {
                let (kind, size, flags) = (c.u16()?, c.u16()?, c.u8()?);
                c.skip(3)?;
                (kind, size, flags)
            }
            Framing::V2 { creation_order } => {
                let (kind, size, flags) = (u16::from(c.u8()?), c.u16()?, c.u8()?);
                if creation_order {
                    c.skip(2)?;
                }
                (kind, size, flags)
            }
        };
        let data = c.take(usize::from(size))?;
        if kind == kind::CONTINUATION {
            let mut m = Cursor::at(data, 0)?;
            pending.push((file.offset(&mut m)?, file.length(&mut m)?));
        } else {
            out.push(Message { kind, flags, data });
        }
    }
    Ok(())
}
