"""Grammar of the metadata filter language and of ``order_by``, and reading their literals.

The syntax follows AIP-160 as Vertex AI's metadata API uses it::

    filter     := expression
    expression := factor (AND factor)*          # AND binds looser than OR (AIP-160)
    factor     := term (OR term)*
    term       := NOT term | "-" term | field OP value | name "(" values ")" | "(" expression ")"
    field      := NAME ("." (NAME | "quoted key"))*
    OP         := = != < <= > >= :
    value      := "string" | number | true | false | *
    order_by   := field [asc|desc] ("," field [asc|desc])*

Errors name the column (1-based character offset), the token found there and the tokens
that could have followed, computed by lark from the parser state at the error.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedToken

from sluice.errors import InvalidFilterError

GRAMMAR = r"""
?filter: expression
?expression: factor (AND factor)*
?factor: term (OR term)*
?term: NOT term              -> negation
     | MINUS term            -> negation
     | restriction
     | call
     | LPAR expression RPAR  -> group
restriction: field COMPARATOR value
call: NAME LPAR [value (COMMA value)*] RPAR
field: NAME (DOT segment)*
segment: NAME | STRING | AND | OR | NOT | TRUE | FALSE | ASC | DESC
value: STRING | NUMBER | TRUE | FALSE | STAR

order_by: order_key (COMMA order_key)*
order_key: field [ASC | DESC]

AND: "AND"
OR: "OR"
NOT: "NOT"
TRUE: "true"i
FALSE: "false"i
ASC: "asc"i
DESC: "desc"i
NAME: /[A-Za-z_][A-Za-z0-9_\-]*/
STRING: /"(?:[^"\\]|\\.)*"/s
NUMBER: /[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/
COMPARATOR: /!=|<=|>=|=|<|>|:/
LPAR: "("
RPAR: ")"
COMMA: ","
DOT: "."
MINUS: "-"
STAR: "*"
%ignore /\s+/
"""

# How the terminals lark expects are described, in the order they are listed.
_VALUE_TERMINALS = frozenset({"STRING", "NUMBER", "TRUE", "FALSE", "STAR"})
_EXPECTED: list[tuple[frozenset[str], str]] = [
    (frozenset({"NAME"}), "a field name"),
    (frozenset({"COMPARATOR"}), "an operator (= != < <= > >= :)"),
    (_VALUE_TERMINALS, 'a value (a "string", a number, true or false)'),
    (frozenset({"ASC"}), "asc"),
    (frozenset({"DESC"}), "desc"),
    (frozenset({"DOT"}), "a '.'"),
    (frozenset({"LPAR"}), "a '('"),
    (frozenset({"NOT"}), "NOT"),
    (frozenset({"AND"}), "AND"),
    (frozenset({"OR"}), "OR"),
    (frozenset({"COMMA"}), "a ','"),
    (frozenset({"RPAR"}), "a ')'"),
]
_KEYWORDS = {"AND", "OR", "NOT"}


@functools.cache
def _parser() -> Lark:
    # Built on first use: CLI commands that never filter do not pay for it. The basic lexer
    # (not the contextual one) makes AND/OR/NOT keywords everywhere, so "x AND AND y"
    # fails at the second AND instead of reading it as a field name.
    return Lark(GRAMMAR, start=["filter", "order_by"], parser="lalr", lexer="basic")


@dataclass(frozen=True)
class Source:
    """The text being compiled, to point error messages into it."""

    kind: str  # "filter" or "order_by"
    text: str

    def error(
        self, at: Token | int | None, message: str, near: str | None = None
    ) -> InvalidFilterError:
        """An error at a token (or 0-based offset; None: the end) saying ``message``.

        ``near`` is the text shown as found there (default: the token, or the word at
        the offset).
        """
        if isinstance(at, Token) and at.type != "$END":
            near = str(at) if near is None else near
            where = f"at column {at.start_pos + 1} (near '{_clip(near)}')"  # type: ignore[operator]
        elif isinstance(at, int) and at < len(self.text):
            if near is None:
                rest = self.text[at:]
                near = rest.split(None, 1)[0] if rest.strip() else rest
            where = f"at column {at + 1} (near '{_clip(near)}')"
        else:
            where = f"at column {len(self.text.rstrip()) + 1} (at the end)"
        # Line breaks become spaces, one for one, so the column still points into the text.
        text = re.sub(r"[\r\n\v\f\x85\u2028\u2029]", " ", self.text)
        return InvalidFilterError(f"invalid {self.kind} {where}: {message} — {self.kind}: {text}")


def _clip(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def parse(source: Source) -> Tree[Token]:
    """The parse tree of ``source`` (start rule ``source.kind``), or InvalidFilterError."""
    interactive = _parser().parse_interactive(source.text, start=source.kind)
    fed: list[Token] = []  # tokens the parser took, to replay up to an error
    try:
        for token in interactive.iter_parse():  # yields each token before feeding it
            fed.append(token)
        tree: Tree[Token] = interactive.feed_eof()  # type: ignore[no-untyped-call]
        return tree
    except UnexpectedCharacters as exc:
        position = exc.pos_in_stream or 0
        found = source.text[position]
        message = _expected_message(source, found, position, _accepts(source, fed))
        # An unterminated string shows from its quote on, anything else as one character.
        raise source.error(position, message, None if found == '"' else found) from None
    except UnexpectedToken as exc:
        if fed and fed[-1] is exc.token:
            fed.pop()
        message = _expected_message(source, exc.token.type, exc.token, _accepts(source, fed))
        raise source.error(exc.token, message) from None


def _accepts(source: Source, fed: list[Token]) -> set[str]:
    # The parser fails on a token after reducing by it, which can narrow what it still
    # accepts: replaying the tokens before it gives the state the user's text left it in.
    replay = _parser().parse_interactive("", start=source.kind)
    for token in fed:
        replay.feed_token(token)
    accepts: set[str] = replay.accepts()  # type: ignore[no-untyped-call]
    return accepts


def _expected_message(source: Source, found: str, at: Token | int, accepts: set[str]) -> str:
    if found == '"':
        return "unterminated string: the closing '\"' is missing"
    if found == "RPAR" and "RPAR" not in accepts:
        return "unmatched ')'"
    parts = [text for terminals, text in _EXPECTED if terminals & accepts]
    if "$END" in accepts:
        parts.append(f"the end of the {source.kind}")
    message = "expected " + (
        parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " or " + parts[-1]
    )
    if isinstance(at, Token) and at.upper() in _KEYWORDS and at.upper() in accepts:
        message += " (AND, OR and NOT are written in upper case)"
    return message


def parse_string(source: Source, token: Token) -> list[str]:
    """A string literal's text, split at its unescaped ``*`` wildcards (``\\*`` is a star)."""
    parts: list[str] = []
    current: list[str] = []
    body = str(token)[1:-1]
    i = 0
    while i < len(body):
        char = body[i]
        if char == "*":
            parts.append("".join(current))
            current = []
        elif char != "\\":
            current.append(char)
        else:
            escape = body[i + 1]
            if escape in _ESCAPES:
                current.append(_ESCAPES[escape])
            elif escape == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", body[i + 2 : i + 6]):
                current.append(chr(int(body[i + 2 : i + 6], 16)))
                i += 4
            else:
                position: int = token.start_pos + 1 + i  # type: ignore[operator]
                raise source.error(
                    position,
                    f"unknown escape '\\{escape}' in a string; "
                    'use \\" \\\\ \\* \\n \\t \\r or \\uXXXX',
                )
            i += 1
        i += 1
    parts.append("".join(current))
    return parts


_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "*": "*", "n": "\n", "t": "\t", "r": "\r"}
_INT64 = 2**63


def parse_number(source: Source, token: Token) -> int | float:
    """A number literal: an int when written without a point or exponent."""
    text = str(token)
    if re.fullmatch(r"[+-]?\d+", text):
        value = int(text)
        if -_INT64 <= value < _INT64:
            return value
    number = float(text)
    if not math.isfinite(number):
        raise source.error(token, "number out of range")
    return number


_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?"
    r"\s*(?:([Zz])|([+-])(\d{2}):?(\d{2}))?"
)


def parse_timestamp(text: str) -> datetime | None:
    """An RFC 3339 timestamp as aware UTC; no offset means UTC. None if not one."""
    match = _TIMESTAMP.fullmatch(text.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, _, sign, off_h, off_m = match.groups()
    micros = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        offset = timezone.utc
        if sign:
            delta = timedelta(hours=int(off_h), minutes=int(off_m))
            offset = timezone(-delta if sign == "-" else delta)
        value = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            micros,
            tzinfo=offset,
        )
        return value.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        return None


@dataclass(frozen=True)
class Value:
    """A literal of a restriction: its kind, Python value and token."""

    kind: str  # "string", "number", "bool" or "star"
    value: Any  # str (wildcards taken literally), int/float, bool, or None for "*"
    token: Token
    parts: tuple[str, ...] = ()  # strings: the text between unescaped "*" wildcards

    @property
    def has_wildcard(self) -> bool:
        """Whether a string literal holds an unescaped ``*``."""
        return len(self.parts) > 1


def read_value(source: Source, node: Tree[Token]) -> Value:
    """The literal in a ``value`` node."""
    token = node.children[0]
    assert isinstance(token, Token)
    if token.type == "STRING":
        parts = parse_string(source, token)
        return Value("string", "*".join(parts), token, tuple(parts))
    if token.type == "NUMBER":
        return Value("number", parse_number(source, token), token)
    if token.type in ("TRUE", "FALSE"):
        return Value("bool", token.type == "TRUE", token)
    return Value("star", None, token)


def read_field(source: Source, node: Tree[Token]) -> tuple[list[str], Token, str]:
    """A field's path segments (quoted ones decoded), first token and text as written."""
    segments: list[str] = []
    tokens: list[Token] = []
    for child in node.children:
        token = child.children[0] if isinstance(child, Tree) else child
        assert isinstance(token, Token)
        tokens.append(token)
        if token.type == "DOT":
            continue
        segments.append(
            "*".join(parse_string(source, token)) if token.type == "STRING" else str(token)
        )
    start, end = tokens[0].start_pos, tokens[-1].end_pos
    return segments, tokens[0], source.text[start:end]
