"""WGAN-GP on MNIST digits: a Wasserstein critic trained with a gradient penalty (higher-order gradients).

    TENSORLIB_DATASETS_MIRROR=/path/to/mnist python examples/gradient_penalty.py --download
    python examples/gradient_penalty.py --steps 300 --digit 3

The critic's loss contains ``lambda * (||grad_x D(x_hat)||_2 - 1)^2`` at random interpolates ``x_hat`` between
real and generated images (Gulrajani et al., 2017). That gradient is computed with
``tensorlib.autograd.grad(..., create_graph=True)`` so the penalty itself can be backpropagated into the critic's
weights: a second-order derivative. Prints the Wasserstein estimate and the penalty as training goes, and writes
a PNG grid of generated digits to ``--out-dir``.
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import Timer, fail, progress  # noqa: E402

import tensorlib as tl  # noqa: E402
import tensorlib.nn as nn  # noqa: E402
import tensorlib.optim as optim  # noqa: E402
from tensorlib.datasets import MNIST  # noqa: E402
from tensorlib.vision.utils import save_image  # noqa: E402


def make_models(latent: int, hidden: int):
    """MLP generator (latent -> 784 in [-1, 1]) and critic (784 -> 1 score, no sigmoid, no batch norm)."""
    generator = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                              nn.Linear(hidden, 28 * 28), nn.Tanh())
    critic = nn.Sequential(nn.Linear(28 * 28, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, hidden),
                           nn.LeakyReLU(0.2), nn.Linear(hidden, 1))
    return generator, critic


def gradient_penalty(critic, real, fake):
    """``mean((||d critic / d x_hat||_2 - 1)^2)`` at random interpolates, differentiable w.r.t. the critic."""
    alpha = tl.rand(real.size(0), 1)
    interpolates = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    scores = critic(interpolates)
    (grads,) = tl.autograd.grad(scores.sum(), interpolates, create_graph=True)
    return ((grads.norm(2, dim=1) - 1) ** 2).mean()


def critic_step(critic, generator, optimizer, real, latent: int, penalty_weight: float):
    """One critic update; returns (Wasserstein estimate, penalty) as floats."""
    with tl.no_grad():
        fake = generator(tl.randn(real.size(0), latent))
    optimizer.zero_grad()
    wasserstein = critic(real).mean() - critic(fake).mean()
    penalty = gradient_penalty(critic, real, fake)
    loss = -wasserstein + penalty_weight * penalty
    loss.backward()
    optimizer.step()
    return wasserstein.item(), penalty.item()


def load_digits(args) -> tl.Tensor:
    try:
        dataset = MNIST(args.data_dir, train=True, download=args.download)
    except RuntimeError as exc:
        hint = "" if args.download else " (pass --download, or set TENSORLIB_DATASETS_MIRROR)"
        fail(f"MNIST is not available under {args.data_dir!r}: {str(exc).strip().splitlines()[0]}{hint}")
    images, labels = dataset.data, dataset.targets
    if args.digit is not None:
        images = images[labels == args.digit]
    return images.reshape(images.size(0), -1).float() / 127.5 - 1  # pixels in [-1, 1], like the tanh output


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default="data", help="dataset root (files in DATA_DIR/MNIST/raw)")
    parser.add_argument("--download", action="store_true", help="download (or copy from a mirror) if missing")
    parser.add_argument("--digit", type=int, default=None, help="train on one digit class only")
    parser.add_argument("--steps", type=int, default=150, help="generator updates")
    parser.add_argument("--n-critic", type=int, default=5, help="critic updates per generator update")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--latent", type=int, default=64)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--penalty-weight", type=float, default=10.0, help="lambda of the gradient penalty")
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out-dir", default="runs/wgan_gp")
    parser.add_argument("--no-progress", action="store_true")
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    tl.manual_seed(args.seed)
    digits = load_digits(args)
    generator, critic = make_models(args.latent, args.hidden)
    opt_g = optim.Adam(generator.parameters(), lr=args.lr, betas=(0.5, 0.9))
    opt_c = optim.Adam(critic.parameters(), lr=args.lr, betas=(0.5, 0.9))
    print(f"WGAN-GP on {digits.size(0):,} MNIST images; lambda={args.penalty_weight}, n_critic={args.n_critic}")
    history = []
    with Timer() as timer:
        steps = progress(range(args.steps), "generator steps", enabled=not args.no_progress)
        for step in steps:
            for _ in range(args.n_critic):
                batch = digits[tl.randint(0, digits.size(0), (args.batch_size,))]
                wasserstein, penalty = critic_step(critic, generator, opt_c, batch, args.latent,
                                                   args.penalty_weight)
            opt_g.zero_grad()
            generator_loss = -critic(generator(tl.randn(args.batch_size, args.latent))).mean()
            generator_loss.backward()
            opt_g.step()
            history.append({"step": step, "wasserstein": wasserstein, "penalty": penalty})
            if step % max(1, args.steps // 5) == 0 or step == args.steps - 1:
                print(f"step {step:4d}: W estimate {wasserstein:8.4f}  gradient penalty {penalty:.4f}  "
                      f"generator loss {generator_loss.item():8.4f}")
    os.makedirs(args.out_dir, exist_ok=True)
    with tl.no_grad():
        samples = generator(tl.randn(64, args.latent)).reshape(64, 1, 28, 28) * 0.5 + 0.5
    grid = os.path.join(args.out_dir, "samples.png")
    save_image(samples, grid, nrow=8)
    print(f"done in {timer.seconds:.1f}s; samples written to {grid}")
    return {"history": history, "samples": grid}


if __name__ == "__main__":
    main()
