"""The course website: lesson pages, API reference, results page and the build.

`build` executes the lessons and runs `mkdocs build`; `events` holds the MkDocs
hooks that `mkdocs.yml` loads; they call `lessons`, `reference` and
`results_page`, one concern each.
"""
