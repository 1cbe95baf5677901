//! HDF5 files as Keras writes them (`model.save_weights("x.h5")`, `model.save("x.h5")`), read
//! in pure Rust.
//!
//! # What is read
//!
//! The subset of HDF5 that weight files use: superblock versions 0 to 3, object headers of
//! version 1 and 2 (with continuation blocks), old-style groups (symbol table: a version 1
//! B-tree of symbol table nodes, names in a local heap) and new-style groups with compact link
//! messages, dataspaces, datatypes (IEEE floats of 4 or 8 bytes and integers, either byte
//! order; fixed and variable-length strings in attributes), attributes, and contiguous or
//! compact data layouts. Chunked (possibly compressed) datasets, dense link storage (fractal
//! heaps) and other datatypes are reported as [`Problem::Unsupported`] naming the object.
//!
//! # Tensor names
//!
//! Keras stores each layer's weights in a group named after the layer and lists them in two
//! attributes: the root (or, for a whole saved model, the `model_weights` group) has
//! `layer_names`, and each layer group has `weight_names`, e.g. `conv2d_5/kernel:0` stored at
//! the dataset `conv2d_5/conv2d_5/kernel:0`. When these attributes are present, every tensor is
//! exposed under its **weight name** exactly as Keras lists it (`conv2d_5/kernel:0`,
//! `batch_normalization_5/moving_variance:0`, `dense_3/bias:0`), and a listed weight that is
//! missing is an error. Other HDF5 files expose every numeric dataset under its full path from
//! the root (`group/sub/name`).
//!
//! Shapes are the HDF5 shapes, outermost first: Keras convolution kernels are
//! `[kernel_h, kernel_w, in_channels, out_channels]` (HWIO), dense kernels `[in, out]`.
//!
//! # Robustness
//!
//! Every address and length is checked against the file before it is followed, the group walk
//! refuses cycles and nesting deeper than [`Limits::max_nesting`], the number of header messages
//! and group entries visited is bounded, and [`Limits`] (tensors, dimensions, total elements)
//! are checked before any tensor is allocated. Errors name the object path.

mod file;
mod group;
mod messages;
mod object;

use std::collections::{BTreeMap, HashSet};

use crate::elements::ElemType;
use crate::error::{Parsed, Problem};
use crate::limits::check;
use crate::{Limits, StoredTensor};
use file::File;
use messages::{Attribute, Datatype, Layout};
use object::kind;

/// Header messages plus group entries one file may make the reader visit, per allowed tensor.
const WORK_PER_TENSOR: usize = 64;

/// A dataset found in the walk: what is needed to read it later.
#[derive(Debug, Clone)]
struct Dataset<'a> {
    shape: Vec<u64>,
    dtype: Datatype,
    layout: Layout<'a>,
}

/// Everything the walk found: datasets and the attributes of groups, by path.
#[derive(Debug, Default)]
struct Tree<'a> {
    datasets: BTreeMap<String, Dataset<'a>>,
    attributes: BTreeMap<String, Vec<Attribute>>,
}

impl Tree<'_> {
    /// The strings of attribute `name` on the group at `path`.
    fn strings(&self, path: &str, name: &str) -> Option<&[String]> {
        self.attributes
            .get(path)?
            .iter()
            .find(|a| a.name == name)?
            .strings
            .as_deref()
    }
}

/// Reads all tensors of an HDF5 file held in `bytes`.
pub(crate) fn read(bytes: &[u8], limits: &Limits) -> Parsed<BTreeMap<String, StoredTensor>> {
    let file = File::open(bytes)?;
    let mut walk = Walk {
        file: &file,
        limits,
        tree: Tree::default(),
        on_path: HashSet::new(),
        budget: limits.max_tensors.saturating_mul(WORK_PER_TENSOR).max(4096),
    };
    walk.visit(file.root.header, String::new(), 0)?;
    let tree = walk.tree;
    let named = keras_names(&tree)?;
    check(
        "number of tensors",
        named.len() as u64,
        limits.max_tensors as u64,
    )?;
    let mut total = 0u64;
    for (_, path) in &named {
        let dataset = &tree.datasets[path.as_str()];
        total = total.saturating_add(messages::element_count(&dataset.shape)?);
    }
    check("total number of elements", total, limits.max_total_elements)?;
    named
        .into_iter()
        .map(|(key, path)| {
            let tensor = tensor(&file, &tree.datasets[path.as_str()])
                .map_err(|p| p.context(&format!("dataset `/{path}`")))?;
            Ok((key, tensor))
        })
        .collect()
}

/// Pairs (tensor key, dataset path): Keras weight names when the file lists them, otherwise
/// every numeric dataset under its path.
fn keras_names(tree: &Tree<'_>) -> Parsed<Vec<(String, String)>> {
    let root = ["", "model_weights"]
        .into_iter()
        .find(|g| tree.strings(g, "layer_names").is_some());
    let Some(root) = root else {
        return Ok(tree
            .datasets
            .iter()
            .filter(|(_, d)| matches!(d.dtype, Datatype::Float { .. } | Datatype::Int { .. }))
            .map(|(path, _)| (path.clone(), path.clone()))
            .collect());
    };
    let join = |a: &str, b: &str| {
        if a.is_empty() {
            b.to_owned()
        } else {
            format!("{a}/{b}")
        }
    };
    let mut out = Vec::new();
    for layer in tree.strings(root, "layer_names").unwrap_or_default() {
        let group = join(root, layer);
        let weights = tree.strings(&group, "weight_names").ok_or_else(|| {
            Problem::invalid(format!(
                "layer group `/{group}` has no `weight_names` attribute"
            ))
        })?;
        for weight in weights {
            let path = join(&group, weight);
            if !tree.datasets.contains_key(&path) {
                return Err(Problem::invalid(format!(
                    "weight `{weight}` is listed but there is no dataset `/{path}`"
                )));
            }
            out.push((weight.clone(), path));
        }
    }
    Ok(out)
}

/// Converts one dataset's values to a [`StoredTensor`].
fn tensor(file: &File<'_>, dataset: &Dataset<'_>) -> Parsed<StoredTensor> {
    let (elem, size, big_endian) = match dataset.dtype {
        Datatype::Float {
            size: 4,
            big_endian,
        } => (ElemType::F32, 4, big_endian),
        Datatype::Float {
            size: 8,
            big_endian,
        } => (ElemType::F64, 8, big_endian),
        Datatype::Int {
            size,
            big_endian,
            signed,
        } => {
            let elem = match (size, signed) {
                (1, true) => ElemType::I8,
                (1, false) => ElemType::U8,
                (2, true) => ElemType::I16,
                (2, false) => ElemType::U16,
                (4, true) => ElemType::I32,
                (4, false) => ElemType::U32,
                (8, true) => ElemType::I64,
                _ => ElemType::U64,
            };
            (elem, size, big_endian)
        }
        other => return Err(Problem::Unsupported(format!("datatype {other:?}"))),
    };
    let count = messages::element_count(&dataset.shape)?;
    let shape = dataset
        .shape
        .iter()
        .map(|d| usize::try_from(*d).map_err(|_| Problem::invalid("dimension too large")))
        .collect::<Parsed<Vec<usize>>>()?;
    let bytes = count
        .checked_mul(size as u64)
        .ok_or_else(|| Problem::invalid("size overflows"))?;
    let data = match messages::values(file, dataset.layout, bytes)? {
        // Never written: HDF5's default fill value is zero.
        None => vec![0.0; usize::try_from(count).map_err(|_| Problem::invalid("too large"))?],
        Some(raw) if big_endian => {
            let swapped: Vec<u8> = raw
                .chunks_exact(size)
                .flat_map(|e| e.iter().rev().copied())
                .collect();
            elem.decode(&swapped)
        }
        Some(raw) => elem.decode(raw),
    };
    Ok(StoredTensor {
        shape,
        dtype: elem.dtype(),
        data,
    })
}

/// The state of the walk over groups.
struct Walk<'f, 'a> {
    file: &'f File<'a>,
    limits: &'f Limits,
    tree: Tree<'a>,
    /// Object headers of the groups from the root to the current one (cycle detection).
    on_path: HashSet<u64>,
    /// Header messages and group entries still allowed.
    budget: usize,
}

impl<'a> Walk<'_, 'a> {
    fn visit(&mut self, header: u64, path: String, depth: usize) -> Parsed<()> {
        let place = |p: Problem| p.context(&format!("object `/{path}`"));
        if depth > self.limits.max_nesting {
            return Err(place(Problem::invalid(format!(
                "groups nested deeper than {}",
                self.limits.max_nesting
            ))));
        }
        if !self.on_path.insert(header) {
            return Err(place(Problem::invalid("group contains itself (a cycle)")));
        }
        let children = self.visit_object(header, &path).map_err(place)?;
        for (name, child) in children {
            let child_path = if path.is_empty() {
                name
            } else {
                format!("{path}/{name}")
            };
            self.visit(child, child_path, depth + 1)?;
        }
        self.on_path.remove(&header);
        Ok(())
    }

    /// Records the object at `header` (a group's attributes or a dataset) and returns the
    /// children of a group (none for a dataset).
    fn visit_object(&mut self, header: u64, path: &str) -> Parsed<Vec<(String, u64)>> {
        let file = self.file;
        let messages = object::messages(file, header, &mut self.budget)?;
        if messages.iter().any(|m| m.flags & object::SHARED != 0) {
            return Err(Problem::Unsupported("shared header messages".into()));
        }
        let max_dims = self.limits.max_dims;
        if let Some(children) = group::children(file, &messages, &mut self.budget)? {
            let attributes = messages
                .iter()
                .filter(|m| m.kind == kind::ATTRIBUTE)
                .filter_map(|m| messages::attribute(file, m.data, max_dims).ok())
                .collect();
            self.tree.attributes.insert(path.to_owned(), attributes);
            return Ok(children);
        }
        let find = |k| messages.iter().find(|m| m.kind == k);
        let (Some(space), Some(dtype), Some(layout)) = (
            find(kind::DATASPACE),
            find(kind::DATATYPE),
            find(kind::LAYOUT),
        ) else {
            return Ok(Vec::new()); // a named datatype or another object without values
        };
        if find(kind::FILTERS).is_some() {
            return Err(Problem::Unsupported(
                "filtered (compressed) datasets".into(),
            ));
        }
        let shape = messages::dataspace(file, space.data, max_dims)?.unwrap_or_default();
        let dataset = Dataset {
            shape,
            dtype: messages::datatype(dtype.data)?,
            layout: messages::layout(file, layout.data)?,
        };
        if self.tree.datasets.len() >= self.limits.max_tensors {
            return Err(Problem::Limit {
                what: "number of datasets",
                actual: self.tree.datasets.len() as u64 + 1,
                limit: self.limits.max_tensors as u64,
            });
        }
        self.tree.datasets.insert(path.to_owned(), dataset);
        Ok(Vec::new())
    }
}
