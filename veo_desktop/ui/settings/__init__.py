"""The settings window, one module per part.

``dialog`` holds :class:`~veo_desktop.ui.settings.dialog.SettingsDialog` (tabs, OK and
Cancel, what OK does); the General tab is made of sections: ``key_section`` (the API key,
keyring only) and ``general`` (library folder, checking on videos, spending cap, base
URL); the Image hosting tab is ``hosting`` (provider and S3 fields), with its keyring
secret in ``s3_secret`` and its "Test connection" in ``connection_test``.
"""
