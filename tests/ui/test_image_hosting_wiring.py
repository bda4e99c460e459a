"""Image hosting wired into the window: slots, the session's image host, the check before submit.

Real parts over loopback: the simulator as the API, moto as S3-compatible storage, local
HTTP servers for image URLs and for a slow upload, real widgets offscreen.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from PySide6.QtCore import QEvent, QPoint
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QApplication, QComboBox, QDialogButtonBox, QWidget

from tests.e2e import helpers
from tests.e2e.helpers import (  # noqa: F401  (make_window_fixture is a fixture)
    drop,
    make_window_fixture,
    screenshot_window,
    submits,
    wait_started,
    write_image,
)
from tests.fixtures.contrast import assert_legible
from tests.fixtures.s3 import MemoryKeyring, Route, S3Bucket
from tests.fixtures.screenshots import save_screenshot
from tests.fixtures.sim import SIM_API_KEY
from tests.imaging import samples
from tests.ui.test_screenshots_window import clipped_labels
from veo_desktop.core.paths import AppPaths
from veo_desktop.hosting import (
    DemoProvider,
    HostingConfig,
    HostingUnavailable,
    ImageHost,
    ProviderKind,
    S3Provider,
    S3Secrets,
    UrlOnlyProvider,
)
from veo_desktop.imaging import run_imaging
from veo_desktop.imaging import worker as imaging_worker
from veo_desktop.ui.compose.image_slot import ImageSlot, SlotState, describe_shape
from veo_desktop.ui.compose.panel import ComposePanel
from veo_desktop.ui.crop_dialog import CropDialog
from veo_desktop.ui.session import Session, open_session
from veo_desktop.ui.settings.dialog import SettingsDialog
from veo_desktop.ui.window.main_window import MainWindow

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# -- helpers -----------------------------------------------------------------------------------


@contextmanager
def hosted_session(
    sim: Any,
    root: Path,
    arun: Callable[..., Any],
    *,
    hosting: HostingConfig | None = None,
    secrets: S3Secrets | None = None,
) -> Iterator[Session]:
    """A started session against ``sim`` whose settings choose ``hosting``."""
    settings = helpers.test_settings()
    if hosting is not None:
        hosting.store_in(settings)
    session = open_session(
        paths=AppPaths.resolve(root),
        settings=settings,
        base_url=sim.base_url,
        api_key=SIM_API_KEY,
        secrets=secrets if secrets is not None else S3Secrets(backend=MemoryKeyring()),
    )
    try:
        arun(session.start())
        yield session
    finally:
        arun(session.aclose(), timeout=20)


@pytest.fixture
def s3_secrets(memory_keyring: MemoryKeyring, s3_bucket: S3Bucket, arun: Any) -> S3Secrets:
    secrets = S3Secrets(backend=memory_keyring)
    arun(secrets.set(s3_bucket.access_key_id, s3_bucket.secret))
    return secrets


@pytest.fixture
def s3_session(
    sim: Any, tmp_path: Path, arun: Any, s3_bucket: S3Bucket, s3_secrets: S3Secrets
) -> Iterator[Session]:
    with hosted_session(
        sim, tmp_path / "data", arun, hosting=s3_bucket.config(), secrets=s3_secrets
    ) as session:
        yield session


@pytest.fixture
def demo_session(sim: Any, tmp_path: Path, arun: Any) -> Iterator[Session]:
    with hosted_session(sim, tmp_path / "data", arun) as session:
        yield session


def make_panel(session: Session, qtbot: Any, kind: str = "FIRST_AND_LAST_FRAMES_2_VIDEO") -> Any:
    panel = ComposePanel(session.controller, session.uploader)
    qtbot.addWidget(panel)
    panel.resize(380, 760)
    panel.show()
    select(panel.type_selector, kind)
    return panel


def select(combo: QComboBox, value: object) -> None:
    index = combo.findData(value)
    assert index >= 0, value
    combo.setCurrentIndex(index)


def wait_slot(qtbot: Any, slot: ImageSlot, state: SlotState, timeout: int = 15_000) -> None:
    def settled() -> None:
        assert slot.state is state, (slot.state, slot.message_text)

    qtbot.waitUntil(settled, timeout=timeout)


def write_webp(path: Path, width: int = 160, height: int = 90) -> Path:
    path.write_bytes(samples.encode(samples.two_tone(width, height), "WEBP"))
    return path


def write_noise_png(path: Path, width: int, height: int) -> Path:
    path.write_bytes(samples.encode(samples.noise(width, height), "PNG"))
    return path


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


class ImagingBlocked:
    """Holds the imaging thread until released, so a slot stays "Preparing…"."""

    def __init__(self, arun: Any, qtbot: Any) -> None:
        self.release = threading.Event()
        self.started = threading.Event()

        def hold() -> None:
            self.started.set()
            self.release.wait(20)

        import asyncio

        self.job = asyncio.ensure_future(run_imaging(hold))
        qtbot.waitUntil(self.started.is_set)
        self._qtbot = qtbot

    def done(self) -> None:
        self.release.set()
        self._qtbot.waitUntil(self.job.done)


class SlowUploads:
    """``POST /sim/upload`` that takes the body slowly: an upload stays in progress a while.

    The listening socket has a small receive buffer, so the sender soon waits on the reader.
    ``release`` lets the rest through at full speed.
    """

    def __init__(self, *, chunk: int = 16 * 1024, pause: float = 0.03) -> None:
        self.release = threading.Event()
        self.received: list[tuple[int, int]] = []  # (bytes read, bytes announced)
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                total = int(self.headers.get("Content-Length", "0"))
                got = 0
                try:
                    while got < total:
                        data = self.rfile.read(min(chunk, total - got))
                        if not data:
                            break
                        got += len(data)
                        if not owner.release.is_set():
                            owner.release.wait(pause)
                finally:
                    owner.received.append((got, total))
                if got < total:
                    self.close_connection = True
                    return
                body = json.dumps({"url": f"{owner.origin}/files/done.png"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def server_bind(self) -> None:
                self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)
                super().server_bind()

        self._httpd = Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def origin(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self.release.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def slow_uploads() -> Iterator[SlowUploads]:
    server = SlowUploads()
    yield server
    server.stop()


def progress_seen(slot: ImageSlot) -> list[str]:
    """Record what the slot's picture says each time an upload reports progress."""
    seen: list[str] = []
    original = slot._on_upload_progress

    def record(generation: int, sent: int, total: int) -> None:
        original(generation, sent, total)
        if slot.state is SlotState.BUSY:
            seen.append(slot.busy_text)

    slot._on_upload_progress = record  # type: ignore[method-assign]
    return seen


# -- local files through S3 (moto) -------------------------------------------------------------


def test_a_dropped_webp_is_converted_uploaded_to_s3_and_presigned(
    s3_session: Session, s3_bucket: S3Bucket, qtbot: Any, tmp_path: Path
) -> None:
    assert isinstance(s3_session.uploader.host.provider, S3Provider)  # type: ignore[union-attr]
    assert s3_session.uploader.can_upload
    panel = make_panel(s3_session, qtbot)
    slot = panel.first_slot
    seen = progress_seen(slot)
    drop(slot, urls=[str(write_webp(tmp_path / "holiday.webp"))])
    assert slot.state is SlotState.BUSY and slot.busy_text == "Preparing…"
    wait_slot(qtbot, slot, SlotState.READY)

    assert slot.note_text == "Converted from WebP to PNG (APIXO takes JPEG or PNG)."
    assert seen and seen[-1] == "Uploading… 100%"
    url = slot.url
    assert url is not None
    assert url.startswith(f"{s3_bucket.endpoint}/{s3_bucket.name}/veo-inputs/")
    assert urlsplit(url).path.endswith(".png")
    params = query(url)
    assert params["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert params["X-Amz-Expires"] == ["86400"]
    assert s3_bucket.access_key_id in params["X-Amz-Credential"][0]
    (key,) = s3_bucket.object_keys()
    assert s3_bucket.head(key)["ContentType"] == "image/png"  # type: ignore[index]
    fetched = httpx.get(url)
    assert fetched.content.startswith(PNG_SIGNATURE)
    image = slot.image
    assert image is not None and image.local_path == str(tmp_path / "holiday.webp")
    assert image.expires_at is not None
    assert "PNG" in image.preview.summary and not image.preview.thumbnail.isNull()
    assert panel.current_request().image_urls == (url,)


def test_the_same_picture_dropped_twice_is_uploaded_once(
    s3_session: Session, s3_bucket: S3Bucket, qtbot: Any, tmp_path: Path
) -> None:
    panel = make_panel(s3_session, qtbot)
    path = write_webp(tmp_path / "same.webp")
    copy = tmp_path / "copy-of-same.webp"
    copy.write_bytes(path.read_bytes())
    drop(panel.first_slot, urls=[str(path)])
    drop(panel.last_slot, urls=[str(copy)])
    wait_slot(qtbot, panel.first_slot, SlotState.READY)
    wait_slot(qtbot, panel.last_slot, SlotState.READY)
    host = s3_session.uploader.host
    assert host is not None
    assert host.uploads == 1
    assert len(s3_bucket.object_keys()) == 1
    assert panel.first_slot.url == panel.last_slot.url

    panel.first_slot.clear()
    drop(panel.first_slot, urls=[str(path)])
    wait_slot(qtbot, panel.first_slot, SlotState.READY)
    assert host.uploads == 1
    assert len(host.cache) == 1


def test_clearing_the_slot_while_preparing_uploads_nothing(
    s3_session: Session, s3_bucket: S3Bucket, qtbot: Any, tmp_path: Path, arun: Any
) -> None:
    panel = make_panel(s3_session, qtbot)
    blocked = ImagingBlocked(arun, qtbot)
    drop(panel.first_slot, urls=[str(write_webp(tmp_path / "later.webp"))])
    assert panel.first_slot.busy_text == "Preparing…"
    assert not panel.generate_button.isEnabled()
    panel.first_slot.clear_button.click()
    assert panel.first_slot.state is SlotState.EMPTY
    blocked.done()
    arun(run_imaging(lambda: None))  # the imaging thread has caught up
    assert panel.first_slot.state is SlotState.EMPTY
    assert s3_bucket.object_keys() == []
    assert s3_session.uploader.host.uploads == 0  # type: ignore[union-attr]


def test_upload_progress_shows_on_the_slot_and_clearing_cancels_it(
    demo_session: Session, slow_uploads: SlowUploads, qtbot: Any, tmp_path: Path
) -> None:
    uploader = demo_session.uploader
    uploader.set_host(ImageHost(DemoProvider(slow_uploads.origin)))
    panel = make_panel(demo_session, qtbot)
    slot = panel.first_slot
    drop(slot, urls=[str(write_noise_png(tmp_path / "big.png", 1500, 1550))])

    def part_way() -> None:
        assert slot.busy_progress is not None and 0.0 < slot.busy_progress < 1.0

    qtbot.waitUntil(part_way, timeout=15_000)
    assert slot.busy_text.startswith("Uploading… ") and slot.busy_text.endswith("%")
    assert slot.problem is not None and "uploading" in slot.problem
    assert not panel.generate_button.isEnabled()
    slot.clear()
    assert slot.state is SlotState.EMPTY and slot.url is None
    qtbot.waitUntil(lambda: bool(slow_uploads.received), timeout=10_000)
    got, total = slow_uploads.received[0]
    assert got < total
    assert uploader.host is not None and uploader.host.uploads == 0


# -- hosting that is missing or broken ---------------------------------------------------------


def test_without_hosting_a_real_session_refuses_local_files_and_says_where_to_set_it_up(
    qtbot: Any, tmp_path: Path, arun: Any, qloop: Any
) -> None:
    session = open_session(
        paths=AppPaths.resolve(tmp_path / "data"),
        settings=helpers.test_settings(),
        base_url="https://api.apixo.ai/api/v1",
        api_key="not-used-by-this-test",
        secrets=S3Secrets(backend=MemoryKeyring()),
    )
    try:
        arun(session.configure_hosting(session.hosting))
        assert isinstance(session.uploader.host.provider, UrlOnlyProvider)  # type: ignore[union-attr]
        assert not session.uploader.can_upload
        slot = ImageSlot("First frame", session.uploader)
        qtbot.addWidget(slot)
        drop(slot, urls=[str(write_image(tmp_path / "a.png"))])
        wait_slot(qtbot, slot, SlotState.ERROR)
        assert "Settings > Image hosting" in slot.message_text
        assert slot.retry_button.isVisibleTo(slot)
    finally:
        arun(session.aclose(), timeout=20)


def test_s3_without_a_stored_secret_explains_it_on_the_slot(
    sim: Any, s3_bucket: S3Bucket, qtbot: Any, tmp_path: Path, arun: Any
) -> None:
    with hosted_session(sim, tmp_path / "data", arun, hosting=s3_bucket.config()) as session:
        provider = session.uploader.host.provider  # type: ignore[union-attr]
        assert isinstance(provider, HostingUnavailable)
        panel = make_panel(session, qtbot)
        drop(panel.first_slot, urls=[str(write_image(tmp_path / "a.png"))])
        wait_slot(qtbot, panel.first_slot, SlotState.ERROR)
        assert panel.first_slot.message_text.startswith(
            f"No secret access key is stored for {s3_bucket.access_key_id}"
        )


# -- the check right before submitting ---------------------------------------------------------


def test_an_unreachable_url_blocks_generate_on_its_slot_and_nothing_is_sent(
    demo_session: Session, sim: Any, image_server: Any, qtbot: Any, tmp_path: Path
) -> None:
    png = write_image(tmp_path / "end.png").read_bytes()
    url = image_server.add("/end.png", body=png, content_type="image/png")
    panel = make_panel(demo_session, qtbot)
    panel.prompt_edit.setPlainText("a kite over the dunes")
    drop(panel.first_slot, urls=[str(write_image(tmp_path / "start.png"))])
    drop(panel.last_slot, urls=[url])
    wait_slot(qtbot, panel.first_slot, SlotState.READY)
    wait_slot(qtbot, panel.last_slot, SlotState.READY)
    assert panel.last_slot.note_text == (f"A PNG image of {len(png)} bytes; APIXO can fetch it.")
    qtbot.waitUntil(panel.generate_button.isEnabled)

    image_server.add("/end.png", Route(status=404, body=b"gone", content_type="text/plain"))
    panel.generate_button.click()
    wait_slot(qtbot, panel.last_slot, SlotState.ERROR)
    assert panel.last_slot.message_text == (
        "The server answered 404: the image is not there. Nothing was sent."
    )
    assert panel.first_slot.state is SlotState.READY and panel.first_slot.message_text == ""
    qtbot.waitUntil(lambda: not panel.submitting)
    assert submits(sim) == []
    assert not panel.generate_button.isEnabled()
    assert panel.generate_message.text() == "Fix the problem above to generate."
    assert panel.last_slot.retry_button.isVisibleTo(panel.last_slot)

    image_server.add("/end.png", body=png, content_type="image/png")
    panel.last_slot.retry_button.click()
    wait_slot(qtbot, panel.last_slot, SlotState.READY)
    qtbot.waitUntil(panel.generate_button.isEnabled)
    with qtbot.waitSignal(panel.submitted, timeout=10_000):
        panel.generate_button.click()
    assert len(submits(sim)) == 1
    assert submits(sim)[0].body["input"]["image_urls"][1] == url


def test_an_uploaded_image_gone_from_the_bucket_is_forgotten_and_uploaded_again(
    s3_session: Session, s3_bucket: S3Bucket, sim: Any, qtbot: Any, tmp_path: Path
) -> None:
    panel = make_panel(s3_session, qtbot)
    panel.prompt_edit.setPlainText("a lighthouse")
    drop(panel.first_slot, urls=[str(write_image(tmp_path / "frame.png"))])
    wait_slot(qtbot, panel.first_slot, SlotState.READY)
    host = s3_session.uploader.host
    assert host is not None and host.uploads == 1 and len(host.cache) == 1
    (key,) = s3_bucket.object_keys()
    s3_bucket.client.delete_object(Bucket=s3_bucket.name, Key=key)

    panel.generate_button.click()
    wait_slot(qtbot, panel.first_slot, SlotState.ERROR)
    assert panel.first_slot.message_text.startswith("The server answered 404")
    assert panel.first_slot.message_text.endswith("Nothing was sent.")
    assert submits(sim) == []
    assert len(host.cache) == 0

    panel.first_slot.retry()
    wait_slot(qtbot, panel.first_slot, SlotState.READY)
    assert host.uploads == 2
    assert s3_bucket.object_keys() == [key]


# -- frames of the wrong shape -------------------------------------------------------------------


def test_a_frame_of_another_shape_is_pointed_out_and_cropped_to_the_video_shape(
    demo_session: Session, qtbot: Any, tmp_path: Path
) -> None:
    panel = make_panel(demo_session, qtbot)
    select(panel.aspect_selector, "16:9")
    slot = panel.first_slot
    drop(slot, urls=[str(write_image(tmp_path / "photo.png", width=400, height=300))])
    wait_slot(qtbot, slot, SlotState.READY)
    assert slot.shape_text == "This frame is 4:3, not 16:9: Veo will letterbox or crop it."
    assert slot.crop_button.isVisibleTo(slot)
    assert slot.crop_button.text() == "Crop to 16:9…"
    assert slot.crop_button.accessibleName() == "Crop the first frame to 16:9"
    uncropped = slot.url

    select(panel.aspect_selector, "auto")
    assert slot.shape_text == "" and not slot.crop_button.isVisibleTo(slot)
    select(panel.aspect_selector, "9:16")
    assert slot.crop_button.text() == "Crop to 9:16…"
    select(panel.aspect_selector, "16:9")

    slot.crop_button.click()
    qtbot.waitUntil(lambda: slot.findChild(CropDialog) is not None, timeout=10_000)
    dialog = slot.findChild(CropDialog)
    assert dialog is not None and dialog.aspect == "16:9"
    qtbot.waitExposed(dialog)
    button = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    button.click()
    qtbot.waitUntil(lambda: slot.url not in (None, uncropped), timeout=15_000)

    image = slot.image
    assert image is not None
    assert (image.preview.width, image.preview.height) == (400, 225)
    assert any(note.startswith("Cropped to 16:9") for note in image.notes)
    assert slot.shape_text == "" and not slot.crop_button.isVisibleTo(slot)
    fetched = QImage()
    assert fetched.loadFromData(httpx.get(image.url).content)
    assert (fetched.width(), fetched.height()) == (400, 225)


def test_cancelling_the_crop_keeps_the_frame(
    demo_session: Session, qtbot: Any, tmp_path: Path
) -> None:
    panel = make_panel(demo_session, qtbot)
    select(panel.aspect_selector, "9:16")
    slot = panel.first_slot
    drop(slot, urls=[str(write_image(tmp_path / "wide.png", width=320, height=180))])
    wait_slot(qtbot, slot, SlotState.READY)
    assert slot.shape_text.startswith("This frame is 16:9, not 9:16")
    before = slot.url
    assert slot.crop()
    qtbot.waitUntil(lambda: slot.findChild(CropDialog) is not None, timeout=10_000)
    dialog = slot.findChild(CropDialog)
    assert dialog is not None
    dialog.reject()
    qtbot.waitUntil(lambda: slot._job is None or slot._job.done())
    assert slot.state is SlotState.READY and slot.url == before


def test_shapes_are_named_as_people_know_them() -> None:
    assert describe_shape(400, 300) == "4:3"
    assert describe_shape(1080, 1080) == "1:1"
    assert describe_shape(1920, 1080) == "16:9"
    assert describe_shape(2350, 1000) == "21:9"
    assert describe_shape(3000, 1000) == "3.00:1"
    assert describe_shape(1000, 3000) == "1:3.00"


def test_a_url_frame_of_another_shape_is_pointed_out_without_a_crop_offer(
    demo_session: Session, image_server: Any, qtbot: Any, tmp_path: Path
) -> None:
    square = write_image(tmp_path / "square.png", width=200, height=200).read_bytes()
    url = image_server.add("/square.png", body=square, content_type="image/png")
    panel = make_panel(demo_session, qtbot)
    drop(panel.first_slot, urls=[url])
    wait_slot(qtbot, panel.first_slot, SlotState.READY)
    assert panel.first_slot.shape_text.startswith("This frame is 1:1, not 16:9")
    assert not panel.first_slot.crop_button.isVisibleTo(panel.first_slot)
    assert not panel.first_slot.image.preview.thumbnail.isNull()  # type: ignore[union-attr]


def test_a_pasted_image_is_prepared_and_uploaded(
    demo_session: Session, sim: Any, qtbot: Any
) -> None:
    panel = make_panel(demo_session, qtbot, "REFERENCE_2_VIDEO")
    pixels = QImage(64, 36, QImage.Format.Format_RGB32)
    pixels.fill(QColor("#fc0"))
    drop(panel.reference_slots[0], image=pixels)
    wait_slot(qtbot, panel.reference_slots[0], SlotState.READY)
    url = panel.reference_slots[0].url
    assert url is not None and url.startswith(f"{sim.origin}/sim/files/")
    assert panel.reference_slots[0].image.preview.name == "Pasted image"  # type: ignore[union-attr]
    assert panel.reference_slots[0].shape_text == ""  # references have no video shape


# -- the session's life --------------------------------------------------------------------------


def test_demo_sessions_use_the_simulator_and_closing_stops_the_image_pipeline(
    sim: Any, tmp_path: Path, arun: Any, qtbot: Any
) -> None:
    with hosted_session(sim, tmp_path / "data", arun) as session:
        host = session.uploader.host
        assert host is not None and isinstance(host.provider, DemoProvider)
        assert host.provider.origin == sim.origin
        arun(run_imaging(lambda: None))
        assert imaging_worker._executor is not None
    assert session.closed
    assert imaging_worker._executor is None
    assert session.uploader.host is None
    slot = ImageSlot("First frame", session.uploader)
    qtbot.addWidget(slot)
    drop(slot, urls=[str(write_image(tmp_path / "late.png"))])
    wait_slot(qtbot, slot, SlotState.ERROR)
    assert slot.message_text == "The session is closing."


def test_new_hosting_settings_replace_the_host_after_its_uploads_end(
    demo_session: Session,
    slow_uploads: SlowUploads,
    s3_bucket: S3Bucket,
    s3_secrets: S3Secrets,
    qtbot: Any,
    tmp_path: Path,
) -> None:
    uploader = demo_session.uploader
    slow = DemoProvider(slow_uploads.origin)
    uploader.set_host(ImageHost(slow))
    panel = make_panel(demo_session, qtbot)
    drop(panel.first_slot, urls=[str(write_noise_png(tmp_path / "big.png", 1500, 1550))])
    qtbot.waitUntil(lambda: (panel.first_slot.busy_progress or 0.0) > 0.0, timeout=15_000)

    demo_session.secrets = s3_secrets
    demo_session.reconfigure_hosting(s3_bucket.config())

    def on_s3() -> None:
        assert isinstance(getattr(uploader.host, "provider", None), S3Provider)

    qtbot.waitUntil(on_s3, timeout=10_000)
    assert demo_session.hosting.provider is ProviderKind.S3
    drop(panel.last_slot, urls=[str(write_image(tmp_path / "small.png"))])
    wait_slot(qtbot, panel.last_slot, SlotState.READY)
    assert panel.last_slot.url.startswith(s3_bucket.endpoint)  # type: ignore[union-attr]
    assert panel.first_slot.state is SlotState.BUSY  # the old host still carries it
    assert slow._http is not None  # and is still open

    slow_uploads.release.set()
    wait_slot(qtbot, panel.first_slot, SlotState.READY)
    assert panel.first_slot.url == f"{slow_uploads.origin}/files/done.png"
    qtbot.waitUntil(lambda: slow._http is None)  # closed once its upload ended


# -- screenshots --------------------------------------------------------------------------------


SIZES = [(1024, 640), (1600, 1000)]


def settle_layouts() -> None:
    """Run the pending layout requests (a person never sees a frame before them)."""
    for _ in range(3):
        QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        QApplication.processEvents()


def save_shot(widget: QWidget, tmp_path: Path, name: str) -> Path:
    settle_layouts()
    path = save_screenshot(widget.grab(), tmp_path, name)
    assert_legible(widget, widget.grab(), name)
    return path


def save_dialog_over(window: QWidget, dialog: QWidget, tmp_path: Path, name: str) -> Path:
    """The window with the dialog drawn where it sits over it (as a screen would show)."""
    settle_layouts()
    picture = window.grab()
    painter = QPainter(picture)
    offset = dialog.mapToGlobal(QPoint(0, 0)) - window.mapToGlobal(QPoint(0, 0))
    painter.drawPixmap(offset, dialog.grab())
    painter.end()
    path = save_screenshot(picture, tmp_path, name)
    assert_legible(window, window.grab(), name)
    assert_legible(dialog, dialog.grab(), name)
    return path


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
@pytest.mark.parametrize("size", SIZES, ids=["1024x640", "1600x1000"])
def test_slot_states_and_hosting_tab_screenshots(
    make_window: Callable[..., MainWindow],
    themed: Callable[[bool], None],
    sim: Any,
    image_server: Any,
    slow_uploads: SlowUploads,
    tmp_path: Path,
    qtbot: Any,
    arun: Any,
    size: tuple[int, int],
    dark: bool,
) -> None:
    window, tag = screenshot_window(
        make_window,
        themed,
        qtbot,
        size=size,
        dark=dark,
        base_url=sim.base_url,
        api_key=SIM_API_KEY,
        data_dir=tmp_path / "data",
    )
    compose = window.compose_panel
    assert compose is not None
    compose.prompt_edit.setPlainText("A paper boat drifting down a rain-soaked street at night")
    select(compose.type_selector, "FIRST_AND_LAST_FRAMES_2_VIDEO")
    first, last = compose.first_slot, compose.last_slot

    # A converted frame of the wrong shape (note, notice, crop offer); an unreachable URL.
    photo = tmp_path / "harbour.webp"
    photo.write_bytes(
        samples.encode(samples.bands(400, 300, [samples.BLUE, samples.GREEN]), "WEBP")
    )
    drop(first, urls=[str(photo)])
    end = write_image(tmp_path / "end.png", width=320, height=180, color="#c63").read_bytes()
    url = image_server.add("/frames/end.png", body=end, content_type="image/png")
    drop(last, urls=[url])
    wait_slot(qtbot, first, SlotState.READY)
    wait_slot(qtbot, last, SlotState.READY)
    image_server.add("/frames/end.png", Route(status=404, body=b"gone", content_type="text/plain"))
    qtbot.waitUntil(compose.generate_button.isEnabled)
    compose.generate_button.click()
    wait_slot(qtbot, last, SlotState.ERROR)
    assert first.crop_button.isVisible() and first.note.isVisible()
    assert last.retry_button.isVisible()
    compose.scroll_area.ensureWidgetVisible(last)
    save_shot(window, tmp_path, f"wire5-slots-notes-{tag}")
    assert clipped_labels(compose) == []
    assert submits(sim) == []

    # Busy: the last frame uploading (part way), the first one being prepared.
    session = window.session
    assert session is not None
    session.uploader.set_host(ImageHost(DemoProvider(slow_uploads.origin)))
    drop(last, urls=[str(write_noise_png(tmp_path / "big.png", 1500, 1550))])

    def part_way() -> None:
        assert last.busy_progress is not None and 0.05 < last.busy_progress < 1.0

    qtbot.waitUntil(part_way, timeout=20_000)
    blocked = ImagingBlocked(arun, qtbot)
    drop(first, urls=[str(photo)])
    assert first.busy_text == "Preparing…"
    save_shot(window, tmp_path, f"wire5-slots-busy-{tag}")
    assert clipped_labels(compose) == []
    first.clear()
    last.clear()
    blocked.done()

    # The settings dialog's image hosting tab, S3 chosen and filled in.
    window.settings_action.trigger()
    dialog = window.findChild(SettingsDialog, "settingsDialog")
    assert dialog is not None
    qtbot.waitExposed(dialog)
    # As on a screen of this size (the offscreen screen is smaller): centred over the window.
    dialog.resize(dialog.width(), min(dialog.preferred_height(), int(size[1] * 0.92)))
    centre = window.geometry().center()
    dialog.move(centre.x() - dialog.width() // 2, centre.y() - dialog.height() // 2)
    dialog.tabs.setCurrentWidget(dialog.hosting_tab)
    hosting = dialog.hosting
    hosting.provider.setCurrentIndex(hosting.provider.findData("s3"))
    for edit, text in (
        (hosting.endpoint, "https://0123456789abcdef.r2.cloudflarestorage.com"),
        (hosting.bucket, "my-veo-images"),
        (hosting.prefix, "veo-inputs/"),
        (hosting.access_key_id, "AKIAEXAMPLEKEY01"),
        (hosting.secret, "typed-secret"),
    ):
        qtbot.keyClicks(edit, text)
    save_dialog_over(window, dialog, tmp_path, f"wire5-settings-hosting-{tag}")
    assert clipped_labels(dialog) == []
    assert dialog.height() <= size[1]
    dialog.reject()
