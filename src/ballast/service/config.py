"""`ballast serve` configuration: a TOML file (every key optional) or the defaults.

```toml
host = "127.0.0.1"          # loopback only (see `check_loopback`)
port = 8000
data_dir = "ballast-data"   # the SQLite database and logs; relative to the working folder
db = ""                     # a SQLAlchemy URL; empty = SQLite in data_dir (postgresql+psycopg://... for PostgreSQL)
scenario = ""               # the world: a scenario TOML (one drift venue, at most one curie venue); empty = the default world
snapshot_every = 1000       # instructions between two world snapshots
max_steps_per_request = 10000  # the most ticks one admin "step" request may ask for
```
"""

from __future__ import annotations

import ipaddress
import tomllib
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

__all__ = ["ServiceConfig", "ConfigError", "load_config", "DEFAULT_WORLD"]

DEFAULT_WORLD = Path(__file__).parent / "default_world.toml"


class ConfigError(ValueError):
    """A service configuration that cannot be used; the message names the key."""


class ServiceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65_535)] = 8000
    data_dir: str = "ballast-data"
    db: str = ""
    scenario: str = ""
    snapshot_every: Annotated[int, Field(ge=1, le=10_000_000)] = 1000
    max_steps_per_request: Annotated[int, Field(ge=1, le=1_000_000)] = 10_000
    base_dir: str = Field(default=".", exclude=True)

    @field_validator("host")
    @classmethod
    def _loopback(cls, host: str) -> str:
        check_loopback(host)
        return host

    def data_path(self) -> Path:
        path = Path(self.data_dir)
        return path if path.is_absolute() else Path(self.base_dir) / path

    def scenario_path(self) -> Path:
        if not self.scenario:
            return DEFAULT_WORLD
        path = Path(self.scenario)
        return path if path.is_absolute() else Path(self.base_dir) / path


def check_loopback(host: str) -> None:
    """Refuse any address but a loopback one (127.0.0.0/8, ::1, localhost): the service is a
    simulator, not meant to face a network."""
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise ConfigError(f"host {host!r}: the service binds loopback addresses only (127.0.0.1, ::1)")


def load_config(path: Path | None, **overrides: object) -> ServiceConfig:
    """The configuration from `path` (None: the defaults) with the command line's `overrides`
    (None values ignored); ConfigError naming the key on a bad value."""
    data: dict[str, object] = {}
    base = Path.cwd()
    if path is not None:
        try:
            data = tomllib.loads(path.read_text())
        except FileNotFoundError:
            raise ConfigError(f"{path}: no such file") from None
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{path}: not valid TOML: {error}") from None
        base = path.resolve().parent
    data.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return ServiceConfig(base_dir=str(base), **data)
    except ValidationError as error:
        first = error.errors()[0]
        key = ".".join(str(p) for p in first["loc"]) or "config"
        raise ConfigError(f"{key}: {first['msg']} (got {first.get('input')!r})") from None
    except ConfigError:
        raise
