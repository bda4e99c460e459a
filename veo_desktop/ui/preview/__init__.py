"""The inline video preview: a sink-painting video surface, the player and its controls."""
