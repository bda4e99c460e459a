"""Storyboards: a shot list turned into one film. Plans what is missing and what it costs,
sends the shots in dependency order through the engine, and renders the chosen takes with
``veo_desktop.film``. Qt-free; below the runtime, above the engine and the film renderer."""
