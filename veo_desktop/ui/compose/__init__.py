"""The Compose section: prompt, options, image slots, cost line and the Generate button."""
