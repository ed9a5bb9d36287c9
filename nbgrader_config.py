# nbgrader configuration for this course (optional; `make student` and `make grade` do not
# need nbgrader). With it, `nbgrader generate_assignment` turns the Rust exercise cells into
# `todo!()` stubs and drops hidden checks, from the metadata `make annotate` writes.
# Limits (README, "Why not nbgrader's own commands"): nbgrader matches the delimiters as
# substrings of *any* line, so a notebook whose prose quotes them (00 and 01 do) stops with
# "Solution region detected in a non-solution cell"; and `nbgrader autograde` scores a test
# cell by whether it raised an error, while our checks print FAIL lines and never raise.
c = get_config()  # noqa: F821 (provided by nbgrader)
c.CourseDirectory.course_id = "ds-course"
c.ClearSolutions.code_stub = {"rust": "todo!()"}
c.ClearSolutions.begin_solution_delimeter = "BEGIN SOLUTION"
c.ClearSolutions.end_solution_delimeter = "END SOLUTION"
c.ClearHiddenTests.begin_test_delimeter = "BEGIN HIDDEN TESTS"
c.ClearHiddenTests.end_test_delimeter = "END HIDDEN TESTS"
