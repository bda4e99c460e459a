"""Settings for image hosting: where local images go so APIXO can fetch them.

:class:`HostingSettingsWidget` is a page for the settings dialog: a provider chooser (URL
only, S3-compatible storage, Demo), the S3 fields, the secret access key (stored in the
keyring, never shown back), the presigned-link lifetime, an optional public base URL, and a
"Test connection" button that runs without blocking the window and shows its result inline.

It edits a :class:`~veo_desktop.hosting.HostingConfig`; the dialog that embeds it calls
:meth:`HostingSettingsWidget.apply` on OK (stores a typed secret in the keyring and the
configuration in :class:`~veo_desktop.core.settings.Settings`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QHideEvent, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from veo_desktop.core.settings import Settings
from veo_desktop.hosting import (
    HostingConfig,
    HostingError,
    ProviderKind,
    S3Secrets,
    create_provider,
)
from veo_desktop.hosting.config import (
    DEFAULT_PRESIGN_HOURS,
    MAX_PRESIGN_HOURS,
    MIN_PRESIGN_HOURS,
    ConfigProblem,
)
from veo_desktop.ui import style
from veo_desktop.ui.compose.widgets import MessageLabel, Tone

log = logging.getLogger(__name__)

#: ``tester(config, secret) -> message``; raises HostingError with what is wrong.
ConnectionTester = Callable[[HostingConfig, str | None], Awaitable[str]]

#: Fields wider than this only make long lines to read on a big screen.
MAX_CONTENT_WIDTH = 860

_PROVIDERS = (
    (ProviderKind.URL, "URL only (no uploads)"),
    (ProviderKind.S3, "S3-compatible storage"),
    (ProviderKind.DEMO, "Demo (the simulator)"),
)
_DESCRIPTIONS = {
    ProviderKind.URL: (
        "Image slots take public https addresses only (paste or drag them from a browser). "
        "Each is checked before a task is sent. Local files cannot be used."
    ),
    ProviderKind.S3: (
        "Local images are uploaded to your bucket (AWS S3, Cloudflare R2, Backblaze B2, "
        "MinIO…) and APIXO gets a time-limited link, or a public address if the bucket is "
        "public. The same picture is uploaded only once."
    ),
    ProviderKind.DEMO: (
        "Local images go to the built-in simulator. Nothing is public and nothing is "
        "charged; only for demo mode."
    ),
}


class HostingSettingsWidget(QWidget):
    """Edits the image hosting settings; "Test connection" checks them for real.

    Args:
        config: the settings to show.
        secrets: where S3 secrets are kept (share the app's, so a session-only secret is
            seen by the uploads too).
        demo_origin: the simulator's origin in demo mode (enables the Demo choice).
        tester: runs the connection test (default: builds the provider and calls
            ``test_connection``).
    """

    config_changed = Signal()
    test_finished = Signal(bool, str)

    def __init__(
        self,
        config: HostingConfig | None = None,
        *,
        secrets: S3Secrets | None = None,
        demo_origin: str | None = None,
        tester: ConnectionTester | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("hostingSettings")
        self.setAccessibleName("Image hosting settings")
        self._secrets = secrets if secrets is not None else S3Secrets()
        self._demo_origin = demo_origin
        self._tester = tester or self._default_tester
        self._test_job: asyncio.Future[None] | None = None
        self._lookup_job: asyncio.Future[None] | None = None
        self._forget_job: asyncio.Future[None] | None = None
        self._secret_epoch = 0
        self._loading = False
        self._has_stored_secret = False
        self._path_style = True

        intro = QLabel(
            "APIXO fetches input images from public web addresses. Choose where local "
            "image files are put so it can reach them.",
            self,
        )
        intro.setWordWrap(True)

        self.provider = QComboBox(self)
        self.provider.setObjectName("hostingProviderSelector")
        self.provider.setAccessibleName("Image hosting")
        for kind, text in _PROVIDERS:
            self.provider.addItem(text, kind.value)
        if demo_origin is None:
            index = self.provider.findData(ProviderKind.DEMO.value)
            model = self.provider.model()
            if isinstance(model, QStandardItemModel):
                model.item(index).setEnabled(False)
            self.provider.setItemData(
                index, "Only in demo mode (veo-desktop --demo)", Qt.ItemDataRole.ToolTipRole
            )
        self.description = QLabel(self)
        self.description.setObjectName("hostingDescription")
        self.description.setWordWrap(True)
        style.set_text_color(self.description, style.hint_color(self))

        provider_row = QFormLayout()
        provider_row.addRow("&Hosting:", self.provider)

        self.pages = QStackedWidget(self)
        self.pages.addWidget(QWidget(self))
        self.pages.addWidget(self._build_s3_page())
        self.pages.addWidget(QWidget(self))

        self.test_button = QPushButton("Test connection", self)
        self.test_button.setObjectName("hostingTestButton")
        self.test_button.setAccessibleName("Test the image hosting connection")
        self.test_button.setAccessibleDescription(
            "Uploads a small test file, fetches it the way APIXO would and deletes it"
        )
        self.test_result = MessageLabel(Tone.HINT, self, small=False)
        self.test_result.setObjectName("hostingTestResult")
        self.test_result.setAccessibleName("Connection test result")
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button, 0, Qt.AlignmentFlag.AlignTop)
        test_row.addWidget(self.test_result, 1)

        column = QVBoxLayout()
        column.addWidget(intro)
        column.addLayout(provider_row)
        column.addWidget(self.description)
        column.addWidget(self.pages)
        column.addLayout(test_row)
        column.addStretch(1)
        body = QWidget(self)
        body.setLayout(column)
        body.setMaximumWidth(MAX_CONTENT_WIDTH)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(body, 1)
        layout.addStretch(0)

        self.provider.currentIndexChanged.connect(self.on_provider_current_index_changed)
        self.test_button.clicked.connect(self.on_test_button_clicked)
        self.set_config(config or HostingConfig())

    def _build_s3_page(self) -> QWidget:
        page = QWidget(self)
        form = QFormLayout(page)
        form.setContentsMargins(0, 4, 0, 4)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        def line(name: str, label: str, placeholder: str, accessible: str) -> QLineEdit:
            edit = QLineEdit(page)
            edit.setObjectName(name)
            edit.setPlaceholderText(placeholder)
            edit.setAccessibleName(accessible)
            edit.setClearButtonEnabled(True)
            edit.textEdited.connect(self.on_field_edited)
            problem = MessageLabel(Tone.PROBLEM, page)
            problem.setObjectName(f"{name}Problem")
            box = QVBoxLayout()
            box.setSpacing(2)
            box.addWidget(edit)
            box.addWidget(problem)
            form.addRow(_buddy(label, edit, page), box)
            self._problem_labels[name] = problem
            return edit

        self._problem_labels: dict[str, MessageLabel] = {}
        self.endpoint = line(
            "s3EndpointEdit",
            "&Endpoint:",
            "https://<account>.r2.cloudflarestorage.com (empty for AWS S3)",
            "S3 endpoint",
        )
        self.region = line("s3RegionEdit", "&Region:", "from the endpoint", "S3 region")
        self.bucket = line("s3BucketEdit", "&Bucket:", "my-veo-images", "Bucket name")
        self.prefix = line("s3PrefixEdit", "Key &prefix:", "veo-inputs/", "Object key prefix")
        self.access_key_id = line("s3AccessKeyIdEdit", "&Access key ID:", "AKIA…", "Access key ID")

        self.secret = QLineEdit(page)
        self.secret.setObjectName("s3SecretEdit")
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setAccessibleName("Secret access key")
        self.secret.setAccessibleDescription(
            "Kept in the system keyring; never shown again once saved"
        )
        self.secret.textEdited.connect(self.on_field_edited)
        self.forget_secret = QPushButton("Forget", page)
        self.forget_secret.setObjectName("s3ForgetSecretButton")
        self.forget_secret.setAccessibleName("Forget the stored secret access key")
        self.forget_secret.clicked.connect(self.on_forget_secret_clicked)
        self.forget_secret.setEnabled(False)
        self.secret_status = MessageLabel(Tone.HINT, page)
        self.secret_status.setObjectName("s3SecretStatus")
        secret_row = QHBoxLayout()
        secret_row.addWidget(self.secret, 1)
        secret_row.addWidget(self.forget_secret)
        secret_box = QVBoxLayout()
        secret_box.setSpacing(2)
        secret_box.addLayout(secret_row)
        secret_box.addWidget(self.secret_status)
        form.addRow(_buddy("&Secret access key:", self.secret, page), secret_box)
        self._problem_labels["s3SecretEdit"] = self.secret_status

        self.lifetime = QSpinBox(page)
        self.lifetime.setObjectName("s3LinkLifetimeSpin")
        self.lifetime.setRange(MIN_PRESIGN_HOURS, MAX_PRESIGN_HOURS)
        self.lifetime.setSuffix(" h")
        self.lifetime.setAccessibleName("Link lifetime in hours")
        self.lifetime.setToolTip(
            "How long the links handed to APIXO keep working (1 hour to 7 days). APIXO "
            "fetches images within minutes; a day leaves room for retries."
        )
        self.lifetime.valueChanged.connect(self.on_field_edited)
        lifetime_hint = QLabel("1 h to 7 days (168 h)", page)
        style.set_text_color(lifetime_hint, style.hint_color(page))
        lifetime_row = QHBoxLayout()
        lifetime_row.addWidget(self.lifetime)
        lifetime_row.addWidget(lifetime_hint, 1)
        form.addRow(_buddy("&Link lifetime:", self.lifetime, page), lifetime_row)

        self.public_base_url = line(
            "s3PublicBaseUrlEdit",
            "P&ublic base URL:",
            "optional: https://images.example.com for a public bucket",
            "Public base URL",
        )
        self._field_edits = {
            "endpoint": self.endpoint,
            "region": self.region,
            "bucket": self.bucket,
            "prefix": self.prefix,
            "access_key_id": self.access_key_id,
            "public_base_url": self.public_base_url,
        }
        return page

    # -- the configuration -----------------------------------------------------------------

    def config(self) -> HostingConfig:
        """The settings as currently entered (the secret is never part of them)."""
        kind = ProviderKind(self.provider.currentData())
        return HostingConfig(
            provider=kind,
            endpoint=self.endpoint.text().strip(),
            region=self.region.text().strip(),
            bucket=self.bucket.text().strip(),
            prefix=self.prefix.text().strip(),
            access_key_id=self.access_key_id.text().strip(),
            public_base_url=self.public_base_url.text().strip(),
            presign_hours=self.lifetime.value(),
            path_style=self._path_style,
        )

    def set_config(self, config: HostingConfig) -> None:
        """Show ``config`` (a typed secret is dropped, the stored one is looked up)."""
        self._loading = True
        try:
            index = self.provider.findData(config.provider.value)
            self.provider.setCurrentIndex(max(0, index))
            self.endpoint.setText(config.endpoint)
            self.region.setText(config.region)
            self.bucket.setText(config.bucket)
            self.prefix.setText(config.prefix)
            self.access_key_id.setText(config.access_key_id)
            self.public_base_url.setText(config.public_base_url)
            self.lifetime.setValue(config.presign_hours or DEFAULT_PRESIGN_HOURS)
            self._path_style = config.path_style
            self.secret.clear()
        finally:
            self._loading = False
        self._show_page()
        self._show_problems([])
        self.test_result.show_message(None)
        self._refresh_secret_status()

    @property
    def keyring_busy(self) -> bool:
        """A keyring lookup or removal started by this page has not finished."""
        return any(job is not None and not job.done() for job in self._secret_jobs())

    def pending_secret(self) -> str | None:
        """A secret typed but not saved yet."""
        return self.secret.text().strip() or None

    def problems(self) -> list[ConfigProblem]:
        """What must be fixed before these settings can be used (also shown inline)."""
        config = self.config()
        found = list(config.problems())
        if (
            config.provider is ProviderKind.S3
            and not self.pending_secret()
            and not self._has_stored_secret
            and config.access_key_id
        ):
            found.append(ConfigProblem("secret", "Enter the secret access key."))
        if config.provider is ProviderKind.DEMO and self._demo_origin is None:
            found.append(ConfigProblem("provider", "Demo hosting works only in demo mode."))
        return found

    def validate(self) -> bool:
        """Show the problems next to their fields; True when there are none."""
        problems = self.problems()
        self._show_problems(problems)
        return not problems

    async def save_secret(self) -> str | None:
        """Store a typed secret (keyring, or memory without one); the status it ends in.

        Raises:
            HostingError: the keyring refused it.
        """
        secret = self.pending_secret()
        key_id = self.access_key_id.text().strip()
        if not secret or not key_id:
            return None
        epoch = self._drop_lookup()
        in_keyring = await self._secrets.set(key_id, secret)
        if not _alive(self) or epoch != self._secret_epoch:
            return _stored_text(in_keyring, self._secrets)
        self.secret.clear()
        self._has_stored_secret = True
        message = _stored_text(in_keyring, self._secrets)
        self.secret_status.show_message(message, Tone.OK)
        self._update_secret_placeholder()
        return message

    async def apply(self, settings: Settings) -> HostingConfig:
        """Save a typed secret and put the configuration into ``settings`` (OK pressed)."""
        await self.save_secret()
        config = self.config()
        config.store_in(settings)
        return config

    # -- slots ---------------------------------------------------------------------------

    def on_provider_current_index_changed(self, _index: int) -> None:
        self._show_page()
        self.test_result.show_message(None)
        if not self._loading:
            self.config_changed.emit()

    def on_field_edited(self, *_args: object) -> None:
        if self._loading:
            return
        self.test_result.show_message(None)
        if self.sender() is self.access_key_id:
            self._refresh_secret_status()
        self._show_problems([p for p in self.problems() if self._field_touched(p.field)])
        self.config_changed.emit()

    def on_test_button_clicked(self) -> None:
        if self._test_job is not None and not self._test_job.done():
            return
        if not self.validate():
            self._finish_test(False, "Fix the fields marked above first.")
            return
        self.test_button.setEnabled(False)
        self.test_result.show_message("Testing…", Tone.HINT)
        self._test_job = asyncio.ensure_future(self._run_test(self.config(), self.pending_secret()))

    def on_forget_secret_clicked(self) -> None:
        self._forget_job = asyncio.ensure_future(self._forget_secret())

    # -- work ------------------------------------------------------------------------------

    async def _run_test(self, config: HostingConfig, secret: str | None) -> None:
        try:
            message = await self._tester(config, secret)
        except HostingError as error:
            self._finish_test(False, str(error))
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.exception("connection test failed unexpectedly")
            self._finish_test(False, f"The test failed unexpectedly ({type(error).__name__}).")
        else:
            self._finish_test(True, message)

    def _finish_test(self, ok: bool, message: str) -> None:
        if not _alive(self):
            return
        self.test_button.setEnabled(True)
        self.test_result.show_message(message, Tone.OK if ok else Tone.PROBLEM)
        self.test_finished.emit(ok, message)

    async def _default_tester(self, config: HostingConfig, secret: str | None) -> str:
        provider = await create_provider(
            config, secrets=self._secrets, secret=secret, demo_origin=self._demo_origin
        )
        try:
            return await provider.test_connection()
        finally:
            await provider.aclose()

    async def _forget_secret(self) -> None:
        key_id = self.access_key_id.text().strip()
        self.secret.clear()
        epoch = self._drop_lookup()
        try:
            await self._secrets.delete(key_id)
        except HostingError as error:
            if _alive(self) and epoch == self._secret_epoch:
                self.secret_status.show_message(str(error), Tone.PROBLEM)
            return
        if not _alive(self) or epoch != self._secret_epoch:
            return
        self._has_stored_secret = False
        self._update_secret_placeholder()
        self.secret_status.show_message("The secret was removed from the keyring.", Tone.HINT)

    def _secret_jobs(self) -> tuple[asyncio.Future[None] | None, ...]:
        return (self._lookup_job, self._forget_job)

    def _drop_lookup(self) -> int:
        """Make any keyring lookup under way stale (its answer is dropped); the new epoch.

        A lookup answers about the moment it read the keyring: once the secret is saved,
        removed or the access key id changes, that answer would undo what the page shows.
        """
        self._secret_epoch += 1
        if self._lookup_job is not None and not self._lookup_job.done():
            self._lookup_job.cancel()
        return self._secret_epoch

    def _refresh_secret_status(self) -> None:
        epoch = self._drop_lookup()
        self.forget_secret.setEnabled(False)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            self._has_stored_secret = False
            self._update_secret_placeholder()
            return
        self._lookup_job = asyncio.ensure_future(self._load_secret_status(epoch))

    async def _load_secret_status(self, epoch: int) -> None:
        key_id = self.access_key_id.text().strip()
        if not key_id:
            self._has_stored_secret = False
            self._update_secret_placeholder()
            self.secret_status.show_message(None)
            return
        try:
            stored = await self._secrets.has(key_id)
        except HostingError as error:
            if _alive(self) and epoch == self._secret_epoch:
                self.secret_status.show_message(str(error), Tone.WARNING)
            return
        if (
            not _alive(self)
            or epoch != self._secret_epoch
            or key_id != self.access_key_id.text().strip()
        ):
            return
        self._has_stored_secret = stored
        self._update_secret_placeholder()
        if stored:
            where = (
                "the system keyring"
                if self._secrets.keyring_available
                else "memory for this session"
            )
            self.secret_status.show_message(f"A secret is stored in {where}.", Tone.HINT)
        elif not self._secrets.keyring_available:
            self.secret_status.show_message(
                "This system has no usable keyring: a secret entered here is kept until you "
                "quit, never written to disk.",
                Tone.WARNING,
            )
        else:
            self.secret_status.show_message(None)

    def _update_secret_placeholder(self) -> None:
        if not _alive(self):
            return
        self.secret.setPlaceholderText(
            "Stored (hidden); type to replace it"
            if self._has_stored_secret
            else "Not stored yet; kept in the keyring"
        )
        self.forget_secret.setEnabled(self._has_stored_secret)

    # -- display ---------------------------------------------------------------------------

    def _show_page(self) -> None:
        kind = ProviderKind(self.provider.currentData())
        self.pages.setCurrentIndex([k for k, _ in _PROVIDERS].index(kind))
        self.pages.setVisible(kind is ProviderKind.S3)
        self.description.setText(_DESCRIPTIONS[kind])
        self.test_button.setVisible(kind is not ProviderKind.URL)
        if kind is ProviderKind.S3:
            guess = HostingConfig(endpoint=self.endpoint.text()).effective_region
            self.region.setPlaceholderText(f"from the endpoint ({guess})")

    def _field_touched(self, field: str) -> bool:
        edit = self._field_edits.get(field)
        if edit is not None:
            return bool(edit.text().strip()) or edit.isModified()
        return field == "presign_hours"

    def _show_problems(self, problems: list[ConfigProblem]) -> None:
        by_field = {p.field: p.message for p in problems}
        for field, edit in self._field_edits.items():
            self._problem_labels[edit.objectName()].show_message(by_field.get(field))
        if "secret" in by_field:
            self.secret_status.show_message(by_field["secret"], Tone.PROBLEM)
        if "presign_hours" in by_field:
            self.test_result.show_message(by_field["presign_hours"], Tone.PROBLEM)

    def cancel(self) -> None:
        """Stop a connection test or keyring lookup under way (the dialog is closing)."""
        testing = self._test_job is not None and not self._test_job.done()
        for job in (self._test_job, *self._secret_jobs()):
            if job is not None and not job.done():
                job.cancel()
        if testing and _alive(self):
            self.test_button.setEnabled(True)
            self.test_result.show_message(None)

    def hideEvent(self, event: QHideEvent) -> None:
        self.cancel()
        super().hideEvent(event)


def _buddy(text: str, field: QWidget, parent: QWidget) -> QLabel:
    """A form label whose mnemonic (``&``) focuses ``field``."""
    label = QLabel(text, parent)
    label.setBuddy(field)
    return label


def _alive(widget: QWidget) -> bool:
    try:
        widget.objectName()
    except RuntimeError:  # the C++ object was deleted while we awaited
        return False
    return True


def _stored_text(in_keyring: bool, secrets: S3Secrets) -> str:
    if in_keyring:
        return "The secret is saved in the system keyring."
    return (
        f"No usable keyring ({secrets.backend_name}): the secret is kept until you quit, "
        "never written to disk."
    )
