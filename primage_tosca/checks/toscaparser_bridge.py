"""PT800, PT801, PT900: tosca-parser's own findings, mapped back to positions."""
