"""Run OpenStack Heat stacks on any cloud through Apache Deltacloud."""

__version__ = "0.1.0"
