"""Settings for image hosting: where local images go so APIXO can fetch them.

:class:`HostingSettingsWidget` is a page for the settings dialog: a provider chooser (URL
only, S3-compatible storage, Demo), the S3 fields, the secret access key (stored in the
keyring, never shown back: :mod:`~veo_desktop.ui.settings.s3_secret`), the presigned-link
lifetime, an optional public base URL, and a "Test connection" button that runs without
blocking the window and shows its result inline (:mod:`~veo_desktop.ui.settings.connection_test`).

It edits a :class:`~veo_desktop.hosting.HostingConfig`; the dialog that embeds it calls
:meth:`HostingSettingsWidget.apply` on OK (stores a typed secret in the keyring and the
configuration in :class:`~veo_desktop.core.settings.Settings`).
"""

from __future__ import annotations

import functools

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QHideEvent, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from veo_desktop.core.settings import Settings
from veo_desktop.hosting import HostingConfig, ProviderKind, S3Secrets
from veo_desktop.hosting.config import (
    DEFAULT_PRESIGN_HOURS,
    MAX_PRESIGN_HOURS,
    MIN_PRESIGN_HOURS,
    ConfigProblem,
)
from veo_desktop.ui.compose.widgets import MessageLabel, Tone
from veo_desktop.ui.settings.connection_test import (
    ConnectionTest,
    ConnectionTester,
    test_with_provider,
)
from veo_desktop.ui.settings.s3_secret import S3SecretField

#: Fields wider than this only make long lines to read on a big screen.
MAX_CONTENT_WIDTH = 860

_PROVIDERS = (
    (ProviderKind.URL, "URL only (no uploads)"),
    (ProviderKind.S3, "S3-compatible storage"),
    (ProviderKind.DEMO, "Demo (the simulator)"),
)
#: The URL-only choice while the simulator is the API, which hosts local files then.
_URL_WITH_SIMULATOR = "URL only (local files go to the simulator)"
_S3_DESCRIPTION = (
    "Local images are uploaded to your bucket (AWS S3, Cloudflare R2, Backblaze B2, "
    "MinIO…) and APIXO gets a time-limited link, or a public address if the bucket is "
    "public. The same picture is uploaded only once."
)
#: What each choice does against the real API (no simulator to host local files).
_DESCRIPTIONS = {
    ProviderKind.URL: (
        "Image slots take public https addresses only (paste or drag them from a browser). "
        "Each is checked before a task is sent. Local image files cannot be used until "
        "image hosting is set up: choose S3-compatible storage for them."
    ),
    ProviderKind.S3: _S3_DESCRIPTION,
    ProviderKind.DEMO: (
        "The built-in simulator hosts local images only while it is the API (the demo). "
        "Here local image files cannot be used: choose S3-compatible storage, or URL only."
    ),
}
#: What each choice does while the simulator is the API (the demo, or a simulator on this
#: computer): local images go to the simulator unless S3 is chosen (the note under these
#: says so; see :func:`veo_desktop.runtime.wiring.effective_hosting`).
_SIMULATOR_DESCRIPTIONS = {
    ProviderKind.URL: (
        "Image slots also take public https addresses (paste or drag them from a browser); "
        "each is checked before a task is sent."
    ),
    ProviderKind.S3: _S3_DESCRIPTION,
    ProviderKind.DEMO: "Nothing is public and nothing is charged.",
}


def simulator_note(origin: str) -> str:
    """Where local images go while the simulator at ``origin`` is the API."""
    return (
        "Unless S3-compatible storage is chosen, local images go to the simulator "
        f"({origin}) while it is the API."
    )


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
        self._loading = False
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
                index,
                "Only while the built-in simulator is the API (the demo)",
                Qt.ItemDataRole.ToolTipRole,
            )
        else:
            index = self.provider.findData(ProviderKind.URL.value)
            self.provider.setItemText(index, _URL_WITH_SIMULATOR)
        self.description = MessageLabel(Tone.HINT, self, small=False)
        self.description.setObjectName("hostingDescription")
        #: Where local images go while the simulator is the API (hidden against the real one).
        self.simulator_note = MessageLabel(Tone.HINT, self, small=False)
        self.simulator_note.setObjectName("hostingSessionNote")
        self.simulator_note.show_message(
            simulator_note(demo_origin) if demo_origin is not None else None
        )

        provider_row = QFormLayout()
        provider_row.addRow("&Hosting:", self.provider)

        self.pages = QStackedWidget(self)
        self.pages.addWidget(QWidget(self))
        self.pages.addWidget(self._build_s3_page())
        self.pages.addWidget(QWidget(self))

        self.connection = ConnectionTest(
            tester
            or functools.partial(
                test_with_provider, secrets=self._secrets, demo_origin=self._demo_origin
            ),
            self,
        )
        self.test_button = self.connection.test_button
        self.test_result = self.connection.test_result

        column = QVBoxLayout()
        column.addWidget(intro)
        column.addLayout(provider_row)
        column.addWidget(self.description)
        column.addWidget(self.simulator_note)
        column.addWidget(self.pages)
        column.addWidget(self.connection)
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
        self.connection.test_finished.connect(self.test_finished)
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

        self.secret_field = S3SecretField(
            self._secrets, lambda: self.access_key_id.text().strip(), page
        )
        self.secret_field.edited.connect(self.on_field_edited)
        self.secret = self.secret_field.secret
        self.forget_secret = self.secret_field.forget_secret
        self.secret_status = self.secret_field.secret_status
        form.addRow(_buddy("&Secret access key:", self.secret, page), self.secret_field)
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
        lifetime_hint = MessageLabel(Tone.HINT, page, small=False)
        lifetime_hint.setObjectName("s3LinkLifetimeHint")
        lifetime_hint.show_message("1 h to 7 days (168 h)")
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
        self.secret_field.refresh()

    @property
    def keyring_busy(self) -> bool:
        """A keyring lookup or removal started by this page has not finished."""
        return self.secret_field.busy

    def pending_secret(self) -> str | None:
        """A secret typed but not saved yet."""
        return self.secret_field.pending()

    def problems(self) -> list[ConfigProblem]:
        """What must be fixed before these settings can be used (also shown inline)."""
        config = self.config()
        found = list(config.problems())
        if (
            config.provider is ProviderKind.S3
            and not self.pending_secret()
            and not self.secret_field.has_stored
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
        return await self.secret_field.save()

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
            self.secret_field.refresh()
        self._show_problems([p for p in self.problems() if self._field_touched(p.field)])
        self.config_changed.emit()

    def on_test_button_clicked(self) -> None:
        if self.connection.running:
            return
        if not self.validate():
            self.connection.finish(False, "Fix the fields marked above first.")
            return
        self.connection.start(self.config(), self.pending_secret())

    # -- display ---------------------------------------------------------------------------

    def _show_page(self) -> None:
        kind = ProviderKind(self.provider.currentData())
        self.pages.setCurrentIndex([k for k, _ in _PROVIDERS].index(kind))
        self.pages.setVisible(kind is ProviderKind.S3)
        descriptions = _DESCRIPTIONS if self._demo_origin is None else _SIMULATOR_DESCRIPTIONS
        self.description.show_message(descriptions[kind])
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
        self.connection.cancel()
        self.secret_field.cancel()

    def hideEvent(self, event: QHideEvent) -> None:
        self.cancel()
        super().hideEvent(event)


def _buddy(text: str, field: QWidget, parent: QWidget) -> QLabel:
    """A form label whose mnemonic (``&``) focuses ``field``."""
    label = QLabel(text, parent)
    label.setBuddy(field)
    return label
