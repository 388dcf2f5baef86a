"""Copy cataloguing: staff search other libraries' catalogs over SRU or Z39.50 (``targets``: the
presets and the library's own; ``client`` and ``z3950``: the searches, all targets at once by
one deadline) and take a record they find into ours through the same import path as a MARC
file (``services``)."""
