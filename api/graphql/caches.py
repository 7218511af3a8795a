"""Parse and validation caches that keep only small documents.

strawberry's ParserCache and ValidationCache are LRU caches keyed by the document's
text: a client sending distinct large documents (a 1 MB body is mostly a comment: the
token limit does not count comments) kept up to 256 of them alive per cache, ~2 bytes
retained per byte sent. Documents over CACHEABLE_CHARS are parsed and validated every
time instead (the first-party apps' documents are far smaller).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import parse, validate
from strawberry.extensions import ParserCache, ValidationCache

CACHEABLE_CHARS = 16_384


def cacheable(query: Any) -> bool:
    """Whether a document's text is small enough to be kept in a cache."""
    return isinstance(query, str) and len(query) <= CACHEABLE_CHARS


class SmallParserCache(ParserCache):
    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        try:
            if cacheable(context.query):
                context.graphql_document = self.cached_parse_document(
                    context.query, **context.parse_options
                )
            elif context.query is not None:
                context.graphql_document = parse(context.query, **context.parse_options)
        except Exception:  # strawberry parses it again and answers the error
            # Raised here, before the parsing block's own error handling, a syntax error
            # escapes strawberry's streaming path (websockets): no `error` message, and a
            # traceback on the console. Left unparsed, the document is parsed again inside
            # that block, which turns the error into the operation's answer, as over HTTP.
            context.graphql_document = None
        yield


class SmallValidationCache(ValidationCache):
    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if cacheable(context.query):
            yield from super().on_validate()
            return
        assert context.graphql_document is not None
        context.pre_execution_errors = validate(
            context.schema._schema, context.graphql_document, context.validation_rules
        )
        yield
