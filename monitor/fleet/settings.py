"""The `[role]` and `[fleet]` settings (documented in config/default.toml and docs/fleet.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

_ID_PATTERN = r"^[A-Za-z0-9_-]{0,64}$"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RoleSettings(_Section):
    kind: Literal["single", "gateway", "central"] = "single"


class FleetSettings(_Section):
    # Gateway.
    gateway_id: Annotated[str, Field(pattern=_ID_PATTERN)] = ""
    buffer_path: Path = Path("~/.local/state/sitmon/gateway-buffer.sqlite3")
    batch_seconds: Annotated[float, Field(gt=0, le=60)] = 1.0
    emulated_wearers: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]] = []
    # Central.
    group: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")] = "sitmon-central"
    worker_id: Annotated[str, Field(pattern=_ID_PATTERN)] = ""
    partitions: Annotated[int, Field(ge=1, le=4096)] = 64
    gap_grace_seconds: Annotated[float, Field(ge=0, le=3600)] = 5.0
    poll_seconds: Annotated[float, Field(gt=0, le=10)] = 0.05
    rebalance_seconds: Annotated[float, Field(gt=0, le=600)] = 1.0
    max_wearers_per_pass: Annotated[int, Field(ge=1, le=100_000)] = 500
