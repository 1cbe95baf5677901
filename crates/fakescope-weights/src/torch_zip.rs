//! PyTorch zip checkpoints (the default of `torch.save` since 1.6): `<folder>/data.pkl` holds
//! the pickle, `<folder>/data/<key>` the raw bytes of each storage. The folder name varies
//! (`archive`, the file's stem, ...).

use std::collections::BTreeMap;

use crate::error::{Parsed, Problem};
use crate::zip::ZipArchive;
use crate::{Limits, StoredTensor, collect, materialize, pickle};

/// Reads all tensors of a PyTorch zip checkpoint held in `bytes`.
pub(crate) fn read(bytes: &[u8], limits: &Limits) -> Parsed<BTreeMap<String, StoredTensor>> {
    let zip = ZipArchive::parse(bytes)?;
    let folder = pickle_folder(&zip)?;
    if let Some(order) = zip.entry(bytes, &format!("{folder}/byteorder"))
        && order.trim_ascii() != b"little"
    {
        return Err(Problem::Unsupported(format!(
            "byte order `{}` (only little-endian checkpoints are read)",
            String::from_utf8_lossy(order)
        )));
    }
    let pickle_name = format!("{folder}/data.pkl");
    let pickle_bytes = zip
        .entry(bytes, &pickle_name)
        .ok_or_else(|| Problem::invalid(format!("zip entry `{pickle_name}` unreadable")))?;
    let (unpickled, _) =
        pickle::unpickle(pickle_bytes, limits).map_err(|p| p.context(&pickle_name))?;
    let tensors = collect::tensors(&unpickled, limits).map_err(|p| p.context(&pickle_name))?;
    materialize::materialize(
        tensors,
        |key| {
            let name = format!("{folder}/data/{key}");
            zip.entry(bytes, &name)
                .ok_or_else(|| Problem::invalid(format!("storage entry `{name}` is missing")))
        },
        limits,
    )
}

/// The top folder holding `data.pkl`; exactly one is expected.
fn pickle_folder(zip: &ZipArchive) -> Parsed<String> {
    let mut folders: Vec<&str> = zip
        .names()
        .filter_map(|name| name.strip_suffix("/data.pkl"))
        .filter(|folder| !folder.contains('/'))
        .collect();
    folders.sort_unstable();
    match folders.as_slice() {
        [folder] => Ok((*folder).to_owned()),
        [] => Err(Problem::invalid(
            "zip archive has no `<folder>/data.pkl`: not a PyTorch checkpoint",
        )),
        several => Err(Problem::invalid(format!(
            "zip archive has several pickles: {several:?}"
        ))),
    }
}
