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

Two departures from lucent, both measured (issue 17): ReLUs back-propagate as Lucid's
*redirected* ReLU for the first :data:`REDIRECT_FRACTION` of the steps (at a grey start most units are
silent, a silent ReLU passes no gradient, and those icons stayed flat grey. Measured at 64 px,
64 steps, neuron objective, units left at zero activation: planted ``relu1``-``relu3`` 1/8,
1/8, 2/8 → 0; trained CNN ``relu1``-``relu3`` 12/16, 27/32, 29/32 → 7/16, 6/32, 11/32, the
last two exactly its units that fire on no training image (dead in training, not here)), and
the ``channel``/``neuron``/``diversity`` objectives read the *rectified* layer output, so a
pre-activation layer such as the planted ``conv2`` (kernels that sum to zero: its spatial mean
is zero on every image) asks for the unit to fire rather than for border artefacts.
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
RECTIFIED = ("channel", "neuron", "diversity")
"""Objectives that ask a unit to fire, read on the rectified layer output (:func:`rectified`)."""


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
    """Each image's own lucent objective (``channel`` or ``neuron`` of its unit, as if with
    ``batch=i``), summed: images optimise independently."""
    if kind not in OBJECTIVES:
        raise ValueError(f"unknown objective '{kind}' (choose from {', '.join(OBJECTIVES)})")
    if kind == "direction":
        if not direction:
            raise ValueError("objective 'direction' needs a direction vector")
        return _direction(layer, direction, per_unit)
    total = _each_images_unit(layer, [unit for unit in units for _ in range(per_unit)],
                              centre=kind == "neuron")
    if kind == "negative":
        return -1 * total
    if kind == "diversity" and per_unit > 1:
        groups = [_on_slice(objectives.diversity(layer), g * per_unit, per_unit)
                  for g in range(len(units))]
        return total - diversity_weight * objectives.Objective.sum(groups)
    return total


def _each_images_unit(layer: str, channels: list[int], centre: bool) -> objectives.Objective:
    """The sum over images ``i`` of lucent's ``channel(layer, channels[i], batch=i)`` (or of
    ``neuron``: the centre position, lucent's), read with one gather.

    The same loss and, bit for bit, the same gradients (each image's term reaches only its own
    activations, scaled by one over its positions). Summing one lucent objective per image made
    every term's backward pass fill and add a zero tensor the size of the whole batch's
    activations: work that grew with the square of the batch (32 units of the trained CNN's
    ``relu2`` at 64 px: 23 % of a render's time)."""
    index = torch.tensor(channels)

    def inner(T) -> torch.Tensor:
        acts = T(layer)
        if centre:  # lucent's _extract_act_pos: x from the height, y from the width
            x, y = acts.shape[2] // 2, acts.shape[3] // 2
            acts = acts[:, :, y:y + 1, x:x + 1]
        mine = acts[torch.arange(len(channels), device=acts.device), index.to(acts.device)]
        return -mine.mean(dim=(1, 2)).sum()

    return objectives.Objective(inner, "neuron" if centre else "channel")


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


# --- ReLUs that let a visualisation start -----------------------------------------------------

LEARNING_RATE = 0.05
"""Adam's learning rate, lucent's. Measured at 0.1 (issue 17): a batch reaches ``render_vis``'s
512-step activation sooner (InceptionV1 ``mixed3b``, random weights, 64 px, units 0, 1, 3: at
256 steps 0.99, 1.04, 0.98 of it against 0.88, 0.88, 0.90 at 0.05, at 384 steps 1.03, 1.10,
1.03; the trained CNN's ``relu2`` units 0 and 1 at 384 steps instead of 512), and the trained
CNN's slow-starting ``relu2`` channel icons are no longer flat, but three more planted curve
icons match a neighbouring arc (64 px, 64 steps: channel units 1, 3, 7 and neuron unit 3,
against channel unit 3 alone at 0.05; at 0.075 channel 2 and neuron 3). Schedules that start
higher (0.2, or 0.2 decaying to 0.02) left InceptionV1's unit 2 at a quarter of the target;
decaying 0.1 to 0.01 reached less than 0.1 constant."""

REDIRECT_FRACTION = 0.5
"""The share of the steps, from the start, during which ReLU gradients are redirected (Lucid's
``redirected_relu_grad``). Only an image that gets no gradient at all is affected, so units that
fire from the start optimise as before. Measured on the trained CNN's slowest starter, relu2:24
(channel objective; pixel std, flat below 0.05): 16 steps gave 0.038 at 64 px / 64 steps and
0.039 at 128 px / 256 steps; 32 steps 0.052 and 0.043; half the steps 0.052 and 0.102."""


SILENT_SHARE = 0.03
"""An image counts as silent at a ReLU when less than this share of its gradient (by norm) gets
through. Lucid's rule is "none gets through" (0); a unit that fires only at a few positions
(zero padding at the border looks dark to a dark-colour detector) passes a sliver, and its icon
stayed grey. Measured at the first step (trained CNN, 64 px, standard transforms): ``relu1:14``
channel 0.022 (its icon: pixel std 0.003 → 0.141 at 64 px / 64 steps, 0.406 at 128 px / 256
steps; 0.05 and 0.1 gave the same), every other unit of ``relu1``-``relu3`` 0.051 or more, or 0
(already silent). Icons of the other units do not change."""


class RedirectedReLU(torch.autograd.Function):
    """A ReLU whose backward pass, for an image that gets (almost) no gradient through it
    (every unit it feeds is silent, the usual case at a grey start, or all but a few positions:
    :data:`SILENT_SHARE`), passes the gradient that would *raise* negative inputs instead.
    Other images get the true gradient. Without it a unit that is off on the starting image
    stays off, and its icon stays grey."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x)
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        (x,) = ctx.saved_tensors
        true = torch.ops.aten.threshold_backward(grad, x, 0)  # ReLU's own backward
        # Norms per image over the other dimensions, in whatever memory layout the tensors
        # have: flatten(1) copied each channels-last tensor first (5-10x the time of the rest).
        per_image = tuple(range(1, x.dim()))
        passed = torch.linalg.vector_norm(true, dim=per_image)
        # The raising gradient is part of the whole one, so its norm is at most the whole's
        # (rounding keeps that order): an image passing more than SILENT_SHARE of the whole
        # is not silent. Once every image fires (most steps), nothing more is computed.
        if not (passed <= SILENT_SHARE * torch.linalg.vector_norm(grad, dim=per_image)).any():
            return true
        raising = torch.where((x < 0) & (grad > 0), 0.0, grad)  # descent would push x lower
        silent = passed <= SILENT_SHARE * torch.linalg.vector_norm(raising, dim=per_image)
        if not silent.any():
            return true
        return torch.where(silent.view(-1, *[1] * (x.dim() - 1)), raising, true)


class LucentLeakyReLU(torch.autograd.Function):
    """The ReLU of lucent's InceptionV1 (``RedirectedReluLayer``, what
    ``lucent.modelzoo.inceptionv1()`` builds by default): its backward pass lets a tenth of the
    gradient through where the input is negative, at every step. Lucent computes that with
    boolean-mask indexing (``nonzero``, a gather and a scatter per ReLU), which was a third of
    a feature-visualisation step on InceptionV1 on a CPU. This is the same gradient, bit for
    bit, from one ``where``."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x)
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        (x,) = ctx.saved_tensors
        return torch.where(x < 0, grad * 1e-1, grad)


@contextmanager
def lucent_relus_without_indexing(model: torch.nn.Module) -> Iterator[None]:
    """Inside the block, lucent's leaky InceptionV1 ReLUs back-propagate as
    :class:`LucentLeakyReLU` (the same gradient, faster); the hooks are removed after."""
    handles = [m.register_forward_hook(lambda _m, inputs, _out: LucentLeakyReLU.apply(inputs[0]))
               for m in model.modules() if type(m).__name__ == "RedirectedReluLayer"]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def _is_relu(module: torch.nn.Module) -> bool:
    """``nn.ReLU``, or lucent's InceptionV1 ``ReluLayer`` (a module around ``F.relu``)."""
    return isinstance(module, torch.nn.ReLU) or type(module).__name__ == "ReluLayer"


@contextmanager
def redirected_relus(model: torch.nn.Module, active: Callable[[], bool]) -> Iterator[None]:
    """While ``active()``, every ReLU module of ``model`` back-propagates as
    :class:`RedirectedReLU`; in-place ReLUs run out of place (the hook needs their input).
    Hooks and ``inplace`` flags are restored when the block ends."""
    relus = [m for m in model.modules() if _is_relu(m)]
    inplace = [(m, getattr(m, "inplace", False)) for m in relus]
    for m, _ in inplace:
        if hasattr(m, "inplace"):
            m.inplace = False
    handles = [m.register_forward_hook(
        lambda _m, inputs, _out: RedirectedReLU.apply(inputs[0]) if active() else None)
        for m in relus]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()
        for m, flag in inplace:
            if hasattr(m, "inplace"):
                m.inplace = flag


def rectify(x: torch.Tensor, redirect: bool) -> torch.Tensor:
    """A layer output as the :data:`RECTIFIED` objectives read it: a ``channel`` objective on
    a pre-activation layer then asks for the unit to *fire* (the spatial mean of a convolution
    whose kernels sum to zero, like the planted curve detectors', is zero on every image but
    for border effects, and optimising it paints only the border). A no-op on post-ReLU
    layers."""
    return RedirectedReLU.apply(x) if redirect else F.relu(x)


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
    """Activation of ``units[i]`` on image ``i`` (mean over positions, or the centre), of the
    rectified layer output, as the ``channel`` and ``neuron`` objectives read it."""
    acts = F.relu(layer_output(model, layer, images, preprocess))
    if kind == "neuron":
        acts = acts[:, :, acts.shape[2] // 2:acts.shape[2] // 2 + 1,
                    acts.shape[3] // 2:acts.shape[3] // 2 + 1]
    return [float(acts[i, unit].mean()) for i, unit in enumerate(units)]


# --- the optimisation ------------------------------------------------------------------------

def render(model: torch.nn.Module, layer: str, units: list[int], *, size: int = 128,
           steps: int = 256, seed: int = 0, transforms: str = "standard",
           objective: str = "channel", per_unit: int = 1, direction: list[float] | None = None,
           lr: float = LEARNING_RATE, preprocess: bool = True,
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
    step = 0
    early = lambda: step < steps * REDIRECT_FRACTION  # reads the loop variable below
    with frozen(model), redirected_relus(model, early), lucent_relus_without_indexing(model), \
            truncated(model, layer) as outputs:
        for step in range(steps):
            optimiser.zero_grad()
            x = image_f()
            for transform in pipeline:
                x = transform(x, rng)
            run(model, x)
            acts = outputs[layer]
            acts = rectify(acts, early()) if objective in RECTIFIED else acts
            loss_f({layer: acts}.__getitem__).backward()
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


# --- quality measurements (tests and bench/ use them) ----------------------------------------

def pixel_std(image: torch.Tensor) -> float:
    """Standard deviation of the pixel values (all channels): near 0 for a flat grey square."""
    return float(image.float().std())


def high_frequency_fraction(image: torch.Tensor) -> float:
    """Fraction of the image's spectral energy (mean removed, all channels) above half the
    Nyquist frequency (radial frequency > 0.25 cycles/pixel): about 0.8 for white noise,
    a few per cent for natural images, whose power falls off as 1/f²."""
    x = image.double() - image.double().mean(dim=(-2, -1), keepdim=True)
    power = torch.fft.fft2(x).abs().pow(2).sum(dim=0)
    fy = torch.fft.fftfreq(x.shape[-2], dtype=torch.float64)[:, None]
    fx = torch.fft.fftfreq(x.shape[-1], dtype=torch.float64)[None, :]
    high = (fy**2 + fx**2).sqrt() > 0.25
    return float(power[high].sum() / power.sum().clamp_min(1e-12))


def orientation_energy(image: torch.Tensor, bins: int = 16, sharpness: float = 4.0
                       ) -> torch.Tensor:
    """(bins, H, W) maps of luminance-gradient magnitude at orientations ``180°·k/bins`` (mod
    180°: polarity ignored, as the planted curve units' edge inputs flip polarity along the
    arc), each gradient shared among bins by a von Mises weight on the doubled angle."""
    gray = (image.mean(dim=0) if image.dim() == 3 else image).double()
    gy, gx = torch.gradient(gray)
    magnitude, angle = (gx**2 + gy**2).sqrt(), torch.atan2(gy, gx)
    centres = torch.arange(bins, dtype=torch.float64) * 2 * math.pi / bins
    weights = torch.exp(sharpness * (torch.cos(2 * angle[None] - centres[:, None, None]) - 1))
    return weights * magnitude[None]


def arc_template(orientation: float, radius: float, half_arc: float = 70.0, bins: int = 16
                 ) -> torch.Tensor:
    """Where an arc bulging towards ``orientation`` (its apex at the centre) has edges of each
    orientation: (bins, S, S), points splatted bilinearly, blurred by one pixel and one bin
    (tolerance), unit norm. The planted curve units' arcs: radius 4 px, ±70°."""
    size = 2 * math.ceil(radius) + 7
    template = torch.zeros(bins, size, size, dtype=torch.float64)
    c, phi = (size - 1) / 2, math.radians(orientation)
    cx, cy = c - radius * math.cos(phi), c - radius * math.sin(phi)
    for a in torch.linspace(phi - math.radians(half_arc), phi + math.radians(half_arc), 57).tolist():
        x, y = cx + radius * math.cos(a), cy + radius * math.sin(a)
        b = round(math.degrees(a) % 180 / (180 / bins)) % bins
        for yy, xx in ((math.floor(y), math.floor(x)), (math.floor(y), math.floor(x) + 1),
                       (math.floor(y) + 1, math.floor(x)), (math.floor(y) + 1, math.floor(x) + 1)):
            template[b, yy, xx] += max(0.0, 1 - abs(x - xx)) * max(0.0, 1 - abs(y - yy))
    template = template + 0.5 * (template.roll(1, 0) + template.roll(-1, 0))
    blur = torch.tensor([0.25, 0.5, 0.25], dtype=torch.float64)
    kernel = (blur[:, None] * blur[None, :]).expand(bins, 1, 3, 3)
    template = F.conv2d(template[None], kernel, padding=1, groups=bins)[0]
    return template / template.norm()


def arc_match(image: torch.Tensor, orientation: float, radius: float = 4.0,
              half_arc: float = 70.0) -> float:
    """How well the image's oriented-edge energy matches the arc at ``orientation`` at its
    best position (a channel visualisation is a texture: the arc may be anywhere)."""
    energy = orientation_energy(image)
    template = arc_template(orientation, radius, half_arc, bins=energy.shape[0])
    return float(F.conv2d(energy[None], template[None]).max())
