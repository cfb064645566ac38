"""Authoring: the tooling that makes the course from its lessons.

It executes lessons in a Jupyter kernel and caches them (`execute`,
`lesson_cache`, `lesson_files`), watches a running cell for silence
(`cell_watch`), adds the setup cell students run first (`setup_cell`), finds
and strips exercise solutions (`solutions`) and writes the solution-free
student notebooks (`student_notebooks`). It sits on top of the library: the
library and the lessons never import it.
"""
