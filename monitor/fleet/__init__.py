"""Many wearers: gateways near the desks, central workers that classify, track and store (docs/fleet.md).

- `wire`: the batch format gateways publish and central workers read (pure).
- `streams`: which parts of a wearer's arriving batches to process next (pure).
- `schema`: the fleet's tables (the inbox of batches, the per-wearer cursor and checkpoint).
- `buffer`: the gateway's on-disk queue towards the broker.
- `gateway`: wearables -> batches -> buffer.
- `ownership`: which central worker processes which wearers (PostgreSQL advisory locks).
- `central`: a central worker (shared subscription -> inbox -> pipelines -> store -> prompts back).
- `settings`, `run`: the `[role]` and `[fleet]` settings and the processes they start.
"""
