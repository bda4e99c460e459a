"""Finished videos as files: a storyboard's film rendered from its chosen takes (stream
copy or a libx264 re-encode through PyAV), and the recipe carried inside an MP4's own
metadata. Qt-free; beside ``imaging`` and ``hosting`` in the layers."""
