//! The architectures the engine trains, behind one trait: [`Network`] turns a [`Batch`] into
//! the architecture's input tensor and gives one logit per row (higher = fake).

use std::path::Path;

use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};
use fakescope_models::efficientnet_lite::{EfficientNetLite, Variant, imagenet_planar_input};
use fakescope_models::lcnn::Lcnn;

use crate::Error;
use crate::data::Batch;
use crate::recipe::Recipe;

/// A trainable architecture with one output logit.
pub trait Network: Module + Sized + 'static {
    /// A model as the recipe starts it (`init`: ImageNet backbone, random, or a weights file).
    fn init(recipe: &Recipe, backbone: Option<&Path>, device: &Device) -> Result<Self, Error>;
    /// A randomly initialised model of the recipe's architecture (to load a checkpoint into).
    fn blank(recipe: &Recipe, device: &Device) -> Result<Self, Error>;
    /// The input tensor of a batch.
    fn input(batch: &Batch, device: &Device) -> Tensor<4>;
    /// One logit per row, `[n]`.
    fn logits(&self, x: Tensor<4>, training: bool) -> Tensor<1>;
    /// Folds pending batch-norm statistics into the running ones before a checkpoint.
    fn sync_running_stats(&self);
    /// The weights under the architecture's keys, for the exported safetensors.
    fn state_dict(&self) -> Vec<(String, Vec<usize>, Vec<f32>)>;
}

fn variant(recipe: &Recipe) -> Result<Variant, Error> {
    Variant::from_name(&recipe.model.arch)
        .ok_or_else(|| Error::Invalid(format!("unknown architecture {}", recipe.model.arch)))
}

impl Network for EfficientNetLite {
    fn init(recipe: &Recipe, backbone: Option<&Path>, device: &Device) -> Result<Self, Error> {
        let variant = variant(recipe)?;
        match recipe.model.init.as_str() {
            "none" => Ok(EfficientNetLite::new(variant, 1, device)),
            "imagenet" => {
                let path = backbone.ok_or_else(|| {
                    Error::Invalid(format!(
                        "init = \"imagenet\" needs the {} backbone (`fakescope models pull {}`)",
                        variant.name(),
                        variant.name()
                    ))
                })?;
                Ok(EfficientNetLite::load_backbone(variant, 1, path, device)?)
            }
            path => Ok(EfficientNetLite::load(variant, 1, Path::new(path), device)?),
        }
    }

    fn blank(recipe: &Recipe, device: &Device) -> Result<Self, Error> {
        Ok(EfficientNetLite::new(variant(recipe)?, 1, device))
    }

    fn input(batch: &Batch, device: &Device) -> Tensor<4> {
        let [n, _, size, _] = batch.shape;
        imagenet_planar_input(batch.values.clone(), n, size, device)
    }

    fn logits(&self, x: Tensor<4>, training: bool) -> Tensor<1> {
        let n = x.dims()[0];
        self.forward(x, training).reshape([n])
    }

    fn sync_running_stats(&self) {
        EfficientNetLite::sync_running_stats(self);
    }

    fn state_dict(&self) -> Vec<(String, Vec<usize>, Vec<f32>)> {
        EfficientNetLite::state_dict(self)
    }
}

impl Network for Lcnn {
    fn init(recipe: &Recipe, _backbone: Option<&Path>, device: &Device) -> Result<Self, Error> {
        match recipe.model.init.as_str() {
            "none" => Ok(Lcnn::new(device)),
            "imagenet" => Err(Error::Invalid(
                "model.init: lcnn has no ImageNet weights; use init = \"none\" or a weights file"
                    .to_owned(),
            )),
            path => {
                let state = fakescope_weights::StateDict::load(Path::new(path))
                    .map_err(|e| Error::Invalid(e.to_string()))?;
                Ok(Lcnn::from_state_dict(state, device)?)
            }
        }
    }

    fn blank(_recipe: &Recipe, device: &Device) -> Result<Self, Error> {
        Ok(Lcnn::new(device))
    }

    fn input(batch: &Batch, device: &Device) -> Tensor<4> {
        Tensor::from_data(TensorData::new(batch.values.clone(), batch.shape), device)
    }

    fn logits(&self, x: Tensor<4>, training: bool) -> Tensor<1> {
        let n = x.dims()[0];
        self.forward(x, training).reshape([n])
    }

    fn sync_running_stats(&self) {
        Lcnn::sync_running_stats(self);
    }

    fn state_dict(&self) -> Vec<(String, Vec<usize>, Vec<f32>)> {
        Lcnn::state_dict(self)
    }
}
