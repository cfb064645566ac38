"""Grading: the instructor's tooling behind `fmnist-course grade`.

It writes the handouts and the assignment (`handouts`, `assignment`), reads
what a class handed in as hostile files (`submissions`), runs each notebook in
a sandbox (`sandbox`, `privileges`, `cgroups`, `sandbox_probe`, `runner`,
`runs_in_sandbox`), rebuilds the answers the notebook exported
(`exported_answers`), scores them with the graded checks (`scoring`) and
keeps the grades and feedback (`ledger`, `feedback`); `grade` puts it
together per student and per class. What a student's kernel runs stays in
`fmnist_course.exercises`; the library and the lessons never import this.
"""
