//! [`Params`]: strict, shape-checked access to a [`StateDict`] by PyTorch key path.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::fmt::Display;
use std::rc::Rc;

use burn::module::Param;
use burn::tensor::{Device, Tensor, TensorData};
use fakescope_weights::{DType, StateDict};

use crate::Error;

/// Key suffixes that [`Params::finish`] never reports as unused: bookkeeping PyTorch stores next
/// to weights that inference does not need.
const IGNORED_SUFFIXES: &[&str] = &["num_batches_tracked"];

/// The state dict and the keys read from it so far, shared by every [`Params`] of one load.
#[derive(Debug)]
struct Shared {
    dict: StateDict,
    used: RefCell<BTreeSet<String>>,
    device: Device,
}

/// A view of a [`StateDict`] under a key prefix, like candle's `VarBuilder`.
///
/// [`pp`](Params::pp) descends one level (`pp("encoder").pp(0)` → `encoder.0.`), and
/// [`tensor`](Params::tensor) reads `prefix.name` as a burn tensor after checking its shape.
/// Every key read is remembered, so that [`finish`](Params::finish) can refuse a file that holds
/// tensors the architecture never asked for (strict loading: a wrong config or a different
/// model fails loudly instead of running with half its weights).
#[derive(Debug, Clone)]
pub struct Params {
    shared: Rc<Shared>,
    prefix: String,
}

impl Params {
    /// Root view of `dict`; tensors are created on `device`.
    pub fn new(dict: StateDict, device: &Device) -> Params {
        Params {
            shared: Rc::new(Shared {
                dict,
                used: RefCell::new(BTreeSet::new()),
                device: device.clone(),
            }),
            prefix: String::new(),
        }
    }

    /// The view one level down: `pp("conv1")`, `pp(0)`.
    pub fn pp(&self, name: impl Display) -> Params {
        Params {
            shared: Rc::clone(&self.shared),
            prefix: self.key(name),
        }
    }

    /// The full key of `name` under this view's prefix.
    pub fn key(&self, name: impl Display) -> String {
        if self.prefix.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", self.prefix)
        }
    }

    /// The device tensors are created on.
    pub fn device(&self) -> &Device {
        &self.shared.device
    }

    /// Whether the file holds `name` under this prefix (for optional tensors such as a bias).
    pub fn contains(&self, name: impl Display) -> bool {
        self.shared.dict.tensors.contains_key(&self.key(name))
    }

    /// The values of `name` (row-major, PyTorch order) after checking that its shape is
    /// `expected`; marks the key as used.
    pub fn values(&self, name: impl Display, expected: &[usize]) -> Result<Vec<f32>, Error> {
        let key = self.key(name);
        let path = || self.shared.dict.source.clone();
        let stored = self
            .shared
            .dict
            .tensors
            .get(&key)
            .ok_or_else(|| Error::Missing {
                path: path(),
                key: key.clone(),
            })?;
        if matches!(stored.dtype, DType::Int | DType::Bool) {
            return Err(Error::DType {
                path: path(),
                key,
                dtype: stored.dtype,
            });
        }
        if stored.shape != expected || stored.data.len() != expected.iter().product::<usize>() {
            return Err(Error::Shape {
                path: path(),
                key,
                expected: expected.to_vec(),
                found: stored.shape.clone(),
            });
        }
        let values = stored.data.clone();
        self.shared.used.borrow_mut().insert(key);
        Ok(values)
    }

    /// The tensor `name` with the checked shape `expected`, on this view's device.
    pub fn tensor<const D: usize>(
        &self,
        name: impl Display,
        expected: [usize; D],
    ) -> Result<Tensor<D>, Error> {
        let values = self.values(name, &expected)?;
        Ok(Tensor::from_data(
            TensorData::new(values, expected),
            &self.shared.device,
        ))
    }

    /// [`tensor`](Params::tensor) wrapped as a trainable parameter.
    pub fn param<const D: usize>(
        &self,
        name: impl Display,
        expected: [usize; D],
    ) -> Result<Param<Tensor<D>>, Error> {
        self.tensor(name, expected).map(Param::from_tensor)
    }

    /// Marks `name` as deliberately not used (an ImageNet classifier replaced by a new head),
    /// so that [`finish`](Params::finish) does not report it; returns whether the file holds it.
    pub fn skip(&self, name: impl Display) -> bool {
        let key = self.key(name);
        let present = self.shared.dict.tensors.contains_key(&key);
        if present {
            self.shared.used.borrow_mut().insert(key);
        }
        present
    }

    /// Strict loading: succeeds only if every tensor of the file was read (keys ending in
    /// `num_batches_tracked` excepted); otherwise names the unused keys.
    pub fn finish(&self) -> Result<(), Error> {
        let used = self.shared.used.borrow();
        let keys: Vec<String> = self
            .shared
            .dict
            .tensors
            .keys()
            .filter(|key| !used.contains(*key))
            .filter(|key| !IGNORED_SUFFIXES.iter().any(|s| key.ends_with(s)))
            .cloned()
            .collect();
        if keys.is_empty() {
            Ok(())
        } else {
            Err(Error::Unused {
                path: self.shared.dict.source.clone(),
                keys,
            })
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use fakescope_weights::StoredTensor;
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    /// A hand-made state dict: `(key, shape, values)`.
    pub(crate) fn dict(entries: &[(&str, &[usize], &[f32])]) -> StateDict {
        let tensors: BTreeMap<String, StoredTensor> = entries
            .iter()
            .map(|(key, shape, data)| {
                let tensor = StoredTensor {
                    shape: shape.to_vec(),
                    dtype: DType::F32,
                    data: data.to_vec(),
                };
                (key.to_string(), tensor)
            })
            .collect();
        StateDict {
            source: PathBuf::from("test.pth"),
            tensors,
        }
    }

    #[test]
    fn prefixes_join_with_dots() {
        let p = Params::new(dict(&[]), &Device::flex());
        assert_eq!(
            p.pp("encoder").pp(0).key("conv1.weight"),
            "encoder.0.conv1.weight"
        );
    }

    #[test]
    fn shape_mismatch_names_file_key_and_shapes() {
        let p = Params::new(dict(&[("a.w", &[2, 1], &[1.0, 2.0])]), &Device::flex());
        let err = p.pp("a").tensor("w", [1, 2]).unwrap_err().to_string();
        assert_eq!(
            err,
            "test.pth: tensor `a.w` has shape [2, 1], the model expects [1, 2]"
        );
    }

    #[test]
    fn missing_key_is_named() {
        let p = Params::new(dict(&[]), &Device::flex());
        let err = p.tensor("b", [1]).unwrap_err().to_string();
        assert_eq!(err, "test.pth: no tensor named `b`");
    }

    #[test]
    fn finish_reports_unused_but_not_num_batches_tracked() {
        let p = Params::new(
            dict(&[
                ("bn.num_batches_tracked", &[], &[0.0]),
                ("used", &[1], &[1.0]),
                ("extra", &[1], &[1.0]),
            ]),
            &Device::flex(),
        );
        let t = p.tensor("used", [1]).unwrap();
        assert_eq!(t.into_data().try_to_vec::<f32>().unwrap(), vec![1.0]);
        let err = p.finish().unwrap_err().to_string();
        assert_eq!(err, "test.pth: 1 tensor(s) not used by the model: extra");
    }
}
