"""Deployment: ONNX export of the parts a tracker runs, and an ONNX Runtime stand-in for the network."""
