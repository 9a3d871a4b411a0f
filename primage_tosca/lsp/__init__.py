"""The language server (``primage-tosca lsp``): the validator's findings,
hover, go to definition, completion and the outline, in the editor.

    analysis.py   runs the same pipeline as ``validate`` on the editor's text
    context.py    what the cursor is on, read from the text (half-typed YAML too)
    features.py   symbols, hover, definition and completion over one analysis
    server.py     the pygls server: handlers, publishing, never a crash
"""
