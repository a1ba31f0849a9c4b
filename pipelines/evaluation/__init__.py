"""Measuring an adapter against the one that answers now, and the gate that decides."""
