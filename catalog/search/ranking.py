"""What both backends' relevance is made of, so that they rank alike.

Relevance is a whole number (keyset cursors hold whole numbers): the database's text rank,
scaled, plus boosts large enough to put an exact title first, then a title made of exactly the
query's words in any order (stop words aside), then an exact author name, above any rank.
"""

EXACT_TITLE_BOOST = 10**13
TITLE_WORDS_BOOST = 6 * 10**12
EXACT_AUTHOR_BOOST = 5 * 10**12
# ts_rank_cd (PostgreSQL) is about 0.1 to 10; SQLite's rank the sum of the query's words'
# weights (10 at most each, catalog.search.sqlite): scaled to whole numbers far below the boosts.
POSTGRESQL_RANK_SCALE = 10**6
SQLITE_RANK_SCALE = 10**6
