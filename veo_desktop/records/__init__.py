"""The domain's bottom layer: what a task is and how its state may change.

`storage` and `core` both import this package. It imports only `api.models` (a record
holds the request it sent) and `safe_text`, so a record means the same thing in sqlite,
in the engine and on screen.
"""
