"""One-pass evaluation: success / precision / normalised precision under the pytracking and pysot conventions."""
