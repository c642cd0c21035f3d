"""Turns data into a registered model: configuration, pipeline, evaluation, command line."""
