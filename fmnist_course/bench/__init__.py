"""Benchmarks: the numbers the README and the website show.

One concern per module:

- `flops`: multiply-adds per image of a Keras model, and the training
  convention (forward + backward = 3x forward).
- `ladder`: train each lesson's model as its lesson does, one row per recipe.
- `speed`: the course's training path against a plain `model.fit`.
- `levers`: other ways to train faster (input pipeline, threads, kernels,
  Keras backends), each measured against a plain `model.fit`.
- `process_split`: N processes of one thread against one process of N
  threads, on a short training of one recipe, in one run.
- `time_to_accuracy`: wall time until a recipe first reaches a test accuracy.
- `ablation`: every technique stacked, then one removed at a time.
- `candidate_runs`: the search for a better recipe than `best`, one named
  change at a time, on validation.
- `validation_runs`: how both train one recipe under one seed and score it
  on validation alone, in fresh processes.
- `schema`: validation of `benchmarks/results.json`.
- `targets`: the course's targets and how the recorded figures meet them.
- `ladder_targets`: the targets read from ladder rows (accuracy per model,
  the best recipe's training budget), and whether a row is today's recipe.
- `report`: the Markdown tables rendered from the results file, the README,
  and the ablation table the lessons show.
- `child`: run a benchmark module in a fresh process and read its JSON line.
- `record`: write a section, recompute the targets, validate, re-render the
  README.

What a figure was measured on (CPU, cores, memory, GPUs, versions, measured
peak) comes from `fmnist_course.machine`, which the lesson runner uses too.

Every command writes its section of `benchmarks/results.json` with
`record.record`, keyed by device (`"cpu"`, `"gpu"`) so GPU figures sit beside
CPU ones, never in their place.
"""
