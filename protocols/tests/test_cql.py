"""The CQL parser: the spec's examples, precedence, terms and masking, errors, round trips."""

import dataclasses
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocols.cql import (
    EMPTY_TERM_UNSUPPORTED,
    INVALID_PARENTHESES,
    INVALID_QUOTES,
    PREFIX_ASSIGNED_TWICE,
    QUERY_SYNTAX_ERROR,
    SERVER_CHOICE,
    UNSUPPORTED_CONTEXT_SET,
    Boolean,
    CQLError,
    Mask,
    Modifier,
    Query,
    Relation,
    SearchClause,
    SortKey,
    Term,
    Word,
    parse,
    to_cql,
)

DC = "info:srw/cql-context-set/1/dc-v1.1"


def term(value):
    """A bare term's clause: server's choice of index, relation =."""
    return SearchClause(SERVER_CHOICE, Relation("="), Term(value))


def clause(index, relation, value, *modifiers):
    return SearchClause(index, Relation(relation, tuple(modifiers)), Term(value))


def root(text):
    return parse(text).root


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("dinosaur", term("dinosaur")),
        ('"complete dinosaur"', term("complete dinosaur")),
        ('title = "complete dinosaur"', clause("title", "=", "complete dinosaur")),
        ('title exact "the complete dinosaur"', clause("title", "exact", "the complete dinosaur")),
        ("dinosaur or bird", Boolean("or", term("dinosaur"), term("bird"))),
        (
            '"Palomar assignment" and "ice age"',
            Boolean("and", term("Palomar assignment"), term("ice age")),
        ),
        ("dinosaur not reptile", Boolean("not", term("dinosaur"), term("reptile"))),
        (
            "dinosaur and bird or dinobird",
            Boolean("or", Boolean("and", term("dinosaur"), term("bird")), term("dinobird")),
        ),
        (
            "(bird or dinosaur) and (feathers or scales)",
            Boolean(
                "and",
                Boolean("or", term("bird"), term("dinosaur")),
                Boolean("or", term("feathers"), term("scales")),
            ),
        ),
        (
            '"feathered dinosaur" and (yixian or jehol)',
            Boolean(
                "and", term("feathered dinosaur"), Boolean("or", term("yixian"), term("jehol"))
            ),
        ),
        ("lengthOfFemur > 2.4", clause("lengthoffemur", ">", "2.4")),
        ("bioMass >= 100", clause("biomass", ">=", "100")),
        ('dc.title any "fish frog"', clause("dc.title", "any", "fish frog")),
        ('dc.title all "fish frog"', clause("dc.title", "all", "fish frog")),
        ("bath.isbn = 0201530820", clause("bath.isbn", "=", "0201530820")),
        ("rec.id = 12", clause("rec.id", "=", "12")),
        ("title = dinosa*", clause("title", "=", "dinosa*")),
        ('title = "*saur"', clause("title", "=", "*saur")),
        ('title = "dino\\*saur"', clause("title", "=", "dino\\*saur")),
        ("title=dinosaur", clause("title", "=", "dinosaur")),
        ("title <> dinosaur", clause("title", "<>", "dinosaur")),
        ("title == dinosaur", clause("title", "==", "dinosaur")),
        ("year < 1990", clause("year", "<", "1990")),
        ("year <= 1990", clause("year", "<=", "1990")),
        ("title adj dinosaur", clause("title", "adj", "dinosaur")),
        ('date within "1990 2000"', clause("date", "within", "1990 2000")),
        ("place encloses here", clause("place", "encloses", "here")),
        ("title scr dinosaur", clause("title", "scr", "dinosaur")),
    ],
)
def test_the_specs_examples(text, expected):
    assert root(text) == expected
    assert parse(text).prefixes == {}
    assert parse(text).sort_keys == ()


def test_booleans_and_names_are_case_insensitive_terms_are_not():
    assert root("Dinosaur AND Bird") == Boolean("and", term("Dinosaur"), term("Bird"))
    assert root("a Or b NOT c pRoX d") == root("a or b not c prox d")
    assert root("DC.Title ANY Fish") == clause("dc.title", "any", "Fish")
    assert root("title =/IgnoreCase x") == clause("title", "=", "x", Modifier("ignorecase"))


def test_server_choice_and_the_cql_prefix_of_relations_have_one_spelling():
    assert root("cql.serverChoice = dinosaur") == root("dinosaur")
    assert root("title cql.all x") == root("title all x")
    assert root("title =/cql.ignoreCase x") == root("title =/ignoreCase x")
    # An index's prefix stays: an unprefixed index is the server's default set's, not cql's.
    assert root("cql.title = x").index == "cql.title"


def test_every_boolean_binds_alike_left_to_right():
    a, b, c, d = (term(word) for word in "abcd")
    assert root("a or b and c") == Boolean("and", Boolean("or", a, b), c)
    assert root("a and b or c") == Boolean("or", Boolean("and", a, b), c)
    assert root("a not b not c") == Boolean("not", Boolean("not", a, b), c)
    assert root("a and (b or c)") == Boolean("and", a, Boolean("or", b, c))
    assert root("a or b prox c and d") == Boolean("and", Boolean("prox", Boolean("or", a, b), c), d)
    assert root("((a))") == a


def test_boolean_modifiers():
    assert root("dinosaur and/prox bird") == Boolean(
        "and", term("dinosaur"), term("bird"), (Modifier("prox"),)
    )
    assert root("dinosaur prox/unit=word/distance>3 bird") == Boolean(
        "prox",
        term("dinosaur"),
        term("bird"),
        (Modifier("unit", "=", "word"), Modifier("distance", ">", "3")),
    )


def test_relation_modifiers_with_and_without_values():
    assert root('title any/relevant/rel.algorithm="cori" "fish frog"') == clause(
        "title", "any", "fish frog", Modifier("relevant"), Modifier("rel.algorithm", "=", "cori")
    )
    # Spaces between the tokens change nothing; a value's escapes are resolved.
    assert root('title = / locale = "fr\\"CA" x') == clause(
        "title", "=", "x", Modifier("locale", "=", 'fr"CA')
    )


def test_prefix_assignments_are_returned_and_make_their_prefix_known():
    query = parse(f'>dc="{DC}" dc.title=x')
    assert query.root == clause("dc.title", "=", "x")
    assert query.prefixes == {"dc": DC}
    query = parse('>Local="info:x/local" >"info:x/default" local.shelf = a and b')
    assert query.prefixes == {"local": "info:x/local", "": "info:x/default"}
    assert query.root.left == clause("local.shelf", "=", "a")
    with pytest.raises(CQLError) as raised:
        parse("local.shelf = a")
    assert raised.value.diagnostic == UNSUPPORTED_CONTEXT_SET


def test_a_prefix_assigned_in_parentheses_is_known_only_there():
    query = parse('(>x="info:x" x.title = a) and title = b')
    assert query.prefixes == {}
    assert query.root.left == Query(clause("x.title", "=", "a"), {"x": "info:x"})
    assert query.root.right == clause("title", "=", "b")
    with pytest.raises(CQLError) as raised:
        parse('(>x="info:x" x.title = a) and x.title = b')
    assert raised.value.diagnostic == UNSUPPORTED_CONTEXT_SET
    assert raised.value.position == 30


def test_the_known_context_sets_can_be_replaced():
    assert parse("local.shelf = a", context_sets={"local"}).root == clause("local.shelf", "=", "a")
    with pytest.raises(CQLError):
        parse("dc.title = a", context_sets={"local"})


def test_sort_by():
    query = parse("dinosaur sortBy dc.title/sort.ascending")
    assert query.root == term("dinosaur")
    assert query.sort_keys == (SortKey("dc.title", (Modifier("sort.ascending"),)),)
    query = parse("a and b SORTBY Title date/sort.descending/sort.missingValue=omit")
    assert query.sort_keys == (
        SortKey("title"),
        SortKey("date", (Modifier("sort.descending"), Modifier("sort.missingvalue", "=", "omit"))),
    )


def test_keywords_are_terms_where_a_term_is_due():
    assert root("title = and") == clause("title", "=", "and")
    assert root("title = sortby") == clause("title", "=", "sortby")
    assert root('"and" or "not"') == Boolean("or", term("and"), term("not"))
    assert root("and") == term("and")


def test_bare_and_quoted_terms_are_the_same_term():
    assert root('"dinosaur"') == root("dinosaur")
    assert root('title = "dinosa*"') == root("title = dinosa*")


def test_quoted_strings_keep_their_escapes_and_resolve_them_in_text():
    quoted = root('"say \\"hi\\" \\\\o/"').term
    assert quoted.value == 'say \\"hi\\" \\\\o/'
    assert quoted.text == 'say "hi" \\o/'
    # A bare word's trailing backslash escapes nothing: a literal one.
    assert root("C:\\").term == Term("C:\\\\")
    assert root("C:\\").term.text == "C:\\"


def test_truncation_and_masking_tell_escaped_characters_from_masks():
    def words(value):
        return Term(value).words()

    assert words("dinosa*") == [Word("dinosa", prefix=True)]
    assert words("*saur") == [Word("saur", suffix=True)]
    assert words("*nosa**") == [Word("nosa", prefix=True, suffix=True)]
    assert words("*") == [Word("", prefix=True, suffix=True)]
    assert words("dino\\*saur") == [Word("dino*saur")]
    assert words("dino*saur") == [Word("dino*saur", masked=True)]
    assert words("dino?aur") == [Word("dino?aur", masked=True)]
    assert words("dino\\?aur dino\\^saur") == [Word("dino?aur"), Word("dino^saur")]
    assert words("complete dino*") == [Word("complete"), Word("dino", prefix=True)]
    assert words("  a  b ") == [Word("a"), Word("b")]
    assert words("a\\ b") == [Word("a b")]
    assert words("") == []
    assert Term("dino\\*saur").is_plain
    assert not Term("dino*saur").is_plain
    assert Term("dino\\*saur").text == Term("dino*saur").text == "dino*saur"


def test_anchors_at_the_terms_ends():
    anchored = Term("^the complete dinosaur^")
    assert anchored.anchored_start
    assert anchored.anchored_end
    assert anchored.words() == [Word("the"), Word("complete"), Word("dinosaur")]
    assert Term("^ dinosaur").anchored_start
    assert Term("^ dinosaur").words() == [Word("dinosaur")]
    assert not Term("\\^dinosaur").anchored_start
    assert Term("^").anchored_start
    assert not Term("^").anchored_end
    assert Term("^").words() == []
    # An anchor anywhere else is masking the flags do not describe.
    assert Term("dino^saur").words() == [Word("dino^saur", masked=True)]


def test_pieces_spell_out_every_mask():
    assert Term("^di\\*no*sa?r").pieces() == (
        Mask.ANCHOR,
        "di*no",
        Mask.ANY,
        "sa",
        Mask.ONE,
        "r",
    )
    assert Term("").pieces() == ()


def test_an_empty_term_parses_for_the_caller_to_refuse():
    assert root('title = ""') == clause("title", "=", "")
    assert EMPTY_TERM_UNSUPPORTED == 27


def test_a_term_must_read_back_from_between_quotes():
    with pytest.raises(ValueError, match="escaped"):
        Term('say "hi"')
    with pytest.raises(ValueError, match="backslash"):
        Term("C:\\")


@pytest.mark.parametrize(
    ("text", "diagnostic", "position", "message"),
    [
        ("", QUERY_SYNTAX_ERROR, 0, "empty"),
        ("   ", QUERY_SYNTAX_ERROR, 3, "empty"),
        ("(dinosaur", INVALID_PARENTHESES, 0, "never closed"),
        ("((a) or b", INVALID_PARENTHESES, 0, "never closed"),
        ("(", INVALID_PARENTHESES, 0, "never closed"),
        ("dinosaur)", INVALID_PARENTHESES, 8, "no matching"),
        ("()", INVALID_PARENTHESES, 0, "empty"),
        ("a and ()", INVALID_PARENTHESES, 6, "empty"),
        ('"dinosaur', INVALID_QUOTES, 0, "never closed"),
        ('title = "abc\\"', INVALID_QUOTES, 8, "never closed"),
        ("dinosaur and", QUERY_SYNTAX_ERROR, 12, "'and' at position 9 needs a search clause after"),
        ("(dinosaur or) and bird", QUERY_SYNTAX_ERROR, 12, "needs a search clause after"),
        ("and dinosaur", QUERY_SYNTAX_ERROR, 0, "needs a search clause before"),
        ("dinosaur or or bird", QUERY_SYNTAX_ERROR, 12, "needs a search clause before"),
        ("sortby title", QUERY_SYNTAX_ERROR, 0, "needs a search clause before"),
        ("title =", QUERY_SYNTAX_ERROR, 7, "search term after 'title ='"),
        ("title any", QUERY_SYNTAX_ERROR, 9, "search term after 'title any'"),
        ("title = )", QUERY_SYNTAX_ERROR, 8, "found ')'"),
        ("title = (a)", QUERY_SYNTAX_ERROR, 8, "found '('"),
        ("= dinosaur", QUERY_SYNTAX_ERROR, 0, "search term or an index"),
        ('"complete" "dinosaur"', QUERY_SYNTAX_ERROR, 11, "boolean"),
        ("(a) b", QUERY_SYNTAX_ERROR, 4, "boolean"),
        ("title = a = b", QUERY_SYNTAX_ERROR, 10, "found '='"),
        ("dinosaur/x", QUERY_SYNTAX_ERROR, 8, "found '/'"),
        ('"title" = x', QUERY_SYNTAX_ERROR, 0, "cannot be quoted"),
        ("title =/ = x", QUERY_SYNTAX_ERROR, 9, "modifier's name"),
        ("title =/a= x", QUERY_SYNTAX_ERROR, 12, "search term after"),
        ("title =/a= ", QUERY_SYNTAX_ERROR, 11, "value after '/a='"),
        ("dc. = x", QUERY_SYNTAX_ERROR, 0, "not a name"),
        (".title = x", QUERY_SYNTAX_ERROR, 0, "not a name"),
        ("dc..title = x", QUERY_SYNTAX_ERROR, 0, "not a name"),
        ("a and >dc=x b", QUERY_SYNTAX_ERROR, 6, "prefix assignment"),
        (">dc=", QUERY_SYNTAX_ERROR, 4, "context set's identifier"),
        (">", QUERY_SYNTAX_ERROR, 1, "prefix"),
        ('>dc.x="u" a', QUERY_SYNTAX_ERROR, 1, "without dots"),
        ('>dc="u"', QUERY_SYNTAX_ERROR, 7, "search term or an index"),
        ("dinosaur sortby", QUERY_SYNTAX_ERROR, 15, "index to sort by"),
        ('dinosaur sortby "title"', QUERY_SYNTAX_ERROR, 16, "index to sort by"),
        ("(a sortby b)", QUERY_SYNTAX_ERROR, 3, "whole query"),
        ("a sortby b c = d", QUERY_SYNTAX_ERROR, 13, "found '='"),
        ("foo.title = x", UNSUPPORTED_CONTEXT_SET, 0, "'foo'"),
        ("title foo.near x", UNSUPPORTED_CONTEXT_SET, 6, "'foo'"),
        ("title =/foo.mod x", UNSUPPORTED_CONTEXT_SET, 8, "'foo'"),
        ("a and/foo.mod b", UNSUPPORTED_CONTEXT_SET, 6, "'foo'"),
        ("a sortby foo.key", UNSUPPORTED_CONTEXT_SET, 9, "'foo'"),
        ("a sortby title/foo.up", UNSUPPORTED_CONTEXT_SET, 15, "'foo'"),
        ('>a="u1" >A="u2" a.b = x', PREFIX_ASSIGNED_TWICE, 8, "'a'"),
    ],
)
def test_errors_carry_their_diagnostic_and_position(text, diagnostic, position, message):
    with pytest.raises(CQLError, match=re.escape(message)) as raised:
        parse(text)
    assert raised.value.diagnostic == diagnostic
    assert raised.value.position == position
    assert raised.value.uri == f"info:srw/diagnostic/1/{diagnostic}"
    assert str(raised.value) == raised.value.message


def test_the_same_assignment_twice_is_no_conflict():
    assert parse('>a="u" >a="u" a.b = x').prefixes == {"a": "u"}


def test_the_tree_is_immutable_and_hashable():
    query = parse('>dc="u" dc.title = x and y sortby title')
    with pytest.raises(dataclasses.FrozenInstanceError):
        query.root = term("z")  # type: ignore[misc]  # what the test checks
    with pytest.raises(TypeError):
        query.prefixes["dc"] = "v"
    assert hash(query) == hash(parse('>dc="u" dc.title = x and y sortby title'))


@pytest.mark.parametrize(
    ("text", "cql"),
    [
        ("dinosaur", "dinosaur"),
        ("cql.serverChoice = dinosaur", "dinosaur"),
        ('"complete dinosaur"', '"complete dinosaur"'),
        ("title=dinosaur", "title = dinosaur"),
        ("dinosaur and bird or dinobird", "(dinosaur and bird) or dinobird"),
        ("a and b and c", "a and b and c"),
        ("a and (b or c)", "a and (b or c)"),
        ("title = and", 'title = "and"'),
        ("title=/IgnoreCase dino*", "title =/ignorecase dino*"),
        ("a prox/unit=word/distance > 3 b", "a prox/unit=word/distance>3 b"),
        (f'>dc="{DC}" dc.title=x', f'>dc="{DC}" dc.title = x'),
        ('(>x="u" x.y = a) or b', "(>x=u x.y = a) or b"),
        ("a sortBy title/sort.ascending date", "a sortBy title/sort.ascending date"),
        ("C:\\", "C:\\\\"),
    ],
)
def test_to_cql_writes_the_fewest_quotes_and_parentheses(text, cql):
    assert to_cql(parse(text)) == cql
    assert parse(to_cql(parse(text))) == parse(text)


# Round trips over generated trees.

names = st.sampled_from(["title", "dc.title", "bath.isbn", "rec.id", "cql.serverchoice", "and"])
relations = st.sampled_from(
    ["=", "==", "<>", "<", ">", "<=", ">=", "all", "any", "exact", "dc.near"]
)
# A term's value: plain characters (specials, keywords and spaces included), escapes and masks.
value_parts = st.sampled_from(
    [
        "a",
        "Z",
        "é",
        " ",
        "(",
        ")",
        "=",
        "<",
        ">",
        "/",
        ".",
        "and",
        "OR",
        "sortBy",
        '\\"',
        "\\\\",
        "\\*",
        "\\?",
        "\\^",
        "\\x",
        "*",
        "?",
        "^",
    ]
)
values = st.lists(value_parts, max_size=6).map("".join)
plain_text = st.text(alphabet='ab "\\/=()*', max_size=6)
modifiers = st.lists(
    st.one_of(
        st.builds(Modifier, st.sampled_from(["ignorecase", "rel.algorithm", "unit", "or"])),
        st.builds(Modifier, st.just("distance"), st.sampled_from(["=", "<", ">="]), plain_text),
    ),
    max_size=2,
).map(tuple)
clauses = st.builds(
    SearchClause, names, st.builds(Relation, relations, modifiers), st.builds(Term, values)
)
nodes = st.recursive(
    clauses,
    lambda children: st.one_of(
        st.builds(
            Boolean, st.sampled_from(["and", "or", "not", "prox"]), children, children, modifiers
        ),
        st.builds(
            Query,
            children,
            st.dictionaries(st.sampled_from(["x", "dc", ""]), plain_text, min_size=1),
        ),
    ),
    max_leaves=6,
)
queries = st.builds(
    Query,
    nodes,
    st.dictionaries(st.sampled_from(["x", "local"]), plain_text, max_size=2),
    st.lists(st.builds(SortKey, names, modifiers), max_size=2).map(tuple),
)


@given(queries)
def test_a_tree_reads_back_from_its_cql(query):
    assert parse(to_cql(query)) == query


def parsed_or_error(text, context_sets):
    try:
        return parse(text, context_sets=context_sets), None
    except CQLError as error:
        return None, error


@given(st.text(alphabet='ab ANDor()=<>/"\\*.>x', max_size=25))
def test_any_text_parses_or_raises_a_cql_error_and_what_parses_round_trips(text):
    query, error = parsed_or_error(text, {"a", "x"})
    if error is not None:
        assert error.diagnostic in (10, 13, 14, 15, 45)
        assert 0 <= error.position <= len(text)
    else:
        assert parse(to_cql(query), context_sets={"a", "x"}) == query


@pytest.mark.parametrize(
    ("text", "as_quoted"),
    [
        ("dinosaur bird", '"dinosaur bird"'),
        ('Palomar assignment and "ice age"', '"Palomar assignment" and "ice age"'),
        ("dc.title = complete dinosaur", 'dc.title = "complete dinosaur"'),
        ("dinosaur bird and dc.title = x", '"dinosaur bird" and dc.title = x'),
        ("dinosaur bird sortBy dc.title", '"dinosaur bird" sortBy dc.title'),
    ],
)
def test_bare_words_in_a_row_are_one_term_as_yaz_and_cql_java_take_them(text, as_quoted):
    assert parse(text) == parse(as_quoted)


def test_a_word_that_starts_the_next_clause_is_not_joined():
    with pytest.raises(CQLError) as error:
        parse("dinosaur dc.title = bird")

    assert error.value.diagnostic == QUERY_SYNTAX_ERROR
