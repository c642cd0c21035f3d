"""The HTTP service: settings, application, request and response schemas, routes."""

import os

# LightGBM's OpenMP threads otherwise spin after every prediction, holding a core the event loop
# and other requests need: on 2 cores, single-request HTTP p50 went from 18.6 to 14.0 ms with
# passive waiting (bench/speed.py), in-process time unchanged. Must be set before LightGBM
# loads; an explicit setting in the environment wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
