"""The task list: model, proxy, delegate, view, actions and the panel holding them."""
