"""devicebench controller: drives edge devices from the host."""

__version__ = "0.1.0"
