"""The mention database: schema, migrations and the Store the rest of veille talks to."""

from veille.store.db import mask_url, migrations_dir
from veille.store.specs import (
    BrandSpec,
    CollectionSave,
    MentionFilter,
    SaveCounts,
    SourceSpec,
    StoredItem,
)
from veille.store.store import Store

__all__ = [
    "BrandSpec",
    "CollectionSave",
    "MentionFilter",
    "SaveCounts",
    "SourceSpec",
    "Store",
    "StoredItem",
    "mask_url",
    "migrations_dir",
]
