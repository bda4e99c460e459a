"""The S3 secret access key field: typed once, kept in the keyring (or in memory for this
session without one), never shown back.

:class:`S3SecretField` asks the keyring whether a secret is stored for the access key id,
saves a typed one, and forgets the stored one, all without blocking the window. A keyring
answer that arrives after the secret was saved or forgotten, or after the access key id
changed, is dropped (each of those starts a new epoch).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import shiboken6
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget

from veo_desktop.hosting import HostingError, S3Secrets
from veo_desktop.ui.compose.widgets import MessageLabel, Tone
from veo_desktop.ui.jobs import JobRegistry


def _stored_text(in_keyring: bool, secrets: S3Secrets) -> str:
    if in_keyring:
        return "The secret is saved in the system keyring."
    return (
        f"No usable keyring ({secrets.backend_name}): the secret is kept until you quit, "
        "never written to disk."
    )


class S3SecretField(QWidget):
    """The secret's line edit, its "Forget" button and a status line under them.

    Args:
        secrets: where S3 secrets are kept.
        key_id: the access key id the secret belongs to (as currently entered).
    """

    #: The person typed in the secret field.
    edited = Signal()

    def __init__(
        self, secrets: S3Secrets, key_id: Callable[[], str], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._secrets = secrets
        self._key_id = key_id
        self._epoch = 0
        self._jobs = JobRegistry()
        self._lookup_job: asyncio.Task[None] | None = None
        #: Whether the keyring holds a secret for the access key id (as last looked up).
        self.has_stored = False

        self.secret = QLineEdit(self)
        self.secret.setObjectName("s3SecretEdit")
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setAccessibleName("Secret access key")
        self.secret.setAccessibleDescription(
            "Kept in the system keyring; never shown again once saved"
        )
        self.secret.textEdited.connect(self.edited)
        self.forget_secret = QPushButton("Forget", self)
        self.forget_secret.setObjectName("s3ForgetSecretButton")
        self.forget_secret.setAccessibleName("Forget the stored secret access key")
        self.forget_secret.clicked.connect(self.on_forget_secret_clicked)
        self.forget_secret.setEnabled(False)
        self.secret_status = MessageLabel(Tone.HINT, self)
        self.secret_status.setObjectName("s3SecretStatus")
        row = QHBoxLayout()
        row.addWidget(self.secret, 1)
        row.addWidget(self.forget_secret)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addLayout(row)
        column.addWidget(self.secret_status)

    def pending(self) -> str | None:
        """A secret typed but not saved yet."""
        return self.secret.text().strip() or None

    @property
    def busy(self) -> bool:
        """A keyring lookup or removal started here has not finished."""
        return bool(self._jobs)

    def cancel(self) -> None:
        """Stop keyring work under way (the page is closing)."""
        self._jobs.cancel_all()

    async def save(self) -> str | None:
        """Store a typed secret (keyring, or memory without one); the status it ends in.

        Raises:
            HostingError: the keyring refused it.
        """
        secret = self.pending()
        key_id = self._key_id()
        if not secret or not key_id:
            return None
        epoch = self._new_epoch()
        in_keyring = await self._secrets.set(key_id, secret)
        if not shiboken6.isValid(self) or epoch != self._epoch:
            return _stored_text(in_keyring, self._secrets)
        self.secret.clear()
        self.has_stored = True
        message = _stored_text(in_keyring, self._secrets)
        self.secret_status.show_message(message, Tone.OK)
        self._update_placeholder()
        return message

    def refresh(self) -> None:
        """Look up whether a secret is stored for the access key id now entered."""
        epoch = self._new_epoch()
        self.forget_secret.setEnabled(False)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            self.has_stored = False
            self._update_placeholder()
            return
        self._lookup_job = self._jobs.start(self._look_up(epoch), name="Looking up the S3 secret")

    def on_forget_secret_clicked(self) -> None:
        self._jobs.start(self._forget(), name="Forgetting the S3 secret")

    def _new_epoch(self) -> int:
        """Make any keyring lookup under way stale (its answer is dropped); the new epoch.

        A lookup answers about the moment it read the keyring: once the secret is saved,
        removed or the access key id changes, that answer would undo what the page shows.
        """
        self._epoch += 1
        if self._lookup_job is not None and not self._lookup_job.done():
            self._lookup_job.cancel()
        return self._epoch

    async def _forget(self) -> None:
        key_id = self._key_id()
        self.secret.clear()
        epoch = self._new_epoch()
        try:
            await self._secrets.delete(key_id)
        except HostingError as error:
            if shiboken6.isValid(self) and epoch == self._epoch:
                self.secret_status.show_message(str(error), Tone.PROBLEM)
            return
        if not shiboken6.isValid(self) or epoch != self._epoch:
            return
        self.has_stored = False
        self._update_placeholder()
        self.secret_status.show_message("The secret was removed from the keyring.", Tone.HINT)

    async def _look_up(self, epoch: int) -> None:
        key_id = self._key_id()
        if not key_id:
            self.has_stored = False
            self._update_placeholder()
            self.secret_status.show_message(None)
            return
        try:
            stored = await self._secrets.has(key_id)
        except HostingError as error:
            if shiboken6.isValid(self) and epoch == self._epoch:
                self.secret_status.show_message(str(error), Tone.WARNING)
            return
        if not shiboken6.isValid(self) or epoch != self._epoch or key_id != self._key_id():
            return
        self.has_stored = stored
        self._update_placeholder()
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

    def _update_placeholder(self) -> None:
        if not shiboken6.isValid(self):
            return
        self.secret.setPlaceholderText(
            "Stored (hidden); type to replace it"
            if self.has_stored
            else "Not stored yet; kept in the keyring"
        )
        self.forget_secret.setEnabled(self.has_stored)
