"""The composition root: one place that opens the app's parts and closes them in order."""
