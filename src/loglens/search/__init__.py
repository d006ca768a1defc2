"""Search: the query language (query.py), request parameters and cursors (params.py), live tail (tail.py)."""
