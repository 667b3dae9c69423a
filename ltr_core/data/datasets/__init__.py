"""Readers for the standard tracking datasets, each in its own on-disk layout (REFERENCE: dataset layouts)."""
