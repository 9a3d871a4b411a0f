"""Talking to the Infrastructure Manager: credentials, the REST client, a local server."""

from .auth import Auth, AuthError, Credential, Secret, load_auth
from .client import IMAuthError, IMBadRequest, IMClient, IMError, IMNotFound, IMUnreachable

__all__ = ["Auth", "AuthError", "Credential", "IMAuthError", "IMBadRequest", "IMClient", "IMError", "IMNotFound",
           "IMUnreachable", "Secret", "load_auth"]
