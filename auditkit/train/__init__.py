"""Training: encoding of data into tensors and the built-in training loop."""
