"""The built-in trained CNN's weights are shipped (figures/weights/): every machine computes its
figures from the same weights, since training differs across CPUs (figures/trained.py)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from figures import trained

pytestmark = pytest.mark.torch


def test_the_shipped_weights_are_the_current_recipes_and_load_without_training(
        tmp_path, monkeypatch) -> None:
    shipped = sorted(trained.SHIPPED.glob("trained-cnn-*.pt"))
    assert [p.name for p in shipped] == [trained.weights_name(trained.RECIPE)], \
        "the recipe or figures/trained.py changed: run python -m figures.trained and commit"
    monkeypatch.setattr(trained, "train", lambda recipe: pytest.fail("trained"))
    model = trained.trained_cnn(tmp_path)
    assert not (tmp_path / "figures").exists()  # nothing cached: the shipped file was read
    state = torch.load(shipped[0], weights_only=True)
    assert all(torch.equal(state[k], v) for k, v in model.state_dict().items())


def test_training_gives_the_same_weights_whatever_the_callers_thread_count() -> None:
    """Two threads sum in another order: 30 steps on two threads ended up to 0.0024 away from
    one thread's before train() ran on one; a caller's setting is given back."""
    before = torch.get_num_threads()
    recipe = trained.Recipe(steps=30)
    try:
        weights = []
        for threads in (1, 2):
            torch.set_num_threads(threads)
            weights.append(trained.train(recipe).state_dict())
            assert torch.get_num_threads() == threads
    finally:
        torch.set_num_threads(before)
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])
