"""Torch modules of the mir-bridge models."""
