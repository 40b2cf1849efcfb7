"""Training-side code: data, models, training, ONNX export and evaluation. Needs the ``train`` extra."""
