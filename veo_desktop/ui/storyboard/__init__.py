"""The Storyboard tab: shot cards, takes and trims, the sequence player, Render."""
