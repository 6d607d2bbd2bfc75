"""notebooks/explore.ipynb (the tour of the public API) runs top to bottom on the real data."""
from __future__ import annotations

import nbformat
from nbclient import NotebookClient

from analysis import config


def test_explore_notebook_runs_top_to_bottom():
    nb = nbformat.read(str(config.NOTEBOOK_DIR / "explore.ipynb"), as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(config.NOTEBOOK_DIR)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    images = [o for o in outputs if "image/svg+xml" in o.get("data", {})]
    assert len(images) == 2  # the two restyled sections, each shown once
    text = "".join(o.get("data", {}).get("text/plain", "") for o in outputs)
    assert "russia_leaning" in text or "allied" in text  # stance counts shown
