"""Veo Desktop: a desktop client for Google's Veo 3.1 through the APIXO API."""

__version__ = "0.1.0"
