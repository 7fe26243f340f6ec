"""Named exceptions of the gateway host (the dialogue engine and the provider
adapters have their own: ``gateway.dialogue.errors``, ``handlers.errors``).

    GatewayError
    ├── ScriptNotFound      no such script version / no live version (run the seed)
    └── StorageUnavailable  Redis or the database did not answer

    ConfigError             a setting is missing or unsafe; the message names it.
                            The same class as ``handlers.errors.ConfigurationError``
                            (not a GatewayError): one config error for the whole app.
"""

from handlers.errors import ConfigurationError as ConfigError

__all__ = ["ConfigError", "GatewayError", "ScriptNotFound", "StorageUnavailable"]


class GatewayError(Exception):
    """Base class for the gateway's own errors."""


class ScriptNotFound(GatewayError):
    pass


class StorageUnavailable(GatewayError):
    pass
