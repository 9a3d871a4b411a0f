"""Neovim, run headless, starts `primage-tosca lsp` as its language server,
opens a template with a mistake and shows the server's finding."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

TEMPLATE = """\
tosca_definitions_version: tosca_simple_yaml_1_3

topology_template:
  node_templates:
    server:
      type: tosca.nodes.Compute
      properties:
        colour: blue
"""

# Written for Neovim 0.7 and later: the client is started and attached by hand,
# so no plugin (lspconfig) is needed.
CONFIG = """\
local command = vim.fn.json_decode(os.getenv("PRIMAGE_TOSCA_LSP_COMMAND"))
vim.cmd("edit " .. vim.fn.fnameescape(os.getenv("PRIMAGE_TOSCA_LSP_FILE")))
local client = vim.lsp.start_client({ name = "primage-tosca", cmd = command, root_dir = vim.fn.getcwd() })
vim.lsp.buf_attach_client(0, client)
vim.wait(30000, function() return #vim.diagnostic.get(0) > 0 end, 50)
local shown = {}
for _, d in ipairs(vim.diagnostic.get(0)) do
  local lsp = d.user_data and d.user_data.lsp or {}
  table.insert(shown, { line = d.lnum, column = d.col, code = d.code or lsp.code, message = d.message,
                        source = d.source })
end
local out = io.open(os.getenv("PRIMAGE_TOSCA_LSP_OUT"), "w")
out:write(vim.fn.json_encode(shown))
out:close()
vim.cmd("qall!")
"""


@pytest.mark.skipif(shutil.which("nvim") is None,
                    reason="Neovim (nvim) is not installed: `apt-get install neovim` (make test installs it)")
def test_neovim_shows_the_servers_finding(tmp_path: Path):
    template = tmp_path / "app.yaml"
    template.write_text(TEMPLATE)
    config = tmp_path / "init.lua"
    config.write_text(CONFIG)
    out = tmp_path / "shown.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_STATE_HOME": str(tmp_path / "state"),
           "XDG_CACHE_HOME": str(tmp_path / "cache"),
           "PRIMAGE_TOSCA_LSP_COMMAND": json.dumps([sys.executable, "-m", "primage_tosca", "lsp"]),
           "PRIMAGE_TOSCA_LSP_FILE": str(template), "PRIMAGE_TOSCA_LSP_OUT": str(out)}
    done = subprocess.run(["nvim", "--headless", "-n", "-i", "NONE", "-u", str(config)], cwd=tmp_path, env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    assert out.exists(), f"Neovim wrote no diagnostics (exit {done.returncode}): {done.stderr[-2000:]}"
    shown = json.loads(out.read_text())
    assert [(d["line"], d["column"], d["code"], d["source"]) for d in shown] == [(7, 8, "PT506", "primage-tosca")]
    assert "colour" in shown[0]["message"]
