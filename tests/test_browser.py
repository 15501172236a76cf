"""JupyterLab in a real browser: notebook 01 runs, and its widget explorer answers a slider.

This test starts ``jupyter lab`` on 127.0.0.1 (a free port, a token, a fresh
temporary root folder holding a *copy* of notebook 01), drives headless Chromium
(Debian's ``chromium`` through PyPI's ``playwright``), runs every cell through
the Run menu, moves the first slider of the widget explorer with the keyboard,
and asserts that the figure beside it changes.  It saves screenshots under the
test's temporary folder and ends the server it started by its process id.

Needs ``apt-get install chromium`` and ``pip install playwright`` (``.ci/run``
installs both).  Without them the test fails in CI (``CI`` set) and is skipped
elsewhere, saying why.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",  # containers often have a tiny /dev/shm
]
# User settings for this run only: no news or update checks (the page stays off the
# network), every cell attached to the page (so off-screen cells can be found), no
# "kernel ready" toasts hiding the menu.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
        "doNotDisturbMode": True,
    },
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}
SERVER_READY_S = 60
RUN_ALL_S = 420  # notebook 01 runs in about a minute on a 2-core laptop; leave room for a busy CI machine
FIGURE_CHANGE_S = 60


def _notebook_01() -> Path | None:
    if os.environ.get("BROWSER_TEST_NOTEBOOK"):  # another notebook with a slider explorer, for trying the test out
        return Path(os.environ["BROWSER_TEST_NOTEBOOK"])
    found = sorted((ROOT / "notebooks").glob("01_*.ipynb"))
    return found[0] if found else None


def _missing_tools() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install playwright)"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _end_server(proc: subprocess.Popen) -> None:
    """End the server we started, by its process id; then anything left in its process group (its kernels)."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # the group was created for this server alone (start_new_session)
    except ProcessLookupError:
        pass


def _require_tools() -> None:
    """Fail in CI, skip elsewhere, when the browser or playwright is missing."""
    missing = _missing_tools()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"browser test cannot run in CI: {missing} (.ci/run installs chromium; pyproject.toml pins playwright)")
        pytest.skip(missing)


@pytest.fixture
def lab_server(tmp_path):
    """A JupyterLab server on 127.0.0.1 whose root folder is a fresh temporary folder.

    Yields ``(base_url, token, root_dir)``; ends the server by its process id afterwards.
    """
    _require_tools()
    root_dir = tmp_path / "root"
    root_dir.mkdir()
    settings = tmp_path / "lab-settings"
    for name, values in LAB_SETTINGS.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(
        os.environ,
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "lab-workspaces"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "jupyter-runtime"),
    )
    env.setdefault("XDG_RUNTIME_DIR", str(tmp_path / "xdg-runtime"))
    Path(env["XDG_RUNTIME_DIR"]).mkdir(mode=0o700, parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "jupyterlab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root_dir}",
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log = (tmp_path / "jupyter-lab.log").open("w")
    proc = subprocess.Popen(command, cwd=root_dir, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_READY_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"jupyter lab exited with {proc.returncode}:\n{(tmp_path / 'jupyter-lab.log').read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{base_url}/api/status?token={token}", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"jupyter lab did not answer within {SERVER_READY_S} s")
            time.sleep(0.25)
        yield base_url, token, root_dir
    finally:
        _end_server(proc)
        log.close()


_CELL_STATE_JS = """() => {
    const prompts = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputArea-prompt')]
        .map(p => p.textContent.trim());
    const indicator = document.querySelector('.jp-Notebook-ExecutionIndicator');
    const errors = [...document.querySelectorAll('.jp-Notebook .jp-OutputArea-output')]
        .filter(o => o.getAttribute('data-mime-type') === 'application/vnd.jupyter.stderr'
                     && /Traceback|Error/.test(o.textContent))
        .map(o => o.textContent.slice(-600));
    return {prompts, status: indicator ? indicator.getAttribute('data-status') : null, errors};
}"""


def _ran(prompt: str) -> bool:
    """Whether a cell prompt such as ``[12]:`` shows an execution count (not ``[ ]:`` or ``[*]:``)."""
    return prompt.startswith("[") and prompt.rstrip(":").strip("[]").strip().isdigit()


def _wait_for_a_connected_idle_kernel(base_url: str, token: str, timeout_s: float) -> None:
    """Wait until the server reports a kernel that the page is connected to and that is idle.

    A Run All clicked while the page is still connecting to its kernel may run only the first cell.
    """
    deadline = time.monotonic() + timeout_s
    kernels: list = []
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"{base_url}/api/kernels?token={token}", timeout=5) as response:
            kernels = json.loads(response.read())
        if any(k.get("connections", 0) > 0 and k.get("execution_state") == "idle" for k in kernels):
            return
        time.sleep(0.5)
    pytest.fail(f"no idle kernel connected to the page within {timeout_s:.0f} s: {kernels}")


def _run_all_and_wait(page, timeout_s: float) -> None:
    """Run > Run All Cells; wait until every code cell shows an execution count; fail on an error.

    A click that comes before the kernel is connected does nothing, so the click is repeated
    while no cell has started.
    """
    deadline = time.monotonic() + timeout_s
    state: dict = {}
    clicks, last_click, quiet_since = 0, 0.0, None
    while time.monotonic() < deadline:
        state = page.evaluate(_CELL_STATE_JS)
        prompts = state["prompts"]
        started = any(_ran(p) or "*" in p for p in prompts)
        dialogs = page.locator(".jp-Dialog").all_text_contents()
        if dialogs:
            pytest.fail(f"JupyterLab opened a dialog: {dialogs}")
        if not started and clicks < 3 and time.monotonic() - last_click > 20:
            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator("li.lm-Menu-item[data-command='runmenu:run-all']").click()
            clicks, last_click = clicks + 1, time.monotonic()
        if state["errors"]:
            pytest.fail("a cell failed in the browser:\n" + "\n---\n".join(state["errors"]))
        if prompts and all(_ran(p) for p in prompts) and state["status"] == "idle":
            return
        # Started, nothing queued or running, yet some cells never ran: Run All stopped early.
        if started and not any("*" in p for p in prompts) and state["status"] == "idle":
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since > 15:
                pytest.fail(f"Run All stopped before the end; cell prompts: {prompts}")
        else:
            quiet_since = None
        page.wait_for_timeout(500)
    pytest.fail(f"not every cell ran within {timeout_s:.0f} s ({clicks} click(s) on Run All); last state: {state}")


def _figure_signature(page, cell) -> tuple[str, bytes]:
    """The figure of a widget cell: its image source and a screenshot of it."""
    img = cell.locator(".jp-OutputArea-output img").last
    img.wait_for(state="visible", timeout=30_000)
    img.scroll_into_view_if_needed()
    return img.get_attribute("src") or "", img.screenshot()


def test_notebook_01_runs_in_jupyterlab_and_its_slider_changes_the_figure(lab_server, tmp_path):
    notebook = _notebook_01()
    if notebook is None:
        if os.environ.get("CI"):
            pytest.fail("notebooks/01_*.ipynb does not exist")
        pytest.skip("notebooks/01_*.ipynb does not exist yet")
    from playwright.sync_api import sync_playwright

    base_url, token, root_dir = lab_server
    # A copy (the committed notebook is never touched) without outputs, so that every prompt and
    # figure seen below comes from this run.
    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, root_dir / notebook.name)
    start = time.monotonic()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 2400})
            page.goto(f"{base_url}/lab/tree/{notebook.name}?token={token}", wait_until="domcontentloaded")
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
            _wait_for_a_connected_idle_kernel(base_url, token, 60)
            page.wait_for_timeout(1000)

            # Run > Run All Cells, through the menu as a learner would.
            _run_all_and_wait(page, RUN_ALL_S)
            page.screenshot(path=str(tmp_path / "after-run-all.png"))

            # The first cell whose output holds a slider and a figure is the explorer.
            cell = page.locator(".jp-Notebook .jp-CodeCell").filter(
                has=page.locator(".widget-hslider")
            ).filter(has=page.locator(".jp-OutputArea-output img")).first
            assert cell.count() == 1, "no cell shows a widget slider next to a figure after Run All"
            before_src, before_png = _figure_signature(page, cell)

            handle = cell.locator(".widget-hslider .noUi-handle").first
            handle.scroll_into_view_if_needed()
            handle.focus()
            page.keyboard.press("ArrowRight")  # one step; the explorer re-trains and redraws
            deadline = time.monotonic() + FIGURE_CHANGE_S
            changed = False
            while time.monotonic() < deadline and not changed:
                page.wait_for_timeout(500)
                try:
                    after_src, after_png = _figure_signature(page, cell)
                except Exception:  # the image is being replaced; look again
                    continue
                changed = after_src != before_src and after_png != before_png
            page.screenshot(path=str(tmp_path / "after-slider.png"))
            assert changed, f"moving the slider did not change the figure within {FIGURE_CHANGE_S} s"
        finally:
            browser.close()
    print(f"browser test: {time.monotonic() - start:.1f} s from opening the page; screenshots in {tmp_path}")
    assert (tmp_path / "after-slider.png").stat().st_size > 0
