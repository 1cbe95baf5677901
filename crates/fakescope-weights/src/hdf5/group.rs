//! The children of a group: old-style symbol tables (a version 1 B-tree of symbol table nodes
//! whose names live in a local heap) and new-style compact link messages.

use super::file::{File, UNDEFINED};
use super::object::{Message, kind};
use crate::cursor::Cursor;
use crate::error::{Parsed, Problem};

/// Deepest version 1 B-tree accepted (real files use 1 or 2 levels).
const MAX_BTREE_DEPTH: usize = 32;

/// One child of a group: its name and object header address.
pub(crate) type Child = (String, u64);

/// The children of the group whose header holds `messages`, or `None` for a non-group.
/// `budget` bounds the total number of B-tree nodes and entries visited.
pub(crate) fn children(
    file: &File<'_>,
    messages: &[Message<'_>],
    budget: &mut usize,
) -> Parsed<Option<Vec<Child>>> {
    let mut out = Vec::new();
    let mut is_group = false;
    for m in messages {
        match m.kind {
            kind::SYMBOL_TABLE => {
                is_group = true;
                let mut c = Cursor::at(m.data, 0)?;
                let btree = file.offset(&mut c)?;
                let heap = file.offset(&mut c)?;
                let heap = local_heap(file, heap)?;
                btree_children(file, btree, heap, 0, &mut out, budget)?;
            }
            kind::LINK_INFO => {
                is_group = true;
                let mut c = Cursor::at(m.data, 0)?;
                let _version = c.u8()?;
                let flags = c.u8()?;
                if flags & 1 != 0 {
                    c.skip(8)?; // maximum creation index
                }
                if file.offset(&mut c)? != UNDEFINED {
                    return Err(Problem::Unsupported(
                        "groups with dense link storage (fractal heap)".into(),
                    ));
                }
            }
            kind::LINK => {
                is_group = true;
                if let Some(child) = link(file, m.data)? {
                    spend(budget)?;
                    out.push(child);
                }
            }
            _ => {}
        }
    }
    Ok(is_group.then_some(out))
}

fn spend(budget: &mut usize) -> Parsed<()> {
    *budget = budget
        .checked_sub(1)
        .ok_or_else(|| Problem::invalid("too many group entries in the file"))?;
    Ok(())
}

/// The data segment of the local heap at `address` (group member names, NUL-terminated).
fn local_heap<'a>(file: &File<'a>, address: u64) -> Parsed<&'a [u8]> {
    let mut c = file.at(address)?;
    if c.take(4)? != b"HEAP" {
        return Err(Problem::invalid(format!("no local heap at {address}")));
    }
    c.skip(4)?; // version, reserved
    let size = file.length(&mut c)?;
    let _free_list = file.length(&mut c)?;
    let data = file.offset(&mut c)?;
    file.slice(data, size)
}

/// A NUL-terminated name at `offset` in a local heap.
fn heap_name(heap: &[u8], offset: u64) -> Parsed<String> {
    let rest = usize::try_from(offset)
        .ok()
        .and_then(|o| heap.get(o..))
        .ok_or_else(|| Problem::invalid(format!("name offset {offset} outside the local heap")))?;
    let end = rest
        .iter()
        .position(|b| *b == 0)
        .ok_or_else(|| Problem::invalid("unterminated name in the local heap"))?;
    String::from_utf8(rest[..end].to_vec())
        .map_err(|_| Problem::invalid("group member name is not UTF-8"))
}

/// Walks a group B-tree (node type 0) and collects the entries of its symbol table nodes.
fn btree_children(
    file: &File<'_>,
    address: u64,
    heap: &[u8],
    depth: usize,
    out: &mut Vec<Child>,
    budget: &mut usize,
) -> Parsed<()> {
    if depth > MAX_BTREE_DEPTH {
        return Err(Problem::invalid("group B-tree deeper than 32 levels"));
    }
    spend(budget)?;
    let mut c = file.at(address)?;
    if c.take(4)? != b"TREE" {
        return Err(Problem::invalid(format!("no B-tree node at {address}")));
    }
    let node_type = c.u8()?;
    if node_type != 0 {
        return Err(Problem::invalid(format!(
            "B-tree node at {address} has type {node_type} in a group"
        )));
    }
    let level = c.u8()?;
    let entries = c.u16()?;
    let _left = file.offset(&mut c)?;
    let _right = file.offset(&mut c)?;
    let _first_key = file.length(&mut c)?;
    for _ in 0..entries {
        let child = file.offset(&mut c)?;
        let _key = file.length(&mut c)?;
        if level > 0 {
            btree_children(file, child, heap, depth + 1, out, budget)?;
        } else {
            symbol_node(file, child, heap, out, budget)?;
        }
    }
    Ok(())
}

/// The entries of one symbol table node (`SNOD`).
fn symbol_node(
    file: &File<'_>,
    address: u64,
    heap: &[u8],
    out: &mut Vec<Child>,
    budget: &mut usize,
) -> Parsed<()> {
    let mut c = file.at(address)?;
    if c.take(4)? != b"SNOD" {
        return Err(Problem::invalid(format!(
            "no symbol table node at {address}"
        )));
    }
    c.skip(2)?; // version, reserved
    let count = c.u16()?;
    for _ in 0..count {
        spend(budget)?;
        let name = file.offset(&mut c)?;
        let header = file.offset(&mut c)?;
        c.skip(4 + 4 + 16)?; // cache type, reserved, scratch pad
        out.push((heap_name(heap, name)?, header));
    }
    Ok(())
}

/// A link message: `Some((name, address))` for a hard link; soft and external links are
/// skipped (`None`).
fn link(file: &File<'_>, data: &[u8]) -> Parsed<Option<Child>> {
    let mut c = Cursor::at(data, 0)?;
    let version = c.u8()?;
    if version != 1 {
        return Err(Problem::Unsupported(format!(
            "link message version {version}"
        )));
    }
    let flags = c.u8()?;
    let link_type = if flags & 0x08 != 0 { c.u8()? } else { 0 };
    if flags & 0x04 != 0 {
        c.skip(8)?; // creation order
    }
    if flags & 0x10 != 0 {
        c.skip(1)?; // character set
    }
    let len_size = 1usize << (flags & 3);
    let len = super::file::uint(c.take(len_size)?)?;
    let name = c.take_claimed(len)?;
    let name =
        String::from_utf8(name.to_vec()).map_err(|_| Problem::invalid("link name is not UTF-8"))?;
    if link_type != 0 {
        return Ok(None);
    }
    Ok(Some((name, file.offset(&mut c)?)))
}
