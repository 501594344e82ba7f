"""Opens a gamelake report in headless Chromium and says what a person would see.

Usage: report_browser.py REPORT.html SCREENSHOT.png

Drives Chromium over the DevTools protocol on a pipe (--remote-debugging-pipe: no port, no
network), with the standard library only. Prints JSON:
  {"console": [messages of level warning or error], "exceptions": [uncaught errors],
   "requests": [every URL the page asked for], "figures": [{"id", "width", "height",
   "shapes", "text"}], "page": {"width", "height"}, "screenshot": path}
The caller judges; this script only fails when the browser cannot be driven.
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

report, screenshot = os.path.abspath(sys.argv[1]), sys.argv[2]
browser = os.environ.get("GAMELAKE_CHROMIUM") or shutil.which("chromium") or shutil.which(
    "chromium-browser"
)
if not browser:
    sys.exit("no chromium on PATH: install it (Debian: apt-get install chromium) or set GAMELAKE_CHROMIUM")

to_browser_r, to_browser_w = os.pipe()
from_browser_r, from_browser_w = os.pipe()
profile = tempfile.mkdtemp(prefix="gamelake-chromium-")


def child_fds():
    # The protocol pipe is fds 3 (commands in) and 4 (answers out) in the browser.
    os.dup2(to_browser_r, 3)
    os.dup2(from_browser_w, 4)


proc = subprocess.Popen(
    [
        browser,
        "--headless",
        "--remote-debugging-pipe",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--metrics-recording-only",
        # Any lookup of a host name fails: nothing can leave this machine, and a page that
        # tried would show in "requests".
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={profile}",
        "about:blank",
    ],
    preexec_fn=child_fds,
    # Kept open in the browser: close_fds runs after preexec_fn and would close 3 and 4.
    pass_fds=sorted({3, 4, to_browser_r, from_browser_w}),
    stdout=subprocess.DEVNULL,
    stderr=subprocess.DEVNULL,
)
os.close(to_browser_r)
os.close(from_browser_w)
out = os.fdopen(to_browser_w, "wb", buffering=0)
inp = os.fdopen(from_browser_r, "rb", buffering=0)
pending = b""
events = []
next_id = 0
deadline = time.time() + 60


def read_message():
    global pending
    while b"\0" not in pending:
        if time.time() > deadline:
            sys.exit("chromium did not answer within 60 s")
        chunk = inp.read(65536)
        if not chunk:
            sys.exit("chromium closed the protocol pipe")
        pending += chunk
    msg, pending = pending.split(b"\0", 1)
    return json.loads(msg)


def send(method, params=None, session=None):
    global next_id
    next_id += 1
    msg = {"id": next_id, "method": method, "params": params or {}}
    if session:
        msg["sessionId"] = session
    out.write(json.dumps(msg).encode() + b"\0")
    while True:
        answer = read_message()
        if answer.get("id") == next_id:
            if "error" in answer:
                sys.exit(f"{method}: {answer['error']}")
            return answer.get("result", {})
        events.append(answer)


def wait_for(method):
    for i, e in enumerate(events):
        if e.get("method") == method:
            return events.pop(i)
    while True:
        e = read_message()
        if e.get("method") == method:
            return e
        events.append(e)


try:
    target = send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ("Page", "Runtime", "Log", "Network"):
        send(f"{domain}.enable", session=session)
    send("Emulation.setDeviceMetricsOverride",
         {"width": 1400, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session)
    send("Page.navigate", {"url": "file://" + report}, session)
    wait_for("Page.loadEventFired")
    checks = send(
        "Runtime.evaluate",
        {
            "expression": """JSON.stringify({
  figures: [...document.querySelectorAll('figure')].map(f => {
    const svg = f.querySelector('svg'), table = f.querySelector('table');
    const box = (svg || table || f).getBoundingClientRect();
    const shapes = svg ? [...svg.querySelectorAll('rect,circle,polyline,path,line')]
      .filter(s => { const b = s.getBoundingClientRect(); return b.width > 0 || b.height > 0; }).length
      : (table ? table.querySelectorAll('tbody tr').length : 0);
    return {id: f.id, width: box.width, height: box.height, shapes,
            text: svg ? svg.textContent.length : (table ? table.textContent.length : 0)};
  }),
  page: {width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight}
})""",
            "returnByValue": True,
        },
        session,
    )
    result = json.loads(checks["result"]["value"])
    page = result["page"]
    shot = send(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": page["width"], "height": page["height"], "scale": 1},
        },
        session,
    )
    os.makedirs(os.path.dirname(os.path.abspath(screenshot)), exist_ok=True)
    with open(screenshot, "wb") as f:
        f.write(base64.b64decode(shot["data"]))
    # Let late console messages and requests arrive.
    send("Runtime.evaluate", {"expression": "1"}, session)
finally:
    try:
        out.write(json.dumps({"id": 0, "method": "Browser.close"}).encode() + b"\0")
    except OSError:
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    shutil.rmtree(profile, ignore_errors=True)

console = []
for e in events:
    if e.get("method") == "Runtime.consoleAPICalled" and e["params"]["type"] in ("error", "warning", "assert"):
        console.append(" ".join(str(a.get("value", a.get("description", ""))) for a in e["params"]["args"]))
    if e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] in ("error", "warning"):
        console.append(e["params"]["entry"]["text"])
print(json.dumps({
    "console": console,
    "exceptions": [e["params"]["exceptionDetails"].get("text", "")
                   for e in events if e.get("method") == "Runtime.exceptionThrown"],
    "requests": [e["params"]["request"]["url"]
                 for e in events if e.get("method") == "Network.requestWillBeSent"],
    "figures": result["figures"],
    "page": page,
    "screenshot": screenshot,
}))
