"""The language server (``primage-tosca lsp``): the validator's findings,
hover, go to definition, completion and the outline, in the editor.

    analysis.py   runs the same pipeline as ``validate`` on the editor's text
    reparse.py    reads an edited text again only in the block that changed
    reuse.py      takes from the last check what an edit did not change
    context.py    what the cursor is on, read from the text (half-typed YAML too)
    lookup.py     the template as last read, its types, places in files
    outline.py    document symbols
    hover.py      hover
    navigation.py go to definition, find references
    completion.py completion
    actions.py    quick fixes
    server.py     the pygls server: handlers, publishing, never a crash
"""
