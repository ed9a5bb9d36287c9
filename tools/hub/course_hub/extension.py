"""The Submit page and endpoint inside each student's Jupyter server.

    GET  <base_url>course/submit              the page: her notebooks, a Submit button each,
                                              what she has submitted, her feedback
    POST <base_url>course/api/submit          {"path": "notebooks/03_x.ipynb"} -> 200 {"notebook",
                                              "bytes", "at"} or 400/413 {"error": "<why>"}
    GET  <base_url>course/api/submissions     her submissions, newest first

The server runs as the student's Unix user, so the copy lands in her own inbound folder and
nowhere else; the path must stay inside the server's root folder (her `course/`).
"""

from __future__ import annotations

import html
import json
import os
from pathlib import Path

import tornado.web
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from jupyter_server.utils import url_path_join

from . import submit as sub


def _root(handler) -> Path:
    """The course folder: the server's root (one-machine hub), or `course/` under it (Kubernetes,
    where the server's root is the home volume)."""
    root = Path(handler.settings["server_root_dir"]).expanduser().resolve()
    return root / "course" if (root / "course" / "notebooks").is_dir() else root


def _inside(root: Path, rel: str) -> Path:
    p = (root / rel).resolve()
    if p != root and root not in p.parents:
        raise sub.SubmissionError(f"{rel} is outside your course folder")
    return p


class SubmitAPI(APIHandler):
    @tornado.web.authenticated
    def post(self):
        try:
            body = json.loads(self.request.body or b"{}")
            rel = body.get("path")
            if not isinstance(rel, str) or not rel:
                raise sub.SubmissionError('send {"path": "notebooks/NN_name.ipynb"}')
            rec = sub.submit(_inside(_root(self), rel), sub.inbound_folder())
        except sub.SubmissionError as e:
            status = 413 if "limited to" in str(e) else 400
            self.set_status(status)
            self.finish(json.dumps({"error": str(e)}))
            return
        except json.JSONDecodeError:
            self.set_status(400)
            self.finish(json.dumps({"error": "the request body is not JSON"}))
            return
        self.finish(json.dumps(rec))


class SubmissionsAPI(APIHandler):
    @tornado.web.authenticated
    def get(self):
        try:
            rows = sub.submitted()
        except sub.SubmissionError as e:
            self.set_status(400)
            self.finish(json.dumps({"error": str(e)}))
            return
        self.finish(json.dumps(rows))


PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Submit a notebook</title>
<style>body{{font:16px system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem}}
table{{border-collapse:collapse;width:100%}}td,th{{border-bottom:1px solid #ddd;padding:.35rem;text-align:left}}
button{{font:inherit;padding:.2rem .8rem}}#msg{{margin:1rem 0;padding:.5rem;min-height:1.5rem}}
.ok{{background:#e6f4ea}}.err{{background:#fce8e6}}</style></head><body>
<h1>Submit a notebook</h1>
<p>Run the notebook top to bottom (Kernel &gt; Restart Kernel and Run All Cells), save it, then press
Submit. Submitting again replaces your earlier copy. The instructor grades a fresh run of it; the graded
copy appears in <a href="{lab}/feedback">feedback/</a>.</p>
<div id="msg" role="status"></div>
<table><tr><th>notebook</th><th>last saved</th><th></th></tr>{rows}</table>
<h2>Submitted</h2><table><tr><th>notebook</th><th>bytes</th><th>at (UTC)</th></tr>{done}</table>
<h2>Feedback</h2><ul>{feedback}</ul>
<script>
const xsrf = {xsrf};
async function submitNb(path) {{
  const msg = document.getElementById('msg');
  msg.className = ''; msg.textContent = 'submitting ' + path + ' ...';
  const r = await fetch({api}, {{method: 'POST', headers: {{'Content-Type': 'application/json',
    'X-XSRFToken': xsrf}}, body: JSON.stringify({{path}})}});
  const j = await r.json();
  if (r.ok) {{ msg.className = 'ok'; msg.textContent = 'submitted ' + j.notebook + ' at ' + j.at;
    setTimeout(() => location.reload(), 800); }}
  else {{ msg.className = 'err'; msg.textContent = 'not submitted: ' + j.error; }}
}}
</script></body></html>"""


class SubmitPage(JupyterHandler):
    @tornado.web.authenticated
    def get(self):
        root = _root(self)
        base = self.base_url
        lab = url_path_join(base, "lab", "tree")
        rows = []
        for nb in sorted((root / "notebooks").glob("*.ipynb")):
            rel = f"notebooks/{nb.name}"
            saved = _mtime(nb)
            rows.append(f"<tr><td><a href=\"{html.escape(url_path_join(lab, rel))}\">{html.escape(nb.name)}</a></td>"
                        f"<td>{saved}</td><td><button onclick='submitNb({html.escape(json.dumps(rel))})'>"
                        "Submit</button></td></tr>")
        try:
            done = "".join(f"<tr><td>{html.escape(r['notebook'])}</td><td>{r['bytes']}</td>"
                           f"<td>{html.escape(r['at'])}</td></tr>" for r in sub.submitted())
        except sub.SubmissionError as e:
            done = f"<tr><td colspan=3>{html.escape(str(e))}</td></tr>"
        fb_dir = root / "feedback"
        feedback = "".join(
            f"<li><a href=\"{html.escape(url_path_join(lab, 'feedback', f.name))}\">{html.escape(f.name)}</a></li>"
            for f in sorted(fb_dir.glob("*")) if f.is_file()) if fb_dir.is_dir() else ""
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(PAGE.format(rows="".join(rows), done=done or "<tr><td colspan=3>nothing yet</td></tr>",
                                feedback=feedback or "<li>none yet</li>", lab=html.escape(lab),
                                xsrf=json.dumps(self.xsrf_token.decode() if isinstance(self.xsrf_token, bytes)
                                                else self.xsrf_token),
                                api=json.dumps(url_path_join(base, "course", "api", "submit"))))


def _mtime(p: Path) -> str:
    import time
    try:
        return time.strftime("%Y-%m-%d %H:%M", time.gmtime(p.stat().st_mtime))
    except OSError:
        return "?"


def load(serverapp) -> None:
    web_app = serverapp.web_app
    base = web_app.settings["base_url"]
    web_app.add_handlers(".*$", [
        (url_path_join(base, "course", "submit"), SubmitPage),
        (url_path_join(base, "course", "api", "submit"), SubmitAPI),
        (url_path_join(base, "course", "api", "submissions"), SubmissionsAPI),
    ])
    serverapp.log.info("course_hub: submit page at %s (inbound %s)", url_path_join(base, "course", "submit"),
                       os.environ.get("COURSE_INBOUND", "not set"))
