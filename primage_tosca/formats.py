"""Names of the compile targets and graph formats.

Shared by the emitters and the command line without importing either: the
CLI builds its parser from them at every start, and must not pay for loading
the compiler (networkx, tosca-parser) to do so.
"""

TARGETS = ("radl", "k8s", "ec3")
GRAPH_TEXT_FORMATS = ("json", "dot", "mermaid")
GRAPH_IMAGE_FORMATS = ("svg", "png")
GRAPH_FORMATS = GRAPH_TEXT_FORMATS + GRAPH_IMAGE_FORMATS
