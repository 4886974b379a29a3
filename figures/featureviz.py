"""Batched feature visualisation on lucent's parameterisation, transforms and objectives.

Why not ``lucent.optvis.render.render_vis``: it optimises one objective at a time, keeps a
module-level device, hooks every module and never removes the hooks, and reads numpy's global
RNG. Here many units render in **one** optimisation (image ``i`` carries lucent's
``objectives.channel(layer, unit_i, batch=i)``; the objectives of different images do not
interact, and Adam is per-parameter, so each image follows its own single-unit optimisation),
the forward pass stops at the requested layer, model weights get no gradients, the device and
the RNGs are explicit, and the two hooks used are removed when the run ends.

The image parameterisation is lucent's ``param.image`` (FFT spectrum scaled by 1/frequency,
lucent's colour-decorrelation matrix, sigmoid), rebuilt around lucent's own helpers so that it
takes a device and a generator. The ``standard`` transforms are lucent's
``standard_transforms`` (pad 12, jitter 8, scale ±10 %, rotate ±10°, jitter 4) drawn from a
seeded generator; jitter is Lucid's random crop.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
import torch
import torch.nn.functional as F
from lucent.optvis import objectives
from lucent.optvis import transform as lucent_transform
from lucent.optvis.param.color import color_correlation_normalized
from lucent.optvis.param.spatial import rfft2d_freqs

from figures.hooks import capture, layer_names

Transform = Callable[[torch.Tensor, np.random.Generator], torch.Tensor]
OBJECTIVES = ("channel", "neuron", "negative", "diversity", "direction")


# --- parameterisation ------------------------------------------------------------------------

def fft_image(seeds: list[int], size: int, device: str | torch.device,
              sd: float = 0.01, decay_power: float = 1.0
              ) -> tuple[list[torch.Tensor], Callable[[], torch.Tensor]]:
    """lucent's ``param.image(size, batch=len(seeds))``: FFT, decorrelated colour, sigmoid.
    Image ``i``'s starting noise comes from its own generator seeded with ``seeds[i]``, so it
    does not depend on which other images share the batch."""
    freqs = rfft2d_freqs(size, size)
    spectrum = torch.cat([torch.randn(1, 3, *freqs.shape, 2,
                                      generator=torch.Generator().manual_seed(seed))
                          for seed in seeds]) * sd
    spectrum = spectrum.to(device).requires_grad_(True)
    scale = torch.tensor(1.0 / np.maximum(freqs, 1.0 / size) ** decay_power).float()
    scale = scale[None, None, ..., None].to(device)
    colour = torch.tensor(color_correlation_normalized, device=device)

    def image() -> torch.Tensor:
        spatial = torch.fft.irfftn(torch.view_as_complex(scale * spectrum), s=(size, size),
                                   norm="ortho")[:, :, :size, :size] / 4.0  # lucent's "magic"
        return torch.sigmoid(torch.einsum("bchw,dc->bdhw", spatial, colour))

    return [spectrum], image


# --- transforms (each takes the image batch and an explicit RNG) -----------------------------

def pad(width: int, value: float = 0.5) -> Transform:
    return lambda x, rng: F.pad(x, [width] * 4, mode="constant", value=value)


def jitter(d: int) -> Transform:
    """Lucid's jitter: a random crop, ``d - 1`` pixels smaller."""
    def inner(x: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
        dx, dy = (int(v) for v in rng.integers(d, size=2))
        return x[..., dy:dy + x.shape[-2] - d + 1, dx:dx + x.shape[-1] - d + 1]
    return inner


def random_scale(scales: list[float]) -> Transform:
    def inner(x: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
        s = float(rng.choice(scales))
        shape = [math.ceil(s * d) for d in x.shape[-2:]]
        return F.interpolate(x, size=shape, mode="bilinear", align_corners=True)
    return inner


def random_rotate(angles: list[float]) -> Transform:
    def inner(x: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
        a = math.radians(float(rng.choice(angles)))
        theta = torch.tensor([[math.cos(a), -math.sin(a), 0.0], [math.sin(a), math.cos(a), 0.0]],
                             dtype=x.dtype, device=x.device).expand(x.shape[0], 2, 3)
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        return F.grid_sample(x, grid, align_corners=False)
    return inner


PRESETS: dict[str, Callable[[], list[Transform]]] = {
    "none": list,
    "light": lambda: [pad(4), jitter(4)],
    "standard": lambda: [pad(12), jitter(8), random_scale([1 + (i - 5) / 50.0 for i in range(11)]),
                         random_rotate(list(range(-10, 11)) + 5 * [0]), jitter(4)],
}
"""Transform presets; ``standard`` mirrors ``lucent.optvis.transform.standard_transforms``."""


def preprocess_for(model: torch.nn.Module) -> Callable[[torch.Tensor], torch.Tensor]:
    """The input scaling lucent's render_vis would apply, unless the model declares [0, 1]."""
    if model._get_name() == "InceptionV1":
        return lucent_transform.preprocess_inceptionv1()
    if getattr(model, "input_range", None) == "unit":
        return lambda x: x
    return lucent_transform.normalize()


# --- objectives ------------------------------------------------------------------------------

def batched_objective(kind: str, layer: str, units: list[int], per_unit: int = 1,
                      direction: list[float] | None = None, diversity_weight: float = 1e2
                      ) -> objectives.Objective:
    """One lucent objective per image (``batch=i``), summed: images optimise independently."""
    if kind not in OBJECTIVES:
        raise ValueError(f"unknown objective '{kind}' (choose from {', '.join(OBJECTIVES)})")
    if kind == "direction":
        if not direction:
            raise ValueError("objective 'direction' needs a direction vector")
        return _direction(layer, direction, per_unit)
    single = objectives.neuron if kind == "neuron" else objectives.channel
    parts = [single(layer, unit, batch=g * per_unit + j)
             for g, unit in enumerate(units) for j in range(per_unit)]
    total = objectives.Objective.sum(parts)
    if kind == "negative":
        return -1 * total
    if kind == "diversity" and per_unit > 1:
        groups = [_on_slice(objectives.diversity(layer), g * per_unit, per_unit)
                  for g in range(len(units))]
        return total - diversity_weight * objectives.Objective.sum(groups)
    return total


def _direction(layer: str, direction: list[float], per_unit: int) -> objectives.Objective:
    def make(batch: int) -> objectives.Objective:
        def inner(T):
            acts = T(layer)
            return objectives.direction(layer, torch.tensor(direction, device=acts.device),
                                        batch=batch)(T)
        return objectives.Objective(inner, "direction")
    return objectives.Objective.sum([make(i) for i in range(per_unit)])


def _on_slice(objective: objectives.Objective, start: int, length: int) -> objectives.Objective:
    """Evaluate ``objective`` on images ``start:start+length`` only (lucent's diversity uses
    the whole batch; here each unit's images are diversified among themselves)."""
    return objectives.Objective(lambda T: objective(lambda name: T(name)[start:start + length]))


# --- running the model -----------------------------------------------------------------------

class _Stop(Exception):
    """Raised by a hook once the deepest needed layer has run: nothing deeper is computed."""


@contextmanager
def stop_after(model: torch.nn.Module, layer: str) -> Iterator[None]:
    """Make forward passes inside the block stop right after ``layer``; the hook is removed."""
    handle = layer_names(model)[layer].register_forward_hook(_raise_stop)
    try:
        yield
    finally:
        handle.remove()


def _raise_stop(*_args) -> None:
    raise _Stop


@contextmanager
def frozen(model: torch.nn.Module) -> Iterator[None]:
    """No gradients for the model's weights during the block (they are not optimised)."""
    flags = [(p, p.requires_grad) for p in model.parameters()]
    for p, _ in flags:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, flag in flags:
            p.requires_grad_(flag)


@contextmanager
def truncated(model: torch.nn.Module, layer: str) -> Iterator[dict[str, torch.Tensor]]:
    """Capture ``layer`` and stop the forward pass there; call :func:`run` inside."""
    with capture(model, [layer]) as outputs, stop_after(model, layer):
        yield outputs


def run(model: torch.nn.Module, x: torch.Tensor) -> None:
    try:
        model(x)
    except _Stop:
        pass


def layer_output(model: torch.nn.Module, layer: str, images: torch.Tensor,
                 preprocess: bool = True) -> torch.Tensor:
    """Activations of ``layer`` for images in [0, 1], without transforms and without grad."""
    prep = preprocess_for(model) if preprocess else (lambda x: x)
    with torch.no_grad(), truncated(model, layer) as outputs:
        run(model, prep(images))
    return outputs[layer]


def unit_activations(model: torch.nn.Module, layer: str, images: torch.Tensor,
                     units: list[int], kind: str = "channel", preprocess: bool = True
                     ) -> list[float]:
    """Activation of ``units[i]`` on image ``i`` (mean over positions, or the centre)."""
    acts = layer_output(model, layer, images, preprocess)
    if kind == "neuron":
        acts = acts[:, :, acts.shape[2] // 2:acts.shape[2] // 2 + 1,
                    acts.shape[3] // 2:acts.shape[3] // 2 + 1]
    return [float(acts[i, unit].mean()) for i, unit in enumerate(units)]


# --- the optimisation ------------------------------------------------------------------------

def render(model: torch.nn.Module, layer: str, units: list[int], *, size: int = 128,
           steps: int = 256, seed: int = 0, transforms: str = "standard",
           objective: str = "channel", per_unit: int = 1, direction: list[float] | None = None,
           lr: float = 0.05, preprocess: bool = True,
           progress: Callable[[float, float], None] | None = None) -> torch.Tensor:
    """Feature visualisations of ``units`` of ``layer``: a (len(units)·per_unit, 3, size, size)
    batch in [0, 1], optimised together with one forward/backward per step."""
    device = next(model.parameters()).device
    owners = [0] if objective == "direction" else units
    params, image_f = fft_image(image_seeds(seed, owners, per_unit), size, device)
    prep = preprocess_for(model) if preprocess else (lambda x: x)
    pipeline = PRESETS[transforms]() + [lambda x, rng: prep(x)]
    loss_f = batched_objective(objective, layer, units, per_unit, direction)
    optimiser = torch.optim.Adam(params, lr=lr)
    rng = np.random.default_rng(seed)
    with frozen(model), truncated(model, layer) as outputs:
        for step in range(steps):
            optimiser.zero_grad()
            x = image_f()
            for transform in pipeline:
                x = transform(x, rng)
            run(model, x)
            loss_f(outputs.__getitem__).backward()
            optimiser.step()
            if progress is not None:
                progress(step + 1, steps)
    return image_f().detach()


def image_seeds(seed: int, units: list[int], per_unit: int = 1) -> list[int]:
    """One seed per image, from (``seed``, unit, copy) alone: a unit's images are the same
    whether it is optimised alone or in a batch with others (the transforms' RNG is drawn once
    per step for the whole batch, from ``seed``, so it does not depend on the batch either)."""
    return [int(np.random.SeedSequence([seed % 2**32, unit, copy]).generate_state(1)[0])
            for unit in units for copy in range(per_unit)]


# --- images and measurements -----------------------------------------------------------------

def to_hwc(images: torch.Tensor) -> list[np.ndarray]:
    """A batch (N, 3, H, W) in [0, 1] → H×W×3 float arrays, one per image."""
    return [img.permute(1, 2, 0).cpu().numpy() for img in images]


def dominant_orientation(image: torch.Tensor) -> float:
    """Orientation (degrees, mod 180; x right, y down) of the image's luminance gradient,
    from the structure tensor: the direction along which the image changes most."""
    gray = image.mean(dim=0) if image.dim() == 3 else image
    gy, gx = torch.gradient(gray.double())
    jxx, jyy, jxy = (gx * gx).sum(), (gy * gy).sum(), (gx * gy).sum()
    return math.degrees(0.5 * math.atan2(2 * float(jxy), float(jxx - jyy))) % 180.0


def angle_difference(a: float, b: float, period: float = 180.0) -> float:
    """Smallest difference between two angles modulo ``period``."""
    d = (a - b) % period
    return min(d, period - d)
