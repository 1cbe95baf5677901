//! The legacy (non-zip) torch serialization, used before PyTorch 1.6 and still found in
//! published weights (e.g. facenet-pytorch's MTCNN): five pickles and raw storages in a row:
//!
//! 1. the magic number `0x1950a86a20f9469cfc6c` (a protocol-2 pickle of a long integer);
//! 2. the protocol version, 1001;
//! 3. `sys_info`: a dict with `little_endian`, `type_sizes`, ...;
//! 4. the object itself, whose storages are persistent ids;
//! 5. the sorted list of storage keys; then, for each key in that order, the element count as
//!    a little-endian `i64` followed by the elements.

use std::collections::{BTreeMap, HashMap};

use crate::cursor::Cursor;
use crate::elements::ElemType;
use crate::error::{Parsed, Problem};
use crate::pickle::{Obj, Unpickled};
use crate::{Limits, StoredTensor, collect, materialize, pickle};

/// The first pickle of every legacy file: PROTO 2, LONG1 of 10 bytes (the magic number), STOP.
pub(crate) const MAGIC_PICKLE: [u8; 15] = [
    0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e,
];

const PROTOCOL_VERSION: i64 = 1001;

/// Reads all tensors of a legacy torch file held in `bytes`.
pub(crate) fn read(bytes: &[u8], limits: &Limits) -> Parsed<BTreeMap<String, StoredTensor>> {
    if !bytes.starts_with(&MAGIC_PICKLE) {
        return Err(Problem::invalid("legacy torch magic number missing"));
    }
    let mut at = MAGIC_PICKLE.len();

    let version = next_pickle(bytes, &mut at, limits, "protocol version")?;
    if !matches!(version.root(), Some(Obj::Int(PROTOCOL_VERSION))) {
        return Err(Problem::Unsupported(format!(
            "legacy protocol version (expected {PROTOCOL_VERSION}, found a {})",
            version.root().map_or("nothing", Obj::kind)
        )));
    }
    let sys_info = next_pickle(bytes, &mut at, limits, "sys_info")?;
    check_little_endian(&sys_info)?;

    let main = next_pickle(bytes, &mut at, limits, "main pickle")?;
    let tensors = collect::tensors(&main, limits).map_err(|p| p.context("main pickle"))?;
    let keys = next_pickle(bytes, &mut at, limits, "storage keys")?;
    let mut cursor = Cursor::at(bytes, at)?;
    let storages = read_storages(&mut cursor, &main, &keys)?;
    materialize::materialize(
        tensors,
        |key| {
            storages
                .get(key)
                .copied()
                .ok_or_else(|| Problem::invalid(format!("storage `{key}` is not in the file")))
        },
        limits,
    )
}

/// Runs the pickle starting at byte `*at` and moves `*at` past it.
fn next_pickle(bytes: &[u8], at: &mut usize, limits: &Limits, what: &str) -> Parsed<Unpickled> {
    let start = *at;
    let rest = bytes.get(start..).unwrap_or_default();
    let (unpickled, used) = pickle::unpickle(rest, limits)
        .map_err(|p| p.context(&format!("{what} (starting at byte {start})")))?;
    *at = start + used;
    Ok(unpickled)
}

/// `sys_info['little_endian']` must be `True`: big-endian files are not read.
fn check_little_endian(sys_info: &Unpickled) -> Parsed<()> {
    let Some(Obj::Dict(items)) = sys_info.root() else {
        return Err(Problem::invalid("sys_info is not a dict"));
    };
    let little = items
        .iter()
        .find(|&&(k, _)| sys_info.str(k) == Some("little_endian"))
        .map(|&(_, v)| sys_info.get(v));
    match little {
        Some(Some(Obj::Bool(true))) | None => Ok(()),
        _ => Err(Problem::Unsupported(
            "big-endian legacy file (only little-endian files are read)".into(),
        )),
    }
}

/// Reads the raw storages that follow the key list: for each key, an `i64` element count and
/// the elements. The element size comes from the storage type named in the main pickle.
fn read_storages<'a>(
    cursor: &mut Cursor<'a>,
    main: &Unpickled,
    keys: &Unpickled,
) -> Parsed<HashMap<String, &'a [u8]>> {
    let elem_types = storage_types(main)?;
    let Some(Obj::List(key_ids)) = keys.root() else {
        return Err(Problem::invalid("storage key list is not a list"));
    };
    let mut storages = HashMap::new();
    for &id in key_ids {
        let key = match keys.get(id) {
            Some(Obj::Str(s)) => s.clone(),
            Some(Obj::Int(i)) => i.to_string(),
            _ => return Err(Problem::invalid("storage key is not a string")),
        };
        let elem = elem_types.get(key.as_str()).ok_or_else(|| {
            Problem::invalid(format!("storage `{key}` is listed but no tensor uses it"))
        })?;
        let count = cursor.u64()?;
        let len = count
            .checked_mul(elem.size() as u64)
            .ok_or_else(|| Problem::invalid(format!("storage `{key}` claims {count} elements")))?;
        let data = cursor
            .take_claimed(len)
            .map_err(|p| p.context(&format!("storage `{key}`")))?;
        storages.insert(key, data);
    }
    Ok(storages)
}

/// Element type of each root storage, from every storage reference in the main pickle.
fn storage_types(main: &Unpickled) -> Parsed<HashMap<&str, ElemType>> {
    let mut types = HashMap::new();
    for obj in &main.objects {
        if let Obj::Storage(s) = obj
            && let Some(previous) = types.insert(s.key.as_str(), s.elem)
            && previous != s.elem
        {
            return Err(Problem::invalid(format!(
                "storage `{}` is used with two element types",
                s.key
            )));
        }
    }
    Ok(types)
}
