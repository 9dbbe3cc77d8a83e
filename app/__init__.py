"""Backprop Visualizer: computation graphs with every value, gradient and chain-rule step."""
