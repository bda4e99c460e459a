"""The inline video preview: a sink-painting video surface, the player and its controls.

Importing the package (which every user of QtMultimedia in the window does, before any
playback) turns off Qt's FFmpeg info messages, which print each video's "Input #0" block to
the terminal (:mod:`veo_desktop.ui.preview.media_logs`).
"""

from veo_desktop.ui.preview.media_logs import quiet_ffmpeg_logs

quiet_ffmpeg_logs()
