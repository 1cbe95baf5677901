"""The PyTorch side of scripts/bench-train: the training step and the inference that
crates/fakescope-train/examples/train_step.rs times, on the model of the PyPI package
efficientnet_lite_pytorch==0.1.0 (one output), random inputs, AdamW, BCE with logits.

    python train_reference.py VARIANT SIZE BATCH STEPS THREADS
"""
import sys
import time

import torch
from efficientnet_lite_pytorch import EfficientNet


def main():
    variant, size, batch, steps, threads = sys.argv[1], *map(int, sys.argv[2:6])
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    model = EfficientNet.from_name(f"efficientnet-{variant}", num_classes=1)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    x = torch.rand(batch, 3, size, size)
    y = torch.randint(0, 2, (batch,)).float()
    elapsed = 0.0
    for step in range(steps + 1):
        start = time.perf_counter()
        opt.zero_grad()
        loss = loss_fn(model(x).squeeze(1), y)
        loss.backward()
        opt.step()
        if step > 0:
            elapsed += time.perf_counter() - start
    train = steps * batch / elapsed
    model.eval()
    elapsed = 0.0
    with torch.no_grad():
        for step in range(steps + 1):
            start = time.perf_counter()
            model(x)
            if step > 0:
                elapsed += time.perf_counter() - start
    infer = steps * batch / elapsed
    print(f"pytorch {torch.__version__} efficientnet-{variant} {size}px batch {batch}, "
          f"{threads} threads: training {train:.2f} images/s, inference {infer:.2f} images/s")


if __name__ == "__main__":
    main()
