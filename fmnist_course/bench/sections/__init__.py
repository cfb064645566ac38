"""The results tables, one module per section, rendered from `results.json` only.

`fmnist_course.bench.results_markdown` puts the sections together;
`wording` holds the phrases they share.
"""
