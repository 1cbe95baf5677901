//! Times EfficientNet-Lite training steps and inference on random inputs, as
//! `scripts/bench-train` compares them with PyTorch:
//!
//! ```console
//! $ cargo run --release -p fakescope-train --example train_step -- lite0 224 32 5
//! ```
//!
//! Arguments: variant (`lite0`, `lite2`), input size, batch size, timed steps (one untimed
//! warm-up step first). A step is what `fakescope train` does per batch: forward in training
//! mode (batch statistics, dropout, drop connect), binary cross-entropy on one logit, backward,
//! an AdamW update. Inference is the eval-mode forward of the same batch. Prints images/s.

use std::time::Instant;

use burn::module::Module;
use burn::optim::{AdamWConfig, GradientsParams};
use burn::tensor::{Device, Distribution, Tensor};
use fakescope_models::efficientnet_lite::{EfficientNetLite, Variant};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: &str| args.get(i).cloned().unwrap_or_else(|| default.into());
    let variant = Variant::from_name(&arg(0, "lite0")).expect("variant: lite0 or lite2");
    let size: usize = arg(1, "224").parse().expect("input size");
    let batch: usize = arg(2, "32").parse().expect("batch size");
    let steps: usize = arg(3, "5").parse().expect("steps");
    let threads = rayon::current_num_threads();

    let device = Device::flex().autodiff();
    device.seed(1);
    let mut model = EfficientNetLite::new(variant, 1, &device).train();
    let mut optim = AdamWConfig::new().init();
    let x = Tensor::<4>::random([batch, 3, size, size], Distribution::Default, &device);
    let y = Tensor::<1>::random([batch], Distribution::Bernoulli(0.5), &device);
    let mut elapsed = 0.0;
    for step in 0..=steps {
        let start = Instant::now();
        let logits = model.forward(x.clone(), true).reshape([batch]);
        let loss = fakescope_train::bce_with_logits(logits, y.clone());
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optim.step(1e-4, model, grads);
        // Wait for the update before the clock stops.
        let _ = model.fc.weight.val().into_data();
        if step > 0 {
            elapsed += start.elapsed().as_secs_f64();
        }
    }
    let train = (steps * batch) as f64 / elapsed;

    let eval = model.valid();
    let x = Tensor::<4>::random(
        [batch, 3, size, size],
        Distribution::Default,
        &Device::flex(),
    );
    let mut elapsed = 0.0;
    for step in 0..=steps {
        let start = Instant::now();
        let _ = eval.forward(x.clone(), false).into_data();
        if step > 0 {
            elapsed += start.elapsed().as_secs_f64();
        }
    }
    let infer = (steps * batch) as f64 / elapsed;
    println!(
        "fakescope {} {size}px batch {batch}, {threads} threads: training {train:.2} images/s, inference {infer:.2} images/s",
        variant.name()
    );
}
