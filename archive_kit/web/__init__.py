"""The audit console (issue 12): a local web application over one repository, a thin layer over the
``Archive`` facade as the CLI is. ``archive-kit serve`` runs it; ``create_app`` builds the ASGI app."""
from .app import Settings, create_app
from .server import ConsoleServer, is_loopback

__all__ = ["ConsoleServer", "Settings", "create_app", "is_loopback"]
