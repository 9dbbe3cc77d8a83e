"""The training rules (app/engine/optim.py), to the digit, against answers worked out by hand and a
second implementation written here (plain numpy, its own gradients, no engine)."""

import math

import numpy as np
import pytest

from app.engine import ExpressionError, landscape, train

# A linear regression whose gradient the reference below computes by hand:
# L = mean((w*x + b - y)^2), dL/dw = mean(2 r x), dL/db = mean(2 r), r = w*x + b - y
X = np.array([[-1.0, -0.5, 0.0, 0.5, 1.0, 1.5]])
Y = np.array([[-1.2, 0.1, 0.9, 2.2, 2.8, 4.1]])
LINEAR = "mse(w * X + b, Y)"


def test_one_sgd_step_on_a_quadratic():
    r = train("x**2", {"x": 3.0}, ["x"], {"name": "sgd", "lr": 0.1}, steps=1)
    assert r["history"] == [{"step": 1, "loss": 9.0, "grad_norm": 6.0}]
    assert r["params"]["x"] == 3.0 - 0.1 * 6.0


def test_adams_first_step_is_minus_lr_times_the_sign_of_the_gradient():
    for x0, g_sign in ((3.0, 1.0), (-2.0, -1.0)):
        r = train("x**2", {"x": x0}, ["x"], {"name": "adam", "lr": 0.01}, steps=1)
        # m̂ = g and v̂ = g² after one step, so the update is lr·g/(|g| + eps)
        assert r["params"]["x"] == pytest.approx(x0 - 0.01 * g_sign, abs=1e-9)


def test_momentum_velocity_after_three_steps():
    # f = 5x has the constant gradient 5: v1 = 5, v2 = 0.9·5 + 5 = 9.5, v3 = 0.9·9.5 + 5 = 13.55
    r = train("5 * x", {"x": 0.0}, ["x"], {"name": "momentum", "lr": 0.1, "momentum": 0.9},
              steps=3, detail=True)
    velocities = [h["update"]["x"]["v"] for h in r["history"]]
    assert velocities == [5.0, 0.9 * 5.0 + 5.0, 0.9 * (0.9 * 5.0 + 5.0) + 5.0]
    assert r["params"]["x"] == pytest.approx(-0.1 * (5.0 + 9.5 + 13.55), abs=1e-12)


def test_l2_adds_lambda_norm_squared_to_the_loss_and_2_lambda_p_to_the_gradient():
    r = train("sum(3 * w)", {"w": [1.0, -2.0]}, ["w"], {"name": "sgd", "lr": 0.5}, steps=1,
              l2=0.25, detail=True)
    h = r["history"][0]
    assert h["loss"] == 3 * (1.0 - 2.0) + 0.25 * (1.0 + 4.0)
    grad = h["update"]["w"]["grad"]
    np.testing.assert_array_equal(grad, [3 + 2 * 0.25 * 1.0, 3 + 2 * 0.25 * -2.0])
    np.testing.assert_array_equal(r["params"]["w"], np.array([1.0, -2.0]) - 0.5 * grad)


def test_minibatches_are_consecutive_columns_and_wrap_around():
    values = {"w": 0.0, "b": 0.0, "X": X, "Y": Y}
    r = train(LINEAR, values, ["w", "b"], {"name": "sgd", "lr": 0.0001}, steps=5,
              batch={"size": 4, "data": ["X", "Y"]})
    assert [h["batch"] for h in r["history"]] == [[0, 4], [4, 6], [0, 4], [4, 6], [0, 4]]
    # the loss is the loss on that batch (at w = b = 0: mean(y²) over its columns)
    assert r["history"][0]["loss"] == pytest.approx(float(np.mean(Y[:, :4] ** 2)), rel=1e-12)
    assert r["history"][1]["loss"] == pytest.approx(float(np.mean(Y[:, 4:] ** 2)), rel=1e-3)


def reference_run(optimizer, steps, lr, l2=0.0, batch=None, mu=0.9, b1=0.9, b2=0.999, eps=1e-8):
    """A second implementation of the update rules for the linear regression above."""
    w, b = 0.0, 0.0
    vw = vb = mw = mb = sw = sb = 0.0
    n = X.shape[1]
    start, losses = 0, []
    for t in range(1, steps + 1):
        size = batch or n
        cols = slice(start, min(start + size, n))
        x, y = X[0, cols], Y[0, cols]
        r = w * x + b - y
        losses.append(float(np.mean(r * r)) + l2 * (w * w + b * b))
        gw = float(np.mean(2 * r * x)) + 2 * l2 * w
        gb = float(np.mean(2 * r)) + 2 * l2 * b
        start = 0 if min(start + size, n) >= n else start + size
        if optimizer == "sgd":
            w, b = w - lr * gw, b - lr * gb
        elif optimizer == "momentum":
            vw, vb = mu * vw + gw, mu * vb + gb
            w, b = w - lr * vw, b - lr * vb
        else:
            mw, mb = b1 * mw + (1 - b1) * gw, b1 * mb + (1 - b1) * gb
            sw, sb = b2 * sw + (1 - b2) * gw * gw, b2 * sb + (1 - b2) * gb * gb
            cw, cb = mw / (1 - b1 ** t), mb / (1 - b1 ** t)
            dw, db = sw / (1 - b2 ** t), sb / (1 - b2 ** t)
            w, b = w - lr * cw / (math.sqrt(dw) + eps), b - lr * cb / (math.sqrt(db) + eps)
    return losses, w, b


@pytest.mark.parametrize("optimizer, lr, l2, batch", [
    ("sgd", 0.3, 0.0, None), ("momentum", 0.05, 0.01, None), ("adam", 0.05, 0.0, 4),
    ("adam", 0.1, 0.05, None), ("sgd", 0.2, 0.0, 4), ("momentum", 0.1, 0.0, 5),
])
def test_a_long_run_matches_an_independent_implementation(optimizer, lr, l2, batch):
    losses, w, b = reference_run(optimizer, 200, lr, l2, batch)
    r = train(LINEAR, {"w": 0.0, "b": 0.0, "X": X, "Y": Y}, ["w", "b"],
              {"name": optimizer, "lr": lr}, steps=200, l2=l2,
              batch={"size": batch, "data": ["X", "Y"]} if batch else None)
    np.testing.assert_allclose([h["loss"] for h in r["history"]], losses, rtol=1e-10, atol=1e-14)
    assert r["params"]["w"] == pytest.approx(w, rel=1e-10)
    assert r["params"]["b"] == pytest.approx(b, rel=1e-10)


def test_a_diverging_run_stops_at_the_first_non_finite_loss():
    r = train(LINEAR, {"w": 0.0, "b": 0.0, "X": X * 1000, "Y": Y}, ["w", "b"],
              {"name": "sgd", "lr": 0.5}, steps=500)
    assert r["stopped"] == "diverged"
    assert not math.isfinite(r["history"][-1]["loss"])
    assert all(math.isfinite(h["loss"]) for h in r["history"][:-1])
    # the ×1000 input makes the weight's first gradient 1000× larger than the bias's scale
    assert len(r["history"]) < 50


def test_tracking_records_the_params_each_loss_was_measured_at():
    r = train("x**2", {"x": 3.0}, ["x"], {"name": "sgd", "lr": 0.25}, steps=3)
    from app.engine import Trainer
    trainer = Trainer("x**2", {"x": 3.0}, ["x"], {"name": "sgd", "lr": 0.25})
    entries = [trainer.step(track=True) for _ in range(3)]
    assert [e["params"]["x"] for e in entries] == [3.0, 1.5, 0.75]
    assert [e["loss"] for e in entries] == [h["loss"] for h in r["history"]]


@pytest.mark.parametrize("kwargs, loc", [
    ({"params": ["nope"]}, ("params", "nope")),
    ({"optimizer": {"name": "rmsprop", "lr": 0.1}}, ("optimizer", "name")),
    ({"optimizer": {"name": "sgd", "lr": 0}}, ("optimizer", "lr")),
    ({"optimizer": {"name": "adam", "lr": 0.1, "beta1": 1.0}}, ("optimizer", "beta1")),
    ({"l2": -1.0}, ("l2",)),
    ({"batch": {"size": 7, "data": ["X", "Y"]}}, ("batch", "size")),
    ({"batch": {"size": 2, "data": ["w"]}}, ("batch", "data", "w")),
])
def test_bad_training_requests_are_invalid_value_errors(kwargs, loc):
    args = {"params": ["w", "b"], "optimizer": {"name": "sgd", "lr": 0.1}, **kwargs}
    with pytest.raises(ExpressionError) as info:
        train(LINEAR, {"w": 0.0, "b": 0.0, "X": X, "Y": Y}, args["params"], args["optimizer"],
              steps=1, l2=args.get("l2", 0.0), batch=args.get("batch"))
    assert info.value.type == "invalid_value"
    assert info.value.loc == loc


def test_a_tensor_loss_cannot_be_trained():
    with pytest.raises(ExpressionError) as info:
        train("w * X", {"w": 1.0, "X": X}, ["w"], {"name": "sgd", "lr": 0.1}, steps=1)
    assert "scalar" in info.value.msg


def test_the_landscape_is_the_loss_on_a_grid():
    grid = landscape(LINEAR, {"w": 0.0, "b": 0.0, "X": X, "Y": Y}, ["w", "b"],
                     {"w": [-1.0, 3.0], "b": [0.0, 2.0]}, resolution=5)
    assert grid["x"] == [-1.0, 0.0, 1.0, 2.0, 3.0] and grid["y"] == [0.0, 0.5, 1.0, 1.5, 2.0]
    for j, b in enumerate(grid["y"]):
        for i, w in enumerate(grid["x"]):
            assert grid["loss"][j][i] == pytest.approx(float(np.mean((w * X + b - Y) ** 2)),
                                                       rel=1e-12)
