"""cf-bluegreen: profiles in, shellchecked blue-green deploy scripts out."""

__version__ = "0.1.0"
