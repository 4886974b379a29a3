"""Acceptance tests of the figure research code against the planted model's ground truth."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from figures.banding import banding_score, unit_factors
from figures.featureviz import (
    angle_difference,
    dominant_orientation,
    layer_output,
    render,
    unit_activations,
)
from figures.planted import GROUND_TRUTH, curve_kernel, planted_model
from figures.tuning import preferred, tuning
from figures.weights import colorize, direct_weights, expanded_weights, heatmaps

pytestmark = pytest.mark.torch

EDGES = list(range(len(GROUND_TRUTH.edge_angles)))
CURVES = list(range(len(GROUND_TRUTH.curve_orientations)))


@pytest.fixture(scope="module")
def planted():
    return planted_model()


def test_edge_unit_feature_viz_has_the_planted_orientation(planted) -> None:
    images = render(planted, GROUND_TRUTH.edge_layer, EDGES, size=32, steps=48,
                    transforms="light")
    for image, angle in zip(images, GROUND_TRUTH.edge_angles, strict=True):
        assert angle_difference(dominant_orientation(image), angle) <= 15.0


def test_curve_unit_feature_viz_activates_that_unit_most(planted) -> None:
    layer = GROUND_TRUTH.curve_layer
    images = render(planted, layer, CURVES, size=32, steps=64, objective="neuron",
                    transforms="light")
    acts = layer_output(planted, layer, images)
    centre = acts[:, :, acts.shape[2] // 2, acts.shape[3] // 2]
    assert centre.argmax(dim=1).tolist() == CURVES


def test_batched_feature_viz_reaches_lucents_render_vis(planted) -> None:
    from lucent.optvis import objectives, param, transform
    from lucent.optvis.render import render_vis

    layer, units, steps = "relu2", [0, 3], 64
    ours = unit_activations(planted, layer, render(planted, layer, units, size=32, steps=steps,
                                                   transforms="light"), units)
    leaky = planted_model()  # render_vis leaves its hooks behind: keep them off `planted`
    for unit, reached in zip(units, ours, strict=True):
        torch.manual_seed(0)
        image = render_vis(leaky, objectives.channel(layer, unit), lambda: param.image(32),
                           transforms=[transform.pad(4, mode="constant", constant_value=0.5),
                                       transform.jitter(4)], thresholds=(steps,),
                           preprocess=False, progress=False, show_image=False,
                           fixed_image_size=40)[-1]
        theirs = unit_activations(planted, layer, torch.tensor(image).permute(0, 3, 1, 2),
                                  [unit])[0]
        assert reached >= 0.95 * theirs


@pytest.mark.parametrize(("kind", "per_unit"), [("channel", 1), ("neuron", 1), ("negative", 1),
                                              ("channel", 2)])
def test_the_batched_objective_is_lucents_per_image_objectives_summed(kind, per_unit) -> None:
    """One gather in place of a lucent objective per image: the same loss, and bit for bit the
    same gradients (so the same pictures), whichever unit each image asks for."""
    from lucent.optvis import objectives

    from figures.featureviz import batched_objective

    units = [5, 0, 5]
    acts = torch.randn(len(units) * per_unit, 8, 5, 7, generator=torch.Generator().manual_seed(0))
    single = objectives.neuron if kind == "neuron" else objectives.channel
    lucent = objectives.Objective.sum([single("relu2", unit, batch=i * per_unit + j)
                                       for i, unit in enumerate(units) for j in range(per_unit)])
    lucent = -1 * lucent if kind == "negative" else lucent
    results = []
    for objective in (lucent, batched_objective(kind, "relu2", units, per_unit)):
        x = acts.clone().requires_grad_()
        loss = objective({"relu2": x}.__getitem__)
        loss.backward()
        results.append((loss.detach(), x.grad))
    (their_loss, theirs), (our_loss, ours) = results
    torch.testing.assert_close(our_loss, their_loss)
    assert torch.equal(ours, theirs) and theirs.abs().sum() > 0


def test_lucents_inceptionv1_relus_give_their_own_gradient_without_indexing() -> None:
    """lucent's InceptionV1 ReLUs leak a tenth of the gradient through negative inputs, by
    boolean-mask indexing; inside ``lucent_relus_without_indexing`` the same module gives the
    same gradient bit for bit, through one ``where`` (channels-last, as the renders run)."""
    from lucent.modelzoo.inceptionv1.helper_layers import RedirectedReluLayer

    from figures.featureviz import LucentLeakyReLU, lucent_relus_without_indexing

    model = torch.nn.Sequential(torch.nn.Conv2d(3, 6, 3), RedirectedReluLayer(),
                                torch.nn.Conv2d(6, 4, 3), RedirectedReluLayer())
    x = torch.randn(2, 3, 9, 11, generator=torch.Generator().manual_seed(1))
    x = x.contiguous(memory_format=torch.channels_last)
    weight = torch.randn(2, 4, 5, 7, generator=torch.Generator().manual_seed(2))
    grads = []
    for faster in (False, True):
        image = x.clone().requires_grad_()
        if faster:
            with lucent_relus_without_indexing(model):
                out = model(image)
            assert out.grad_fn.name().startswith(LucentLeakyReLU.__name__)
        else:
            out = model(image)
        (out * weight).sum().backward()
        grads.append(image.grad)
    assert torch.equal(grads[0], grads[1]) and grads[0].abs().sum() > 0
    assert all(not m._forward_hooks for m in model.modules())


def test_feature_viz_is_deterministic_stops_early_and_removes_its_hooks(planted) -> None:
    first, second = (render(planted, "relu1", [1, 2], size=32, steps=4) for _ in "ab")
    assert torch.equal(first, second)
    assert all(not m._forward_hooks for m in planted.modules())
    broken = planted_model()
    broken.conv2.forward = None  # reaching it would fail: the forward pass must stop at relu1
    render(broken, "relu1", [0], size=32, steps=2)


def test_weight_diagram_pixels_are_the_planted_weights_normalised(planted) -> None:
    planted_weights = curve_kernel(GROUND_TRUTH.curve_orientations[0])
    weights = direct_weights(planted, "conv2", 0)
    assert torch.equal(weights, planted_weights)
    normalised = planted_weights / planted_weights.abs().max()
    for edge, image in zip(EDGES, heatmaps(weights, EDGES), strict=True):
        assert (image == colorize(normalised[edge].numpy())).all()
    assert colorize([1.0]).tolist() == [[202, 0, 32]]
    assert colorize([-1.0]).tolist() == [[5, 113, 176]]
    assert colorize([0.0]).tolist() == [[247, 247, 247]]
    strongest = normalised.abs().argmax()
    edge, y, x = (int(i) for i in torch.unravel_index(strongest, normalised.shape))
    assert tuple(heatmaps(weights, [edge])[0][y, x]) in {(202, 0, 32), (5, 113, 176)}


def test_expanded_weights_of_a_linear_stack_are_the_matrix_product() -> None:
    torch.manual_seed(0)
    stack = torch.nn.Sequential()
    stack.add_module("a", torch.nn.Conv2d(3, 4, 1))
    stack.add_module("relu", torch.nn.ReLU())
    stack.add_module("b", torch.nn.Conv2d(4, 5, 3, padding=1))
    stack.add_module("pool", torch.nn.MaxPool2d(1))
    stack.add_module("c", torch.nn.Conv2d(5, 2, 1))
    expanded = expanded_weights(stack, "a", "c", 1, input_size=16)
    product = torch.einsum("b,bahw->ahw", stack.c.weight[1, :, 0, 0], stack.b.weight)
    assert expanded.shape == (4, 3, 3)
    assert torch.allclose(expanded, product, atol=1e-6)
    assert all(not m._forward_hooks for m in stack.modules())


def test_planted_banded_layer_is_banded_and_a_random_layer_is_not(planted) -> None:
    assert banding_score(planted.conv3.weight).banded
    torch.manual_seed(0)
    assert not banding_score(torch.nn.Conv2d(8, 8, 5).weight).banded
    assert not banding_score(planted.conv2.weight).banded
    factors = unit_factors(planted.conv3.weight.detach())
    assert torch.allclose(factors, factors[:, :, :1].expand_as(factors), atol=1e-2)  # bands


def test_curve_units_prefer_their_planted_orientation(planted) -> None:
    rows = tuning(planted, GROUND_TRUTH.curve_layer, CURVES, "curve", list(range(0, 360, 45)),
                  size=48, radius=6.0)
    for unit, orientation in zip(CURVES, GROUND_TRUTH.curve_orientations, strict=True):
        assert preferred(rows, unit) == orientation


def test_expanded_weights_read_back_to_a_relu_or_pool_layer() -> None:
    """Linearised, a ReLU is the identity: reading back to relu1 equals reading back to conv1."""
    model = planted_model()
    through_relu = expanded_weights(model, "relu1", "conv3", 1)
    through_conv = expanded_weights(model, "conv1", "conv3", 1)
    assert through_relu.abs().sum() > 0
    assert torch.allclose(through_relu, through_conv, atol=1e-6)
    assert expanded_weights(model, "pool1", "conv3", 1).abs().sum() > 0
