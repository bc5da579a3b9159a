"""BMEcat 1.2 and 2005: a streamed, hardened reader, the feature mapping and a 2005 writer."""

from assistant.catalog.bmecat.reader import (
    BmecatError,
    Document,
    Feature,
    Header,
    Item,
    Price,
    read_bmecat,
)

__all__ = ["BmecatError", "Document", "Feature", "Header", "Item", "Price", "read_bmecat"]
