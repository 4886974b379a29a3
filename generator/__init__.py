"""Static site generator for research threads in the style of Distill's *Thread: Circuits*."""

__version__ = "0.1.0"
