"""Calls into QtMultimedia players made without holding Python's GIL.

A ``QMediaPlayer`` called straight from Python (``player.stop()``) runs with the GIL held.
``stop()``, ``setSource()``, and the other calls that start or end playback, can wait for a
Qt lock that the player's audio thread holds while that thread, tearing down its renderer,
waits for the GIL (to ask the Python-made ``QAudioOutput`` whether Python overrides
``disconnectNotify``): both wait forever, and the whole app hangs (about one stop in twenty
in a loop; seen with gdb). So every such call goes through ``QMetaObject.invokeMethod``,
which lets the GIL go while Qt runs it:

- :func:`call` runs it now, synchronously (the player's state is current when it returns,
  and the signals it emits reach their Python slots as usual);
- :func:`post` queues it, so Qt makes it later from its event loop (for owners that keep
  their own account of what they asked, like the storyboard players' ``Deck``).

The audio thread wants the GIL only the first time it asks a Python-made object whether
Python overrides ``connectNotify`` / ``disconnectNotify`` (the binding remembers the answer
in the object). :func:`settle_overrides` asks that question at once, from the GUI thread,
for the player, its audio output and its video sink, so the player's threads never need the
GIL at all: without it, any Python code that takes one of Qt's connection locks (``sender()``
in a slot, a ``connect``) could still meet the audio thread's teardown and hang.

The helpers below name the calls the app makes.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import (
    Q_ARG,
    SIGNAL,
    SLOT,
    QGenericArgumentHolder,
    QMetaObject,
    QObject,
    Qt,
    QUrl,
)
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer


def settle_overrides(*objects: QObject) -> None:
    """Connect to each object and disconnect again, so that the binding looks up (with the
    GIL, here) whether Python overrides ``connectNotify`` and ``disconnectNotify`` and keeps
    the answer: the player's threads, connecting and disconnecting later, then never wait
    for the GIL. Call it right after making a player, its audio output and its sink."""
    probe = QObject()
    signal, slot = SIGNAL("objectNameChanged(QString)"), SLOT("deleteLater()")
    for target in objects:
        QObject.connect(target, signal, probe, slot)
        QObject.disconnect(target, signal, probe, slot)


def call(target: QObject, method: str, *args: QGenericArgumentHolder) -> None:
    """Run ``target.method(*args)`` (a slot) now, with the GIL let go meanwhile."""
    if not QMetaObject.invokeMethod(target, method, Qt.ConnectionType.DirectConnection, *args):
        raise RuntimeError(f"{type(target).__name__} has no slot {method}")


def post(target: QObject, method: str, *args: QGenericArgumentHolder) -> None:
    """Queue ``target.method(*args)`` (a slot): Qt makes the call from its event loop."""
    if not QMetaObject.invokeMethod(target, method, Qt.ConnectionType.QueuedConnection, *args):
        raise RuntimeError(f"{type(target).__name__} has no slot {method}")


def source_url(video: Path | None) -> QUrl:
    """The URL a player opens ``video`` from (an empty URL closes the file)."""
    return QUrl.fromLocalFile(str(video)) if video is not None else QUrl()


def set_source(player: QMediaPlayer, video: Path | None) -> None:
    """Open ``video`` in the player (None: close the file it has open)."""
    call(player, "setSource", Q_ARG(QUrl, source_url(video)))


def play(player: QMediaPlayer) -> None:
    call(player, "play")


def pause(player: QMediaPlayer) -> None:
    call(player, "pause")


def stop(player: QMediaPlayer) -> None:
    call(player, "stop")


def set_position(player: QMediaPlayer, position_ms: int) -> None:
    call(player, "setPosition", Q_ARG("qint64", int(position_ms)))


def release(player: QMediaPlayer) -> None:
    """Stop and close the file (nothing of it stays open once this returns)."""
    stop(player)
    set_source(player, None)


def set_muted(audio: QAudioOutput, muted: bool) -> None:
    call(audio, "setMuted", Q_ARG(bool, muted))


def set_volume(audio: QAudioOutput, volume: float) -> None:
    call(audio, "setVolume", Q_ARG("float", float(volume)))
