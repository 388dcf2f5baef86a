"""CQL, the Contextual Query Language of SRU 1.2 and 2.0: a parser and a serializer, no database.

``parse(text)`` turns a query into an immutable tree; ``to_cql(tree)`` writes it back, so that
``parse(to_cql(parse(text))) == parse(text)``. The grammar is CQL 1.2's::

    cqlQuery     ::= prefixAssignment* scopedClause ['sortBy' sortKey+]   (sortBy: top level only)
    prefixAssign ::= '>' prefix '=' uri | '>' uri
    scopedClause ::= searchClause (boolean modifier* searchClause)*        (left to right)
    searchClause ::= '(' cqlQuery ')' | index relation modifier* term | term
    modifier     ::= '/' name [comparitorSymbol value]

The parser checks syntax and that every prefix names a known context set, and nothing more:
which indexes, relations, modifiers, masks and sort keys a server supports is its own business,
answered with the diagnostics named below (``UNSUPPORTED_INDEX`` and so on).

Names are case-insensitive in CQL and come out lower-cased (indexes, relations, modifier names,
booleans, prefixes); terms, modifier values and context-set identifiers keep their case. A bare
term searches ``cql.serverchoice`` (``SERVER_CHOICE``) with ``=``, so ``dinosaur`` and
``cql.serverChoice = dinosaur`` parse to the same tree. Relations and modifiers default to the
``cql`` context set, so their ``cql.`` prefix is dropped (``cql.all`` is ``all``); an index's is
kept (an unprefixed index belongs to the server's default set, not to ``cql``).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

# SRU diagnostics (info:srw/diagnostic/1/<number>). The parser raises the first five; the rest
# are for the caller that finds what it does not support in a parsed query.
QUERY_SYNTAX_ERROR = 10
INVALID_PARENTHESES = 13  # "Invalid or unsupported use of parentheses"
INVALID_QUOTES = 14  # "Invalid or unsupported use of quotes"
UNSUPPORTED_CONTEXT_SET = 15
PREFIX_ASSIGNED_TWICE = 45  # "Prefix assigned to multiple identifiers"
UNSUPPORTED_INDEX = 16
UNSUPPORTED_RELATION = 19
UNSUPPORTED_RELATION_MODIFIER = 20
EMPTY_TERM_UNSUPPORTED = 27
MASKING_NOT_SUPPORTED = 28
MASKED_WORDS_TOO_SHORT = 29
ANCHORING_NOT_SUPPORTED = 31
ANCHORING_IN_UNSUPPORTED_POSITION = 32
UNSUPPORTED_BOOLEAN_OPERATOR = 37
UNSUPPORTED_BOOLEAN_MODIFIER = 46
SORT_NOT_SUPPORTED = 80

SERVER_CHOICE = "cql.serverchoice"
# The context sets a prefix may name without a ">prefix=uri" in the query: CQL's own, Dublin
# Core, Bath, the record metadata set, sort keys' modifiers (sort.ascending) and relevance
# ranking's (rel.algorithm). parse(context_sets=...) replaces them.
DEFAULT_CONTEXT_SETS = frozenset({"cql", "dc", "bath", "rec", "sort", "rel"})

BOOLEANS = frozenset({"and", "or", "not", "prox"})
KEYWORDS = BOOLEANS | {"sortby"}
SYMBOL_RELATIONS = ("==", "<>", "<=", ">=", "=", "<", ">")  # two-character ones first
# The cql context set's named relations. Another word after an index is a relation only when
# prefixed (dc.foo): otherwise "dinosaur bird" would read as index, relation and a missing term.
NAMED_RELATIONS = frozenset({"all", "any", "adj", "within", "encloses", "exact", "scr"})

_SPECIAL = frozenset('()=<>"/')  # end a bare word
_BARE = re.compile(r'[^\s()=<>"/]+')
_NAME_PART = re.compile(r"[^.]+")


class CQLError(Exception):
    """A query CQL cannot parse: ``diagnostic`` is the SRU diagnostic's number, ``position``
    the offset in the query (0-based) where the trouble was found, when there is one."""

    def __init__(self, diagnostic: int, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.diagnostic = diagnostic
        self.message = message
        self.position = position

    @property
    def uri(self) -> str:
        return f"info:srw/diagnostic/1/{self.diagnostic}"


class Mask(enum.Enum):
    """A term's unescaped masking and anchoring characters."""

    ANY = "*"  # any number of characters
    ONE = "?"  # exactly one character
    ANCHOR = "^"  # the start or end of the field


@dataclass(frozen=True)
class Word:
    """One whitespace-separated word of a term.

    ``text`` has its escapes resolved and the unescaped ``*`` at either end removed: ``dino*``
    is ``Word("dino", prefix=True)`` (words that start with "dino"), ``*saur`` is
    ``Word("saur", suffix=True)``, a lone ``*`` is ``Word("", prefix=True, suffix=True)``.
    ``masked`` says the word holds masking the two flags do not describe: a ``?``, a ``*``
    between characters, a ``^`` not at the term's start or end. Its ``text`` then shows those
    characters as such; ``Term.pieces`` tells them from escaped ones.
    """

    text: str
    prefix: bool = False
    suffix: bool = False
    masked: bool = False


@dataclass(frozen=True)
class Term:
    """A search term as written, quotes removed and backslash escapes kept: ``"dino\\*saur"``
    is ``Term("dino\\\\*saur")``, the star a literal one. Escaped characters are literal; the
    unescaped ``*``, ``?`` and ``^`` mask (``pieces``, ``words``). A bare word and the same
    characters quoted are the same term. An empty term (``""``) parses; a server refusing it
    answers ``EMPTY_TERM_UNSUPPORTED``.
    """

    value: str

    def __post_init__(self) -> None:
        # What to_cql writes between quotes must read back as this value.
        chars = list(_scan(self.value))
        if any(char == '"' and not escaped for char, escaped in chars):
            raise ValueError(f"A term's quotes must be escaped: {self.value!r}")
        if _dangling_backslash(self.value):
            raise ValueError(f"A term cannot end in a lone backslash: {self.value!r}")

    @property
    def text(self) -> str:
        """The characters with escapes resolved, masks shown as their characters (for display:
        ``dino\\*saur`` and ``dino*saur`` both read "dino*saur")."""
        return "".join(char for char, _ in _scan(self.value))

    @property
    def is_plain(self) -> bool:
        """No unescaped masking or anchoring character."""
        return not any(not escaped and char in _MASKS for char, escaped in _scan(self.value))

    def pieces(self) -> tuple[str | Mask, ...]:
        """The term as runs of literal characters (escapes resolved) and masks, in order."""
        pieces: list[str | Mask] = []
        run: list[str] = []
        for char, escaped in _scan(self.value):
            if not escaped and char in _MASKS:
                if run:
                    pieces.append("".join(run))
                    run = []
                pieces.append(Mask(char))
            else:
                run.append(char)
        if run:
            pieces.append("".join(run))
        return tuple(pieces)

    @property
    def anchored_start(self) -> bool:
        """The term starts with an unescaped ``^``: it must match at the field's start."""
        return self._anchors()[0]

    @property
    def anchored_end(self) -> bool:
        """The term ends with an unescaped ``^`` (not the same one that starts it)."""
        return self._anchors()[1]

    def words(self) -> list[Word]:
        """The term's words, split at unescaped whitespace, without the anchors at its ends."""
        groups: list[list[tuple[str, bool]]] = [[]]
        for char, escaped in _scan(self.value):
            if char.isspace() and not escaped:
                groups.append([])
            else:
                groups[-1].append((char, escaped))
        groups = [group for group in groups if group]
        start, end = self._anchors()
        if start:
            groups[0] = groups[0][1:]
        if end:
            groups[-1] = groups[-1][:-1]
        return [_word(group) for group in groups if group]

    def _anchors(self) -> tuple[bool, bool]:
        chars = [(c, escaped) for c, escaped in _scan(self.value) if escaped or not c.isspace()]
        anchor = ("^", False)
        start = bool(chars) and chars[0] == anchor
        end = len(chars) > 1 and chars[-1] == anchor
        return start, end


_MASKS = frozenset(mask.value for mask in Mask)


@dataclass(frozen=True)
class Modifier:
    """``/name`` or ``/name<comparison>value`` after a relation, a boolean or a sort key; the
    value with its escapes resolved (masks mean nothing in a value)."""

    name: str
    comparison: str | None = None
    value: str | None = None


@dataclass(frozen=True)
class Relation:
    name: str  # a symbol (=, ==, <>, <, >, <=, >=) or a lower-case name (any, dc.foo)
    modifiers: tuple[Modifier, ...] = ()


@dataclass(frozen=True)
class SearchClause:
    index: str
    relation: Relation
    term: Term


@dataclass(frozen=True)
class Boolean:
    """``left op right``; every boolean binds alike, left to right: ``a and b or c`` is
    ``(a and b) or c``."""

    op: str  # and, or, not, prox
    left: Node
    right: Node
    modifiers: tuple[Modifier, ...] = ()


@dataclass(frozen=True)
class SortKey:
    index: str
    modifiers: tuple[Modifier, ...] = ()


@dataclass(frozen=True)
class Query:
    """A whole query: its prefix assignments (``>dc="info:…"``; the default context set's,
    ``>"info:…"``, under ""), its clauses and its ``sortBy`` keys.

    A part in parentheses that assigns prefixes of its own is a ``Query`` node too (its
    ``sort_keys`` empty), so that each assignment keeps its scope. The parser only checks that
    a prefix is known; resolving ``prefixes`` to context sets is the caller's.
    """

    root: Node
    prefixes: Mapping[str, str] = field(default_factory=dict)
    sort_keys: tuple[SortKey, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "prefixes", MappingProxyType(dict(self.prefixes)))

    def __hash__(self) -> int:
        return hash((self.root, tuple(self.prefixes.items()), self.sort_keys))


Node = SearchClause | Boolean | Query


def parse(text: str, *, context_sets: Collection[str] = DEFAULT_CONTEXT_SETS) -> Query:
    """The tree of a CQL query, or ``CQLError``. ``context_sets``: the prefixes known without
    an assignment in the query."""
    return _Parser(text, context_sets).parse()


def to_cql(node: Query | Node) -> str:
    """CQL for a tree, with the fewest parentheses and quotes that keep its meaning."""
    if isinstance(node, Query):
        parts = [_prefix_cql(prefix, uri) for prefix, uri in node.prefixes.items()]
        parts.append(_child_cql(node.root, parenthesize=False))
        if node.sort_keys:
            keys = (key.index + _modifiers_cql(key.modifiers) for key in node.sort_keys)
            parts.append("sortBy " + " ".join(keys))
        return " ".join(parts)
    if isinstance(node, Boolean):
        # Booleans bind alike, left to right: a boolean on the right needs parentheses, one on
        # the left gets them when its operator differs, for the reader ("(a and b) or c").
        left = _child_cql(
            node.left, parenthesize=isinstance(node.left, Boolean) and node.left.op != node.op
        )
        right = _child_cql(node.right, parenthesize=isinstance(node.right, Boolean))
        return f"{left} {node.op}{_modifiers_cql(node.modifiers)} {right}"
    term = _quoted_unless_bare(node.term.value)
    if node.index == SERVER_CHOICE and node.relation == Relation("="):
        return term
    relation = node.relation.name + _modifiers_cql(node.relation.modifiers)
    return f"{node.index} {relation} {term}"


def _child_cql(node: Node, *, parenthesize: bool) -> str:
    # A nested Query's prefix assignments only read as its own after "(".
    if parenthesize or isinstance(node, Query):
        return f"({to_cql(node)})"
    return to_cql(node)


def _prefix_cql(prefix: str, uri: str) -> str:
    uri_cql = _quoted_unless_bare(_escaped(uri))
    return f">{prefix}={uri_cql}" if prefix else f">{uri_cql}"


def _modifiers_cql(modifiers: tuple[Modifier, ...]) -> str:
    out = []
    for modifier in modifiers:
        out.append("/" + modifier.name)
        if modifier.comparison is not None:
            out.append(modifier.comparison + _quoted_unless_bare(_escaped(modifier.value or "")))
    return "".join(out)


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _quoted_unless_bare(value: str) -> str:
    """``value`` (escapes written) as a bare word where it reads back as one, else quoted."""
    if _BARE.fullmatch(value) and value.lower() not in KEYWORDS:
        return value
    return f'"{value}"'


def _scan(value: str) -> Iterator[tuple[str, bool]]:
    """Each character of a term's value with whether a backslash escaped it."""
    position = 0
    while position < len(value):
        char = value[position]
        if char == "\\" and position + 1 < len(value):
            yield value[position + 1], True
            position += 2
        else:
            yield char, False
            position += 1


def _dangling_backslash(value: str) -> bool:
    position = 0
    while position < len(value):
        if value[position] == "\\":
            if position + 1 == len(value):
                return True
            position += 2
        else:
            position += 1
    return False


def _unescaped(value: str) -> str:
    return "".join(char for char, _ in _scan(value))


def _word(chars: list[tuple[str, bool]]) -> Word:
    star = ("*", False)
    start, end = 0, len(chars)
    while start < end and chars[start] == star:
        start += 1
    while end > start and chars[end - 1] == star:
        end -= 1
    core = chars[start:end]
    if not core:
        return Word("", prefix=True, suffix=True)
    return Word(
        "".join(char for char, _ in core),
        prefix=end < len(chars),
        suffix=start > 0,
        masked=any(not escaped and char in _MASKS for char, escaped in core),
    )


# The parser.


class _Kind(enum.Enum):
    WORD = "word"
    STRING = "quoted string"
    SYMBOL = "symbol"
    SLASH = "/"
    OPEN = "("
    CLOSE = ")"
    END = "end"


@dataclass(frozen=True)
class _Token:
    kind: _Kind
    text: str  # a word as written, a string's characters between its quotes, a symbol
    position: int

    @property
    def keyword(self) -> str | None:
        lowered = self.text.lower()
        return lowered if self.kind is _Kind.WORD and lowered in KEYWORDS else None

    @property
    def is_relation(self) -> bool:
        """Whether this can be the relation after an index (which makes the word before it an
        index): a symbol, a named relation, or a prefixed word (``cql.all``)."""
        return self.kind is _Kind.SYMBOL or (
            self.kind is _Kind.WORD
            and self.keyword is None
            and (self.text.lower() in NAMED_RELATIONS or "." in self.text)
        )

    @property
    def is_term(self) -> bool:
        return self.kind in (_Kind.WORD, _Kind.STRING)

    def is_symbol(self, symbol: str) -> bool:
        return self.kind is _Kind.SYMBOL and self.text == symbol

    def describe(self) -> str:
        if self.kind is _Kind.END:
            return "the end of the query"
        if self.kind is _Kind.STRING:
            return f'"{self.text}"'
        return f"'{self.text}'"


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        char = text[position]
        if char.isspace():
            position += 1
        elif char in "()/":
            kind = {"(": _Kind.OPEN, ")": _Kind.CLOSE, "/": _Kind.SLASH}[char]
            tokens.append(_Token(kind, char, position))
            position += 1
        elif char == '"':
            end = position + 1
            while end < len(text) and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            if end >= len(text):
                raise CQLError(
                    INVALID_QUOTES, f"The quote at position {position} is never closed.", position
                )
            tokens.append(_Token(_Kind.STRING, text[position + 1 : end], position))
            position = end + 1
        elif char in "=<>":
            symbol = next(s for s in SYMBOL_RELATIONS if text.startswith(s, position))
            tokens.append(_Token(_Kind.SYMBOL, symbol, position))
            position += len(symbol)
        else:
            end = position
            while end < len(text) and not text[end].isspace() and text[end] not in _SPECIAL:
                end += 1
            tokens.append(_Token(_Kind.WORD, text[position:end], position))
            position = end
    tokens.append(_Token(_Kind.END, "", len(text)))
    return tokens


def _syntax_error(message: str, token: _Token) -> CQLError:
    return CQLError(QUERY_SYNTAX_ERROR, message, token.position)


def _term(token: _Token) -> Term:
    value = token.text
    # A bare word's trailing backslash escapes nothing: it is a literal one, written escaped.
    return Term(value + "\\" if _dangling_backslash(value) else value)


class _Parser:
    """Recursive descent over the tokens, one method per rule of the grammar."""

    def __init__(self, text: str, context_sets: Collection[str]) -> None:
        self._tokens = _tokens(text)
        self._next = 0
        # The prefixes known where the parser is: the server's, then each enclosing query's.
        self._scopes: list[Collection[str]] = [context_sets]

    def parse(self) -> Query:
        if self._peek().kind is _Kind.END:
            raise _syntax_error("The query is empty.", self._peek())
        query = self._query(top=True)
        assert isinstance(query, Query)
        return query

    def _peek(self) -> _Token:
        return self._tokens[self._next]

    def _take(self) -> _Token:
        token = self._tokens[self._next]
        if token.kind is not _Kind.END:
            self._next += 1
        return token

    def _query(self, *, top: bool) -> Node:
        prefixes = self._prefix_assignments()
        self._scopes.append(prefixes.keys())
        root = self._scoped_clause()
        sort_keys: tuple[SortKey, ...] = ()
        if self._peek().keyword == "sortby":
            if not top:
                raise _syntax_error(
                    f"sortBy (at position {self._peek().position}) can only end the whole "
                    "query, not a part in parentheses.",
                    self._peek(),
                )
            sort_keys = self._sort_keys()
        self._scopes.pop()
        if not top:
            return Query(root, prefixes) if prefixes else root
        after = self._peek()
        if after.kind is _Kind.CLOSE:
            raise CQLError(
                INVALID_PARENTHESES,
                f"The ')' at position {after.position} has no matching '('.",
                after.position,
            )
        if after.kind is not _Kind.END:
            raise self._expected("a boolean (and, or, not, prox)", after)
        return Query(root, prefixes, sort_keys)

    def _prefix_assignments(self) -> dict[str, str]:
        prefixes: dict[str, str] = {}
        while self._peek().is_symbol(">"):
            arrow = self._take()
            first = self._take()
            if not first.is_term:
                raise self._expected("a prefix or a context set's identifier", first)
            if self._peek().is_symbol("="):
                if first.kind is not _Kind.WORD or not _NAME_PART.fullmatch(first.text):
                    raise _syntax_error(
                        f"A prefix is a word without dots, not {first.describe()}.", first
                    )
                self._take()
                uri = self._take()
                if not uri.is_term:
                    raise self._expected(f"the context set's identifier for {first.text}", uri)
                prefix, identifier = first.text.lower(), _unescaped(uri.text)
            else:
                prefix, identifier = "", _unescaped(first.text)
            if prefixes.get(prefix, identifier) != identifier:
                raise CQLError(
                    PREFIX_ASSIGNED_TWICE,
                    f"The prefix '{prefix}' is assigned two different context sets.",
                    arrow.position,
                )
            prefixes[prefix] = identifier
        return prefixes

    def _scoped_clause(self) -> Node:
        node = self._search_clause()
        while (boolean := self._peek()).keyword in BOOLEANS:
            self._take()
            modifiers = self._modifiers()
            if self._peek().kind in (_Kind.END, _Kind.CLOSE):
                raise _syntax_error(
                    f"The boolean '{boolean.text}' at position {boolean.position} needs a "
                    "search clause after it.",
                    self._peek(),
                )
            node = Boolean(boolean.text.lower(), node, self._search_clause(), modifiers)
        return node

    def _search_clause(self) -> Node:
        first = self._take()
        if first.kind is _Kind.OPEN:
            return self._parenthesized(first)
        if first.is_symbol(">"):
            raise _syntax_error(
                f"A prefix assignment ('>' at position {first.position}) can only start the "
                "query or follow '('.",
                first,
            )
        if not first.is_term:
            raise self._expected("a search term or an index", first)
        after = self._peek()
        if after.is_relation:
            return self._index_clause(first)
        if first.keyword and after.kind in (_Kind.WORD, _Kind.STRING, _Kind.OPEN):
            raise _syntax_error(
                f"'{first.text}' at position {first.position} needs a search clause before it.",
                first,
            )
        return SearchClause(SERVER_CHOICE, Relation("="), self._joined(first))

    def _joined(self, term: _Token) -> Term:
        """``term``, and the bare words right after it as one term with it: ``dinosaur bird``
        is ``"dinosaur bird"``. The grammar wants them quoted; yaz and cql-java take them so,
        and people type them so. A word that starts another clause (``bird = x``), a boolean
        or sortBy ends the term."""
        if term.kind is not _Kind.WORD:
            return _term(term)
        words = [term.text]
        while True:
            after = self._peek()
            if after.kind is not _Kind.WORD or after.keyword is not None:
                break
            if self._tokens[self._next + 1].is_relation:
                break  # ``after`` is the index of the next clause
            words.append(self._take().text)
        if len(words) == 1:
            return _term(term)
        return _term(_Token(_Kind.WORD, " ".join(words), term.position))

    def _parenthesized(self, opening: _Token) -> Node:
        if self._peek().kind in (_Kind.CLOSE, _Kind.END):
            what = "is empty" if self._peek().kind is _Kind.CLOSE else "is never closed"
            raise CQLError(
                INVALID_PARENTHESES,
                f"The '(' at position {opening.position} {what}.",
                opening.position,
            )
        inner = self._query(top=False)
        closing = self._take()
        if closing.kind is _Kind.END:
            raise CQLError(
                INVALID_PARENTHESES,
                f"The '(' at position {opening.position} is never closed.",
                opening.position,
            )
        if closing.kind is not _Kind.CLOSE:
            raise self._expected("a boolean (and, or, not, prox) or ')'", closing)
        return inner

    def _index_clause(self, index: _Token) -> SearchClause:
        if index.kind is _Kind.STRING:
            raise _syntax_error(f"An index name cannot be quoted: {index.describe()}.", index)
        name = self._name(index, relation_like=False)
        relation_token = self._take()
        relation = Relation(
            relation_token.text
            if relation_token.kind is _Kind.SYMBOL
            else self._name(relation_token, relation_like=True),
            self._modifiers(),
        )
        term = self._take()
        if not term.is_term:
            raise self._expected(f"a search term after '{index.text} {relation_token.text}'", term)
        return SearchClause(name, relation, self._joined(term))

    def _modifiers(self) -> tuple[Modifier, ...]:
        modifiers: list[Modifier] = []
        while self._peek().kind is _Kind.SLASH:
            self._take()
            name_token = self._take()
            if name_token.kind is not _Kind.WORD:
                raise self._expected("a modifier's name after the '/'", name_token)
            name = self._name(name_token, relation_like=True)
            if self._peek().kind is not _Kind.SYMBOL:
                modifiers.append(Modifier(name))
                continue
            comparison = self._take()
            value = self._take()
            if not value.is_term:
                raise self._expected(f"a value after '/{name_token.text}{comparison.text}'", value)
            modifiers.append(Modifier(name, comparison.text, _unescaped(value.text)))
        return tuple(modifiers)

    def _sort_keys(self) -> tuple[SortKey, ...]:
        sort_by = self._take()
        keys: list[SortKey] = []
        while self._peek().kind is _Kind.WORD:
            index = self._take()
            keys.append(SortKey(self._name(index, relation_like=False), self._modifiers()))
        if not keys:
            raise self._expected(f"an index to sort by after '{sort_by.text}'", self._peek())
        return tuple(keys)

    def _name(self, token: _Token, *, relation_like: bool) -> str:
        """An index's, relation's or modifier's name, lower-cased, its prefix checked.
        Relations and modifiers belong to the cql context set unless prefixed: their ``cql.``
        goes, so that a caller sees one spelling."""
        name = token.text.lower()
        if "." not in name:
            return name
        prefix, _, rest = name.partition(".")
        if not prefix or not all(_NAME_PART.fullmatch(part) for part in rest.split(".")):
            raise _syntax_error(f"'{token.text}' is not a name (prefix.name).", token)
        if not any(prefix in scope for scope in self._scopes):
            raise CQLError(
                UNSUPPORTED_CONTEXT_SET,
                f"Unknown context set prefix '{prefix}' in '{token.text}' at position "
                f"{token.position}.",
                token.position,
            )
        return rest if relation_like and prefix == "cql" else name

    @staticmethod
    def _expected(what: str, found: _Token) -> CQLError:
        return _syntax_error(
            f"Expected {what} at position {found.position}, found {found.describe()}.", found
        )
