"""Data sets: symbolic corpora and rendered audio."""
