"""The course's JupyterHub pieces (README, "Teaching a class").

- `accounts`: a Unix account per student, her folders, her snapshot of the warmed cache;
- `submit`: the checks a submission must pass and its copy into the student's inbound folder;
- `extension` (this package is a Jupyter server extension): the Submit page and REST endpoint
  in each student's server, `…/user/<name>/course/submit`;
- `collect`: the instructor's collect → grade → feedback, `make hub-grade`.
"""


def _jupyter_server_extension_points():
    return [{"module": "course_hub"}]


def _load_jupyter_server_extension(serverapp):
    from .extension import load

    load(serverapp)
