//! Recognising a weight file by its first bytes (never by its name).

use crate::torch_legacy::MAGIC_PICKLE;

/// The container formats fakescope knows, as recognised by [`Format::sniff`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// A PyTorch zip checkpoint (`torch.save` since 1.6): starts with `PK\x03\x04`.
    TorchZip,
    /// The legacy torch serialization: a protocol-2 pickle of the magic number first.
    TorchLegacy,
    /// safetensors: an 8-byte little-endian header length, then a JSON header `{...`.
    Safetensors,
    /// HDF5 (Keras `.h5` weights), read in pure Rust: superblock versions 0–3, object headers
    /// v1/v2, old-style (symbol table) and compact new-style groups, float/integer datasets with
    /// contiguous or compact layout, string attributes. Chunked or compressed datasets and
    /// dense link storage are reported as unsupported. Tensors are named by their Keras weight
    /// name (`conv2d_5/kernel:0`) when the file lists `layer_names`/`weight_names`, otherwise by
    /// their dataset path.
    Hdf5,
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const HDF5_MAGIC: &[u8] = b"\x89HDF\r\n\x1a\n";

impl Format {
    /// The format of a file starting with `bytes` (a few dozen bytes are enough), if known.
    pub fn sniff(bytes: &[u8]) -> Option<Format> {
        if bytes.starts_with(ZIP_MAGIC) {
            Some(Format::TorchZip)
        } else if bytes.starts_with(&MAGIC_PICKLE) {
            Some(Format::TorchLegacy)
        } else if bytes.starts_with(HDF5_MAGIC) {
            Some(Format::Hdf5)
        } else if looks_like_safetensors(bytes) {
            Some(Format::Safetensors)
        } else {
            None
        }
    }

    /// A human name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Format::TorchZip => "PyTorch zip checkpoint",
            Format::TorchLegacy => "legacy PyTorch checkpoint",
            Format::Safetensors => "safetensors",
            Format::Hdf5 => "HDF5",
        }
    }
}

/// A plausible header length (under 100 MB, the safetensors limit) followed by `{`.
fn looks_like_safetensors(bytes: &[u8]) -> bool {
    let Some((len, rest)) = bytes.split_first_chunk::<8>() else {
        return false;
    };
    let len = u64::from_le_bytes(*len);
    (2..100_000_000).contains(&len) && rest.first() == Some(&b'{')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_content() {
        assert_eq!(Format::sniff(b"PK\x03\x04rest"), Some(Format::TorchZip));
        assert_eq!(Format::sniff(&MAGIC_PICKLE), Some(Format::TorchLegacy));
        assert_eq!(Format::sniff(b"\x89HDF\r\n\x1a\n\0\0"), Some(Format::Hdf5));
        assert_eq!(
            Format::sniff(b"\x02\0\0\0\0\0\0\0{}"),
            Some(Format::Safetensors)
        );
        assert_eq!(Format::sniff(b"\x80\x02}q\0."), None);
        assert_eq!(Format::sniff(b""), None);
        assert_eq!(Format::sniff(b"\xff\xff\xff\xff\xff\xff\xff\xff{"), None);
    }
}
