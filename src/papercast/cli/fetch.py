"""`papercast fetch`."""
