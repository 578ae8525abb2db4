"""The guided path through backpropagation: the lecture's two scalar graphs, whose
gradients are known by hand, then a two-layer net whose backward pass is written out and
checked against tf.GradientTape, then the learner's own pieces of it. The scalar runs
take a second, the net a few."""

from __future__ import annotations

from workbench.authoring import (Claim, Compare, compares, ExerciseStep, Experiment, number, Predict,
    Read, value)

EXACT = 1e-9  # float64 gradients of a handful of gates: equal up to round-off
LECTURE_DIGITS = 0.005  # the lecture's neuron gradients are quoted to two decimals

ADD_MUL = {"x": -2.0, "y": 5.0, "z": -4.0}
ADD_MUL_GRADIENTS = {"df_dx": -4.0, "df_dy": -4.0, "df_dz": 3.0}
NEURON_GRADIENTS = {"df_dw0": -0.20, "df_dw1": -0.39, "df_dw2": 0.20, "df_dx0": 0.39, "df_dx1": -0.59}


def matches(expected: dict[str, float], tolerance: float):
    """A judge: every named gradient within `tolerance` of the lecture's value."""
    def judge(metrics):
        found = {name: float(value(metrics, name)) for name in expected}
        worst = max(abs(found[name] - want) for name, want in expected.items())
        shown = ", ".join(f"{name[3:]} {number(found[name])}" for name in expected)
        return worst <= tolerance, f"{shown}; largest distance from the lecture's {number(worst)}"

    return judge


def forks_add(metrics):
    """A judge: df/dx and df/dy are each the sum of what their branches hand back, and x
    reaches f by more than one branch (so there is a sum to check)."""
    shown, holds = [], True
    for name in ("x", "y"):
        parts = value(metrics, f"df_d{name}_branches")
        total = float(value(metrics, f"df_d{name}"))
        added = sum(float(v) for v in parts.values())
        holds = holds and len(parts) >= 2 and abs(added - total) <= EXACT * max(1.0, abs(total))
        shown.append(f"d{name} {number(total)} = " + " + ".join(number(v) for v in parts.values()))
    return holds, "; ".join(shown)


_TENSORFLOW_WHY = ("The graph's gates and the TensorFlow version compute different functions: "
                   "a gate's local gradient was changed in lessons/backprop/graph.py")

STEPS = (
    Read("The first graph", "The first graph (`--set example=add_mul`)"),
    Predict(
        "df/dx through the add gate",
        "f = (x + y) z at x = -2, y = 5, z = -4. What is df/dx?",
        ("1", "3", "-12", "-4"),
        3,
        "The mul gate hands q = x + y the other input's value, z = -4; the add gate's local "
        "gradients are 1, so it hands that -4 on to x (and to y) unchanged.",
        settled_by=3,
    ),
    Experiment(
        "(x + y) z, gate by gate",
        {"example": "add_mul", **ADD_MUL},
        (
            Claim("The backward pass gives the lecture's gradients: df/dx = -4, df/dy = -4, df/dz = 3",
                  matches(ADD_MUL_GRADIENTS, EXACT),
                  "x, y or z was changed from the lecture's -2, 5, -4: the gradients are z, z "
                  "and x + y at your values"),
            compares("max_error_vs_tensorflow", "<", EXACT,
                     "tf.GradientTape agrees with every hand-propagated gradient (relative error "
                     "below 1e-9)",
                     _TENSORFLOW_WHY),
        ),
        look_for="The graph drawn from f back to x, y, z: each node's forward value and gradient.",
    ),
    Predict(
        "The sigmoid as one gate",
        "The neuron's sigmoid can be cut into primitive gates (times -1, exp, +1, 1/x) or be one "
        "gate with local gradient s (1 - s). Do the two graphs give the same gradients?",
        ("Yes, up to round-off", "No: the staged graph is exact, the one gate only approximates",
         "No: the one gate is exact, the staged graph only approximates"),
        0,
        "s'(a) = s(a) (1 - s(a)) is the exact derivative, the product of the four primitive "
        "gates' local gradients. How a graph is cut into gates is a choice; the chain rule "
        "gives the same numbers either way.",
        settled_by=5,
        shown_by=1,
    ),
    Experiment(
        "A sigmoid neuron, gate by gate",
        {"example": "neuron", "weights": (2.0, -3.0, -3.0), "inputs": (-1.0, -2.0)},
        (
            Claim("The lecture's gradients to two decimals: dw = (-0.20, -0.39, 0.20), "
                  "dx = (0.39, -0.59)",
                  matches(NEURON_GRADIENTS, LECTURE_DIGITS),
                  "weights or inputs were changed from the lecture's w = (2, -3, -3), "
                  "x = (-1, -2), so the gradients are another point's"),
            compares("one_gate_max_difference", "<", EXACT,
                     "The sigmoid as one gate gives the same gradients as the staged graph",
                     "The sigmoid gate's local gradient s (1 - s) was changed in "
                     "lessons/backprop/graph.py"),
            compares("max_error_vs_tensorflow", "<", EXACT,
                     "tf.GradientTape agrees with every gradient of the neuron (relative error "
                     "below 1e-9)",
                     _TENSORFLOW_WHY),
        ),
        look_for="exp's local gradient is its output, 1/x's is -1/x^2; and the gate patterns "
                 "line: add distributes, mul swaps, max routes, fan-out adds.",
    ),
    Compare(
        "Two independent checks",
        (3, 5),
        ("f", "max_error_vs_tensorflow", "max_error_vs_finite_differences"),
        "Autodiff and the hand-propagated gradients agree to the last bit or nearly; centred "
        "differences agree only to about 1e-11, their own truncation and round-off. Both "
        "checks are independent of the graph, which is why they can catch a wrong local gradient.",
    ),
    Predict(
        "Gradients at a fork",
        "In f = (x + sigmoid(y)) / (sigmoid(x) + (x + y)^2), x feeds three stages: num, sigx "
        "and xpy. Each hands a gradient back to x. What is df/dx?",
        ("The largest of the three", "Their product", "The sum of the three",
         "The last one computed"),
        2,
        "Moving x moves all three stages at once, and f feels each change: the multivariable "
        "chain rule adds the branches, which is why the notes write dx += for the second and "
        "third.",
        settled_by=9,
        shown_by=2,
    ),
    Read("A second example, staged", "A second example, staged (`--set example=staged`)"),
    Experiment(
        "(x + sigmoid(y)) / (sigmoid(x) + (x + y)^2), stage by stage",
        {"example": "staged", "x": 3.0, "y": -4.0},
        (
            compares("max_error_vs_tensorflow", "<", EXACT,
                     "The staged backward pass agrees with tf.GradientTape on df/dx and df/dy "
                     "(relative error below 1e-9)",
                     "A stage's local gradient was changed in lessons/backprop/graph.py or "
                     "staged.py"),
            compares("max_error_vs_finite_differences", "<", 1e-7,
                     "And with centred differences, to their own accuracy (below 1e-7)",
                     "x and y near a point where the function bends sharply (x + y near 0 with "
                     "a tiny denominator) make centred differences inaccurate"),
            Claim("df/dx and df/dy are the sums of what their branches hand back",
                  forks_add,
                  "A backward line assigned a branch's share instead of adding it (= in place "
                  "of +=) in lessons/backprop/graph.py"),
            compares("vectorised_error_dW_vs_tensorflow", "<", EXACT,
                     "For D = W X, dW = dD X^T matches tf.GradientTape (relative error below 1e-9)",
                     "The vectorised formula in lessons/backprop/staged.py was changed"),
            compares("vectorised_error_dX_vs_tensorflow", "<", EXACT,
                     "And dX = W^T dD matches it too",
                     "The vectorised formula in lessons/backprop/staged.py was changed"),
        ),
        look_for="The graph: x drawn three times (num, sigx, xpy), y twice; then, for each "
                 "input, what each of its branches hands back; and the shapes of D = W X.",
    ),
    Read("A network", "A network (`--set example=network`)"),
    Experiment(
        "A two-layer net, its backward pass by hand",
        {"example": "network", "hidden": 64, "epochs": 5, "learning_rate": 0.1, "batch_size": 64},
        (
            compares("max_error_vs_tensorflow", "<", 1e-7,
                     "The NumPy backward pass matches tf.GradientTape on every parameter (relative "
                     "error below 1e-7, in float64)",
                     "A stage of the backward pass in lessons/backprop/layers.py was changed: "
                     "error_by_parameter names the parameter whose gradient is off"),
            compares("weights_max_difference_after_training", "<", 1e-4,
                     "Trained from one start on the same batches, the hand-written and the Keras "
                     "net end with the same weights (up to float32 round-off)",
                     "Many more epochs or a larger learning_rate let float32 round-off add up "
                     "over thousands of steps; the two nets still agree on their answers"),
            compares("relu_jacobian_off_diagonal_max", "==", 0.0,
                     "ReLU's Jacobian is diagonal: every off-diagonal entry is exactly 0",
                     "This does not depend on any setting: if it failed, TensorFlow's Jacobian of "
                     "relu is not elementwise on this install"),
        ),
        look_for="The relative error per parameter, then the two training curves lying on top "
                 "of each other.",
    ),
    Read("Each piece's backward pass", "Each piece's backward pass, with its shapes (the exercises)"),
    ExerciseStep(
        "Write the backward passes",
        "affine_forward, affine_backward, relu_forward, relu_backward and two_layer_loss, as in "
        "CS231n's assignment 2: 'workbench exercises start backprop', then 'workbench check "
        "backprop'; once they pass, 'workbench run backprop --set example=network --mine' "
        "checks your four pieces chained and your two_layer_loss against tf.GradientTape, then "
        "trains a third copy of the net with your gradients beside the other two.",
    ),
)
