"""MARC 21 for imports and exports: what a MARC record means in the catalog's terms.

``punctuation`` undoes (and writes) ISBD punctuation, ``names`` turns name headings into
"First Last" and back, ``mapping`` turns a pymarc record into a ``BookRecord``, ``binary`` and
``xml`` read ISO 2709 and MARCXML files. ``interchange.formats.marc`` opens them;
``interchange.exports.marcxml`` writes MARCXML.
"""
