"""The library: the gallery of finished videos, search with filter chips, ratings and tags,
disk use and clean-up."""
