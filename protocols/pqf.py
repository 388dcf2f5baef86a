"""PQF (Index Data's Prefix Query Format, Z39.50's type-1 query written as text) into the same
tree as CQL (protocols.cql), so that the SRU server answers ``x-pquery``: what yaz-client and
zoomsh send unless told to use CQL, and what Z39.50 clients' Bib-1 attributes mean.

    @and @attr 1=4 middlemarch @attr 1=1003 "george eliot"

Operators ``@and``, ``@or``, ``@not`` (prefix, two operands each); ``@attr type=value`` before a
term, with an optional ``@attrset bib-1`` first. The Bib-1 attributes read:

- use (1): 4 title, 1003 author, 21 subject, 7 ISBN, 12 local number (the record's id), 1016
  any; none: the server's choice;
- relation (2): 3 (equal) only;
- structure (4): 1 (phrase) searches the words in that order; 2 (word), 6 (word list) and none
  search every word;
- truncation (5): 1 (right) lets the last word be the start of a longer one; 100 (none).

Anything else is a PQFError with the SRU diagnostic to answer (protocols.cql's numbers).
"""

from __future__ import annotations

import re

from protocols import cql

USE = {
    "4": "dc.title",
    "1003": "dc.creator",
    "21": "dc.subject",
    "7": "bath.isbn",
    "12": "rec.id",
    "1016": "cql.anywhere",
}
_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|(\S+)')


class PQFError(ValueError):
    def __init__(self, diagnostic: int, message: str) -> None:
        super().__init__(message)
        self.diagnostic = diagnostic


def parse(text: str) -> cql.Query:
    """The PQF query ``text`` as a CQL query tree."""
    # Each token and whether it was quoted (a quoted "@and" is a term, not an operator).
    tokens: list[tuple[str, bool]] = [
        (match.group(1), True) if match.group(1) is not None else (match.group(2), False)
        for match in _TOKEN.finditer(text)
    ]
    if tokens and tokens[0] == ("@attrset", False):
        if len(tokens) < 2 or tokens[1][0].lower() != "bib-1":
            raise PQFError(cql.UNSUPPORTED_CONTEXT_SET, "Only the Bib-1 attribute set is known.")
        tokens = tokens[2:]
    if not tokens:
        raise PQFError(cql.QUERY_SYNTAX_ERROR, "The query is empty.")
    node, rest = _node(tokens)
    if rest:
        raise PQFError(cql.QUERY_SYNTAX_ERROR, f"Unexpected {rest[0][0]!r} after the query.")
    return cql.Query(node, {})


def _node(tokens: list[tuple[str, bool]]) -> tuple[cql.Node, list[tuple[str, bool]]]:
    if not tokens:
        raise PQFError(cql.QUERY_SYNTAX_ERROR, "The query ends where an operand was expected.")
    word, quoted = tokens[0]
    if not quoted and word.lower() in ("@and", "@or", "@not"):
        left, rest = _node(tokens[1:])
        right, rest = _node(rest)
        return cql.Boolean(word[1:].lower(), left, right), rest
    attributes: dict[str, str] = {}
    while tokens and tokens[0] == ("@attr", False):
        if len(tokens) < 2 or "=" not in tokens[1][0]:
            raise PQFError(cql.QUERY_SYNTAX_ERROR, "@attr needs type=value.")
        kind, _, value = tokens[1][0].partition("=")
        attributes[kind] = value
        tokens = tokens[2:]
    if not tokens:
        raise PQFError(cql.QUERY_SYNTAX_ERROR, "The query ends where a term was expected.")
    word, quoted = tokens[0]
    if not quoted and word.startswith("@"):
        raise PQFError(cql.QUERY_SYNTAX_ERROR, f"Unsupported operator {word}.")
    return _clause(word, attributes), tokens[1:]


def _clause(word: str, attributes: dict[str, str]) -> cql.SearchClause:
    use = attributes.pop("1", None)
    index = cql.SERVER_CHOICE if use is None else USE.get(use)
    if index is None:
        raise PQFError(cql.UNSUPPORTED_INDEX, f"Unsupported use attribute 1={use}.")
    if attributes.pop("2", "3") != "3":
        raise PQFError(cql.UNSUPPORTED_RELATION, "Only the relation attribute 2=3 (equal).")
    structure = attributes.pop("4", "2")
    if structure not in ("1", "2", "6"):
        raise PQFError(cql.UNSUPPORTED_RELATION, f"Unsupported structure attribute 4={structure}.")
    truncation = attributes.pop("5", "100")
    if truncation not in ("1", "100"):
        raise PQFError(cql.MASKING_NOT_SUPPORTED, f"Unsupported truncation 5={truncation}.")
    for kind in ("3", "6"):  # position and completeness: any, as the words are searched
        attributes.pop(kind, None)
    if attributes:
        kind = next(iter(attributes))
        raise PQFError(cql.QUERY_SYNTAX_ERROR, f"Unsupported attribute type {kind}.")
    # Literal characters, as a CQL term writes them: the masks escaped, a truncation added.
    value = re.sub(r'([\\*?^"])', r"\\\1", word) + ("*" if truncation == "1" else "")
    relation = "adj" if structure == "1" else "="
    return cql.SearchClause(index, cql.Relation(relation), cql.Term(value))
