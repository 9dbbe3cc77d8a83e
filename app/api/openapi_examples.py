"""Request examples for the API docs (/docs): the tutorial's own numbers, one click away."""

TUTORIAL = {
    "chain_rule": {"summary": "Chain rule: (x+y)*z at x=-2, y=5, z=-4",
                   "value": {"expression": "(x+y)*z", "values": {"x": -2, "y": 5, "z": -4}}},
    "stages": {"summary": "Named stages q = x + y, f = q * z",
               "value": {"expression": "q = x + y\nf = q * z",
                         "values": {"x": -2, "y": 5, "z": -4}}},
    "add_gate": {"summary": "Add gate with upstream gradient -4",
                 "value": {"expression": "x + y", "values": {"x": -2, "y": 5},
                           "output_grad": -4}},
    "sigmoid_neuron": {"summary": "Sigmoid neuron (expanded into gates)",
                       "value": {"expression": "sigmoid(w0*x0 + w1*x1 + w2)",
                                 "values": {"w0": 2, "w1": -3, "w2": -3, "x0": -1, "x1": -2},
                                 "expand": True}},
    "matmul": {"summary": "D = W X with upstream G",
               "value": {"expression": "W @ X",
                         "values": {"W": [[1, 2, 3], [4, 5, 6]],
                                    "X": [[1, 0], [0, 1], [1, 1]]},
                         "output_grad": [[1, 0], [0, 1]]}},
}
TRAINING = {
    "linear_regression": {
        "summary": "Linear regression with MSE, plain gradient descent",
        "value": {"expression": "mse(w * X + b, Y)",
                  "values": {"w": 0, "b": 0, "X": [[-1, -0.5, 0, 0.5, 1]],
                             "Y": [[-1, 0, 1, 2, 3]]},
                  "params": ["w", "b"], "optimizer": {"name": "sgd", "lr": 0.5},
                  "steps": 50}},
    "adam_minibatch": {
        "summary": "Adam on minibatches of 2 columns, with L2",
        "value": {"expression": "mse(w * X + b, Y)",
                  "values": {"w": 0, "b": 0, "X": [[-1, -0.5, 0, 0.5, 1]],
                             "Y": [[-1, 0, 1, 2, 3]]},
                  "params": ["w", "b"], "optimizer": {"name": "adam", "lr": 0.1},
                  "l2": 0.01, "steps": 100, "batch": {"size": 2, "data": ["X", "Y"]}}},
}
LANDSCAPE = {
    "regression": {
        "summary": "The MSE of a line over (w, b)",
        "value": {"expression": "mse(w * X + b, Y)",
                  "values": {"w": 0, "b": 0, "X": [[-1, 0, 1]], "Y": [[-1, 1, 3]]},
                  "params": ["w", "b"], "ranges": {"w": [-1, 4], "b": [-2, 3]},
                  "resolution": 21}},
}
PARSE = {
    "stages": {"summary": "The free variables of the tutorial's staged program",
               "value": {"expression": "q = x + y\nf = q * z"}},
}
EXPORT = {
    "tutorial": {"summary": "The tutorial's first example, as a PyTorch script",
                 "value": {"expression": "(x+y)*z", "values": {"x": -2, "y": 5, "z": -4}, "to": "torch"}},
}
